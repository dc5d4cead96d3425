//! The undo of a 200,000-row import killed at a random moment: afterwards the import is
//! either still there whole or undone whole (every contact back exactly as it was, times
//! included), and an undo run again finishes the job.

use std::path::Path;
use std::time::Instant;

use crate::import::Fixture;
use crate::{cardfile, contacts, copy_db, hash, ok, run_killed, sound, sqlite, Figures, Rng, Run};

fn undo(db: &Path) -> std::process::Command {
    let mut c = cardfile(db);
    c.arg("undo");
    c
}

/// The contacts exactly, the schema, and how many batches undo others.
fn state(db: &Path) -> (u64, u64, String) {
    (
        contacts(db, &[]),
        hash(&sqlite(
            db,
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        )),
        sqlite(db, "SELECT count(*) FROM batches WHERE undoes IS NOT NULL"),
    )
}

pub fn trials_on(f: &Fixture, n: usize) {
    let mut rng = Rng::new("undo");
    let db = f.dir.path().join("undo.db");
    // The undo run to its end: what every trial must reach.
    copy_db(&f.after, &db);
    let started = Instant::now();
    ok(undo(&db));
    let took = started.elapsed();
    let undone = state(&db);
    let imported = state(&f.after);
    assert_eq!(
        undone.0,
        contacts(&f.before, &[]),
        "undo brings every contact back exactly"
    );
    assert_eq!(undone.1, imported.1, "and the schema as it was");

    let mut figures = Figures {
        scenario: "undo of the 200,000-row import",
        trials: n,
        ..Default::default()
    };
    let (mut done, mut not_done) = (0, 0);
    for _ in 0..n {
        copy_db(&f.after, &db);
        let acknowledged = match run_killed(undo(&db), rng.within(took)) {
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
        if found == undone {
            done += 1;
        } else if found == imported {
            not_done += 1;
            if acknowledged {
                figures.lost += 1;
            }
            // Undo again, as the user would: it finishes.
            ok(undo(&db));
            if state(&db) != undone {
                figures.stray += 1;
            }
        } else {
            eprintln!("a kill left the undo half-applied");
            figures.stray += 1;
        }
    }
    figures.note = format!(
        "after the kill the undo was whole {done} times and not begun {not_done} times; the full undo took {:.2} s",
        took.as_secs_f64()
    );
    figures.finish();
}
