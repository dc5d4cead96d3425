// How contacts and dates are written on screen, shared by the table, the pane and the dialogs.
import type { ActivityKind, Contact, ContactFields } from "./api";

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

/**
 * Counts in the user's locale ("19,997", "19.997", "19 997"). A machine without a locale (LANG=C, as under
 * a service manager) resolves to POSIX, which groups no digits at all: English grouping reads better there.
 */
const counts = (() => {
  const local = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  return local.format(19_997) === "19997" ? new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }) : local;
})();

export function formatCount(n: number): string {
  return counts.format(n);
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** A contact field as Rust names it (snake_case), the fields add and edit take. */
export type FieldName = keyof ContactFields;

/** The on-screen name of each field: the pane's labels, the merge plan's and the history's rows. */
export const FIELD_LABELS: Record<FieldName, string> = {
  first_name: "First name",
  last_name: "Last name",
  salutation: "Salutation",
  email: "Email",
  mobile_phone: "Mobile phone",
  phone: "Phone",
  company: "Company",
  job_title: "Job title",
  street_address: "Street address",
  city: "City",
  state: "State",
  post_code: "Post code",
  country: "Country",
  timezone: "Timezone",
  status: "Status",
  has_consent: "Has consent",
  notes: "Notes",
};

function isFieldName(field: string): field is FieldName {
  return Object.prototype.hasOwnProperty.call(FIELD_LABELS, field);
}

/** The label for a field Rust names; a field this UI does not know yet reads "Snake case". */
export function fieldLabel(field: string): string {
  if (isFieldName(field)) return FIELD_LABELS[field];
  const words = field.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The dash shown for a blank value. */
export const BLANK = "—";

/** A field's value as Rust sends it in plans and history (text; has_consent "true"/"false"), for display. */
export function fieldValue(field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value.trim() === "") return BLANK;
  if (field === "has_consent") return value === "true" ? "Yes" : value === "false" ? "No" : value;
  return value;
}

/** "a", "a and b", "a, b and c". */
export function listText(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Activity kinds as Rust spells them, and how the UI names them. */
export const ACTIVITY_KIND_LABELS: Record<ActivityKind, string> = {
  meeting: "Meeting",
  chat: "Chat",
  form: "Routing form",
};

/** A kind's label; a kind this UI does not know yet reads "Snake case". */
export function activityKindLabel(kind: string): string {
  return isActivityKind(kind) ? ACTIVITY_KIND_LABELS[kind] : fieldLabel(kind);
}

function isActivityKind(kind: string): kind is ActivityKind {
  return Object.prototype.hasOwnProperty.call(ACTIVITY_KIND_LABELS, kind);
}

/** Meeting statuses as Rust spells them, and how the UI names them. */
export const MEETING_STATUS_LABELS: Record<string, string> = {
  scheduled: "Scheduled",
  rescheduled: "Rescheduled",
  canceled: "Canceled",
  completed: "Completed",
  "no-show": "No-show",
};

export function meetingStatusLabel(status: string | null | undefined): string {
  if (!status) return BLANK;
  return MEETING_STATUS_LABELS[status] ?? fieldLabel(status);
}

/** A rough wait, as the Outbox and the import dialog give it: "under a minute", "about 5 minutes", "about 21 hours", "about 3 days". */
export function aboutDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${plural(minutes, "minute", "minutes")}`;
  const hours = Math.round(seconds / 3600);
  if (hours < 48) return `about ${plural(hours, "hour", "hours")}`;
  return `about ${plural(Math.round(seconds / 86_400), "day", "days")}`;
}

/** Where a change goes, as Rust names it ("oncehub", "hubspot"), and how the UI names it. */
const TARGET_LABELS: Record<string, string> = {
  oncehub: "OnceHub",
  hubspot: "HubSpot",
  salesforce: "Salesforce",
  google: "Google Calendar",
  exchange: "Microsoft Exchange",
  zapier: "Zapier",
};

export function targetLabel(target: string): string {
  return Object.prototype.hasOwnProperty.call(TARGET_LABELS, target) ? TARGET_LABELS[target] : fieldLabel(target);
}
