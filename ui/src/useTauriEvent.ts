// Listens to one of the app's events (a dropped file's handle, import progress) while a component is mounted.
import { useEffect, useRef } from "react";
import { listen } from "@tauri-apps/api/event";

export function useTauriEvent<T>(name: string, handler: (payload: T) => void): void {
  // The latest handler, so a re-render does not re-subscribe.
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    let stop: (() => void) | null = null;
    let gone = false;
    listen<T>(name, (e) => latest.current(e.payload)).then(
      (unlisten) => {
        if (gone) unlisten();
        else stop = unlisten;
      },
      () => {
        // No event channel (the page outside the Cardfile window): nothing to listen to.
      },
    );
    return () => {
      gone = true;
      stop?.();
    };
  }, [name]);
}
