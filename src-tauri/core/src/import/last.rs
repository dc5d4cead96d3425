//! The import's last steps, after its last row: the changed contacts' journal and feed,
//! the new contacts' search words, journal and feed all at once, and how much of the
//! import's time each stage takes, for its progress to run evenly with time.

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::Funnel;
use crate::record::ContactRow;

use super::mapping;
use super::run::Run;

/// The shares of an import's time its stages take, for `Progress::fraction` to run evenly
/// with time (the window's time left divides by it): the rows (read, decided, written),
/// then the search words, journal and feed of the new contacts, then the indexes built
/// again (a bulk import's), then the commit. The rows take time in proportion to their
/// number, the sorting after them more than that: measured by `make bench` (2026-11-29),
/// the rows took 41% of a million-row import and 34% of a ten-million-row one; of the rest,
/// the words about half, the indexes a third, the commit a sixth.
pub(super) struct Shares {
    pub(super) rows: f64,
    pub(super) words: f64,
    pub(super) indexes: f64,
}

impl Shares {
    /// For an import of about `rows` rows; `bulk`: its indexes are built again at the end.
    pub(super) fn of(rows: u64, bulk: bool) -> Shares {
        let millions = (rows.max(1) as f64 / 1e6).log10();
        let share = (0.41 - 0.075 * millions).clamp(0.2, 0.7);
        let rest = 1.0 - share;
        match bulk {
            true => Shares {
                rows: share,
                words: rest * 0.48,
                indexes: rest * 0.37,
            },
            // The indexes kept up to date as rows are written: the rows take their share.
            false => Shares {
                rows: share + rest * 0.37,
                words: rest * 0.48,
                indexes: 0.0,
            },
        }
    }
}

/// After the last chunk, through the funnel: each changed contact that existed before (its
/// words, journal, notifications and feed), then the new contacts all at once.
pub(super) async fn finish(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    run: &Run<'_>,
    mapping: &mapping::Mapping,
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
        .imported_creates(conn, run.first_new, run.next_id - 1, &fields)
        .await
}
