//! Sync with the OnceHub cloud (API v2): connecting an account (its key checked with
//! `GET /test` and kept in the OS keyring only), delivering the outbox, and pulling users,
//! contacts and bookings; then the integrations' items (`integrations`). One sync at a time
//! per database: a lock the operating system
//! drops with its process (`lock`), so a killed sync holds nothing.

mod bookings;
mod client;
mod fields;
pub mod integrations;
mod limiter;
mod lock;
mod people;
mod pull;
mod push;

pub use client::check_url;
pub use limiter::{PER_FIVE_MINUTES, PER_SECOND};
pub use lock::SyncLock;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use client::{Client, Failure};
use limiter::Limiter;
use push::Backoff;

use crate::error::{Error, Result};
use crate::outbox;
use crate::secrets::{self, SecretStore};
use crate::settings;
use crate::store::Store;
use crate::users::{Role, User};

/// OnceHub's API, as documented.
pub const DEFAULT_URL: &str = "https://api.oncehub.com/v2";

/// The cloud account as `cloud status` and the window's Settings show it. The key itself
/// never leaves the keyring: `configured` says whether it is there.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct CloudStatus {
    pub configured: bool,
    pub url: Option<String>,
    pub account: Option<String>,
    pub last_pull: Option<String>,
    pub pending: u32,
    pub failed: u32,
    /// Contacts kept on this computer only (an import's choice), not pushed until shared.
    pub local_only: u32,
    /// How long the pending items take to reach the cloud at its rate limits, in seconds.
    pub drain_seconds: u32,
}

/// What one sync run did (`sync --json` prints it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
pub struct SyncSummary {
    pub pushed: u32,
    pub pulled: u32,
    pub activities: u32,
    pub failed: u32,
    pub pending: u32,
    /// The cloud could not be reached (or was limiting): work waits for the next run.
    pub offline: bool,
}

/// The stages of a sync, for a progress bar: what it is doing and how many it has done.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct SyncProgress {
    pub stage: String,
    pub done: u32,
}

/// A connected account, ready to talk to the cloud.
pub(crate) struct Cloud<'a> {
    store: &'a Store,
    client: Client,
    backoff: Backoff,
    region: String,
    /// Who pulled changes are made as: the signed-in user.
    user: User,
    cancel: &'a AtomicBool,
    progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
}

async fn setting(store: &Store, key: &str) -> Result<Option<String>> {
    let mut conn = store.pool().acquire().await?;
    settings::get(&mut conn, key).await
}

async fn number(store: &Store, key: &str, default: u64) -> Result<u64> {
    Ok(setting(store, key)
        .await?
        .and_then(|v| v.parse().ok())
        .unwrap_or(default))
}

/// The network timeout and the backoff after a failure worth retrying, as the settings give
/// them: the cloud's and every integration's.
async fn timing(store: &Store) -> Result<(Duration, Backoff)> {
    let timeout = Duration::from_millis(number(store, settings::CLOUD_TIMEOUT_MS, 20_000).await?);
    let backoff = Backoff {
        base: Duration::from_millis(number(store, settings::CLOUD_BACKOFF_MS, 1_000).await?),
        cap: Duration::from_millis(number(store, settings::CLOUD_BACKOFF_CAP_MS, 60_000).await?),
    };
    Ok((timeout, backoff))
}

/// The settings that pause the cloud: a disconnect forgets the key and sets it.
const PAUSED: &str = "cloud_paused";

impl<'a> Cloud<'a> {
    async fn open(
        store: &'a Store,
        url: &str,
        key: &str,
        user: &User,
        cancel: &'a AtomicBool,
        progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    ) -> Result<Cloud<'a>> {
        let (timeout, backoff) = timing(store).await?;
        let mut conn = store.pool().acquire().await?;
        let region = settings::default_region(&mut conn).await?;
        drop(conn);
        Ok(Cloud {
            store,
            client: Client::new(url, key, Limiter::cloud(store).await?, timeout)?,
            backoff,
            region,
            user: user.clone(),
            cancel,
            progress,
        })
    }

    fn canceled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn report(&self, stage: &str, done: u32) {
        (self.progress)(SyncProgress {
            stage: stage.to_string(),
            done,
        });
    }
}

/// The key of the connected account: None when no account is connected or it is paused; an
/// error (with what to do) when it is connected but the keyring has no key or cannot be reached.
async fn key(store: &Store, secrets: &dyn SecretStore) -> Result<Option<(String, String)>> {
    let Some(url) = setting(store, settings::CLOUD_URL).await? else {
        return Ok(None);
    };
    if setting(store, PAUSED).await?.is_some() {
        return Ok(None);
    }
    match secrets.get(secrets::ONCEHUB_KEY)? {
        Some(key) => Ok(Some((url, key))),
        None => Err(Error::Forbidden(
            "the cloud account's API key is not in the keyring: connect again \
             (Settings, Cloud account, or `cardfile cloud connect`)"
                .into(),
        )),
    }
}

/// The cloud account's state; never touches the keyring before an account was connected.
pub async fn status(store: &Store, secrets: &dyn SecretStore) -> Result<CloudStatus> {
    let url = setting(store, settings::CLOUD_URL).await?;
    let configured = match &url {
        Some(_) if setting(store, PAUSED).await?.is_none() => {
            secrets.get(secrets::ONCEHUB_KEY)?.is_some()
        }
        _ => false,
    };
    let mut conn = store.pool().acquire().await?;
    let (pending, failed) = outbox::counts(&mut conn).await?;
    let local_only: i64 =
        sqlx::query_scalar("SELECT count(*) FROM remote_contacts WHERE local_only = 1")
            .fetch_one(&mut *conn)
            .await?;
    drop(conn);
    let drain = drain_time(store, pending).await?;
    Ok(CloudStatus {
        configured,
        account: setting(store, settings::CLOUD_ACCOUNT).await?,
        last_pull: setting(store, settings::CLOUD_LAST_PULL).await?,
        url,
        pending: pending as u32,
        failed: failed as u32,
        local_only: local_only as u32,
        drain_seconds: drain,
    })
}

/// How long `count` calls take at the limits the settings give, in seconds.
async fn drain_time(store: &Store, count: u64) -> Result<u32> {
    let per_second = number(store, settings::CLOUD_PER_SECOND, PER_SECOND as u64).await?;
    let per_five = number(
        store,
        settings::CLOUD_PER_FIVE_MINUTES,
        PER_FIVE_MINUTES as u64,
    )
    .await?;
    Ok(drain_seconds(count, per_second, per_five).min(u32::MAX as u64) as u32)
}

/// How long `count` new contacts take to reach the cloud at its limits, in seconds: the
/// import dialog's estimate. None while no cloud account is connected.
pub async fn estimate(store: &Store, count: u32) -> Result<Option<u32>> {
    if setting(store, settings::CLOUD_URL).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(drain_time(store, count as u64).await?))
}

/// How long `count` remote calls take at the limits, in seconds: the figure the import
/// dialog and the Outbox view give. Each five minutes' worth goes at `per_second`, then waits
/// for the window to move (50,000 at 5 a second and 200 in five minutes: about 21 hours).
pub fn drain_seconds(count: u64, per_second: u64, per_five_minutes: u64) -> u64 {
    if count == 0 {
        return 0;
    }
    let windows = (count - 1) / per_five_minutes.max(1);
    let last = (count - 1) % per_five_minutes.max(1) + 1;
    windows * 300 + last.div_ceil(per_second.max(1))
}

fn no_progress(_: SyncProgress) {}

/// Connects the cloud account (Admins only: it decides where contacts go): checks the key
/// with `GET /test`, keeps it in the keyring, makes the account's users and teams Cardfile's
/// users, links local contacts to cloud ones by email, then mobile phone, and queues the rest
/// as creates (but imports kept on this computer).
pub async fn connect(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    url: Option<&str>,
    key: &str,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<CloudStatus> {
    if user.role != Role::Admin {
        return Err(Error::Forbidden(
            "only an Admin can connect the cloud account".into(),
        ));
    }
    let url = check_url(url.unwrap_or(DEFAULT_URL))?;
    let key = key.trim();
    secrets::check_value("the API key", key)?;
    let _lock = SyncLock::wait(store).await?;
    let cloud = Cloud::open(store, &url, key, user, cancel, progress).await?;
    let reply = cloud
        .client
        .call(store, reqwest::Method::GET, "/test", &[], None)
        .await?;
    let account = match reply {
        Ok(json) => json
            .get("message")
            .and_then(Value::as_str)
            .and_then(|m| m.rsplit_once("account:"))
            .map(|(_, email)| email.trim().to_lowercase())
            .unwrap_or_default(),
        Err(Failure::Key(message)) => return Err(Error::Forbidden(message)),
        Err(other) => {
            return Err(Error::invalid(
                "url",
                format!("the key could not be checked: {}", other.describe()),
            ))
        }
    };
    secrets.set(secrets::ONCEHUB_KEY, key)?;
    let mut tx = store.write().await?;
    settings::put(&mut tx, settings::CLOUD_URL, &url).await?;
    settings::put(&mut tx, settings::CLOUD_ACCOUNT, &account).await?;
    sqlx::query("DELETE FROM settings WHERE key = ?")
        .bind(PAUSED)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    cloud.pull_people(Some(&account)).await?;
    let mut summary = SyncSummary::default();
    cloud.pull_contacts(&mut summary).await?;
    if !cloud.canceled() {
        cloud.queue_unlinked().await?;
    }
    status(store, secrets).await
}

/// Forgets the key. The account's settings stay, and the outbox keeps its items, paused,
/// until the next connect.
pub async fn disconnect(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
) -> Result<CloudStatus> {
    if user.role != Role::Admin {
        return Err(Error::Forbidden(
            "only an Admin can disconnect the cloud account".into(),
        ));
    }
    secrets.delete(secrets::ONCEHUB_KEY)?;
    let mut tx = store.write().await?;
    if settings::get(&mut tx, settings::CLOUD_URL).await?.is_some() {
        settings::put(&mut tx, PAUSED, "1").await?;
    }
    tx.commit().await?;
    status(store, secrets).await
}

/// One sync run: delivers what is due to the cloud, then (with `pull`) pulls users, contacts
/// (and remote deletions) and bookings, then delivers to the integrations (a pulled change
/// goes to them too). Refused with `Conflict` while another sync holds the lock. Without a
/// cloud account the integrations are delivered all the same; a cloud whose key is missing
/// or refused does not hold them up, and its error is returned after them.
pub async fn run(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    pull: bool,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncSummary> {
    let Some(_lock) = SyncLock::try_take(store)? else {
        return Err(Error::Conflict(
            "another sync is running (the window, or `cardfile sync`): wait for it to finish"
                .into(),
        ));
    };
    let mut summary = SyncSummary::default();
    let cloud = with_cloud(store, secrets, user, pull, cancel, progress, &mut summary).await;
    let (timeout, backoff) = timing(store).await?;
    integrations::deliver(store, secrets, timeout, backoff, cancel, &mut summary).await?;
    cloud?;
    let mut conn = store.pool().acquire().await?;
    let (pending, failed) = outbox::counts(&mut conn).await?;
    summary.pending = pending as u32;
    summary.failed = failed as u32;
    Ok(summary)
}

/// The cloud's part of a run.
async fn with_cloud(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
    pull: bool,
    cancel: &AtomicBool,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
    summary: &mut SyncSummary,
) -> Result<()> {
    if let Some((url, key)) = key(store, secrets).await? {
        let cloud = Cloud::open(store, &url, &key, user, cancel, progress).await?;
        cloud.push(summary).await?;
        if pull && !summary.offline && !cloud.canceled() {
            cloud.pull(summary).await?;
        }
    }
    Ok(())
}

/// `run` without a progress bar or a Cancel: the command line's and the tests'.
pub async fn run_quietly(
    store: &Store,
    secrets: &dyn SecretStore,
    user: &User,
) -> Result<SyncSummary> {
    run(
        store,
        secrets,
        user,
        true,
        &AtomicBool::new(false),
        &no_progress,
    )
    .await
}

/// How often a sync that keeps running (the window's, `cardfile sync`) pulls.
pub const PULL_EVERY: Duration = Duration::from_secs(180);

/// Whether a sync that keeps running pulls this time: none yet, or the last `PULL_EVERY` ago.
pub fn pull_due(last_pull: Option<Instant>) -> bool {
    last_pull.is_none_or(|t| t.elapsed() >= PULL_EVERY)
}

/// How long a sync that keeps running (the window's, `cardfile sync`) sleeps before its
/// next run: until the next outbox item falls due or the next pull, at least a second. One
/// rule for both.
pub async fn next_wait(store: &Store, last_pull: Option<Instant>) -> Result<Duration> {
    let until_pull = last_pull.map_or(Duration::ZERO, |t| PULL_EVERY.saturating_sub(t.elapsed()));
    // The cloud's items, and those of the integrations that are delivering.
    let due: Option<String> = sqlx::query_scalar(
        "SELECT min(next_at) FROM outbox WHERE status = 'pending' AND (target = ? OR target IN \
         (SELECT name FROM integrations WHERE state = 'connected'))",
    )
    .bind(outbox::CLOUD)
    .fetch_one(store.pool())
    .await?;
    let until_due = due
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
        .map(|at| {
            (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        });
    let wait = until_due.map_or(until_pull, |d| d.min(until_pull));
    Ok(wait.max(Duration::from_secs(1)))
}
