//! The command line tested from outside: the real `cardfile` binary on real database
//! files, checking output shapes, exit codes, and that every refusal changes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod activities;
mod catalogue;
mod cloud;
mod contacts;
mod credentials;
#[path = "../support/desktop.rs"]
mod desktop;
#[path = "../support/integrations/mod.rs"]
mod fake_integrations;
mod import;
mod integrations;
mod merging;
mod notifications;
#[path = "../support/oncehub/mod.rs"]
mod oncehub;
#[path = "../support/shell.rs"]
mod shell;
mod users;

struct Cli {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("cardfile.db");
        Cli { _dir: dir, db }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cardfile"))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_remove("CARDFILE_DB")
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed and returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    /// Every table of the database as SQL text.
    fn dump(&self) -> String {
        dump(&self.db)
    }

    /// The database's state: the dump less the append-only record of how it got there (the
    /// journal, its batches, the change feed) and the ids handed out, which undo adds to.
    fn state(&self) -> String {
        const HISTORY: [&str; 7] = [
            "INSERT INTO batches ",
            "INSERT INTO journal ",
            "INSERT INTO changes ",
            "INSERT INTO change_values ",
            "INSERT INTO counters VALUES('contact_ids'",
            "INSERT INTO sqlite_sequence ",
            "DELETE FROM sqlite_sequence",
        ];
        self.dump()
            .lines()
            .filter(|l| !HISTORY.iter().any(|h| l.starts_with(h)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs a command that must be refused with `code`, mention `reason` on stderr, and
    /// leave the database exactly as it was.
    fn refused(&self, args: &[&str], code: i32, reason: &str) {
        let before = self.dump();
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(
            stderr.contains(reason),
            "{args:?}: {stderr:?} should mention {reason:?}"
        );
        assert!(
            out.stdout.is_empty() || code == 3,
            "{args:?} printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(self.dump(), before, "{args:?} changed the database");
    }
}

fn dump(db: &Path) -> String {
    shell::sqlite(db, ".dump")
}

fn add_ann(cli: &Cli) -> Value {
    cli.json(&[
        "add",
        "--first-name",
        "Ann",
        "--last-name",
        "Lee",
        "--email",
        "  Ann.Lee@Example.COM ",
        "--mobile-phone",
        "(201) 555-0123",
        "--company",
        "Acme",
    ])
}

/// A real SMTP server on loopback (Debian's python3-aiosmtpd) storing mail in a Maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = dir.join("maildir");
        let mut child = Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .spawn()
            .expect("python3-aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return SmtpServer {
                    child,
                    port,
                    maildir,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start");
    }

    fn recipients(&self) -> Vec<String> {
        let Ok(files) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        files
            .flat_map(|f| {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                text.lines()
                    .filter_map(|l| l.strip_prefix("X-RcptTo: "))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
