// The TanStack Query keys shared by the components that read data; what a change refreshes is changes.ts's (one place).

/** Every page of the contact list lives under this key: invalidate it after any change to contacts. */
export const CONTACTS_KEY = ["contacts"] as const;

/** The signed-in user and database (appInfo). */
export const APP_INFO_KEY = ["app-info"] as const;

/** Single contacts fetched by id (the merge dialog names the others): invalidate after any change. */
export const CONTACT_KEY = ["contact"] as const;
export const contactKey = (id: string) => [...CONTACT_KEY, id] as const;

/** A contact's journal, as the pane's History shows it: invalidate after saves and undo. */
export const HISTORY_KEY = ["history"] as const;
export const historyKey = (id: string) => [...HISTORY_KEY, id] as const;


/** Activities, all of them or one contact's (the pane's timeline): invalidate after logging, saves, merges, deletes and undo. */
export const ACTIVITIES_KEY = ["activities"] as const;
export const activitiesKey = (contact: string | null) => [...ACTIVITIES_KEY, contact ?? "all"] as const;
// Under ACTIVITIES_KEY: whatever refreshes activities (saves, merges, undo, logging) refreshes reminders too.
export const NOTIFICATIONS_KEY = [...ACTIVITIES_KEY, "notifications"] as const;
export const notificationsKey = (contact: string) => [...NOTIFICATIONS_KEY, contact] as const;
/** The Notifications view: every one, whatever its status (also refreshed by each "notifications-changed" event). */
export const ALL_NOTIFICATIONS_KEY = [...NOTIFICATIONS_KEY, "all"] as const;
/** How many have failed: the navigation's count. */
export const FAILED_NOTIFICATIONS_KEY = [...NOTIFICATIONS_KEY, "failed"] as const;
/** Email's and SMS's state at the top of the Notifications view: refresh after a change to their settings. */
export const NOTIFICATION_CHANNELS_KEY = [...NOTIFICATIONS_KEY, "channels"] as const;

/** Identities held for review (email and mobile phone named different contacts): invalidate after logging. */
export const CONFLICTS_KEY = ["conflicts"] as const;

/** The cloud account and what waits for it: its status (counts, drain time) and the import dialog's estimates. Invalidate after any change to contacts and after each sync. */
export const CLOUD_KEY = ["cloud"] as const;
export const CLOUD_STATUS_KEY = [...CLOUD_KEY, "status"] as const;
export const cloudEstimateKey = (count: number) => [...CLOUD_KEY, "estimate", count] as const;

/** The outbox, as the Outbox view lists it (waiting only, or everything): invalidate after any change to contacts and after each sync. */
export const OUTBOX_KEY = ["outbox"] as const;
export const outboxKey = (all: boolean, limit: number) => [...OUTBOX_KEY, all ? "all" : "waiting", limit] as const;

/** The background sync's state: fetched once, then set from each "sync-state" event (changes.ts). */
export const SYNC_STATE_KEY = ["sync-state"] as const;

/** The local REST API's state (Settings → Local API): set from what start and stop answer. */
export const LOCAL_API_KEY = ["local-api"] as const;
/** The signed-in user's token for it, read from the keyring while the section shows it. */
export const API_TOKEN_KEY = ["api-token"] as const;

/** The CRM and calendar integrations: their status and counts, the OAuth apps, each contact's results. Invalidate after any change to contacts (it queues work for them) and after each sync. */
export const INTEGRATIONS_KEY = ["integrations"] as const;
export const INTEGRATIONS_STATUS_KEY = [...INTEGRATIONS_KEY, "status"] as const;
export const OAUTH_APPS_KEY = [...INTEGRATIONS_KEY, "oauth-apps"] as const;
export const contactIntegrationsKey = (contact: string) => [...INTEGRATIONS_KEY, "contact", contact] as const;

/** Settings → Reminders, Email, SMS and Region: the stored settings, set from what each save answers. */
export const SETTINGS_KEY = ["settings"] as const;
/** Whether the keyring holds the SMTP password and SMS token: set from what storing one answers. */
export const CREDENTIALS_KEY = ["credentials"] as const;

/** Users and their roles and teams (Users & teams, the Owner filter and column): invalidate after any change to users. */
export const USERS_KEY = ["users"] as const;
