//! The SQLite file: opened once with WAL, foreign keys and a busy timeout, migrated on open.
//! Before anything is written an existing file must be a Cardfile database, writable, of a
//! schema this Cardfile knows, and (checked daily and before a migration) sound; each
//! passing check leaves an automatic backup beside it (store/backup.rs), which it can be restored
//! from. The window's daily check runs after it opens, holding back writes until it passes
//! (store/daily.rs).

pub mod backup;
mod daily;
pub(crate) mod interrupt;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection, SqlitePool};

use crate::error::{Error, Result};
pub use backup::{backup_path, last_backup, restore_backup, Backup, Refusal, Restored};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How much of the file reads may map (2 GiB).
pub const MMAP_SIZE: i64 = 2_147_418_112;
/// Each connection's page cache (64 MiB; negative is KiB, as SQLite takes it).
pub const CACHE_SIZE: i64 = -65_536;

/// How every write transaction begins (`Store::write`).
pub(crate) const IMMEDIATE: &str = "BEGIN IMMEDIATE";

/// When an open runs the daily integrity check and its backup. A migration's check and
/// backup always run before it: the migration writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DailyCheck {
    /// Before the store opens: the command line, whose commands write as soon as they start.
    Before,
    /// After it opens, in the background, holding the write lock while it runs
    /// (store/daily.rs): the window, which shows the contacts at once (`Store::checked`).
    After,
}

/// The open database. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    /// Why the daily backup could not be taken, if it could not.
    backup_problem: Arc<Mutex<Option<String>>>,
    /// The daily check run after the open (`DailyCheck::After`), running or done.
    daily: Arc<daily::Daily>,
    /// Copies of the log into the file running in the background, for `close` to wait for.
    checkpoints: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations,
    /// the daily check run before. A new database gets its local owner, an Admin, as the
    /// signed-in user (migration 0011).
    pub async fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, DailyCheck::Before).await
    }

    /// `open`, with the daily check run `daily`.
    pub async fn open_with(path: &Path, daily: DailyCheck) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Internal(format!("cannot create folder {}: {e}", dir.display()))
                })?;
            }
        }
        let existing = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
        let opening = if existing {
            backup::usable_file(path)?;
            // On a connection of its own that sets nothing: a file that is refused is
            // refused before a pragma (WAL, for one) has written to it.
            let mut conn = SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(5))
                .connect()
                .await
                .map_err(|e| refusal(path, e))?;
            let checked = before_writing(&mut conn, path, daily).await;
            conn.close().await.ok();
            checked?
        } else {
            Opening::default()
        };
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            // A new database has 16 KB pages (SQLite's default is 4): a ten-million-row
            // import writes a quarter of the log frames, and every page its last steps read
            // is looked up among those frames (SQLite's walFindFrame was 12% of such an
            // import with 4 KB pages); the import took 175 s instead of 231. An existing
            // file keeps its page size.
            .page_size(16384)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("cache_size", CACHE_SIZE.to_string())
            // A deleted person's bytes are overwritten, not left in free pages (DESIGN.md).
            .pragma("secure_delete", "ON")
            // Reads through a memory map skip a system call per page: a search that visits
            // thousands of rows stays in milliseconds.
            .pragma("mmap_size", MMAP_SIZE.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| match backup::is_damage(&e) {
                true => backup::damaged(path, &e.to_string()),
                false => Error::Internal(format!("cannot open database {}: {e}", path.display())),
            })?;
        let backup_problem = Arc::new(Mutex::new(opening.backup_problem));
        MIGRATOR.run(&pool).await?;
        let daily = match opening.check_after {
            true => daily::Daily::start(path.to_path_buf(), backup_problem.clone()),
            false => daily::Daily::done(),
        };
        Ok(Store {
            pool,
            path: path.to_path_buf(),
            backup_problem,
            daily: Arc::new(daily),
            checkpoints: Default::default(),
        })
    }

    /// Waits for the daily check run after the open (`DailyCheck::After`), if one runs:
    /// the damage it found, or a later day's check found since (`damage_found`), refused
    /// as on open (`trouble::DAMAGED`).
    pub async fn checked(&self) -> Result<()> {
        self.daily.outcome().await
    }

    /// Waits until a daily check finds the file damaged, the one after the open or, in a
    /// store left open past a day, the one before the next backup (store/daily.rs): that
    /// damage, refused as on open (`trouble::DAMAGED`); writes are refused with it from then
    /// on. Nothing once the store has closed without any.
    pub async fn damage_found(&self) -> Option<Error> {
        self.daily.damage_found().await
    }

    /// Runs `work` once the daily check after the open has passed, and only until a daily
    /// check finds the file damaged (a later day's, in a store left open for days) or the
    /// store closes: background work that writes (the window's reminders and cloud sync)
    /// never starts on a damaged file and stops when damage is found, its bookkeeping
    /// included. What `work` returned, if it ran to its end.
    pub async fn while_sound<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        self.checked().await.ok()?;
        tokio::select! {
            done = work => Some(done),
            _ = self.damage_found() => None,
        }
    }

    /// SQLite's integrity check: `full` checks every index against its table (minutes on
    /// millions of rows), else the quick check of every page's structure (seconds). A
    /// problem is refused as damage (`trouble::DAMAGED`).
    pub async fn check(&self, full: bool) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        integrity(&mut conn, &self.path, full, backup::damaged).await
    }

    /// Why the daily backup could not be taken, if it could not, as the user is told it.
    pub fn backup_problem(&self) -> Option<String> {
        let problem = self.backup_problem.lock();
        let problem = problem.unwrap_or_else(|e| e.into_inner());
        problem
            .as_ref()
            .map(|why| format!("the daily backup was not taken: {why}"))
    }

    /// A write transaction. It takes the write lock as it begins (BEGIN IMMEDIATE), so two
    /// writers (the window, the command line, the local API, the sync worker) wait for each
    /// other within the busy timeout instead of one failing when its read turns into a write.
    /// While the daily check after the open runs, it waits for the check to end (which can
    /// take longer than the busy timeout), and a file a daily check found damaged is refused.
    /// A store open past a day starts the next daily backup (store/daily.rs).
    pub async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.ready_to_write().await?;
        Ok(self.pool.begin_with(IMMEDIATE).await?)
    }

    /// What every write waits for before it begins (`write`, and the import, whose
    /// transaction begins on a connection of its own): the daily check after the open, a
    /// damaged file refused; in a store open past a day, the next daily backup is started.
    pub async fn ready_to_write(&self) -> Result<()> {
        self.checked().await?;
        self.daily.again_if_due(&self.path, &self.backup_problem);
        Ok(())
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Copies what the write-ahead log holds into the database file, on a connection of
    /// its own in the background. An import commits into the log without copying it (its
    /// connection sets `wal_autocheckpoint` to 0): at a million contacts the copy is 2 s,
    /// at ten million half a minute, that the user would wait through with the import
    /// done. Readers and writers go on meanwhile (a passive checkpoint blocks neither,
    /// and another connection's own checkpoint, finding this one running, skips); closing
    /// the store waits for it; a crash before it ends loses nothing, the log being the
    /// committed data until it is copied.
    pub fn checkpoint_in_background(&self) {
        let pool = self.pool.clone();
        let copy = tokio::spawn(async move {
            if let Ok(mut conn) = pool.acquire().await {
                let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut *conn)
                    .await;
            }
        });
        let mut running = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|c| !c.is_finished());
        running.push(copy);
    }

    /// Closes the database once the copies of the log into the file have ended (the last
    /// connection to close copies whatever is left), stopping a daily check that still runs.
    pub async fn close(&self) {
        self.daily.stop().await;
        let running =
            std::mem::take(&mut *self.checkpoints.lock().unwrap_or_else(|e| e.into_inner()));
        for copy in running {
            let _ = copy.await;
        }
        self.pool.close().await;
    }
}

/// What the checks before the open leave: why the daily backup failed, or that its check
/// is to run after the open.
#[derive(Default)]
struct Opening {
    backup_problem: Option<String>,
    check_after: bool,
}

/// What an existing file must pass before anything is written to it: it is Cardfile's,
/// of a schema this Cardfile knows (a newer one is refused, never migrated backwards),
/// and, when a migration is about to change it or (`DailyCheck::Before`) its daily backup
/// is due, sound by SQLite's integrity check; then the backup is taken. A daily backup that
/// fails (a full disk) does not keep the user from their contacts: why is returned, to be
/// shown. A migration does not run without its backup.
async fn before_writing(
    conn: &mut SqliteConnection,
    path: &Path,
    daily: DailyCheck,
) -> Result<Opening> {
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| refusal(path, e))?;
    if tables == 0 {
        return Ok(Opening::default());
    }
    let has_versions: bool = sqlx::query_scalar(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| refusal(path, e))?;
    if !has_versions {
        return Err(Error::invalid(
            trouble::NOT_CARDFILE,
            format!(
                "{} is an SQLite database, but not Cardfile's: nothing was changed. Choose a Cardfile database, or another file name for a new one",
                path.display()
            ),
        ));
    }
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| refusal(path, e))?;
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let newest = applied.iter().copied().max().unwrap_or(0);
    if newest > known {
        return Err(Error::invalid(
            trouble::NEWER,
            format!(
                "{} was written by a newer Cardfile (its schema is version {newest}; this Cardfile knows versions up to {known}): nothing was changed. Open it with the newer Cardfile",
                path.display()
            ),
        ));
    }
    let migrating = MIGRATOR.iter().any(|m| !applied.contains(&m.version));
    let due = backup::due(path);
    if due && !migrating && daily == DailyCheck::After {
        return Ok(Opening {
            backup_problem: None,
            check_after: true,
        });
    }
    if migrating || due {
        integrity(conn, path, migrating, backup::damaged).await?;
        match backup::take(conn, path).await {
            Ok(_) => {}
            Err(e) if migrating => {
                return Err(Error::Internal(format!(
                "{e}: this Cardfile updates the database's format only with a backup taken first"
            )))
            }
            Err(e) => {
                return Ok(Opening {
                    backup_problem: Some(e.to_string()),
                    check_after: false,
                })
            }
        }
    }
    Ok(Opening::default())
}

/// An error met while checking the file: damage named as such.
fn refusal(path: &Path, e: sqlx::Error) -> Error {
    refused_as(path, e, backup::damaged)
}

/// `refusal`, damage said in the words of `damaged`.
fn refused_as(path: &Path, e: sqlx::Error, damaged: Damaged) -> Error {
    if backup::is_damage(&e) {
        damaged(path, &e.to_string())
    } else {
        e.into()
    }
}

/// How a damaged file is refused: found before anything was written to it
/// (`backup::damaged`), or while open (`backup::damaged_while_open`).
type Damaged = fn(&Path, &str) -> Error;

/// SQLite's integrity check (`full`) or quick check, a problem refused as damage in the
/// words of `damaged`.
async fn integrity(
    conn: &mut SqliteConnection,
    path: &Path,
    full: bool,
    damaged: Damaged,
) -> Result<()> {
    let pragma = if full {
        "PRAGMA integrity_check(5)"
    } else {
        "PRAGMA quick_check(5)"
    };
    let found: Vec<String> = sqlx::query_scalar(pragma)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| refused_as(path, e, damaged))?;
    if found.len() == 1 && found[0] == "ok" {
        return Ok(());
    }
    Err(damaged(path, &found.join("; ")))
}

/// The `field` of the errors that refuse a database file on open, so the window can tell
/// them apart (and offer the backup for damage).
pub mod trouble {
    /// It fails SQLite's integrity check or SQLite finds it malformed: restore the backup.
    pub const DAMAGED: &str = "database";
    /// It is not an SQLite database, or not Cardfile's.
    pub const NOT_CARDFILE: &str = "database_file";
    /// A newer Cardfile wrote it.
    pub const NEWER: &str = "database_version";
    /// It cannot be written to.
    pub const READ_ONLY: &str = "database_access";
}

/// The default database file: `$XDG_DATA_HOME/cardfile/cardfile.db` (CLI.md).
pub fn default_db_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("cardfile").join("cardfile.db")
}

/// Now, as stored: RFC 3339 in UTC with milliseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
