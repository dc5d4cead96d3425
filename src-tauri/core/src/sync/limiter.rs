//! OnceHub's rate limits (5 requests in any second, 200 in any five minutes), never exceeded:
//! sends are counted in sliding windows over a log kept in the database, so every process
//! (the window, a CLI sync, cron) shares one budget. A refilling bucket would admit about
//! 400 in some five-minute windows; a log cannot.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Result;
use crate::settings;
use crate::store::Store;

/// The documented limits, the defaults of the `cloud_per_second` and
/// `cloud_per_five_minutes` settings.
pub const PER_SECOND: u32 = 5;
pub const PER_FIVE_MINUTES: u32 = 200;

/// Each window is counted a little wider than the cloud's (a request's trip over the network
/// varies, so two sends 1.00 s apart may arrive 0.98 s apart).
const SECOND_MS: i64 = 1_100;
const FIVE_MINUTES_MS: i64 = 301_000;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limiter {
    target: &'static str,
    per_second: u32,
    per_five_minutes: u32,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn limit(store: &Store, key: &str, default: u32) -> Result<u32> {
    let mut conn = store.pool().acquire().await?;
    Ok(settings::get(&mut conn, key)
        .await?
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default))
}

impl Limiter {
    /// The cloud's limiter, with the limits the settings give.
    pub(crate) async fn cloud(store: &Store) -> Result<Limiter> {
        Ok(Limiter {
            target: crate::outbox::CLOUD,
            per_second: limit(store, settings::CLOUD_PER_SECOND, PER_SECOND).await?,
            per_five_minutes: limit(store, settings::CLOUD_PER_FIVE_MINUTES, PER_FIVE_MINUTES)
                .await?,
        })
    }

    /// An integration's limiter: at most `per_second` (their longer budgets are far above
    /// what a person's edits make).
    pub(crate) fn integration(target: &'static str, per_second: u32) -> Limiter {
        Limiter {
            target,
            per_second,
            per_five_minutes: per_second * 300,
        }
    }

    /// Waits until one more send fits both windows, then logs it (one transaction: two
    /// processes cannot both take the last place).
    pub(crate) async fn acquire(&self, store: &Store) -> Result<()> {
        loop {
            let now = now_ms();
            let mut tx = store.write().await?;
            sqlx::query("DELETE FROM remote_sends WHERE target = ? AND at_ms < ?")
                .bind(self.target)
                .bind(now - FIVE_MINUTES_MS)
                .execute(&mut *tx)
                .await?;
            let mut wait_ms = 0;
            for (window, max) in [
                (SECOND_MS, self.per_second),
                (FIVE_MINUTES_MS, self.per_five_minutes),
            ] {
                // The send that must leave the window before one more fits.
                let blocking: Option<i64> = sqlx::query_scalar(
                    "SELECT at_ms FROM remote_sends WHERE target = ? AND at_ms > ? \
                     ORDER BY at_ms DESC LIMIT 1 OFFSET ?",
                )
                .bind(self.target)
                .bind(now - window)
                .bind(max as i64 - 1)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(at) = blocking {
                    wait_ms = wait_ms.max(at + window - now + 1);
                }
            }
            if wait_ms == 0 {
                sqlx::query("INSERT INTO remote_sends (target, at_ms) VALUES (?, ?)")
                    .bind(self.target)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                return Ok(());
            }
            drop(tx);
            tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
        }
    }
}
