//! The window's side of the CRM and calendar integrations (Settings → Integrations and the
//! contact pane's results): each command is one call of core's integrations, plus what only
//! the window can do for an OAuth sign-in: tell the page the sign-in link, open it in the
//! system browser, and wait for the browser to come back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardfile_core::integrations::{
    self, ContactResult, IntegrationOptions, IntegrationStatus, OAuthApp, OAuthAppView,
};
use cardfile_core::{Error, ErrorBody, Session};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::cloud::Syncing;
use crate::keyring_store::Keyring;

type Reply<T> = Result<T, ErrorBody>;

/// The event that gives the page a sign-in's link before the app waits for the browser, so
/// the page can offer it should the browser not open.
const SIGN_IN: &str = "integration-sign-in";
/// How long a sign-in waits for the browser to come back to the app.
const SIGN_IN_WAIT: Duration = Duration::from_secs(5 * 60);
/// How often (50 ms apart) a sign-in tries for a callback port the one it replaced held.
const PORT_RETRIES: u32 = 20;

/// A sign-in under way: which integration, and the link the browser was sent to.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SignInStarted {
    pub name: String,
    pub url: String,
}

/// The sign-ins under way, one per integration: a second Sign in for the same integration
/// stops the first (its loopback listener goes), so a lost browser tab is never a dead end.
#[derive(Default)]
pub struct SignIns {
    next: AtomicU64,
    running: Mutex<HashMap<String, Running>>,
}

/// A sign-in's number, and what stops it when dropped.
type Running = (u64, tokio::sync::oneshot::Sender<()>);

impl SignIns {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a sign-in to `name`, replacing (and so stopping) one already under way;
    /// says whether there was one.
    fn start(&self, name: &str) -> (u64, tokio::sync::oneshot::Receiver<()>, bool) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let replaced = self
            .running()
            .insert(name.to_string(), (id, stop))
            .is_some();
        (id, stopped, replaced)
    }

    fn end(&self, name: &str, id: u64) {
        let mut running = self.running();
        if running.get(name).is_some_and(|(current, _)| *current == id) {
            running.remove(name);
        }
    }
}

/// Opens `url` in the system browser, without waiting for it; a failure is not reported (the
/// page shows the link to open by hand). Only web links: never a file or another scheme.
fn open_in_browser(url: &str) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return;
    }
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let spawned = command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Ok(mut child) = spawned {
        // Reaped off the runtime: xdg-open may linger while the browser starts.
        std::thread::spawn(move || child.wait());
    }
}

fn given(url: Option<String>) -> Option<String> {
    url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty())
}

#[tauri::command]
#[specta::specta]
pub async fn integrations_list(session: State<'_, Session>) -> Reply<Vec<IntegrationStatus>> {
    Ok(integrations::list(session.store(), &Keyring).await?)
}

/// Connects with what was pasted into Settings: a HubSpot private-app token, or Zapier's
/// Catch Hook URL (then `token` is the URL and `url` is None). Admin only.
#[tauri::command]
#[specta::specta]
pub async fn integration_connect(
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
    name: String,
    url: Option<String>,
    token: String,
) -> Reply<IntegrationStatus> {
    let user = session.user().await?;
    let url = given(url);
    let status = integrations::connect(
        session.store(),
        &Keyring,
        &user,
        &name,
        url.as_deref(),
        &token,
    )
    .await?;
    // What waited for the integration goes now.
    syncing.nudge();
    Ok(status)
}

#[tauri::command]
#[specta::specta]
pub async fn integration_disconnect(
    session: State<'_, Session>,
    name: String,
) -> Reply<IntegrationStatus> {
    let user = session.user().await?;
    Ok(integrations::disconnect(session.store(), &Keyring, &user, &name).await?)
}

/// "Keep CRM fields in sync" and Google's guest notifications; None leaves one as it is.
#[tauri::command]
#[specta::specta]
pub async fn integration_set_options(
    session: State<'_, Session>,
    name: String,
    options: IntegrationOptions,
) -> Reply<IntegrationStatus> {
    let user = session.user().await?;
    Ok(integrations::set_options(session.store(), &Keyring, &user, &name, &options).await?)
}

/// The OAuth apps the Admin registered (never a client secret: `has_secret` says whether the
/// keyring holds one).
#[tauri::command]
#[specta::specta]
pub async fn oauth_apps(session: State<'_, Session>) -> Reply<Vec<OAuthAppView>> {
    Ok(integrations::oauth_apps(session.store(), &Keyring).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_oauth_app(
    session: State<'_, Session>,
    name: String,
    app: OAuthApp,
) -> Reply<OAuthAppView> {
    let user = session.user().await?;
    Ok(integrations::set_oauth_app(session.store(), &Keyring, &user, &name, &app).await?)
}

/// OAuth sign-in: the link goes to the page (`integration-sign-in`) and to the system
/// browser, then the app waits up to 5 minutes for the browser to come back to its loopback
/// address. A second Sign in for the same integration ends this one with `canceled`.
#[tauri::command]
#[specta::specta]
pub async fn integration_sign_in(
    app: AppHandle,
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
    sign_ins: State<'_, SignIns>,
    name: String,
    url: Option<String>,
) -> Reply<IntegrationStatus> {
    let user = session.user().await?;
    let url = given(url);
    // The sign-in under way stops first: with a fixed callback port it holds the port.
    let (id, stopped, replaced) = sign_ins.start(&name);
    let outcome = async {
        let mut tries = 0;
        let sign_in = loop {
            match integrations::begin_sign_in(
                session.store(),
                &Keyring,
                &user,
                &name,
                url.as_deref(),
            )
            .await
            {
                // The stopped one lets go of the port in a moment.
                Err(Error::Conflict(_)) if replaced && tries < PORT_RETRIES => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => break other?,
            }
        };
        let link = sign_in.url().to_string();
        let _ = app.emit(
            SIGN_IN,
            SignInStarted {
                name: name.clone(),
                url: link.clone(),
            },
        );
        open_in_browser(&link);
        tokio::select! {
            done = sign_in.finish(session.store(), &Keyring, SIGN_IN_WAIT) => done,
            _ = stopped => Err(Error::Canceled("another sign-in was started".into())),
        }
    }
    .await;
    sign_ins.end(&name, id);
    let status = outcome?;
    syncing.nudge();
    Ok(status)
}

/// The contact pane's integrations: each one's last result for this contact.
#[tauri::command]
#[specta::specta]
pub async fn contact_integrations(
    session: State<'_, Session>,
    contact_id: String,
) -> Reply<Vec<ContactResult>> {
    Ok(integrations::results(session.store(), &contact_id).await?)
}

/// Opens this contact's record at integration `name` in the system browser: only a link core
/// found for it (the page never has Rust open a link of its own choosing).
#[tauri::command]
#[specta::specta]
pub async fn open_integration_record(
    session: State<'_, Session>,
    name: String,
    contact_id: String,
) -> Reply<()> {
    let url = integrations::record_url(session.store(), &name, &contact_id).await?;
    open_in_browser(&url);
    Ok(())
}

/// Sends this contact's latest change to integration `name` again, at once.
#[tauri::command]
#[specta::specta]
pub async fn retry_integration(
    session: State<'_, Session>,
    syncing: State<'_, Arc<Syncing>>,
    name: String,
    contact_id: String,
) -> Reply<()> {
    integrations::retry(session.store(), &name, &contact_id).await?;
    syncing.nudge();
    Ok(())
}
