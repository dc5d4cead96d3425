-- Activities (meetings, chatbot conversations, routing-form submissions) and the Review
-- list of identities that point two ways. An activity keeps a snapshot of who it was with,
-- so it outlives its contact: deleting the contact only unlinks it.

CREATE TABLE activities (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('meeting', 'chat', 'form')),
    contact_id       INTEGER,
    contact_deleted  INTEGER NOT NULL DEFAULT 0 CHECK (contact_deleted IN (0, 1)),
    host_id          INTEGER NOT NULL REFERENCES users(id),
    status           TEXT CHECK (status IN ('scheduled', 'rescheduled', 'canceled', 'completed', 'no-show')),
    starts_at        TEXT,
    ends_at          TEXT,
    calendar         TEXT CHECK (calendar IN ('google', 'exchange', 'other')),
    -- What the customer gave, as JSON contact fields.
    given            TEXT NOT NULL,
    with_name        TEXT,
    with_email       TEXT,
    with_phone       TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX activities_by_contact ON activities (contact_id, id);

-- Held for review: the email named one contact and the mobile phone another.
CREATE TABLE review_items (
    id                INTEGER PRIMARY KEY,
    source            TEXT NOT NULL CHECK (source IN ('activity', 'import')),
    activity_id       INTEGER REFERENCES activities(id),
    given             TEXT NOT NULL,
    email_contact_id  INTEGER,
    phone_contact_id  INTEGER,
    reason            TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    dismissed_at      TEXT
);
