//! Notification dispatch to a real SMTP server on loopback (Debian's aiosmtpd), killed at a
//! random moment. Each message carries its notification's id in its Message-ID, so the
//! harness counts what the server received. After each kill, and again after the claims
//! of the killed dispatcher have run out and a dispatch ran to its end: nothing was
//! received twice, nothing recorded as sent is missing, and every reminder either went
//! out once or is marked for the user to check.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Instant;

use crate::{cardfile, copy_db, ok, run_killed, sound, sqlite, trials, Figures, Rng, Run};

/// Meetings in the database, each with two reminders due at `AS_OF`.
const MEETINGS: usize = 30;
const AS_OF: &str = "2099-01-05T09:30:00Z";
/// How a reminder marked for checking begins (core's `dispatch::UNSURE`).
const UNSURE: &str = "not known whether it was sent";

struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = dir.join("maildir");
        let child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .expect("python3-aiosmtpd (make test installs it)");
        let smtp = Smtp {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return smtp;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("aiosmtpd did not start");
    }

    /// How many messages arrived for each notification id.
    fn received(&self) -> HashMap<i64, usize> {
        let mut counts = HashMap::new();
        let Ok(files) = std::fs::read_dir(self.maildir.join("new")) else {
            return counts;
        };
        for f in files {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let id = text
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("message-id").then_some(value)
                })
                .and_then(|v| v.trim().strip_prefix("<notification-"))
                .and_then(|v| v.split('.').next())
                .and_then(|v| v.parse().ok())
                .expect("each message names its notification");
            *counts.entry(id).or_default() += 1;
        }
        counts
    }

    fn clear(&self) {
        let _ = std::fs::remove_dir_all(self.maildir.join("new"));
        std::fs::create_dir_all(self.maildir.join("new")).unwrap();
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dispatch(db: &Path) -> Command {
    let mut c = cardfile(db);
    c.args(["notifications", "dispatch", "--as-of", AS_OF]);
    c
}

/// (id, status, claimed, last error) of every notification.
fn notifications(db: &Path) -> Vec<(i64, String, bool, String)> {
    sqlite(
        db,
        "SELECT id, status, leased_until IS NOT NULL, coalesce(last_error, '') FROM notifications ORDER BY id",
    )
    .lines()
    .map(|l| {
        let mut parts = l.splitn(4, '|');
        let mut next = || parts.next().unwrap_or_default().to_string();
        (next().parse().unwrap(), next(), next() == "1", next())
    })
    .collect()
}

#[test]
fn a_killed_dispatch_never_sends_a_reminder_twice_and_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = Smtp::start(dir.path());
    let base = dir.path().join("base.db");
    let setup = |args: &[&str]| {
        let mut c = cardfile(&base);
        c.args(args);
        ok(c)
    };
    setup(&[
        "settings",
        "set",
        "smtp",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    setup(&["settings", "set", "email-from", "bookings@example.com"]);
    for i in 0..MEETINGS {
        setup(&[
            "activities",
            "add",
            "--kind",
            "meeting",
            "--first-name",
            &format!("Guest{i}"),
            "--email",
            &format!("guest{i}@example.com"),
            "--status",
            "scheduled",
            "--starts-at",
            "2099-01-05T10:00:00Z",
        ]);
    }
    let due = notifications(&base).len();
    assert_eq!(due, 2 * MEETINGS);
    // The dispatch run to its end: how long it takes.
    let db = dir.path().join("trial.db");
    copy_db(&base, &db);
    let started = Instant::now();
    ok(dispatch(&db));
    let took = started.elapsed();
    assert_eq!(smtp.received().len(), due);

    let n = trials(3);
    let mut rng = Rng::new("dispatch");
    let mut figures = Figures {
        scenario: "notification dispatch (SMTP)",
        trials: n,
        ..Default::default()
    };
    let (mut in_doubt, mut in_doubt_sent) = (0, 0);
    for _ in 0..n {
        copy_db(&base, &db);
        smtp.clear();
        let acknowledged = match run_killed(dispatch(&db), rng.within(took)) {
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
        let received = smtp.received();
        for (id, status, claimed, _) in notifications(&db) {
            let got = received.get(&id).copied().unwrap_or(0);
            figures.double_sends += usize::from(got > 1);
            // Recorded as sent but never received; or received with no trace of the send
            // (the next dispatch would send it again).
            figures.lost += usize::from(status == "sent" && got == 0);
            figures.lost += usize::from(acknowledged && status != "sent");
            figures.stray += usize::from(got == 1 && status == "pending" && !claimed);
        }
        // Ten minutes later the killed dispatcher's claims have run out; the next dispatch
        // runs to its end.
        sqlite(
            &db,
            "UPDATE notifications SET leased_until = '2000-01-01T00:00:00.000Z' \
             WHERE status = 'pending' AND leased_until IS NOT NULL",
        );
        ok(dispatch(&db));
        let received = smtp.received();
        for (id, status, _, error) in notifications(&db) {
            let got = received.get(&id).copied().unwrap_or(0);
            figures.double_sends += usize::from(got > 1);
            match status.as_str() {
                "sent" => figures.lost += usize::from(got == 0),
                "failed" if error.starts_with(UNSURE) => {
                    in_doubt += 1;
                    in_doubt_sent += got;
                }
                // Neither sent nor shown to the user: lost.
                _ => figures.lost += 1,
            }
        }
    }
    figures.note = format!(
        "{} reminders per trial; {in_doubt} cut off mid-send and marked for checking ({in_doubt_sent} of them had reached the server), none sent again by itself",
        due
    );
    figures.finish();
}
