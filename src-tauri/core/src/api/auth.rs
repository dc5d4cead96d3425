//! Who calls the local API: each user's bearer token, made from the operating system's random
//! source and kept in the OS keyring only, checked in constant time on every request; and the
//! refusal of browsers (an Origin header, a Host that is not this loopback address).
//!
//! A token is `cf_<user id>_<64 hex digits>`: the id says whose keyring entry to read, so a
//! request costs one comparison however many users there are. Entries read are kept for a
//! second; a token the cache does not know is looked up again at once, so a server accepts
//! tokens created after it started, and a rotated token stops working within a second.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::reply::ApiError;
use super::Api;
use crate::error::{Error, ErrorCode, Result};
use crate::secrets::SecretStore;
use crate::session::Session;
use crate::store::Store;
use crate::users::User;

/// How long a token read from the keyring is trusted without reading it again.
const FRESH: Duration = Duration::from_secs(1);

/// The keyring entry holding `email`'s token.
pub fn token_name(email: &str) -> String {
    format!("api-token:{email}")
}

/// The acting user's token for the local API: the one in the keyring, else a new one (kept
/// there); `rotate` replaces it, and the old one stops working.
pub fn token(secrets: &dyn SecretStore, user: &User, rotate: bool) -> Result<String> {
    let name = token_name(&user.email);
    if !rotate {
        // A token made for this email in another database names another user id: not this one's.
        if let Some(kept) = secrets.get(&name)? {
            if user_id(&kept) == Some(user.id) {
                return Ok(kept);
            }
        }
    }
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|e| Error::Internal(format!("no random numbers for a token: {e}")))?;
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let token = format!("cf_{}_{hex}", user.id);
    secrets.set(&name, &token)?;
    Ok(token)
}

/// The user id a token names (not a secret: the digits after it are).
fn user_id(token: &str) -> Option<i64> {
    let rest = token.strip_prefix("cf_")?;
    let (id, secret) = rest.split_once('_')?;
    (secret.len() == 64).then_some(())?;
    id.parse().ok().filter(|n| *n > 0)
}

/// Whether `a` and `b` are equal, in a time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

/// A user's token as last read from the keyring.
struct Known {
    email: String,
    token: Option<String>,
    read_at: Instant,
}

/// The tokens the server has read, by user id.
pub(crate) struct Tokens {
    secrets: Arc<dyn SecretStore>,
    known: Mutex<HashMap<i64, Known>>,
    /// One keyring read at a time: a flood of wrong tokens waits its turn instead of
    /// flooding the keyring.
    reading: tokio::sync::Mutex<()>,
}

impl Tokens {
    pub(crate) fn new(secrets: Arc<dyn SecretStore>) -> Tokens {
        Tokens {
            secrets,
            known: Mutex::new(HashMap::new()),
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// The email of the user whose token `given` is, if it is one read since `since`.
    fn lookup(&self, id: i64, given: &str, since: Instant) -> Option<Option<String>> {
        let known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        let k = known.get(&id).filter(|k| k.read_at >= since)?;
        let valid = k
            .token
            .as_deref()
            .is_some_and(|t| same(t.as_bytes(), given.as_bytes()));
        Some(valid.then(|| k.email.clone()))
    }

    /// The email of the user whose token `given` is, or Unauthorized.
    pub(crate) async fn check(&self, store: &Store, given: &str) -> Result<String> {
        let wrong = || Error::Unauthorized(WRONG.into());
        let arrived = Instant::now();
        let id = user_id(given).ok_or_else(wrong)?;
        let fresh = arrived.checked_sub(FRESH).unwrap_or(arrived);
        if let Some(Some(email)) = self.lookup(id, given, fresh) {
            return Ok(email);
        }
        let _reading = self.reading.lock().await;
        // Read while this request waited: that answer stands.
        if let Some(found) = self.lookup(id, given, arrived) {
            return found.ok_or_else(wrong);
        }
        let email: Option<String> =
            sqlx::query_scalar("SELECT email FROM users WHERE id = ? AND removed_at IS NULL")
                .bind(id)
                .fetch_optional(store.pool())
                .await?;
        let Some(email) = email else {
            return Err(wrong());
        };
        let secrets = self.secrets.clone();
        let name = token_name(&email);
        let token = tokio::task::spawn_blocking(move || secrets.get(&name))
            .await
            .map_err(|e| Error::Internal(format!("the keyring read failed: {e}")))??;
        let valid = token
            .as_deref()
            .is_some_and(|t| same(t.as_bytes(), given.as_bytes()));
        self.known.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id,
            Known {
                email: email.clone(),
                token,
                read_at: Instant::now(),
            },
        );
        valid.then_some(email).ok_or_else(wrong)
    }
}

const MISSING: &str =
    "send the header Authorization: Bearer TOKEN (your token: `cardfile api token`)";
const WRONG: &str = "this bearer token is not a user's (yours: `cardfile api token`)";

/// Who a request acts as (their email), found by `guard`.
#[derive(Clone)]
struct Caller(String);

/// The session a handler acts in: as the user the request's token names, its changes the
/// API's in the change feed.
pub(crate) struct Acting(pub Session);

impl FromRequestParts<Api> for Acting {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Api) -> Result<Self, ApiError> {
        let Caller(email) = parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| Error::Unauthorized(MISSING.into()))?;
        Ok(Acting(Session::api(api.store.clone(), email)))
    }
}

/// Refuses browsers and requests without a user's token; passes the rest on, as the user
/// their token names, at most `IN_FLIGHT` at a time.
pub(crate) async fn guard(State(api): State<Api>, mut req: Request, next: Next) -> Response {
    if let Err(refused) = admit(&api, &req) {
        return refused.into_response();
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .map(str::to_string);
    let Some(given) = given else {
        return ApiError::from(Error::Unauthorized(MISSING.into())).into_response();
    };
    match api.tokens.check(&api.store, &given).await {
        Ok(email) => {
            req.extensions_mut().insert(Caller(email));
            let Ok(_turn) = api.in_flight.acquire().await else {
                return ApiError::from(Error::Internal("the server is stopping".into()))
                    .into_response();
            };
            next.run(req).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A browser's request is refused: it carries an Origin header (every cross-site write
/// does), or names a host other than this loopback address and port (DNS rebinding).
fn admit(api: &Api, req: &Request) -> Result<(), ApiError> {
    let forbidden = |why: &str| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!(
                "refused: {why}; the local API is for programs on this computer, not web pages"
            ),
            None,
        )
    };
    if req.headers().contains_key(header::ORIGIN) {
        return Err(forbidden("the request has an Origin header"));
    }
    let host = req
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    let port = api.port;
    let loopback = [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !loopback.contains(&host) {
        return Err(forbidden(&format!(
            "Host must be 127.0.0.1:{port} or localhost:{port}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(!same(b"", b"a"));
        assert!(same(b"", b""));
    }

    #[test]
    fn a_token_names_its_user() {
        let secret = "0".repeat(64);
        assert_eq!(user_id(&format!("cf_7_{secret}")), Some(7));
        assert_eq!(user_id(&format!("cf_0_{secret}")), None);
        assert_eq!(user_id("cf_7_short"), None);
        assert_eq!(user_id(&format!("xx_7_{secret}")), None);
    }
}
