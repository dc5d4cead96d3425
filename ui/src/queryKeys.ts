// The TanStack Query keys shared by the components that read data and those that change it.

/** Every page of the contact list lives under this key: invalidate it after any change to contacts. */
export const CONTACTS_KEY = ["contacts"] as const;

/** The signed-in user and database (appInfo). */
export const APP_INFO_KEY = ["app-info"] as const;
