// How contacts and dates are written on screen, shared by the table, the pane and the dialogs.
import type { Contact } from "./api";

type Named = Pick<Contact, "first_name" | "last_name" | "email" | "mobile_phone">;

/** First and last name, or "" when the contact has neither. */
export function fullName(c: Pick<Contact, "first_name" | "last_name">): string {
  return [c.first_name, c.last_name]
    .map((part) => part?.trim() ?? "")
    .filter(Boolean)
    .join(" ");
}

/** The name a person would use for the contact: name, else email, else mobile phone. */
export function displayName(c: Named): string {
  return fullName(c) || c.email?.trim() || c.mobile_phone?.trim() || "this contact";
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "short" });
const fullDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });

function parse(value: string): Date | null {
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A short local date and time ("25/11/2025, 17:18"); the raw text if it does not parse. */
export function shortDateTime(value: string | null | undefined): string {
  if (!value) return "";
  const d = parse(value);
  return d ? dateTime.format(d) : value;
}

/** The long form, for tooltips. */
export function longDateTime(value: string | null | undefined): string {
  if (!value) return "";
  const d = parse(value);
  return d ? fullDateTime.format(d) : value;
}

export function formatCount(n: number): string {
  return n.toLocaleString();
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
