-- The CRMs, calendars and Zapier hook Cardfile sends email and phone changes to (issue 14).
-- Tokens and hook URLs are never here: they live in the OS keyring.

-- One row per connected integration.
CREATE TABLE integrations (
    name             TEXT PRIMARY KEY
                     CHECK (name IN ('hubspot', 'salesforce', 'google', 'exchange', 'zapier')),
    -- The API's base URL (a Salesforce instance's own; none for Zapier: the hook URL is secret).
    url              TEXT,
    account          TEXT,
    connected_at     TEXT NOT NULL,
    -- connected: delivering; reconnect: its token was refused and could not be refreshed
    -- (work waits, queued); gone: the remote removed it (Zapier's 410), nothing is queued.
    state            TEXT NOT NULL DEFAULT 'connected'
                     CHECK (state IN ('connected', 'reconnect', 'gone')),
    -- Why the user must connect again.
    problem          TEXT,
    -- "Keep CRM fields in sync": every field a person edits goes, not only email and phones.
    keep_fields      INTEGER NOT NULL DEFAULT 0 CHECK (keep_fields IN (0, 1)),
    last_result      TEXT
);

-- An integration item's values before the first change it holds (JSON object, field -> value):
-- the previous email a CRM record and a meeting's guest are found by.
ALTER TABLE outbox ADD COLUMN before TEXT;

-- What each integration last did for each contact (the contact pane), and the remote record
-- found, so the next change goes straight to it.
CREATE TABLE integration_results (
    target       TEXT NOT NULL,
    contact_id   INTEGER NOT NULL,
    result       TEXT NOT NULL CHECK (result IN ('updated', 'not found', 'failed', 'nothing to send')),
    detail       TEXT NOT NULL,
    remote_type  TEXT,
    remote_id    TEXT,
    remote_url   TEXT,
    -- Calendars: each meeting of the contact, updated or not and why (JSON array).
    meetings     TEXT NOT NULL DEFAULT '[]',
    -- The values the last change was found by (JSON object), for Retry.
    before       TEXT,
    at           TEXT NOT NULL,
    PRIMARY KEY (target, contact_id)
);
