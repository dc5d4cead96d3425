//! The HTTP client of OnceHub's API v2 (../shared/reference/oncehub-api.md): the `API-Key`
//! header, JSON both ways, the list envelope and its `after` paging, and every reply sorted
//! into what the outbox does next: done, refused for good, or worth trying again later.
//! Every request first waits its turn in the shared rate limiter.

use std::time::Duration;

use serde_json::Value;

use super::limiter::Limiter;
use crate::error::{Error, Result};
use crate::store::Store;

/// What a request came to, when it did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// Worth trying again later: 5xx, 429, a timeout, a cut or refused connection. Offline
    /// is one of these, never an error. `everything`: the cloud cannot be reached or is
    /// limiting, so nothing else goes now either.
    Later {
        reason: String,
        retry_after: Option<Duration>,
        everything: bool,
    },
    /// 401 or 403: the key was refused (or the plan has no API access).
    Key(String),
    /// 404.
    NotFound,
    /// 409: the contact already exists (`param` names email or mobile_phone).
    Exists { param: Option<String> },
    /// 410: the remote removed what was addressed (a deleted Zapier hook).
    Gone(String),
    /// Any other 4xx: refused for good, with the remote's message and the field it names.
    Refused {
        /// Who refused it: OnceHub, HubSpot, ...
        who: &'static str,
        status: u16,
        message: String,
        param: Option<String>,
    },
}

impl Failure {
    /// Whether nothing else should be sent now (offline, or the rate limit answered).
    pub(crate) fn stops_the_round(&self) -> bool {
        matches!(
            self,
            Failure::Later {
                everything: true,
                ..
            }
        )
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Failure::Later { reason, .. } => reason.clone(),
            Failure::Key(m) => m.clone(),
            Failure::NotFound => "not found in the cloud".into(),
            Failure::Exists { param } => format!(
                "the cloud already has a contact with this {}",
                param.as_deref().unwrap_or("email or mobile phone")
            ),
            Failure::Gone(m) => m.clone(),
            Failure::Refused {
                who,
                status,
                message,
                param,
            } => match param {
                Some(p) => format!("{who} refused it ({status}, {p}): {message}"),
                None => format!("{who} refused it ({status}): {message}"),
            },
        }
    }
}

/// One page of a list.
pub(crate) struct Page {
    pub data: Vec<Value>,
    pub has_more: bool,
}

impl Page {
    /// Where the next page starts: None when this was the last.
    pub(crate) fn next(&self) -> Option<String> {
        if self.has_more {
            self.data.last().and_then(id_of)
        } else {
            None
        }
    }
}

pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    key: String,
    limiter: Limiter,
}

/// Checks a base URL: https, or plain http to this computer (tests). Refused before any
/// request is made.
pub fn check_url(url: &str) -> Result<String> {
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| Error::invalid("url", format!("{} is not a URL: {e}", url.trim())))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::invalid(
                "url",
                format!(
                    "{} is plain http: the API key would cross the network unencrypted; use https",
                    url.trim()
                ),
            ))
        }
        other => {
            return Err(Error::invalid(
                "url",
                format!("{other} is not a web address scheme: use https"),
            ))
        }
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

impl Client {
    pub(crate) fn new(
        base: &str,
        key: &str,
        limiter: Limiter,
        timeout: Duration,
    ) -> Result<Client> {
        Ok(Client {
            http: http(timeout)?,
            base: check_url(base)?,
            key: key.to_string(),
            limiter,
        })
    }

    /// One request, after its turn in the limiter. `Ok` carries the JSON reply of a 2xx.
    pub(crate) async fn call(
        &self,
        store: &Store,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<std::result::Result<Value, Failure>> {
        self.limiter.acquire(store).await?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("API-Key", &self.key)
            .header("Accept", "application/json");
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let reply = match request.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Err(network(&e, "the cloud"))),
        };
        let status = reply.status();
        let retry_after = retry_after(&reply);
        let text = match reply.text().await {
            Ok(t) => t,
            Err(e) => return Ok(Err(network(&e, "the cloud"))),
        };
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            if json.is_null() {
                return Ok(Err(Failure::Later {
                    reason: format!("the cloud answered {status} without a JSON body"),
                    retry_after: None,
                    everything: false,
                }));
            }
            return Ok(Ok(json));
        }
        let message = json
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .to_string();
        let param = json
            .get("param")
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Err(match status.as_u16() {
            s @ (401 | 403) => Failure::Key(format!(
                "OnceHub refused the API key ({s}: {message}); connect again with a valid key \
                 (Settings, Cloud account, or `cardfile cloud connect`)"
            )),
            s => sort(s, retry_after, message, param, "OnceHub"),
        }))
    }

    /// One page of a list (100 items, the most the API gives), after the item `after`.
    pub(crate) async fn page(
        &self,
        store: &Store,
        path: &str,
        filters: &[(&str, String)],
        after: Option<&str>,
    ) -> Result<std::result::Result<Page, Failure>> {
        let mut query = vec![("limit", "100".to_string())];
        query.extend(filters.iter().cloned());
        if let Some(a) = after {
            query.push(("after", a.to_string()));
        }
        Ok(
            match self
                .call(store, reqwest::Method::GET, path, &query, None)
                .await?
            {
                Ok(json) => Ok(Page {
                    has_more: json
                        .get("has_more")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    data: match json.get("data") {
                        Some(Value::Array(items)) => items.clone(),
                        _ => Vec::new(),
                    },
                }),
                Err(f) => Err(f),
            },
        )
    }

    /// Every item of a list (users and teams: small lists), following `after`.
    pub(crate) async fn all(
        &self,
        store: &Store,
        path: &str,
    ) -> Result<std::result::Result<Vec<Value>, Failure>> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = match self.page(store, path, &[], after.as_deref()).await? {
                Ok(p) => p,
                Err(f) => return Ok(Err(f)),
            };
            after = page.next();
            items.extend(page.data);
            if after.is_none() {
                return Ok(Ok(items));
            }
        }
    }
}

/// A cloud object's id.
pub(crate) fn id_of(item: &Value) -> Option<String> {
    item.get("id").and_then(Value::as_str).map(str::to_string)
}

/// An HTTP client whose requests give up after `timeout`: the cloud's, the integrations'
/// and the sign-in's.
pub(crate) fn http(timeout: Duration) -> Result<reqwest::Client> {
    // rustls needs its crypto chosen once per process (ring); a second call changes nothing.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| Error::Internal(format!("the HTTP client could not start: {e}")))
}

/// A reply's `Retry-After`, in seconds.
pub(crate) fn retry_after(reply: &reqwest::Response) -> Option<Duration> {
    reply
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// What an error status from `who` (OnceHub, HubSpot, ...) means for the outbox: one rule
/// for every remote. 401 and 403 are the credentials'; the caller words what to do.
pub(crate) fn sort(
    status: u16,
    retry_after: Option<Duration>,
    message: String,
    param: Option<String>,
    who: &'static str,
) -> Failure {
    match status {
        401 | 403 => Failure::Key(format!(
            "{who} refused the credentials ({status}: {message})"
        )),
        404 => Failure::NotFound,
        409 => Failure::Exists { param },
        410 => Failure::Gone(format!("{who} says it is gone (410: {message})")),
        429 => Failure::Later {
            reason: format!("{who}'s rate limit (429)"),
            retry_after,
            everything: true,
        },
        s if s >= 500 || s == 408 => Failure::Later {
            reason: format!("{who} failed ({s}: {message})"),
            retry_after,
            everything: false,
        },
        s => Failure::Refused {
            who,
            status: s,
            message,
            param,
        },
    }
}

/// A request that never got an answer: the network, not `who`. Never the key (reqwest
/// names the URL, never the headers).
pub(crate) fn network(e: &reqwest::Error, who: &str) -> Failure {
    let (what, everything) = if e.is_timeout() {
        (format!("{who} did not answer in time"), false)
    } else if e.is_connect() {
        (format!("offline: {who} cannot be reached"), true)
    } else {
        ("the connection was cut".to_string(), false)
    };
    Failure::Later {
        reason: what,
        retry_after: None,
        everything,
    }
}
