//! The SQLite file: opened once with WAL, foreign keys and a busy timeout, migrated on open.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::{Error, Result};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How much of the file reads may map (2 GiB).
pub const MMAP_SIZE: i64 = 2_147_418_112;
/// Each connection's page cache (64 MiB; negative is KiB, as SQLite takes it).
pub const CACHE_SIZE: i64 = -65_536;

/// How every write transaction begins (`Store::write`).
pub(crate) const IMMEDIATE: &str = "BEGIN IMMEDIATE";

/// The open database. Cheap to clone (a pool handle).
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    /// A new database gets its local owner, an Admin, as the signed-in user (migration 0011).
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::Internal(format!("cannot create folder {}: {e}", dir.display()))
                })?;
            }
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
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
            .map_err(|e| {
                Error::Internal(format!("cannot open database {}: {e}", path.display()))
            })?;
        MIGRATOR.run(&pool).await?;
        let store = Store {
            pool,
            path: path.to_path_buf(),
        };
        Ok(store)
    }

    /// A write transaction. It takes the write lock as it begins (BEGIN IMMEDIATE), so two
    /// writers (the window, the command line, the local API, the sync worker) wait for each
    /// other within the busy timeout instead of one failing when its read turns into a write.
    pub async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with(IMMEDIATE).await?)
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
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
