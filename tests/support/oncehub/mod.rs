//! A fake of OnceHub's API v2 on 127.0.0.1, strict about the wire contract, so Cardfile's sync tests prove the client right without the real service.
//!
//! Include it from a test binary with
//! `#[path = "../support/oncehub/mod.rs"] mod oncehub;` (adjust the relative path).
//! It needs, as dev-dependencies: `axum` 0.8 (`default-features = false`, features `http1`,
//! `tokio`), `tokio` 1 (`time`, plus a runtime for the tests: `rt-multi-thread`, `macros`),
//! `serde_json` 1 and `chrono` 0.4 (`clock`, `std`).
//!
//! What it speaks (see `shared/reference/oncehub-api.md`): `API-Key` auth, `GET /v2/test`,
//! contacts (list, get, create, PATCH, delete), users, teams and bookings (list and get),
//! cursor paging newest first, the documented filters and errors, a `Request-Id` on every
//! reply, OnceHub's two rate limits, plus injected faults and a switch to go offline.
//! Not served: webhooks, booking actions, user writes (all answer 404 "Unrecognized request URL").

#![allow(dead_code)]

mod api;
mod contacts;
mod directory;
mod gate;
mod lists;
mod net;
mod server;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use gate::{Fault, Logged};

use gate::Gate;
use net::ConnRegistry;
use state::{Kind, Store};

/// Locks a mutex, going on after a panic elsewhere poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// State shared by the server tasks and the test's [`FakeOnceHub`] handle.
pub(crate) struct Shared {
    pub(crate) key: String,
    pub(crate) base_url: String,
    pub(crate) store: Mutex<Store>,
    pub(crate) gate: Mutex<Gate>,
    pub(crate) conns: ConnRegistry,
}

/// A running fake OnceHub account. Dropping it stops the server.
pub struct FakeOnceHub {
    shared: Arc<Shared>,
    port: u16,
    server: Mutex<Option<JoinHandle<()>>>,
}

fn object(value: Value, what: &str) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        other => panic!("FakeOnceHub::{what}: expected a JSON object, got {other}"),
    }
}

impl FakeOnceHub {
    /// Starts on 127.0.0.1 on a free port; `key` is the one valid API key; the account email
    /// is admin@example.com. Must be called inside a Tokio runtime.
    pub async fn start(key: &str) -> FakeOnceHub {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("FakeOnceHub: bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("FakeOnceHub: local address")
            .port();
        let shared = Arc::new(Shared {
            key: key.to_string(),
            base_url: format!("http://127.0.0.1:{port}/v2"),
            store: Mutex::new(Store::new(0x0CE4_u64 ^ u64::from(port))),
            gate: Mutex::new(Gate::new()),
            conns: Arc::default(),
        });
        let task = server::serve(shared.clone(), listener);
        FakeOnceHub {
            shared,
            port,
            server: Mutex::new(Some(task)),
        }
    }

    /// The API base, `http://127.0.0.1:PORT/v2`; every route is under it.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The port the fake listens on (the same after [`come_back`](Self::come_back)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The one valid API key.
    pub fn key(&self) -> String {
        self.shared.key.clone()
    }

    /// Whether the fake is listening now.
    pub fn is_online(&self) -> bool {
        lock(&self.server).is_some()
    }

    /// Stops listening (new connections are refused) and resets every open connection, held
    /// `Timeout` replies included (their writes still land). State is kept.
    pub async fn go_offline(&self) {
        let task = lock(&self.server).take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        net::kill_all(&self.shared.conns);
    }

    /// Listens again on the same port, with the state kept. Panics if the port cannot be had
    /// back within about two seconds.
    pub async fn come_back(&self) {
        if self.is_online() {
            return;
        }
        let mut attempts = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if attempts >= 100 => {
                    panic!("FakeOnceHub::come_back: port {}: {e}", self.port)
                }
                Err(_) => {
                    attempts += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let task = server::serve(self.shared.clone(), listener);
        *lock(&self.server) = Some(task);
    }

    /// Enforced limits: requests over them are answered 429
    /// `{"type":"rate_limit_error","message":"Request rate limit exceeded"}`. Defaults 5 per
    /// any 1 s and 200 per any 300 s, sliding windows over all requests that reached the
    /// server (those answered 429 included), counted before auth.
    pub fn set_limits(&self, per_second: usize, per_five_minutes: usize) {
        lock(&self.shared.gate).set_limits(per_second, per_five_minutes);
    }

    /// Fault injection: each request that passes the limits and auth gets, with probability
    /// `rate`, one fault drawn uniformly from `kinds`, from a PRNG seeded with `seed`.
    /// `set_faults(0.0, &[], 0)` turns random faults off.
    pub fn set_faults(&self, rate: f64, kinds: &[Fault], seed: u64) {
        lock(&self.shared.gate).set_faults(rate, kinds, seed);
    }

    /// The next `n` requests that pass the limits and auth get this fault, before any random one.
    pub fn queue_fault(&self, fault: Fault, n: usize) {
        lock(&self.shared.gate).queue_fault(fault, n);
    }

    /// How long a [`Fault::Timeout`] holds the reply (default 3 s).
    pub fn set_timeout_delay(&self, d: Duration) {
        lock(&self.shared.gate).timeout_delay = d;
    }

    /// Every live contact as the API returns it, newest first.
    pub fn contacts(&self) -> Vec<Value> {
        self.all(Kind::Contact)
    }

    /// One live contact by id.
    pub fn contact(&self, id: &str) -> Option<Value> {
        self.one(Kind::Contact, id)
    }

    /// The live contact with this email, ignoring case.
    pub fn contact_by_email(&self, email: &str) -> Option<Value> {
        let store = lock(&self.shared.store);
        store
            .contact_by_email(email)
            .map(|r| Value::Object(r.body.clone()))
    }

    /// Adds a contact as if made elsewhere; no validation. `id`, `creation_time` and
    /// `last_updated_time` are used when given, otherwise a fresh `CTC-` id and the current
    /// write time. Unset fields are null. Returns the id.
    pub fn insert_contact(&self, fields: Value) -> String {
        let fields = object(fields, "insert_contact");
        let result = contacts::insert(&mut lock(&self.shared.store), &fields);
        result.unwrap_or_else(|e| panic!("FakeOnceHub::insert_contact: {e}"))
    }

    /// A remote edit: sets any field as given (email and mobile phone too), bumps
    /// `last_updated_time` unless the patch sets it. Panics on an unknown id.
    pub fn edit_contact(&self, id: &str, patch: Value) {
        let patch = object(patch, "edit_contact");
        let found = contacts::edit(&mut lock(&self.shared.store), id, &patch);
        assert!(found, "FakeOnceHub::edit_contact: no contact {id}");
    }

    /// A remote delete. Panics on an unknown id.
    pub fn delete_contact(&self, id: &str) {
        let found = lock(&self.shared.store).remove(Kind::Contact, id);
        assert!(found, "FakeOnceHub::delete_contact: no contact {id}");
    }

    /// Adds a user (`USR-` id unless given; unset fields null, `teams` empty). Returns the id.
    pub fn insert_user(&self, user: Value) -> String {
        let fields = object(user, "insert_user");
        let result = directory::insert_user(&mut lock(&self.shared.store), &fields);
        result.unwrap_or_else(|e| panic!("FakeOnceHub::insert_user: {e}"))
    }

    /// Adds a team (`TM-` id). Put its id in a user's `teams` to make them a member.
    pub fn insert_team(&self, name: &str) -> String {
        directory::insert_team(&mut lock(&self.shared.store), name)
    }

    /// Adds a booking: `BKNG-` id and times unless given, `status` "scheduled" unless given,
    /// unset fields null. A `conversation` given as an object is stored (given a `CVR-` id if
    /// it has none) and the booking keeps its id, as `expand=data.conversation` expects.
    pub fn insert_booking(&self, booking: Value) -> String {
        let fields = object(booking, "insert_booking");
        let result = directory::insert_booking(&mut lock(&self.shared.store), &fields);
        result.unwrap_or_else(|e| panic!("FakeOnceHub::insert_booking: {e}"))
    }

    /// A remote change to a booking; bumps `last_updated_time` unless the patch sets it.
    /// Panics on an unknown id.
    pub fn edit_booking(&self, id: &str, patch: Value) {
        let patch = object(patch, "edit_booking");
        let found = directory::edit_booking(&mut lock(&self.shared.store), id, &patch);
        assert!(found, "FakeOnceHub::edit_booking: no booking {id}");
    }

    /// Every booking as the API returns it (conversation not expanded), newest first.
    pub fn bookings(&self) -> Vec<Value> {
        self.all(Kind::Booking)
    }

    /// One booking by id.
    pub fn booking(&self, id: &str) -> Option<Value> {
        self.one(Kind::Booking, id)
    }

    /// Every user, newest first.
    pub fn users(&self) -> Vec<Value> {
        self.all(Kind::User)
    }

    /// Every team, newest first.
    pub fn teams(&self) -> Vec<Value> {
        self.all(Kind::Team)
    }

    fn all(&self, kind: Kind) -> Vec<Value> {
        let store = lock(&self.shared.store);
        let mut records: Vec<_> = store.records(kind).iter().collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.sort_key()));
        records
            .into_iter()
            .map(|r| Value::Object(r.body.clone()))
            .collect()
    }

    fn one(&self, kind: Kind, id: &str) -> Option<Value> {
        let store = lock(&self.shared.store);
        store.find(kind, id).map(|r| Value::Object(r.body.clone()))
    }

    /// Every request that reached the server since the start (or the last
    /// [`clear_requests`](Self::clear_requests)), in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared.gate).requests()
    }

    /// Empties the request log (and so what [`max_in_window`](Self::max_in_window) sees).
    /// The rate limiter keeps its own memory and is not reset.
    pub fn clear_requests(&self) {
        lock(&self.shared.gate).clear_log();
    }

    /// How many `POST /contacts` created a contact (201, a [`Fault::CutAfter`] one included),
    /// with this email (any case) or this mobile phone: to prove nothing was created twice.
    pub fn creates_for(&self, email_or_phone: &str) -> usize {
        let key = if email_or_phone.contains('@') {
            email_or_phone.to_lowercase()
        } else {
            email_or_phone.to_string()
        };
        lock(&self.shared.store)
            .creates
            .get(&key)
            .copied()
            .unwrap_or(0)
    }

    /// The most logged requests (all of them, 429s included) that arrived within any span
    /// shorter than `window`.
    pub fn max_in_window(&self, window: Duration) -> usize {
        lock(&self.shared.gate).max_in_window(window)
    }

    /// How many requests were answered 429 for exceeding a limit (injected 429s not counted).
    pub fn rate_limited(&self) -> usize {
        lock(&self.shared.gate).rate_limited()
    }
}

impl Drop for FakeOnceHub {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.server).take() {
            task.abort();
        }
        net::kill_all(&self.shared.conns);
    }
}
