//! The dispatcher: sends the notifications that are due (email over SMTP, SMS through a
//! Twilio-style gateway), retries a failure with backoff and records every outcome. A
//! reminder whose meeting has started, or is no longer booked, is not sent. A message is
//! sent once: a dispatcher holds what it sends by a lease in real time, and a send is
//! recorded even through a busy database. A lease that ran out with nothing recorded (the
//! dispatcher was killed, or could not record) may hide a message that went out: it is
//! never sent again by itself, but marked failed for the user to check (`UNSURE`).

use std::time::Duration;

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::channels::{self, Channel, Email, Outgoing, Sms};
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use crate::settings;
use crate::store::{now, Store};

/// Attempts before a notification is given up as failed.
pub const MAX_ATTEMPTS: i64 = 5;
/// The wait after the 1st, 2nd, 3rd and 4th failed attempt, in minutes.
const BACKOFF_MINUTES: [i64; 4] = [1, 5, 30, 120];
/// How long a dispatcher holds a notification it is sending (so a second one skips it).
const LEASE_MINUTES: i64 = 10;
/// The waits between tries to record an outcome, in milliseconds. Each try itself waits
/// out the store's busy timeout (5 s), so this rides out a minute of a busy database.
const RECORD_RETRY_MS: [u64; 8] = [100, 250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];

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

/// The start of the reason a notification is failed for the user to check: a dispatcher
/// claimed it and stopped before recording what became of the send, so it may have gone out.
pub const UNSURE: &str = "not known whether it was sent";

/// What ends the reason a channel's notifications wait when the channel was refused (a
/// login refused): the Notifications view finds its channel's state by it.
pub(crate) const CHANNEL_REFUSED: &str = "(fix the setting or the keyring entry)";

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

const DUE: &str = "SELECT n.id, n.kind, n.channel, n.recipient, n.attempts, a.status AS meeting_status, \
     a.starts_at, a.with_name, u.name AS host FROM notifications n JOIN activities a ON a.id = n.activity_id \
     JOIN users u ON u.id = a.host_id";

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

    fn outgoing(&self, instance: &str) -> Outgoing {
        let email = self.channel == "email";
        Outgoing {
            notification: self.id,
            instance: instance.to_string(),
            to: self.recipient.clone(),
            from_name: self.host.clone(),
            subject: if email { self.subject() } else { String::new() },
            body: if email { self.body() } else { self.text() },
        }
    }
}

/// `t` plus `minutes`, as stored times are written (notify's one time arithmetic).
fn plus_minutes(t: &str, minutes: i64) -> String {
    crate::notify::minutes(t, minutes).unwrap_or_else(|| t.to_string())
}

/// What becomes of a notification after its turn.
enum Outcome<'a> {
    Sent {
        attempts: i64,
    },
    Failed {
        attempts: i64,
        error: &'a str,
    },
    Retry {
        attempts: i64,
        error: &'a str,
        next_try_at: &'a str,
    },
    /// Its channel is not ready: it stays pending, saying why (the list shows it).
    Waiting {
        problem: &'a str,
    },
    /// Claimed, then its channel was refused: the claim is given back.
    Released {
        problem: &'a str,
    },
}

impl Outcome<'_> {
    async fn write(&self, store: &Store, id: i64) -> std::result::Result<(), sqlx::Error> {
        let query = match *self {
            Outcome::Sent { attempts } => sqlx::query(
                "UPDATE notifications SET status = 'sent', sent_at = ?1, attempts = ?2, \
                 last_error = NULL, next_try_at = NULL, leased_until = NULL WHERE id = ?3",
            )
            .bind(now())
            .bind(attempts),
            Outcome::Failed { attempts, error } => sqlx::query(
                "UPDATE notifications SET status = 'failed', attempts = ?1, last_error = ?2, \
                 next_try_at = NULL, leased_until = NULL WHERE id = ?3",
            )
            .bind(attempts)
            .bind(error),
            Outcome::Retry {
                attempts,
                error,
                next_try_at,
            } => sqlx::query(
                "UPDATE notifications SET attempts = ?1, last_error = ?2, next_try_at = ?3, \
                 leased_until = NULL WHERE id = ?4",
            )
            .bind(attempts)
            .bind(error)
            .bind(next_try_at),
            // Written only when the reason changes: the window dispatches every minute.
            Outcome::Waiting { problem } => sqlx::query(
                "UPDATE notifications SET last_error = ?1 WHERE id = ?2 AND status = 'pending' \
                 AND last_error IS NOT ?1",
            )
            .bind(problem),
            Outcome::Released { problem } => sqlx::query(
                "UPDATE notifications SET last_error = ?1, leased_until = NULL WHERE id = ?2",
            )
            .bind(problem),
        };
        query.bind(id).execute(store.pool()).await.map(drop)
    }

    /// Records it, trying again with growing waits while the database is busy: once a
    /// message is out, losing the record of it would send it again. The tries are
    /// bounded; then the run stops rather than send more it cannot record.
    async fn record(&self, store: &Store, id: i64) -> Result<()> {
        let mut waits = RECORD_RETRY_MS.iter();
        loop {
            let e = match self.write(store, id).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            match waits.next() {
                Some(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
                None if matches!(self, Outcome::Sent { .. }) => {
                    return Err(Error::Internal(format!(
                        "notification {id} was sent but cannot be recorded as sent ({e}); \
                         stopping so that nothing goes out twice"
                    )))
                }
                None => {
                    return Err(Error::Internal(format!(
                        "cannot record what became of notification {id}: {e}"
                    )))
                }
            }
        }
    }
}

/// Sends every pending notification due at `as_of` (default now).
pub async fn dispatch(
    store: &Store,
    secrets: &dyn SecretStore,
    as_of: Option<&str>,
) -> Result<Dispatched> {
    // Stored times have whole seconds ("...:05Z"): `as_of` must too, or text comparison
    // puts "…:05Z" after "…:05.123Z" and a notification due this second waits.
    let as_of = match crate::booking::timestamp("as_of", &as_of.map(str::to_string))? {
        Some(t) => t,
        None => plus_minutes(&now(), 0),
    };
    let mut conn = store.pool().acquire().await?;
    // A lease that ran out unrecorded: its dispatcher stopped somewhere between claiming and
    // recording, perhaps after the message went out. Sending it again could send it twice;
    // the user is asked to check instead (and `retry` sends it again).
    sqlx::query(
        "UPDATE notifications SET status = 'failed', leased_until = NULL, next_try_at = NULL, \
         last_error = ?1 || ': Cardfile stopped while sending it (claimed until ' || leased_until || \
         '). Check with the recipient; retry it to send it again' \
         WHERE status = 'pending' AND leased_until IS NOT NULL AND leased_until <= ?2",
    )
    .bind(UNSURE)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    // Leases are in real time whatever `as_of` says: a run told it is an hour later must
    // not take over a send another run has in flight now.
    let due: Vec<Due> = sqlx::query_as(&format!(
        "{DUE} WHERE n.status = 'pending' AND n.send_at <= ?1 \
         AND (n.next_try_at IS NULL OR n.next_try_at <= ?1) \
         AND n.leased_until IS NULL ORDER BY n.send_at, n.id"
    ))
    .bind(&as_of)
    .fetch_all(&mut *conn)
    .await?;
    let mut done = Dispatched::default();
    if due.is_empty() {
        return Ok(done);
    }
    let instance = settings::instance_id(&mut conn).await?;
    let mut email: Option<Channel<Email>> = None;
    let mut sms: Option<Channel<Sms>> = None;
    for listed in due {
        if listed.expired(&as_of) {
            cancel_expired(&mut conn, listed.id).await?;
            done.expired += 1;
            continue;
        }
        // Each channel is set up once, on first need: an unused one never asks the keyring.
        let ready = match listed.channel.as_str() {
            "email" => {
                if email.is_none() {
                    email = Some(channels::email_channel(&mut conn, secrets).await?);
                }
                email.as_ref().and_then(|c| c.as_ref().err())
            }
            _ => {
                if sms.is_none() {
                    sms = Some(channels::sms_channel(&mut conn, secrets).await?);
                }
                sms.as_ref().and_then(|c| c.as_ref().err())
            }
        };
        if let Some(problem) = ready {
            if !done.problems.contains(problem) {
                done.problems.push(problem.clone());
            }
            Outcome::Waiting { problem }
                .record(store, listed.id)
                .await?;
            done.waiting += 1;
            continue;
        }
        // Claim it, so a dispatcher running at the same time leaves it alone.
        let real_now = now();
        let claimed = sqlx::query(
            "UPDATE notifications SET leased_until = ?1 WHERE id = ?2 AND status = 'pending' \
             AND (next_try_at IS NULL OR next_try_at <= ?3) AND leased_until IS NULL",
        )
        .bind(plus_millis_minutes(&real_now, LEASE_MINUTES))
        .bind(listed.id)
        .bind(&as_of)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if claimed == 0 {
            continue;
        }
        // Read again now that it is ours: an edit since the list was read may have given
        // it another recipient, or a change of booking canceled it.
        let Some(n) =
            sqlx::query_as::<_, Due>(&format!("{DUE} WHERE n.id = ? AND n.status = 'pending'"))
                .bind(listed.id)
                .fetch_optional(&mut *conn)
                .await?
        else {
            continue;
        };
        if n.expired(&as_of) {
            cancel_expired(&mut conn, n.id).await?;
            done.expired += 1;
            continue;
        }
        let out = n.outgoing(&instance);
        let outcome = match (n.channel.as_str(), &email, &sms) {
            ("email", Some(Ok(e)), _) => channels::send_email(e, &out).await,
            (_, _, Some(Ok(s))) => channels::send_sms(s, &out).await,
            (_, _, _) => {
                // Not sent: the claim is given back, or it would read as a send in doubt.
                Outcome::Released {
                    problem: "its channel is not set up",
                }
                .record(store, n.id)
                .await?;
                continue;
            }
        };
        let attempts = n.attempts + 1;
        match outcome {
            Ok(()) => {
                Outcome::Sent { attempts }.record(store, n.id).await?;
                done.sent += 1;
            }
            Err(f) if f.channel => {
                // Not this notification's fault: release it, and hold the channel's others.
                let problem = format!("{} {CHANNEL_REFUSED}", f.message);
                Outcome::Released { problem: &problem }
                    .record(store, n.id)
                    .await?;
                if n.channel == "email" {
                    email = Some(Err(problem.clone()));
                } else {
                    sms = Some(Err(problem.clone()));
                }
                done.problems.push(problem);
                done.waiting += 1;
            }
            Err(f) if f.permanent || attempts >= MAX_ATTEMPTS => {
                Outcome::Failed {
                    attempts,
                    error: &f.message,
                }
                .record(store, n.id)
                .await?;
                done.failed += 1;
            }
            Err(f) => {
                let wait = BACKOFF_MINUTES[(attempts as usize - 1).min(BACKOFF_MINUTES.len() - 1)];
                Outcome::Retry {
                    attempts,
                    error: &f.message,
                    next_try_at: &plus_minutes(&as_of, wait),
                }
                .record(store, n.id)
                .await?;
                done.retrying += 1;
            }
        }
    }
    Ok(done)
}

async fn cancel_expired(conn: &mut SqliteConnection, id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE notifications SET status = 'canceled', last_error = ?, leased_until = NULL \
         WHERE id = ? AND status = 'pending'",
    )
    .bind("not sent: the meeting had started or is no longer booked")
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `t` (as `now()` writes it, with milliseconds) plus `minutes`, in the same form, so
/// leases compare as text with `now()`.
fn plus_millis_minutes(t: &str, minutes: i64) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| {
            (t + chrono::Duration::minutes(minutes))
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .unwrap_or_else(|_| t.to_string())
}
