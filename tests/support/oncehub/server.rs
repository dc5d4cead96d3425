//! The fake's HTTP front: one axum handler that logs each request, enforces the rate limits and the API key, injects faults, then calls the API.

use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::api::{self, Reply};
use super::gate::{Admission, Fault};
use super::net::{Conn, FakeListener};
use super::{lock, Shared};

/// Larger request bodies are refused.
const MAX_BODY: usize = 1 << 20;

/// Serves the fake on an already bound listener until the returned task is aborted.
pub(crate) fn serve(shared: Arc<Shared>, listener: TcpListener) -> JoinHandle<()> {
    let listener = FakeListener {
        inner: listener,
        conns: shared.conns.clone(),
    };
    let app = Router::new().fallback(handle).with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<Conn>()).await;
    })
}

/// Turns a [`Reply`] into a JSON response carrying `Request-Id`; also returns the body length.
fn respond(request_id: &str, reply: Reply) -> (Response, usize) {
    let bytes = serde_json::to_vec(&reply.body).unwrap_or_else(|_| b"{}".to_vec());
    let len = bytes.len();
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", v);
    }
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    (response, len)
}

/// What the API needs of a request, owned so it can move into a delayed task.
struct Call {
    method: String,
    path: String,
    query: String,
    body: Bytes,
}

/// Applies a request to the store and records the status in the log.
fn apply(shared: &Shared, index: usize, call: &Call) -> Reply {
    let reply = {
        let mut store = lock(&shared.store);
        api::dispatch(
            &mut store,
            &shared.base_url,
            &call.method,
            &call.path,
            &call.query,
            &call.body,
        )
    };
    lock(&shared.gate).finish(index, reply.status);
    reply
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let body = to_bytes(body, MAX_BODY).await;
    let call = Call {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        body: body.as_ref().cloned().unwrap_or_default(),
    };
    let shown = parts
        .uri
        .path_and_query()
        .map_or_else(|| call.path.clone(), |p| p.as_str().to_string());
    let (index, request_id, admission) = lock(&shared.gate).arrive(
        &call.method,
        &shown,
        String::from_utf8_lossy(&call.body).into_owned(),
    );
    let finish = |reply: Reply| {
        lock(&shared.gate).finish(index, reply.status);
        respond(&request_id, reply).0
    };
    if let Admission::RateLimited = admission {
        return respond(&request_id, api::rate_limited()).0;
    }
    let key = parts.headers.get("api-key").and_then(|v| v.to_str().ok());
    if key != Some(shared.key.as_str()) {
        return finish(api::unauthorized());
    }
    if body.is_err() {
        return finish(api::invalid(
            400,
            "The request body could not be read or is too large.",
            Some("body"),
        ));
    }
    let (fault, delay) = {
        let mut gate = lock(&shared.gate);
        (gate.draw_fault(index), gate.timeout_delay)
    };
    match fault {
        None => respond(&request_id, apply(&shared, index, &call)).0,
        Some(Fault::ServerError) => finish(api::server_error()),
        Some(Fault::TooMany) => finish(api::rate_limited()),
        Some(Fault::TooManyWithRetryAfter) => {
            let mut reply = api::rate_limited();
            reply.headers.push(("retry-after", "1".to_string()));
            finish(reply)
        }
        Some(Fault::CutBefore) => {
            // Nothing is applied and nothing is written: every write on the connection fails.
            conn.0.kill();
            respond(&request_id, api::server_error()).0
        }
        Some(Fault::Timeout) => {
            // The slow work runs in its own task, so it completes even if the client gives up.
            let held = shared.clone();
            let task = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                apply(&held, index, &call)
            });
            match task.await {
                Ok(reply) => respond(&request_id, reply).0,
                Err(_) => respond(&request_id, api::server_error()).0,
            }
        }
        Some(Fault::CutAfter) => {
            let (response, len) = respond(&request_id, apply(&shared, index, &call));
            conn.0.arm_cut(len / 2);
            response
        }
    }
}
