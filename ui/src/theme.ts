// The window's theme: System (follow the OS), Light or Dark, remembered in this computer's localStorage (a look, not a setting of the database) and applied as data-theme on <html>, which theme.css reads. Imported once at start, so the chosen theme shows before the first paint.
import "./theme.css";

export type Theme = "system" | "light" | "dark";

const STORAGE_KEY = "cardfile-theme";

function isTheme(value: unknown): value is Theme {
  return value === "system" || value === "light" || value === "dark";
}

export function storedTheme(): Theme {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isTheme(value) ? value : "system";
  } catch {
    // No storage (a locked-down webview): the system's theme.
    return "system";
  }
}

function apply(theme: Theme): void {
  if (theme === "system") document.documentElement.removeAttribute("data-theme");
  else document.documentElement.setAttribute("data-theme", theme);
}

/** Remembers and applies `theme` at once. */
export function setTheme(theme: Theme): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Not remembered; it still applies until the window closes.
  }
  apply(theme);
}

apply(storedTheme());
