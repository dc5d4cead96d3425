-- One person, one contact, kept by named UNIQUE indexes instead of column constraints: a
-- large import can then drop them with the other contact indexes and build them again in
-- one sort at its end (it checks identity in memory meanwhile), which costs a fraction of
-- a million inserts at random. Same columns, same checks, same ids.

CREATE TABLE contacts_new (
    id                  INTEGER PRIMARY KEY,
    first_name          TEXT,
    last_name           TEXT,
    salutation          TEXT,
    email               TEXT,
    mobile_phone        TEXT,
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
INSERT INTO contacts_new SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;

-- email and mobile_phone are stored normalised (lowercase; E.164) and are each unique.
CREATE UNIQUE INDEX contacts_email ON contacts (email);
CREATE UNIQUE INDEX contacts_mobile_phone ON contacts (mobile_phone);
-- The sort indexes of 0001, less the two 0006 found repeated.
CREATE INDEX contacts_by_name ON contacts (sort_name, id, search_text, owner_id);
CREATE INDEX contacts_by_company ON contacts (company COLLATE NOCASE, id);
CREATE INDEX contacts_by_job_title ON contacts (job_title COLLATE NOCASE, id);
CREATE INDEX contacts_by_updated_at ON contacts (updated_at, id);
CREATE INDEX contacts_by_owner ON contacts (owner_id);
-- The contact counter of 0001.
CREATE TRIGGER contacts_count_insert AFTER INSERT ON contacts
BEGIN UPDATE counters SET value = value + 1 WHERE name = 'contacts'; END;
CREATE TRIGGER contacts_count_delete AFTER DELETE ON contacts
BEGIN UPDATE counters SET value = value - 1 WHERE name = 'contacts'; END;
