// What the Outbox and Notifications views share about a queued item: Retry and Cancel with the error either leaves, and their buttons.
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { errorMessage } from "./api";

/** Retry and Cancel of a queued item by id: each clears the last error, and refreshes the view whether it worked or not (a failure says why). */
export function useRetryCancel(
  retry: (id: string) => Promise<unknown>,
  cancel: (id: string) => Promise<unknown>,
  refresh: () => void,
) {
  const [error, setError] = useState<string | null>(null);
  const action = (run: (id: string) => Promise<unknown>) => ({
    mutationFn: run,
    onMutate: () => setError(null),
    onSuccess: refresh,
    onError: (e: unknown) => {
      setError(errorMessage(e));
      refresh();
    },
  });
  const retried = useMutation(action(retry));
  const canceled = useMutation(action(cancel));
  return {
    retry: (id: string) => retried.mutate(id),
    cancel: (id: string) => canceled.mutate(id),
    busy: retried.isPending || canceled.isPending,
    error,
    setError,
  };
}

type ButtonsProps = {
  id: string;
  /** What the item is called in the buttons' accessible names ("item", "notification"). */
  noun: string;
  canRetry: boolean;
  canCancel: boolean;
  actions: ReturnType<typeof useRetryCancel>;
};

/** The Retry and Cancel buttons an item's state allows, disabled while either action runs. */
export function RetryCancelButtons({ id, noun, canRetry, canCancel, actions }: ButtonsProps) {
  return (
    <>
      {canRetry && (
        <button
          type="button"
          className="button"
          aria-label={`Retry ${noun} ${id}`}
          disabled={actions.busy}
          onClick={() => actions.retry(id)}
        >
          Retry
        </button>
      )}
      {canCancel && (
        <button
          type="button"
          className="button"
          aria-label={`Cancel ${noun} ${id}`}
          disabled={actions.busy}
          onClick={() => actions.cancel(id)}
        >
          Cancel
        </button>
      )}
    </>
  );
}
