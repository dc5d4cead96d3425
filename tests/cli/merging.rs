//! Merges from the command line (exit 3 with the plan, --merge), Cannot Save Contact
//! (exit 4), history and undo.

use serde_json::Value;

use crate::{add_ann, Cli};

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
    let before = cli.state();
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
        cli.state(),
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
