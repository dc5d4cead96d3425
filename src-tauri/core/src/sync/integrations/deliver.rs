//! Delivering the outbox's integration items, each integration in turn, oldest first. The
//! values sent are the contact's now; the values it is found by are those before the item's
//! first change. Each reply decides the item, by the cloud's rules: sent (with what it did
//! for the contact pane); failed for good with the reason; pending again after a backoff
//! (5xx, 429, timeouts, cut connections). A refused token that cannot be renewed leaves the
//! work queued and asks the user to reconnect; a deleted Zapier hook stops the posting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::wire::Remote;
use super::{calendar, crm, spec, MeetingResult, Spec};
use crate::error::Result;
use crate::outbox::{self, before_of, names, FieldChange};
use crate::record::ContactRow;
use crate::rows;
use crate::secrets::SecretStore;
use crate::store::{now, Store};
use crate::sync::client::Failure;
use crate::sync::fields::sent_record;
use crate::sync::push::{self, refuse, Backoff};
use crate::sync::SyncSummary;

#[derive(sqlx::FromRow)]
struct Item {
    id: i64,
    contact_id: i64,
    fields: String,
    before: Option<String>,
    attempts: i64,
    version: i64,
}

/// The work of one item, as a service's code sees it.
pub(super) struct Work<'a> {
    pub contact_id: i64,
    /// The contact now.
    pub row: &'a ContactRow,
    /// Every synced field's value before the item's first change.
    pub before: &'a Value,
    /// The fields the item holds changes of.
    pub fields: Vec<String>,
    pub keep_fields: bool,
    /// The remote record found last time (its type and id), to go straight to it.
    pub found: Option<(Option<String>, String)>,
}

impl Work<'_> {
    /// A field's value before the change.
    pub fn was(&self, field: &str) -> Option<String> {
        outbox::shadow_value(self.before, field).filter(|v| !v.is_empty())
    }

    /// The changes the item holds, before and after: empty when they were all undone.
    pub fn changes(&self) -> Vec<FieldChange> {
        outbox::diff("update", &self.fields, Some(self.row), self.before)
    }
}

/// What an item did for its contact (the contact pane's line).
pub(super) struct Outcome {
    pub result: &'static str,
    pub detail: String,
    pub remote: Option<(Option<String>, String)>,
    pub remote_url: Option<String>,
    pub meetings: Vec<MeetingResult>,
}

impl Outcome {
    pub fn nothing(detail: impl Into<String>) -> Outcome {
        Outcome {
            result: "nothing to send",
            detail: detail.into(),
            remote: None,
            remote_url: None,
            meetings: Vec::new(),
        }
    }
}

type Reply = std::result::Result<Outcome, Failure>;

/// Delivers what is due to every connected integration; stops early on a cancel.
pub(crate) async fn deliver(
    store: &Store,
    secrets: &dyn SecretStore,
    timeout: Duration,
    backoff: Backoff,
    cancel: &AtomicBool,
    summary: &mut SyncSummary,
) -> Result<()> {
    let connected: Vec<(String, Option<String>, bool)> = sqlx::query_as(
        "SELECT name, url, keep_fields FROM integrations WHERE state = 'connected' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await?;
    for (name, url, keep_fields) in connected {
        let spec = spec(&name)?;
        let remote = match Remote::open(store, secrets, spec, url, timeout).await {
            Ok(r) => r,
            Err(e) => {
                reconnect(store, spec, &e.to_string()).await?;
                continue;
            }
        };
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Ok(());
            }
            let item: Option<Item> = sqlx::query_as(
                "SELECT id, contact_id, fields, before, attempts, version FROM outbox \
                 WHERE target = ? AND status = 'pending' AND next_at <= ? ORDER BY id LIMIT 1",
            )
            .bind(spec.name)
            .bind(now())
            .fetch_optional(store.pool())
            .await?;
            let Some(item) = item else { break };
            match one(&remote, &item, keep_fields).await? {
                Ok(outcome) => {
                    done(store, spec, &item, &outcome).await?;
                    summary.pushed += 1;
                }
                Err(Failure::Key(why)) => {
                    reconnect(store, spec, &why).await?;
                    break;
                }
                Err(Failure::Gone(why)) if spec.name == "zapier" => {
                    gone(store, secrets, &item, &why).await?;
                    break;
                }
                Err(later @ Failure::Later { .. }) => {
                    push::later(store, &backoff, item.id, item.attempts, &later).await?;
                    if later.stops_the_round() {
                        break;
                    }
                }
                Err(refused) => fail(store, spec, &item, &refused.describe()).await?,
            }
        }
    }
    Ok(())
}

/// One item to its integration.
async fn one(remote: &Remote<'_>, item: &Item, keep_fields: bool) -> Result<Reply> {
    let mut conn = remote.store.pool().acquire().await?;
    let Some(row) = rows::load_row(&mut conn, item.contact_id).await? else {
        return Ok(Ok(Outcome::nothing(
            "the contact is gone: nothing was sent",
        )));
    };
    let found: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT remote_type, remote_id FROM integration_results \
         WHERE target = ? AND contact_id = ? AND remote_id IS NOT NULL",
    )
    .bind(remote.spec.name)
    .bind(item.contact_id)
    .fetch_optional(&mut *conn)
    .await?;
    drop(conn);
    let before = before_of(item.before.as_deref(), Some(&row));
    let work = Work {
        contact_id: item.contact_id,
        row: &row,
        before: &before,
        fields: names(&item.fields),
        keep_fields,
        found,
    };
    if work.changes().is_empty() {
        return Ok(Ok(Outcome::nothing(
            "changed back before it was sent: nothing to send",
        )));
    }
    match remote.spec.name {
        "hubspot" => crm::hubspot(remote, &work).await,
        "salesforce" => crm::salesforce(remote, &work).await,
        "zapier" => crm::zapier(remote, &work).await,
        _ => calendar::update(remote, &work).await,
    }
}

/// Sent: the contact's result is kept, and the item is done unless a change joined it on
/// the wire (then it stays pending, due now).
async fn done(store: &Store, spec: &Spec, item: &Item, outcome: &Outcome) -> Result<()> {
    let at = now();
    let mut conn = store.pool().acquire().await?;
    let row = rows::load_row(&mut conn, item.contact_id).await?;
    drop(conn);
    let before = before_of(item.before.as_deref(), row.as_ref());
    let sent = outbox::diff("update", &names(&item.fields), row.as_ref(), &before);
    let mut tx = store.write().await?;
    let finished = sqlx::query(
        "UPDATE outbox SET status = 'sent', sent = ?, attempts = attempts + 1, last_error = NULL, \
         updated_at = ? WHERE id = ? AND version = ?",
    )
    .bind(sent_record(&sent))
    .bind(&at)
    .bind(item.id)
    .bind(item.version)
    .execute(&mut *tx)
    .await?;
    if finished.rows_affected() == 0 {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, next_at = ?1, updated_at = ?1 WHERE id = ?2")
            .bind(&at)
            .bind(item.id)
            .execute(&mut *tx)
            .await?;
    }
    keep_result(&mut tx, spec, item, outcome, &at).await?;
    tx.commit().await?;
    Ok(())
}

async fn keep_result(
    conn: &mut sqlx::SqliteConnection,
    spec: &Spec,
    item: &Item,
    outcome: &Outcome,
    at: &str,
) -> Result<()> {
    let meetings = serde_json::to_string(&outcome.meetings).unwrap_or_else(|_| "[]".into());
    let (kind, id) = match &outcome.remote {
        Some((k, i)) => (k.clone(), Some(i.clone())),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO integration_results (target, contact_id, result, detail, remote_type, remote_id, \
         remote_url, meetings, before, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
         ON CONFLICT (target, contact_id) DO UPDATE SET result = ?3, detail = ?4, \
         remote_type = coalesce(?5, remote_type), remote_id = coalesce(?6, remote_id), \
         remote_url = coalesce(?7, remote_url), meetings = ?8, before = ?9, at = ?10",
    )
    .bind(spec.name)
    .bind(item.contact_id)
    .bind(outcome.result)
    .bind(&outcome.detail)
    .bind(kind)
    .bind(id)
    .bind(&outcome.remote_url)
    .bind(meetings)
    .bind(&item.before)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    let summary = format!("{}: {}", outcome.result, outcome.detail);
    sqlx::query("UPDATE integrations SET last_result = ? WHERE name = ?")
        .bind(summary)
        .bind(spec.name)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Refused for good: failed ("Needs attention"), unless a change joined it meanwhile.
async fn fail(store: &Store, spec: &Spec, item: &Item, reason: &str) -> Result<()> {
    let mut tx = store.write().await?;
    refuse(&mut tx, item.id, item.version, reason, None).await?;
    sqlx::query("UPDATE integrations SET last_result = ? WHERE name = ?")
        .bind(format!("failed: {reason}"))
        .bind(spec.name)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The token was refused and could not be renewed: the integration waits for the user to
/// connect again; its items stay queued, untouched.
async fn reconnect(store: &Store, spec: &Spec, why: &str) -> Result<()> {
    let problem = format!("reconnect {}: {why}", spec.label);
    sqlx::query(
        "UPDATE integrations SET state = 'reconnect', problem = ?, last_result = ? WHERE name = ?",
    )
    .bind(&problem)
    .bind(&problem)
    .bind(spec.name)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Zapier answered 410: the Zap's hook was deleted. The hook URL is forgotten, nothing more
/// is posted to it, and the user is told how to connect a new one.
async fn gone(store: &Store, secrets: &dyn SecretStore, item: &Item, why: &str) -> Result<()> {
    secrets.delete(&super::secret_name("zapier"))?;
    let problem = format!(
        "the Zap's Catch Hook was deleted in Zapier ({why}); Cardfile stopped posting to it: \
         paste a new hook URL to connect again"
    );
    let at = now();
    let mut tx = store.write().await?;
    sqlx::query("UPDATE integrations SET state = 'gone', problem = ?1, last_result = ?1 WHERE name = 'zapier'")
        .bind(&problem)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE outbox SET status = CASE WHEN id = ?1 THEN 'failed' ELSE 'canceled' END, \
         last_error = ?2, updated_at = ?3 WHERE target = 'zapier' AND status = 'pending'",
    )
    .bind(item.id)
    .bind(&problem)
    .bind(&at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
