-- A new database's first user: its local owner, an Admin and the signed-in user, with the
-- default phone region (users::LOCAL_OWNER_EMAIL, settings::DEFAULT_REGION_VALUE). Made by
-- the schema itself, so opening a store needs no feature above storage. A database that
-- already has users (every one made before this migration) is left as it is.

INSERT INTO users (email, name, role, created_at)
    SELECT 'owner@cardfile.local', 'Local owner', 'admin', strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
    WHERE NOT EXISTS (SELECT 1 FROM users);
INSERT INTO settings (key, value)
    SELECT 'user', (SELECT id FROM users WHERE email = 'owner@cardfile.local')
    WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'user')
    AND EXISTS (SELECT 1 FROM users WHERE email = 'owner@cardfile.local');
INSERT INTO settings (key, value)
    SELECT 'default_region', 'US'
    WHERE NOT EXISTS (SELECT 1 FROM settings WHERE key = 'default_region');
