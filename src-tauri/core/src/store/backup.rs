//! The automatic backup beside the database (`cardfile.db.backup`), taken with SQLite's
//! VACUUM INTO daily and before a migration, only after the file passed its integrity check;
//! restoring from it; and telling a damaged, foreign or unwritable file apart on open.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

use super::trouble;
use crate::error::{Error, ErrorBody, Result};

/// How old the last backup may get before the next open takes another.
pub const BACKUP_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// The last automatic backup of a database.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Backup {
    pub path: String,
    /// When it was taken, RFC 3339 in UTC.
    pub taken_at: String,
    /// Its size (a number the page can hold exactly up to 8 PiB).
    pub bytes: f64,
}

/// What a restore did.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Restored {
    /// The backup the database now is.
    pub backup: Backup,
    /// Where the damaged file was moved (it is kept: nothing of the user's is deleted).
    pub damaged: String,
}

/// A database file refused on open (`trouble`), as the window shows it in place of the
/// contacts: why, and whether its last backup can take its place.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Refusal {
    /// The refusal, its `field` one of `trouble`'s.
    pub error: ErrorBody,
    pub database: String,
    pub backup: Option<Backup>,
    /// Only a damaged file is restored from its backup: a foreign, newer or unwritable
    /// one is the wrong file or the wrong place, and replacing it would lose it.
    pub restorable: bool,
}

impl Refusal {
    /// `e`, an error of `Store::open(db)`, as a refusal of the file; any other error back.
    pub fn of(db: &Path, e: Error) -> Result<Refusal> {
        let field = match e.field() {
            Some(
                f
                @ (trouble::DAMAGED | trouble::NOT_CARDFILE | trouble::NEWER | trouble::READ_ONLY),
            ) => f,
            _ => return Err(e),
        };
        let backup = last_backup(db);
        Ok(Refusal {
            restorable: field == trouble::DAMAGED && backup.is_some(),
            error: e.into(),
            database: db.display().to_string(),
            backup,
        })
    }
}

/// The file the backup of `db` is kept in: beside it, its name and ".backup".
pub fn backup_path(db: &Path) -> PathBuf {
    beside(db, ".backup")
}

fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    db.with_file_name(name)
}

/// The last automatic backup of `db`, if there is one.
pub fn last_backup(db: &Path) -> Option<Backup> {
    let path = backup_path(db);
    let meta = std::fs::metadata(&path).ok().filter(|m| m.is_file())?;
    let taken: chrono::DateTime<chrono::Utc> = meta.modified().ok()?.into();
    Some(Backup {
        path: path.display().to_string(),
        taken_at: taken.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        bytes: meta.len() as f64,
    })
}

/// Whether the daily backup is due: there is none, or it is a day old (or from the future,
/// when the clock was set back).
pub(super) fn due(db: &Path) -> bool {
    let Some(modified) = std::fs::metadata(backup_path(db))
        .ok()
        .and_then(|m| m.modified().ok())
    else {
        return true;
    };
    match SystemTime::now().duration_since(modified) {
        Ok(age) => age >= BACKUP_EVERY,
        Err(ahead) => ahead.duration() >= BACKUP_EVERY,
    }
}

/// Refuses, before SQLite opens it, an existing file that is not an SQLite database or
/// that cannot be written to.
pub(super) fn usable_file(db: &Path) -> Result<()> {
    let shown = db.display();
    let mut header = [0u8; 16];
    let read = std::fs::File::open(db)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut header))
        .map_err(|e| {
            Error::invalid(
                trouble::READ_ONLY,
                format!("cannot read the database {shown}: {e}"),
            )
        })?;
    if read < header.len() || &header != b"SQLite format 3\0" {
        return Err(Error::invalid(
            trouble::NOT_CARDFILE,
            format!(
                "{shown} is not a Cardfile database (it is not an SQLite file): nothing was changed. Choose your Cardfile database, or another file name for a new one"
            ),
        ));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .open(db)
        .map_err(|e| {
            Error::invalid(
                trouble::READ_ONLY,
                format!(
                    "cannot write to the database {shown} ({e}): Cardfile keeps your contacts there and must be able to change it. Make the file writable, or copy it to a folder you can write to"
                ),
            )
        })?;
    Ok(())
}

/// Whether SQLite says a file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB).
pub(super) fn is_damage(e: &sqlx::Error) -> bool {
    let code = e
        .as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i32>().ok());
    // Extended result codes keep the primary code in their low byte.
    matches!(code.map(|c| c & 0xff), Some(11 | 26))
}

/// The refusal of a damaged database found before anything was written to it: what was
/// found, that nothing was changed, and the way back (the window offers the restore itself).
pub(super) fn damaged(db: &Path, found: &str) -> Error {
    refusal(db, found, "Cardfile has not changed it.", "")
}

/// The refusal of a database found damaged by a later day's check, while open (a window
/// left open for days): it was written to until then, so what was saved since its backup
/// is in the damaged file, which a restore keeps.
pub(super) fn damaged_while_open(db: &Path, found: &str) -> Error {
    refusal(
        db,
        found,
        "Cardfile found this while it was open and has written nothing to it since.",
        "; what was saved after that backup stays in the damaged file, which the restore keeps beside the database",
    )
}

fn refusal(db: &Path, found: &str, written: &str, since_backup: &str) -> Error {
    let way_back = match last_backup(db) {
        Some(b) => format!(
            "Its last automatic backup, {} ({}), can replace it: restore it from the window, or close Cardfile, move the damaged file away and copy the backup in its place{since_backup}",
            b.path, b.taken_at
        ),
        None => "There is no automatic backup of it to restore".to_string(),
    };
    Error::invalid(
        trouble::DAMAGED,
        format!(
            "the database {} is damaged (SQLite's integrity check: {found}). {written} {way_back}",
            db.display()
        ),
    )
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::Internal(format!("cannot {what} {}: {e}", path.display()))
}

/// Makes a file's contents, or a folder's entries, durable.
fn sync(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("sync", path, e))
}

fn folder(db: &Path) -> PathBuf {
    match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A consistent copy of the database into a file of this process, made durable, then put
/// in the backup's place in one rename: a backup killed half-way leaves the last one whole.
pub(super) async fn take(conn: &mut SqliteConnection, db: &Path) -> Result<Backup> {
    let target = backup_path(db);
    let partial = beside(db, &format!(".backup.partial-{}", std::process::id()));
    let _ = std::fs::remove_file(&partial);
    let into = partial.to_str().ok_or_else(|| {
        Error::Internal(format!(
            "cannot back up to {}: the path is not UTF-8",
            partial.display()
        ))
    })?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(into)
        .execute(&mut *conn)
        .await;
    let done = match copied {
        Ok(_) => sync(&partial)
            .and_then(|()| {
                std::fs::rename(&partial, &target).map_err(|e| io("replace", &target, e))
            })
            .and_then(|()| sync(&folder(db))),
        Err(e) => Err(Error::Internal(format!(
            "cannot back up the database to {}: {e}",
            target.display()
        ))),
    };
    if done.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    done?;
    forget_partials(db);
    last_backup(db)
        .ok_or_else(|| Error::Internal(format!("the backup {} vanished", target.display())))
}

/// Removes what backups killed half-way left (their process is gone when it is an hour
/// old: a backup takes seconds).
fn forget_partials(db: &Path) {
    let Some(prefix) = beside(db, ".backup.partial-")
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(folder(db)) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old && entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Puts the last automatic backup in the place of the database at `db`, which no Store may
/// have open: the backup is checked first (a damaged backup is refused), the damaged file
/// is moved aside with its write-ahead log (`<name>.damaged-<time>`), and the backup is
/// copied in. The backup itself stays.
pub async fn restore_backup(db: &Path) -> Result<Restored> {
    let backup = last_backup(db).ok_or_else(|| {
        Error::NotFound(format!(
            "there is no automatic backup of {} ({} does not exist)",
            db.display(),
            backup_path(db).display()
        ))
    })?;
    let source = backup_path(db);
    // Read as it is: nothing is written to the backup, not even a journal beside it.
    let mut conn = SqliteConnectOptions::new()
        .filename(&source)
        .read_only(true)
        .immutable(true)
        .connect()
        .await
        .map_err(|e| Error::Internal(format!("cannot open the backup {}: {e}", backup.path)))?;
    let found: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(5)")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_else(|e| vec![e.to_string()]);
    drop(conn);
    if found != ["ok"] {
        return Err(Error::invalid(
            trouble::DAMAGED,
            format!(
                "the backup {} is damaged too ({}): it was not restored",
                backup.path,
                found.join("; ")
            ),
        ));
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
    let aside = beside(db, &format!(".damaged-{stamp}"));
    if db.exists() {
        std::fs::rename(db, &aside).map_err(|e| io("move aside", db, e))?;
    }
    for log in ["-wal", "-journal"] {
        let from = beside(db, log);
        if from.exists() {
            let to = beside(&aside, log);
            std::fs::rename(&from, &to).map_err(|e| io("move aside", &from, e))?;
        }
    }
    let _ = std::fs::remove_file(beside(db, "-shm"));
    let partial = beside(db, &format!(".restoring-{}", std::process::id()));
    std::fs::copy(&source, &partial).map_err(|e| io("copy the backup to", &partial, e))?;
    sync(&partial)?;
    std::fs::rename(&partial, db).map_err(|e| io("restore", db, e))?;
    sync(&folder(db))?;
    Ok(Restored {
        backup,
        damaged: aside.display().to_string(),
    })
}
