-- The UNIQUE email and mobile-phone indexes already keep contacts in (email, id) and
-- (mobile_phone, id) order, so the two sort indexes that repeated them go: every write
-- and every import paid for them twice.

DROP INDEX contacts_by_email;
DROP INDEX contacts_by_mobile_phone;
