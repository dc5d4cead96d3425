//! The command line's cloud commands (CLI.md, "The cloud, the outbox and the local API"):
//! `cloud connect|status|disconnect`, `sync`, `outbox list|retry|cancel|share` and
//! `integrations connect|list|disconnect`, each one call of core's sync, outbox and
//! integrations, with keys and tokens read from standard input only.

use std::io::Read;
use std::sync::atomic::AtomicBool;

use cardfile_core::sync::{self, SyncProgress};
use cardfile_core::{integrations, outbox, Session};

use super::print::outbox_line;
use super::{print_json, CloudCommand, Failure, IntegrationsCommand, OutboxCommand};
use crate::keyring_store::Keyring;

fn progress_to_stderr(p: SyncProgress) {
    eprintln!("{}: {}", p.stage, p.done);
}

pub(super) async fn cloud(session: &Session, command: CloudCommand) -> Result<(), Failure> {
    let store = session.store();
    let status = match command {
        CloudCommand::Connect { url } => {
            let key = from_stdin("the API key", "cardfile cloud connect")?;
            let user = session.user().await?;
            let never = AtomicBool::new(false);
            sync::connect(
                store,
                &Keyring,
                &user,
                url.as_deref(),
                &key,
                &never,
                &progress_to_stderr,
            )
            .await?
        }
        CloudCommand::Status { json } => {
            let status = sync::status(store, &Keyring).await?;
            if !json {
                println!(
                    "configured: {}\nurl: {}\naccount: {}\nlast pull: {}\npending: {}\nfailed: {}",
                    status.configured,
                    status.url.as_deref().unwrap_or("-"),
                    status.account.as_deref().unwrap_or("-"),
                    status.last_pull.as_deref().unwrap_or("-"),
                    status.pending,
                    status.failed
                );
                return Ok(());
            }
            status
        }
        CloudCommand::Disconnect => {
            let user = session.user().await?;
            sync::disconnect(store, &Keyring, &user).await?
        }
    };
    print_json(&status)
}

/// A key or token read from standard input (never an argument: it would show in `ps`).
fn from_stdin(what: &str, command: &str) -> Result<String, Failure> {
    let mut value = String::new();
    std::io::stdin()
        .read_to_string(&mut value)
        .map_err(|e| Failure::Usage(format!("cannot read {what} from standard input: {e}")))?;
    if value.trim().is_empty() {
        return Err(Failure::Usage(format!(
            "give {what} on standard input: echo \"$VALUE\" | {command}"
        )));
    }
    Ok(value)
}

pub(super) async fn integrations(
    session: &Session,
    command: IntegrationsCommand,
) -> Result<(), Failure> {
    let store = session.store();
    match command {
        IntegrationsCommand::Connect { name, url } => {
            let what = if name == "zapier" {
                "the Catch Hook URL"
            } else {
                "the access token"
            };
            let token = from_stdin(what, &format!("cardfile integrations connect {name}"))?;
            let user = session.user().await?;
            let status =
                integrations::connect(store, &Keyring, &user, &name, url.as_deref(), &token)
                    .await?;
            print_json(&status)
        }
        IntegrationsCommand::List { json } => {
            let all = integrations::list(store, &Keyring).await?;
            if json {
                return print_json(&all);
            }
            for i in all {
                let state = match (&i.needs_reconnect, i.connected) {
                    (Some(why), _) => why.clone(),
                    (None, true) => "connected".into(),
                    (None, false) => "not connected".into(),
                };
                println!(
                    "{:<11} {state}; last: {}; pending {}, failed {}",
                    i.name,
                    i.last_result.as_deref().unwrap_or("-"),
                    i.pending,
                    i.failed
                );
            }
            Ok(())
        }
        IntegrationsCommand::Disconnect { name } => {
            let user = session.user().await?;
            print_json(&integrations::disconnect(store, &Keyring, &user, &name).await?)
        }
    }
}

pub(super) async fn sync(session: &Session, once: bool, json: bool) -> Result<(), Failure> {
    let store = session.store();
    let user = session.user().await?;
    let never = AtomicBool::new(false);
    let mut summary = sync::run(store, &Keyring, &user, true, &never, &progress_to_stderr).await?;
    let mut last_pull = std::time::Instant::now();
    // Without --once it keeps running, as the window does, until it is stopped.
    if !once {
        loop {
            eprintln!(
                "sync: {} pushed, {} pulled, {} pending, {} failed",
                summary.pushed, summary.pulled, summary.pending, summary.failed
            );
            tokio::time::sleep(sync::next_wait(store, Some(last_pull)).await?).await;
            let pull = sync::pull_due(Some(last_pull));
            if pull {
                last_pull = std::time::Instant::now();
            }
            summary = sync::run(store, &Keyring, &user, pull, &never, &progress_to_stderr).await?;
        }
    }
    if json {
        print_json(&summary)
    } else {
        println!(
            "pushed {}, pulled {}, activities {}, failed {}, pending {}{}",
            summary.pushed,
            summary.pulled,
            summary.activities,
            summary.failed,
            summary.pending,
            if summary.offline {
                " (the cloud could not be reached: work waits)"
            } else {
                ""
            }
        );
        Ok(())
    }
}

pub(super) async fn outbox(session: &Session, command: OutboxCommand) -> Result<(), Failure> {
    let store = session.store();
    match command {
        OutboxCommand::List { all, json } => {
            // Page by page, each printed as it comes: an import while the cloud is connected
            // queues an item for every contact it creates.
            const PAGE: u32 = 1000;
            let mut after: Option<String> = None;
            let mut separator = "";
            if json {
                print!("[");
            }
            loop {
                let page = outbox::list(store, all, after.as_deref(), PAGE).await?;
                for item in &page.items {
                    if json {
                        let text = serde_json::to_string(item)
                            .map_err(|e| cardfile_core::Error::Internal(e.to_string()))?;
                        print!("{separator}{text}");
                        separator = ",";
                    } else {
                        println!("{}", outbox_line(item));
                    }
                }
                match page.items.last() {
                    Some(last) if page.items.len() == PAGE as usize => {
                        after = Some(last.id.clone())
                    }
                    _ => break,
                }
            }
            if json {
                println!("]");
            }
            Ok(())
        }
        OutboxCommand::Retry { id } => {
            outbox::retry(store, &id).await?;
            println!("retrying {}", id.trim());
            Ok(())
        }
        OutboxCommand::Cancel { id } => {
            outbox::cancel(store, &id).await?;
            println!("canceled {}", id.trim());
            Ok(())
        }
        OutboxCommand::Share => {
            let queued = outbox::share_local(store).await?;
            println!("{queued} contacts queued for the cloud");
            Ok(())
        }
    }
}
