//! The integrations from the command line, with the real OS keyring and the fake services of
//! tests/support/integrations: `integrations connect` reads the token (or hook URL) from
//! stdin only, `sync` delivers to them with no cloud account, a delete sends nothing, and
//! `activities add --calendar-id` belongs to an event.

use serde_json::Value;

use crate::cloud::{in_session, ok_hiding as ok_in, run_in, runtime};
use crate::desktop::Desktop;
use crate::fake_integrations::FakeIntegrations;
use crate::Cli;

#[test]
fn an_email_edit_reaches_hubspot_and_zapier_with_no_cloud_account_and_a_delete_sends_nothing() {
    let rt = runtime();
    let fake = rt.block_on(FakeIntegrations::start());
    let token = fake.issue_token("hubspot");
    let record = fake.add_hubspot_contact(serde_json::json!({"email": "ann@old.example"}));
    let desk = Desktop::start();
    let cli = Cli::new();
    let ann = cli.json(&[
        "add",
        "--first-name",
        "Ann",
        "--last-name",
        "Lee",
        "--email",
        "ann@old.example",
    ]);
    let id = ann["id"].as_str().unwrap().to_string();

    let connected: Value = serde_json::from_str(&ok_in(
        &desk,
        &cli,
        &[
            "integrations",
            "connect",
            "hubspot",
            "--url",
            &fake.base_url(),
        ],
        &token,
        &token,
    ))
    .unwrap();
    assert_eq!(connected["connected"], true);
    let hook = fake.hook_url();
    ok_in(
        &desk,
        &cli,
        &["integrations", "connect", "zapier"],
        &hook,
        &hook,
    );
    let list: Value = serde_json::from_str(&ok_in(
        &desk,
        &cli,
        &["integrations", "list", "--json"],
        "",
        &token,
    ))
    .unwrap();
    let names: Vec<(&str, bool)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["connected"] == true))
        .collect();
    assert_eq!(
        names,
        [
            ("hubspot", true),
            ("salesforce", false),
            ("google", false),
            ("exchange", false),
            ("zapier", true)
        ]
    );
    let dump = cli.dump();
    assert!(
        !dump.contains(&token) && !dump.contains(&hook),
        "a secret reached the database"
    );

    cli.ok(&["edit", &id, "--email", "ann@new.example"]);
    let out = ok_in(&desk, &cli, &["sync", "--once", "--json"], "", &token);
    let summary: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(summary["pushed"], 2, "{out}");
    assert_eq!(summary["pending"], 0);
    assert_eq!(
        fake.hubspot_contact(&record).unwrap()["email"],
        "ann@new.example"
    );
    let posts = fake.hook_posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["event"], "contact.updated");
    assert_eq!(posts[0]["before"]["email"], "ann@old.example");
    assert_eq!(posts[0]["after"]["email"], "ann@new.example");

    // An edit waiting, then the delete: not one request.
    cli.ok(&["edit", &id, "--email", "ann@third.example"]);
    cli.ok(&["delete", &id, "--yes"]);
    fake.clear_requests();
    ok_in(&desk, &cli, &["sync", "--once", "--json"], "", &token);
    assert_eq!(fake.requests().len(), 0, "{:?}", fake.lines());

    let out = in_session(&desk, &cli, &["integrations", "disconnect", "hubspot"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: Value = serde_json::from_str(&ok_in(
        &desk,
        &cli,
        &["integrations", "list", "--json"],
        "",
        &token,
    ))
    .unwrap();
    assert_eq!(list[0]["connected"], false);
    assert_eq!(list[4]["connected"], true);
}

#[test]
fn a_plain_http_hook_to_another_host_is_refused_and_nothing_is_kept() {
    let desk = Desktop::start();
    let cli = Cli::new();
    cli.ok(&["list"]);
    let before = cli.dump();
    let out = run_in(
        &desk,
        &cli,
        &["integrations", "connect", "zapier"],
        "http://hooks.zapier.com/hooks/catch/1/abc/",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plain http"), "{stderr}");
    assert_eq!(cli.dump(), before);
}

#[test]
fn a_calendar_id_without_an_event_id_is_refused_by_name() {
    let cli = Cli::new();
    cli.ok(&["list"]);
    cli.refused(
        &[
            "activities",
            "add",
            "--kind",
            "meeting",
            "--email",
            "bo@example.com",
            "--calendar",
            "google",
            "--calendar-id",
            "team@example.com",
        ],
        1,
        "calendar_id",
    );
}
