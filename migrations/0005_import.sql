-- Imports: the Review items an import holds belong to its journal batch (undo removes
-- them), and a mapping the user changed is kept for files with the same header.

ALTER TABLE review_items ADD COLUMN batch_id INTEGER REFERENCES batches(id);
CREATE INDEX review_items_by_batch ON review_items (batch_id);

CREATE TABLE import_mappings (
    header      TEXT PRIMARY KEY,
    mapping     TEXT NOT NULL,
    saved_at    TEXT NOT NULL
) WITHOUT ROWID;
