// Hand-made placeholder for the IPC bindings tauri-specta will generate from Rust; do not edit by hand once generated.
import { invoke as TAURI_INVOKE } from "@tauri-apps/api/core";
export type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };
export type ContactStatus = "Qualified" | "Sales qualified" | "Marketing qualified" | "Disqualified";
export type Contact = { id: string; first_name: string | null; last_name: string | null; salutation: string | null; email: string | null; mobile_phone: string | null; phone: string | null; company: string | null; job_title: string | null; street_address: string | null; city: string | null; state: string | null; post_code: string | null; country: string | null; timezone: string | null; status: ContactStatus | null; has_consent: boolean | null; notes: string | null; owner: string; created_at: string; updated_at: string; last_interacted_at: string | null };
// Input of add/edit. null = leave as is (edit) / blank (add). On edit, "" clears the field.
export type ContactFields = { first_name: string | null; last_name: string | null; salutation: string | null; email: string | null; mobile_phone: string | null; phone: string | null; company: string | null; job_title: string | null; street_address: string | null; city: string | null; state: string | null; post_code: string | null; country: string | null; timezone: string | null; status: ContactStatus | null; has_consent: boolean | null; notes: string | null };
export type SortColumn = "name" | "email" | "mobile_phone" | "company" | "job_title" | "updated_at";
export type ListQuery = { search: string; sort: SortColumn; descending: boolean; offset: number; limit: number };
// total is null when the search matches too many rows to count cheaply; then has_more tells whether rows follow this page.
export type ContactPage = { rows: Contact[]; total: number | null; has_more: boolean };
export type ErrorCode = "invalid" | "duplicate" | "not_found" | "forbidden" | "internal";
// field: the contact field the error concerns (e.g. "email", "mobile_phone"), or null.
export type IpcError = { code: ErrorCode; message: string; field: string | null };
export type AppInfo = { user_email: string; user_name: string; db_path: string; contact_count: number };
async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<Result<T, IpcError>> {
  try { return { status: "ok", data: await TAURI_INVOKE(cmd, args) }; }
  catch (e) { if (e instanceof Error) throw e; return { status: "error", error: e as IpcError }; }
}
export const commands = {
  appInfo: () => call<AppInfo>("app_info"),
  listContacts: (query: ListQuery) => call<ContactPage>("list_contacts", { query }),
  getContact: (id: string) => call<Contact>("get_contact", { id }),
  addContact: (fields: ContactFields) => call<Contact>("add_contact", { fields }),
  editContact: (id: string, fields: ContactFields) => call<Contact>("edit_contact", { id, fields }),
  deleteContact: (id: string) => call<null>("delete_contact", { id }),
};
