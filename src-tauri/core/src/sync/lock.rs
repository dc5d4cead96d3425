//! One sync at a time per database. The lock is the operating system's lock on a file beside
//! the database, not a lease in it: it dies with its process, so a sync killed with -9 holds
//! nothing and the next one starts at once.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::store::Store;

/// Held while a sync runs; dropping it (or the process ending) lets the next one in.
pub struct SyncLock {
    _file: File,
}

fn path(store: &Store) -> PathBuf {
    let mut name = store.path().as_os_str().to_owned();
    name.push(".sync-lock");
    PathBuf::from(name)
}

fn open(store: &Store) -> Result<File> {
    Ok(OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path(store))?)
}

impl SyncLock {
    /// The lock, or None while another sync holds it.
    pub fn try_take(store: &Store) -> Result<Option<SyncLock>> {
        let file = open(store)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(SyncLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(Error::Io(e)),
        }
    }

    /// The lock, once the sync that holds it is done.
    pub async fn wait(store: &Store) -> Result<SyncLock> {
        let file = open(store)?;
        tokio::task::spawn_blocking(move || file.lock().map(|()| SyncLock { _file: file }))
            .await
            .map_err(|e| Error::Internal(format!("waiting for the sync lock: {e}")))?
            .map_err(Error::Io)
    }
}
