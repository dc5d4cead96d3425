//! Where passwords and tokens go, from the command line: the settings that decide it are
//! an Admin's, an SMTP login needs TLS, the OS keyring forgets a credential when its server
//! changes, and a dispatch that cannot reach the keyring sends what does not need it.

use std::process::{Command, Output};

use serde_json::Value;

use super::{Cli, SmtpServer};

/// `cardfile ARGS` as cron runs it: no session bus, no display, an empty runtime folder.
fn run_without_session_bus(cli: &Cli, args: &[&str]) -> Output {
    let dir = cli._dir.path();
    std::fs::create_dir_all(dir.join("cron-home")).unwrap();
    std::fs::create_dir_all(dir.join("cron-run")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(&cli.db)
        .args(args)
        .env_remove("CARDFILE_DB")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", dir.join("cron-home"))
        .env("XDG_RUNTIME_DIR", dir.join("cron-run"))
        .output()
        .unwrap()
}

#[test]
fn a_member_cannot_sign_in_as_an_admin_or_point_credentials_elsewhere() {
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
    for (key, value) in [
        ("user", "mia@example.com"),
        ("user", "owner@cardfile.local"),
        ("smtp", "smtps://bookings@mail.attacker.example"),
        ("sms-gateway", "https://sms.attacker.example"),
        ("sms-account", "AC666"),
    ] {
        cli.refused(
            &["--as", "mia@example.com", "settings", "set", key, value],
            1,
            "Admin",
        );
    }
    // Nor replace or remove a channel's credential in the keyring.
    for verb in ["set", "delete"] {
        for name in ["smtp-password", "sms-token"] {
            cli.refused(
                &["--as", "mia@example.com", "secrets", verb, name],
                1,
                "Admin",
            );
        }
    }
    assert_eq!(
        cli.json(&["settings", "show"])["user"],
        "owner@cardfile.local"
    );
}

#[test]
fn an_smtp_login_needs_tls_when_set_and_when_dispatched() {
    let cli = Cli::new();
    cli.ok(&["settings", "show"]);
    for url in [
        "smtp://bookings@mail.example.com:587",
        "smtp://bookings@mail.example.com:587?tls=opportunistic",
    ] {
        cli.refused(&["settings", "set", "smtp", url], 1, "TLS");
    }
    cli.ok(&[
        "settings",
        "set",
        "smtp",
        "smtp://bookings@mail.example.com:587?tls=required",
    ]);
    cli.ok(&["settings", "set", "email-from", "bookings@example.com"]);
    cli.ok(&["settings", "set", "reminders", "email 1h"]);
    cli.ok(&[
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
    ]);
    // Stored before Cardfile refused it, as an older version would have.
    crate::shell::sqlite(
        &cli.db,
        "UPDATE settings SET value = 'smtp://bookings@127.0.0.1:1' WHERE key = 'smtp'",
    );
    let done = cli.json(&[
        "notifications",
        "dispatch",
        "--as-of",
        "2099-01-05T09:30:00Z",
    ]);
    assert_eq!(
        (&done["sent"], &done["waiting"]),
        (&Value::from(0), &Value::from(1))
    );
    assert!(done["problems"].to_string().contains("TLS"), "{done}");
}

#[test]
fn changing_the_smtp_host_forgets_the_password_in_the_os_keyring() {
    // A throwaway session bus and unlocked gnome-keyring, as on a desktop.
    let cli = Cli::new();
    let dir = cli._dir.path();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    std::fs::create_dir_all(dir.join("run")).unwrap();
    let script = format!(
        "printf %s unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
         c() {{ '{bin}' --db '{db}' \"$@\"; }} && \
         c settings set smtp smtps://bookings@mail.example.com >/dev/null && \
         printf 'pw-5150\\n' | c secrets set smtp-password >/dev/null && \
         c settings set smtp smtps://sales@mail.example.com >/dev/null && \
         secret-tool lookup service cardfile username smtp-password && echo && \
         c settings set smtp smtps://sales@mail.example.net >/dev/null && \
         (secret-tool lookup service cardfile username smtp-password || echo gone)",
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
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["pw-5150", "gone"]);
}

#[test]
fn dispatch_without_a_session_bus_sends_email_and_holds_sms_saying_how_to_fix_it() {
    let cli = Cli::new();
    let smtp = SmtpServer::start(cli._dir.path());
    for (key, value) in [
        ("smtp", format!("smtp://127.0.0.1:{}", smtp.port)),
        ("email-from", "bookings@example.com".into()),
        ("sms-gateway", "http://127.0.0.1:1".into()),
        ("sms-account", "AC0123456789".into()),
        ("sms-from", "+12015550100".into()),
    ] {
        cli.ok(&["settings", "set", key, &value]);
    }
    cli.ok(&[
        "activities",
        "add",
        "--kind",
        "meeting",
        "--email",
        "ann@example.com",
        "--mobile-phone",
        "+12015550123",
        "--status",
        "scheduled",
        "--starts-at",
        "2099-01-05T10:00:00Z",
    ]);
    let out = run_without_session_bus(
        &cli,
        &[
            "notifications",
            "dispatch",
            "--as-of",
            "2099-01-05T09:30:00Z",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let done: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&done["sent"], &done["waiting"]),
        (&Value::from(2), &Value::from(1))
    );
    assert_eq!(smtp.recipients(), ["ann@example.com", "ann@example.com"]);
    let pending = cli.json(&["notifications", "list", "--json"]);
    let sms = &pending.as_array().unwrap()[0];
    assert_eq!(sms["channel"], "sms");
    let why = sms["last_error"].as_str().unwrap_or_default();
    assert!(
        why.contains("keyring") && why.contains("DBUS_SESSION_BUS_ADDRESS"),
        "the reason and how to fix it: {why:?}"
    );
}
