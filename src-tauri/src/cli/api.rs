//! The command line's local API commands (CLI.md, "The cloud, the outbox and the local API"):
//! `serve` runs core's API until SIGTERM or Ctrl-C; `api token` prints the acting user's
//! bearer token, kept in the OS keyring.

use std::sync::Arc;

use cardfile_core::{api, Session};
use serde::Serialize;

use super::{print_json, Failure};
use crate::keyring_store::Keyring;

pub(super) async fn serve(session: &Session, port: u16) -> Result<(), Failure> {
    let server = api::bind(session.store().clone(), Arc::new(Keyring), port).await?;
    // The URL alone on stdout, for scripts; the rest is for the person who started it.
    println!("{}", server.url());
    eprintln!(
        "cardfile: the local API answers at {} until stopped (Ctrl-C)",
        server.url()
    );
    server.run(stopped()).await?;
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C (SIGINT).
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[derive(Serialize)]
struct Token {
    token: String,
}

pub(super) async fn token(session: &Session, rotate: bool) -> Result<(), Failure> {
    let user = session.user().await?;
    let token = api::token(&Keyring, &user, rotate)?;
    print_json(&Token { token })
}
