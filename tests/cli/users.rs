//! Users and teams from the command line (CLI.md: users list|set|remove): who may change
//! them, the last Admin, removal with reassignment, and the cloud account's users read-only.

use serde_json::{json, Value};

use crate::Cli;

fn add_user(cli: &Cli, email: &str, role: &str, team: Option<&str>) -> Value {
    let mut args = vec![
        "users", "add", "--email", email, "--name", "Someone", "--role", role,
    ];
    if let Some(team) = team {
        args.extend(["--team", team]);
    }
    cli.json(&args)
}

fn sql(cli: &Cli, statement: &str) {
    crate::shell::sqlite(&cli.db, statement);
}

#[test]
fn users_list_shows_email_name_role_and_teams() {
    let cli = Cli::new();
    add_user(&cli, "Mia@Example.com", "team-manager", Some("East"));
    assert_eq!(
        cli.json(&["users", "list", "--json"]),
        json!([
            {"email": "mia@example.com", "name": "Someone", "role": "team-manager", "teams": ["East"]},
            {"email": "owner@cardfile.local", "name": "Local owner", "role": "admin", "teams": []},
        ])
    );
    let table = cli.ok(&["users", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("EMAIL"), "{table}");
    assert!(
        lines[1].contains("mia@example.com") && lines[1].contains("East"),
        "{table}"
    );
    // Any user may read the list.
    assert_eq!(
        cli.json(&["--as", "mia@example.com", "users", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_admin_changes_roles_and_teams_and_a_member_cannot() {
    let cli = Cli::new();
    add_user(&cli, "mia@example.com", "member", Some("East"));
    let u = cli.json(&[
        "users",
        "set",
        "mia@example.com",
        "--role",
        "team-manager",
        "--add-team",
        "West",
        "--remove-team",
        "East",
    ]);
    assert_eq!(
        (&u["email"], &u["role"], &u["teams"]),
        (
            &json!("mia@example.com"),
            &json!("team-manager"),
            &json!(["West"])
        )
    );
    cli.refused(
        &["users", "set", "mia@example.com", "--remove-team", "East"],
        1,
        "is not in team \"East\"",
    );
    cli.refused(
        &["users", "set", "nobody@example.com", "--role", "admin"],
        1,
        "no user",
    );
    cli.refused(&["users", "set", "mia@example.com"], 2, "--role");
    add_user(&cli, "max@example.com", "member", None);
    cli.refused(
        &[
            "--as",
            "max@example.com",
            "users",
            "set",
            "max@example.com",
            "--role",
            "admin",
        ],
        1,
        "only an Admin",
    );
    cli.refused(
        &[
            "--as",
            "max@example.com",
            "users",
            "remove",
            "mia@example.com",
            "--reassign-to",
            "max@example.com",
        ],
        1,
        "only an Admin",
    );
}

#[test]
fn the_last_admin_cannot_be_demoted_and_nobody_removes_themselves() {
    let cli = Cli::new();
    cli.ok(&["users", "list"]);
    cli.refused(
        &["users", "set", "owner@cardfile.local", "--role", "member"],
        1,
        "last Admin",
    );
    add_user(&cli, "ada@example.com", "admin", None);
    cli.refused(
        &[
            "users",
            "remove",
            "owner@cardfile.local",
            "--reassign-to",
            "owner@cardfile.local",
        ],
        1,
        "cannot remove yourself",
    );
    // With a second Admin, the first may step down.
    let u = cli.json(&["users", "set", "owner@cardfile.local", "--role", "member"]);
    assert_eq!(u["role"], "member");
    cli.refused(
        &[
            "--as",
            "ada@example.com",
            "users",
            "set",
            "ada@example.com",
            "--role",
            "member",
        ],
        1,
        "last Admin",
    );
}

#[test]
fn removing_a_user_gives_their_contacts_and_upcoming_meetings_to_another_in_one_step() {
    let cli = Cli::new();
    add_user(&cli, "mia@example.com", "member", Some("East"));
    add_user(&cli, "bo@example.com", "member", None);
    let lead = cli.json(&[
        "--as",
        "mia@example.com",
        "add",
        "--email",
        "lead@example.com",
    ]);
    let lead = lead["id"].as_str().unwrap().to_string();
    let meeting = cli.json(&[
        "--as",
        "mia@example.com",
        "activities",
        "add",
        "--kind",
        "meeting",
        "--email",
        "guest@example.com",
        "--status",
        "scheduled",
        "--starts-at",
        "2099-01-05T10:00:00Z",
    ]);
    let past = cli.json(&[
        "--as",
        "mia@example.com",
        "activities",
        "add",
        "--kind",
        "chat",
        "--email",
        "lead@example.com",
    ]);
    let pending_before = cli.json(&["notifications", "list", "--json"]);
    assert!(!pending_before.as_array().unwrap().is_empty());

    cli.refused(
        &[
            "users",
            "remove",
            "mia@example.com",
            "--reassign-to",
            "nobody@example.com",
        ],
        1,
        "no user with email nobody@example.com",
    );
    cli.refused(
        &[
            "users",
            "remove",
            "mia@example.com",
            "--reassign-to",
            "mia@example.com",
        ],
        1,
        "another user",
    );
    cli.refused(
        &[
            "users",
            "remove",
            "nobody@example.com",
            "--reassign-to",
            "bo@example.com",
        ],
        1,
        "no user",
    );

    let removed = cli.json(&[
        "users",
        "remove",
        "mia@example.com",
        "--reassign-to",
        "bo@example.com",
    ]);
    assert_eq!(
        removed,
        json!({"removed": "mia@example.com", "reassigned_to": "bo@example.com", "contacts": 2,
               "activities": 1})
    );
    // Bo owns what Mia owned; the history says who moved it.
    assert_eq!(cli.json(&["show", &lead])["owner"], "bo@example.com");
    let mine = cli.json(&["--as", "bo@example.com", "list", "--json"]);
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let history = cli.json(&["history", &lead, "--json"]);
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "users");
    assert_eq!(
        last["changes"],
        json!([{"field": "owner", "before": "mia@example.com", "after": "bo@example.com"}])
    );
    // The upcoming meeting is Bo's, with its reminders; the past chat keeps its host.
    let activities = cli.json(&["--as", "bo@example.com", "activities", "list", "--json"]);
    let host = |id: &Value| {
        activities
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == *id)
            .map(|a| a["host"].clone())
    };
    assert_eq!(host(&meeting["id"]), Some(json!("bo@example.com")));
    assert_eq!(host(&past["id"]), Some(json!("mia@example.com")));
    assert_eq!(
        cli.json(&["--as", "bo@example.com", "notifications", "list", "--json"]),
        pending_before
    );
    // Mia is gone: not listed, cannot be acted as, own or host anything.
    let emails: Vec<Value> = cli
        .json(&["users", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].clone())
        .collect();
    assert_eq!(
        emails,
        [json!("bo@example.com"), json!("owner@cardfile.local")]
    );
    cli.refused(
        &["--as", "mia@example.com", "list"],
        1,
        "no user with email mia@example.com",
    );
    cli.refused(
        &["settings", "set", "user", "mia@example.com"],
        1,
        "no user",
    );
    cli.refused(
        &[
            "add",
            "--email",
            "x@example.com",
            "--owner",
            "mia@example.com",
        ],
        1,
        "no user",
    );
    cli.refused(&["undo"], 1, "nothing to undo");
    // Added again, she comes back as given now, owning nothing.
    let back = add_user(&cli, "mia@example.com", "member", None);
    assert_eq!(back["teams"], json!([]));
    assert_eq!(
        cli.json(&["--as", "mia@example.com", "list", "--json"]),
        json!([])
    );
}

#[test]
fn the_signed_in_user_cannot_be_removed() {
    let cli = Cli::new();
    add_user(&cli, "ada@example.com", "admin", None);
    cli.refused(
        &[
            "--as",
            "ada@example.com",
            "users",
            "remove",
            "owner@cardfile.local",
            "--reassign-to",
            "ada@example.com",
        ],
        1,
        "signed in on this computer",
    );
    cli.ok(&["settings", "set", "user", "ada@example.com"]);
    let removed = cli.json(&[
        "users",
        "remove",
        "owner@cardfile.local",
        "--reassign-to",
        "ada@example.com",
    ]);
    assert_eq!(removed["contacts"], 0);
}

#[test]
fn users_are_read_only_while_a_cloud_account_is_connected() {
    let cli = Cli::new();
    add_user(&cli, "mia@example.com", "member", None);
    sql(
        &cli,
        "INSERT INTO settings (key, value) VALUES ('cloud_url', 'https://api.oncehub.com/v2')",
    );
    for args in [
        &[
            "users",
            "add",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "member",
        ][..],
        &["users", "set", "mia@example.com", "--role", "admin"],
        &[
            "users",
            "remove",
            "mia@example.com",
            "--reassign-to",
            "owner@cardfile.local",
        ],
    ] {
        cli.refused(args, 1, "users come from the cloud account");
    }
    assert_eq!(
        cli.json(&["users", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
