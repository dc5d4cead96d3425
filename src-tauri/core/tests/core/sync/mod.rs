//! Sync with the OnceHub cloud, against the fake OnceHub of tests/support (the documented
//! wire contract, with faults on request): connecting, the outbox's delivery rules, pulls,
//! remote deletions, bookings, the rate limits, and a week offline.

mod connect;
mod pull;
mod push;
mod week;

use std::time::Duration;

use cardfile_core::preferences::Key;
use cardfile_core::secrets::MemorySecrets;
use cardfile_core::sync::{self, CloudStatus, SyncSummary};
use cardfile_core::{Contact, ContactFields};
use serde_json::Value;

use crate::oncehub::FakeOnceHub;
use crate::{fields, Db};

pub const KEY: &str = "sk-test-PLANTED-4f1d9a7c2b";

/// A database, a fake cloud account and a keyring in memory; not connected yet. The limits
/// and backoffs are raised so that tests run in seconds (one test keeps the defaults).
pub struct Cloudy {
    pub db: Db,
    pub fake: FakeOnceHub,
    pub secrets: MemorySecrets,
}

impl Cloudy {
    pub async fn new() -> Cloudy {
        let cloudy = Cloudy {
            db: Db::new().await,
            fake: FakeOnceHub::start(KEY).await,
            secrets: MemorySecrets::default(),
        };
        cloudy.fake.set_limits(100_000, 1_000_000);
        for (key, value) in [
            (Key::CloudPerSecond, "1000"),
            (Key::CloudPerFiveMinutes, "100000"),
            (Key::CloudTimeoutMs, "700"),
            (Key::CloudBackoffMs, "5"),
            (Key::CloudBackoffCapMs, "40"),
        ] {
            cloudy
                .db
                .session
                .set(&cloudy.secrets, key, value)
                .await
                .unwrap();
        }
        cloudy
    }

    pub async fn connect(&self) -> CloudStatus {
        self.try_connect(KEY).await.unwrap()
    }

    pub async fn try_connect(&self, key: &str) -> cardfile_core::Result<CloudStatus> {
        let user = self.db.session.user().await.unwrap();
        let never = std::sync::atomic::AtomicBool::new(false);
        sync::connect(
            self.db.store(),
            &self.secrets,
            &user,
            Some(&self.fake.url()),
            key,
            &never,
            &|_| {},
        )
        .await
    }

    /// One sync run.
    pub async fn sync(&self) -> SyncSummary {
        let user = self.db.session.user().await.unwrap();
        sync::run_quietly(self.db.store(), &self.secrets, &user)
            .await
            .unwrap()
    }

    /// Sync runs until nothing waits (faults back items off for a few milliseconds).
    pub async fn drain(&self) -> SyncSummary {
        let mut total = SyncSummary::default();
        for _ in 0..10_000 {
            let s = self.sync().await;
            total.pushed += s.pushed;
            total.pulled += s.pulled;
            total.activities += s.activities;
            if s.pending == 0 {
                total.pending = 0;
                total.failed = s.failed;
                return total;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the outbox did not drain");
    }

    pub async fn add(&self, pairs: &[(&str, &str)]) -> Contact {
        self.db
            .session
            .add(&fields(pairs), None, false)
            .await
            .unwrap()
    }

    pub async fn edit(&self, id: &str, pairs: &[(&str, &str)]) -> Contact {
        self.db
            .session
            .edit(id, &fields(pairs), false)
            .await
            .unwrap()
    }

    pub async fn outbox(&self) -> Vec<cardfile_core::outbox::OutboxItem> {
        cardfile_core::outbox::list(self.db.store(), true, None, u32::MAX)
            .await
            .unwrap()
            .items
    }

    /// The requests that changed something in the cloud (and got their answer).
    pub fn writes(&self) -> Vec<(String, String)> {
        self.fake
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && (200..300).contains(&r.status))
            .map(|r| (r.method, r.path))
            .collect()
    }
}

/// A cloud contact's field as text.
pub fn field(contact: &Value, name: &str) -> Option<String> {
    match contact.get(name)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Just these fields.
pub fn only(pairs: &[(&str, &str)]) -> ContactFields {
    fields(pairs)
}
