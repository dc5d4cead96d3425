//! The window's IPC: each command is a one-call adapter into core's Session, and errors
//! cross as `{code, message, field}`. The TypeScript bindings are generated from here.

use cardfile_core::activity::{Activity, Booking, NewActivity, Recorded, ReviewItem};
use cardfile_core::history::{HistoryEntry, Undone};
use cardfile_core::merge::MergePlan;
use cardfile_core::notify::Notification;
use cardfile_core::{
    AppInfo, Contact, ContactFields, ContactPage, Error, ErrorCode, ListQuery, Session,
};
use serde::Serialize;
use tauri::State;

/// An error as the UI sees it: it branches on `code` (and `field`), never on `message`.
#[derive(Debug, Serialize, specta::Type)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// The contact field the error concerns, so the form can show it there.
    pub field: Option<String>,
    /// With code merge_needed: what confirming the save would merge, for the merge dialog.
    pub plan: Option<MergePlan>,
}

impl From<Error> for IpcError {
    fn from(e: Error) -> Self {
        IpcError {
            code: e.code(),
            field: e.field().map(str::to_string),
            message: match &e {
                Error::Invalid { reason, .. } => reason.clone(),
                _ => e.to_string(),
            },
            plan: match e {
                Error::MergeNeeded(plan) => Some(*plan),
                _ => None,
            },
        }
    }
}

type Reply<T> = Result<T, IpcError>;

#[tauri::command]
#[specta::specta]
async fn app_info(session: State<'_, Session>) -> Reply<AppInfo> {
    Ok(session.app_info().await?)
}

#[tauri::command]
#[specta::specta]
async fn list_contacts(session: State<'_, Session>, query: ListQuery) -> Reply<ContactPage> {
    Ok(session.list(&query).await?)
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
async fn delete_contact(session: State<'_, Session>, id: String) -> Reply<()> {
    Ok(session.delete(&id).await?)
}

#[tauri::command]
#[specta::specta]
async fn record_activity(session: State<'_, Session>, activity: NewActivity) -> Reply<Recorded> {
    Ok(session.record_activity(&activity).await?)
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
async fn list_notifications(
    session: State<'_, Session>,
    contact: Option<String>,
) -> Reply<Vec<Notification>> {
    Ok(session.notifications(contact.as_deref(), false).await?)
}

#[tauri::command]
#[specta::specta]
async fn list_conflicts(session: State<'_, Session>) -> Reply<Vec<ReviewItem>> {
    Ok(session.conflicts().await?)
}

/// Every command the UI may call; build.rs lists the same names for the capabilities.
pub fn builder() -> tauri_specta::Builder<tauri::Wry> {
    tauri_specta::Builder::<tauri::Wry>::new().commands(tauri_specta::collect_commands![
        app_info,
        list_contacts,
        get_contact,
        add_contact,
        edit_contact,
        delete_contact,
        contact_history,
        undo,
        record_activity,
        rebook_meeting,
        list_activities,
        list_notifications,
        list_conflicts,
        dismiss_conflict,
    ])
}

#[cfg(test)]
mod tests {
    /// Regenerates ui/src/bindings.ts from the commands above (`make bindings`); CI then
    /// fails on any difference from the committed file.
    #[test]
    fn typescript_bindings_are_generated_from_rust() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/bindings.ts");
        super::builder()
            .export(
                specta_typescript::Typescript::default().header(
                    "// Generated from src-tauri/src/ipc.rs by `make bindings`: do not edit.",
                ),
                path,
            )
            .expect("export the TypeScript bindings");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("listContacts"));
    }
}
