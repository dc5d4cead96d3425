-- Pending notifications: meeting reminders and workflow steps. Each holds its channel,
-- recipient address, send time and status. They follow their contact's email and mobile
-- phone while pending, move with a merge, and outlive a deleted contact.

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY,
    activity_id  INTEGER NOT NULL REFERENCES activities(id),
    contact_id   INTEGER,
    channel      TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient    TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    send_at      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'canceled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    sent_at      TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, send_at);
CREATE INDEX notifications_by_contact ON notifications (contact_id, status);
