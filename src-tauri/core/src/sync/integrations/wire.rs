//! One connected integration on the wire: its base URL, its bearer token (renewed before it
//! expires, and once more when the service refuses it), its share of the rate limiter, and
//! every reply sorted by the same rule as the cloud's (`client::sort`).

use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::oauth::refresh;
use super::{Spec, Tokens};
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use crate::store::Store;
use crate::sync::client::{http, network, retry_after, sort, Failure};
use crate::sync::limiter::Limiter;

pub(super) struct Remote<'a> {
    pub store: &'a Store,
    secrets: &'a dyn SecretStore,
    pub spec: &'static Spec,
    /// The API's base URL (for Zapier, the hook URL).
    pub base: String,
    http: reqwest::Client,
    limiter: Limiter,
    tokens: Mutex<Tokens>,
}

/// A token this close to its expiry is renewed before it is used.
const EARLY: i64 = 60;

fn expiring(tokens: &Tokens) -> bool {
    tokens
        .expires_at
        .as_deref()
        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
        .is_some_and(|at| {
            at.with_timezone(&chrono::Utc) - chrono::Duration::seconds(EARLY) <= chrono::Utc::now()
        })
}

impl<'a> Remote<'a> {
    /// The integration ready to call: its tokens from the keyring (an error when they are
    /// missing: the user must connect again).
    pub(super) async fn open(
        store: &'a Store,
        secrets: &'a dyn SecretStore,
        spec: &'static Spec,
        url: Option<String>,
        timeout: Duration,
    ) -> Result<Remote<'a>> {
        let tokens = Tokens::read(secrets, spec.name)?.ok_or_else(|| {
            Error::Forbidden(format!(
                "the {} token is not in the keyring: connect again",
                spec.label
            ))
        })?;
        let base = match url {
            Some(u) => u,
            // Zapier: the hook URL is the secret.
            None => tokens.access_token.clone(),
        };
        let http = http(timeout)?;
        Ok(Remote {
            store,
            secrets,
            spec,
            base,
            http,
            limiter: Limiter::integration(spec.name, spec.per_second),
            tokens: Mutex::new(tokens),
        })
    }

    fn tokens(&self) -> Tokens {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Renews the access token; a refusal is `Failure::Key` (sign in again).
    async fn renew(&self) -> Result<std::result::Result<(), Failure>> {
        let old = self.tokens();
        match refresh(self.store, self.secrets, self.spec, &old).await? {
            Ok(renewed) => {
                *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = renewed;
                Ok(Ok(()))
            }
            Err(f) => Ok(Err(f)),
        }
    }

    /// One request to `url` (a full URL), authorised with the bearer token (not for Zapier),
    /// renewing it first when it is about to expire, and once when refused. `Ok` carries the
    /// JSON reply of a 2xx (Null for 204).
    pub(super) async fn call(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<std::result::Result<Value, Failure>> {
        let bearer = self.spec.name != "zapier";
        if bearer && expiring(&self.tokens()) {
            if let Err(f) = self.renew().await? {
                return Ok(Err(f));
            }
        }
        let mut renewed = false;
        loop {
            match self.once(method.clone(), url, query, body, bearer).await? {
                Err(Failure::Key(_))
                    if bearer && !renewed && self.tokens().refresh_token.is_some() =>
                {
                    renewed = true;
                    if let Err(f) = self.renew().await? {
                        return Ok(Err(f));
                    }
                }
                Err(Failure::Key(m)) => {
                    return Ok(Err(Failure::Key(format!(
                        "{m}: connect {} again",
                        self.spec.label
                    ))))
                }
                other => return Ok(other),
            }
        }
    }

    async fn once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        bearer: bool,
    ) -> Result<std::result::Result<Value, Failure>> {
        self.limiter.acquire(self.store).await?;
        let mut request = self
            .http
            .request(method, url)
            .header("Accept", "application/json");
        if bearer {
            request = request.bearer_auth(self.tokens().access_token);
        }
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let who = self.spec.label;
        let reply = match request.send().await {
            Ok(r) => r,
            Err(e) => return Ok(Err(network(&e, who))),
        };
        let status = reply.status().as_u16();
        let wait = retry_after(&reply);
        let text = match reply.text().await {
            Ok(t) => t,
            Err(e) => return Ok(Err(network(&e, who))),
        };
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Ok(json));
        }
        Ok(Err(sort(status, wait, message(&json, &text), None, who)))
    }
}

/// The message in an error reply, whichever service's shape it has: HubSpot's `message`,
/// Salesforce's `[{"message"}]`, Google's and Graph's `{"error":{"message"}}`.
fn message(json: &Value, text: &str) -> String {
    let found = json
        .get("message")
        .or_else(|| json.get(0).and_then(|e| e.get("message")))
        .or_else(|| json.get("error").and_then(|e| e.get("message")))
        .and_then(Value::as_str);
    match found {
        Some(m) => m.to_string(),
        None => text.chars().take(200).collect(),
    }
}
