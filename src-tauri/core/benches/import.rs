//! `make bench` for import: a generated file of a million realistic rows (about 100 MB; ~10%
//! the same people again with re-cased emails, re-formatted phones and blank fields; a few %
//! invalid), imported into a new database three times, each in turn with the sqlite3
//! shell's `.import` of the same file into a table indexed on email and mobile phone.
//! Targets: the median of Cardfile's whole import within 1.5x sqlite3's, with peak memory at
//! most 300 MB.
//!
//! Then ten million rows (the million-row file and nine copies with renamed emails and no
//! phones, about 900 MB), imported once into a new database: within 10.5x the million's
//! median, with peak memory at most 300 MB too, and the window's time-left estimate
//! (from the progress reports) foretelling the end within 20% once 10% is done; and
//! canceled a third and two thirds of the way in, back within 3 s with nothing kept.
//!
//! It also measures two floors. sqlite3 writing as many rows as Cardfile created into
//! Cardfile's own contacts table and building that table's indexes, nothing else; and the
//! schema floor (support/floors.rs): Cardfile's SQLite writing exactly what the
//! import wrote (rows, search words, journal, indexes, commit) with no file to read and
//! nothing to decide, at 1M and at 10M. No import into this schema can be faster, so the
//! floors say how much of each target is reachable.
//!
//! Every timed run starts once what the runs before it wrote has reached the disk (`sync`).

#[path = "support/floors.rs"]
mod floors;
mod support;

use floors::{floor_run, sqlite3_floor, sqlite3_import};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use cardfile_core::import::ImportOptions;
use cardfile_core::{ListQuery, Session, Store};
use support::{person, Rng};

const ROWS: usize = 1_000_000;
const RUNS: usize = 3;
const PEAK_TARGET_MB: f64 = 300.0;
/// Cardfile's million-row import against sqlite3's `.import`.
const RATIO_TARGET: f64 = 1.5;
/// The ten-million-row file: the million-row one and this many renamed copies.
const COPIES: usize = 9;
/// The ten-million-row import against the million-row one.
const TEN_TARGET: f64 = 10.5;
/// How far the window's time left may foretell the end, once 10% is done.
const ESTIMATE_TARGET: f64 = 0.2;
/// How soon a canceled import of ten million rows must return ("within a few seconds").
const CANCEL_TARGET_S: f64 = 3.0;

const HEADER: &str =
    "First Name,Last Name,Email,Mobile Phone,Phone,Company,Job Title,City,Country,Notes\n";

const CITIES: &[&str] = &[
    "New York",
    "London",
    "Berlin",
    "Paris",
    "Austin",
    "Manchester",
    "München",
    "Lyon",
    "Boston",
    "Leeds",
    "Hamburg",
    "Marseille",
    "Chicago",
    "Bristol",
    "Köln",
    "Nantes",
];

fn cell(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

/// Writes the file once (it is kept for later runs); returns its path.
fn generate(dir: &Path) -> PathBuf {
    let path = dir.join(format!("import-{ROWS}.csv"));
    if path.exists() {
        return path;
    }
    let tmp = path.with_extension("partial");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    out.write_all(HEADER.as_bytes()).unwrap();
    let mut rng = Rng(0x5eed_cafe_f00d);
    let mut people: Vec<(String, String)> = Vec::new();
    let mut line = String::new();
    let mut next_person = 0;
    for _ in 0..ROWS {
        line.clear();
        let roll = rng.below(100);
        let p = person(&mut rng, next_person);
        let (email, mobile) = if roll < 10 && !people.is_empty() {
            // Someone again: the email re-cased, the phone written another way, fields blank.
            let (email, mobile) = people[rng.below(people.len())].clone();
            let email = if rng.below(2) == 0 {
                email.to_uppercase()
            } else {
                email
            };
            let mobile = mobile.replace(['(', ')', '.'], " ");
            (
                email,
                if rng.below(3) == 0 {
                    String::new()
                } else {
                    mobile
                },
            )
        } else {
            next_person += 1;
            let email = p.email.clone().unwrap_or_default();
            let mobile = p.mobile_phone.clone().unwrap_or_default();
            if people.len() < 200_000 {
                people.push((email.clone(), mobile.clone()));
            } else {
                let at = rng.below(people.len());
                people[at] = (email.clone(), mobile.clone());
            }
            (email, mobile)
        };
        // A few % invalid: a broken email, or a phone too short to be one.
        let (email, mobile) = match roll {
            97 => (
                format!("{}@", email.split('@').next().unwrap_or("x")),
                mobile,
            ),
            98 => (email, "12345".to_string()),
            _ => (email, mobile),
        };
        let again = roll < 10;
        let blank = |rng: &mut Rng, v: Option<String>| {
            if again && rng.below(2) == 0 {
                String::new()
            } else {
                v.unwrap_or_default()
            }
        };
        let first = blank(&mut rng, p.first_name.clone());
        let last = blank(&mut rng, p.last_name.clone());
        let company = blank(&mut rng, p.company.clone());
        let title = blank(&mut rng, p.job_title.clone());
        let city = CITIES[rng.below(CITIES.len())];
        let notes = match rng.below(10) {
            0 => "Met at the expo, asked for \"pricing\"",
            1 => "Follow up in Q3",
            _ => "",
        };
        let phone = if rng.below(4) == 0 {
            "+1 212 555 0100"
        } else {
            ""
        };
        for (i, v) in [
            first.as_str(),
            last.as_str(),
            email.as_str(),
            mobile.as_str(),
            phone,
            company.as_str(),
            title.as_str(),
            city,
            p.country.as_deref().unwrap_or(""),
            notes,
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                line.push(',');
            }
            cell(&mut line, v);
        }
        line.push('\n');
        out.write_all(line.as_bytes()).unwrap();
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// The ten-million-row file (kept for later runs): the million-row file, then nine copies
/// of its rows with each email renamed (`c<copy>.` before it) and no phones.
fn generate_ten(dir: &Path, one: &Path) -> PathBuf {
    let path = dir.join(format!("import-{}.csv", ROWS * (COPIES + 1)));
    if path.exists() {
        return path;
    }
    let tmp = path.with_extension("partial");
    let mut out = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(&tmp).unwrap(),
    ));
    for copy in 0..=COPIES {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(one)
            .unwrap();
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            if i == 0 && copy > 0 {
                continue;
            }
            if copy == 0 || i == 0 {
                out.write_record(&record).unwrap();
                continue;
            }
            let renamed: Vec<String> = record
                .iter()
                .enumerate()
                .map(|(at, v)| match at {
                    2 if !v.is_empty() => format!("c{copy}.{v}"),
                    3 | 4 => String::new(),
                    _ => v.to_string(),
                })
                .collect();
            out.write_record(&renamed).unwrap();
        }
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(&tmp, &path).unwrap();
    path
}

/// Runs one import in a process of its own (so its peak memory is its own) into a new
/// database `db`: seconds, peak MB, the time-left estimate's worst error (a fraction of the
/// whole time) and its summary.
fn import_run(file: &Path, db: &Path) -> (Duration, f64, f64, String) {
    support::remove_database(db);
    floors::settle();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--one-import",
            &file.display().to_string(),
            &db.display().to_string(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import of {} failed: {text} {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // The run's estimate through the import (one_import).
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let fields: Vec<&str> = text.trim().splitn(4, ' ').collect();
    (
        Duration::from_secs_f64(fields[0].parse().unwrap()),
        fields[1].parse::<f64>().unwrap(),
        fields[2].parse::<f64>().unwrap(),
        fields[3].to_string(),
    )
}

fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// One import in this process, into a new database, canceled `after` seconds in: prints how
/// long Cancel took to return, whether the import said it was canceled, and how many
/// contacts the database holds afterwards (it must be as it was: none).
fn canceled_import(file: &Path, db: &Path, after: f64) {
    let rt = support::runtime(2);
    rt.block_on(async {
        let store = Store::open(db).await.unwrap();
        let session = Session::new(store.clone(), None).await.unwrap();
        let cancel = AtomicBool::new(false);
        let pressed = std::sync::Mutex::new(None);
        let press = async {
            tokio::time::sleep(Duration::from_secs_f64(after)).await;
            *pressed.lock().unwrap() = Some(Instant::now());
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let options = ImportOptions::default();
        let import = session.import_file(file, &options, &|_| {}, &cancel);
        let outcome = tokio::select! {
            outcome = import => outcome,
            _ = async { press.await; std::future::pending::<()>().await } => unreachable!(),
        };
        let took = pressed
            .lock()
            .unwrap()
            .map_or(f64::NAN, |at| at.elapsed().as_secs_f64());
        let said = match &outcome {
            Err(e) if e.code() == cardfile_core::ErrorCode::Canceled => "canceled",
            Err(_) => "failed",
            Ok(_) => "finished",
        };
        let left = cardfile_core::contacts::count(&store).await.unwrap();
        store.close().await;
        println!("{took} {said} {left}");
    });
}

/// One import in this process: prints seconds, peak MB and the summary.
fn one_import(file: &Path, db: &Path) {
    let rt = support::runtime(2);
    rt.block_on(async {
        let store = Store::open(db).await.unwrap();
        let session = Session::new(store.clone(), None).await.unwrap();
        let started = Instant::now();
        // When each progress report came, and the fraction it said.
        let heard = std::sync::Mutex::new(Vec::new());
        let report = session
            .import_file(
                file,
                &ImportOptions::default(),
                &|p| {
                    heard
                        .lock()
                        .unwrap()
                        .push((started.elapsed().as_secs_f64(), p.fraction))
                },
                &AtomicBool::new(false),
            )
            .await
            .unwrap();
        let took = started.elapsed();
        // The window's time left is elapsed / fraction * (1 - fraction): how far the end it
        // foretells (elapsed / fraction) is from the real end, at worst, once 10% is done.
        let total = took.as_secs_f64();
        let worst = heard
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, f)| *f >= 0.1)
            .map(|(t, f)| (t / f - total).abs() / total)
            .fold(0.0, f64::max);
        // Where the estimate stood through the import, a report each 5% of its time, and
        // the last reports, which mark the last steps' stages (for a run by hand:
        // `import-<hash> --one-import FILE DB`).
        {
            let heard = heard.lock().unwrap();
            let mut next = 0.05;
            for (i, (t, f)) in heard.iter().enumerate() {
                if *t >= next * total || i + 5 >= heard.len() {
                    eprintln!(
                        "  at {t:.1} s ({:.0}% of the time): {f:.3} done, end foretold at {:.1} s ({:+.0}%)",
                        100.0 * t / total,
                        t / f,
                        100.0 * (t / f - total) / total
                    );
                    while next * total <= *t {
                        next += 0.05;
                    }
                }
            }
        }
        // The last progress report, after the last index: the rest is the commit.
        let last_heard = heard.lock().unwrap().last().map_or(0.0, |(t, _)| *t);
        let peak = peak_mb();
        let s = &report.summary;
        assert_eq!(
            s.rows,
            s.created + s.updated + s.unchanged + s.skipped + s.rejected + s.conflicts
        );
        // Searchable at once: a name typed into the box finds imported people.
        let found = session
            .list(&ListQuery {
                search: "john sm".into(),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap()
            .rows
            .len();
        assert!(found > 0, "imported contacts are searchable");
        // The import is done once committed; the store copies its log into the database
        // file in the background, and closing waits for that.
        let copying = Instant::now();
        store.close().await;
        let copied = copying.elapsed().as_secs_f64();
        println!(
            "{} {peak} {worst} {} rows: {} created, {} updated, {} unchanged, {} rejected, {} conflicts; last progress at {last_heard:.1} s; log copied into the file {copied:.1} s after",
            took.as_secs_f64(),
            s.rows,
            s.created,
            s.updated,
            s.unchanged,
            s.rejected,
            s.conflicts
        );
    });
}

/// The import's reading thread's work alone, on one thread with no database: the file's
/// records read, mapped, normalised and their search words derived (`Normalise::contact`,
/// as the reading thread calls it). Prints the seconds it took and the contacts made, the
/// best of three: the reading thread bounds the rows' stage, and this times it without the
/// noise of the writer beside it (`--reader FILE`).
fn reader_only(file: &Path) {
    let source = cardfile_core::import::read::Source::File(file.to_path_buf());
    let mut best = f64::MAX;
    let mut made = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let opened = cardfile_core::import::open(&source).unwrap();
        let how = cardfile_core::import::Normalise {
            mapping: opened.mapping.clone(),
            region: "US".into(),
            owner_id: 1,
            at: "2026-01-01T00:00:00.000Z".into(),
        };
        made = 0;
        for row in cardfile_core::import::rows(&source, &opened).unwrap() {
            let row = row.unwrap();
            if std::hint::black_box(how.contact(&row.cells)).is_ok() {
                made += 1;
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("{best:.3} s, {made} contacts");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--reader") {
        reader_only(Path::new(&args[at + 1]));
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--one-import") {
        one_import(Path::new(&args[at + 1]), Path::new(&args[at + 2]));
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--schema-floor") {
        let took = floor_run(Path::new(&args[at + 1]), Path::new(&args[at + 2]));
        println!("{:.2}", took.as_secs_f64());
        return;
    }
    if let Some(at) = args.iter().position(|a| a == "--canceled-import") {
        let after = args[at + 3].parse().unwrap();
        canceled_import(Path::new(&args[at + 1]), Path::new(&args[at + 2]), after);
        return;
    }
    let dir = PathBuf::from(
        std::env::var("CARDFILE_BENCH_DIR").unwrap_or_else(|_| "../../target/bench-data".into()),
    );
    std::fs::create_dir_all(&dir).unwrap();
    if args.iter().any(|a| a == "--files") {
        // Only the two files, for one-off runs (`--one-import`).
        let one = generate(&dir);
        println!("{}\n{}", one.display(), generate_ten(&dir, &one).display());
        return;
    }
    let started = Instant::now();
    let file = generate(&dir);
    let size = std::fs::metadata(&file).unwrap().len();
    println!(
        "file: {} ({:.0} MB, {ROWS} rows; ready in {:.1} s)",
        file.display(),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    // Cardfile's runs and sqlite3's in turns, so that the machine's pace drifting through
    // the runs (by 2x within an hour here) slows both sides alike.
    let mut ours = Vec::new();
    let mut peaks = Vec::new();
    let mut theirs = Vec::new();
    let mut created = 0;
    for run in 1..=RUNS {
        let db = dir.join(format!("import-run-{run}.db"));
        let (took, peak, estimate, summary) = import_run(&file, &db);
        println!(
            "cardfile import run {run}: {:>6.2} s, peak {peak:>5.0} MB, time left off by {:.0}% at worst  ({summary})",
            took.as_secs_f64(),
            estimate * 100.0
        );
        created = summary
            .split(' ')
            .zip(summary.split(' ').skip(1))
            .find(|(_, word)| word.starts_with("created"))
            .and_then(|(n, _)| n.parse().ok())
            .expect("the run's summary says how many contacts it created");
        ours.push(took);
        peaks.push(peak);
        let db = dir.join(format!("sqlite3-run-{run}.db"));
        support::remove_database(&db);
        let took = sqlite3_import(&file, &db);
        println!("sqlite3 .import run {run}: {:>6.2} s", took.as_secs_f64());
        theirs.push(took);
    }
    let mut floors = Vec::new();
    for run in 1..=RUNS {
        let db = dir.join(format!("floor-run-{run}.db"));
        support::remove_database(&db);
        let took = sqlite3_floor(&file, &dir.join("import-run-1.db"), &db, created);
        println!(
            "floor run {run} (sqlite3 writing {created} rows into Cardfile's contacts table, building its indexes): {:>6.2} s",
            took.as_secs_f64()
        );
        floors.push(took);
    }
    let mut schema_floors = Vec::new();
    for run in 1..=RUNS {
        let db = dir.join(format!("schema-floor-run-{run}.db"));
        let took = floor_run(&dir.join("import-run-1.db"), &db);
        println!(
            "schema floor run {run} (SQLite writing what the import wrote: rows, search words, journal, indexes, commit): {:>6.2} s",
            took.as_secs_f64()
        );
        schema_floors.push(took);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let floor = median(floors);
    let schema_floor = median(schema_floors);
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    let peak = peaks.iter().cloned().fold(0.0, f64::max);
    let time_ok = ratio <= RATIO_TARGET;
    let memory_ok = peak <= PEAK_TARGET_MB;
    let verdict = |ok: bool| if ok { "MET" } else { "MISSED" };
    println!(
        "median: cardfile {:.2} s, sqlite3 {:.2} s, ratio {ratio:.2} (target <= {RATIO_TARGET}) {}",
        ours.as_secs_f64(),
        theirs.as_secs_f64(),
        verdict(time_ok)
    );
    println!(
        "floor (no normalisation, identity, search words or journal): median {:.2} s, ratio {:.2} to sqlite3 .import",
        floor.as_secs_f64(),
        floor.as_secs_f64() / theirs.as_secs_f64()
    );
    println!(
        "schema floor (everything the import writes, nothing read or decided): median {:.2} s, ratio {:.2} to sqlite3 .import",
        schema_floor.as_secs_f64(),
        schema_floor.as_secs_f64() / theirs.as_secs_f64()
    );
    println!(
        "peak memory, 1M: {peak:.0} MB (target <= {PEAK_TARGET_MB} MB) {}",
        verdict(memory_ok)
    );

    let started = Instant::now();
    let ten = generate_ten(&dir, &file);
    println!(
        "file: {} ({:.0} MB, {} rows; ready in {:.1} s)",
        ten.display(),
        std::fs::metadata(&ten).unwrap().len() as f64 / 1e6,
        ROWS * (COPIES + 1),
        started.elapsed().as_secs_f64()
    );
    let (ten_took, ten_peak, estimate, summary) = import_run(&ten, &dir.join("import-10m.db"));
    // The schema's own cost at ten million, against its cost at one.
    let ten_floor = floor_run(&dir.join("import-10m.db"), &dir.join("schema-floor-10m.db"));
    for db in ["import-10m.db", "schema-floor-10m.db"] {
        support::remove_database(&dir.join(db));
    }
    let times = ten_took.as_secs_f64() / ours.as_secs_f64();
    let ten_time_ok = times <= TEN_TARGET;
    let ten_memory_ok = ten_peak <= PEAK_TARGET_MB;
    let estimate_ok = estimate <= ESTIMATE_TARGET;
    println!(
        "cardfile import of 10M: {:.2} s, peak {ten_peak:.0} MB  ({summary})",
        ten_took.as_secs_f64()
    );
    println!(
        "10M time left, once 10% was done: off by {:.0}% of the whole at worst (target <= {:.0}%) {}",
        estimate * 100.0,
        ESTIMATE_TARGET * 100.0,
        verdict(estimate_ok)
    );
    println!(
        "10M against 1M: {times:.2}x (target <= {TEN_TARGET}x) {}",
        verdict(ten_time_ok)
    );
    println!(
        "schema floor at 10M: {:.2} s, {:.2}x the schema floor at 1M",
        ten_floor.as_secs_f64(),
        ten_floor.as_secs_f64() / schema_floor.as_secs_f64()
    );
    println!(
        "peak memory, 10M: {ten_peak:.0} MB (target <= {PEAK_TARGET_MB} MB) {}",
        verdict(ten_memory_ok)
    );
    // Cancel, pressed a third of the way in (reading rows) and at two thirds (the last
    // steps' sorting): back within a few seconds, with the database as it was.
    let mut cancel_ok = true;
    for share in [0.33, 0.67] {
        let db = dir.join("import-10m-canceled.db");
        support::remove_database(&db);
        let after = ten_took.as_secs_f64() * share;
        floors::settle();
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--canceled-import",
                &ten.display().to_string(),
                &db.display().to_string(),
                &after.to_string(),
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        let (took, said, left) = match fields.as_slice() {
            [took, said, left] => (took.parse::<f64>().unwrap_or(f64::NAN), *said, *left),
            _ => (f64::NAN, "failed", "?"),
        };
        let ok = took <= CANCEL_TARGET_S && said == "canceled" && left == "0";
        cancel_ok &= ok;
        println!(
            "10M canceled at {:.0} s ({:.0}%): returned in {took:.2} s, {said}, {left} contacts left (target <= {CANCEL_TARGET_S} s, none left) {}",
            after,
            share * 100.0,
            verdict(ok)
        );
        support::remove_database(&db);
    }
    if !(time_ok && memory_ok && ten_time_ok && ten_memory_ok && estimate_ok && cancel_ok) {
        std::process::exit(1);
    }
}
