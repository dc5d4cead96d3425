//! Adding, showing, editing, listing, exporting and deleting contacts; users and settings;
//! which database is used; every refusal's exit code.

use serde_json::Value;

use std::path::Path;
use std::process::Command;

use crate::{add_ann, Cli};

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
