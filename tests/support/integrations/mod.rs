//! A fake of every integration's documented wire (HubSpot, Salesforce, Google Calendar, Microsoft Graph, Zapier, and one OAuth server) on one 127.0.0.1 port, so the integrations' tests prove the exact requests without the real services.
//!
//! Include it from a test binary with
//! `#[path = "../support/integrations/mod.rs"] mod fake_integrations;` (adjust the path).
//! It needs, as dev-dependencies: `axum` 0.8 (`http1`, `tokio`), `tokio` 1 (`net`, `time`,
//! `io-util`, plus a test runtime), `serde_json` 1, `chrono` 0.4, `ring` 0.17, `base64` 0.22,
//! `form_urlencoded` 1 and `percent-encoding` 2.
//!
//! What it speaks is each service's documented wire as the core's integrations send it
//! (`src-tauri/core/src/sync/integrations/`), strictly: bearer tokens it issued
//! (401 in each API's shape otherwise), JSON bodies sent as JSON, known property and field
//! names only, SOQL string literals with backslash escapes, PKCE S256. Each request is logged
//! with its reply; faults are queued per path prefix.

#![allow(dead_code)]

pub mod browser;
mod calendar;
mod hubspot;
mod log;
mod net;
mod oauth;
mod salesforce;
mod server;
mod soql;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use log::{Fault, Logged};

use log::Gate;
use net::Plugs;
use state::{Api, State};

/// Locks a mutex, going on after a panic elsewhere poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the server tasks and the test's handle share.
pub(crate) struct Shared {
    pub(crate) base_url: String,
    pub(crate) data: Mutex<State>,
    pub(crate) gate: Mutex<Gate>,
    pub(crate) plugs: Plugs,
}

/// The running fake. Dropping it stops the server and drops its connections.
pub struct FakeIntegrations {
    shared: Arc<Shared>,
    port: u16,
    server: JoinHandle<()>,
}

fn object(value: Value, what: &str) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => panic!("FakeIntegrations::{what}: expected a JSON object, got {other}"),
    }
}

fn array(value: Value, what: &str) -> Value {
    assert!(
        value.is_array(),
        "FakeIntegrations::{what}: attendees must be a JSON array, got {value}"
    );
    value
}

impl FakeIntegrations {
    /// Starts on 127.0.0.1 on a free port. Must be called inside a Tokio runtime.
    pub async fn start() -> FakeIntegrations {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("FakeIntegrations: bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("FakeIntegrations: local address")
            .port();
        let shared = Arc::new(Shared {
            base_url: format!("http://127.0.0.1:{port}"),
            data: Mutex::new(State::new(0x1A7E_u64 ^ (u64::from(port) << 17))),
            gate: Mutex::new(Gate::new()),
            plugs: Arc::default(),
        });
        let server = server::serve(shared.clone(), listener);
        FakeIntegrations {
            shared,
            port,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`: the base of HubSpot, Salesforce (the instance URL) and Google.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/v1.0`: Microsoft Graph's base.
    pub fn graph_url(&self) -> String {
        format!("{}/v1.0", self.shared.base_url)
    }

    /// The Zapier Catch Hook URL, `http://127.0.0.1:PORT/hooks/catch/1234567/abcdefg/`.
    pub fn hook_url(&self) -> String {
        format!(
            "{}{}",
            self.shared.base_url,
            lock(&self.shared.data).hook.path
        )
    }

    /// `http://127.0.0.1:PORT/oauth/authorize`
    pub fn authorize_url(&self) -> String {
        format!("{}/oauth/authorize", self.shared.base_url)
    }

    /// `http://127.0.0.1:PORT/oauth/token`
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.shared.base_url)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn data(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.data)
    }

    // --- Tokens and OAuth -------------------------------------------------------------

    /// A new valid access token for one API (`"hubspot"`, `"salesforce"`, `"google"`,
    /// `"exchange"`) or every API (`"any"`).
    pub fn issue_token(&self, api: &str) -> String {
        let realm = Api::parse(api);
        self.data().issue(realm)
    }

    /// A new access token and a refresh token that gives more like it: `(access, refresh)`.
    pub fn issue_tokens(&self, api: &str) -> (String, String) {
        let realm = Api::parse(api);
        let mut data = self.data();
        (data.issue(realm), data.issue_refresh(realm))
    }

    /// The token now answers 401 everywhere, as when it expired. Panics on an unknown token.
    pub fn expire_token(&self, token: &str) {
        let mut data = self.data();
        let t = data
            .tokens
            .get_mut(token)
            .unwrap_or_else(|| panic!("FakeIntegrations::expire_token: unknown token {token}"));
        t.expired = true;
    }

    /// Expires every access token issued so far.
    pub fn expire_all_tokens(&self) {
        for t in self.data().tokens.values_mut() {
            t.expired = true;
        }
    }

    /// Whether the APIs take this token now (for the API it was issued for).
    pub fn token_valid(&self, token: &str) -> bool {
        self.data().tokens.get(token).is_some_and(|t| !t.expired)
    }

    /// Tokens issued through `/oauth/token` to this client open only this API (`"hubspot"`,
    /// …); an unregistered client's tokens open every API. A `"salesforce"` client's token
    /// replies carry `instance_url` (the fake's base URL); no other client's do.
    pub fn oauth_client(&self, client_id: &str, api: &str) {
        let realm = Api::parse(api).expect("FakeIntegrations::oauth_client: name one API");
        self.data().clients.insert(client_id.to_string(), realm);
    }

    /// While on, every refresh_token grant answers 400 `invalid_grant`.
    pub fn refresh_fails(&self, fails: bool) {
        self.data().refresh_fails = fails;
    }

    /// While on, `/oauth/authorize` redirects back with `error=access_denied`.
    pub fn deny_consent(&self, deny: bool) {
        self.data().deny_consent = deny;
    }

    /// The S256 challenge of a PKCE verifier (base64url-no-pad of its SHA-256).
    pub fn challenge_of(verifier: &str) -> String {
        oauth::challenge_of(verifier)
    }

    // --- Zapier ---------------------------------------------------------------------------

    /// The hook was deleted in Zapier: posts to it get 410 from now on.
    pub fn delete_hook(&self) {
        self.data().hook.deleted = true;
    }

    /// The bodies of the posts the hook accepted, in order.
    pub fn hook_posts(&self) -> Vec<Value> {
        self.data().hook.posts.clone()
    }

    // --- HubSpot --------------------------------------------------------------------------

    /// Adds a contact with these properties (`{"email": .., "phone": .., "mobilephone": ..}`,
    /// strings); returns its id ("101", "102", …). Panics on a property HubSpot lacks.
    pub fn add_hubspot_contact(&self, properties: Value) -> String {
        let props = object(properties, "add_hubspot_contact");
        for name in props.keys() {
            assert!(
                hubspot::HUBSPOT_PROPERTIES.contains(&name.as_str()),
                "FakeIntegrations::add_hubspot_contact: unknown property {name}"
            );
        }
        let mut data = self.data();
        let id = data.next_hubspot;
        data.next_hubspot += 1;
        data.hubspot.insert(id, props);
        id.to_string()
    }

    /// A contact's stored properties (a property cleared or never set is absent).
    pub fn hubspot_contact(&self, id: &str) -> Option<Value> {
        let id: u64 = id.parse().ok()?;
        self.data()
            .hubspot
            .get(&id)
            .map(|p| Value::Object(p.clone()))
    }

    /// Removes a contact, as when it is deleted or merged away in HubSpot. Panics on an
    /// unknown id.
    pub fn remove_hubspot_contact(&self, id: &str) {
        let gone = id
            .parse::<u64>()
            .ok()
            .and_then(|n| self.data().hubspot.remove(&n));
        assert!(
            gone.is_some(),
            "FakeIntegrations::remove_hubspot_contact: no contact {id}"
        );
    }

    // --- Salesforce -----------------------------------------------------------------------

    /// Adds a `Contact` or `Lead` with these (unset when `None`) fields.
    pub fn add_salesforce(
        &self,
        kind: &str,
        id: &str,
        email: Option<&str>,
        phone: Option<&str>,
        mobile: Option<&str>,
    ) {
        let mut fields = Map::new();
        for (name, value) in [("Email", email), ("Phone", phone), ("MobilePhone", mobile)] {
            if let Some(v) = value {
                fields.insert(name.to_string(), Value::String(v.to_string()));
            }
        }
        self.add_salesforce_record(kind, id, Value::Object(fields));
    }

    /// Adds a `Contact` or `Lead` with any of its known fields (`{"LastName": ..}`).
    pub fn add_salesforce_record(&self, kind: &str, id: &str, fields: Value) {
        let fields = object(fields, "add_salesforce_record");
        let known = salesforce::salesforce_fields(kind).unwrap_or_else(|| {
            panic!("FakeIntegrations::add_salesforce: {kind} is not Contact or Lead")
        });
        for name in fields.keys() {
            assert!(
                known.contains(&name.as_str()),
                "FakeIntegrations::add_salesforce: {kind} has no field {name}"
            );
        }
        self.data()
            .salesforce
            .insert((kind.to_string(), id.to_string()), fields);
    }

    /// A record's stored fields (a cleared field is absent).
    pub fn salesforce(&self, kind: &str, id: &str) -> Option<Value> {
        self.data()
            .salesforce
            .get(&(kind.to_string(), id.to_string()))
            .map(|f| Value::Object(f.clone()))
    }

    // --- Calendars ------------------------------------------------------------------------

    /// Adds a Google event on a calendar (`"primary"`, …). `start` is RFC 3339 and
    /// `attendees` a JSON array of `{"email", "displayName", "responseStatus", …}`.
    pub fn add_google_event(&self, calendar: &str, id: &str, start: &str, attendees: Value) {
        let event = calendar::google_event(id, start, array(attendees, "add_google_event"));
        self.data()
            .google
            .insert((calendar.to_string(), id.to_string()), event);
    }

    /// A Google event as stored now.
    pub fn google_event(&self, calendar: &str, id: &str) -> Option<Value> {
        self.data()
            .google
            .get(&(calendar.to_string(), id.to_string()))
            .cloned()
    }

    /// Adds an event to `/me/events`. `start` is RFC 3339 (stored as Graph writes it, in
    /// UTC); `attendees` a JSON array of `{"emailAddress": {"address", "name"}, "type", …}`.
    pub fn add_graph_event(&self, id: &str, start: &str, attendees: Value) {
        let event = calendar::graph_event(id, start, array(attendees, "add_graph_event"));
        self.data().graph.insert(id.to_string(), event);
    }

    /// A Graph event as stored now.
    pub fn graph_event(&self, id: &str) -> Option<Value> {
        self.data().graph.get(id).cloned()
    }

    // --- Faults and the log ---------------------------------------------------------------

    /// Queues a fault for the next request whose path starts with `prefix`, optionally
    /// after a method (`"PATCH /crm/v3/"`). Faults queue in order; each is used once.
    pub fn fault(&self, prefix: &str, fault: Fault) {
        lock(&self.shared.gate).queue(prefix, fault);
    }

    /// How many queued faults no request has taken yet.
    pub fn faults_left(&self) -> usize {
        lock(&self.shared.gate).queued()
    }

    /// How long [`Fault::Timeout`] holds a reply (3 s unless set).
    pub fn set_timeout_delay(&self, delay: Duration) {
        lock(&self.shared.gate).timeout_delay = delay;
    }

    /// Every request since the start or the last [`clear_requests`](Self::clear_requests),
    /// in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared.gate).requests()
    }

    /// The logged requests whose path starts with `prefix` (optionally after a method, as
    /// for [`fault`](Self::fault)).
    pub fn requests_to(&self, prefix: &str) -> Vec<Logged> {
        let (method, prefix) = match prefix.split_once(' ') {
            Some((m, p)) => (Some(m), p),
            None => (None, prefix),
        };
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with(prefix) && method.is_none_or(|m| r.method == m))
            .collect()
    }

    /// `"METHOD /path?query"` of every logged request, for a short assertion.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Logged::line).collect()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.gate).clear();
    }
}

impl Drop for FakeIntegrations {
    fn drop(&mut self) {
        self.server.abort();
        net::pull_all(&self.shared.plugs);
    }
}
