//! The window's side of the cloud: the sync worker that runs by itself while the window is
//! open (a few seconds after a local change, every few minutes for pulls, when an item falls
//! due; never in a tight loop), and the IPC commands of Settings → Cloud account and the
//! Outbox view, each one call of core's sync or outbox.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardfile_core::outbox::{self, OutboxPage};
use cardfile_core::sync::{self, CloudStatus, SyncProgress, SyncSummary};
use cardfile_core::{Error, ErrorBody, Session};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::keyring_store::Keyring;

type Reply<T> = Result<T, ErrorBody>;

/// The event that carries the sync's state to the status bar and the Outbox view.
const SYNC_STATE: &str = "sync-state";
/// The event that carries a connect's progress.
const CLOUD_PROGRESS: &str = "cloud-progress";
/// A local change is sent this long after it (more changes in the meantime join it).
const AFTER_CHANGE: Duration = Duration::from_secs(3);

/// What the window shows of the sync: running, online, the last run's summary or error.
#[derive(Debug, Clone, Default, Serialize, specta::Type)]
pub struct SyncState {
    pub running: bool,
    /// False once a run found the cloud unreachable, true again when one reaches it.
    pub online: bool,
    pub last: Option<SyncSummary>,
    /// Why the last run stopped (a refused key, a keyring that cannot be reached).
    pub error: Option<String>,
    pub pending: u32,
    pub failed: u32,
}

/// The worker's handle: wake it, cancel a connect, read its state.
pub struct Syncing {
    wake: tokio::sync::Notify,
    /// "Sync now": the next run pulls too.
    full: AtomicBool,
    cancel: AtomicBool,
    state: Mutex<SyncState>,
}

impl Default for Syncing {
    fn default() -> Self {
        Syncing {
            wake: tokio::sync::Notify::new(),
            full: AtomicBool::new(false),
            cancel: AtomicBool::new(false),
            state: Mutex::new(SyncState {
                online: true,
                ..SyncState::default()
            }),
        }
    }
}

impl Syncing {
    fn state(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A local change was committed: sync a few seconds from now.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }
}

fn quiet(_: SyncProgress) {}

/// One sync run (`pull`: a full one, else delivery only), its outcome published to the page.
async fn run_once(app: &AppHandle, session: &Session, syncing: &Syncing, pull: bool) {
    syncing.state().running = true;
    let _ = app.emit(SYNC_STATE, syncing.state().clone());
    let never = AtomicBool::new(false);
    let outcome = match session.user().await {
        Ok(user) => sync::run(session.store(), &Keyring, &user, pull, &never, &quiet).await,
        Err(e) => Err(e),
    };
    let counts = sync::status(session.store(), &Keyring).await.ok();
    let mut state = syncing.state();
    state.running = false;
    match outcome {
        Ok(summary) => {
            state.online = !summary.offline;
            state.error = None;
            state.last = Some(summary);
        }
        // Another sync (the command line's) is at work: it delivers the same outbox.
        Err(Error::Conflict(_)) => {}
        Err(e) => state.error = Some(e.to_string()),
    }
    if let Some(c) = counts {
        state.pending = c.pending;
        state.failed = c.failed;
    }
    let _ = app.emit(SYNC_STATE, state.clone());
}

/// While the window is open: a full run at start and every few minutes (pulls cost
/// requests of the same budget), and delivery a few seconds after each local change and
/// when the next outbox item falls due. "Sync now" asks for a full run.
pub async fn worker(app: AppHandle, session: Session, syncing: Arc<Syncing>) {
    let mut last_pull: Option<Instant> = None;
    loop {
        let pull = syncing.full.swap(false, Ordering::Relaxed) || sync::pull_due(last_pull);
        run_once(&app, &session, &syncing, pull).await;
        if pull {
            last_pull = Some(Instant::now());
        }
        let wait = sync::next_wait(session.store(), last_pull)
            .await
            .unwrap_or(sync::PULL_EVERY);
        tokio::select! {
            () = syncing.wake.notified() => tokio::time::sleep(AFTER_CHANGE).await,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

#[tauri::command]
#[specta::specta]
pub async fn cloud_status(session: State<'_, Session>) -> Reply<CloudStatus> {
    Ok(sync::status(session.store(), &Keyring).await?)
}

/// Connects with the key typed into Settings' password field; progress arrives as
/// `cloud-progress` events, and `cloud_cancel` stops the first pull.
#[tauri::command]
#[specta::specta]
pub async fn cloud_connect(
    app: AppHandle,
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
    url: Option<String>,
    key: String,
) -> Reply<CloudStatus> {
    syncing.cancel.store(false, Ordering::Relaxed);
    let user = session.user().await?;
    let report = move |p: SyncProgress| {
        let _ = app.emit(CLOUD_PROGRESS, p);
    };
    let url = url.filter(|u| !u.trim().is_empty());
    let status = sync::connect(
        session.store(),
        &Keyring,
        &user,
        url.as_deref(),
        &key,
        &syncing.cancel,
        &report,
    )
    .await?;
    // Bookings and the first deliveries follow at once.
    syncing.full.store(true, Ordering::Relaxed);
    syncing.nudge();
    Ok(status)
}

#[tauri::command]
#[specta::specta]
pub async fn cloud_cancel(syncing: State<'_, Arc<Syncing>>) -> Reply<()> {
    syncing.cancel.store(true, Ordering::Relaxed);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn cloud_disconnect(session: State<'_, Session>) -> Reply<CloudStatus> {
    let user = session.user().await?;
    Ok(sync::disconnect(session.store(), &Keyring, &user).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn sync_state(syncing: State<'_, Arc<Syncing>>) -> Reply<SyncState> {
    Ok(syncing.state().clone())
}

/// "Sync now": the worker delivers and pulls, after the usual few seconds' grace.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(syncing: State<'_, Arc<Syncing>>) -> Reply<()> {
    syncing.full.store(true, Ordering::Relaxed);
    syncing.nudge();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn list_outbox(session: State<'_, Session>, all: bool, limit: u32) -> Reply<OutboxPage> {
    Ok(outbox::list(session.store(), all, None, limit).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn retry_outbox(
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
    id: String,
) -> Reply<()> {
    outbox::retry(session.store(), &id).await?;
    syncing.nudge();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_outbox(session: State<'_, Session>, id: String) -> Reply<()> {
    Ok(outbox::cancel(session.store(), &id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn share_local_contacts(
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
) -> Reply<u32> {
    let queued = outbox::share_local(session.store()).await?;
    syncing.nudge();
    Ok(queued as u32)
}

/// How long `count` new contacts take to reach the cloud at its limits (the import
/// dialog's estimate), in seconds; None without a connected account.
#[tauri::command]
#[specta::specta]
pub async fn cloud_estimate(session: State<'_, Session>, count: u32) -> Reply<Option<u32>> {
    Ok(sync::estimate(session.store(), count).await?)
}
