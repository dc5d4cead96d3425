//! The change feed watched: each committed change to contacts announced, whoever made it
//! (the window, the command line, later the local API and the sync worker, each its own
//! process or task), to whoever listens.
//! The feed is written only by the write funnel (funnel.rs), in the change's transaction, so
//! an announced change is a committed one and a committed one is always announced.

use std::time::Duration;

use crate::error::Result;
use crate::store::Store;

/// The last entry's seq (0 before any change).
pub async fn latest(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
            .fetch_one(store.pool())
            .await?,
    )
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
