//! The cloud from the command line, with the real OS keyring (a throwaway session bus and
//! an unlocked gnome-keyring) and the fake OnceHub of tests/support: `cloud connect` reads
//! the key from stdin only, `sync --once --json`, the outbox, a sync without a session bus,
//! and twenty syncs killed with -9 that still leave the cloud equal to this computer.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::desktop::Desktop;
use crate::oncehub::FakeOnceHub;
use crate::Cli;

const KEY: &str = "sk-cli-PLANTED-77b2e0c1";

/// The command line in the desktop session `desk` (its keyring reachable).
pub(crate) fn in_session(desk: &Desktop, cli: &Cli, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cardfile"));
    c.arg("--db")
        .arg(&cli.db)
        .args(args)
        .env_remove("CARDFILE_DB");
    for (key, value) in desk.env() {
        c.env(key, value);
    }
    c
}

/// Runs `args` in the session with `stdin` as its input.
pub(crate) fn run_in(desk: &Desktop, cli: &Cli, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = in_session(desk, cli, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// Runs `args` in the session; it must succeed and never print the key.
fn ok_in(desk: &Desktop, cli: &Cli, args: &[&str], stdin: &str) -> String {
    ok_hiding(desk, cli, args, stdin, KEY)
}

/// Runs `args` in the session with `stdin`; it must succeed and never print `secret`.
pub(crate) fn ok_hiding(
    desk: &Desktop,
    cli: &Cli,
    args: &[&str],
    stdin: &str,
    secret: &str,
) -> String {
    let out = run_in(desk, cli, args, stdin);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert!(
        !stdout.contains(secret) && !stderr.contains(secret),
        "{args:?} printed a secret"
    );
    stdout
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A database whose limits and backoffs suit a test, connected to `fake`.
fn connected(cli: &Cli, desk: &Desktop, fake: &FakeOnceHub, per_second: &str) {
    for (key, value) in [
        ("cloud-per-second", per_second),
        ("cloud-per-five-minutes", "100000"),
        ("cloud-backoff-ms", "5"),
        ("cloud-backoff-cap-ms", "50"),
    ] {
        cli.ok(&["settings", "set", key, value]);
    }
    let status: Value = serde_json::from_str(&ok_in(
        desk,
        cli,
        &["cloud", "connect", "--url", &fake.url()],
        KEY,
    ))
    .unwrap();
    assert_eq!(status["configured"], true);
}

#[test]
fn cloud_connect_reads_the_key_from_stdin_and_keeps_it_in_the_os_keyring_only() {
    let cli = Cli::new();
    let rt = runtime();
    let fake = rt.block_on(FakeOnceHub::start(KEY));
    fake.set_limits(1000, 100_000);
    // Before any connect: not configured, and the keyring is not even asked.
    let before = cli.json(&["cloud", "status", "--json"]);
    assert_eq!(before["configured"], false);
    let desk = Desktop::start();
    let wrong = run_in(
        &desk,
        &cli,
        &["cloud", "connect", "--url", &fake.url()],
        "sk-wrong\n",
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("refused the API key"));
    connected(&cli, &desk, &fake, "1000");
    let stored = Command::new("secret-tool")
        .args([
            "lookup",
            "service",
            "cardfile",
            "username",
            "oncehub-api-key",
        ])
        .env("DBUS_SESSION_BUS_ADDRESS", &desk.address)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&stored.stdout), KEY);
    let status: Value =
        serde_json::from_str(&ok_in(&desk, &cli, &["cloud", "status", "--json"], "")).unwrap();
    assert_eq!(status["configured"], true);
    assert_eq!(status["account"], "admin@example.com");
    assert_eq!(status["url"], fake.url());
    cli.ok(&[
        "add",
        "--first-name",
        "Sam",
        "--last-name",
        "Sync",
        "--email",
        "sam@example.com",
    ]);
    let out = ok_in(&desk, &cli, &["sync", "--once", "--json"], "");
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        (summary["pushed"].as_u64(), summary["pending"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(fake.creates_for("sam@example.com"), 1);
    let sent: Value =
        serde_json::from_str(&cli.ok(&["outbox", "list", "--all", "--json"])).unwrap();
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["operation"], "create");
    // The key is in none of the database's files.
    for entry in std::fs::read_dir(cli._dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
                "{path:?}"
            );
        }
    }
    let gone: Value =
        serde_json::from_str(&ok_in(&desk, &cli, &["cloud", "disconnect"], "")).unwrap();
    assert_eq!(gone["configured"], false);
}

#[test]
fn a_plain_http_url_to_another_host_is_refused_before_any_request() {
    use std::io::Write;
    let cli = Cli::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(&cli.db)
        .args(["cloud", "connect", "--url", "http://api.example.com/v2"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(KEY.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("plain http") && stderr.contains("https"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY));
}

#[test]
fn sync_without_a_session_bus_exits_1_and_says_how_to_run_it() {
    let cli = Cli::new();
    let rt = runtime();
    let fake = rt.block_on(FakeOnceHub::start(KEY));
    fake.set_limits(1000, 100_000);
    let desk = Desktop::start();
    connected(&cli, &desk, &fake, "1000");
    let out = Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(&cli.db)
        .args(["sync", "--once"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DBUS_SESSION_BUS_ADDRESS"));
}

#[test]
fn outbox_items_that_need_attention_can_be_retried_and_canceled() {
    let cli = Cli::new();
    let rt = runtime();
    let fake = rt.block_on(FakeOnceHub::start(KEY));
    fake.set_limits(1000, 100_000);
    let desk = Desktop::start();
    connected(&cli, &desk, &fake, "1000");
    cli.ok(&["add", "--first-name", "Only", "--email", "only@example.com"]);
    let out = ok_in(&desk, &cli, &["sync", "--once", "--json"], "");
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["failed"], 1);
    let items: Value = serde_json::from_str(&cli.ok(&["outbox", "list", "--json"])).unwrap();
    let item = &items[0];
    assert_eq!(item["status"], "failed");
    assert!(item["last_error"].as_str().unwrap().contains("last name"));
    let id = item["id"].as_str().unwrap();
    cli.ok(&["outbox", "retry", id]);
    let items: Value = serde_json::from_str(&cli.ok(&["outbox", "list", "--json"])).unwrap();
    assert_eq!(items[0]["status"], "pending");
    cli.ok(&["outbox", "cancel", id]);
    let items: Value = serde_json::from_str(&cli.ok(&["outbox", "list", "--json"])).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 0);
    let out = cli.run(&["outbox", "retry", id]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a canceled item cannot be retried"
    );
    assert_eq!(fake.creates_for("only@example.com"), 0);
}

#[test]
fn outbox_list_prints_every_item_of_a_long_outbox_page_by_page() {
    let cli = Cli::new();
    // 1,001 contacts without a last name, imported before connecting: each is queued as a
    // create (more than one page of the listing's 1,000).
    let file = cli.db.with_file_name("people.csv");
    let mut csv = "First Name,Email\n".to_string();
    for i in 0..1001 {
        csv.push_str(&format!("Person{i},person{i}@example.com\n"));
    }
    std::fs::write(&file, csv).unwrap();
    cli.ok(&["import", file.to_str().unwrap()]);
    let rt = runtime();
    let fake = rt.block_on(FakeOnceHub::start(KEY));
    fake.set_limits(1000, 100_000);
    let desk = Desktop::start();
    connected(&cli, &desk, &fake, "1000");
    let items: Value = serde_json::from_str(&cli.ok(&["outbox", "list", "--json"])).unwrap();
    let ids: Vec<i64> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 1001);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "oldest first, each once"
    );
    assert_eq!(items[1000]["contact_name"], "Person1000");
    let lines = cli.ok(&["outbox", "list"]);
    assert_eq!(lines.lines().count(), 1001);
    assert!(lines.lines().all(|l| l.contains("\tcreate\t")), "{lines}");
}

#[test]
fn syncs_killed_with_sigkill_twenty_times_leave_the_cloud_equal_and_nothing_created_twice() {
    let cli = Cli::new();
    let rt = runtime();
    let fake = rt.block_on(FakeOnceHub::start(KEY));
    fake.set_limits(60, 100_000);
    let desk = Desktop::start();
    connected(&cli, &desk, &fake, "60");
    let csv = cli._dir.path().join("people.csv");
    let mut text = String::from("First Name,Last Name,Email,Company\n");
    for i in 0..240 {
        text.push_str(&format!("Kil,K{i},k{i}@example.com,Co{i}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    cli.ok(&["import", csv.to_str().unwrap()]);
    let mut dice = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..20 {
        if round % 4 == 1 {
            // Changes keep coming between kills.
            cli.ok(&[
                "edit",
                &format!("{}", round * 7 + 1),
                "--company",
                &format!("Round {round}"),
            ]);
        }
        let mut child = in_session(&desk, &cli, &["sync", "--once"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        dice ^= dice << 13;
        dice ^= dice >> 7;
        dice ^= dice << 17;
        std::thread::sleep(Duration::from_millis(100 + dice % 700));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("another sync is running"),
            "a killed sync holds nothing"
        );
    }
    for _ in 0..3 {
        ok_in(&desk, &cli, &["sync", "--once"], "");
    }
    let local: Value =
        serde_json::from_str(&cli.ok(&["list", "--limit", "1000", "--json"])).unwrap();
    let local = local.as_array().unwrap();
    assert_eq!(local.len(), 240);
    assert_eq!(fake.contacts().len(), 240, "the cloud equals this computer");
    for contact in local {
        let email = contact["email"].as_str().unwrap();
        assert_eq!(fake.creates_for(email), 1, "{email} created once");
        let twin = fake.contact_by_email(email).unwrap();
        assert_eq!(twin["company"], contact["company"], "{email}");
        assert_eq!(twin["last_name"], contact["last_name"]);
    }
}
