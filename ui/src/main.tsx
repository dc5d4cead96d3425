// Entry point: one QueryClient tuned for local IPC, then the Contacts page (or why the database could not be opened).
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { App } from "./App";
import { listen } from "@tauri-apps/api/event";
import { api } from "./api";
import { DatabaseRefused } from "./DatabaseRefused";
import "./styles.css";
// The chosen theme (Settings), applied before the first paint.
import "./theme";

const queryClient = new QueryClient({
  defaultOptions: {
    // Rust answers from a local database: never wait for "online", never retry what will fail again.
    queries: {
      networkMode: "always",
      retry: false,
      staleTime: 30_000,
      gcTime: 60_000,
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
    },
    mutations: { networkMode: "always", retry: false },
  },
});

// Every rule lives in Rust: outside the Cardfile window (a plain browser on Vite's dev server)
// there is nothing to ask, so the page says where to open it instead of imitating the core.
const root = createRoot(document.getElementById("root")!);
if ("__TAURI_INTERNALS__" in window) {
  // A database Rust refused to open (damaged, say) is shown, with its way back, instead of the contacts;
  // so is one the daily check, run after the open, finds damaged (then the page reloads onto the refusal).
  // Listening comes first, so a refusal is either already there to ask for or still to be announced.
  void listen("database-refused", () => window.location.reload())
    .catch(() => undefined)
    .then(() => api.databaseRefusal())
    .then(
    (refusal) =>
      root.render(
        <StrictMode>
          {refusal ? (
            <DatabaseRefused refusal={refusal} />
          ) : (
            <QueryClientProvider client={queryClient}>
              <App />
            </QueryClientProvider>
          )}
        </StrictMode>,
      ),
    (e: unknown) => root.render(<p className="outside-window">Cardfile could not start its page: {String(e)}</p>),
  );
} else {
  root.render(
    <p className="outside-window">
      Cardfile&rsquo;s page runs inside its window: with <code>npm --prefix ui run dev</code> running, start{" "}
      <code>cargo run -p cardfile --no-default-features</code> (hot reload against the real core).
    </p>,
  );
}
