//! Opens the Cardfile window: state built once in setup() and managed, no globals; while
//! it is open, due notifications are dispatched in the background (notifications.rs), every
//! committed change to contacts is announced to the page, and the cloud is synced (cloud.rs).

use std::path::PathBuf;

use cardfile_core::{feed, store, Session, Store};
use tauri::{DragDropEvent, Emitter, Manager, WindowEvent};

use crate::cloud::Syncing;
use crate::import_files::ImportFiles;
use crate::notifications::Dispatching;

/// The event that tells the page the contacts changed (its payload: the feed's newest seq).
const CHANGED: &str = "contacts-changed";
/// How often the change feed is looked at: well within the second the window promises.
const CHANGES_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

pub fn run(db: Option<PathBuf>, as_user: Option<String>) -> i32 {
    let builder = crate::ipc::builder();
    let path = db.unwrap_or_else(store::default_db_path);
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(builder.invoke_handler())
        // A file dropped anywhere on the window: Rust keeps its path and the page gets a
        // handle for it (ImportFile), then opens the import dialog; Rust reads the file, the
        // webview never carries its path or its bytes.
        .on_window_event(|window, event| {
            if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event {
                if let (Some(path), Some(files)) =
                    (paths.first(), window.try_state::<ImportFiles>())
                {
                    let _ = window.emit("import-file-dropped", files.keep(path.clone()));
                }
            }
        })
        .setup(move |app| {
            let session = tauri::async_runtime::block_on(async {
                let store = Store::open(&path).await?;
                Session::new(store, as_user).await
            })?;
            // Due reminders go out while the window is open (and at once after a Retry).
            let dispatching = std::sync::Arc::new(Dispatching::default());
            tauri::async_runtime::spawn(crate::notifications::dispatch_while_open(
                app.handle().clone(),
                session.clone(),
                dispatching.clone(),
            ));
            app.manage(dispatching);
            // Every committed change to contacts, whoever made it (this window, the command
            // line, the local API and the sync worker), reaches the page within a
            // second: it refreshes what it shows (ui/src/changes.ts).
            let handle = app.handle().clone();
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
            tauri::async_runtime::spawn(crate::cloud::worker(
                app.handle().clone(),
                session.clone(),
                syncing.clone(),
            ));
            app.manage(syncing);
            app.manage(session);
            app.manage(crate::ipc::Imports::default());
            app.manage(ImportFiles::default());
            // The local API: off until switched on in Settings.
            app.manage(crate::local_api::LocalApi::default());
            // OAuth sign-ins under way (Settings → Integrations).
            app.manage(crate::integrations::SignIns::default());
            Ok(())
        })
        .run(tauri::generate_context!());
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cardfile: {e}");
            1
        }
    }
}
