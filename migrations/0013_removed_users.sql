-- A user taken off the team (`users remove`): the row stays, since batches, the change feed
-- and activities name it for good (their foreign keys), but a removed user is never listed,
-- cannot sign in or be acted as, and owns no contacts (they went to another user first).
-- Adding the same email again brings the row back.

ALTER TABLE users ADD COLUMN removed_at TEXT;
