//! Activities and their automatic contacts, the Review list, reminders that follow an edit,
//! and their delivery by a real SMTP server.

use serde_json::Value;

use crate::{Cli, SmtpServer};

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
