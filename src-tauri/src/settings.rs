//! The window's side of Settings → Reminders, Email, SMS and Region: each command is one
//! call of core's preferences or trial. Passwords and tokens go from the page's password
//! field straight to the OS keyring; the page only ever hears whether one is configured.

use cardfile_core::preferences::{self, Credential, Credentials, Key, Settings};
use cardfile_core::{Error, ErrorBody, Session};
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::keyring_store::Keyring;

type Reply<T> = Result<T, ErrorBody>;

/// The settings as stored (never a password or token: those are in the keyring).
#[tauri::command]
#[specta::specta]
pub async fn settings_show(session: State<'_, Session>) -> Reply<Settings> {
    Ok(session.settings().await?)
}

/// Changes one setting; a refusal names its field (`smtp`, `reminders`, ...), and an Admin-only
/// one is refused to others.
#[tauri::command]
#[specta::specta]
pub async fn settings_set(session: State<'_, Session>, key: Key, value: String) -> Reply<Settings> {
    Ok(session.set(&Keyring, key, &value).await?)
}

/// Whether the keyring holds the SMTP password and the SMS token (never their values).
#[tauri::command]
#[specta::specta]
pub async fn credentials_status() -> Reply<Credentials> {
    // The keyring is a blocking call (D-Bus on Linux): off the runtime's workers.
    Ok(
        tauri::async_runtime::spawn_blocking(|| preferences::credentials(&Keyring))
            .await
            .map_err(|e| Error::Internal(format!("the keyring call failed: {e}")))?,
    )
}

/// Stores the SMTP password or the SMS token typed into Settings in the keyring (Admins only).
#[tauri::command]
#[specta::specta]
pub async fn credential_set(
    session: State<'_, Session>,
    which: Credential,
    value: String,
) -> Reply<Credentials> {
    let user = session.user().await?;
    let stored = tauri::async_runtime::spawn_blocking(move || {
        preferences::set_credential(&user, &Keyring, which, &value)
    })
    .await
    .map_err(|e| Error::Internal(format!("the keyring call failed: {e}")))??;
    Ok(stored)
}

/// "Send test email": a message to `to` through the email settings, as reminders go.
#[tauri::command]
#[specta::specta]
pub async fn send_test_email(session: State<'_, Session>, to: String) -> Reply<()> {
    Ok(session.send_test_email(&Keyring, &to).await?)
}

/// "Send test SMS": a message to `to` through the SMS gateway, as reminders go.
#[tauri::command]
#[specta::specta]
pub async fn send_test_sms(session: State<'_, Session>, to: String) -> Reply<()> {
    Ok(session.send_test_sms(&Keyring, &to).await?)
}

/// "Choose…" beside the CA file: the native open dialog; the path the user chose (a
/// certificate file's path is no secret: the setting shows it), or None when canceled.
#[tauri::command]
#[specta::specta]
pub async fn choose_ca_file(app: AppHandle) -> Reply<Option<String>> {
    Ok(crate::ipc::chosen(|| {
        app.dialog()
            .file()
            .set_title("The mail server's CA certificate")
            .add_filter("PEM certificates", &["pem", "crt", "cer"])
            .blocking_pick_file()
    })
    .map(|p| p.display().to_string()))
}
