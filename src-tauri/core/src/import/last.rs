//! The import's last steps, after its last row: the changed contacts' journal and feed,
//! the new contacts' search words, journal and feed all at once, and how much of the
//! import's time each stage takes, for its progress to run evenly with time.

use std::time::Duration;

use tokio::time::Instant;

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::Funnel;
use crate::record::ContactRow;

use super::mapping;
use super::run::Run;

/// The shares of an import's time its stages take, for `Progress::fraction` to run evenly
/// with time (the window's time left divides by it): the rows (read, decided, written),
/// then the search words, journal and feed of the new contacts, then the indexes built
/// again (a bulk import's), then the commit (its log copied into the file afterwards, in
/// the background). Measured by one-off imports (2026-12-02, 16 KB pages, the words sorted
/// outside SQLite (`funnel::new_words`), the indexes' sorts with a 4 MB page cache): a
/// million rows 43%, words 31%, indexes 24%; ten million 41%, 29% and 28%; the commit 2-3%.
/// The shares sit between the two.
pub(super) struct Shares {
    pub(super) rows: f64,
    pub(super) words: f64,
    pub(super) indexes: f64,
}

impl Shares {
    /// `bulk`: the indexes are built again at the end.
    pub(super) fn of(bulk: bool) -> Shares {
        match bulk {
            true => Shares {
                rows: 0.42,
                words: 0.30,
                indexes: 0.26,
            },
            // The indexes kept up to date as rows are written: the rows take their share.
            false => {
                let bulk = Shares::of(true);
                Shares {
                    rows: bulk.rows + bulk.indexes,
                    words: bulk.words,
                    indexes: 0.0,
                }
            }
        }
    }
}

/// Runs one of the last steps, reporting its progress while it runs (its statements say
/// nothing until they end): `done` is told the fraction, moving from `from` by `share` at
/// the pace the rows set (`expected`: the step's share of the time at the rows' speed), and
/// held short of the step's end (at 90% of its share) if it runs long, so the bar never
/// shows a step done that is not.
async fn ticking<T>(
    step: impl std::future::Future<Output = T>,
    from: f64,
    share: f64,
    expected: Duration,
    done: impl Fn(f64),
) -> T {
    let started = Instant::now();
    let mut every = tokio::time::interval(Duration::from_millis(500));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    tokio::pin!(step);
    loop {
        tokio::select! {
            out = &mut step => return out,
            _ = every.tick() => {
                let part = started.elapsed().as_secs_f64() / expected.as_secs_f64().max(1e-3);
                done(from + share * part.min(0.9));
            }
        }
    }
}

/// What the last steps need to know besides the rows: the indexes to build again (name and
/// statement), the stages' shares, and how long the rows took (the pace the last steps are
/// expected at).
pub(super) struct Last<'a> {
    pub(super) rebuilt: &'a [(String, String)],
    pub(super) shares: &'a Shares,
    pub(super) rows_took: Duration,
}

/// The last steps after the rows, each reporting its progress to `step` while it runs: the
/// words, journal and feed of what the import changed and created, and the indexes built
/// again (the one the words are read from first).
pub(super) async fn finish(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    run: &Run<'_>,
    mapping: &mapping::Mapping,
    last: &Last<'_>,
    step: impl Fn(f64) + Copy,
) -> Result<()> {
    // The last steps sort with the import connection's 4 MB page cache (import/mod.rs): a
    // 16 MB cache here made a million-row import 14.0 s against 15.6-17.2 s (2026-11-30).
    let Last {
        rebuilt,
        shares,
        rows_took,
    } = *last;
    // Each last step is expected to take its share of the time at the pace the rows set.
    let expected = |share: f64| rows_took.mul_f64(share / shares.rows);
    let each = shares.indexes / rebuilt.len().max(1) as f64;
    let (first, rest): (Vec<_>, Vec<_>) = rebuilt
        .iter()
        .partition(|(name, _)| name == crate::words::WORDS_INDEX);
    let mut at = shares.rows;
    for (_, sql) in &first {
        let build = sqlx::query(sql).execute(&mut *conn);
        ticking(build, at, each, expected(each), step).await?;
        at += each;
        step(at);
    }
    let written = words(&mut *conn, funnel, run, mapping, !first.is_empty());
    ticking(written, at, shares.words, expected(shares.words), step).await?;
    at += shares.words;
    step(at);
    for (_, sql) in &rest {
        let build = sqlx::query(sql).execute(&mut *conn);
        ticking(build, at, each, expected(each), step).await?;
        at += each;
        step(at);
    }
    Ok(())
}

/// After the last chunk, through the funnel: each changed contact that existed before (its
/// words, journal, notifications and feed), then the new contacts all at once.
async fn words(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    run: &Run<'_>,
    mapping: &mapping::Mapping,
    from_index: bool,
) -> Result<()> {
    let mut changed: Vec<(&i64, &ContactRow)> = run.before.iter().collect();
    changed.sort_unstable_by_key(|(id, _)| **id);
    for (id, before) in changed {
        let after = crate::rows::load_row(conn, *id)
            .await?
            .ok_or_else(|| Error::Internal(format!("contact {id} vanished during the import")))?;
        funnel.imported_update(conn, before, &after).await?;
    }
    let fields: Vec<&str> = crate::record::FIELDS
        .iter()
        .copied()
        .filter(|f| mapping.fields.iter().any(|(m, _)| m == f))
        .collect();
    funnel
        .imported_creates(conn, run.first_new, run.next_id - 1, &fields, from_index)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_last_step_moves_the_bar_at_the_rows_pace_and_stops_short_of_its_end() {
        let heard = std::sync::Mutex::new(Vec::new());
        // Expected to take 2 s, it takes 4: the bar moves through its share at the
        // expected pace, then waits at 90% of it until the step ends.
        let step = async {
            tokio::time::sleep(Duration::from_secs(4)).await;
            7
        };
        let started = Instant::now();
        let out = ticking(step, 0.5, 0.2, Duration::from_secs(2), |f| {
            heard
                .lock()
                .unwrap()
                .push((started.elapsed().as_secs_f64(), f))
        })
        .await;
        assert_eq!(out, 7);
        let heard = heard.into_inner().unwrap();
        assert!(heard.len() >= 7, "{heard:?}");
        for (t, f) in &heard {
            let want = 0.5 + 0.2 * (t / 2.0).min(0.9);
            assert!((f - want).abs() < 1e-9, "at {t} s: {f}, not {want}");
        }
        assert!(heard.iter().any(|(t, _)| (*t - 1.0).abs() < 1e-9));
        assert!(heard.iter().all(|(_, f)| *f <= 0.68 + 1e-9));
    }
}
