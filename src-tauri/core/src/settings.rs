//! Settings kept in the database: the signed-in user and the default phone region.

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::phone;
use crate::store::Store;
use crate::users;

pub const USER: &str = "user";
pub const DEFAULT_REGION: &str = "default_region";
/// The region a new database reads national phone numbers in until the user sets theirs.
pub const DEFAULT_REGION_VALUE: &str = "US";

pub async fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

pub(crate) async fn put(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn default_region(conn: &mut SqliteConnection) -> Result<String> {
    Ok(get(conn, DEFAULT_REGION)
        .await?
        .unwrap_or_else(|| DEFAULT_REGION_VALUE.to_string()))
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Settings {
    /// The signed-in user's email.
    pub user: String,
    pub default_region: String,
}

pub async fn show(store: &Store) -> Result<Settings> {
    let user = users::acting_user(store, None).await?;
    let mut conn = store.pool().acquire().await?;
    Ok(Settings {
        user: user.email,
        default_region: default_region(&mut conn).await?,
    })
}

/// Signs `email` in: the app and the command line act as this user from now on.
pub async fn set_user(store: &Store, email: &str) -> Result<Settings> {
    let mut tx = store.pool().begin().await?;
    let user = users::find_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user with email {}", email.trim())))?;
    put(&mut tx, USER, &user.id.to_string()).await?;
    tx.commit().await?;
    show(store).await
}

/// Sets the region that national phone numbers are read in (ISO 3166 alpha-2, e.g. GB).
pub async fn set_default_region(store: &Store, code: &str) -> Result<Settings> {
    if !phone::is_region(code) {
        return Err(Error::invalid(
            "default_region",
            format!("\"{}\" is not a region code like US, GB or DE", code.trim()),
        ));
    }
    let mut conn = store.pool().acquire().await?;
    put(&mut conn, DEFAULT_REGION, &code.trim().to_ascii_uppercase()).await?;
    drop(conn);
    show(store).await
}
