//! Routes an authenticated, admitted request to the fake's endpoints and shapes OnceHub's JSON replies and errors.

use serde_json::{json, Map, Value};

use super::contacts;
use super::directory;
use super::lists::{decode, Query};
use super::state::{Kind, Store};

/// The account email `GET /test` reports.
pub(crate) const ACCOUNT_EMAIL: &str = "admin@example.com";

/// A reply before it becomes HTTP: status, JSON body and extra headers.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn ok(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }
}

/// An error reply `{type, message, param?}`.
pub(crate) fn error(status: u16, kind: &str, message: &str, param: Option<&str>) -> Reply {
    let mut body = json!({"type": kind, "message": message});
    if let Some(p) = param {
        body["param"] = json!(p);
    }
    Reply::ok(status, body)
}

/// An `invalid_request_error` reply.
pub(crate) fn invalid(status: u16, message: &str, param: Option<&str>) -> Reply {
    error(status, "invalid_request_error", message, param)
}

/// 401 for a missing or wrong `API-Key`.
pub(crate) fn unauthorized() -> Reply {
    error(401, "authentication_error", "Invalid API key.", None)
}

/// 429 for a request over a limit (or an injected one).
pub(crate) fn rate_limited() -> Reply {
    error(429, "rate_limit_error", "Request rate limit exceeded", None)
}

/// 500 for an injected server error.
pub(crate) fn server_error() -> Reply {
    error(
        500,
        "api_error",
        "An unexpected error occurred on OnceHub's servers.",
        None,
    )
}

/// A request body that must be one JSON object.
pub(crate) fn parse_object(raw: &[u8]) -> Result<Map<String, Value>, Reply> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            400,
            "A JSON request body is required.",
            Some("body"),
        ));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(
            400,
            "The request body must be a JSON object.",
            Some("body"),
        )),
        Err(_) => Err(invalid(
            400,
            "Invalid JSON in the request body.",
            Some("body"),
        )),
    }
}

/// The `expand` values of a request (comma-separated, `expand` or `expand[]`), each of which
/// must be in `allowed`.
pub(crate) fn reject_expand(q: &Query, allowed: &[&str]) -> Result<Vec<String>, Reply> {
    let mut wanted = Vec::new();
    for raw in q.all("expand").into_iter().chain(q.all("expand[]")) {
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !allowed.contains(&item) {
                return Err(invalid(
                    400,
                    &format!("This property cannot be expanded: {item}"),
                    Some("expand"),
                ));
            }
            wanted.push(item.to_string());
        }
    }
    Ok(wanted)
}

/// Answers one request. `base_url` is `http://127.0.0.1:PORT/v2`; `path` starts with `/`.
pub(crate) fn dispatch(
    store: &mut Store,
    base_url: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Reply {
    let unknown = || {
        invalid(
            404,
            &format!("Unrecognized request URL ({method}: {path})."),
            None,
        )
    };
    let Some(rest) = path.strip_prefix("/v2/") else {
        return unknown();
    };
    let segments: Vec<String> = rest.split('/').map(decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return unknown();
    }
    let q = Query::parse(query);
    let url = |collection: &str| format!("{base_url}/{collection}");
    match (method, segments.as_slice()) {
        ("GET", ["test"]) => Reply::ok(
            200,
            json!({"message": format!("The API key is valid for account: {ACCOUNT_EMAIL}")}),
        ),
        ("GET", ["contacts"]) => contacts::list(store, &q, &url("contacts")),
        ("POST", ["contacts"]) => contacts::create(store, body),
        ("GET", ["contacts", id]) => contacts::get(store, id),
        ("PATCH", ["contacts", id]) => contacts::update(store, id, body),
        ("DELETE", ["contacts", id]) => contacts::delete(store, id),
        ("GET", ["users"]) => directory::list_users(store, &q, &url("users")),
        ("GET", ["users", id]) => directory::get(store, Kind::User, id, &q),
        ("GET", ["teams"]) => directory::list_teams(store, &q, &url("teams")),
        ("GET", ["teams", id]) => directory::get(store, Kind::Team, id, &q),
        ("GET", ["bookings"]) => directory::list_bookings(store, &q, &url("bookings")),
        ("GET", ["bookings", id]) => directory::get(store, Kind::Booking, id, &q),
        _ => unknown(),
    }
}
