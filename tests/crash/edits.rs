//! A stream of adds, edits, merges and deletes from the command line, one of them killed at
//! a random moment in each trial. The harness keeps its own record of what every command
//! acknowledged (exit 0 and the contact it printed); after each kill the database holds
//! exactly that, with the killed command's change wholly there or wholly absent.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{cardfile, ok, run_killed, sound, sqlite, trials, Figures, Rng, Run};

/// The columns the stream changes, in this order.
const COLUMNS: [&str; 6] = [
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "company",
    "notes",
];

type Row = Vec<Option<String>>;
/// Contacts by id, as the harness expects them.
type Model = BTreeMap<i64, Row>;

fn read(db: &Path) -> Model {
    let json = sqlite(
        db,
        &format!(
            "SELECT json_group_array(json_array(id, {})) FROM (SELECT * FROM contacts ORDER BY id)",
            COLUMNS.join(", ")
        ),
    );
    let rows: Vec<Vec<Value>> = serde_json::from_str(json.trim()).unwrap();
    rows.into_iter()
        .map(|r| {
            let id = r[0].as_i64().unwrap();
            let row = r[1..]
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect();
            (id, row)
        })
        .collect()
}

/// A contact as the command line printed it.
fn printed(json: &str) -> (i64, Row) {
    let v: Value = serde_json::from_str(json).unwrap();
    let id = v["id"].as_str().unwrap().parse().unwrap();
    (
        id,
        COLUMNS
            .iter()
            .map(|c| v[*c].as_str().map(str::to_string))
            .collect(),
    )
}

enum Op {
    Add(Row),
    Edit {
        id: i64,
        company: String,
        notes: String,
    },
    /// `id` takes `into`'s email: `into` survives with `id`'s values over its own.
    Merge {
        id: i64,
        into: i64,
        email: String,
        company: String,
    },
    Delete(i64),
}

impl Op {
    fn describe(&self) -> String {
        match self {
            Op::Add(row) => format!("add {row:?}"),
            Op::Edit { id, .. } => format!("edit {id}"),
            Op::Merge { id, into, .. } => format!("merge {id} into {into}"),
            Op::Delete(id) => format!("delete {id}"),
        }
    }

    fn command(&self, db: &Path) -> std::process::Command {
        let mut c = cardfile(db);
        match self {
            Op::Add(row) => {
                c.arg("add");
                for (column, value) in COLUMNS.iter().zip(row) {
                    if let Some(v) = value {
                        c.arg(format!("--{}", column.replace('_', "-"))).arg(v);
                    }
                }
            }
            Op::Edit { id, company, notes } => {
                c.args([
                    "edit",
                    &id.to_string(),
                    "--company",
                    company,
                    "--notes",
                    notes,
                ]);
            }
            Op::Merge {
                id, email, company, ..
            } => {
                c.args([
                    "edit",
                    &id.to_string(),
                    "--email",
                    email,
                    "--company",
                    company,
                    "--merge",
                ]);
            }
            Op::Delete(id) => {
                c.args(["delete", &id.to_string(), "--yes"]);
            }
        }
        c
    }

    /// The contacts after this command, from those before it (an added contact's id is
    /// not known ahead: it is the one id above all before).
    fn apply(&self, before: &Model, new_id: i64) -> Model {
        let mut after = before.clone();
        match self {
            Op::Add(row) => {
                after.insert(new_id, row.clone());
            }
            Op::Edit { id, company, notes } => {
                let row = after.get_mut(id).unwrap();
                row[4] = Some(company.clone());
                row[5] = Some(notes.clone());
            }
            Op::Merge {
                id, into, company, ..
            } => {
                let mut edited = after.remove(id).unwrap();
                edited[2] = before[into][2].clone();
                edited[4] = Some(company.clone());
                let survivor = after.get_mut(into).unwrap();
                for (kept, new) in survivor.iter_mut().zip(edited) {
                    if new.is_some() {
                        *kept = new;
                    }
                }
            }
            Op::Delete(id) => {
                after.remove(id);
            }
        }
        after
    }
}

struct Stream {
    rng: Rng,
    model: Model,
    made: usize,
}

impl Stream {
    /// A mobile number of its own for each n, written as stored (E.164), so that the
    /// contact a killed add may have left compares equal.
    fn phone(n: usize) -> String {
        format!("+1646{:03}{:04}", 200 + n / 10_000, n % 10_000)
    }

    fn pick(&mut self) -> i64 {
        let ids: Vec<i64> = self.model.keys().copied().collect();
        ids[self.rng.below(ids.len() as u64) as usize]
    }

    fn next(&mut self) -> Op {
        self.made += 1;
        let n = self.made;
        let roll = if self.model.len() < 10 {
            0
        } else {
            self.rng.below(10)
        };
        match roll {
            0..=2 => Op::Add(vec![
                Some(format!("First{n}")),
                Some(format!("Last{n}")),
                Some(format!("s{n}@example.com")),
                n.is_multiple_of(2).then(|| Self::phone(n)),
                None,
                None,
            ]),
            3..=5 => Op::Edit {
                id: self.pick(),
                company: format!("Company {n}"),
                notes: format!("note {n}"),
            },
            6..=8 => {
                let id = self.pick();
                let mut into = self.pick();
                while into == id || self.model[&into][2].is_none() {
                    into = self.pick();
                }
                Op::Merge {
                    id,
                    into,
                    email: self.model[&into][2].clone().unwrap_or_default(),
                    company: format!("Merged {n}"),
                }
            }
            _ => Op::Delete(self.pick()),
        }
    }
}

#[test]
fn a_killed_edit_merge_or_delete_leaves_every_acknowledged_change_and_its_own_whole_or_absent() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("edits.db");
    let mut stream = Stream {
        rng: Rng::new("edits"),
        model: Model::new(),
        made: 0,
    };
    // The database exists before the first command that may be killed.
    ok({
        let mut c = cardfile(&db);
        c.arg("list");
        c
    });
    let n = trials(10);
    let mut figures = Figures {
        scenario: "stream of edits, merges and deletes",
        trials: n,
        ..Default::default()
    };
    let (mut acknowledged, mut whole, mut absent) = (0, 0, 0);
    let mut took = Duration::from_millis(200);
    for _ in 0..n {
        // A few commands run to their end, then one is killed.
        let run = 1 + stream.rng.below(6);
        for step in 0..run {
            let op = stream.next();
            let before = stream.model.clone();
            let next_id = before.keys().last().map_or(1, |k| k + 1);
            let last = step + 1 == run;
            let started = Instant::now();
            let outcome = if last {
                // Half the kills anywhere in the command's run, half in its last quarter,
                // where it commits and exits.
                let delay = if stream.rng.below(2) == 0 {
                    stream.rng.within(took)
                } else {
                    took.mul_f64(0.75) + stream.rng.within(took / 4)
                };
                run_killed(op.command(&db), delay)
            } else {
                Run::Finished(op.command(&db).output().unwrap())
            };
            match outcome {
                Run::Finished(out) => {
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    took = (took * 7 + started.elapsed()) / 8;
                    acknowledged += 1;
                    let text = String::from_utf8(out.stdout).unwrap();
                    let mut expected = op.apply(&before, next_id);
                    if let Op::Add(_) = op {
                        let (id, row) = printed(&text);
                        expected.remove(&next_id);
                        assert!(id >= next_id, "ids are never reused");
                        expected.insert(id, row);
                    } else if !matches!(op, Op::Delete(_)) {
                        let (id, row) = printed(&text);
                        assert_eq!(Some(&row), expected.get(&id), "the printed contact");
                    }
                    stream.model = expected;
                    if last {
                        check(&db, &mut figures, &stream.model, None);
                    }
                }
                Run::Killed => {
                    figures.killed_mid_run += 1;
                    let found = check(&db, &mut figures, &before, Some((&op, next_id)));
                    if found == before {
                        absent += 1;
                    } else {
                        whole += 1;
                    }
                    stream.model = found;
                }
            }
        }
    }
    figures.note = format!(
        "{acknowledged} commands acknowledged; the killed command's change was wholly there {whole} times and wholly absent {absent} times"
    );
    figures.finish();
}

/// Checks the database against the acknowledged `model`, with the killed command's change
/// (`in_flight`) allowed wholly or not at all; returns the contacts as they are.
fn check(db: &Path, figures: &mut Figures, model: &Model, in_flight: Option<(&Op, i64)>) -> Model {
    if !sound(db) {
        figures.corrupt += 1;
        return read(db);
    }
    let found = read(db);
    if &found == model {
        return found;
    }
    if let Some((op, _)) = in_flight {
        // An added contact's id is whichever the killed command took, above all before.
        let new_id = found.keys().last().copied().unwrap_or(0);
        if found == op.apply(model, new_id)
            && (new_id > model.keys().last().copied().unwrap_or(0) || !matches!(op, Op::Add(_)))
        {
            return found;
        }
    }
    let missing = model
        .iter()
        .filter(|(id, row)| found.get(id) != Some(row))
        .count();
    let differ = |a: &Model, b: &Model| -> Vec<String> {
        a.keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|id| a.get(id) != b.get(id))
            .map(|id| format!("{id}: {:?} / {:?}", a.get(id), b.get(id)))
            .collect()
    };
    eprintln!(
        "after a kill: {missing} acknowledged contacts differ; the command in flight: {}; found / acknowledged: {:?}",
        in_flight.map_or("none".into(), |(op, _)| op.describe()),
        differ(&found, model)
    );
    figures.lost += missing.min(1);
    figures.stray += 1;
    found
}
