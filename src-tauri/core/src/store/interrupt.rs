//! Stopping a statement that runs for minutes: an import's last steps (building the search
//! words and indexes of ten million contacts) when Cancel is pressed, and the daily integrity
//! check when the window closes while it runs. A flag checked between statements cannot stop
//! them; a progress handler on the connection interrupts the running one at once, and its
//! transaction is rolled back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqliteConnection;

use crate::error::Result;

/// How many of SQLite's virtual-machine steps run between two looks at the flag (a look
/// is one atomic load; this many steps take well under a millisecond).
const STEPS: i32 = 10_000;

/// How often the stop (Cancel, closing) is looked at while a statement runs.
const LOOK_EVERY: Duration = Duration::from_millis(50);

/// Returns once `flag` is set (Cancel pressed, the store closing).
pub(crate) async fn stopped(flag: &AtomicBool) {
    while !flag.load(Ordering::Relaxed) {
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// A statement interrupter armed on one connection.
pub(crate) struct Interrupter {
    stop: Arc<AtomicBool>,
}

impl Interrupter {
    /// Arms `conn`: its statements stop once `self` is told to.
    pub(crate) async fn arm(conn: &mut SqliteConnection) -> Result<Interrupter> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        conn.lock_handle()
            .await?
            .set_progress_handler(STEPS, move || !flag.load(Ordering::Relaxed));
        Ok(Interrupter { stop })
    }

    /// Runs `work` on the armed connection, interrupting its statement as soon as
    /// `cancel` is set (Cancel pressed, the store closing).
    pub(crate) async fn watch<T>(
        &self,
        cancel: &AtomicBool,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let watching = async {
            stopped(cancel).await;
            self.stop.store(true, Ordering::Relaxed);
            std::future::pending::<()>().await
        };
        tokio::select! {
            done = work => done,
            _ = watching => unreachable!("watching never ends"),
        }
    }

    /// Disarms the connection (it goes back to the pool).
    pub(crate) async fn disarm(self, conn: &mut SqliteConnection) -> Result<()> {
        conn.lock_handle().await?.remove_progress_handler();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn cancel_interrupts_a_running_statement_at_once() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        let interrupter = Interrupter::arm(&mut conn).await.unwrap();
        let cancel = AtomicBool::new(false);
        let started = std::time::Instant::now();
        // A statement of minutes: count to ten billion.
        let endless = sqlx::query_scalar::<_, i64>(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000000000) SELECT count(*) FROM n",
        )
        .fetch_one(&mut conn);
        let pressed = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            cancel.store(true, Ordering::Relaxed);
        };
        let (result, ()) = tokio::time::timeout(Duration::from_secs(5), async {
            tokio::join!(interrupter.watch(&cancel, endless), pressed)
        })
        .await
        .expect("the statement stopped soon after Cancel");
        let e = result.expect_err("interrupted");
        assert!(e.to_string().contains("interrupt"), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // Disarmed, the connection runs statements to their end again.
        interrupter.disarm(&mut conn).await.unwrap();
        let n: i64 = sqlx::query_scalar(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) SELECT count(*) FROM n",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(n, 100_000);
    }
}
