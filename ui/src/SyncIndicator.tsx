// The status bar's sync indicator: offline, syncing, what waits for the cloud or "Synced", and why the last run stopped; a click opens the Outbox.
import { useQuery } from "@tanstack/react-query";
import { api, type CloudStatus, type SyncState } from "./api";
import { formatCount } from "./format";
import { CLOUD_STATUS_KEY, SYNC_STATE_KEY } from "./queryKeys";

type Props = {
  /** Shows the Outbox view. */
  onOpen: () => void;
};

/** "N waiting · M need attention": the Outbox view's summary and the indicator say it the same way. */
export function waitingText(pending: number, failed: number): string {
  return `${formatCount(pending)} waiting · ${formatCount(failed)} need attention`;
}

type Shown = { text: string; state: "offline" | "syncing" | "attention" | "waiting" | "synced" };

function shown(sync: SyncState, cloud: CloudStatus): Shown {
  // The account's counts are refetched after every change and every run; the worker's own are from its last run.
  const pending = cloud.pending;
  const failed = cloud.failed;
  if (!sync.online) return { text: `Offline · ${formatCount(pending)} waiting`, state: "offline" };
  if (sync.running) return { text: "Syncing…", state: "syncing" };
  if (pending > 0 || failed > 0) return { text: waitingText(pending, failed), state: failed > 0 ? "attention" : "waiting" };
  return { text: "Synced", state: "synced" };
}

export function SyncIndicator({ onOpen }: Props) {
  const cloud = useQuery({ queryKey: CLOUD_STATUS_KEY, queryFn: api.cloudStatus, staleTime: 0 });
  // Set from each "sync-state" event (changes.ts) once the first answer is in.
  const sync = useQuery({ queryKey: SYNC_STATE_KEY, queryFn: api.syncState, staleTime: Infinity });

  const status = cloud.data;
  const state = sync.data;
  if (!status || !state) return null;
  // Without an account and with nothing queued there is no sync to speak of.
  if (!status.configured && status.pending === 0 && status.failed === 0) return null;

  const { text, state: kind } = shown(state, status);
  return (
    <div role="status" aria-label="Sync" className="sync-indicator" data-state={kind} data-error={state.error ? true : undefined}>
      <button type="button" className="sync-button" title="Show the Outbox" onClick={onOpen}>
        <span className="sync-dot" aria-hidden="true" />
        <span className="sync-text">{text}</span>
        {state.error && <span className="sync-error"> · {state.error}</span>}
      </button>
    </div>
  );
}
