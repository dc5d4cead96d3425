//! The dispatcher: sends the notifications that are due (email over SMTP, SMS through a
//! Twilio-style gateway), retries a failure with backoff and records every outcome. A
//! reminder whose meeting has started, or is no longer booked, is not sent.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;
use sqlx::SqliteConnection;

use crate::contact::normalize_email;
use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use crate::settings;
use crate::store::{now, Store};

/// Attempts before a notification is given up as failed.
pub const MAX_ATTEMPTS: i64 = 5;
/// The wait after the 1st, 2nd, 3rd and 4th failed attempt, in minutes.
const BACKOFF_MINUTES: [i64; 4] = [1, 5, 30, 120];
/// How long a dispatcher holds a notification it is sending (so a second one skips it).
const LEASE_MINUTES: i64 = 10;
const NETWORK_TIMEOUT: Duration = Duration::from_secs(20);

/// What one dispatch did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
pub struct Dispatched {
    pub sent: u32,
    /// Failed this time, to be tried again later.
    pub retrying: u32,
    /// Given up: a permanent refusal, or the last attempt failed.
    pub failed: u32,
    /// Reminders not sent because their meeting had started or is no longer booked.
    pub expired: u32,
    /// Due, but their channel is not set up: they stay pending.
    pub waiting: u32,
    /// Why channels are not set up, to tell the user.
    pub problems: Vec<String>,
}

/// A URL as an error message may show it: anything before an '@' (a user and perhaps a
/// password) is hidden, whether or not the text parses as a URL.
fn redacted(value: &str) -> String {
    let v = value.trim();
    match (v.find("://"), v.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => format!("{}***{}", &v[..s + 3], &v[at..]),
        (None, Some(at)) => format!("***{}", &v[at..]),
        _ => v.to_string(),
    }
}

/// Checks the `smtp` setting: a URL with no password (that goes in the keyring).
pub fn check_smtp_url(value: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("smtp", format!("\"{}\" {why}", redacted(value)));
    let url = url::Url::parse(value.trim()).map_err(|_| {
        bad("is not a URL like smtp://user@mail.example.com:587?tls=required or smtps://user@mail.example.com")
    })?;
    if !matches!(url.scheme(), "smtp" | "smtps") {
        return Err(bad("is not an smtp:// or smtps:// URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("names no server"));
    }
    if url.password().is_some() {
        return Err(Error::invalid(
            "smtp",
            "the URL holds a password: leave it out and store it in the keyring with `cardfile secrets set smtp-password`",
        ));
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
        .map_err(|e| bad(&format!("is not usable: {e}")))?;
    Ok(url.to_string())
}

/// Checks the `sms_gateway` setting: an https URL (http only on this machine, for testing).
pub fn check_gateway_url(value: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid("sms_gateway", format!("\"{}\" {why}", redacted(value)));
    let url = url::Url::parse(value.trim())
        .map_err(|_| bad("is not a URL like https://api.twilio.com"))?;
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        _ => {
            return Err(bad(
                "is not an https:// URL (the token would travel in clear)",
            ))
        }
    }
    if url.username() != "" || url.password().is_some() {
        return Err(bad("holds credentials: set sms-account, and the token with `cardfile secrets set sms-token`"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

pub fn check_account(value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "sms_account",
            format!("\"{v}\" is not an account id like AC0123456789abcdef"),
        ));
    }
    Ok(v.to_string())
}

pub fn check_sender_email(value: &str) -> Result<String> {
    normalize_email(value)?
        .ok_or_else(|| Error::invalid("email_from", "an email address is needed"))
}

pub fn check_sender_phone(value: &str, region: &str) -> Result<String> {
    crate::phone::normalize(value, region)
        .map_err(|why| Error::invalid("sms_from", why))?
        .ok_or_else(|| Error::invalid("sms_from", "a phone number is needed"))
}

/// Why one attempt failed, and whether trying again could help.
struct Failure {
    message: String,
    permanent: bool,
    /// The channel itself was refused (a wrong password or token): nothing on it can go
    /// out until the user fixes it, so its notifications wait instead of failing.
    channel: bool,
}

type Sent = std::result::Result<(), Failure>;

struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

struct Sms {
    client: reqwest::Client,
    messages_url: String,
    account: String,
    token: String,
    from: String,
}

/// A channel: ready to send, or why it is not.
type Channel<T> = std::result::Result<T, String>;

async fn email_channel(
    conn: &mut SqliteConnection,
    secrets: &dyn SecretStore,
) -> Result<Channel<Email>> {
    let (Some(url), Some(from)) = (
        settings::get(conn, settings::SMTP).await?,
        settings::get(conn, settings::EMAIL_FROM).await?,
    ) else {
        return Ok(Err(
            "email is not set up: `cardfile settings set smtp URL` and `settings set email-from ADDRESS`".into(),
        ));
    };
    let user = url::Url::parse(&url)
        .map(|u| u.username().to_string())
        .unwrap_or_default();
    let mut builder = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&url) {
        Ok(b) => b.timeout(Some(NETWORK_TIMEOUT)),
        Err(e) => return Ok(Err(format!("the smtp setting is not usable: {e}"))),
    };
    if !user.is_empty() {
        let Some(password) = secrets.get(SMTP_PASSWORD)? else {
            return Ok(Err(
                "the SMTP password is not in the keyring: `cardfile secrets set smtp-password`"
                    .into(),
            ));
        };
        // The URL keeps the user name percent-encoded ("me%2Bcrm" for "me+crm").
        let user = percent_encoding::percent_decode_str(&user)
            .decode_utf8()
            .map(|u| u.into_owned())
            .unwrap_or(user);
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(Ok(Email {
        transport: builder.build(),
        from,
    }))
}

async fn sms_channel(
    conn: &mut SqliteConnection,
    secrets: &dyn SecretStore,
) -> Result<Channel<Sms>> {
    let (Some(gateway), Some(account), Some(from)) = (
        settings::get(conn, settings::SMS_GATEWAY).await?,
        settings::get(conn, settings::SMS_ACCOUNT).await?,
        settings::get(conn, settings::SMS_FROM).await?,
    ) else {
        return Ok(Err(
            "SMS is not set up: `cardfile settings set sms-gateway URL`, `sms-account ID` and `sms-from NUMBER`".into(),
        ));
    };
    let Some(token) = secrets.get(SMS_TOKEN)? else {
        return Ok(Err(
            "the SMS gateway token is not in the keyring: `cardfile secrets set sms-token`".into(),
        ));
    };
    // rustls needs its crypto chosen once per process (ring); a second call changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder().timeout(NETWORK_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("cannot start an HTTP client: {e}"))),
    };
    Ok(Ok(Sms {
        client,
        messages_url: format!("{gateway}/2010-04-01/Accounts/{account}/Messages.json"),
        account,
        token,
        from,
    }))
}

/// One due notification with what its message says.
#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    kind: String,
    channel: String,
    recipient: String,
    attempts: i64,
    meeting_status: Option<String>,
    starts_at: Option<String>,
    with_name: Option<String>,
    host: String,
}

impl Due {
    fn when(&self) -> String {
        self.starts_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.format("%a %-d %b %Y, %H:%M UTC").to_string())
            .unwrap_or_else(|| "the agreed time".into())
    }

    fn subject(&self) -> String {
        match self.kind.as_str() {
            "reminder" => format!(
                "Reminder: your meeting with {} on {}",
                self.host,
                self.when()
            ),
            _ => format!("Thank you for meeting with {}", self.host),
        }
    }

    fn body(&self) -> String {
        let hello = match self.with_name.as_deref().filter(|n| !n.is_empty()) {
            Some(name) => format!("Hello {name},"),
            None => "Hello,".to_string(),
        };
        match self.kind.as_str() {
            "reminder" => format!(
                "{hello}\n\nThis is a reminder of your meeting with {} on {}.\n",
                self.host,
                self.when()
            ),
            _ => format!(
                "{hello}\n\nThank you for meeting with {}. Reply to this message if there is anything we can do for you.\n",
                self.host
            ),
        }
    }

    fn text(&self) -> String {
        match self.kind.as_str() {
            "reminder" => format!("Reminder: meeting with {} on {}.", self.host, self.when()),
            _ => format!("Thank you for meeting with {}.", self.host),
        }
    }

    /// A reminder goes out only while its meeting is booked and still ahead.
    fn expired(&self, as_of: &str) -> bool {
        self.kind == "reminder"
            && (!matches!(
                self.meeting_status.as_deref(),
                Some("scheduled" | "rescheduled")
            ) || self.starts_at.as_deref().is_none_or(|s| s <= as_of))
    }
}

async fn send_email(email: &Email, due: &Due) -> Sent {
    let permanent = |message: String| Failure {
        message,
        permanent: true,
        channel: false,
    };
    let from = format!("{} <{}>", due.host.replace(['<', '>', '"'], ""), email.from)
        .parse::<Mailbox>()
        .or_else(|_| email.from.parse::<Mailbox>())
        .map_err(|e| permanent(format!("the sender {} is not an address: {e}", email.from)))?;
    let to = due
        .recipient
        .parse::<Mailbox>()
        .map_err(|e| permanent(format!("{} is not an address: {e}", due.recipient)))?;
    let message = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(due.subject())
        .header(ContentType::TEXT_PLAIN)
        .body(due.body())
        .map_err(|e| permanent(format!("cannot build the message: {e}")))?;
    email
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| {
            // 530, 534, 535, 538: the server refused the login, not this message.
            let auth = e.status().is_some_and(|code| {
                ["530", "534", "535", "538"].contains(&code.to_string().as_str())
            });
            Failure {
                message: format!("SMTP: {e}"),
                permanent: e.is_permanent(),
                channel: auth,
            }
        })
}

async fn send_sms(sms: &Sms, due: &Due) -> Sent {
    let body = due.text();
    let form = [
        ("To", due.recipient.as_str()),
        ("From", sms.from.as_str()),
        ("Body", body.as_str()),
    ];
    let response = sms
        .client
        .post(&sms.messages_url)
        .basic_auth(&sms.account, Some(&sms.token))
        .form(&form)
        .send()
        .await
        .map_err(|e| Failure {
            message: format!("SMS gateway unreachable: {}", e.without_url()),
            permanent: false,
            channel: false,
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    if status.is_success() {
        return match json["status"].as_str() {
            Some("failed" | "undelivered") => Err(Failure {
                message: format!("the SMS gateway reports the message {}", json["status"]),
                permanent: true,
                channel: false,
            }),
            _ => Ok(()),
        };
    }
    let said = json["message"].as_str().unwrap_or("").to_string();
    Err(Failure {
        message: format!("the SMS gateway answered {status}: {said}")
            .trim_end_matches([':', ' '])
            .to_string(),
        // A refusal of this request stays a refusal; overload and server trouble pass.
        permanent: status.is_client_error()
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS
            && status != reqwest::StatusCode::REQUEST_TIMEOUT,
        channel: status == reqwest::StatusCode::UNAUTHORIZED
            || status == reqwest::StatusCode::FORBIDDEN,
    })
}

/// `t` plus `minutes`, as stored times are written (notify's one time arithmetic).
fn plus_minutes(t: &str, minutes: i64) -> String {
    crate::notify::minutes(t, minutes).unwrap_or_else(|| t.to_string())
}

/// Sends every pending notification due at `as_of` (default now).
pub async fn dispatch(
    store: &Store,
    secrets: &dyn SecretStore,
    as_of: Option<&str>,
) -> Result<Dispatched> {
    // Stored times have whole seconds ("...:05Z"): `as_of` must too, or text comparison
    // puts "…:05Z" after "…:05.123Z" and a notification due this second waits.
    let as_of = match crate::activity::timestamp("as_of", &as_of.map(str::to_string))? {
        Some(t) => t,
        None => plus_minutes(&now(), 0),
    };
    let mut conn = store.pool().acquire().await?;
    let due: Vec<Due> = sqlx::query_as(
        "SELECT n.id, n.kind, n.channel, n.recipient, n.attempts, a.status AS meeting_status, \
         a.starts_at, a.with_name, u.name AS host FROM notifications n JOIN activities a ON a.id = n.activity_id \
         JOIN users u ON u.id = a.host_id WHERE n.status = 'pending' AND n.send_at <= ?1 \
         AND (n.next_try_at IS NULL OR n.next_try_at <= ?1) ORDER BY n.send_at, n.id",
    )
    .bind(&as_of)
    .fetch_all(&mut *conn)
    .await?;
    let mut done = Dispatched::default();
    if due.is_empty() {
        return Ok(done);
    }
    let mut email: Option<Channel<Email>> = None;
    let mut sms: Option<Channel<Sms>> = None;
    for n in due {
        if n.expired(&as_of) {
            sqlx::query(
                "UPDATE notifications SET status = 'canceled', last_error = ? WHERE id = ? AND status = 'pending'",
            )
            .bind("not sent: the meeting had started or is no longer booked")
            .bind(n.id)
            .execute(&mut *conn)
            .await?;
            done.expired += 1;
            continue;
        }
        // Each channel is set up once, on first need: an unused one never asks the keyring.
        let ready = match n.channel.as_str() {
            "email" => {
                if email.is_none() {
                    email = Some(email_channel(&mut conn, secrets).await?);
                }
                email.as_ref().and_then(|c| c.as_ref().err())
            }
            _ => {
                if sms.is_none() {
                    sms = Some(sms_channel(&mut conn, secrets).await?);
                }
                sms.as_ref().and_then(|c| c.as_ref().err())
            }
        };
        if let Some(problem) = ready {
            if !done.problems.contains(problem) {
                done.problems.push(problem.clone());
            }
            done.waiting += 1;
            continue;
        }
        // Claim it, so a dispatcher running at the same time leaves it alone.
        let claimed = sqlx::query(
            "UPDATE notifications SET next_try_at = ?1 WHERE id = ?2 AND status = 'pending' \
             AND (next_try_at IS NULL OR next_try_at <= ?3)",
        )
        .bind(plus_minutes(&as_of, LEASE_MINUTES))
        .bind(n.id)
        .bind(&as_of)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        let outcome = match (n.channel.as_str(), &email, &sms) {
            ("email", Some(Ok(e)), _) => send_email(e, &n).await,
            (_, _, Some(Ok(s))) => send_sms(s, &n).await,
            _ => continue,
        };
        let attempts = n.attempts + 1;
        if let Err(f) = &outcome {
            if f.channel {
                // Not this notification's fault: release it, and hold the channel's others.
                sqlx::query("UPDATE notifications SET next_try_at = NULL WHERE id = ?")
                    .bind(n.id)
                    .execute(&mut *conn)
                    .await?;
                let problem = format!("{} (fix the setting or the keyring entry)", f.message);
                if n.channel == "email" {
                    email = Some(Err(problem.clone()));
                } else {
                    sms = Some(Err(problem.clone()));
                }
                done.problems.push(problem);
                done.waiting += 1;
                continue;
            }
        }
        match outcome {
            Ok(()) => {
                sqlx::query(
                    "UPDATE notifications SET status = 'sent', sent_at = ?, attempts = ?, last_error = NULL, \
                     next_try_at = NULL WHERE id = ?",
                )
                .bind(now())
                .bind(attempts)
                .bind(n.id)
                .execute(&mut *conn)
                .await?;
                done.sent += 1;
            }
            Err(f) if f.permanent || attempts >= MAX_ATTEMPTS => {
                sqlx::query(
                    "UPDATE notifications SET status = 'failed', attempts = ?, last_error = ?, next_try_at = NULL WHERE id = ?",
                )
                .bind(attempts)
                .bind(&f.message)
                .bind(n.id)
                .execute(&mut *conn)
                .await?;
                done.failed += 1;
            }
            Err(f) => {
                let wait = BACKOFF_MINUTES[(attempts as usize - 1).min(BACKOFF_MINUTES.len() - 1)];
                sqlx::query(
                    "UPDATE notifications SET attempts = ?, last_error = ?, next_try_at = ? WHERE id = ?",
                )
                .bind(attempts)
                .bind(&f.message)
                .bind(plus_minutes(&as_of, wait))
                .bind(n.id)
                .execute(&mut *conn)
                .await?;
                done.retrying += 1;
            }
        }
    }
    Ok(done)
}
