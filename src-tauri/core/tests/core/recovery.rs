//! Surviving what happens to a laptop's only copy of its contacts: a damaged, foreign,
//! newer or unwritable file is refused on open with nothing written (or, for the window,
//! refused writes once a daily check after the open, that day's or a later day's, finds it
//! damaged); the automatic backup (daily and before a migration) and restoring from it; a
//! reminder whose send was cut off is marked for the user to check, never sent a second
//! time by itself.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use cardfile_core::dispatch::UNSURE;
use cardfile_core::secrets::MemorySecrets;
use cardfile_core::store::{self, trouble, DailyCheck};
use cardfile_core::{ErrorCode, Store};

use crate::damage::{damage, damage_open};
use crate::servers::{at, hours, meeting, set_up_email, SmtpServer};
use crate::shell::sqlite;
use crate::{fields, Db};

/// A database of `n` contacts, closed, and the path of its file.
async fn database(dir: &Path, n: usize) -> std::path::PathBuf {
    let path = dir.join("cardfile.db");
    let store = Store::open(&path).await.unwrap();
    let session = cardfile_core::Session::new(store.clone(), None)
        .await
        .unwrap();
    for i in 0..n {
        session
            .add(
                &fields(&[
                    ("first_name", &format!("Person{i}")),
                    ("email", &format!("p{i}@example.com")),
                ]),
                None,
                false,
            )
            .await
            .unwrap();
    }
    store.close().await;
    path
}

/// Makes the last backup look `hours` old.
fn age_backup(db: &Path, hours: u64) {
    let file = std::fs::File::options()
        .write(true)
        .open(store::backup_path(db))
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(hours * 3600))
        .unwrap();
}

/// When the backup of `db` was last written.
fn backup_time(db: &Path) -> SystemTime {
    std::fs::metadata(store::backup_path(db))
        .unwrap()
        .modified()
        .unwrap()
}

/// Waits (30 s at most) for the backup `store` takes in the background to be written after
/// `aged`; when it was.
async fn backup_after(store: &Store, db: &Path, aged: SystemTime) -> SystemTime {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let modified = backup_time(db);
        if modified > aged {
            return modified;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no backup taken: {:?}",
            store.backup_problem()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A database of `n` contacts opened as the window opens it, the same day as its backup (no
/// check runs), and a session on it.
async fn open_the_day_of_its_backup(
    dir: &Path,
    n: usize,
) -> (std::path::PathBuf, Store, cardfile_core::Session) {
    let db = database(dir, n).await;
    Store::open(&db).await.unwrap().close().await;
    let store = Store::open_with(&db, DailyCheck::After).await.unwrap();
    let session = cardfile_core::Session::new(store.clone(), None)
        .await
        .unwrap();
    (db, store, session)
}

/// A database of 200 contacts with a sound backup a day old (the daily check is due), then
/// damaged: its path, the backup's bytes and its own.
async fn damaged_when_the_check_is_due(dir: &Path) -> (std::path::PathBuf, Vec<u8>, Vec<u8>) {
    let db = database(dir, 200).await;
    Store::open(&db).await.unwrap().close().await;
    age_backup(&db, 30);
    let good = std::fs::read(store::backup_path(&db)).unwrap();
    damage(&db);
    let damaged = std::fs::read(&db).unwrap();
    (db, good, damaged)
}

#[tokio::test]
async fn a_reopened_database_gets_a_backup_that_holds_its_contacts_and_a_fresh_one_is_not_taken_again(
) {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 3).await;
    assert!(store::last_backup(&db).is_none(), "a new database has none");
    let store = Store::open(&db).await.unwrap();
    store.close().await;
    let backup = store::last_backup(&db).expect("taken on the first open after");
    let copied = sqlite(Path::new(&backup.path), "SELECT count(*) FROM contacts");
    assert_eq!(copied.trim(), "3");
    let taken = backup_time(&db);
    Store::open(&db).await.unwrap().close().await;
    let again = backup_time(&db);
    assert_eq!(taken, again, "the day's backup is not taken twice");
    age_backup(&db, 25);
    Store::open(&db).await.unwrap().close().await;
    let next = backup_time(&db);
    assert!(next > taken, "a day later it is taken again");
    let partials = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial")
        })
        .count();
    assert_eq!(partials, 0);
}

#[tokio::test]
async fn a_database_failing_its_integrity_check_is_refused_unwritten_and_restored_from_its_backup()
{
    let dir = tempfile::tempdir().unwrap();
    let (db, good, damaged) = damaged_when_the_check_is_due(dir.path()).await;

    let e = Store::open(&db).await.unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Invalid, Some(trouble::DAMAGED))
    );
    let text = e.to_string();
    assert!(
        text.contains("is damaged") && text.contains("has not changed it"),
        "{text}"
    );
    assert!(text.contains(".backup"), "names the backup: {text}");
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "not written to");
    assert_eq!(
        std::fs::read(store::backup_path(&db)).unwrap(),
        good,
        "a damaged file never replaces the backup"
    );

    let restored = store::restore_backup(&db).await.unwrap();
    assert_eq!(
        std::fs::read(&restored.damaged).unwrap(),
        damaged,
        "kept aside"
    );
    let store = Store::open(&db).await.unwrap();
    assert_eq!(cardfile_core::contacts::count(&store).await.unwrap(), 200);
    store.check(true).await.unwrap();
    store.close().await;
}

#[tokio::test]
async fn the_windows_daily_check_runs_after_the_open_then_writes_land_and_the_backup_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 20).await;
    Store::open(&db).await.unwrap().close().await;
    age_backup(&db, 30);
    let aged = backup_time(&db);

    let store = Store::open_with(&db, DailyCheck::After).await.unwrap();
    let session = cardfile_core::Session::new(store.clone(), None)
        .await
        .unwrap();
    // A write at once waits for the check to end, then lands.
    session
        .add(
            &fields(&[("first_name", "Early"), ("email", "early@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    let ended = tokio::time::timeout(Duration::ZERO, store.checked()).await;
    assert!(
        matches!(ended, Ok(Ok(()))),
        "the check had ended: {ended:?}"
    );
    // The backup follows the check, in the background.
    backup_after(&store, &db, aged).await;
    store.close().await;
    assert!(store.backup_problem().is_none());
    let watch = tokio::time::timeout(Duration::from_secs(5), store.damage_found()).await;
    assert!(
        matches!(watch, Ok(None)),
        "closed with nothing found, the watch for damage ends: {watch:?}"
    );
    let copied = sqlite(&store::backup_path(&db), "SELECT count(*) FROM contacts");
    assert!(["20", "21"].contains(&copied.trim()), "{copied}");
    assert_eq!(sqlite(&db, "SELECT count(*) FROM contacts").trim(), "21");
}

#[tokio::test]
async fn a_window_left_open_past_a_day_takes_the_next_backup_at_its_next_write() {
    let dir = tempfile::tempdir().unwrap();
    // Opened with the backup fresh: no check runs. Then the day passes with the window open.
    let (db, store, session) = open_the_day_of_its_backup(dir.path(), 20).await;
    age_backup(&db, 25);
    let aged = backup_time(&db);
    session
        .add(
            &fields(&[("first_name", "Late"), ("email", "late@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    backup_after(&store, &db, aged).await;
    store.close().await;
    assert!(store.backup_problem().is_none());
    let copied = sqlite(&store::backup_path(&db), "SELECT count(*) FROM contacts");
    assert!(["20", "21"].contains(&copied.trim()), "{copied}");
}

#[tokio::test]
async fn a_window_left_open_past_a_day_takes_the_next_backup_at_its_next_import() {
    let dir = tempfile::tempdir().unwrap();
    let (db, store, session) = open_the_day_of_its_backup(dir.path(), 20).await;
    age_backup(&db, 25);
    let aged = backup_time(&db);
    // An import, on a connection of its own, is the day's only write.
    let csv = dir.path().join("two.csv");
    std::fs::write(
        &csv,
        "First Name,Email\nIm,im1@example.com\nMo,im2@example.com\n",
    )
    .unwrap();
    let report = session
        .import_file(&csv, &Default::default(), &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap();
    assert_eq!(report.summary.created, 2);
    backup_after(&store, &db, aged).await;
    store.close().await;
    assert!(store.backup_problem().is_none());
    let copied = sqlite(&store::backup_path(&db), "SELECT count(*) FROM contacts");
    assert!(["20", "22"].contains(&copied.trim()), "{copied}");
}

#[tokio::test]
async fn a_damaged_file_the_check_after_the_open_finds_is_refused_writes_and_left_unwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (db, good, damaged) = damaged_when_the_check_is_due(dir.path()).await;

    // The open itself does not read the damaged index: the window opens, and the check
    // that runs after it finds the damage.
    let store = Store::open_with(&db, DailyCheck::After).await.unwrap();
    let e = store.checked().await.unwrap_err();
    assert_eq!(
        (e.code(), e.field()),
        (ErrorCode::Invalid, Some(trouble::DAMAGED))
    );
    assert!(e.to_string().contains("has not changed it"), "{e}");
    let refused = store.write().await.map(drop).unwrap_err();
    assert_eq!(refused.field(), Some(trouble::DAMAGED));
    let started = AtomicBool::new(false);
    let ran = store
        .while_sound(async { started.store(true, Ordering::Relaxed) })
        .await;
    assert!(
        ran.is_none() && !started.load(Ordering::Relaxed),
        "background work never starts on a damaged file"
    );
    let session = cardfile_core::Session::new(store.clone(), None)
        .await
        .unwrap();
    let add = session
        .add(&fields(&[("first_name", "Late")]), None, false)
        .await
        .unwrap_err();
    assert_eq!(add.field(), Some(trouble::DAMAGED), "{add}");
    // The check keeps the write lock: a writer that goes round the store waits in vain.
    let mut other = SqliteConnectOptions::new()
        .filename(&db)
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .unwrap();
    let locked = sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap_err();
    assert!(locked.to_string().contains("locked"), "{locked}");
    other.close().await.unwrap();

    store.close().await;
    assert_eq!(std::fs::read(&db).unwrap(), damaged, "not written to");
    assert_eq!(
        std::fs::read(store::backup_path(&db)).unwrap(),
        good,
        "a damaged file never replaces the backup"
    );
}

#[tokio::test]
async fn a_window_left_open_past_a_day_whose_next_check_finds_damage_refuses_writes_and_keeps_the_backup(
) {
    let dir = tempfile::tempdir().unwrap();
    // Opened with the backup fresh: no check runs, nothing is found.
    let (db, store, session) = open_the_day_of_its_backup(dir.path(), 200).await;
    let none = tokio::time::timeout(Duration::from_millis(50), store.damage_found()).await;
    assert!(none.is_err(), "nothing found on a sound file: {none:?}");
    // The disk fails under the open window, and the day passes.
    damage_open(&store).await;
    age_backup(&db, 25);
    let good = std::fs::read(store::backup_path(&db)).unwrap();

    // The next write starts the check before the backup; it finds the damage.
    store.write().await.unwrap().commit().await.unwrap();
    let found = tokio::time::timeout(Duration::from_secs(30), store.damage_found())
        .await
        .expect("the check ends")
        .expect("it finds the damage");
    assert_eq!(
        (found.code(), found.field()),
        (ErrorCode::Invalid, Some(trouble::DAMAGED))
    );
    let said = found.to_string();
    assert!(
        said.contains("found this while it was open and has written nothing to it since")
            && said.contains("what was saved after that backup stays in the damaged file"),
        "{said}"
    );
    let refused = store.write().await.map(drop).unwrap_err();
    assert_eq!(refused.field(), Some(trouble::DAMAGED), "{refused}");
    let add = session
        .add(&fields(&[("first_name", "Later")]), None, false)
        .await
        .unwrap_err();
    assert_eq!(add.field(), Some(trouble::DAMAGED), "{add}");
    store.close().await;
    assert_eq!(
        std::fs::read(store::backup_path(&db)).unwrap(),
        good,
        "a damaged file never replaces the backup"
    );
    assert!(
        store.backup_problem().is_none(),
        "the damage is the refusal"
    );
}

#[tokio::test]
async fn background_work_runs_while_the_file_is_sound_and_stops_when_a_later_days_check_finds_damage(
) {
    let dir = tempfile::tempdir().unwrap();
    let (db, store, _session) = open_the_day_of_its_backup(dir.path(), 200).await;
    assert_eq!(
        store.while_sound(async { 7 }).await,
        Some(7),
        "sound: it runs"
    );
    // A worker as the window's reminders and cloud sync are: it goes on until stopped.
    let ticks = Arc::new(AtomicUsize::new(0));
    let counted = ticks.clone();
    let worker = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .while_sound(async move {
                    loop {
                        counted.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
                .await
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while ticks.load(Ordering::Relaxed) < 3 {
        assert!(std::time::Instant::now() < deadline, "the worker never ran");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // The disk fails under the open window, the day passes, and the next write's check
    // finds the damage: the worker stops.
    damage_open(&store).await;
    age_backup(&db, 25);
    store.write().await.unwrap().commit().await.unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(30), worker)
        .await
        .expect("the worker stops once the damage is found")
        .unwrap();
    assert_eq!(stopped, None, "stopped, not run to its end");
    let after = ticks.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(ticks.load(Ordering::Relaxed), after, "and does no more");
    store.close().await;
}

#[tokio::test]
async fn a_damaged_backup_is_not_restored() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 50).await;
    Store::open(&db).await.unwrap().close().await;
    damage(&store::backup_path(&db));
    let before = std::fs::read(&db).unwrap();
    let e = store::restore_backup(&db).await.unwrap_err();
    assert!(e.to_string().contains("is damaged too"), "{e}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let none = tempfile::tempdir().unwrap();
    let e = store::restore_backup(&none.path().join("x.db"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotFound, "{e}");
}

#[tokio::test]
async fn a_database_from_a_newer_cardfile_is_refused_and_not_migrated_backwards() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path(), 1).await;
    sqlite(
        &db,
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (9001, 'from the future', '2030-01-01', 1, x'00', 0)",
    );
    let before = sqlite(&db, ".dump");
    let e = Store::open(&db).await.unwrap_err();
    assert_eq!(e.field(), Some(trouble::NEWER));
    assert!(
        e.to_string().contains("newer Cardfile") && e.to_string().contains("9001"),
        "{e}"
    );
    assert_eq!(sqlite(&db, ".dump"), before);
}

#[tokio::test]
async fn files_that_are_not_cardfile_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "these are my notes, not a database\n".repeat(100)).unwrap();
    let e = Store::open(&text).await.unwrap_err();
    assert_eq!(e.field(), Some(trouble::NOT_CARDFILE));
    assert!(e.to_string().contains("not an SQLite file"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "these are my notes, not a database\n".repeat(100)
    );

    let other = dir.path().join("places.sqlite");
    sqlite(
        &other,
        "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)",
    );
    let before = sqlite(&other, ".dump");
    let e = Store::open(&other).await.unwrap_err();
    assert_eq!(e.field(), Some(trouble::NOT_CARDFILE));
    assert!(e.to_string().contains("not Cardfile's"), "{e}");
    assert_eq!(sqlite(&other, ".dump"), before);
}

#[tokio::test]
async fn a_reminder_whose_send_was_cut_off_is_marked_for_checking_and_never_resent_by_itself() {
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    set_up_email(&db, smtp.port).await;
    let secrets = MemorySecrets::default();
    let starts = hours(30);
    s.record_activity(&meeting(
        &[("first_name", "Ann"), ("email", "ann@example.com")],
        starts,
    ))
    .await
    .unwrap();
    // A dispatcher claimed the day-before reminder and was killed before it recorded what
    // became of the send; its lease has run out since.
    sqlx::query(
        "UPDATE notifications SET leased_until = '2000-01-01T00:00:00.000Z' \
         WHERE id = (SELECT min(id) FROM notifications)",
    )
    .execute(db.store().pool())
    .await
    .unwrap();
    let day_before = at(starts - chrono::Duration::hours(24));
    let done = s.dispatch(&secrets, Some(&day_before)).await.unwrap();
    assert_eq!(done.sent, 0, "{done:?}");
    assert!(smtp.messages().is_empty(), "not sent a second time");
    let all = s.notifications(None, true).await.unwrap();
    let unsure = all.iter().find(|n| n.status == "failed").unwrap();
    let reason = unsure.last_error.as_deref().unwrap();
    assert!(
        reason.starts_with(UNSURE) && reason.contains("retry"),
        "{reason}"
    );
    // The user checked: it never arrived. Retrying sends it, once.
    s.retry_notification(&unsure.id).await.unwrap();
    let done = s.dispatch(&secrets, None).await.unwrap();
    assert_eq!(done.sent, 1, "{done:?}");
    assert_eq!(smtp.messages().len(), 1);
}
