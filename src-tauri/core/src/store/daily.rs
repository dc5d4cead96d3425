//! The daily integrity check and backup of the window's database, run after it opens instead
//! of before: at a million contacts the quick check reads 1.7 GB (4.5 s) and the copy takes
//! 3.0 s, which the first open of every day waited through. The check holds the write lock
//! while it runs, so nothing is written to the file until it has passed (`Store::write` waits
//! for its end; a writer going round it waits on the lock as for any other writer). A
//! damaged file keeps that lock until the store closes, the store refuses writes, and the
//! window shows the damage in place of the contacts. A store left open past a day takes the
//! next day's backup when it is next written to (`again_if_due`), after the same check:
//! damage it finds is refused and shown in the same way.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tokio::sync::watch;

use super::interrupt::{stopped, Interrupter};
use super::{backup, integrity, trouble, IMMEDIATE};
use crate::error::{Error, Result};

/// What the check found.
#[derive(Clone, Debug)]
enum Found {
    /// Sound, or not checked: a check that could not run found nothing.
    Sound,
    /// Damaged, and why (the refusal's words).
    Damaged(Arc<str>),
}

/// A store's daily check, running or done.
#[derive(Debug)]
pub(super) struct Daily {
    found: watch::Receiver<Option<Found>>,
    /// Where a check tells what it found, the one after the open or a later day's; let go
    /// of when the store closes, which ends the waits on `found`.
    tell: Mutex<Option<watch::Sender<Option<Found>>>>,
    stop: Arc<AtomicBool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// When a write may next start a backup, after one started (and may have failed).
    next_start: Mutex<Instant>,
}

/// How long after a renewed backup starts a write may start another, should it fail.
const RETRY_AFTER: Duration = Duration::from_secs(3600);

impl Daily {
    /// Nothing left to check: the file was checked before the store opened, or no check
    /// was due.
    pub(super) fn done() -> Daily {
        let (tell, found) = watch::channel(Some(Found::Sound));
        Daily {
            found,
            tell: Mutex::new(Some(tell)),
            stop: Default::default(),
            task: Mutex::new(None),
            next_start: Mutex::new(Instant::now()),
        }
    }

    /// Starts checking `path` in the background, then backing it up; why a backup could
    /// not be taken goes to `problem`.
    pub(super) fn start(path: PathBuf, problem: Arc<Mutex<Option<String>>>) -> Daily {
        let (tell, found) = watch::channel(None);
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(check_then_back_up(
            path,
            tell.clone(),
            stop.clone(),
            problem,
        ));
        Daily {
            found,
            tell: Mutex::new(Some(tell)),
            stop,
            task: Mutex::new(Some(task)),
            next_start: Mutex::new(Instant::now()),
        }
    }

    /// The damage found, as the error that refuses a write; nothing while the check runs.
    fn damage(&self) -> Option<Error> {
        match &*self.found.borrow() {
            Some(Found::Damaged(why)) => Some(Error::invalid(trouble::DAMAGED, why.to_string())),
            _ => None,
        }
    }

    /// Waits for the check after the open to end: the damage it found (or a later day's
    /// check found since), as an error.
    pub(super) async fn outcome(&self) -> Result<()> {
        let mut found = self.found.clone();
        // The check stopped before it ended (the store closed) found nothing.
        let _ = found.wait_for(Option::is_some).await;
        match self.damage() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Waits until a check, the one after the open or a later day's, finds the file
    /// damaged: that damage, as the error that refuses a write; nothing once the store
    /// has closed without any.
    pub(super) async fn damage_found(&self) -> Option<Error> {
        let mut found = self.found.clone();
        let _ = found
            .wait_for(|f| matches!(f, Some(Found::Damaged(_))))
            .await;
        self.damage()
    }

    /// A store open past a day (a window left open for days): when the backup of `path` is
    /// a day old, a write starts the next one in the background, after the quick check. The
    /// check then runs without the write lock (the user is at work). A damaged file is never
    /// copied over a sound backup: the damage is refused from then on as at the open (later
    /// writes fail with it, `damage_found` returns it); why another check or copy failed
    /// goes to `problem`, as at the open. Nothing written since the last backup, nothing to
    /// back up: a store no one writes to takes no new one.
    pub(super) fn again_if_due(&self, path: &Path, problem: &Arc<Mutex<Option<String>>>) {
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.as_ref().is_some_and(|t| !t.is_finished()) {
            return;
        }
        let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
        if Instant::now() < *next {
            return;
        }
        let Some(tell) = self.tell.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
            return; // closed
        };
        // Each write looks at the backup's age (a file's metadata read, microseconds beside
        // the write itself): the first write once it is a day old starts the next. A new
        // database's first backup is the next open's, as it always was.
        let renew = backup::backup_path(path).exists() && backup::due(path);
        if renew && !self.stop.load(Ordering::Relaxed) {
            // A copy that fails (a full disk) is tried again an hour on, not at every write.
            *next = Instant::now() + RETRY_AFTER;
            *task = Some(tokio::spawn(check_then_back_up_unlocked(
                path.to_path_buf(),
                tell,
                self.stop.clone(),
                problem.clone(),
            )));
        }
    }

    /// Stops the check or the backup if still running (interrupting its statement) and
    /// closes its connection, letting go of the write lock; then no check tells anything
    /// more, and `damage_found` ends.
    pub(super) async fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            let _ = task.await;
        }
        self.tell.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Held by the check after the open: one that ends without telling what it found (it
/// panicked, or was dropped) found nothing, and the writes waiting on it go on.
struct Told(watch::Sender<Option<Found>>);

impl Drop for Told {
    fn drop(&mut self) {
        self.0.send_if_modified(|found| {
            let untold = found.is_none();
            if untold {
                *found = Some(Found::Sound);
            }
            untold
        });
    }
}

async fn check_then_back_up(
    path: PathBuf,
    tell: watch::Sender<Option<Found>>,
    stop: Arc<AtomicBool>,
    problem: Arc<Mutex<Option<String>>>,
) {
    let _told = Told(tell.clone());
    let mut conn = match connect(&path).await {
        Ok(conn) => conn,
        Err(e) => {
            note(
                &problem,
                Some(format!("the daily check could not start: {e}")),
            );
            let _ = tell.send(Some(Found::Sound));
            return;
        }
    };
    match checked(&mut conn, &path, &stop, Lock::Hold).await {
        Ok(interrupter) => {
            let _ = tell.send(Some(Found::Sound));
            copy(&mut conn, &interrupter, &path, &stop, &problem).await;
        }
        Err(Error::Invalid { field, reason }) if field == trouble::DAMAGED => {
            let _ = tell.send(Some(Found::Damaged(reason.into())));
            // The write lock is held until the store closes: nothing writes to the file.
            stopped(&stop).await;
        }
        Err(e) => {
            if !stop.load(Ordering::Relaxed) {
                note(
                    &problem,
                    Some(format!("the daily check could not run: {e}")),
                );
            }
            let _ = tell.send(Some(Found::Sound));
        }
    }
    // Closed, not dropped: the lock and the connection are gone when `stop` returns.
    let _ = conn.close().await;
}

/// `again_if_due`'s work: the quick check without the write lock, then the copy; damage
/// found is told as the check after the open tells it.
async fn check_then_back_up_unlocked(
    path: PathBuf,
    tell: watch::Sender<Option<Found>>,
    stop: Arc<AtomicBool>,
    problem: Arc<Mutex<Option<String>>>,
) {
    let mut conn = match connect(&path).await {
        Ok(conn) => conn,
        Err(e) => return note(&problem, Some(e.to_string())),
    };
    match checked(&mut conn, &path, &stop, Lock::Leave).await {
        Ok(interrupter) => copy(&mut conn, &interrupter, &path, &stop, &problem).await,
        Err(Error::Invalid { field, reason }) if field == trouble::DAMAGED => {
            tell.send_replace(Some(Found::Damaged(reason.into())));
        }
        Err(e) if !stop.load(Ordering::Relaxed) => note(&problem, Some(e.to_string())),
        Err(_) => {}
    }
    let _ = conn.close().await;
}

/// The backup copy, while others read and write; closing the store stops it. Why it
/// failed goes to `problem`; a copy taken clears an earlier problem.
async fn copy(
    conn: &mut SqliteConnection,
    interrupter: &Interrupter,
    path: &Path,
    stop: &AtomicBool,
    problem: &Mutex<Option<String>>,
) {
    match interrupter.watch(stop, backup::take(conn, path)).await {
        Ok(_) => note(problem, None),
        Err(_) if stop.load(Ordering::Relaxed) => {}
        Err(e) => note(problem, Some(e.to_string())),
    }
}

/// Keeps why the daily backup was not taken, or that it was.
fn note(problem: &Mutex<Option<String>>, why: Option<String>) {
    *problem.lock().unwrap_or_else(|e| e.into_inner()) = why;
}

/// A connection of the check's own, which sets nothing on the file.
async fn connect(path: &Path) -> Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await?)
}

/// Whether the quick check holds the write lock while it runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lock {
    /// The check after the open: nothing is written until it has passed.
    Hold,
    /// A check while the user is at work (`again_if_due`): writes go on.
    Leave,
}

/// The quick check, holding the write lock when `lock` says so (left held when it finds
/// damage). Another writer holding the lock (the command line importing, say) keeps it from
/// being taken within the busy timeout: the file is then checked without it, as the command
/// line checks it.
async fn checked(
    conn: &mut SqliteConnection,
    path: &Path,
    stop: &AtomicBool,
    lock: Lock,
) -> Result<Interrupter> {
    let interrupter = Interrupter::arm(conn).await?;
    let locked = lock == Lock::Hold && sqlx::query(IMMEDIATE).execute(&mut *conn).await.is_ok();
    // Damage found while the user is at work was written to until then: said so.
    let damaged = match lock {
        Lock::Hold => backup::damaged,
        Lock::Leave => backup::damaged_while_open,
    };
    interrupter
        .watch(stop, integrity(conn, path, false, damaged))
        .await?;
    if locked {
        sqlx::query("COMMIT").execute(&mut *conn).await?;
    }
    Ok(interrupter)
}
