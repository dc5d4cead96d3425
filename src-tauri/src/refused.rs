//! A database refused on open (damaged, not Cardfile's, from a newer Cardfile, read-only):
//! the window opens anyway and shows why in place of the contacts, and a damaged one can
//! be restored from its last automatic backup, after which the window opens on it.

use std::path::PathBuf;
use std::sync::Mutex;

use cardfile_core::store::{self, Refusal, Restored};
use cardfile_core::{Error, ErrorBody, Session, Store};
use tauri::{AppHandle, State};

/// The database the window was asked to open, and its refusal while it stands.
pub struct Refused {
    path: PathBuf,
    as_user: Option<String>,
    refusal: Mutex<Option<Refusal>>,
}

impl Refused {
    pub fn new(path: PathBuf, as_user: Option<String>, refusal: Option<Refusal>) -> Refused {
        Refused {
            path,
            as_user,
            refusal: Mutex::new(refusal),
        }
    }
}

/// Why the database was refused, or nothing when it is open.
#[tauri::command]
#[specta::specta]
pub fn database_refusal(refused: State<'_, Refused>) -> Option<Refusal> {
    refused.refusal.lock().ok().and_then(|r| r.clone())
}

/// Restores a damaged database from its backup (the damaged file is kept beside it) and
/// opens the window's work on it; the page then reloads.
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
    let restored = store::restore_backup(&refused.path).await?;
    let store = Store::open(&refused.path).await?;
    let session = Session::new(store, refused.as_user.clone()).await?;
    crate::workers::start(&app, session);
    if let Ok(mut r) = refused.refusal.lock() {
        *r = None;
    }
    Ok(restored)
}
