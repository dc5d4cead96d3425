//! What the window runs and keeps once its database is open (at start, or after a damaged
//! one was restored from its backup): due notifications dispatched in the background
//! (notifications.rs), every committed change to contacts announced to the page, the
//! cloud synced (cloud.rs), and the state the commands use.

use cardfile_core::{feed, Session, Store};
use tauri::{AppHandle, Emitter, Manager};

use crate::cloud::Syncing;
use crate::import_files::ImportFiles;
use crate::notifications::Dispatching;

/// The event that tells the page the contacts changed (its payload: the feed's newest seq).
const CHANGED: &str = "contacts-changed";
/// How often the change feed is looked at: well within the second the window promises.
const CHANGES_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Starts the background work on `session` and hands the commands their state. The work
/// that writes starts once the daily check run after the open has passed (store/daily.rs):
/// it neither waits on the check's write lock nor ever writes to a file found damaged, and
/// it stops when a later day's check finds damage.
pub fn start(app: &AppHandle, session: Session) {
    // Due reminders go out while the window is open (and at once after a Retry).
    let dispatching = std::sync::Arc::new(Dispatching::default());
    once_checked(
        session.store(),
        crate::notifications::dispatch_while_open(
            app.clone(),
            session.clone(),
            dispatching.clone(),
        ),
    );
    app.manage(dispatching);
    // Every committed change to contacts, whoever made it (this window, the command
    // line, the local API and the sync worker), reaches the page within a
    // second: it refreshes what it shows (ui/src/changes.ts).
    let handle = app.clone();
    let syncing = std::sync::Arc::new(Syncing::default());
    let nudge = syncing.clone();
    tauri::async_runtime::spawn(feed::watch(
        session.store().clone(),
        CHANGES_EVERY,
        move |seq| {
            // A change, local or pulled, may have queued remote work.
            nudge.nudge();
            handle.emit(CHANGED, seq).is_ok()
        },
    ));
    once_checked(
        session.store(),
        crate::cloud::worker(app.clone(), session.clone(), syncing.clone()),
    );
    app.manage(syncing);
    app.manage(session);
    app.manage(crate::ipc::Imports::default());
    app.manage(ImportFiles::default());
    // The local API: off until switched on in Settings.
    app.manage(crate::local_api::LocalApi::default());
    // OAuth sign-ins under way (Settings → Integrations).
    app.manage(crate::integrations::SignIns::default());
}

/// Runs `work` in the background while the store is sound (`Store::while_sound`).
fn once_checked(store: &Store, work: impl std::future::Future<Output = ()> + Send + 'static) {
    let store = store.clone();
    tauri::async_runtime::spawn(async move { store.while_sound(work).await });
}
