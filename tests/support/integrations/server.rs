//! The fake's HTTP front: one axum handler that logs each request, injects the queued fault, checks the bearer token, then routes to the service it names.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::log::{Fault, Logged};
use super::net::{Accept, Conn};
use super::state::{Api, State as Data};
use super::{calendar, hubspot, lock, oauth, salesforce, Shared};

const MAX_BODY: usize = 1 << 20;

/// A reply before it becomes HTTP.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// `Null`: no body.
    pub(crate) body: Value,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body,
            headers: Vec::new(),
        }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply::json(status, Value::Null)
    }

    pub(crate) fn with(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    fn location(&self) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| *n == "location")
            .map(|(_, v)| v.clone())
    }
}

/// A request as the services see it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    /// Still percent-encoded.
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) body: &'a Value,
    pub(crate) content_type: Option<&'a str>,
}

impl Call<'_> {
    /// The path's segments after `prefix`, percent-decoded; `None` if it does not start so.
    pub(crate) fn segments(&self, prefix: &str) -> Option<Vec<String>> {
        let rest = self.path.strip_prefix(prefix)?;
        Some(
            rest.split('/')
                .map(|s| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                })
                .collect(),
        )
    }

    /// A query parameter, decoded.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Whether the body was sent as JSON.
    pub(crate) fn is_json(&self) -> bool {
        self.content_type.is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
    }

    /// Whether the body was sent as a form.
    pub(crate) fn is_form(&self) -> bool {
        self.content_type.is_some_and(|c| {
            c.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
    }

    /// The body if it is a JSON object sent as JSON.
    pub(crate) fn object(&self) -> Option<&Map<String, Value>> {
        if !self.is_json() {
            return None;
        }
        self.body.as_object()
    }
}

/// Serves until the task is aborted.
pub(crate) fn serve(shared: Arc<Shared>, listener: TcpListener) -> JoinHandle<()> {
    let listener = Accept {
        inner: listener,
        plugs: shared.plugs.clone(),
    };
    let app = Router::new().fallback(handle).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<Conn>()).await;
    })
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The body as the log shows it: JSON, a form as an object of strings, text, or `Null`.
fn parse_body(raw: &[u8], content_type: Option<&str>) -> Value {
    if raw.is_empty() {
        return Value::Null;
    }
    let form = content_type.is_some_and(|c| c.contains("x-www-form-urlencoded"));
    if form {
        let map: Map<String, Value> = form_urlencoded::parse(raw)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Value::Object(map);
    }
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

fn render(reply: &Reply) -> Response {
    let mut response = if reply.body.is_null() {
        Response::new(Body::empty())
    } else {
        let bytes = serde_json::to_vec(&reply.body).unwrap_or_default();
        let mut r = Response::new(Body::from(bytes));
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        r
    };
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in &reply.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, v);
        }
    }
    response
}

fn plain(status: u16, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    response
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let raw = to_bytes(body, MAX_BODY).await.unwrap_or_default();
    let content_type = header(&parts.headers, "content-type");
    let body = parse_body(&raw, content_type.as_deref());
    let entry = Logged {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body: body.clone(),
        raw_body: String::from_utf8_lossy(&raw).into_owned(),
        authorization: header(&parts.headers, "authorization"),
        content_type: content_type.clone(),
        status: 0,
        reply: Value::Null,
        location: None,
        fault: None,
        at: std::time::Instant::now(),
    };
    let authorization = entry.authorization.clone();
    let (index, fault) = lock(&shared.gate).arrive(entry);
    let finish = |status: u16, reply: Value, location: Option<String>| {
        lock(&shared.gate).finish(index, status, reply, location);
    };
    match fault {
        None => {}
        Some(Fault::Status(status)) => {
            finish(status, Value::Null, None);
            return plain(status, "injected fault");
        }
        Some(Fault::RetryAfter(status, seconds)) => {
            finish(status, Value::Null, None);
            let mut response = plain(status, "injected fault");
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert("retry-after", v);
            }
            return response;
        }
        Some(Fault::Timeout) => {
            let delay = lock(&shared.gate).timeout_delay;
            tokio::time::sleep(delay).await;
            finish(504, Value::Null, None);
            return plain(504, "injected timeout");
        }
        Some(Fault::Drop) => {
            conn.0.pull();
            return plain(502, "dropped");
        }
    }
    let call = Call {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        body: &body,
        content_type: content_type.as_deref(),
    };
    let reply = {
        let mut data = lock(&shared.data);
        route(&mut data, &shared.base_url, &call, authorization.as_deref())
    };
    finish(reply.status, reply.body.clone(), reply.location());
    render(&reply)
}

/// The API a path belongs to, and the path under its base.
fn api_of(path: &str) -> Option<Api> {
    if path.starts_with("/crm/v3/") {
        Some(Api::HubSpot)
    } else if path.starts_with("/services/data/") {
        Some(Api::Salesforce)
    } else if path.starts_with("/calendar/v3/") {
        Some(Api::Google)
    } else if path.starts_with("/v1.0/") {
        Some(Api::Graph)
    } else {
        None
    }
}

fn route(data: &mut Data, base_url: &str, call: &Call, authorization: Option<&str>) -> Reply {
    if call.path.starts_with("/oauth/") {
        return oauth::handle(data, base_url, call);
    }
    if call.path.starts_with("/hooks/catch/") {
        return oauth::hook(data, call);
    }
    let Some(api) = api_of(call.path) else {
        return Reply::json(
            404,
            json!({"error": "not_found", "message": format!("no route {} {}", call.method, call.path)}),
        );
    };
    let token = authorization.and_then(|h| h.strip_prefix("Bearer "));
    if !token.is_some_and(|t| data.admits(t, api)) {
        return unauthorized(api);
    }
    let sends_body = matches!(call.method, "POST" | "PATCH" | "PUT");
    if sends_body && !call.is_json() {
        return error(
            api,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "the body must be sent as application/json",
        );
    }
    match api {
        Api::HubSpot => hubspot::hubspot(data, call),
        Api::Salesforce => salesforce::salesforce(data, call),
        Api::Google => calendar::google(data, call),
        Api::Graph => calendar::graph(data, call),
    }
}

/// 401 in the API's documented shape.
fn unauthorized(api: Api) -> Reply {
    match api {
        Api::HubSpot => Reply::json(
            401,
            json!({"status": "error",
                "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                "correlationId": "00000000-0000-0000-0000-000000000401",
                "category": "INVALID_AUTHENTICATION"}),
        ),
        Api::Salesforce => Reply::json(
            401,
            json!([{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]),
        ),
        Api::Google => Reply::json(
            401,
            json!({"error": {"code": 401, "message": "Invalid Credentials",
                "errors": [{"domain": "global", "reason": "authError", "message": "Invalid Credentials",
                    "locationType": "header", "location": "Authorization"}],
                "status": "UNAUTHENTICATED"}}),
        )
        .with("www-authenticate", "Bearer realm=\"https://accounts.google.com/\"".into()),
        Api::Graph => Reply::json(
            401,
            json!({"error": {"code": "InvalidAuthenticationToken",
                "message": "Lifetime validation failed, the token is expired."}}),
        ),
    }
}

/// Any other error in the API's documented shape. `code` is HubSpot's category,
/// Salesforce's errorCode, Google's reason, Graph's code.
pub(crate) fn error(api: Api, status: u16, code: &str, message: &str) -> Reply {
    let body = match api {
        Api::HubSpot => json!({"status": "error", "message": message,
            "correlationId": "00000000-0000-0000-0000-000000000000", "category": code}),
        Api::Salesforce => json!([{"errorCode": code, "message": message}]),
        Api::Google => json!({"error": {"code": status, "message": message,
            "errors": [{"domain": "global", "reason": code, "message": message}]}}),
        Api::Graph => json!({"error": {"code": code, "message": message}}),
    };
    Reply::json(status, body)
}
