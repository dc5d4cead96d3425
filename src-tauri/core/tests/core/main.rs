//! Core's one integration test binary (one link, one mod per area), on real SQLite files.

mod activity;
#[path = "../../../../tests/support/damage.rs"]
mod damage;
mod delivery;
mod dispatch;
#[path = "../../../../tests/support/integrations/mod.rs"]
mod fake_integrations;
mod funnel;
mod import;
mod integrations;
mod journal;
mod merge;
mod notify;
#[path = "../../../../tests/support/oncehub/mod.rs"]
mod oncehub;
mod recovery;
mod rules;
mod sample;
mod search;
mod servers;
mod settings;
#[path = "../../../../tests/support/shell.rs"]
mod shell;
mod store;
mod sync;
mod trial;
mod users;

use cardfile_core::secrets::{MemorySecrets, SecretStore};
use cardfile_core::{ContactFields, Error, Session, Store};

/// A fresh database file in its own temporary folder, and a session on it as the owner.
pub struct Db {
    pub dir: tempfile::TempDir,
    pub session: Session,
}

impl Db {
    pub async fn new() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("test.db")).await.unwrap();
        let session = Session::new(store, None).await.unwrap();
        Db { dir, session }
    }

    pub fn store(&self) -> &Store {
        self.session.store()
    }
}

/// Fields with just these set.
pub fn fields(pairs: &[(&str, &str)]) -> ContactFields {
    let mut f = ContactFields::default();
    for (k, v) in pairs {
        assert!(
            cardfile_core::record::FIELDS.contains(k),
            "unknown field {k}"
        );
        f.set_text(k, v.to_string());
    }
    f
}

/// A keyring that cannot be reached for one secret (as under cron, with no session bus,
/// the OS keyring cannot be reached at all); the others are kept in memory.
pub struct Unreachable {
    pub inner: MemorySecrets,
    pub down: &'static str,
}

impl Unreachable {
    fn check(&self, name: &str) -> cardfile_core::Result<()> {
        if name == self.down {
            return Err(Error::Internal(
                "the OS keyring is not available: no session bus".into(),
            ));
        }
        Ok(())
    }
}

impl SecretStore for Unreachable {
    fn get(&self, name: &str) -> cardfile_core::Result<Option<String>> {
        self.check(name)?;
        self.inner.get(name)
    }

    fn set(&self, name: &str, value: &str) -> cardfile_core::Result<()> {
        self.check(name)?;
        self.inner.set(name, value)
    }

    fn delete(&self, name: &str) -> cardfile_core::Result<()> {
        self.check(name)?;
        self.inner.delete(name)
    }
}
