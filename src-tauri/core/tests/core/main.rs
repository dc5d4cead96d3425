//! Core's one integration test binary (one link, one mod per area), on real SQLite files.

mod activity;
mod dispatch;
mod funnel;
mod import;
mod journal;
mod merge;
mod notify;
mod rules;
mod search;
mod store;

use cardfile_core::{ContactFields, Session, Store};

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
            cardfile_core::contact::FIELDS.contains(k),
            "unknown field {k}"
        );
        f.set_text(k, v.to_string());
    }
    f
}
