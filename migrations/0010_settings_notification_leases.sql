-- A dispatcher's hold on a notification it is sending, in real time. `next_try_at` is in
-- the time a dispatch is told it is (--as-of) and served as the lease too, so a run told it
-- was later took over a send still in flight; the lease now has a column of its own.

ALTER TABLE notifications ADD COLUMN leased_until TEXT;
