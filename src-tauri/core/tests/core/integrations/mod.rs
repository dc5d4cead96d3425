//! The integrations (HubSpot, Salesforce, Google Calendar, Exchange, Zapier) against the fake
//! of tests/support/integrations: the exact requests an email or phone change sends, what
//! sends nothing, tokens that expire or cannot be renewed, a deleted hook, and faults.

mod calendar;
mod crm;
mod fake;
mod faults;
mod sources;
mod tokens;

use std::time::Duration;

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::integrations::{self, IntegrationStatus, OAuthApp};
use cardfile_core::outbox::OutboxItem;
use cardfile_core::preferences::Key;
use cardfile_core::secrets::MemorySecrets;
use cardfile_core::sync::{self, SyncSummary};
use cardfile_core::Contact;
use serde_json::Value;

use crate::fake_integrations::{browser, FakeIntegrations, Logged};
use crate::{fields, Db};

/// A database, the fake services and a keyring in memory; nothing connected yet. Timeouts
/// and backoffs are short so that faults are retried within a test.
pub struct Wired {
    pub db: Db,
    pub fake: FakeIntegrations,
    pub secrets: MemorySecrets,
}

/// A meeting far in the future, and one in the past.
pub const FUTURE: &str = "2031-03-04T10:00:00Z";
pub const PAST: &str = "2021-03-04T10:00:00Z";

impl Wired {
    pub async fn new() -> Wired {
        let wired = Wired {
            db: Db::new().await,
            fake: FakeIntegrations::start().await,
            secrets: MemorySecrets::default(),
        };
        for (key, value) in [
            (Key::CloudTimeoutMs, "700"),
            (Key::CloudBackoffMs, "5"),
            (Key::CloudBackoffCapMs, "40"),
        ] {
            wired
                .db
                .session
                .set(&wired.secrets, key, value)
                .await
                .unwrap();
        }
        wired.fake.set_timeout_delay(Duration::from_millis(1500));
        wired
    }

    /// The base URL an integration is connected at on the fake.
    pub fn url_of(&self, name: &str) -> String {
        match name {
            "exchange" => self.fake.graph_url(),
            "zapier" => self.fake.hook_url(),
            _ => self.fake.base_url(),
        }
    }

    /// Connects with a pasted token the fake issued for it (for Zapier, the hook URL).
    /// Returns the token.
    pub async fn connect(&self, name: &str) -> String {
        let user = self.db.session.user().await.unwrap();
        let (url, token) = if name == "zapier" {
            (None, self.fake.hook_url())
        } else {
            (Some(self.url_of(name)), self.fake.issue_token(name))
        };
        let status = integrations::connect(
            self.db.store(),
            &self.secrets,
            &user,
            name,
            url.as_deref(),
            &token,
        )
        .await
        .unwrap();
        assert!(status.connected, "{status:?}");
        token
    }

    /// Signs in with OAuth through the fake's authorization server, the test playing the
    /// browser. Returns the access and refresh tokens the sign-in got.
    pub async fn sign_in(&self, name: &str) -> (String, String) {
        let user = self.db.session.user().await.unwrap();
        let client_id = format!("cardfile-{name}");
        self.fake.oauth_client(&client_id, name);
        integrations::set_oauth_app(
            self.db.store(),
            &self.secrets,
            &user,
            name,
            &OAuthApp {
                client_id,
                client_secret: None,
                authorize_url: Some(self.fake.authorize_url()),
                token_url: Some(self.fake.token_url()),
                redirect_port: None,
            },
        )
        .await
        .unwrap();
        let url = if name == "salesforce" {
            None
        } else {
            Some(self.url_of(name))
        };
        let signing = integrations::begin_sign_in(
            self.db.store(),
            &self.secrets,
            &user,
            name,
            url.as_deref(),
        )
        .await
        .unwrap();
        let authorize = signing.url().to_string();
        let (page, status) = tokio::join!(
            browser::consent(&authorize),
            signing.finish(self.db.store(), &self.secrets, Duration::from_secs(10))
        );
        let page = page.unwrap();
        assert_eq!(page.status, 200, "{page:?}");
        let status = status.unwrap();
        assert!(status.connected, "{status:?}");
        let exchange = self
            .fake
            .requests_to("POST /oauth/token")
            .pop()
            .expect("the sign-in exchanged its code");
        assert_eq!(
            exchange.form("grant_type").as_deref(),
            Some("authorization_code")
        );
        (
            exchange.reply["access_token"].as_str().unwrap().to_string(),
            exchange.reply["refresh_token"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    pub async fn status(&self, name: &str) -> IntegrationStatus {
        integrations::list(self.db.store(), &self.secrets)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
    }

    pub async fn set_send_updates(&self, value: &str) {
        let user = self.db.session.user().await.unwrap();
        integrations::set_options(
            self.db.store(),
            &self.secrets,
            &user,
            "google",
            &integrations::IntegrationOptions {
                keep_fields_in_sync: None,
                send_updates: Some(value.to_string()),
            },
        )
        .await
        .unwrap();
    }

    /// One sync run.
    pub async fn sync(&self) -> SyncSummary {
        let user = self.db.session.user().await.unwrap();
        sync::run_quietly(self.db.store(), &self.secrets, &user)
            .await
            .unwrap()
    }

    /// Sync runs until nothing waits (a fault backs an item off for a few milliseconds, a
    /// Retry-After for its seconds).
    pub async fn drain(&self) -> SyncSummary {
        for _ in 0..2_000 {
            let s = self.sync().await;
            if s.pending == 0 {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the outbox did not drain: {:?}", self.outbox().await);
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

    /// A meeting with this email's contact on a calendar (google, exchange, other).
    pub async fn meeting(&self, email: &str, calendar: &str, event_id: &str, starts_at: &str) {
        self.db
            .session
            .record_activity(&NewActivity {
                kind: Some(Kind::Meeting),
                fields: fields(&[("email", email)]),
                host: None,
                status: None,
                starts_at: Some(starts_at.to_string()),
                ends_at: None,
                calendar: Some(calendar.to_string()),
                event_id: Some(event_id.to_string()),
                calendar_id: None,
            })
            .await
            .unwrap();
    }

    /// Every outbox item (sent and canceled too).
    pub async fn outbox(&self) -> Vec<OutboxItem> {
        cardfile_core::outbox::list(self.db.store(), true, None, u32::MAX)
            .await
            .unwrap()
            .items
    }

    /// This integration's items.
    pub async fn items(&self, target: &str) -> Vec<OutboxItem> {
        self.outbox()
            .await
            .into_iter()
            .filter(|i| i.target == target)
            .collect()
    }
}

/// `METHOD /path?query` of each request, the path percent-decoded.
pub fn lines(requests: &[Logged]) -> Vec<String> {
    requests
        .iter()
        .map(|r| match r.query.as_str() {
            "" => format!("{} {}", r.method, r.decoded_path()),
            q => format!("{} {}?{q}", r.method, r.decoded_path()),
        })
        .collect()
}

/// The HubSpot search body the core sends for a previous email.
pub fn email_search(email: &str) -> Value {
    serde_json::json!({
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}],
        "properties": ["email", "phone", "mobilephone"],
        "limit": 2,
    })
}

pub const SEARCH: &str = "POST /crm/v3/objects/contacts/search";
