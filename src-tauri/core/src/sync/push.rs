//! Delivering the outbox to the cloud: deletes first (a merge's folded contacts go before
//! their survivor is patched), then creates and updates in the order they were queued. Each
//! reply decides the item: sent; failed for good with the reason and the remedy ("Needs
//! attention"); or pending again after a backoff (5xx, 429, timeouts, cut connections,
//! offline), never failed for those.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::client::{id_of, Failure};
use super::fields::{create_body, remote_row, sent_record, shadow_of, update_body};
use super::{Cloud, SyncSummary};
use crate::error::{Error, Result};
use crate::outbox::{self, diff, names, FieldChange, CLOUD};
use crate::rows;
use crate::store::now;

#[derive(sqlx::FromRow)]
struct Item {
    id: i64,
    contact_id: i64,
    op: String,
    fields: String,
    attempts: i64,
    version: i64,
}

/// What OnceHub's PATCH cannot change, and what to do instead.
fn identifier_remedy(field: &str, value: Option<&str>) -> String {
    let name = if field == "email" {
        "email"
    } else {
        "mobile phone"
    };
    match value {
        Some(v) => format!(
            "OnceHub's API cannot change a contact's {name} (its PATCH refuses {field}). \
             Change it to {v} in OnceHub too: the next pull sees it and marks this sent. \
             Cardfile keeps {v}."
        ),
        None => format!(
            "OnceHub's API cannot clear a contact's {name} (its PATCH refuses {field}). \
             Clear it in OnceHub too: the next pull sees it and marks this sent."
        ),
    }
}

impl Cloud<'_> {
    /// Delivers every item due now; stops early when the cloud is unreachable or limiting.
    pub(super) async fn push(&self, summary: &mut SyncSummary) -> Result<()> {
        loop {
            if self.canceled() {
                return Ok(());
            }
            let item: Option<Item> = sqlx::query_as(
                "SELECT id, contact_id, op, fields, attempts, version FROM outbox \
                 WHERE target = ? AND status = 'pending' AND next_at <= ? \
                 ORDER BY op = 'delete' DESC, id LIMIT 1",
            )
            .bind(CLOUD)
            .bind(now())
            .fetch_optional(self.store.pool())
            .await?;
            let Some(item) = item else { return Ok(()) };
            match self.deliver(&item, summary).await? {
                Ok(()) => {}
                Err(Failure::Key(message)) => return Err(Error::Forbidden(message)),
                Err(later @ Failure::Later { .. }) => {
                    self.back_off(&item, &later).await?;
                    // Offline or rate-limited: the rest waits too. A 5xx, a timeout or a cut
                    // reply is this item's: the others go on.
                    if later.stops_the_round() {
                        summary.offline = true;
                        return Ok(());
                    }
                }
                Err(refused) => self.fail(&item, &refused.describe(), None).await?,
            }
        }
    }

    async fn deliver(
        &self,
        item: &Item,
        summary: &mut SyncSummary,
    ) -> Result<std::result::Result<(), Failure>> {
        match item.op.as_str() {
            "create" => self.create(item, summary).await,
            "update" => self.update(item, summary).await,
            _ => self.delete(item, summary).await,
        }
    }

    async fn create(
        &self,
        item: &Item,
        summary: &mut SyncSummary,
    ) -> Result<std::result::Result<(), Failure>> {
        let mut conn = self.store.pool().acquire().await?;
        let Some(row) = rows::load_row(&mut conn, item.contact_id).await? else {
            drop(conn);
            return self.done(item, "sent", &[]).await.map(Ok);
        };
        if row.first_name.is_none() || row.last_name.is_none() {
            drop(conn);
            self.fail(
                item,
                "OnceHub needs a first and a last name to create a contact. Add the missing \
                 name to this contact: saving it queues the create again.",
                Some(&diff("create", &[], Some(&row), &Value::Null)),
            )
            .await?;
            return Ok(Ok(()));
        }
        let owner: Option<String> = sqlx::query_scalar("SELECT remote_id FROM users WHERE id = ?")
            .bind(row.owner_id)
            .fetch_optional(&mut *conn)
            .await?
            .flatten();
        drop(conn);
        let body = create_body(&row, owner);
        let sent = diff("create", &[], Some(&row), &Value::Null);
        match self
            .client
            .call(self.store, Method::POST, "/contacts", &[], Some(&body))
            .await?
        {
            Ok(created) => {
                self.link(item.contact_id, &created).await?;
                self.done(item, "sent", &sent).await?;
                summary.pushed += 1;
                Ok(Ok(()))
            }
            // Already there (a create whose reply was lost, or a person the cloud knows):
            // found by its natural key and linked, then what differs goes as an update.
            Err(Failure::Exists { param }) => {
                let found = match param.as_deref() {
                    Some("mobile_phone") => match &row.mobile_phone {
                        Some(p) => self.find_by_phone(p).await?,
                        None => Ok(None),
                    },
                    _ => match &row.email {
                        Some(e) => self.find_by_email(e).await?,
                        None => Ok(None),
                    },
                };
                match found {
                    Ok(Some(remote)) => {
                        self.link(item.contact_id, &remote).await?;
                        let all: Vec<&str> = outbox::synced_fields().collect();
                        sqlx::query("UPDATE outbox SET op = 'update', fields = ? WHERE id = ?")
                            .bind(Value::from(all).to_string())
                            .bind(item.id)
                            .execute(self.store.pool())
                            .await?;
                        Ok(Ok(()))
                    }
                    Ok(None) => Ok(Err(Failure::Refused {
                        who: "OnceHub",
                        status: 409,
                        message: "the cloud says a contact with this email or mobile phone \
                                  exists but does not list it; check the contact in OnceHub"
                            .into(),
                        param,
                    })),
                    Err(f) => Ok(Err(f)),
                }
            }
            Err(f) => Ok(Err(f)),
        }
    }

    async fn update(
        &self,
        item: &Item,
        summary: &mut SyncSummary,
    ) -> Result<std::result::Result<(), Failure>> {
        let mut conn = self.store.pool().acquire().await?;
        let row = rows::load_row(&mut conn, item.contact_id).await?;
        let link = outbox::link(&mut conn, item.contact_id).await?;
        drop(conn);
        let (Some(row), Some(link)) = (row, link) else {
            return self.done(item, "sent", &[]).await.map(Ok);
        };
        let Some(remote_id) = link.remote_id else {
            sqlx::query("UPDATE outbox SET op = 'create', fields = '[]' WHERE id = ?")
                .bind(item.id)
                .execute(self.store.pool())
                .await?;
            return Ok(Ok(()));
        };
        let shadow: Value = serde_json::from_str(&link.shadow).unwrap_or_default();
        let changes = diff("update", &names(&item.fields), Some(&row), &shadow);
        let (identifiers, rest): (Vec<FieldChange>, Vec<FieldChange>) = changes
            .into_iter()
            .partition(|c| c.field == "email" || c.field == "mobile_phone");
        for change in &identifiers {
            self.needs_attention(item.contact_id, change).await?;
        }
        if rest.is_empty() {
            return self.done(item, "sent", &[]).await.map(Ok);
        }
        let path = format!("/contacts/{remote_id}");
        match self
            .client
            .call(
                self.store,
                Method::PATCH,
                &path,
                &[],
                Some(&update_body(&rest)),
            )
            .await?
        {
            Ok(updated) => {
                // The reply is the contact as the cloud now holds it: what else changed
                // there meanwhile is taken as a pull would (and the shadow follows).
                self.done(item, "sent", &rest).await?;
                self.take_contact(&updated).await?;
                summary.pushed += 1;
                Ok(Ok(()))
            }
            // The cloud deleted it: a remote deletion, handled as the reconcile would.
            Err(Failure::NotFound) => {
                self.deleted_remotely(item.contact_id).await?;
                self.done(item, "canceled", &rest).await?;
                Ok(Ok(()))
            }
            Err(f) => Ok(Err(f)),
        }
    }

    async fn delete(
        &self,
        item: &Item,
        summary: &mut SyncSummary,
    ) -> Result<std::result::Result<(), Failure>> {
        let mut conn = self.store.pool().acquire().await?;
        let link = outbox::link(&mut conn, item.contact_id).await?;
        drop(conn);
        let Some(remote_id) = link.and_then(|l| l.remote_id) else {
            return self.done(item, "sent", &[]).await.map(Ok);
        };
        match self
            .client
            .call(
                self.store,
                Method::DELETE,
                &format!("/contacts/{remote_id}"),
                &[],
                None,
            )
            .await?
        {
            // A DELETE answered 404 is done: the cloud no longer has it either way.
            Ok(_) | Err(Failure::NotFound) => {
                sqlx::query("DELETE FROM remote_contacts WHERE contact_id = ?")
                    .bind(item.contact_id)
                    .execute(self.store.pool())
                    .await?;
                self.done(item, "sent", &[]).await?;
                summary.pushed += 1;
                Ok(Ok(()))
            }
            Err(f) => Ok(Err(f)),
        }
    }

    /// An email or mobile phone change OnceHub cannot take: its own failed item, kept until
    /// a pull shows the cloud holds the local value (the user changed it in OnceHub).
    async fn needs_attention(&self, contact_id: i64, change: &FieldChange) -> Result<()> {
        let at = now();
        let sent = sent_record(std::slice::from_ref(change));
        let error = identifier_remedy(&change.field, change.after.as_deref());
        let mut tx = self.store.write().await?;
        let known = sqlx::query(
            "UPDATE outbox SET sent = ?, last_error = ?, updated_at = ? \
             WHERE target = ? AND contact_id = ? AND status = 'failed' AND op = 'update' AND fields = ?",
        )
        .bind(&sent)
        .bind(&error)
        .bind(&at)
        .bind(CLOUD)
        .bind(contact_id)
        .bind(Value::from(vec![change.field.clone()]).to_string())
        .execute(&mut *tx)
        .await?;
        if known.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO outbox (target, contact_id, op, fields, status, attempts, last_error, next_at, \
                 created_at, updated_at, sent) VALUES (?, ?, 'update', ?, 'failed', 1, ?, ?, ?, ?, ?)",
            )
            .bind(CLOUD)
            .bind(contact_id)
            .bind(Value::from(vec![change.field.clone()]).to_string())
            .bind(&error)
            .bind(&at)
            .bind(&at)
            .bind(&at)
            .bind(&sent)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Links a local contact to the cloud contact `remote` (as the cloud returned it).
    pub(super) async fn link(&self, contact_id: i64, remote: &Value) -> Result<()> {
        let shadow = shadow_of(
            &remote_row(remote, &self.region)
                .unwrap_or_else(|_| crate::record::ContactRow::blank(0, String::new())),
        );
        sqlx::query(
            "INSERT INTO remote_contacts (contact_id, remote_id, shadow, remote_updated, seen_pass) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (contact_id) DO UPDATE SET remote_id = ?2, \
             shadow = ?3, remote_updated = ?4, local_only = 0, seen_pass = ?5",
        )
        .bind(contact_id)
        .bind(id_of(remote))
        .bind(shadow)
        .bind(remote.get("last_updated_time").and_then(Value::as_str))
        .bind(self.pass().await?)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The item is done (`sent`, or `canceled` when the cloud had deleted the contact),
    /// unless a change joined it while it was on the wire: then it stays pending, due now,
    /// and goes again with the contact's values (a create that went, as an update).
    async fn done(&self, item: &Item, status: &str, sent: &[FieldChange]) -> Result<()> {
        let at = now();
        let finished = sqlx::query(
            "UPDATE outbox SET status = ?, sent = ?, attempts = attempts + 1, last_error = NULL, \
             updated_at = ? WHERE id = ? AND version = ?",
        )
        .bind(status)
        .bind(sent_record(sent))
        .bind(&at)
        .bind(item.id)
        .bind(item.version)
        .execute(self.store.pool())
        .await?;
        if finished.rows_affected() == 0 {
            let all: Vec<&str> = outbox::synced_fields().collect();
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_at = ?1, updated_at = ?1, \
                 op = CASE WHEN op = 'create' AND ?2 = 'sent' THEN 'update' ELSE op END, \
                 fields = CASE WHEN op = 'create' AND ?2 = 'sent' THEN ?3 ELSE fields END WHERE id = ?4",
            )
            .bind(&at)
            .bind(status)
            .bind(Value::from(all).to_string())
            .bind(item.id)
            .execute(self.store.pool())
            .await?;
        }
        Ok(())
    }

    /// Refused for good, unless a change joined the item meanwhile (it may be the remedy):
    /// then it stays pending.
    async fn fail(&self, item: &Item, reason: &str, would: Option<&[FieldChange]>) -> Result<()> {
        refuse(
            &mut *self.store.pool().acquire().await?,
            item.id,
            item.version,
            reason,
            would.map(sent_record),
        )
        .await
    }

    async fn back_off(&self, item: &Item, failure: &Failure) -> Result<()> {
        later(self.store, &self.backoff, item.id, item.attempts, failure).await
    }
}

/// An outbox item refused for good ("Needs attention", with the reason), unless a change
/// joined it meanwhile (it may be the remedy): then it stays pending. The cloud's rule and
/// every integration's.
pub(crate) async fn refuse(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    version: i64,
    reason: &str,
    would: Option<String>,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET status = CASE WHEN version = ? THEN 'failed' ELSE status END, \
         last_error = ?, attempts = attempts + 1, sent = coalesce(?, sent), updated_at = ? \
         WHERE id = ?",
    )
    .bind(version)
    .bind(reason)
    .bind(would)
    .bind(now())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An outbox item pending again after an exponential backoff with jitter, capped (or the
/// reply's `Retry-After`). The cloud's rule and every integration's.
pub(crate) async fn later(
    store: &crate::store::Store,
    backoff: &Backoff,
    id: i64,
    attempts: i64,
    failure: &Failure,
) -> Result<()> {
    let (reason, retry_after) = match failure {
        Failure::Later {
            reason,
            retry_after,
            ..
        } => (reason.clone(), *retry_after),
        other => (other.describe(), None),
    };
    let wait = retry_after.unwrap_or_else(|| backoff.after(attempts as u32 + 1));
    let next = chrono::Utc::now()
        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_at = ?, updated_at = ? WHERE id = ?",
    )
    .bind(reason)
    .bind(next.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    .bind(now())
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Exponential backoff with jitter: `base` doubled per attempt, capped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub(crate) fn after(&self, attempt: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.cap);
        // Jitter from the clock's nanoseconds: between half and all of the wait.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        full / 2 + full.mul_f64(f64::from(nanos % 1000) / 2000.0)
    }
}
