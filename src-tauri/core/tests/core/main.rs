//! Core's one integration test binary (one link, one mod per area), on real SQLite files.

mod activity;
mod dispatch;
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
        let v = Some(v.to_string());
        match *k {
            "first_name" => f.first_name = v,
            "last_name" => f.last_name = v,
            "email" => f.email = v,
            "mobile_phone" => f.mobile_phone = v,
            "phone" => f.phone = v,
            "company" => f.company = v,
            "job_title" => f.job_title = v,
            "country" => f.country = v,
            "status" => f.status = v,
            "notes" => f.notes = v,
            other => panic!("unknown field {other}"),
        }
    }
    f
}
