//! Trying the notification channels from Settings before a reminder depends on them: a test
//! email, a test SMS (each sent the way a reminder is, so a wrong password, a refused login
//! or an untrusted certificate shows now, with its reason), and each channel's state for the
//! Notifications view.

use serde::Serialize;

use crate::channels::{self, Outgoing};
use crate::dispatch::CHANNEL_REFUSED;
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::Store;
use crate::users::User;

/// The message a trial sends. Its id is 0, which no notification has.
async fn outgoing(store: &Store, user: &User, to: &str, body: &str) -> Result<Outgoing> {
    let mut conn = store.pool().acquire().await?;
    Ok(Outgoing {
        notification: 0,
        instance: format!(
            "test-{}-{}",
            settings::instance_id(&mut conn).await?,
            chrono::Utc::now().timestamp_millis()
        ),
        to: to.trim().to_string(),
        from_name: user.name.clone(),
        subject: "Cardfile test message".into(),
        body: body.into(),
    })
}

/// Sends a test email to `to` through the email settings and the keyring's password.
pub async fn send_test_email(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    to: &str,
) -> Result<()> {
    let to = channels::check_sender_email(to)
        .map_err(|_| Error::invalid("to", format!("\"{}\" is not an email address", to.trim())))?;
    let mut conn = store.pool().acquire().await?;
    let email = channels::email_channel(&mut conn, secrets).await?;
    drop(conn);
    let email = email.map_err(|problem| Error::invalid("smtp", problem))?;
    let out = outgoing(
        store,
        user,
        &to,
        "This is a test from Cardfile: reminders and follow-ups will be sent this way.",
    )
    .await?;
    channels::send_email(&email, &out)
        .await
        .map_err(|f| Error::invalid("smtp", f.message))
}

/// Sends a test SMS to `to` through the SMS gateway settings and the keyring's token.
pub async fn send_test_sms(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    to: &str,
) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    let region = settings::default_region(&mut conn).await?;
    let to = channels::check_sender_phone(to, &region).map_err(|_| {
        Error::invalid(
            "to",
            format!("\"{}\" is not a mobile phone number", to.trim()),
        )
    })?;
    let sms = channels::sms_channel(&mut conn, secrets).await?;
    drop(conn);
    let sms = sms.map_err(|problem| Error::invalid("sms_gateway", problem))?;
    let out = outgoing(
        store,
        user,
        &to,
        "Cardfile test: SMS reminders will be sent this way.",
    )
    .await?;
    channels::send_sms(&sms, &out)
        .await
        .map_err(|f| Error::invalid("sms_gateway", f.message))
}

/// A channel as the Notifications view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ChannelState {
    /// email or sms.
    pub channel: String,
    /// Set up, its credential in the keyring, and its last login not refused.
    pub ready: bool,
    /// "ready", or why not and what to do ("the keyring is locked", "login refused").
    pub state: String,
}

/// Each channel's state: its settings and keyring entry, then the last refusal its
/// notifications are waiting on (a login refused), if any.
pub async fn channel_states(store: &Store, secrets: &dyn SecretStore) -> Result<Vec<ChannelState>> {
    let mut conn = store.pool().acquire().await?;
    let email = channels::email_channel(&mut conn, secrets).await?.err();
    let sms = channels::sms_channel(&mut conn, secrets).await?.err();
    let mut states = Vec::new();
    for (channel, problem) in [("email", email), ("sms", sms)] {
        // A refusal is kept on the notifications it holds back (dispatch's "Released").
        let refused: Option<String> = sqlx::query_scalar(
            "SELECT last_error FROM notifications WHERE channel = ? AND status = 'pending' \
             AND substr(last_error, -length(?2)) = ?2 ORDER BY id DESC LIMIT 1",
        )
        .bind(channel)
        .bind(CHANNEL_REFUSED)
        .fetch_optional(&mut *conn)
        .await?;
        let problem = problem.or(refused);
        states.push(ChannelState {
            channel: channel.into(),
            ready: problem.is_none(),
            state: problem.unwrap_or_else(|| "ready".into()),
        });
    }
    Ok(states)
}
