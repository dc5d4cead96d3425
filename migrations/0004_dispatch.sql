-- What the dispatcher and canceling meetings need: a meeting's calendar event id (recording
-- the same event again updates that meeting), each notification's kind (a meeting reminder
-- or a workflow step), and the time of a failed notification's next attempt.

ALTER TABLE activities ADD COLUMN event_id TEXT;
CREATE UNIQUE INDEX activities_by_event ON activities (calendar, event_id) WHERE event_id IS NOT NULL;

ALTER TABLE notifications ADD COLUMN kind TEXT NOT NULL DEFAULT 'reminder' CHECK (kind IN ('reminder', 'workflow'));
UPDATE notifications SET kind = 'workflow' WHERE purpose LIKE 'Follow-up%';
ALTER TABLE notifications ADD COLUMN next_try_at TEXT;
