//! Contact rows read back as stored, and which of them a user may see: what every feature
//! and the identity check read before they decide.

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::record::{ContactRow, ROW_COLUMNS};
use crate::search::Scope;

/// Parses a contact id as the command line and the window pass it.
pub fn parse_id(id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::NotFound(format!("no contact with id {}", id.trim())))
}

pub async fn load_row(conn: &mut SqliteConnection, id: i64) -> Result<Option<ContactRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {ROW_COLUMNS} FROM contacts WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The rows of contacts `ids` that exist, in one statement (the ids travel as JSON, so its
/// text, and the statement sqlx keeps prepared, is the same for any number of them).
pub(crate) async fn load_rows(conn: &mut SqliteConnection, ids: &[i64]) -> Result<Vec<ContactRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = crate::error::json(ids)?;
    Ok(sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS} FROM contacts WHERE id IN (SELECT value FROM json_each(?))"
    ))
    .bind(json)
    .fetch_all(&mut *conn)
    .await?)
}

/// The row of contact `id` if `scope` may see it. A contact the user may not see is
/// reported exactly like one that does not exist: nothing about it leaks.
pub(crate) async fn visible_row(
    conn: &mut SqliteConnection,
    scope: &Scope,
    id: i64,
) -> Result<ContactRow> {
    match load_row(conn, id).await? {
        Some(row) if scope.allows(row.owner_id) => Ok(row),
        _ => Err(Error::NotFound(format!("no contact with id {id}"))),
    }
}

/// The id of contact `id` (as the CLI and window pass it) when `scope` may see it; None
/// when no contact was asked for.
pub(crate) async fn visible_id(
    conn: &mut SqliteConnection,
    scope: &Scope,
    id: Option<&str>,
) -> Result<Option<i64>> {
    match id {
        Some(id) => Ok(Some(visible_row(conn, scope, parse_id(id)?).await?.id)),
        None => Ok(None),
    }
}
