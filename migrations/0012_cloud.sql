-- The OnceHub cloud account (sync/): which local contact is which cloud contact, what the
-- cloud last held for it, the outbox of remote calls fed by the change feed, the send log the
-- rate limiter shares between processes, and the cloud ids of users and bookings.

-- A local contact's cloud twin. The row outlives the local contact until its DELETE is
-- delivered (the remote id is needed for it), so there is no foreign key.
CREATE TABLE remote_contacts (
    contact_id      INTEGER PRIMARY KEY,
    -- CTC-...; null while the contact is kept on this computer only.
    remote_id       TEXT UNIQUE,
    -- The synced fields as the cloud last held them (JSON object): what "changed remotely"
    -- and "changed locally" are measured against.
    shadow          TEXT NOT NULL DEFAULT '{}',
    -- The cloud's last_updated_time for it, to skip a contact a pull sees again unchanged.
    remote_updated  TEXT,
    -- Imported with "keep this import on this computer only": never pushed until shared.
    local_only      INTEGER NOT NULL DEFAULT 0 CHECK (local_only IN (0, 1)),
    -- The reconcile pass (sync/reconcile) that last saw it in the cloud's list.
    seen_pass       INTEGER NOT NULL DEFAULT 0
);

-- One remote call waiting or done. At most one pending item per target and contact: later
-- changes coalesce into it (its fields grow; the values sent are the contact's at send time).
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL,
    contact_id  INTEGER NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    -- The names of the fields to send (JSON array); a create sends every field with a value.
    fields      TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'sent', 'canceled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    -- Grows each time a change joins the item: a delivery that read an older version
    -- leaves the item pending, so a change made while it was on the wire is not lost.
    version     INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    next_at     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    -- What was (or, for a failed item, would have been) sent: a JSON object of before/after.
    sent        TEXT
);
CREATE UNIQUE INDEX outbox_open ON outbox (target, contact_id) WHERE status = 'pending';
CREATE INDEX outbox_by_status ON outbox (status, next_at);
CREATE INDEX outbox_by_contact ON outbox (contact_id);

-- Every request sent to a rate-limited target, in milliseconds since the epoch: the sliding
-- windows every process (the window, a CLI sync, cron) counts before it sends.
CREATE TABLE remote_sends (
    target  TEXT NOT NULL,
    at_ms   INTEGER NOT NULL
);
CREATE INDEX remote_sends_by_time ON remote_sends (target, at_ms);

ALTER TABLE users ADD COLUMN remote_id TEXT;
CREATE UNIQUE INDEX users_by_remote_id ON users (remote_id) WHERE remote_id IS NOT NULL;

-- A booking's or conversation's cloud id: seen again, it updates its activity.
ALTER TABLE activities ADD COLUMN remote_id TEXT;
ALTER TABLE activities ADD COLUMN calendar_id TEXT;
CREATE UNIQUE INDEX activities_by_remote_id ON activities (remote_id) WHERE remote_id IS NOT NULL;

-- A contact pulled from the cloud whose email names one local contact and whose mobile phone
-- another is held for review like an activity's: the Review list learns the source 'cloud'.
CREATE TABLE review_items_new (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL CHECK (source IN ('activity', 'import', 'cloud')),
    activity_id       INTEGER REFERENCES activities(id),
    given             TEXT NOT NULL,
    email_contact_id  INTEGER,
    phone_contact_id  INTEGER,
    reason            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    dismissed_at      TEXT,
    batch_id          INTEGER REFERENCES batches(id)
);
INSERT INTO review_items_new SELECT id, source, activity_id, given, email_contact_id,
    phone_contact_id, reason, created_at, dismissed_at, batch_id FROM review_items;
DROP TABLE review_items;
ALTER TABLE review_items_new RENAME TO review_items;
CREATE INDEX review_items_by_batch ON review_items (batch_id);
