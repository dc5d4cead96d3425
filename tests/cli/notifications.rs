//! Retrying a failed notification and canceling a pending one (CLI.md: notifications
//! retry|cancel), with the access rules of the activities they belong to.

use serde_json::Value;

use crate::{Cli, SmtpServer};

fn meeting(cli: &Cli, as_user: Option<&str>, email: &str, starts_at: &str) -> Value {
    let mut args = Vec::new();
    if let Some(user) = as_user {
        args.extend(["--as", user]);
    }
    args.extend([
        "activities",
        "add",
        "--kind",
        "meeting",
        "--email",
        email,
        "--status",
        "scheduled",
        "--starts-at",
        starts_at,
    ]);
    cli.json(&args)
}

/// The notifications of one activity, soonest first, as `notifications list --all` shows them.
fn of_activity(cli: &Cli, activity: &Value) -> Vec<Value> {
    cli.json(&["notifications", "list", "--all", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["activity_id"] == activity["id"])
        .cloned()
        .collect()
}

fn fail(cli: &Cli, id: &str) {
    crate::shell::sqlite(
        &cli.db,
        &format!(
            "UPDATE notifications SET status = 'failed', attempts = 5, last_error = '550 mailbox unavailable' WHERE id = {id}"
        ),
    );
}

#[test]
fn a_pending_notification_is_canceled_and_never_sent() {
    let cli = Cli::new();
    let smtp = SmtpServer::start(cli._dir.path());
    cli.ok(&[
        "settings",
        "set",
        "smtp",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    cli.ok(&["settings", "set", "email-from", "bookings@example.com"]);
    let rec = meeting(&cli, None, "ann@example.com", "2099-01-05T10:00:00Z");
    let first = of_activity(&cli, &rec)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let canceled = cli.json(&["notifications", "cancel", &first]);
    assert_eq!(canceled["status"], "canceled");
    assert_eq!(canceled["last_error"], "canceled by owner@cardfile.local");
    cli.refused(
        &["notifications", "cancel", &first],
        1,
        "only a pending one can be canceled",
    );
    cli.refused(
        &["notifications", "retry", &first],
        1,
        "only a failed one can be retried",
    );
    cli.refused(
        &["notifications", "cancel", "999"],
        1,
        "no notification with id 999",
    );
    cli.refused(
        &["notifications", "cancel", "abc"],
        1,
        "no notification with id abc",
    );
    let done = cli.json(&[
        "notifications",
        "dispatch",
        "--as-of",
        "2099-01-04T10:00:00Z",
    ]);
    assert_eq!(done["sent"], 0, "{done}");
    assert!(smtp.recipients().is_empty());
}

#[test]
fn a_failed_notification_is_retried_now_and_sent() {
    let cli = Cli::new();
    let smtp = SmtpServer::start(cli._dir.path());
    cli.ok(&[
        "settings",
        "set",
        "smtp",
        &format!("smtp://127.0.0.1:{}", smtp.port),
    ]);
    cli.ok(&["settings", "set", "email-from", "bookings@example.com"]);
    let rec = meeting(&cli, None, "ann@example.com", "2099-01-05T10:00:00Z");
    let first = of_activity(&cli, &rec)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fail(&cli, &first);
    let retried = cli.json(&["notifications", "retry", &first]);
    assert_eq!(
        (&retried["status"], &retried["attempts"]),
        (&Value::from("pending"), &Value::from(0))
    );
    // Due now, though the reminder was planned for the day before the meeting.
    assert!(retried["send_at"].as_str().unwrap() < "2099");
    let done = cli.json(&["notifications", "dispatch"]);
    assert_eq!(done["sent"], 1, "{done}");
    assert_eq!(smtp.recipients(), ["ann@example.com"]);
    let sent = &of_activity(&cli, &rec)[0];
    assert_eq!(
        (&sent["id"], &sent["status"]),
        (&Value::from(first), &Value::from("sent"))
    );
}

#[test]
fn a_failed_reminder_of_a_meeting_already_started_is_not_retried() {
    let cli = Cli::new();
    let rec = meeting(&cli, None, "ann@example.com", "2099-01-05T10:00:00Z");
    let first = of_activity(&cli, &rec)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fail(&cli, &first);
    cli.ok(&[
        "activities",
        "update",
        rec["id"].as_str().unwrap(),
        "--status",
        "canceled",
    ]);
    cli.refused(&["notifications", "retry", &first], 1, "no longer booked");
}

#[test]
fn a_member_cannot_retry_or_cancel_notifications_of_meetings_they_may_not_see() {
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
    let owners = meeting(&cli, None, "ann@example.com", "2099-01-05T10:00:00Z");
    let hers = meeting(
        &cli,
        Some("mia@example.com"),
        "bo@example.com",
        "2099-01-06T10:00:00Z",
    );
    let other = of_activity(&cli, &owners)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let own = of_activity(&cli, &hers)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    fail(&cli, &other);
    let mia = ["--as", "mia@example.com", "notifications"];
    cli.refused(
        &[&mia[..], &["cancel", &other]].concat(),
        1,
        "no notification with id",
    );
    cli.refused(
        &[&mia[..], &["retry", &other]].concat(),
        1,
        "no notification with id",
    );
    let canceled = cli.json(&[&mia[..], &["cancel", &own]].concat());
    assert_eq!(canceled["status"], "canceled");
}
