//! Opens the Cardfile window: state built once in setup() and managed, no globals. On its
//! database the background work starts (workers.rs); a database refused on open, or found
//! damaged by the daily check run after the open, is shown to the user instead of closing
//! the window (refused.rs).

use std::path::PathBuf;

use cardfile_core::store::{self, DailyCheck, Refusal};
use cardfile_core::{Session, Store};
use tauri::{DragDropEvent, Emitter, Manager, WindowEvent};

use crate::import_files::ImportFiles;
use crate::refused::Refused;

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
            // Refused (damaged, say): the window opens on why, and offers the backup. The
            // daily check runs after the open: the first page does not wait for it.
            let opened = tauri::async_runtime::block_on(async {
                cardfile_core::Result::<Result<Session, Refusal>>::Ok(
                    match Store::open_with(&path, DailyCheck::After).await {
                        Ok(store) => Ok(Session::new(store, as_user.clone()).await?),
                        Err(e) => Err(Refusal::of(&path, e)?),
                    },
                )
            })?;
            match opened {
                Ok(session) => {
                    app.manage(Refused::new(path.clone(), as_user.clone(), None));
                    crate::refused::start_work(app.handle(), session);
                }
                Err(refusal) => {
                    eprintln!("cardfile: {}", refusal.error.message);
                    app.manage(Refused::new(path.clone(), as_user.clone(), Some(refusal)));
                }
            }
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
