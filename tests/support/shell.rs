//! The sqlite3 shell, for the tests that read or change a database the way no Cardfile
//! command does (as an older version, a failing disk or another program would have left it):
//! one helper for every test crate.

use std::path::Path;
use std::process::Command;

/// The sqlite3 shell's answer to `sql` on `db` (waiting out a lock for up to 10 s, as an
/// app would); a refusal fails the test with the shell's reason.
pub fn sqlite(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .args(["-cmd", ".timeout 10000"])
        .arg(db)
        .arg(sql)
        .output()
        .expect("the sqlite3 shell (apt: sqlite3)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
