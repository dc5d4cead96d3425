//! A database refused on open (damaged, not Cardfile's, from a newer Cardfile, read-only),
//! or found damaged by a daily check run after the open: the window shows why in place of
//! the contacts, and a damaged one can be restored from its last automatic backup, after
//! which the window opens on it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use cardfile_core::store::{self, Refusal, Restored};
use cardfile_core::{Error, ErrorBody, Session, Store};
use tauri::{AppHandle, Emitter, Manager, State};

/// The event that tells the page its open database was found damaged: it shows the refusal.
const REFUSED: &str = "database-refused";

/// The database the window was asked to open, and its refusal while it stands.
pub struct Refused {
    path: PathBuf,
    as_user: Option<String>,
    refusal: Mutex<Option<Refusal>>,
    /// The refusal came after the window's work had started on the file: it opens on the
    /// restored file by starting again (`reopen_database`).
    after_open: AtomicBool,
}

impl Refused {
    pub fn new(path: PathBuf, as_user: Option<String>, refusal: Option<Refusal>) -> Refused {
        Refused {
            path,
            as_user,
            refusal: Mutex::new(refusal),
            after_open: AtomicBool::new(false),
        }
    }
}

/// Starts the window's work on its open database (workers.rs), watching its daily checks
/// for damage: at start, and on a database restored from its backup.
pub fn start_work(app: &AppHandle, session: Session) {
    refuse_if_found_damaged(app, session.store());
    crate::workers::start(app, session);
}

/// Waits for the daily checks of the window's open database (the one run after the open,
/// holding back writes, and, in a window left open for days, each later day's before its
/// backup): damage found turns the window to the refusal, as a file refused on open.
fn refuse_if_found_damaged(app: &AppHandle, store: &Store) {
    let (app, store) = (app.clone(), store.clone());
    tauri::async_runtime::spawn(async move {
        let _ = store.checked().await;
        if let Some(problem) = store.backup_problem() {
            eprintln!("cardfile: {problem}");
        }
        let Some(e) = store.damage_found().await else {
            return;
        };
        let refusal = match Refusal::of(store.path(), e) {
            Ok(refusal) => refusal,
            Err(e) => return eprintln!("cardfile: {e}"),
        };
        eprintln!("cardfile: {}", refusal.error.message);
        let refused = app.state::<Refused>();
        refused.after_open.store(true, Ordering::SeqCst);
        if let Ok(mut r) = refused.refusal.lock() {
            *r = Some(refusal);
        }
        let _ = app.emit(REFUSED, ());
    });
}

/// Why the database was refused, or nothing when it is open.
#[tauri::command]
#[specta::specta]
pub fn database_refusal(refused: State<'_, Refused>) -> Option<Refusal> {
    refused.refusal.lock().ok().and_then(|r| r.clone())
}

/// Restores a damaged database from its backup (the damaged file is kept beside it) and
/// opens the window's work on it; the page then reloads (`reopen_database`). Damage found
/// after the open: the window's work on the damaged file stops and its store closes first,
/// and Cardfile starts again on the restored file.
#[tauri::command]
#[specta::specta]
pub async fn restore_database(
    app: AppHandle,
    refused: State<'_, Refused>,
) -> Result<Restored, ErrorBody> {
    let restorable = refused
        .refusal
        .lock()
        .ok()
        .and_then(|r| r.as_ref().map(|r| r.restorable));
    match restorable {
        Some(true) => {}
        Some(false) => {
            return Err(Error::Conflict(
                "this database is not damaged: it is not replaced by its backup".into(),
            )
            .into())
        }
        None => {
            return Err(Error::Conflict("the database is open: nothing to restore".into()).into())
        }
    }
    let after_open = refused.after_open.load(Ordering::SeqCst);
    if after_open {
        // The damaged file is let go of first: its work stops, its connections close.
        if let Some(session) = app.try_state::<Session>() {
            session.store().close().await;
        }
    }
    let restored = store::restore_backup(&refused.path).await?;
    if !after_open {
        let store = Store::open(&refused.path).await?;
        let session = Session::new(store, refused.as_user.clone()).await?;
        start_work(&app, session);
    }
    if let Ok(mut r) = refused.refusal.lock() {
        *r = None;
    }
    Ok(restored)
}

/// Opens the window on the restored database: the page reloads on it, or, when the damage
/// was found after the window's work had started on the old file, Cardfile starts again.
#[tauri::command]
#[specta::specta]
pub fn reopen_database(app: AppHandle, refused: State<'_, Refused>) {
    if refused.after_open.load(Ordering::SeqCst) {
        app.restart();
    }
}
