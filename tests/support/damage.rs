//! A database damaged the way a failing disk damages one, for the tests of what Cardfile
//! does with it (core's recovery tests, the window's restore): the email index's b-tree
//! page header overwritten with an impossible page type and cell count.

use std::path::Path;

use crate::shell::sqlite;

/// One number from the sqlite3 shell.
fn number(db: &Path, sql: &str) -> u64 {
    sqlite(db, sql).trim().parse().unwrap()
}

/// Damages the database `store` has open, as a failing disk would under a running app: its
/// log copied into the file and emptied first (waiting out the app's readers), so every
/// connection reads the damaged page from the file.
pub async fn damage_open(store: &cardfile_core::Store) {
    let mut emptied = false;
    for _ in 0..100 {
        let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(store.pool())
            .await
            .unwrap();
        emptied = busy == 0;
        if emptied {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(emptied, "the log copied into the file and emptied");
    damage(store.path());
}

/// Damages the database at `db`: closed, or open with its log emptied (`damage_open`). The
/// bad bytes are written in place, as a disk would, so a process that maps the file goes on
/// reading it.
pub fn damage(db: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let root = number(
        db,
        "SELECT rootpage FROM sqlite_schema WHERE name = 'contacts_email'",
    );
    let page = number(db, "PRAGMA page_size");
    let mut file = std::fs::File::options().write(true).open(db).unwrap();
    file.seek(SeekFrom::Start((root - 1) * page)).unwrap();
    file.write_all(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        .unwrap();
    file.sync_all().unwrap();
}
