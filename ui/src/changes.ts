// The one place the page refreshes what it shows after contacts change: its own saves, and
// every change committed by anyone else (the command line, later the local API and the sync
// worker), which Rust announces as "contacts-changed" from the change feed; and after each
// sync run, which Rust announces as "sync-state"; and after each dispatch that changed a
// notification, which Rust announces as "notifications-changed".
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { SyncState } from "./api";
import {
  ACTIVITIES_KEY,
  APP_INFO_KEY,
  CLOUD_KEY,
  CONFLICTS_KEY,
  CONTACTS_KEY,
  CONTACT_KEY,
  HISTORY_KEY,
  INTEGRATIONS_KEY,
  NOTIFICATIONS_KEY,
  OUTBOX_KEY,
  SYNC_STATE_KEY,
} from "./queryKeys";
import { useTauriEvent } from "./useTauriEvent";

/** What the remote side shows: the account's status and counts, the estimates, the Outbox list, the integrations and each contact's results there. */
const CHANGED_BY_A_SYNC = [CLOUD_KEY, OUTBOX_KEY, INTEGRATIONS_KEY];

/**
 * Everything a change to contacts can alter: the list and count, single contacts, their history, activities and reminders,
 * the Review list, and (each write queues its change for the cloud) the outbox and the cloud's counts.
 */
const CHANGED_BY_A_CONTACT_WRITE = [CONTACTS_KEY, APP_INFO_KEY, CONTACT_KEY, HISTORY_KEY, ACTIVITIES_KEY, CONFLICTS_KEY, ...CHANGED_BY_A_SYNC];

/** Refetches what a change to contacts may have altered (only what is on screen refetches now; the rest when next shown). */
export function refreshAfterChange(qc: QueryClient): void {
  for (const queryKey of CHANGED_BY_A_CONTACT_WRITE) void qc.invalidateQueries({ queryKey });
}

/** Refetches the remote side only: after a sync run, Retry, Cancel, sharing, and connecting, signing in to, setting up or disconnecting an integration. */
export function refreshCloud(qc: QueryClient): void {
  for (const queryKey of CHANGED_BY_A_SYNC) void qc.invalidateQueries({ queryKey });
}

/** Keeps the page current with changes committed elsewhere while the window is open. */
export function useChangesFromElsewhere(): void {
  const qc = useQueryClient();
  useTauriEvent<number>("contacts-changed", () => refreshAfterChange(qc));
  // The window's dispatcher sent, failed or postponed reminders: the Notifications view and the counts follow.
  useTauriEvent<null>("notifications-changed", () => void qc.invalidateQueries({ queryKey: NOTIFICATIONS_KEY }));
  // The sync worker's state (running, online, error) is what the event says; what it sent or failed shows in the outbox.
  useTauriEvent<SyncState>("sync-state", (state) => {
    qc.setQueryData(SYNC_STATE_KEY, state);
    refreshCloud(qc);
  });
}
