//! Crash trials: the real `cardfile` binary killed with SIGKILL at random moments of a
//! 200,000-row import, of a stream of edits, merges and deletes, of the undo of that import,
//! and of notification dispatch to a local SMTP server. After each kill the database is
//! opened again and must pass SQLite's integrity check, hold every change the command line
//! acknowledged and nothing else (the command killed in flight wholly or not at all), and no
//! reminder may go out twice or be lost.
//!
//! CARDFILE_CRASH_TRIALS sets the trials per scenario (else the short form `make test`
//! runs); `make crash-trials` runs the long form, 100 each, and prints the figures.
//! CARDFILE_CRASH_SEED replays a run (each run prints its seed); CARDFILE_CRASH_BIN runs
//! another build of the binary (a release build, or a copy that a rebuild cannot replace
//! half-way through a long run).

mod dispatch;
mod edits;
mod import;
#[path = "../support/shell.rs"]
mod shell;
mod undo;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A small, seeded random source (xorshift64*): a failing trial can be replayed.
pub struct Rng(u64);

impl Rng {
    /// Seeded from CARDFILE_CRASH_SEED, else the clock; the seed is printed.
    pub fn new(scenario: &str) -> Rng {
        let seed = std::env::var("CARDFILE_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("crash trials, {scenario}: CARDFILE_CRASH_SEED={seed}");
        Rng(seed.max(1))
    }

    pub fn draw(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }

    /// A duration between zero and `max`, uniformly.
    pub fn within(&mut self, max: Duration) -> Duration {
        max.mul_f64((self.draw() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Trials per scenario: CARDFILE_CRASH_TRIALS, else `short`.
pub fn trials(short: usize) -> usize {
    std::env::var("CARDFILE_CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(short)
}

/// The command line on database `db`.
pub fn cardfile(db: &Path) -> Command {
    let bin = std::env::var_os("CARDFILE_CRASH_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_cardfile").into());
    let mut c = Command::new(bin);
    c.arg("--db").arg(db).env_remove("CARDFILE_DB");
    c
}

/// Runs a command to its end; it must succeed. Its stdout.
pub fn ok(mut command: Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// How a command met its kill.
pub enum Run {
    /// It ended before the kill: its output (an acknowledgement when it exited 0).
    Finished(Output),
    /// SIGKILL ended it mid-run.
    Killed,
}

/// Starts `command`, and after `delay` kills it with SIGKILL unless it has ended.
pub fn run_killed(mut command: Command, delay: Duration) -> Run {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + delay;
    loop {
        if child.try_wait().unwrap().is_some() {
            return Run::Finished(child.wait_with_output().unwrap());
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(1)));
    }
    // std's kill is SIGKILL on Unix.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    if status.code().is_some() {
        // It ended between the last look and the kill.
        let mut out = Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        if let Some(mut s) = child.stdout.take() {
            std::io::Read::read_to_end(&mut s, &mut out.stdout).unwrap();
        }
        return Run::Finished(out);
    }
    Run::Killed
}

pub use shell::sqlite;

/// SQLite's integrity check of the file as the kill left it (opening it replays or drops
/// its write-ahead log, as the next start of Cardfile would).
pub fn sound(db: &Path) -> bool {
    sqlite(db, "PRAGMA integrity_check").trim() == "ok"
}

/// Copies a closed database (and its backup) to `to`, replacing what was there.
pub fn copy_db(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm", ".backup"] {
        let name = |p: &Path| PathBuf::from(format!("{}{suffix}", p.display()));
        let _ = std::fs::remove_file(name(to));
        if name(from).exists() {
            std::fs::copy(name(from), name(to)).unwrap();
        }
    }
}

/// Every column of every contact in id order, less `skip`: a database's contacts as a
/// hash, to compare states cheaply.
pub fn contacts(db: &Path, skip: &[&str]) -> u64 {
    let columns: Vec<String> = sqlite(db, "SELECT name FROM pragma_table_info('contacts')")
        .lines()
        .filter(|c| !skip.contains(c))
        .map(str::to_string)
        .collect();
    hash(&sqlite(
        db,
        &format!("SELECT {} FROM contacts ORDER BY id", columns.join(", ")),
    ))
}

pub fn hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// A scenario's figures, as the README reports them.
#[derive(Default, Debug)]
pub struct Figures {
    pub scenario: &'static str,
    pub trials: usize,
    /// Trials whose command was still running when it was killed.
    pub killed_mid_run: usize,
    /// Databases failing the integrity check after a kill.
    pub corrupt: usize,
    /// Acknowledged changes missing after a kill.
    pub lost: usize,
    /// Changes there that no command made (or the one in flight made in part).
    pub stray: usize,
    /// Reminders received twice.
    pub double_sends: usize,
    /// A note particular to the scenario.
    pub note: String,
}

impl Figures {
    /// Prints the figures (and keeps them in the target folder), then fails the test on any
    /// corrupt database, lost or stray change, or double send.
    pub fn finish(&self) {
        let line = format!(
            "crash trials, {}: {} trials ({} killed mid-run); corrupt databases {}, lost acknowledged changes {}, stray or half-applied changes {}, double sends {}{}",
            self.scenario,
            self.trials,
            self.killed_mid_run,
            self.corrupt,
            self.lost,
            self.stray,
            self.double_sends,
            if self.note.is_empty() { String::new() } else { format!("; {}", self.note) }
        );
        eprintln!("{line}");
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash-trials.txt"))
        {
            let _ = writeln!(f, "{line}");
        }
        assert_eq!(
            (self.corrupt, self.lost, self.stray, self.double_sends),
            (0, 0, 0, 0),
            "{line}"
        );
    }
}
