//! Lets tauri-build read tauri.conf.json, and generates a permission per app command so
//! the capabilities file can allow exactly the commands the UI uses and nothing else.
fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "list_contacts",
            "get_contact",
            "add_contact",
            "edit_contact",
            "delete_contact",
            "contact_history",
            "undo",
            "load_sample",
            "record_activity",
            "rebook_meeting",
            "list_activities",
            "list_notifications",
            "list_conflicts",
            "dismiss_conflict",
            "choose_import_file",
            "preview_import",
            "run_import",
            "cancel_import",
            "save_import_errors",
        ]),
    ))
    .expect("tauri-build");
}
