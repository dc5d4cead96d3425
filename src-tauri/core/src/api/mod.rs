//! The local REST API (CLI.md, "The local REST API"): other programs on this computer add,
//! read, update and delete contacts over HTTP on 127.0.0.1 only, as the user their bearer
//! token names. `cardfile serve` runs it; the window can run it on its own runtime too.
//!
//! Each handler is one call of the Session method the window and the command line make, so
//! roles, merges and validation are theirs; errors are core's ErrorBody with the HTTP status
//! of its code. Writes go through the same Store, waiting for the database like any writer.

mod auth;
mod body;
mod contacts;
mod openapi;
mod reply;

pub use auth::{token, token_name};
pub use body::MAX_BODY;
pub use contacts::DEFAULT_LIMIT;
pub use openapi::json as openapi_json;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use crate::error::{Error, ErrorCode, Result};
use crate::secrets::SecretStore;
use crate::store::Store;
use auth::Tokens;
use reply::ApiError;

/// The port `cardfile serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7788;

/// How many requests are worked on at once; more wait their turn. The store's pool has four
/// connections: in the window's process, one is always left for the window.
const IN_FLIGHT: usize = 3;

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct Api {
    store: Store,
    tokens: Arc<Tokens>,
    /// The port listened on: a request's Host must name it.
    port: u16,
    in_flight: Arc<Semaphore>,
    document: Arc<str>,
}

/// A server bound to its port on 127.0.0.1, not yet answering.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
    addr: SocketAddr,
}

/// Listens on 127.0.0.1:`port` (0: a free port) for the API on `store`, with the users'
/// tokens in `secrets`. Refused when the port is taken or the keyring cannot be reached
/// (every request would be refused then).
pub async fn bind(store: Store, secrets: Arc<dyn SecretStore>, port: u16) -> Result<Server> {
    let probe = secrets.clone();
    tokio::task::spawn_blocking(move || probe.get(&token_name("")))
        .await
        .map_err(|e| Error::Internal(format!("the keyring check failed: {e}")))??;
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| Error::Internal(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let addr = listener.local_addr()?;
    let api = Api {
        store,
        tokens: Arc::new(Tokens::new(secrets)),
        port: addr.port(),
        in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        document: openapi::json().into(),
    };
    Ok(Server {
        listener,
        router: router(api),
        addr,
    })
}

fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/contacts", get(contacts::list).post(contacts::create))
        .route(
            "/v1/contacts/{id}",
            get(contacts::show)
                .patch(contacts::update)
                .delete(contacts::delete),
        )
        .route("/v1/contacts/{id}/history", get(contacts::history))
        .route("/v1/activities", post(contacts::record_activity))
        .route("/openapi.json", get(openapi::document))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            api.clone(),
            auth::guard,
        ))
        .with_state(api)
}

async fn not_found() -> impl IntoResponse {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such endpoint: see /openapi.json",
        None,
    )
}

impl Server {
    /// The address listened on: always 127.0.0.1.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// What clients call: `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers requests until `shutdown` completes, then lets those under way finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
