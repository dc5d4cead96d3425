//! Bad databases, each with the outcome a user must get: a file that is not a database,
//! another program's database, one from a newer Cardfile, one damaged on disk, one that
//! cannot be written, and a disk that fills up during an import. Each is refused with the
//! reason, and the file is exactly as it was (byte for byte where SQLite never opened it).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{cardfile, measured, report, Ran};
use crate::Cli;

use crate::shell::sqlite;

/// Runs `args` on `db` and checks the refusal: exit 1 and `reason` on stderr.
fn refused(db: &Path, args: &[&str], what: &str, reason: &str) -> Ran {
    let dir = tempfile::tempdir().unwrap();
    let mut command = cardfile(db);
    command.args(args);
    let ran = measured(command, dir.path());
    report(what, &ran);
    assert_eq!(ran.status.code(), Some(1), "{what}: {}", ran.stderr);
    assert!(
        ran.stderr.contains(reason),
        "{what}: {:?} should say {reason:?}",
        ran.stderr
    );
    ran
}

/// The files in the database's folder, to see that nothing was created beside it.
fn folder(db: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn a_file_that_is_not_a_database_or_not_cardfiles_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.db");
    std::fs::write(&notes, "Call Ann back on Monday.\n".repeat(200)).unwrap();
    let listed = folder(&notes);
    refused(
        &notes,
        &["list"],
        "a text file given as the database",
        "is not a Cardfile database (it is not an SQLite file): nothing was changed",
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "Call Ann back on Monday.\n".repeat(200)
    );
    assert_eq!(folder(&notes), listed, "nothing created beside it");

    let places = dir.path().join("places.sqlite");
    sqlite(&places, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT); INSERT INTO moz_places (url) VALUES ('https://example.com')");
    let before = std::fs::read(&places).unwrap();
    refused(
        &places,
        &["add", "--email", "ann@example.com"],
        "another program's SQLite database",
        "is an SQLite database, but not Cardfile's: nothing was changed",
    );
    assert_eq!(std::fs::read(&places).unwrap(), before);
}

#[test]
fn a_database_from_a_newer_cardfile_is_refused_and_not_migrated_backwards() {
    let cli = Cli::new();
    crate::add_ann(&cli);
    sqlite(
        &cli.db,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (9001, 'a later feature', '2030-01-01', 1, x'00', 0)",
    );
    let before = cli.dump();
    refused(
        &cli.db,
        &["add", "--email", "bob@example.com"],
        "a database from a newer Cardfile",
        "was written by a newer Cardfile (its schema is version 9001",
    );
    assert_eq!(cli.dump(), before);
}

#[test]
fn a_damaged_database_is_refused_unwritten_naming_its_backup() {
    let cli = Cli::new();
    crate::add_ann(&cli);
    for i in 0..100 {
        cli.ok(&["add", "--email", &format!("p{i}@example.com")]);
    }
    // A day later (the backup a day old), the disk damaged an index page.
    let backup = PathBuf::from(format!("{}.backup", cli.db.display()));
    std::fs::File::options()
        .write(true)
        .open(&backup)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 86_400))
        .unwrap();
    let root: u64 = sqlite(
        &cli.db,
        "SELECT rootpage FROM sqlite_schema WHERE name = 'contacts_email'",
    )
    .trim()
    .parse()
    .unwrap();
    let page: u64 = sqlite(&cli.db, "PRAGMA page_size").trim().parse().unwrap();
    let mut bytes = std::fs::read(&cli.db).unwrap();
    let at = ((root - 1) * page) as usize;
    bytes[at..at + 8].copy_from_slice(&[0x7f; 8]);
    std::fs::write(&cli.db, &bytes).unwrap();
    let ran = refused(
        &cli.db,
        &["add", "--email", "new@example.com"],
        "a database damaged on disk",
        "is damaged (SQLite's integrity check:",
    );
    assert!(
        ran.stderr.contains("Cardfile has not changed it") && ran.stderr.contains(".backup"),
        "{}",
        ran.stderr
    );
    assert_eq!(std::fs::read(&cli.db).unwrap(), bytes, "not written to");
}

/// Takes the immutable attribute off again, whatever the test's end.
struct Immutable(PathBuf);

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_database_file_that_cannot_be_written_is_refused_with_the_way_to_fix_it() {
    let cli = Cli::new();
    crate::add_ann(&cli);
    // Root writes through permission bits: the immutable attribute stops everyone.
    let made = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&cli.db)
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("catalogue: a read-only database: skipped, chattr +i is not possible on this file system");
        return;
    }
    let _undo = Immutable(cli.db.clone());
    let before = std::fs::read(&cli.db).unwrap();
    refused(
        &cli.db,
        &["add", "--email", "bob@example.com"],
        "a read-only database file",
        "cannot write to the database",
    );
    assert_eq!(std::fs::read(&cli.db).unwrap(), before);
}

/// Unmounts the small file system again.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_disk_that_fills_up_during_an_import_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small-disk");
    std::fs::create_dir(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&small)
        .output()
        .unwrap();
    if !mounted.status.success() {
        eprintln!(
            "catalogue: a full disk: skipped, a 6 MB tmpfs cannot be mounted here ({})",
            String::from_utf8_lossy(&mounted.stderr).trim()
        );
        return;
    }
    let _unmount = Mounted(small.clone());
    let db = small.join("cardfile.db");
    let run = |args: &[&str]| {
        let out = cardfile(&db).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    run(&["add", "--email", "ann@example.com", "--first-name", "Ann"]);
    run(&["list"]);
    let before = sqlite(&db, ".dump");
    // 40,000 contacts: several times what the 6 MB disk has room for (16 KB pages: a
    // write after the import needs room for a few dozen of them).
    let file = dir.path().join("contacts.csv");
    let mut text = String::from("First Name,Last Name,Email,Company\n");
    for i in 0..40_000 {
        text.push_str(&format!(
            "First{i},Last{i},person{i}@example.com,Company {i}\n"
        ));
    }
    std::fs::write(&file, text).unwrap();
    refused(
        &db,
        &["import", file.to_str().unwrap()],
        "a disk that fills up during an import",
        "is full: nothing was imported. Free some space and import the file again",
    );
    assert_eq!(sqlite(&db, "PRAGMA integrity_check").trim(), "ok");
    assert_eq!(sqlite(&db, ".dump"), before, "the database is as it was");
    run(&["add", "--email", "bob@example.com"]);
}
