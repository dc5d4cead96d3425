-- The change feed (funnel.rs): every change to a contact, appended in the transaction that
-- makes it, never rewritten or deleted; the values before and after live beside it, in a
-- table a delete purges for that person. Contact ids are handed out by a counter that only
-- goes up, so a deleted contact's id never comes back. Undo appends compensating changes as
-- a batch of their own, which names the batch it took back (batches.undoes; it keeps that
-- batch's kind: the kind's CHECK cannot change without rebuilding a table the journal
-- points at, which sqlx's migrations, always in a transaction, cannot do with foreign keys).

ALTER TABLE batches ADD COLUMN undoes INTEGER REFERENCES batches(id);

-- The next contact id is one more than the highest ever handed out: rows there now, and
-- (for ids already deleted) the journal's.
INSERT INTO counters (name, value) VALUES ('contact_ids', max(
    coalesce((SELECT max(id) FROM contacts), 0),
    coalesce((SELECT max(entity_id) FROM journal WHERE entity = 'contact'), 0)));

CREATE TABLE changes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id     INTEGER NOT NULL REFERENCES batches(id),
    contact_id   INTEGER NOT NULL,
    -- An import's new contacts are one entry: ids contact_id..last_id.
    last_id      INTEGER,
    kind         TEXT NOT NULL CHECK (kind IN ('create', 'update', 'delete', 'merge')),
    -- A merge: the contact this one folded into.
    merged_into  INTEGER,
    -- The names of the fields changed, as a JSON array.
    fields       TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('manual', 'import', 'activity', 'api', 'cloud', 'undo')),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    at           TEXT NOT NULL
);
CREATE INDEX changes_by_contact ON changes (contact_id, seq);
CREATE INDEX changes_by_merged_into ON changes (merged_into) WHERE merged_into IS NOT NULL;
CREATE TRIGGER changes_append_only_update BEFORE UPDATE ON changes
BEGIN SELECT RAISE(ABORT, 'the change feed is append-only'); END;
CREATE TRIGGER changes_append_only_delete BEFORE DELETE ON changes
BEGIN SELECT RAISE(ABORT, 'the change feed is append-only'); END;

-- A change's values (JSON objects of the fields it changed), purged when the person is deleted.
CREATE TABLE change_values (
    seq     INTEGER PRIMARY KEY REFERENCES changes(seq),
    before  TEXT,
    after   TEXT
);
