-- The contacts table's Owner and Status filters, each a page in name order from an index:
-- an owner's contacts by name (the plain owner index gave them in id order, so the first
-- page of a large owner, or of a Member's own contacts, sorted all of them), and each
-- status's contacts by name with their owners covered (partial: contacts without a
-- status, most imported ones, cost nothing to keep).

DROP INDEX contacts_by_owner;
CREATE INDEX contacts_by_owner ON contacts (owner_id, sort_name, id);
CREATE INDEX contacts_by_status ON contacts (status, sort_name, id, owner_id) WHERE status IS NOT NULL;
