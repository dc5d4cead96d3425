//! Settings as the database keeps them: their names, reading and writing one. What each
//! may hold, and who may change it, is preferences.rs. Passwords and tokens are never
//! settings: they live in the OS keyring (`secrets`).

use sqlx::SqliteConnection;

use crate::error::{Error, Result};

pub const USER: &str = "user";
pub const DEFAULT_REGION: &str = "default_region";
/// The region a new database reads national phone numbers in until the user sets theirs.
pub const DEFAULT_REGION_VALUE: &str = "US";
pub const REMINDERS: &str = "reminders";
pub const FOLLOW_UP: &str = "follow_up";
pub const SMTP: &str = "smtp";
/// A PEM file of certificates trusted for the SMTP server besides the system's (Admin).
pub const SMTP_CA_FILE: &str = "smtp_ca_file";
pub const EMAIL_FROM: &str = "email_from";
pub const SMS_GATEWAY: &str = "sms_gateway";
pub const SMS_ACCOUNT: &str = "sms_account";
pub const SMS_FROM: &str = "sms_from";
/// The cloud account's API base URL: set while an account is connected (its key is in the
/// keyring); the outbox fills while it is set.
pub const CLOUD_URL: &str = "cloud_url";
/// The email `GET /test` named for the account's key.
pub const CLOUD_ACCOUNT: &str = "cloud_account";
/// Pull watermarks (the newest last_updated_time seen) and the reconcile cursor.
pub const CLOUD_CONTACTS_PULLED: &str = "cloud_contacts_pulled";
pub const CLOUD_BOOKINGS_PULLED: &str = "cloud_bookings_pulled";
pub const CLOUD_LAST_PULL: &str = "cloud_last_pull";
pub const CLOUD_RECONCILE: &str = "cloud_reconcile";
/// The rate limits (requests per second, per five minutes) and the network timeout.
pub const CLOUD_PER_SECOND: &str = "cloud_per_second";
pub const CLOUD_PER_FIVE_MINUTES: &str = "cloud_per_five_minutes";
pub const CLOUD_TIMEOUT_MS: &str = "cloud_timeout_ms";
/// The backoff after a failure worth retrying: its first wait and its cap.
pub const CLOUD_BACKOFF_MS: &str = "cloud_backoff_ms";
pub const CLOUD_BACKOFF_CAP_MS: &str = "cloud_backoff_cap_ms";
/// The port the window's local API listens on (Settings → Local API), once the user chose one.
pub const API_PORT: &str = "api_port";
/// This database's own random id, made on first need (see `instance_id`).
pub const INSTANCE: &str = "instance";

pub async fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub async fn put(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn default_region(conn: &mut SqliteConnection) -> Result<String> {
    Ok(get(conn, DEFAULT_REGION)
        .await?
        .unwrap_or_else(|| DEFAULT_REGION_VALUE.to_string()))
}
/// This database's own id, made once at random: with a notification's id it names that
/// notification's message uniquely (its Message-ID), across every Cardfile database.
pub(crate) async fn instance_id(conn: &mut SqliteConnection) -> Result<String> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, lower(hex(randomblob(16)))) ON CONFLICT (key) DO NOTHING",
    )
    .bind(INSTANCE)
    .execute(&mut *conn)
    .await?;
    get(conn, INSTANCE)
        .await?
        .ok_or_else(|| Error::Internal("the database has no instance id".into()))
}
