//! A damaged database, as the window meets it: found damaged by the daily check that runs
//! after the open (or, in a window left open for days, by a later day's check), left
//! unwritten, said so in place of the contacts, and restored from its automatic backup with
//! one button.

use super::damage::{damage, damage_open};
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_found_after_the_open_is_shown_unwritten_and_restored_from_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    ann_then_bob(&db);
    // A day later the daily check is due, and finds the damage once the window has opened.
    age_backup(&db);
    let _ = std::fs::remove_file(dir.path().join("window.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("window.db-shm"));
    damage(&db);
    let damaged = std::fs::read(&db).unwrap();

    let app = App::launch_refused(dir).await;
    shows_the_damage(&app, "has not changed it").await;
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "not written to");
    app.screenshot("database-damaged").await.unwrap();

    let kept = restore(&app, &db).await;
    assert_eq!(std::fs::read(&kept).unwrap(), damaged, "kept as it was");
    // "Open my contacts" starts Cardfile again, on the restored file (the window's work
    // had started on the damaged one); WebDriver cannot follow a new process, so the
    // restored file is shown to work from the command line: the window let go of it.
    cli(
        &db,
        &["add", "--first-name", "Cy", "--email", "cy@example.com"],
    );
    assert_eq!(first_names(&db), "Ann,Cy");
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_left_open_past_a_day_turns_to_the_refusal_when_the_next_check_finds_damage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    ann_then_bob(&db);
    // Opened the same day as its backup (Ann's alone): no check runs at the open.
    let app = App::launch(dir, &[]).await;
    app.wait_rows("Ann and Bob", |rows| rows.len() == 2).await;
    let backup = store::backup_path(&db);
    let good = std::fs::read(&backup).unwrap();

    // The disk fails under the open window, and the day passes.
    let ours = app.session().store().clone();
    damage_open(&ours).await;
    ours.close().await;
    age_backup(&db);

    // The window's next write (a setting, sent without waiting: the page may reload before
    // its answer) starts the check before the day's backup, which finds the damage: the
    // window turns to the refusal, and the backup is left as it was.
    app.d()
        .execute(
            "window.__TAURI_INTERNALS__.invoke('settings_set', arguments[0]);",
            vec![json!({ "key": "default-region", "value": "GB" })],
        )
        .await
        .unwrap();
    app.wait_for("the refused database's page", || async {
        app.find_now(By::Css("main.refused")).await.is_some()
    })
    .await;
    shows_the_damage(&app, "has written nothing to it since").await;
    assert_eq!(
        std::fs::read(&backup).unwrap(),
        good,
        "the backup untouched"
    );
    let refused = app
        .invoke(
            "settings_set",
            json!({ "key": "default-region", "value": "US" }),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (refused["code"].as_str(), refused["field"].as_str()),
        (Some("invalid"), Some("database")),
        "{refused}"
    );

    restore(&app, &db).await;
    cli(
        &db,
        &["add", "--first-name", "Cy", "--email", "cy@example.com"],
    );
    assert_eq!(first_names(&db), "Ann,Cy", "the backup's Ann, then Cy");
    app.close().await;
}

/// Ann, then Bob, from the command line: opening the existing file for Bob took the first
/// backup, Ann's alone.
fn ann_then_bob(db: &Path) {
    cli(
        db,
        &["add", "--first-name", "Ann", "--email", "ann@example.com"],
    );
    cli(
        db,
        &["add", "--first-name", "Bob", "--email", "bob@example.com"],
    );
    assert!(
        store::backup_path(db).exists(),
        "the automatic backup beside the database"
    );
}

/// Makes the backup of `db` a day old: the daily check is due.
fn age_backup(db: &Path) {
    std::fs::File::options()
        .write(true)
        .open(store::backup_path(db))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(25 * 3600))
        .unwrap();
}

/// The refusal's page, for a damaged database, saying what was written to it.
async fn shows_the_damage(app: &App, written: &str) {
    let title = app
        .find("the refusal's title", By::Css("main.refused h1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Your contacts database is damaged");
    let why = app
        .find("why", By::Css("[data-testid='refusal']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(why.contains("is damaged") && why.contains(written), "{why}");
}

/// Restores the backup with the page's button: the damaged file, kept beside the database
/// and named on the page.
async fn restore(app: &App, db: &Path) -> PathBuf {
    app.button("Restore the backup")
        .await
        .click()
        .await
        .unwrap();
    let restored = app
        .find("the restore's result", By::Css("[data-testid='restored']"))
        .await
        .text()
        .await
        .unwrap();
    let kept: PathBuf = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.to_string_lossy().contains("window.db.damaged-")
                && !p.to_string_lossy().ends_with("-wal")
        })
        .expect("the damaged file kept beside the database");
    assert!(
        restored.contains(&kept.display().to_string()),
        "{restored} names {}",
        kept.display()
    );
    app.button("Open my contacts").await;
    kept
}

/// The first names in `db`, in order, as the command line's own SQLite file holds them.
fn first_names(db: &Path) -> String {
    crate::shell::sqlite(
        db,
        "SELECT group_concat(first_name, ',') FROM (SELECT first_name FROM contacts ORDER BY 1)",
    )
    .trim()
    .to_string()
}
