//! A damaged database, as the window meets it: opened at once, found damaged by the daily
//! check that runs after the open, left unwritten, said so in place of the contacts, and
//! restored from its automatic backup with one button.

use super::damage::damage;
use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_found_after_the_open_is_shown_unwritten_and_restored_from_its_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    // Ann, then Bob: opening the existing file for Bob took the first backup, Ann's alone.
    cli(
        &db,
        &["add", "--first-name", "Ann", "--email", "ann@example.com"],
    );
    cli(
        &db,
        &["add", "--first-name", "Bob", "--email", "bob@example.com"],
    );
    let backup = store::backup_path(&db);
    assert!(backup.exists(), "the automatic backup beside the database");
    // A day later the daily check is due, and finds the damage once the window has opened.
    std::fs::File::options()
        .write(true)
        .open(&backup)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(25 * 3600))
        .unwrap();
    let _ = std::fs::remove_file(dir.path().join("window.db-wal"));
    let _ = std::fs::remove_file(dir.path().join("window.db-shm"));
    damage(&db);
    let damaged = std::fs::read(&db).unwrap();

    let app = App::launch_refused(dir).await;
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
    assert!(
        why.contains("is damaged") && why.contains("has not changed it"),
        "{why}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "not written to");
    app.screenshot("database-damaged").await.unwrap();

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
    assert_eq!(std::fs::read(&kept).unwrap(), damaged, "kept as it was");
    assert!(
        restored.contains(&kept.display().to_string()),
        "{restored} names {}",
        kept.display()
    );

    // "Open my contacts" starts Cardfile again, on the restored file (the window's work
    // had started on the damaged one); WebDriver cannot follow a new process, so the
    // restored file is shown to work from the command line: the window let go of it.
    app.button("Open my contacts").await;
    cli(
        &db,
        &["add", "--first-name", "Cy", "--email", "cy@example.com"],
    );
    let names = crate::shell::sqlite(
        &db,
        "SELECT group_concat(first_name, ',') FROM (SELECT first_name FROM contacts ORDER BY 1)",
    );
    assert_eq!(names.trim(), "Ann,Cy");
    app.close().await;
}
