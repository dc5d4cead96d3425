//! Settings kept in the database: the signed-in user, the default phone region, which
//! reminders and follow-ups meetings get, and where notifications are delivered from.
//! Passwords and tokens are never settings: they live in the OS keyring (`secrets`).

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::users;
use crate::{dispatch, notify, phone};

pub const USER: &str = "user";
pub const DEFAULT_REGION: &str = "default_region";
/// The region a new database reads national phone numbers in until the user sets theirs.
pub const DEFAULT_REGION_VALUE: &str = "US";
pub const REMINDERS: &str = "reminders";
pub const FOLLOW_UP: &str = "follow_up";
pub const SMTP: &str = "smtp";
pub const EMAIL_FROM: &str = "email_from";
pub const SMS_GATEWAY: &str = "sms_gateway";
pub const SMS_ACCOUNT: &str = "sms_account";
pub const SMS_FROM: &str = "sms_from";

/// A setting the command line can change (`settings set KEY VALUE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    User,
    DefaultRegion,
    /// Reminders before a scheduled meeting, e.g. "email 24h, email 1h, sms 1h" ("none": none).
    Reminders,
    /// Workflow steps after a completed meeting, e.g. "email 2d".
    FollowUp,
    /// The SMTP server as a URL without password: smtp://host:25, smtp://user@host:587?tls=required
    /// (STARTTLS), smtps://user@host:465 (TLS).
    Smtp,
    EmailFrom,
    /// The SMS gateway's base URL (Twilio-style), its account id and the sending number.
    SmsGateway,
    SmsAccount,
    SmsFrom,
}

pub async fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub(crate) async fn put(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
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

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Settings {
    /// The signed-in user's email.
    pub user: String,
    pub default_region: String,
    pub reminders: String,
    pub follow_up: String,
    pub smtp: Option<String>,
    pub email_from: Option<String>,
    pub sms_gateway: Option<String>,
    pub sms_account: Option<String>,
    pub sms_from: Option<String>,
}

pub async fn show(store: &Store) -> Result<Settings> {
    let user = users::acting_user(store, None).await?;
    let mut conn = store.pool().acquire().await?;
    Ok(Settings {
        user: user.email,
        default_region: default_region(&mut conn).await?,
        reminders: notify::describe(&notify::reminders(&mut conn).await?),
        follow_up: notify::describe(&notify::follow_up(&mut conn).await?),
        smtp: get(&mut conn, SMTP).await?,
        email_from: get(&mut conn, EMAIL_FROM).await?,
        sms_gateway: get(&mut conn, SMS_GATEWAY).await?,
        sms_account: get(&mut conn, SMS_ACCOUNT).await?,
        sms_from: get(&mut conn, SMS_FROM).await?,
    })
}

/// Changes one setting, each checked by the module whose rule it is.
pub async fn set(store: &Store, key: Key, value: &str) -> Result<Settings> {
    let (name, value) = match key {
        Key::User => return set_user(store, value).await,
        Key::DefaultRegion => return set_default_region(store, value).await,
        Key::Reminders => (
            REMINDERS,
            notify::describe(&notify::parse_steps("reminders", value)?),
        ),
        Key::FollowUp => (
            FOLLOW_UP,
            notify::describe(&notify::parse_steps("follow_up", value)?),
        ),
        Key::Smtp => (SMTP, dispatch::check_smtp_url(value)?),
        Key::EmailFrom => (EMAIL_FROM, dispatch::check_sender_email(value)?),
        Key::SmsGateway => (SMS_GATEWAY, dispatch::check_gateway_url(value)?),
        Key::SmsAccount => (SMS_ACCOUNT, dispatch::check_account(value)?),
        Key::SmsFrom => {
            let mut conn = store.pool().acquire().await?;
            let region = default_region(&mut conn).await?;
            (SMS_FROM, dispatch::check_sender_phone(value, &region)?)
        }
    };
    let mut conn = store.pool().acquire().await?;
    put(&mut conn, name, &value).await?;
    drop(conn);
    show(store).await
}

/// Signs `email` in: the app and the command line act as this user from now on.
pub async fn set_user(store: &Store, email: &str) -> Result<Settings> {
    let mut tx = store.write().await?;
    let user = users::find_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user with email {}", email.trim())))?;
    put(&mut tx, USER, &user.id.to_string()).await?;
    tx.commit().await?;
    show(store).await
}

/// Sets the region that national phone numbers are read in (ISO 3166 alpha-2, e.g. GB).
pub async fn set_default_region(store: &Store, code: &str) -> Result<Settings> {
    if !phone::is_region(code) {
        return Err(Error::invalid(
            "default_region",
            format!("\"{}\" is not a region code like US, GB or DE", code.trim()),
        ));
    }
    let mut conn = store.pool().acquire().await?;
    put(&mut conn, DEFAULT_REGION, &code.trim().to_ascii_uppercase()).await?;
    drop(conn);
    show(store).await
}
