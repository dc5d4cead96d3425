//! The command line tested from outside: the real `cardfile` binary on real database
//! files, checking output shapes, exit codes, and that every refusal changes nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

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
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(".dump")
        .output()
        .expect("the sqlite3 shell");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
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

#[test]
fn add_prints_the_contact_normalised_as_json() {
    let cli = Cli::new();
    let c = add_ann(&cli);
    assert!(c["id"].is_string());
    assert_eq!(c["email"], "ann.lee@example.com");
    assert_eq!(c["mobile_phone"], "+12015550123");
    assert_eq!(c["first_name"], "Ann");
    assert_eq!(c["owner"], "owner@cardfile.local");
    assert_eq!(c["job_title"], Value::Null);
    for key in [
        "salutation",
        "phone",
        "street_address",
        "city",
        "state",
        "post_code",
        "country",
        "timezone",
        "status",
        "has_consent",
        "notes",
        "last_interacted_at",
    ] {
        assert!(c.get(key).is_some(), "{key} missing");
    }
    chrono_like(&c["created_at"]);
    chrono_like(&c["updated_at"]);
}

fn chrono_like(v: &Value) {
    let s = v.as_str().unwrap();
    assert!(
        s.len() >= 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T',
        "{s} is not RFC 3339"
    );
}

#[test]
fn show_edit_and_clear_a_field() {
    let cli = Cli::new();
    let id = add_ann(&cli)["id"].as_str().unwrap().to_string();
    assert_eq!(cli.json(&["show", &id])["company"], "Acme");
    let e = cli.json(&[
        "edit",
        &id,
        "--company",
        "",
        "--job-title",
        "CTO",
        "--status",
        "qualified",
        "--has-consent",
        "true",
    ]);
    assert_eq!(e["company"], Value::Null);
    assert_eq!(e["job_title"], "CTO");
    assert_eq!(e["status"], "Qualified");
    assert_eq!(e["has_consent"], true);
    assert_eq!(cli.json(&["show", &id]), e);
}

#[test]
fn list_searches_word_prefixes_sorted_by_last_then_first_name() {
    let cli = Cli::new();
    add_ann(&cli);
    cli.ok(&[
        "add",
        "--first-name",
        "Bo",
        "--last-name",
        "Adams",
        "--email",
        "bo@globex.com",
    ]);
    cli.ok(&[
        "add",
        "--first-name",
        "Al",
        "--last-name",
        "Adams",
        "--email",
        "al@globex.com",
    ]);
    let all = cli.json(&["list", "--json"]);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Al", "Bo", "Ann"]);
    let found = cli.json(&["list", "--search", "GLOB", "--json"]);
    assert_eq!(found.as_array().unwrap().len(), 2);
    let limited = cli.json(&["list", "--limit", "1", "--json"]);
    assert_eq!(limited.as_array().unwrap().len(), 1);
    let table = cli.ok(&["list", "--search", "ann"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(lines[0].starts_with("ID") && lines[0].contains("EMAIL"));
    assert!(lines[1].contains("Ann Lee") && lines[1].contains("ann.lee@example.com"));
}

#[test]
fn export_writes_csv_with_formulas_guarded_and_json() {
    let cli = Cli::new();
    add_ann(&cli);
    cli.ok(&[
        "add",
        "--email",
        "eve@example.com",
        "--company",
        "=HYPERLINK(\"x\")",
        "--notes",
        "-5 is fine",
    ]);
    let csv = cli.ok(&["export"]);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("id,first_name,last_name,salutation,email,mobile_phone"));
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(
        csv.contains(",+12015550123,"),
        "E.164 phones are not guarded: {csv}"
    );
    assert!(csv.contains("'-5 is fine"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    let json = cli.json(&["export", "--format", "json"]);
    assert_eq!(json.as_array().unwrap().len(), 2);
    let eve = json
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"] == "eve@example.com")
        .unwrap();
    assert_eq!(
        eve["company"], "=HYPERLINK(\"x\")",
        "JSON carries values as they are"
    );
    let out = cli._dir.path().join("out.csv");
    cli.ok(&["export", "--output", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(out).unwrap(), csv);
}

#[test]
fn delete_with_yes_removes_the_contact() {
    let cli = Cli::new();
    let id = add_ann(&cli)["id"].as_str().unwrap().to_string();
    cli.ok(&["delete", &id, "--yes"]);
    cli.refused(&["show", &id], 1, &format!("no contact with id {id}"));
    assert_eq!(cli.json(&["list", "--json"]), serde_json::json!([]));
}

#[test]
fn every_refusal_gives_its_exit_code_and_reason_and_changes_nothing() {
    let cli = Cli::new();
    let id = add_ann(&cli)["id"].as_str().unwrap().to_string();
    cli.refused(
        &["add", "--email", "not-an-email"],
        1,
        "not a valid email address",
    );
    cli.refused(
        &["add", "--email", "x@example.com", "--mobile-phone", "12"],
        1,
        "mobile_phone",
    );
    cli.refused(
        &["add", "--first-name", "Nobody"],
        1,
        "needs an email or a mobile phone",
    );
    cli.refused(
        &["add", "--email", "ANN.LEE@example.com"],
        3,
        "belongs to another contact",
    );
    cli.refused(&["edit", &id, "--email", "bad@"], 1, "email");
    cli.refused(
        &["edit", &id, "--email", "", "--mobile-phone", ""],
        1,
        "needs an email or a mobile phone",
    );
    cli.refused(
        &["edit", "999", "--company", "X"],
        1,
        "no contact with id 999",
    );
    cli.refused(&["show", "abc"], 1, "no contact with id abc");
    cli.refused(&["delete", "999", "--yes"], 1, "no contact with id 999");
    cli.refused(&["delete", &id], 2, "--yes");
    cli.refused(&["add", "--nickname", "x"], 2, "--nickname");
    cli.refused(
        &["--as", "ghost@example.com", "list"],
        1,
        "no user with email ghost@example.com",
    );
    cli.refused(
        &["add", "--email", "c@example.com", "--status", "hot"],
        1,
        "not a status",
    );
    cli.refused(
        &["settings", "set", "default-region", "XX"],
        1,
        "not a region code",
    );
}

#[test]
fn users_settings_and_acting_as_another_user() {
    let cli = Cli::new();
    let u = cli.json(&[
        "users",
        "add",
        "--email",
        "Mia@Example.com",
        "--name",
        "Mia",
        "--role",
        "member",
        "--team",
        "East",
    ]);
    assert_eq!(u["email"], "mia@example.com");
    assert_eq!(u["role"], "member");
    assert_eq!(u["teams"], serde_json::json!(["East"]));
    cli.refused(
        &[
            "--as",
            "mia@example.com",
            "users",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "admin",
        ],
        1,
        "Admin",
    );
    let c = cli.json(&[
        "--as",
        "mia@example.com",
        "add",
        "--email",
        "lead@example.com",
    ]);
    assert_eq!(c["owner"], "mia@example.com");
    add_ann(&cli);
    assert_eq!(
        cli.json(&["--as", "mia@example.com", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1,
        "a member sees their own"
    );
    assert_eq!(
        cli.json(&["list", "--json"]).as_array().unwrap().len(),
        2,
        "the admin sees all"
    );
    cli.refused(
        &[
            "--as",
            "mia@example.com",
            "add",
            "--email",
            "ann.lee@example.com",
        ],
        4,
        "Cannot Save Contact",
    );
    let s = cli.json(&["settings", "set", "default-region", "gb"]);
    assert_eq!(s["default_region"], "GB");
    let c = cli.json(&[
        "add",
        "--email",
        "uk@example.com",
        "--mobile-phone",
        "07911 123456",
    ]);
    assert_eq!(c["mobile_phone"], "+447911123456");
    let s = cli.json(&["settings", "set", "user", "mia@example.com"]);
    assert_eq!(s["user"], "mia@example.com");
    assert_eq!(cli.json(&["settings", "show"])["user"], "mia@example.com");
    assert_eq!(
        cli.json(&["list", "--json"]).as_array().unwrap().len(),
        1,
        "now signed in as Mia"
    );
}

#[test]
fn the_database_defaults_to_cardfile_db_then_xdg_data_home() {
    let dir = tempfile::tempdir().unwrap();
    let run = |envs: &[(&str, &Path)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cardfile"));
        cmd.args(["add", "--email", "a@example.com"])
            .env_remove("CARDFILE_DB");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        assert!(cmd.output().unwrap().status.success());
    };
    let explicit = dir.path().join("explicit.db");
    run(&[("CARDFILE_DB", &explicit)]);
    assert!(explicit.exists());
    run(&[("XDG_DATA_HOME", dir.path())]);
    assert!(dir.path().join("cardfile/cardfile.db").exists());
}

#[test]
fn a_taken_email_needs_merge_exit_3_prints_the_plan_and_changes_nothing() {
    let cli = Cli::new();
    let ann = add_ann(&cli);
    let id = ann["id"].as_str().unwrap();
    let before = cli.dump();
    let out = cli.run(&[
        "add",
        "--email",
        "ANN.LEE@example.com",
        "--job-title",
        "CTO",
        "--company",
        "Globex",
    ]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("the plan as JSON on stdout");
    assert_eq!(plan["merge_with"], serde_json::json!([id]));
    let field = |name: &str| {
        plan["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        field("job_title"),
        serde_json::json!({"field": "job_title", "current": null, "new": "CTO", "result": "CTO", "action": "fill"})
    );
    assert_eq!(field("company")["action"], "replace");
    assert_eq!(field("first_name")["action"], "keep");
    assert_eq!(cli.dump(), before, "exit 3 changes nothing");
    // The mobile phone in another format is the same identity.
    let out = cli.run(&[
        "add",
        "--email",
        "b@example.com",
        "--mobile-phone",
        "+1 201 555 0123",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(cli.dump(), before);
}

#[test]
fn merge_confirms_history_shows_it_and_undo_restores_the_database_exactly() {
    let cli = Cli::new();
    let ann = add_ann(&cli);
    let ann_id = ann["id"].as_str().unwrap().to_string();
    let other = cli.json(&[
        "add",
        "--first-name",
        "A.",
        "--email",
        "ann@home.com",
        "--city",
        "Leeds",
    ]);
    let other_id = other["id"].as_str().unwrap().to_string();
    let before = cli.dump();
    let merged = cli.json(&[
        "edit",
        &other_id,
        "--email",
        "ann.lee@example.com",
        "--merge",
    ]);
    assert_eq!(merged["id"], ann_id.as_str(), "the email's holder survives");
    assert_eq!(merged["city"], "Leeds", "filled");
    assert_eq!(merged["first_name"], "A.", "replaced");
    assert_eq!(merged["company"], "Acme", "kept");
    cli.refused(&["show", &other_id], 1, "no contact");
    let history = cli.json(&["history", &ann_id, "--json"]);
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["add", "merge"]);
    assert!(history[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "city" && c["after"] == "Leeds"));
    let table = cli.ok(&["history", &ann_id]);
    assert!(
        table.lines().next().unwrap().starts_with("WHEN") && table.contains("merge"),
        "{table}"
    );
    let undone = cli.json(&["undo"]);
    assert_eq!(undone["kind"], "merge");
    assert_eq!(
        cli.dump(),
        before,
        "undo restores every table, ids included"
    );
}

#[test]
fn cannot_save_contact_exits_4_and_undo_with_nothing_to_undo_exits_1() {
    let cli = Cli::new();
    cli.ok(&[
        "users",
        "add",
        "--email",
        "mia@example.com",
        "--name",
        "Mia",
        "--role",
        "member",
    ]);
    add_ann(&cli);
    let mine = cli.json(&[
        "--as",
        "mia@example.com",
        "add",
        "--email",
        "mia.lead@example.com",
    ]);
    let id = mine["id"].as_str().unwrap();
    cli.refused(
        &[
            "--as",
            "mia@example.com",
            "edit",
            id,
            "--email",
            "ann.lee@example.com",
            "--merge",
        ],
        4,
        "Cannot Save Contact",
    );
    cli.refused(
        &["--as", "mia@example.com", "history", "1"],
        1,
        "no contact with id 1",
    );
    cli.ok(&["--as", "mia@example.com", "undo"]);
    cli.refused(&["--as", "mia@example.com", "undo"], 1, "nothing to undo");
}

#[test]
fn activities_create_contacts_keep_their_snapshot_after_delete_and_conflicts_are_listed() {
    let cli = Cli::new();
    let rec = cli.json(&[
        "activities",
        "add",
        "--kind",
        "meeting",
        "--first-name",
        "Ann",
        "--email",
        "Ann@Example.com",
        "--status",
        "scheduled",
        "--starts-at",
        "2026-12-01T09:00:00Z",
        "--calendar",
        "google",
    ]);
    assert_eq!(rec["kind"], "meeting");
    assert_eq!(rec["created_contact"], true);
    let contact_id = rec["contact_id"].as_str().unwrap().to_string();
    let again = cli.json(&[
        "activities",
        "add",
        "--kind",
        "chat",
        "--email",
        "ANN@example.com",
        "--company",
        "Acme",
    ]);
    assert_eq!(
        (
            again["contact_id"].as_str(),
            again["created_contact"].as_bool()
        ),
        (Some(contact_id.as_str()), Some(false))
    );
    assert_eq!(cli.json(&["show", &contact_id])["company"], "Acme");
    cli.refused(
        &[
            "activities",
            "add",
            "--kind",
            "form",
            "--first-name",
            "Nobody",
        ],
        1,
        "email or a mobile phone",
    );
    cli.refused(
        &[
            "activities",
            "add",
            "--kind",
            "meeting",
            "--email",
            "x@example.com",
            "--status",
            "maybe",
        ],
        1,
        "is not one of",
    );

    let other = cli.json(&[
        "add",
        "--email",
        "bo@example.com",
        "--mobile-phone",
        "+12015550123",
    ]);
    cli.ok(&[
        "activities",
        "add",
        "--kind",
        "form",
        "--email",
        "ann@example.com",
        "--mobile-phone",
        "(201) 555-0123",
    ]);
    let review = cli.json(&["conflicts", "list", "--json"]);
    assert_eq!(review.as_array().unwrap().len(), 1);
    assert_eq!(review[0]["email_contact_id"], contact_id.as_str());
    assert_eq!(review[0]["phone_contact_id"], other["id"]);
    assert!(cli.ok(&["conflicts", "list"]).contains("mobile phone"));

    cli.ok(&["delete", &contact_id, "--yes"]);
    let all = cli.json(&["activities", "list", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 3, "every activity stays");
    for a in all.as_array().unwrap() {
        assert_eq!(a["contact_id"], Value::Null);
        assert_eq!(a["contact_deleted"], true);
        assert_eq!(a["with_email"], "ann@example.com");
    }
    assert!(cli.ok(&["activities", "list"]).contains("(deleted)"));
}

#[test]
fn notifications_list_shows_reminders_that_follow_an_email_edit() {
    let cli = Cli::new();
    let rec = cli.json(&[
        "activities",
        "add",
        "--kind",
        "meeting",
        "--email",
        "ann@example.com",
        "--mobile-phone",
        "+1 201 555 0123",
        "--status",
        "scheduled",
        "--starts-at",
        "2099-01-05T10:00:00Z",
    ]);
    let id = rec["contact_id"].as_str().unwrap().to_string();
    let list = cli.json(&["notifications", "list", "--json"]);
    let channels: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["email", "email", "sms"]);
    assert_eq!(list[0]["send_at"], "2099-01-04T10:00:00Z");
    cli.ok(&["edit", &id, "--email", "ann@new.example.com"]);
    let list = cli.json(&["notifications", "list", "--contact", &id, "--json"]);
    assert_eq!(list[0]["recipient"], "ann@new.example.com");
    assert!(cli
        .ok(&["notifications", "list", "--all"])
        .contains("Reminder: 24 hours before"));
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

#[test]
fn dispatch_delivers_a_deleted_contacts_reminder_and_canceling_the_meeting_cancels_the_rest() {
    let cli = Cli::new();
    let smtp = SmtpServer::start(cli._dir.path());
    cli.ok(&["settings", "show"]);
    cli.refused(
        &[
            "settings",
            "set",
            "smtp",
            "smtp://bookings:hunter2@127.0.0.1:25",
        ],
        1,
        "secrets set smtp-password",
    );
    cli.refused(
        &["settings", "set", "reminders", "email 1 hour"],
        1,
        "reminders",
    );
    cli.ok(&[
        "settings",
        "set",
        "smtp",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    let settings = cli.json(&["settings", "set", "email-from", "bookings@example.com"]);
    assert_eq!(settings["reminders"], "email 24h, email 1h, sms 1h");
    assert!(!cli.dump().contains("hunter2"));

    let rec = cli.json(&[
        "activities",
        "add",
        "--kind",
        "meeting",
        "--email",
        "ann@example.com",
        "--status",
        "scheduled",
        "--starts-at",
        "2099-01-05T10:00:00Z",
        "--calendar",
        "google",
        "--event-id",
        "evt-42",
    ]);
    let contact = rec["contact_id"].as_str().unwrap().to_string();
    cli.ok(&["delete", &contact, "--yes"]);

    let done = cli.json(&[
        "notifications",
        "dispatch",
        "--as-of",
        "2099-01-04T10:00:00Z",
    ]);
    assert_eq!(done["sent"], 1, "{done}");
    assert_eq!(smtp.recipients(), ["ann@example.com"]);
    cli.refused(
        &["notifications", "dispatch", "--as-of", "tomorrow"],
        1,
        "as_of",
    );

    // The calendar cancels the event: the 1-hour reminder is canceled, not sent.
    let id = rec["id"].as_str().unwrap().to_string();
    cli.ok(&["activities", "update", &id, "--status", "canceled"]);
    assert_eq!(
        cli.json(&["notifications", "list", "--json"]),
        Value::Array(vec![])
    );
    let all = cli.json(&["notifications", "list", "--all", "--json"]);
    let statuses: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["sent", "canceled"]);
    let done = cli.json(&[
        "notifications",
        "dispatch",
        "--as-of",
        "2099-01-05T09:30:00Z",
    ]);
    assert_eq!(done["sent"], 0);
    assert_eq!(smtp.recipients().len(), 1);
}

#[test]
fn secrets_go_to_the_os_keyring_never_the_database() {
    // A throwaway session bus and unlocked gnome-keyring, as on a desktop.
    let cli = Cli::new();
    let dir = cli._dir.path();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    std::fs::create_dir_all(dir.join("run")).unwrap();
    let script = format!(
        "printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
         printf 'tok-5150\\n' | '{bin}' --db '{db}' secrets set sms-token && \
         secret-tool lookup service cardfile username sms-token && echo && \
         '{bin}' --db '{db}' secrets delete sms-token && \
         secret-tool lookup service cardfile username sms-token || echo gone",
        bin = env!("CARGO_BIN_EXE_cardfile"),
        db = cli.db.display()
    );
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", &script])
        .env("HOME", dir.join("home"))
        .env("XDG_RUNTIME_DIR", dir.join("run"))
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["stored", "tok-5150", "deleted", "gone"]
    );
    assert!(!cli.dump().contains("tok-5150"));
}

#[test]
fn import_reports_counts_that_add_up_dry_runs_skips_and_writes_the_error_report() {
    let cli = Cli::new();
    add_ann(&cli);
    let dir = cli._dir.path();
    let file = dir.join("people.csv");
    std::fs::write(
        &file,
        "First Name,Last Name,Email,Mobile Phone,Company\n\
         Ann,Lee,ANN.LEE@example.com,,Acme Corp\n\
         Bo,Ng,bo@example.com,(201) 555-0199,\n\
         ,,BO@example.com,,Bo Inc\n\
         Cy,Park,not-an-email,,\n\
         Di,Cho,,,\n",
    )
    .unwrap();
    let before = cli.dump();
    let dry = cli.json(&["import", file.to_str().unwrap(), "--dry-run", "--json"]);
    assert_eq!(cli.dump(), before, "a dry run writes nothing");
    let errors = dir.join("errors.csv");
    let done = cli.json(&[
        "import",
        file.to_str().unwrap(),
        "--json",
        "--errors",
        errors.to_str().unwrap(),
    ]);
    assert_eq!(dry, done, "the dry run counts what the import does");
    let keys = [
        "rows",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "rejected",
        "conflicts",
    ];
    let n = |k: &str| done[k].as_u64().unwrap();
    assert_eq!(keys.map(n), [5, 1, 2, 0, 0, 2, 0], "{done}");
    assert_eq!(n("rows"), keys[1..].iter().map(|k| n(k)).sum::<u64>());
    let report = std::fs::read_to_string(&errors).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "line,reason,First Name,Last Name,Email,Mobile Phone,Company"
    );
    assert!(
        lines[1].starts_with("5,") && lines[1].contains("not-an-email"),
        "{report}"
    );
    assert!(
        lines[2].starts_with("6,") && lines[2].contains("needs an email or a mobile phone"),
        "{report}"
    );

    // Skip: rows for people who existed before are left alone; undo takes the import back.
    let again = dir.join("again.csv");
    std::fs::write(
        &again,
        "Email,Job Title\nann.lee@example.com,CEO\nnew@example.com,CTO\n",
    )
    .unwrap();
    let skipped = cli.json(&[
        "import",
        again.to_str().unwrap(),
        "--on-duplicate",
        "skip",
        "--json",
    ]);
    assert_eq!(
        (skipped["skipped"].as_u64(), skipped["created"].as_u64()),
        (Some(1), Some(1))
    );
    let before_undo = cli.dump();
    cli.ok(&["undo"]);
    assert_ne!(cli.dump(), before_undo);
    assert!(!cli.ok(&["list"]).contains("new@example.com"));

    // A file that cannot be read: exit 1 with the reason, nothing changed.
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    cli.refused(&["import", empty.to_str().unwrap()], 1, "the file is empty");
    let binary = dir.join("photo.csv");
    std::fs::write(&binary, [0u8, 159, 146, 150, 0, 1, 2, 3, 255, 0, 0, 0]).unwrap();
    cli.refused(&["import", binary.to_str().unwrap()], 1, "binary");
    cli.refused(
        &["import", dir.join("missing.csv").to_str().unwrap()],
        1,
        "cannot read",
    );
}

/// The window tests' stand-in for the native file dialogs exists only in builds with the
/// `test-dialog` feature: a build without it (as `make build` makes) never looks it up.
#[cfg(not(feature = "test-dialog"))]
#[test]
fn a_build_without_test_dialog_never_reads_the_dialog_stand_in() {
    let binary = std::fs::read(env!("CARGO_BIN_EXE_cardfile")).unwrap();
    let name = b"CARDFILE_DIALOG_PATH";
    let found = binary
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == name[0])
        .any(|(i, _)| binary[i..].starts_with(name));
    assert!(!found, "the binary names CARDFILE_DIALOG_PATH");
}
