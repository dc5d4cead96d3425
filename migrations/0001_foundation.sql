-- Cardfile's first schema: users and teams, settings, contacts with their search index,
-- and the change journal that history, undo and the sync outbox are built on.

CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    email       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'team_manager', 'member')),
    created_at  TEXT NOT NULL
);

CREATE TABLE teams (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

-- Every field of OnceHub's Contact object. email and mobile_phone are stored normalised
-- (lowercase; E.164) and are each unique: one person, one contact.
-- sort_name and search_text are derived from the fields on every write (store.rs).
CREATE TABLE contacts (
    id                  INTEGER PRIMARY KEY,
    first_name          TEXT,
    last_name           TEXT,
    salutation          TEXT,
    email               TEXT UNIQUE,
    mobile_phone        TEXT UNIQUE,
    phone               TEXT,
    company             TEXT,
    job_title           TEXT,
    street_address      TEXT,
    city                TEXT,
    state               TEXT,
    post_code           TEXT,
    country             TEXT,
    timezone            TEXT,
    status              TEXT CHECK (status IN ('Qualified', 'Sales qualified', 'Marketing qualified', 'Disqualified')),
    has_consent         INTEGER CHECK (has_consent IN (0, 1)),
    notes               TEXT,
    owner_id            INTEGER NOT NULL REFERENCES users(id),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_interacted_at  TEXT,
    sort_name           TEXT NOT NULL,
    search_text         TEXT NOT NULL,
    CHECK (email IS NOT NULL OR mobile_phone IS NOT NULL)
);

-- One index per sortable column, with id as the tie-breaker, so a page is an index walk.
-- The name index (the default order) also covers search_text and owner_id, so a
-- type-ahead walk in name order tests each contact without leaving the index.
CREATE INDEX contacts_by_name ON contacts (sort_name, id, search_text, owner_id);
CREATE INDEX contacts_by_email ON contacts (email, id);
CREATE INDEX contacts_by_mobile_phone ON contacts (mobile_phone, id);
CREATE INDEX contacts_by_company ON contacts (company COLLATE NOCASE, id);
CREATE INDEX contacts_by_job_title ON contacts (job_title COLLATE NOCASE, id);
CREATE INDEX contacts_by_updated_at ON contacts (updated_at, id);
CREATE INDEX contacts_by_owner ON contacts (owner_id);

-- Word-prefix search (search.rs): one row per (word, contact), each word's contacts kept
-- in name order, so the first page of a word's matches is a short index walk.
CREATE TABLE search_terms (
    term        TEXT NOT NULL,
    sort_name   TEXT NOT NULL,
    contact_id  INTEGER NOT NULL,
    PRIMARY KEY (term, sort_name, contact_id)
) WITHOUT ROWID;

-- Every distinct word with how many contacts have it: a prefix's words and their counts
-- without reading their contacts, which is how a search picks its plan.
CREATE TABLE search_vocab (
    term  TEXT PRIMARY KEY,
    n     INTEGER NOT NULL
) WITHOUT ROWID;

-- The contact count the window shows, kept exact by triggers so it never needs a scan.
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('contacts', 0);
CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts'; END;
CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts
BEGIN UPDATE counters SET value = value - 1 WHERE name = 'contacts'; END;

-- The journal: every change is a batch (who, when, what kind) of row changes with the row
-- images before and after (JSON). Undo replays a batch backwards; history reads it; the
-- sync outbox will read it forwards. A delete leaves a tombstone and purges the person's
-- data from earlier entries (purged = 1).
CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL CHECK (kind IN ('add', 'edit', 'merge', 'import', 'delete', 'activity', 'settings', 'users')),
    at         TEXT NOT NULL,
    summary    TEXT NOT NULL,
    undone_at  TEXT
);
CREATE INDEX batches_by_user ON batches (user_id, id);

CREATE TABLE journal (
    id         INTEGER PRIMARY KEY,
    batch_id   INTEGER NOT NULL REFERENCES batches(id),
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    before     TEXT,
    after      TEXT,
    purged     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX journal_by_batch ON journal (batch_id, id);
CREATE INDEX journal_by_entity ON journal (entity, entity_id, id);
