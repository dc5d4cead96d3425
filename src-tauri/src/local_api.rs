//! The window's side of the local REST API (Settings → Local API): core's server, started and
//! stopped by a switch, on the app's tokio runtime and 127.0.0.1 only; and the acting user's
//! bearer token, shown there, from the OS keyring. Off at each start of the window: nothing
//! listens until the user switches it on. The port is remembered in the database's settings.

use std::sync::Arc;
use std::time::Duration;

use cardfile_core::{api, settings, Error, ErrorBody, Session};
use serde::Serialize;
use tauri::State;

use crate::keyring_store::Keyring;

type Reply<T> = Result<T, ErrorBody>;

/// How long Stop waits for the requests under way before it cuts them off.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What Settings shows of the local API.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct LocalApiStatus {
    pub running: bool,
    /// What clients call, e.g. `http://127.0.0.1:7788`, while it runs.
    pub url: Option<String>,
    /// The port it listens on, or would listen on when switched on.
    pub port: u32,
}

/// A server answering on the app's runtime, and how to stop it.
struct Running {
    url: String,
    port: u16,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tauri::async_runtime::JoinHandle<()>,
}

/// The running server, if the switch is on. An async mutex: a start or stop waits for the
/// one under way, so two quick clicks cannot start two servers.
#[derive(Default)]
pub struct LocalApi(tokio::sync::Mutex<Option<Running>>);

/// The port in the settings, else core's default.
async fn remembered_port(session: &Session) -> Result<u16, Error> {
    let mut conn = session.store().pool().acquire().await?;
    Ok(settings::get(&mut conn, settings::API_PORT)
        .await?
        .and_then(|p| p.parse().ok())
        .unwrap_or(api::DEFAULT_PORT))
}

async fn remember_port(session: &Session, port: u16) -> Result<(), Error> {
    let mut tx = session.store().write().await?;
    settings::put(&mut tx, settings::API_PORT, &port.to_string()).await?;
    Ok(tx.commit().await?)
}

fn running_status(r: &Running) -> LocalApiStatus {
    LocalApiStatus {
        running: true,
        url: Some(r.url.clone()),
        port: r.port.into(),
    }
}

async fn stopped_status(session: &Session) -> Reply<LocalApiStatus> {
    Ok(LocalApiStatus {
        running: false,
        url: None,
        port: remembered_port(session).await?.into(),
    })
}

/// Whether the local API runs, its URL, and its port (the one it would use when off).
#[tauri::command]
#[specta::specta]
pub async fn local_api_status(
    session: State<'_, Session>,
    local: State<'_, LocalApi>,
) -> Reply<LocalApiStatus> {
    match local.0.lock().await.as_ref() {
        Some(r) => Ok(running_status(r)),
        None => stopped_status(&session).await,
    }
}

/// Switches the local API on at 127.0.0.1:`port` (None: the remembered port, else 7788),
/// remembering the port once it listens. Refused, with nothing running, when the port is
/// taken or the keyring cannot be reached. Already on: its status, unchanged.
#[tauri::command]
#[specta::specta]
pub async fn local_api_start(
    session: State<'_, Session>,
    local: State<'_, LocalApi>,
    port: Option<u32>,
) -> Reply<LocalApiStatus> {
    let mut slot = local.0.lock().await;
    if let Some(r) = slot.as_ref() {
        return Ok(running_status(r));
    }
    let port = match port {
        Some(p) => u16::try_from(p)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| Error::invalid("port", "the port is a whole number from 1 to 65535"))?,
        None => remembered_port(&session).await?,
    };
    let server = api::bind(session.store().clone(), Arc::new(Keyring), port).await?;
    remember_port(&session, port).await?;
    let url = server.url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tauri::async_runtime::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(e) = server.run(shutdown).await {
            eprintln!("cardfile: the local API stopped: {e}");
        }
    });
    let running = Running {
        url,
        port,
        stop,
        task,
    };
    let status = running_status(&running);
    *slot = Some(running);
    Ok(status)
}

/// Switches the local API off: it stops listening at once, and the requests under way get a
/// few seconds to finish.
#[tauri::command]
#[specta::specta]
pub async fn local_api_stop(
    session: State<'_, Session>,
    local: State<'_, LocalApi>,
) -> Reply<LocalApiStatus> {
    let mut slot = local.0.lock().await;
    if let Some(r) = slot.take() {
        let _ = r.stop.send(());
        let mut task = r.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
    }
    drop(slot);
    stopped_status(&session).await
}

/// The acting user's bearer token for the local API, from the OS keyring (made there on
/// first use); `rotate` replaces it, and programs using the old one are refused.
#[tauri::command]
#[specta::specta]
pub async fn api_token(session: State<'_, Session>, rotate: bool) -> Reply<String> {
    let user = session.user().await?;
    // The keyring is a blocking call (D-Bus on Linux): off the runtime's workers.
    let token = tauri::async_runtime::spawn_blocking(move || api::token(&Keyring, &user, rotate))
        .await
        .map_err(|e| Error::Internal(format!("the keyring call failed: {e}")))??;
    Ok(token)
}
