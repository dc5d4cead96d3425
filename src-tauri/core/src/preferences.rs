//! Changing settings, each checked by the module whose rule it is: the signed-in user, the
//! default phone region, which reminders and follow-ups meetings get, and where notifications
//! are delivered from. The settings that decide who acts and where a credential is sent are
//! an Admin's, and so are the SMTP password and the SMS token kept for those servers.

use serde::{Deserialize, Serialize};

use crate::channels;
use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use crate::settings::{
    default_region, get, put, DEFAULT_REGION, EMAIL_FROM, FOLLOW_UP, REMINDERS, SMS_ACCOUNT,
    SMS_FROM, SMS_GATEWAY, SMTP, USER,
};
use crate::store::Store;
use crate::users::{self, Role, User};
use crate::{notify, phone, settings};

/// A setting the command line (`settings set KEY VALUE`) and the window's Settings can
/// change, spelt as the command line spells it ("smtp-ca-file").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename = "SettingKey", rename_all = "kebab-case")]
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
    /// A PEM file of certificates to trust for the SMTP server (a company's own CA).
    SmtpCaFile,
    EmailFrom,
    /// The SMS gateway's base URL (Twilio-style), its account id and the sending number.
    SmsGateway,
    SmsAccount,
    SmsFrom,
    /// The cloud's rate limits (default 5 a second, 200 in five minutes, as documented), the
    /// network timeout and the backoff after a failure (first wait and cap), in milliseconds.
    CloudPerSecond,
    CloudPerFiveMinutes,
    CloudTimeoutMs,
    CloudBackoffMs,
    CloudBackoffCapMs,
}

impl Key {
    /// Settings that change who Cardfile acts as or where a stored password or token is
    /// sent: roles guard against mistakes on one machine, and these are the mistakes (or
    /// the way round a role) that would hand a Member the Admin's reach or credentials.
    pub fn admin_only(self) -> bool {
        matches!(
            self,
            Key::User
                | Key::Smtp
                | Key::SmtpCaFile
                | Key::SmsGateway
                | Key::SmsAccount
                | Key::CloudPerSecond
                | Key::CloudPerFiveMinutes
        )
    }

    /// The setting as the command line spells it.
    pub fn label(self) -> &'static str {
        match self {
            Key::User => "user",
            Key::DefaultRegion => "default-region",
            Key::Reminders => "reminders",
            Key::FollowUp => "follow-up",
            Key::Smtp => "smtp",
            Key::SmtpCaFile => "smtp-ca-file",
            Key::EmailFrom => "email-from",
            Key::SmsGateway => "sms-gateway",
            Key::SmsAccount => "sms-account",
            Key::SmsFrom => "sms-from",
            Key::CloudPerSecond => "cloud-per-second",
            Key::CloudPerFiveMinutes => "cloud-per-five-minutes",
            Key::CloudTimeoutMs => "cloud-timeout-ms",
            Key::CloudBackoffMs => "cloud-backoff-ms",
            Key::CloudBackoffCapMs => "cloud-backoff-cap-ms",
        }
    }
}

/// A whole number from 1 to `max`, as text.
fn whole(key: Key, value: &str, max: u64) -> Result<String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n.to_string()),
        _ => Err(Error::invalid(
            "value",
            format!("{} takes a whole number from 1 to {max}", key.label()),
        )),
    }
}

fn require_admin(actor: &User, what: &str) -> Result<()> {
    if actor.role != Role::Admin {
        return Err(Error::Forbidden(format!(
            "only an Admin can change {what}: ask your administrator"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Settings {
    /// The signed-in user's email.
    pub user: String,
    pub default_region: String,
    pub reminders: String,
    pub follow_up: String,
    pub smtp: Option<String>,
    pub smtp_ca_file: Option<String>,
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
        smtp_ca_file: get(&mut conn, settings::SMTP_CA_FILE).await?,
        email_from: get(&mut conn, EMAIL_FROM).await?,
        sms_gateway: get(&mut conn, SMS_GATEWAY).await?,
        sms_account: get(&mut conn, SMS_ACCOUNT).await?,
        sms_from: get(&mut conn, SMS_FROM).await?,
    })
}

/// Changes one setting as `actor`, each checked by the module whose rule it is. A new
/// SMTP or gateway server forgets the credential kept for the old one (in `secrets`).
pub async fn set(
    store: &Store,
    actor: &User,
    secrets: &dyn SecretStore,
    key: Key,
    value: &str,
) -> Result<Settings> {
    if key.admin_only() {
        require_admin(actor, &format!("the {} setting", key.label()))?;
    }
    let (name, value) = match key {
        Key::User => return set_user(store, actor, value).await,
        Key::DefaultRegion => return set_default_region(store, value).await,
        Key::Reminders => (
            REMINDERS,
            notify::describe(&notify::parse_steps("reminders", value)?),
        ),
        Key::FollowUp => (
            FOLLOW_UP,
            notify::describe(&notify::parse_steps("follow_up", value)?),
        ),
        Key::Smtp => (SMTP, channels::check_smtp_url(value)?),
        Key::SmtpCaFile if value.trim().is_empty() => {
            let mut tx = store.write().await?;
            sqlx::query("DELETE FROM settings WHERE key = ?")
                .bind(settings::SMTP_CA_FILE)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return show(store).await;
        }
        Key::SmtpCaFile => (settings::SMTP_CA_FILE, channels::check_ca_file(value)?),
        Key::EmailFrom => (EMAIL_FROM, channels::check_sender_email(value)?),
        Key::SmsGateway => (SMS_GATEWAY, channels::check_gateway_url(value)?),
        Key::SmsAccount => (SMS_ACCOUNT, channels::check_account(value)?),
        Key::SmsFrom => {
            let mut conn = store.pool().acquire().await?;
            let region = default_region(&mut conn).await?;
            (SMS_FROM, channels::check_sender_phone(value, &region)?)
        }
        Key::CloudPerSecond => (settings::CLOUD_PER_SECOND, whole(key, value, 1_000)?),
        Key::CloudPerFiveMinutes => (
            settings::CLOUD_PER_FIVE_MINUTES,
            whole(key, value, 1_000_000)?,
        ),
        Key::CloudTimeoutMs => (settings::CLOUD_TIMEOUT_MS, whole(key, value, 600_000)?),
        Key::CloudBackoffMs => (settings::CLOUD_BACKOFF_MS, whole(key, value, 600_000)?),
        Key::CloudBackoffCapMs => (
            settings::CLOUD_BACKOFF_CAP_MS,
            whole(key, value, 3_600_000)?,
        ),
    };
    let credential = match key {
        Key::Smtp => Some(SMTP_PASSWORD),
        Key::SmsGateway => Some(SMS_TOKEN),
        _ => None,
    };
    if let Some(secret) = credential {
        // Forgotten before the new server is saved: if the keyring cannot forget it, the
        // setting stays as it was, and a credential never follows it to another server.
        // Read and forgotten outside the write (the keyring may wait for the user to
        // unlock it), with the daily check passed and no damage found.
        store.checked().await?;
        let before = {
            let mut conn = store.pool().acquire().await?;
            get(&mut conn, name).await?
        };
        if before.is_some_and(|b| !channels::same_server(&b, &value)) {
            secrets.delete(secret)?;
        }
    }
    // Through the store's one door for writes (store.rs): it waits for the daily check and
    // refuses a file found damaged.
    let mut tx = store.write().await?;
    put(&mut tx, name, &value).await?;
    tx.commit().await?;
    show(store).await
}

/// Signs `email` in (Admins only): the app and the command line act as this user from now on.
pub async fn set_user(store: &Store, actor: &User, email: &str) -> Result<Settings> {
    require_admin(actor, "who is signed in")?;
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
    let mut tx = store.write().await?;
    put(&mut tx, DEFAULT_REGION, &code.trim().to_ascii_uppercase()).await?;
    tx.commit().await?;
    show(store).await
}

/// A credential the window's Settings stores in the keyring for a notification channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    /// The password of the user named in the `smtp` setting.
    SmtpPassword,
    /// The SMS gateway's auth token for the `sms-account` account.
    SmsToken,
}

impl Credential {
    fn what(self) -> &'static str {
        match self {
            Credential::SmtpPassword => "the SMTP password",
            Credential::SmsToken => "the SMS gateway token",
        }
    }

    fn secret(self) -> &'static str {
        match self {
            Credential::SmtpPassword => SMTP_PASSWORD,
            Credential::SmsToken => SMS_TOKEN,
        }
    }

    /// The field a refusal names, so the window shows it at the password field.
    fn field(self) -> &'static str {
        match self {
            Credential::SmtpPassword => "smtp_password",
            Credential::SmsToken => "sms_token",
        }
    }
}

/// Which credentials the keyring holds: whether, never what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct Credentials {
    pub smtp_password: bool,
    pub sms_token: bool,
    /// Why the keyring could not be read (locked, no session bus), if it could not.
    pub keyring_error: Option<String>,
}

/// Whether the keyring holds each credential. A keyring that cannot be reached is said, not
/// failed on: the rest of Settings still shows.
pub fn credentials(secrets: &dyn SecretStore) -> Credentials {
    let mut error = None;
    let mut held = |c: Credential| match secrets.get(c.secret()) {
        Ok(value) => value.is_some(),
        Err(e) => {
            error.get_or_insert_with(|| e.to_string());
            false
        }
    };
    let (smtp_password, sms_token) = (held(Credential::SmtpPassword), held(Credential::SmsToken));
    Credentials {
        smtp_password,
        sms_token,
        keyring_error: error,
    }
}

/// Stores a channel's credential in the keyring as `actor` (Admins only: the credential
/// goes with the server an Admin chose, and replacing it can stop every reminder).
pub fn set_credential(
    actor: &User,
    secrets: &dyn SecretStore,
    which: Credential,
    value: &str,
) -> Result<Credentials> {
    require_admin(actor, which.what())?;
    if value.trim().is_empty() {
        return Err(Error::invalid(
            which.field(),
            format!("enter {}", which.what()),
        ));
    }
    secrets.set(which.secret(), value)?;
    Ok(credentials(secrets))
}

/// Removes a channel's credential from the keyring as `actor` (Admins only, as setting it).
pub fn forget_credential(
    actor: &User,
    secrets: &dyn SecretStore,
    which: Credential,
) -> Result<Credentials> {
    require_admin(actor, which.what())?;
    secrets.delete(which.secret())?;
    Ok(credentials(secrets))
}
