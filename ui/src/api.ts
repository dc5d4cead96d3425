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
/** What saving with merge=true would do: the contacts involved (survivor first) and each field's fate. */
export type MergePlan = NonNullable<IpcError["plan"]>;
export type FieldPlan = MergePlan["fields"][number];
export type MergeAction = FieldPlan["action"];
export type HistoryEntry = Ok<Reply<typeof commands.contactHistory>>[number];
export type FieldChange = HistoryEntry["changes"][number];
export type Undone = Ok<Reply<typeof commands.undo>>;
/** What loading the sample contacts did: the import's counts and the meetings recorded. */
export type SampleLoaded = Ok<Reply<typeof commands.loadSample>>;
/** An activity to record: what the customer gave (at least email or mobile phone) and, for meetings, the booking. */
export type NewActivity = Parameters<typeof commands.recordActivity>[0];
export type ActivityKind = NonNullable<NewActivity["kind"]>;
/** What recording did: the contact it found or created. */
export type Recorded = Ok<Reply<typeof commands.recordActivity>>;
/** An activity as lists show it; contact_id is null once its contact was deleted. */
export type Activity = Ok<Reply<typeof commands.listActivities>>[number];
/** A meeting reminder or workflow step: its channel, recipient, status, attempts and last error. */
export type Notification = Ok<Reply<typeof commands.listNotifications>>[number];
/** The name the activity timeline knows them by. */
export type PendingNotification = Notification;
export type ChannelState = Ok<Reply<typeof commands.channelStates>>[number];
/** A row of the contacts table: the contact, and its phones as people read them. */
export type TableRow = ContactPage["rows"][number];
/** A change to a meeting's booking (null leaves that part as it is). */
export type Booking = Parameters<typeof commands.rebookMeeting>[1];
/** An identity held for review: its email named one contact and its mobile phone another. */
export type ReviewItem = Ok<Reply<typeof commands.listConflicts>>[number];

/** A file the user chose or dropped: its name, and the handle that stands for it (the page never holds its path). */
export type ImportFile = NonNullable<Ok<Reply<typeof commands.chooseImportFile>>>;
/** What the import dialog shows: counts, columns and their fields, the first problems. */
export type ImportView = Ok<Reply<typeof commands.previewImport>>;
export type OnDuplicate = Parameters<typeof commands.previewImport>[1];
/** An "import-progress" event's payload. */
export type ImportProgress = import("./bindings").Progress;

/** The cloud account as Settings shows it (never the key: `configured` says whether the keyring holds one). */
export type CloudStatus = Ok<Reply<typeof commands.cloudStatus>>;
/** A "cloud-progress" event's payload: the connect's stage ("users", "contacts", "bookings") and how many it has done. */
export type SyncProgress = import("./bindings").SyncProgress;
/** The background sync as the status bar shows it; a "sync-state" event carries the same whenever it changes. */
export type SyncState = Ok<Reply<typeof commands.syncState>>;
/** One change waiting for (or sent to, or canceled before) the cloud. */
export type OutboxPage = Ok<Reply<typeof commands.listOutbox>>;
export type OutboxItem = OutboxPage["items"][number];

/** The local REST API as Settings shows it: running or not, its URL while it runs, and its port (the one it would use when off). */
export type LocalApiStatus = Ok<Reply<typeof commands.localApiStatus>>;

/** One CRM or calendar integration as Settings shows it (never its token: `connected` says whether the keyring holds one). */
export type IntegrationStatus = Ok<Reply<typeof commands.integrationsList>>[number];
/** "Keep CRM fields in sync" and Google's guest notifications; null leaves one as it is. */
export type IntegrationOptions = Parameters<typeof commands.integrationSetOptions>[1];
/** An OAuth app the Admin registered (never its secret: `has_secret` says whether the keyring holds one). */
export type OAuthAppView = Ok<Reply<typeof commands.oauthApps>>[number];
export type OAuthApp = Parameters<typeof commands.setOauthApp>[1];
/** One integration's last result for one contact (the contact pane). */
export type ContactResult = Ok<Reply<typeof commands.contactIntegrations>>[number];
/** A calendar meeting's guest list: updated or not, and why. */
export type MeetingResult = ContactResult["meetings"][number];
/** An "integration-sign-in" event's payload: the link the browser was sent to. */
export type SignInStarted = import("./bindings").SignInStarted;

/** The settings as stored: reminders, the email and SMS channels, the default region (never a password or token). */
export type Settings = Ok<Reply<typeof commands.settingsShow>>;
/** A setting as Rust (and the command line) spells it: "smtp", "smtp-ca-file", "reminders", ... */
export type SettingKey = Parameters<typeof commands.settingsSet>[0];
/** Whether the keyring holds the SMTP password and the SMS token (never their values). */
export type Credentials = Ok<Reply<typeof commands.credentialsStatus>>;
export type Credential = Parameters<typeof commands.credentialSet>[0];
export type Role = AppInfo["role"];

/** A user: email, name, role and teams. */
export type User = Ok<Reply<typeof commands.listUsers>>[number];
/** What changing a user does: a new role (null keeps it), teams to join and to leave. */
export type UserChange = Parameters<typeof commands.updateUser>[1];
/** What removing a user did: who took over, and how many contacts and meetings moved. */
export type Removed = Ok<Reply<typeof commands.removeUser>>;

/** OnceHub's contact statuses, as Rust spells them. */
/** Why the database was refused on open (damaged, not Cardfile's, newer, read-only), and its last backup. */
export type Refusal = NonNullable<Awaited<ReturnType<typeof commands.databaseRefusal>>>;
/** What restoring the backup did: the backup now in use, and where the damaged file was kept. */
export type Restored = Ok<Reply<typeof commands.restoreDatabase>>;

export const STATUSES = ["Qualified", "Sales qualified", "Marketing qualified", "Disqualified"] as const;
export type ContactStatus = (typeof STATUSES)[number];

// A Record, not an array, so a code added in Rust fails the type check here until it is listed.
const ERROR_CODES: Record<ErrorCode, true> = {
  invalid: true,
  duplicate: true,
  not_found: true,
  forbidden: true,
  cannot_save: true,
  merge_needed: true,
  conflict: true,
  canceled: true,
  internal: true,
  unauthorized: true,
};

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** An error from Rust; the UI branches on `code` and `field`, never on the message. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly field: string | null;
  /** With code "merge_needed": what confirming the save would merge. */
  readonly plan: MergePlan | null;

  constructor(code: ErrorCode, message: string, field: string | null, plan: MergePlan | null = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.field = field;
    this.plan = plan;
  }
}

function isMergePlan(raw: unknown): raw is MergePlan {
  if (!raw || typeof raw !== "object") return false;
  const p = raw as { merge_with?: unknown; fields?: unknown };
  return Array.isArray(p.merge_with) && Array.isArray(p.fields);
}

// Tauri itself rejects with a bare string (unknown command, bad arguments), not an IpcError.
function toApiError(raw: unknown): ApiError {
  if (raw && typeof raw === "object" && "message" in raw) {
    const e = raw as { code?: unknown; message: unknown; field?: unknown; plan?: unknown };
    const code = isErrorCode(e.code) ? e.code : "internal";
    const field = typeof e.field === "string" && e.field !== "" ? e.field : null;
    const plan = isMergePlan(e.plan) ? e.plan : null;
    return new ApiError(code, String(e.message), field, plan);
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
  /** Null when the database is open; else the window shows why in place of the contacts. */
  databaseRefusal: (): Promise<Refusal | null> => commands.databaseRefusal(),
  restoreDatabase: (): Promise<Restored> => unwrap(commands.restoreDatabase()),
  reopenDatabase: (): Promise<void> => commands.reopenDatabase(),
  appInfo: (): Promise<AppInfo> => unwrap(commands.appInfo()),
  listContacts: (query: ListQuery): Promise<ContactPage> => unwrap(commands.listContacts(query)),
  getContact: (id: string): Promise<Contact> => unwrap(commands.getContact(id)),
  /** With merge=false a clash with another contact's email or mobile phone throws "merge_needed" and its plan. */
  addContact: (fields: ContactFields, merge: boolean): Promise<Contact> => unwrap(commands.addContact(fields, merge)),
  editContact: (id: string, fields: ContactFields, merge: boolean): Promise<Contact> =>
    unwrap(commands.editContact(id, fields, merge)),
  deleteContact: async (id: string): Promise<void> => {
    await unwrap(commands.deleteContact(id));
  },
  /** Oldest first. */
  contactHistory: (id: string): Promise<HistoryEntry[]> => unwrap(commands.contactHistory(id)),
  undo: (): Promise<Undone> => unwrap(commands.undo()),
  loadSample: (): Promise<SampleLoaded> => unwrap(commands.loadSample()),
  /** Finds the contact by email, then mobile phone; creates it (owned by the host) if new. */
  recordActivity: (activity: NewActivity): Promise<Recorded> => unwrap(commands.recordActivity(activity)),
  /** Newest first; null lists every activity. */
  listActivities: (contact: string | null): Promise<Activity[]> => unwrap(commands.listActivities(contact)),
  /** Pending notifications, soonest first; with all=true the sent, failed and canceled ones too. */
  listNotifications: (contact: string | null, all = false): Promise<Notification[]> =>
    unwrap(commands.listNotifications(contact, all)),
  /** How many of the notifications the user may see have failed (the navigation's count). */
  failedNotifications: (): Promise<number> => unwrap(commands.failedNotifications()),
  /** A failed notification goes out again now (the window's dispatcher is woken). */
  retryNotification: (id: string): Promise<Notification> => unwrap(commands.retryNotification(id)),
  /** A pending notification is never sent. */
  cancelNotification: (id: string): Promise<Notification> => unwrap(commands.cancelNotification(id)),
  /** Email's and SMS's state: ready, or why not ("the keyring is locked", "login refused"). */
  channelStates: (): Promise<ChannelState[]> => unwrap(commands.channelStates()),
  listConflicts: (): Promise<ReviewItem[]> => unwrap(commands.listConflicts()),
  dismissConflict: async (id: string): Promise<void> => {
    await unwrap(commands.dismissConflict(id));
  },
  /** The native open dialog; null when the user canceled it. */
  chooseImportFile: (): Promise<ImportFile | null> => unwrap(commands.chooseImportFile()),
  /** The dry run of the chosen file (by its handle): counts and mapping with nothing written. */
  previewImport: (file: ImportFile, onDuplicate: OnDuplicate, overrides: [number, string | null][]): Promise<ImportView> =>
    unwrap(commands.previewImport(file.handle, onDuplicate, overrides)),
  /** The import; progress comes as "import-progress" events. keepLocal: with a cloud account, its new contacts stay on this computer until shared. */
  runImport: (
    file: ImportFile,
    onDuplicate: OnDuplicate,
    overrides: [number, string | null][],
    keepLocal: boolean,
  ): Promise<ImportView> => unwrap(commands.runImport(file.handle, onDuplicate, overrides, keepLocal)),
  cancelImport: async (): Promise<void> => {
    await unwrap(commands.cancelImport());
  },
  /** The native save dialog, then the last import's rejected and conflicting rows as CSV; null when canceled. */
  saveImportErrors: (): Promise<string | null> => unwrap(commands.saveImportErrors()),
  /** Cancel, reschedule or complete a meeting; its pending reminders are replanned to match. */
  rebookMeeting: (id: string, change: Booking): Promise<Recorded> => unwrap(commands.rebookMeeting(id, change)),

  cloudStatus: (): Promise<CloudStatus> => unwrap(commands.cloudStatus()),
  /**
   * Checks the key, keeps it in the keyring and runs the first pull ("cloud-progress" events; cloudCancel stops it).
   * The key goes straight to Rust: callers pass it from the password field, never from state or a cache.
   */
  cloudConnect: (url: string | null, key: string): Promise<CloudStatus> => unwrap(commands.cloudConnect(url, key)),
  cloudCancel: async (): Promise<void> => {
    await unwrap(commands.cloudCancel());
  },
  /** Forgets the key; the outbox keeps its items, paused, until the next connect. */
  cloudDisconnect: (): Promise<CloudStatus> => unwrap(commands.cloudDisconnect()),
  /** Seconds for `count` new contacts to reach the cloud at its rate limit; null without a cloud account. */
  cloudEstimate: (count: number): Promise<number | null> => unwrap(commands.cloudEstimate(count)),
  syncState: (): Promise<SyncState> => unwrap(commands.syncState()),
  /** Asks the background worker to sync (it does so within a few seconds). */
  syncNow: async (): Promise<void> => {
    await unwrap(commands.syncNow());
  },
  /** Pending and failed items; with all=true the sent and canceled ones too. */
  /** The oldest `limit` items (waiting only, or `all`), and how many there are in all. */
  listOutbox: (all: boolean, limit: number): Promise<OutboxPage> => unwrap(commands.listOutbox(all, limit)),
  retryOutbox: async (id: string): Promise<void> => {
    await unwrap(commands.retryOutbox(id));
  },
  cancelOutbox: async (id: string): Promise<void> => {
    await unwrap(commands.cancelOutbox(id));
  },
  /** Queues the contacts kept on this computer for the cloud; answers how many. */
  shareLocalContacts: (): Promise<number> => unwrap(commands.shareLocalContacts()),

  localApiStatus: (): Promise<LocalApiStatus> => unwrap(commands.localApiStatus()),
  /** Starts the local API on 127.0.0.1:port (null: the remembered port, else 7788); throws when the port is taken or the keyring cannot be reached. */
  localApiStart: (port: number | null): Promise<LocalApiStatus> => unwrap(commands.localApiStart(port)),
  /** Stops it: it stops listening at once. */
  localApiStop: (): Promise<LocalApiStatus> => unwrap(commands.localApiStop()),
  /** The signed-in user's bearer token for the local API (made on first use); rotate=true replaces it, and the old one stops working. */
  apiToken: (rotate: boolean): Promise<string> => unwrap(commands.apiToken(rotate)),

  integrationsList: (): Promise<IntegrationStatus[]> => unwrap(commands.integrationsList()),
  /**
   * Connects with a pasted credential: a HubSpot private-app token, or Zapier's Catch Hook URL (as `token`, with url null).
   * Callers pass it from the field at the moment of the call, never from state or a cache.
   */
  integrationConnect: (name: string, url: string | null, token: string): Promise<IntegrationStatus> =>
    unwrap(commands.integrationConnect(name, url, token)),
  integrationDisconnect: (name: string): Promise<IntegrationStatus> => unwrap(commands.integrationDisconnect(name)),
  integrationSetOptions: (name: string, options: IntegrationOptions): Promise<IntegrationStatus> =>
    unwrap(commands.integrationSetOptions(name, options)),
  oauthApps: (): Promise<OAuthAppView[]> => unwrap(commands.oauthApps()),
  /** Admin only; a client secret goes to the keyring. */
  setOauthApp: (name: string, app: OAuthApp): Promise<OAuthAppView> => unwrap(commands.setOauthApp(name, app)),
  /**
   * OAuth sign-in: Rust sends the link as an "integration-sign-in" event and to the system browser, then waits (up to
   * 5 minutes) for the browser to come back. A second sign-in to the same integration ends the first with "canceled".
   */
  integrationSignIn: (name: string, url: string | null): Promise<IntegrationStatus> =>
    unwrap(commands.integrationSignIn(name, url)),
  contactIntegrations: (contactId: string): Promise<ContactResult[]> => unwrap(commands.contactIntegrations(contactId)),
  /** Sends the contact's latest change to the integration again; the sync worker takes it up within seconds. */
  retryIntegration: async (name: string, contactId: string): Promise<void> => {
    await unwrap(commands.retryIntegration(name, contactId));
  },
  /** Opens the contact's record at the integration in the system browser. */
  openIntegrationRecord: async (name: string, contactId: string): Promise<void> => {
    await unwrap(commands.openIntegrationRecord(name, contactId));
  },

  settingsShow: (): Promise<Settings> => unwrap(commands.settingsShow()),
  /** Changes one setting; a refusal names its field ("smtp", "reminders", ...); Admin-only ones are refused to others. */
  settingsSet: (key: SettingKey, value: string): Promise<Settings> => unwrap(commands.settingsSet(key, value)),
  credentialsStatus: (): Promise<Credentials> => unwrap(commands.credentialsStatus()),
  /**
   * Stores the SMTP password or SMS token in the keyring (Admins only); answers which are configured, never a value.
   * Callers pass it from the password field at the moment of the call, never from state or a cache.
   */
  credentialSet: (which: Credential, value: string): Promise<Credentials> => unwrap(commands.credentialSet(which, value)),
  sendTestEmail: async (to: string): Promise<void> => {
    await unwrap(commands.sendTestEmail(to));
  },
  sendTestSms: async (to: string): Promise<void> => {
    await unwrap(commands.sendTestSms(to));
  },
  /** The native open dialog for the mail server's CA certificate; its path, or null when canceled. */
  chooseCaFile: (): Promise<string | null> => unwrap(commands.chooseCaFile()),

  listUsers: (): Promise<User[]> => unwrap(commands.listUsers()),
  /** Admins only, and never while a cloud account supplies the users; team (created when new) may be null. */
  addUser: (email: string, name: string, role: Role, team: string | null): Promise<User> =>
    unwrap(commands.addUser(email, name, role, team)),
  updateUser: (email: string, change: UserChange): Promise<User> => unwrap(commands.updateUser(email, change)),
  /** Their contacts and upcoming meetings go to reassignTo first. */
  removeUser: (email: string, reassignTo: string): Promise<Removed> => unwrap(commands.removeUser(email, reassignTo)),
  /** Admins only: Cardfile acts as this user from now on (the window and the command line). */
  signInAs: async (email: string): Promise<void> => {
    await unwrap(commands.signInAs(email));
  },
};

/** The message to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return toApiError(e).message;
}
