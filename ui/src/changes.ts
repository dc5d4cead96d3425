// The one place the page refreshes what it shows after contacts change: its own saves, and
// every change committed by anyone else (the command line, later the local API and the sync
// worker), which Rust announces as "contacts-changed" from the change feed.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { ACTIVITIES_KEY, APP_INFO_KEY, CONFLICTS_KEY, CONTACTS_KEY, CONTACT_KEY, HISTORY_KEY } from "./queryKeys";
import { useTauriEvent } from "./useTauriEvent";

/** Everything a change to contacts can alter: the list and count, single contacts, their history, activities and reminders, the Review list. */
const CHANGED_BY_A_CONTACT_WRITE = [CONTACTS_KEY, APP_INFO_KEY, CONTACT_KEY, HISTORY_KEY, ACTIVITIES_KEY, CONFLICTS_KEY];

/** Refetches what a change to contacts may have altered (only what is on screen refetches now; the rest when next shown). */
export function refreshAfterChange(qc: QueryClient): void {
  for (const queryKey of CHANGED_BY_A_CONTACT_WRITE) void qc.invalidateQueries({ queryKey });
}

/** Keeps the page current with changes committed elsewhere while the window is open. */
export function useChangesFromElsewhere(): void {
  const qc = useQueryClient();
  useTauriEvent<number>("contacts-changed", () => refreshAfterChange(qc));
}
