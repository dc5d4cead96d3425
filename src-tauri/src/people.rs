//! The window's Users & teams view: list, add, change role and teams, remove (choosing who
//! takes over the contacts first), and sign in as another user. Each command is one call of
//! core's Session, which holds the rules (Admins only; read-only while a cloud account
//! supplies the users).

use cardfile_core::preferences::Settings;
use cardfile_core::user_removal::Removed;
use cardfile_core::users::UserChange;
use cardfile_core::{ErrorBody, Role, Session, User};
use tauri::State;

type Reply<T> = Result<T, ErrorBody>;

/// Every user (not removed), by email.
#[tauri::command]
#[specta::specta]
pub async fn list_users(session: State<'_, Session>) -> Reply<Vec<User>> {
    Ok(session.users().await?)
}

/// Adds a user, in `team` when one is named (created when new).
#[tauri::command]
#[specta::specta]
pub async fn add_user(
    session: State<'_, Session>,
    email: String,
    name: String,
    role: Role,
    team: Option<String>,
) -> Reply<User> {
    Ok(session
        .add_user(&email, &name, role, team.as_deref())
        .await?)
}

/// Changes a user's role, and the teams they are in.
#[tauri::command]
#[specta::specta]
pub async fn update_user(
    session: State<'_, Session>,
    email: String,
    change: UserChange,
) -> Reply<User> {
    Ok(session.update_user(&email, &change).await?)
}

/// Removes a user; their contacts and upcoming meetings go to `reassign_to` first.
#[tauri::command]
#[specta::specta]
pub async fn remove_user(
    session: State<'_, Session>,
    email: String,
    reassign_to: String,
) -> Reply<Removed> {
    Ok(session.remove_user(&email, &reassign_to).await?)
}

/// Signs `email` in: the window (and the command line) act as them from now on.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_as(session: State<'_, Session>, email: String) -> Reply<Settings> {
    Ok(session.set_user(&email).await?)
}
