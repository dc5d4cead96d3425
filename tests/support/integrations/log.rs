//! The request log every test reads, and the faults a test queues for a path prefix: what happens to a request before an API sees it.

use std::time::{Duration, Instant};

use serde_json::Value;

/// A failure injected into the next request whose path starts with a given prefix.
/// Nothing is applied for any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Answers this status (500, 503, 429, …) with a plain-text body, as a proxy in front of
    /// the API would.
    Status(u16),
    /// Answers this status with a `Retry-After: <seconds>` header.
    RetryAfter(u16, u64),
    /// Holds the reply for the timeout delay (3 s unless set: longer than the client's
    /// timeout), then answers 504.
    Timeout,
    /// Drops the connection: not a byte of reply is written and the socket is reset.
    Drop,
}

/// One request that reached the fake, in arrival order.
#[derive(Clone, Debug)]
pub struct Logged {
    /// `"GET"`, `"PATCH"`, …
    pub method: String,
    /// The path as sent (still percent-encoded), e.g. `/crm/v3/objects/contacts/101`.
    pub path: String,
    /// The raw query string as sent, without `?`; empty when there was none.
    pub query: String,
    /// The body: parsed JSON; a form body as an object of strings; `Null` when empty;
    /// otherwise the text as a string.
    pub body: Value,
    /// The body as text (lossy UTF-8).
    pub raw_body: String,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
    /// The `Content-Type` header as sent.
    pub content_type: Option<String>,
    /// The status answered; 0 when the connection was dropped, or a timeout still held.
    pub status: u16,
    /// The reply's JSON body (`Null` for none, e.g. a 204 or a redirect).
    pub reply: Value,
    /// The `Location` of a redirect reply.
    pub location: Option<String>,
    /// The fault injected into it, if any.
    pub fault: Option<Fault>,
    /// When it arrived.
    pub at: Instant,
}

impl Logged {
    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer(&self) -> Option<&str> {
        self.authorization
            .as_deref()
            .and_then(|h| h.strip_prefix("Bearer "))
    }

    /// The query string's pairs, decoded (`+` is a space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// One query parameter, decoded (the first if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// One field of a form or JSON body, as text.
    pub fn form(&self, name: &str) -> Option<String> {
        match self.body.get(name)? {
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// Whether the API took it: no fault, and a 2xx or 3xx reply.
    pub fn landed(&self) -> bool {
        self.fault.is_none() && (200..400).contains(&self.status)
    }

    /// The path percent-decoded (a client may encode more than it must: `%2D` is `-`).
    pub fn decoded_path(&self) -> String {
        percent_encoding::percent_decode_str(&self.path)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// `"METHOD /path"` (with `?query` when there is one), for short assertions.
    pub fn line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }
}

/// A queued fault and what it waits for.
#[derive(Clone, Debug)]
struct Queued {
    /// `None` matches every method.
    method: Option<String>,
    prefix: String,
    fault: Fault,
}

/// The log and the queued faults.
pub(crate) struct Gate {
    log: Vec<Logged>,
    /// Entries cleared from the front, so that indexes stay valid across a clear.
    base: usize,
    queued: Vec<Queued>,
    pub(crate) timeout_delay: Duration,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate {
            log: Vec::new(),
            base: 0,
            queued: Vec::new(),
            timeout_delay: Duration::from_secs(3),
        }
    }

    /// Queues a fault. `prefix` is a path prefix, optionally after a method and a space
    /// (`"PATCH /calendar/v3/"`).
    pub(crate) fn queue(&mut self, prefix: &str, fault: Fault) {
        let (method, prefix) = match prefix.split_once(' ') {
            Some((m, p)) if !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase()) => {
                (Some(m.to_string()), p.to_string())
            }
            _ => (None, prefix.to_string()),
        };
        assert!(
            prefix.starts_with('/'),
            "FakeIntegrations::fault: {prefix:?} is not a path prefix"
        );
        self.queued.push(Queued {
            method,
            prefix,
            fault,
        });
    }

    /// How many queued faults no request has taken yet.
    pub(crate) fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Logs an arriving request and takes the first queued fault that matches it.
    pub(crate) fn arrive(&mut self, mut entry: Logged) -> (usize, Option<Fault>) {
        let at = self.queued.iter().position(|q| {
            entry.path.starts_with(&q.prefix)
                && q.method.as_ref().is_none_or(|m| *m == entry.method)
        });
        let fault = at.map(|i| self.queued.remove(i).fault);
        entry.fault = fault;
        self.log.push(entry);
        (self.base + self.log.len() - 1, fault)
    }

    /// Records the reply a request got.
    pub(crate) fn finish(
        &mut self,
        index: usize,
        status: u16,
        reply: Value,
        location: Option<String>,
    ) {
        let Some(at) = index.checked_sub(self.base) else {
            return;
        };
        if let Some(entry) = self.log.get_mut(at) {
            entry.status = status;
            entry.reply = reply;
            entry.location = location;
        }
    }

    pub(crate) fn requests(&self) -> Vec<Logged> {
        self.log.clone()
    }

    pub(crate) fn clear(&mut self) {
        self.base += self.log.len();
        self.log.clear();
    }
}
