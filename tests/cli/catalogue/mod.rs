//! The catalogue of bad input, met by the real binary: every case in one of two tables with
//! the outcome a user must get. Files (inputs.rs): refused with an error naming the problem
//! (its line when it has one), or read with each bad row rejected and its reason; databases
//! (databases.rs): refused on open. Either way nothing changes, and no case may panic, hang
//! (each command is killed after two minutes) or take memory out of proportion (each
//! command's peak resident memory is read from the kernel: under 300 MB, the 2 GB file
//! included).

mod databases;
mod inputs;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// What every case's command may take at most.
pub const PEAK_LIMIT_MB: u64 = 300;
const HANG: Duration = Duration::from_secs(120);

/// A command's end, its output, and its peak resident memory.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub peak_mb: u64,
    pub took: Duration,
}

/// Runs `command` (its output to files, so a chatty one cannot block on a pipe), killing
/// it as hung after two minutes; the kernel's account of its peak memory (wait4).
pub fn measured(mut command: Command, dir: &Path) -> Ran {
    let (out, err) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let started = Instant::now();
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, written by wait4.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: waits for our own child, which nothing else waits for.
        let done = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(done >= 0, "wait4: {}", std::io::Error::last_os_error());
        if done == pid {
            break;
        }
        if !killed && started.elapsed() > HANG {
            // SAFETY: the child is not yet reaped, so the pid is still ours.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    std::mem::forget(child);
    assert!(!killed, "{command:?} hung: killed after {HANG:?}");
    Ran {
        status: ExitStatus::from_raw(status),
        stdout: std::fs::read_to_string(out).unwrap(),
        stderr: std::fs::read_to_string(err).unwrap(),
        // Linux reports ru_maxrss in KiB.
        peak_mb: usage.ru_maxrss as u64 / 1024,
        took: started.elapsed(),
    }
}

/// The command line on database `db`.
pub fn cardfile(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardfile"));
    c.arg("--db").arg(db).env_remove("CARDFILE_DB");
    c
}

/// One line of a case's outcome, for the test's output (and the README's figures).
pub fn report(what: &str, ran: &Ran) {
    eprintln!(
        "catalogue: {what}: exit {:?}, peak {} MB, {:.1} s: {}",
        ran.status.code(),
        ran.peak_mb,
        ran.took.as_secs_f64(),
        ran.stderr.trim()
    );
}
