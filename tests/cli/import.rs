//! Secrets kept in the OS keyring, and importing a file: counts, dry runs, skips and the
//! error report; the sample contacts.

use std::process::Command;

use crate::{add_ann, Cli};

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

#[test]
fn sample_loads_fifty_people_a_review_item_and_meetings_that_one_undo_takes_back() {
    let cli = Cli::new();
    let loaded = cli.json(&["sample"]);
    assert_eq!(loaded["summary"]["created"], 50, "{loaded}");
    assert_eq!(loaded["summary"]["conflicts"], 1, "{loaded}");
    assert_eq!(loaded["summary"]["rejected"], 0, "{loaded}");
    assert_eq!(loaded["meetings"], 5, "{loaded}");
    assert_eq!(cli.json(&["list", "--json"]).as_array().unwrap().len(), 50);
    assert_eq!(
        cli.json(&["conflicts", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let undone = cli.json(&["undo"]);
    assert_eq!(undone["kind"], "import", "{undone}");
    assert!(cli.json(&["list", "--json"]).as_array().unwrap().is_empty());
    assert!(cli
        .json(&["conflicts", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    assert!(cli
        .json(&["activities", "list", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn import_refuses_a_device_or_a_folder_instead_of_reading_it_forever() {
    let cli = Cli::new();
    add_ann(&cli);
    cli.refused(&["import", "/dev/zero"], 1, "not a regular file");
    let folder = cli._dir.path().to_str().unwrap().to_string();
    cli.refused(&["import", &folder], 1, "is a folder");
}
