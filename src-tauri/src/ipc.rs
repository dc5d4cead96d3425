//! The window's IPC: each command is a one-call adapter into core's Session, and errors
//! cross as `{code, message, field}`. The TypeScript bindings are generated from here.

use cardfile_core::activity::{Activity, NewActivity, Recorded};
use cardfile_core::booking::Booking;
use cardfile_core::history::{HistoryEntry, Undone};
use cardfile_core::review::ReviewItem;
use cardfile_core::sample::Loaded;
use cardfile_core::table::TablePage;
use cardfile_core::{AppInfo, Contact, ContactFields, Error, ErrorBody, ListQuery, Session};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use cardfile_core::import::read::Encoding;
use cardfile_core::import::{
    save_error_report, Column, ImportOptions, OnDuplicate, Problem, Progress, Report, Summary,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_dialog::DialogExt;

use crate::import_files::{ImportFile, ImportFiles};

/// Errors cross as core's `{code, message, field, plan}` body.
type Reply<T> = Result<T, ErrorBody>;

#[tauri::command]
#[specta::specta]
async fn app_info(session: State<'_, Session>) -> Reply<AppInfo> {
    Ok(session.app_info().await?)
}

#[tauri::command]
#[specta::specta]
async fn list_contacts(session: State<'_, Session>, query: ListQuery) -> Reply<TablePage> {
    Ok(session.table(&query).await?)
}

#[tauri::command]
#[specta::specta]
async fn get_contact(session: State<'_, Session>, id: String) -> Reply<Contact> {
    Ok(session.get(&id).await?)
}

#[tauri::command]
#[specta::specta]
async fn add_contact(
    session: State<'_, Session>,
    fields: ContactFields,
    merge: bool,
) -> Reply<Contact> {
    Ok(session.add(&fields, None, merge).await?)
}

#[tauri::command]
#[specta::specta]
async fn edit_contact(
    session: State<'_, Session>,
    id: String,
    fields: ContactFields,
    merge: bool,
) -> Reply<Contact> {
    Ok(session.edit(&id, &fields, merge).await?)
}

#[tauri::command]
#[specta::specta]
async fn contact_history(session: State<'_, Session>, id: String) -> Reply<Vec<HistoryEntry>> {
    Ok(session.history(&id).await?)
}

#[tauri::command]
#[specta::specta]
async fn undo(session: State<'_, Session>) -> Reply<Undone> {
    Ok(session.undo().await?)
}

#[tauri::command]
#[specta::specta]
async fn load_sample(session: State<'_, Session>) -> Reply<Loaded> {
    Ok(session.load_sample().await?)
}

#[tauri::command]
#[specta::specta]
async fn delete_contact(session: State<'_, Session>, id: String) -> Reply<()> {
    Ok(session.delete(&id).await?)
}

#[tauri::command]
#[specta::specta]
async fn record_activity(session: State<'_, Session>, activity: NewActivity) -> Reply<Recorded> {
    Ok(session.record_activity(&activity).await?)
}

/// The running import's Cancel flag and the last import's report (for its error report).
#[derive(Default)]
pub struct Imports {
    cancel: AtomicBool,
    last: Mutex<Option<Report>>,
}

/// What the import dialog shows: the counts, the mapping as columns, the first problems.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportView {
    pub summary: Summary,
    pub encoding: Encoding,
    pub delimiter: String,
    pub columns: Vec<Column>,
    /// The first rejected and conflicting rows (all of them are in the error report).
    pub examples: Vec<Problem>,
    pub problems: u32,
    pub dry_run: bool,
}

impl From<&Report> for ImportView {
    fn from(r: &Report) -> Self {
        ImportView {
            summary: r.summary.clone(),
            encoding: r.encoding,
            delimiter: r.delimiter.clone(),
            columns: r.columns.clone(),
            examples: r.examples().to_vec(),
            problems: r.problem_count,
            dry_run: r.dry_run,
        }
    }
}

/// The path the user chose in the native file dialog `ask` shows; None when they canceled.
/// Automated window tests cannot drive native dialogs: built with the `test-dialog` feature
/// (the window tests' builds only), CARDFILE_DIALOG_PATH, when set, stands for the user's
/// choice and no dialog opens. Release builds have no such stand-in.
pub(crate) fn chosen(
    ask: impl FnOnce() -> Option<tauri_plugin_dialog::FilePath>,
) -> Option<PathBuf> {
    #[cfg(feature = "test-dialog")]
    if let Some(path) = std::env::var_os("CARDFILE_DIALOG_PATH") {
        return Some(PathBuf::from(path));
    }
    ask().and_then(|p| p.into_path().ok())
}

/// "Import CSV": the native open dialog; None when the user canceled it. The page gets a
/// handle for the file, never its path.
#[tauri::command]
#[specta::specta]
async fn choose_import_file(
    app: AppHandle,
    files: State<'_, ImportFiles>,
) -> Reply<Option<ImportFile>> {
    Ok(chosen(|| {
        app.dialog()
            .file()
            .set_title("Import contacts")
            .add_filter("Contact files", &["csv", "txt", "tsv", "vcf"])
            .blocking_pick_file()
    })
    .map(|path| files.keep(path)))
}

fn options(
    on_duplicate: OnDuplicate,
    overrides: Vec<(u32, Option<String>)>,
    dry_run: bool,
    keep_local: bool,
) -> ImportOptions {
    ImportOptions {
        on_duplicate,
        default_region: None,
        dry_run,
        overrides,
        keep_local,
        ..ImportOptions::default()
    }
}

/// The dry run: what importing the chosen `file` (its handle) would do, with nothing written.
#[tauri::command]
#[specta::specta]
async fn preview_import(
    app: AppHandle,
    session: State<'_, Session>,
    imports: State<'_, Imports>,
    files: State<'_, ImportFiles>,
    file: String,
    on_duplicate: OnDuplicate,
    overrides: Vec<(u32, Option<String>)>,
) -> Reply<ImportView> {
    run(
        &app,
        &session,
        &imports,
        files.path(&file)?,
        options(on_duplicate, overrides, true, false),
    )
    .await
}

/// The import of the chosen `file` (its handle) itself: progress arrives as
/// "import-progress" events; Cancel stops it with nothing written. `keep_local`: with a
/// cloud account, the new contacts stay on this computer until shared.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
async fn run_import(
    app: AppHandle,
    session: State<'_, Session>,
    imports: State<'_, Imports>,
    files: State<'_, ImportFiles>,
    file: String,
    on_duplicate: OnDuplicate,
    overrides: Vec<(u32, Option<String>)>,
    keep_local: bool,
) -> Reply<ImportView> {
    run(
        &app,
        &session,
        &imports,
        files.path(&file)?,
        options(on_duplicate, overrides, false, keep_local),
    )
    .await
}

async fn run(
    app: &AppHandle,
    session: &Session,
    imports: &Imports,
    path: PathBuf,
    options: ImportOptions,
) -> Reply<ImportView> {
    imports.cancel.store(false, Ordering::Relaxed);
    let report = session
        .import_file(
            &path,
            &options,
            &|p: Progress| {
                let _ = app.emit("import-progress", p);
            },
            &imports.cancel,
        )
        .await?;
    let view = ImportView::from(&report);
    *imports.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(report);
    Ok(view)
}

#[tauri::command]
#[specta::specta]
async fn cancel_import(imports: State<'_, Imports>) -> Reply<()> {
    imports.cancel.store(true, Ordering::Relaxed);
    Ok(())
}

/// Saves the last import's rejected and conflicting rows as CSV where the user chooses;
/// None when they canceled the dialog.
#[tauri::command]
#[specta::specta]
async fn save_import_errors(app: AppHandle, imports: State<'_, Imports>) -> Reply<Option<String>> {
    let Some(path) = chosen(|| {
        app.dialog()
            .file()
            .set_title("Save the import's errors")
            .set_file_name("import-errors.csv")
            .add_filter("CSV", &["csv"])
            .blocking_save_file()
    }) else {
        return Ok(None);
    };
    let last = imports
        .last
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let report = last.ok_or_else(|| Error::NotFound("no import to report on".into()))?;
    save_error_report(&report, &path)?;
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
#[specta::specta]
async fn dismiss_conflict(session: State<'_, Session>, id: String) -> Reply<()> {
    Ok(session.dismiss_conflict(&id).await?)
}

#[tauri::command]
#[specta::specta]
async fn rebook_meeting(
    session: State<'_, Session>,
    id: String,
    change: Booking,
) -> Reply<Recorded> {
    Ok(session.rebook(&id, &change).await?)
}

#[tauri::command]
#[specta::specta]
async fn list_activities(
    session: State<'_, Session>,
    contact: Option<String>,
) -> Reply<Vec<Activity>> {
    Ok(session.activities(contact.as_deref()).await?)
}

#[tauri::command]
#[specta::specta]
async fn list_conflicts(session: State<'_, Session>) -> Reply<Vec<ReviewItem>> {
    Ok(session.conflicts().await?)
}

/// Every command the UI may call; build.rs lists the same names for the capabilities.
pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            app_info,
            crate::refused::database_refusal,
            crate::refused::restore_database,
            crate::refused::reopen_database,
            list_contacts,
            get_contact,
            add_contact,
            edit_contact,
            delete_contact,
            contact_history,
            undo,
            load_sample,
            record_activity,
            rebook_meeting,
            list_activities,
            crate::notifications::list_notifications,
            list_conflicts,
            dismiss_conflict,
            choose_import_file,
            preview_import,
            run_import,
            cancel_import,
            save_import_errors,
            crate::cloud::cloud_status,
            crate::cloud::cloud_connect,
            crate::cloud::cloud_cancel,
            crate::cloud::cloud_disconnect,
            crate::cloud::cloud_estimate,
            crate::cloud::sync_state,
            crate::cloud::sync_now,
            crate::cloud::list_outbox,
            crate::cloud::retry_outbox,
            crate::cloud::cancel_outbox,
            crate::cloud::share_local_contacts,
            crate::local_api::local_api_status,
            crate::local_api::local_api_start,
            crate::local_api::local_api_stop,
            crate::local_api::api_token,
            crate::integrations::integrations_list,
            crate::integrations::integration_connect,
            crate::integrations::integration_disconnect,
            crate::integrations::integration_set_options,
            crate::integrations::oauth_apps,
            crate::integrations::set_oauth_app,
            crate::integrations::integration_sign_in,
            crate::integrations::contact_integrations,
            crate::integrations::retry_integration,
            crate::integrations::open_integration_record,
            crate::settings::settings_show,
            crate::settings::settings_set,
            crate::settings::credentials_status,
            crate::settings::credential_set,
            crate::settings::send_test_email,
            crate::settings::send_test_sms,
            crate::settings::choose_ca_file,
            crate::notifications::failed_notifications,
            crate::notifications::retry_notification,
            crate::notifications::cancel_notification,
            crate::notifications::channel_states,
            crate::people::list_users,
            crate::people::add_user,
            crate::people::update_user,
            crate::people::remove_user,
            crate::people::sign_in_as,
        ])
        .typ::<Progress>()
        .typ::<ImportFile>()
        .typ::<cardfile_core::sync::SyncProgress>()
        .typ::<crate::cloud::SyncState>()
        .typ::<crate::integrations::SignInStarted>()
}

#[cfg(test)]
mod tests {
    /// Regenerates ui/src/bindings.ts from the commands above (`make bindings`); CI then
    /// fails on any difference from the committed file.
    #[test]
    fn typescript_bindings_are_generated_from_rust() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings.ts");
        // Exported beside it first, and written over it only when different: an unchanged
        // file keeps its time, so `make` does not rebuild the UI (and cargo the app) for it.
        let fresh =
            std::env::temp_dir().join(format!("cardfile-bindings-{}.ts", std::process::id()));
        super::builder()
            .export(
                specta_typescript::Typescript::default().header(
                    "// Generated from src-tauri/src/ipc.rs by `make bindings`: do not edit.",
                ),
                &fresh,
            )
            .expect("export the TypeScript bindings");
        let text = std::fs::read_to_string(&fresh).unwrap();
        std::fs::remove_file(&fresh).unwrap();
        assert!(text.contains("listContacts"));
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(path, &text).unwrap();
        }
    }
}
