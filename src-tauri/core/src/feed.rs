//! The change feed read back: what changed to contacts after a point, and a watcher that
//! announces each committed change, whoever made it (the window, the command line, later the
//! local API and the sync worker, each its own process or task), to whoever listens.
//! The feed is written only by the write funnel (funnel.rs), in the change's transaction, so
//! an announced change is a committed one and a committed one is always announced.

use std::time::Duration;

use serde::Serialize;

use crate::error::Result;
use crate::store::Store;

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type, sqlx::FromRow)]
pub struct FeedEntry {
    pub seq: i64,
    pub batch_id: i64,
    pub contact_id: i64,
    /// An import's new contacts (or their undo) are one entry: ids contact_id..=last_id.
    pub last_id: Option<i64>,
    /// create, update, delete or merge (folded into `merged_into`).
    pub kind: String,
    pub merged_into: Option<i64>,
    /// The names of the fields changed, as a JSON array.
    pub fields: String,
    /// manual, import, activity, api, cloud or undo.
    pub source: String,
    pub user_id: i64,
    pub at: String,
}

/// The last entry's seq (0 before any change).
pub async fn latest(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
            .fetch_one(store.pool())
            .await?,
    )
}

/// Up to `limit` entries after `seq`, oldest first.
pub async fn since(store: &Store, seq: i64, limit: i64) -> Result<Vec<FeedEntry>> {
    Ok(sqlx::query_as(
        "SELECT seq, batch_id, contact_id, last_id, kind, merged_into, fields, source, user_id, at \
         FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
    )
    .bind(seq)
    .bind(limit)
    .fetch_all(store.pool())
    .await?)
}

/// Calls `on_change` with the feed's newest seq each time it has grown, looking every
/// `every`, from now on. Another process's commits are seen too: the feed is in the file.
/// A read that fails (the database busy for longer than its timeout) is tried again at the
/// next look. Runs until `on_change` returns false.
pub async fn watch(store: Store, every: Duration, mut on_change: impl FnMut(i64) -> bool + Send) {
    let mut seen = latest(&store).await.unwrap_or(0);
    loop {
        tokio::time::sleep(every).await;
        if let Ok(now) = latest(&store).await {
            if now != seen {
                seen = now;
                if !on_change(now) {
                    return;
                }
            }
        }
    }
}
