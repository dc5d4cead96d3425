//! Opens the Cardfile window: state built once in setup() and managed, no globals; while
//! it is open, due notifications are dispatched in the background and every committed
//! change to contacts is announced to the page, and the cloud is synced (cloud.rs).

use std::path::PathBuf;

use cardfile_core::{feed, store, Session, Store};
use tauri::{DragDropEvent, Emitter, Manager, WindowEvent};

use crate::cloud::Syncing;
use crate::import_files::ImportFiles;
use crate::keyring_store::Keyring;

/// The event that tells the page the contacts changed (its payload: the feed's newest seq).
const CHANGED: &str = "contacts-changed";
/// How often the change feed is looked at: well within the second the window promises.
const CHANGES_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// While the window is open, due reminders and workflow steps go out every minute.
async fn dispatch_while_open(session: Session) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match session.dispatch(&Keyring, None).await {
            Ok(d) if d.sent + d.failed + d.retrying > 0 => eprintln!(
                "cardfile: notifications: {} sent, {} to retry, {} failed",
                d.sent, d.retrying, d.failed
            ),
            Ok(_) => {}
            Err(e) => eprintln!("cardfile: notifications not sent: {e}"),
        }
    }
}

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
            tauri::async_runtime::spawn(dispatch_while_open(session.clone()));
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
