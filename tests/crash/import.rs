//! A 200,000-row import (new people, updates of existing contacts, repeats within the file,
//! rejected rows) killed at a random moment; then the undo of that import killed likewise
//! (undo.rs). After each kill the import is wholly there or wholly absent, and importing the
//! same file again gives what one import without a kill gives.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    cardfile, contacts, copy_db, hash, ok, run_killed, sound, sqlite, trials, Figures, Rng, Run,
};

/// Rows in the import the trials kill.
pub const ROWS: usize = 200_000;
/// Contacts the database holds before it (from an import of their own).
const EXISTING: usize = 2_000;

/// A database's state as the import leaves it: its schema (an import drops and rebuilds
/// indexes and a trigger), the journal's and feed's sizes and counters, and every contact
/// less the times it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    schema: u64,
    counts: String,
    contacts: u64,
}

pub fn state(db: &Path) -> State {
    State {
        schema: hash(&sqlite(
            db,
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        )),
        counts: sqlite(
            db,
            "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM journal), \
             (SELECT count(*) FROM changes), (SELECT count(*) FROM change_values), \
             (SELECT count(*) FROM review_items), (SELECT count(*) FROM search_terms), \
             (SELECT count(*) FROM outbox), \
             (SELECT group_concat(name || '=' || value) FROM (SELECT * FROM counters ORDER BY name))",
        ),
        contacts: contacts(db, &["created_at", "updated_at"]),
    }
}

/// A phone number of its own for each n (US numbers, exchanges 200 and up).
fn phone(n: usize) -> String {
    format!("+1 212 {:03} {:04}", 200 + n / 10_000, n % 10_000)
}

/// The existing contacts' file and the big file, written to `dir`.
fn write_files(dir: &Path) -> (PathBuf, PathBuf) {
    let header = "First Name,Last Name,Email,Mobile Phone,Company,Notes\n";
    let existing = dir.join("existing.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&existing).unwrap());
    out.write_all(header.as_bytes()).unwrap();
    for j in 0..EXISTING {
        writeln!(
            out,
            "Existing,Person{j},b{j}@example.com,{},Old Company {j},",
            phone(1_000_000 + j)
        )
        .unwrap();
    }
    out.flush().unwrap();
    let big = dir.join("contacts-200k.csv");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    out.write_all(header.as_bytes()).unwrap();
    // The same file every run: its own fixed seed.
    let mut rng = Rng(0x5eed_cafe);
    for i in 0..ROWS {
        match rng.below(1000) {
            // An existing contact, changed.
            0..=29 => writeln!(
                out,
                "Existing,Person{0},b{0}@example.com,,New Company {i},\"updated, by row {i}\"",
                rng.below(EXISTING as u64)
            ),
            // A person met earlier in the file, again.
            30..=59 if i > 0 => writeln!(
                out,
                "Again,Person,u{}@example.com,,,seen again on row {i}",
                rng.below(i as u64)
            ),
            // No email or phone that can be read: rejected.
            60..=79 => writeln!(out, "Bad,Row{i},not-an-email-{i},not a phone,,"),
            n => writeln!(
                out,
                "First{i},Last{i},u{i}@example.com,{},Company {},",
                if n % 2 == 0 { phone(i) } else { String::new() },
                i % 997
            ),
        }
        .unwrap();
    }
    out.flush().unwrap();
    (existing, big)
}

/// The import as `cardfile import FILE --json`.
pub fn import(db: &Path, file: &Path) -> std::process::Command {
    let mut c = cardfile(db);
    c.arg("import").arg(file).arg("--json");
    c
}

/// What the trials compare against: the database before the import, after it ran to its
/// end, and after the same file was imported a second time.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
    pub before: PathBuf,
    pub after: PathBuf,
    took: Duration,
    summary: Value,
    again: Value,
    before_state: State,
    after_state: State,
    again_state: State,
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (existing, file) = write_files(dir.path());
    let before = dir.path().join("before.db");
    ok(import(&before, &existing));
    // A second open takes the day's backup: every trial starts with it in place.
    ok({
        let mut c = cardfile(&before);
        c.args(["list", "--limit", "1"]);
        c
    });
    let after = dir.path().join("after.db");
    copy_db(&before, &after);
    let started = Instant::now();
    let summary: Value = serde_json::from_str(&ok(import(&after, &file))).unwrap();
    let took = started.elapsed();
    assert_eq!(summary["rows"], ROWS as u64, "{summary}");
    let again_db = dir.path().join("again.db");
    copy_db(&after, &again_db);
    let again: Value = serde_json::from_str(&ok(import(&again_db, &file))).unwrap();
    Fixture {
        before_state: state(&before),
        after_state: state(&after),
        again_state: state(&again_db),
        file,
        before,
        after,
        took,
        summary,
        again,
        dir,
    }
}

/// The import trials on `fixture`.
pub fn trials_on(f: &Fixture, n: usize) {
    let mut rng = Rng::new("import");
    let mut figures = Figures {
        scenario: "200,000-row import",
        trials: n,
        ..Default::default()
    };
    let (mut committed, mut absent) = (0, 0);
    let db = f.dir.path().join("trial.db");
    for _ in 0..n {
        copy_db(&f.before, &db);
        let acknowledged = match run_killed(import(&db, &f.file), rng.within(f.took)) {
            Run::Finished(out) => {
                assert!(out.status.success(), "{out:?}");
                true
            }
            Run::Killed => {
                figures.killed_mid_run += 1;
                false
            }
        };
        if !sound(&db) {
            figures.corrupt += 1;
            continue;
        }
        let found = state(&db);
        let there = if found == f.after_state {
            committed += 1;
            true
        } else if found == f.before_state {
            absent += 1;
            false
        } else {
            eprintln!("a kill left the import half-applied: {found:?}");
            figures.stray += 1;
            continue;
        };
        if acknowledged && !there {
            figures.lost += 1;
        }
        // The same file again: as if the kill had never happened.
        let summary: Value = serde_json::from_str(&ok(import(&db, &f.file))).unwrap();
        let (want_summary, want_state) = if there {
            (&f.again, &f.again_state)
        } else {
            (&f.summary, &f.after_state)
        };
        if &summary != want_summary || &state(&db) != want_state {
            eprintln!("importing again after a kill gave {summary}, not {want_summary}");
            figures.stray += 1;
        }
    }
    figures.note = format!(
        "after the kill the import was wholly there {committed} times and wholly absent {absent} times; the full import took {:.1} s",
        f.took.as_secs_f64()
    );
    figures.finish();
}

#[test]
fn a_killed_import_is_wholly_there_or_wholly_absent_and_importing_again_gives_one_import() {
    let f = fixture();
    trials_on(&f, trials(1));
    crate::undo::trials_on(&f, trials(2));
}
