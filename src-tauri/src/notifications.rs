//! The window's Notifications view and the dispatcher behind it: while the window is open,
//! due reminders and workflow steps go out every minute, and at once after a Retry; each run
//! that changed something tells the page ("notifications-changed") so the view stays current.
//! The commands are one call of core each (list, the failed count, retry, cancel, each
//! channel's state).

use std::sync::Arc;
use std::time::Duration;

use cardfile_core::notify::Notification;
use cardfile_core::trial::{self, ChannelState};
use cardfile_core::{ErrorBody, Session};
use tauri::{AppHandle, Emitter, State};

use crate::keyring_store::Keyring;

type Reply<T> = Result<T, ErrorBody>;

/// The event that tells the page a dispatch sent, failed or postponed notifications.
const CHANGED: &str = "notifications-changed";
/// How often due notifications are looked for while the window is open.
const EVERY: Duration = Duration::from_secs(60);

/// Wakes the dispatcher before its minute is up (a Retry wants its answer now).
#[derive(Default)]
pub struct Dispatching {
    wake: tokio::sync::Notify,
}

/// While the window is open, due reminders and workflow steps go out every minute, and
/// whenever the dispatcher is woken.
pub async fn dispatch_while_open(app: AppHandle, session: Session, dispatching: Arc<Dispatching>) {
    loop {
        match session.dispatch(&Keyring, None).await {
            Ok(d) if d.sent + d.failed + d.retrying + d.expired + d.waiting > 0 => {
                if d.sent + d.failed + d.retrying > 0 {
                    eprintln!(
                        "cardfile: notifications: {} sent, {} to retry, {} failed",
                        d.sent, d.retrying, d.failed
                    );
                }
                let _ = app.emit(CHANGED, ());
            }
            Ok(_) => {}
            Err(e) => eprintln!("cardfile: notifications not sent: {e}"),
        }
        tokio::select! {
            () = dispatching.wake.notified() => {}
            () = tokio::time::sleep(EVERY) => {}
        }
    }
}

/// One contact's notifications, or everyone's the user may see; pending ones only unless
/// `all` (then sent, failed and canceled ones too).
#[tauri::command]
#[specta::specta]
pub async fn list_notifications(
    session: State<'_, Session>,
    contact: Option<String>,
    all: bool,
) -> Reply<Vec<Notification>> {
    Ok(session.notifications(contact.as_deref(), all).await?)
}

/// How many notifications have failed (the navigation's count), without listing them all.
#[tauri::command]
#[specta::specta]
pub async fn failed_notifications(session: State<'_, Session>) -> Reply<u32> {
    Ok(session.failed_notifications().await?)
}

/// Sends a failed notification again: pending and due now, and the dispatcher woken.
#[tauri::command]
#[specta::specta]
pub async fn retry_notification(
    session: State<'_, Session>,
    dispatching: State<'_, Arc<Dispatching>>,
    id: String,
) -> Reply<Notification> {
    let retried = session.retry_notification(&id).await?;
    dispatching.wake.notify_one();
    Ok(retried)
}

/// Cancels a pending notification: it is never sent.
#[tauri::command]
#[specta::specta]
pub async fn cancel_notification(session: State<'_, Session>, id: String) -> Reply<Notification> {
    Ok(session.cancel_notification(&id).await?)
}

/// Each channel's state (email, sms): ready, or why not and what to do.
#[tauri::command]
#[specta::specta]
pub async fn channel_states(session: State<'_, Session>) -> Reply<Vec<ChannelState>> {
    Ok(trial::channel_states(session.store(), &Keyring).await?)
}
