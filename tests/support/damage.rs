//! A database damaged the way a failing disk damages one, for the tests of what Cardfile
//! does with it (core's recovery tests, the window's restore): the email index's b-tree
//! page header overwritten with an impossible page type and cell count.

use std::path::Path;

use crate::shell::sqlite;

/// One number from the sqlite3 shell.
fn number(db: &Path, sql: &str) -> u64 {
    sqlite(db, sql).trim().parse().unwrap()
}

/// Damages the closed database at `db`.
pub fn damage(db: &Path) {
    let root = number(
        db,
        "SELECT rootpage FROM sqlite_schema WHERE name = 'contacts_email'",
    );
    let page = number(db, "PRAGMA page_size");
    let mut bytes = std::fs::read(db).unwrap();
    let at = ((root - 1) * page) as usize;
    bytes[at..at + 8].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    std::fs::write(db, bytes).unwrap();
}
