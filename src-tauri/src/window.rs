//! Opens the Cardfile window: state built once in setup() and managed, no globals.

use std::path::PathBuf;

use cardfile_core::{store, Session, Store};
use tauri::Manager;

pub fn run(db: Option<PathBuf>, as_user: Option<String>) -> i32 {
    let builder = crate::ipc::builder();
    let path = db.unwrap_or_else(store::default_db_path);
    let result = tauri::Builder::default()
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            let session = tauri::async_runtime::block_on(async {
                let store = Store::open(&path).await?;
                Session::new(store, as_user).await
            })?;
            app.manage(session);
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
