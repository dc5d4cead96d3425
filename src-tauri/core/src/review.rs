//! The Review list: identities held for review, where an activity's or an import row's email
//! named one contact and its mobile phone another. The user merges them (the email's holder
//! survives, through the merge dialog) or dismisses the item as two different people.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::{now, Store};
use crate::users::{self, User};

/// One item held for review.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct ReviewItem {
    pub id: String,
    pub source: String,
    pub activity_id: Option<String>,
    pub email_contact_id: Option<String>,
    pub phone_contact_id: Option<String>,
    pub reason: String,
    pub created_at: String,
}

/// The Review list: identities held for review, not dismissed and not settled since (once a
/// merge folds one of the two contacts into the other, or one is deleted, the item goes).
pub async fn conflicts(store: &Store, user: &User) -> Result<Vec<ReviewItem>> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        source: String,
        activity_id: Option<i64>,
        email_contact_id: Option<i64>,
        phone_contact_id: Option<i64>,
        reason: String,
        created_at: String,
        email_owner: Option<i64>,
        phone_owner: Option<i64>,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT r.id, r.source, r.activity_id, r.email_contact_id, r.phone_contact_id, r.reason, r.created_at, \
         e.owner_id AS email_owner, p.owner_id AS phone_owner FROM review_items r \
         LEFT JOIN contacts e ON e.id = r.email_contact_id LEFT JOIN contacts p ON p.id = r.phone_contact_id \
         WHERE r.dismissed_at IS NULL \
         AND NOT (r.email_contact_id IS NOT NULL AND r.phone_contact_id IS NOT NULL AND (e.id IS NULL OR p.id IS NULL)) \
         ORDER BY r.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let text = |v: Option<i64>| v.map(|v| v.to_string());
    Ok(rows
        .into_iter()
        // Shown to whoever may see either contact involved.
        .filter(|r| {
            [r.email_owner, r.phone_owner]
                .iter()
                .flatten()
                .any(|o| scope.allows(*o))
        })
        .map(|r| ReviewItem {
            id: r.id.to_string(),
            source: r.source,
            activity_id: text(r.activity_id),
            email_contact_id: text(r.email_contact_id),
            phone_contact_id: text(r.phone_contact_id),
            reason: r.reason,
            created_at: r.created_at,
        })
        .collect())
}

/// Takes an item off the Review list (the user decided the two contacts are different people).
pub async fn dismiss_conflict(store: &Store, user: &User, id: &str) -> Result<()> {
    let visible = conflicts(store, user).await?;
    let item = visible
        .iter()
        .find(|r| r.id == id.trim())
        .ok_or_else(|| Error::NotFound(format!("no review item with id {}", id.trim())))?;
    let mut tx = store.write().await?;
    sqlx::query("UPDATE review_items SET dismissed_at = ? WHERE id = ?")
        .bind(now())
        .bind(item.id.parse::<i64>().unwrap_or(0))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
