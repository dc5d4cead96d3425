// Unwraps the generated IPC Results into promises that throw ApiError, so regenerating bindings.ts changes nothing else.
import { commands } from "./bindings";

// Types are read off the generated commands rather than imported by name, so they follow
// whatever tauri-specta calls them.
type Reply<C extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<C>>;
type Ok<R> = R extends { status: "ok"; data: infer T } ? T : never;
type Err<R> = R extends { status: "error"; error: infer E } ? E : never;
type Result<T, E> = { status: "ok"; data: T } | { status: "error"; error: E };

export type AppInfo = Ok<Reply<typeof commands.appInfo>>;
export type Contact = Ok<Reply<typeof commands.getContact>>;
export type ContactPage = Ok<Reply<typeof commands.listContacts>>;
export type ListQuery = Parameters<typeof commands.listContacts>[0];
export type SortColumn = ListQuery["sort"];
/** What add and edit take: null leaves a field as it is (blank on add); on edit "" clears it. */
export type ContactFields = Parameters<typeof commands.addContact>[0];
export type IpcError = Err<Reply<typeof commands.getContact>>;
export type ErrorCode = IpcError["code"];

/** OnceHub's contact statuses, as Rust spells them. */
export const STATUSES = ["Qualified", "Sales qualified", "Marketing qualified", "Disqualified"] as const;
export type ContactStatus = (typeof STATUSES)[number];

/** An error from Rust; the UI branches on `code` and `field`, never on the message. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;

  constructor(code: ErrorCode, message: string, field: string | null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.field = field;
  }
}

// Tauri itself rejects with a bare string (unknown command, bad arguments), not an IpcError.
function toApiError(raw: unknown): ApiError {
  if (raw && typeof raw === "object" && "message" in raw) {
    const e = raw as { code?: unknown; message: unknown; field?: unknown };
    const code = typeof e.code === "string" ? (e.code as ErrorCode) : "internal";
    const field = typeof e.field === "string" && e.field !== "" ? e.field : null;
    return new ApiError(code, String(e.message), field);
  }
  return new ApiError("internal", typeof raw === "string" ? raw : "Something went wrong.", null);
}

async function unwrap<T, E>(pending: Promise<Result<T, E>>): Promise<T> {
  let result: Result<T, E>;
  try {
    result = await pending;
  } catch (e) {
    throw toApiError(e instanceof Error ? e.message : e);
  }
  if (result.status === "ok") return result.data;
  throw toApiError(result.error);
}

export const api = {
  appInfo: (): Promise<AppInfo> => unwrap(commands.appInfo()),
  listContacts: (query: ListQuery): Promise<ContactPage> => unwrap(commands.listContacts(query)),
  getContact: (id: string): Promise<Contact> => unwrap(commands.getContact(id)),
  addContact: (fields: ContactFields): Promise<Contact> => unwrap(commands.addContact(fields)),
  editContact: (id: string, fields: ContactFields): Promise<Contact> => unwrap(commands.editContact(id, fields)),
  deleteContact: async (id: string): Promise<void> => {
    await unwrap(commands.deleteContact(id));
  },
};

/** The message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return toApiError(e).message;
}
