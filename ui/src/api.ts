// Unwraps the generated IPC Results into promises that throw ApiError, so swapping bindings.ts changes nothing else.
import { commands } from "./bindings";
import type { ContactFields, ErrorCode, IpcError, ListQuery, Result } from "./bindings";

export type {
  AppInfo,
  Contact,
  ContactFields,
  ContactPage,
  ContactStatus,
  ErrorCode,
  IpcError,
  ListQuery,
  SortColumn,
} from "./bindings";

/** An error from Rust; the UI branches on `code` and `field`, never on the message. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;

  constructor(error: IpcError) {
    super(error.message);
    this.name = "ApiError";
    this.code = error.code;
    this.field = error.field ?? null;
  }
}

const CODES: readonly ErrorCode[] = ["invalid", "duplicate", "not_found", "forbidden", "internal"];

// Tauri itself rejects with a bare string (unknown command, bad arguments), not an IpcError.
function toIpcError(raw: unknown): IpcError {
  if (raw && typeof raw === "object" && "message" in raw) {
    const e = raw as Partial<IpcError>;
    return {
      code: e.code && CODES.includes(e.code) ? e.code : "internal",
      message: String(e.message),
      field: typeof e.field === "string" && e.field !== "" ? e.field : null,
    };
  }
  return { code: "internal", message: typeof raw === "string" ? raw : "Something went wrong.", field: null };
}

async function unwrap<T>(pending: Promise<Result<T, IpcError>>): Promise<T> {
  let result: Result<T, IpcError>;
  try {
    result = await pending;
  } catch (e) {
    throw new ApiError(toIpcError(e instanceof Error ? e.message : e));
  }
  if (result.status === "ok") return result.data;
  throw new ApiError(toIpcError(result.error));
}

export const api = {
  appInfo: () => unwrap(commands.appInfo()),
  listContacts: (query: ListQuery) => unwrap(commands.listContacts(query)),
  getContact: (id: string) => unwrap(commands.getContact(id)),
  addContact: (fields: ContactFields) => unwrap(commands.addContact(fields)),
  editContact: (id: string, fields: ContactFields) => unwrap(commands.editContact(id, fields)),
  deleteContact: async (id: string): Promise<void> => {
    await unwrap(commands.deleteContact(id));
  },
};

/** The message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return toIpcError(e).message;
}
