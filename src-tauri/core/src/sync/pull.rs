//! Pulling contacts from the cloud. Changed ones come by `last_updated_time.gt` (the window
//! overlapped, contacts seen unchanged skipped), paged with `after`. A linked contact takes
//! the fields changed remotely, except those with a local change not yet delivered; an
//! unlinked one is matched by email, then mobile phone, or created. Deletions have no feed:
//! each run reads up to five pages of the whole list, resuming where the last stopped, and a
//! pass that ends without seeing a linked contact means the cloud deleted it.

use serde_json::Value;

use super::client::{id_of, Failure};
use super::fields::{changed_remotely, remote_row, shadow_of};
use super::{Cloud, SyncSummary};
use crate::error::{Error, Result};
use crate::funnel::{Funnel, Source};
use crate::identity::{self, Match};
use crate::journal::BatchKind;
use crate::outbox::{self, names, synced_fields, CLOUD};
use crate::record::ContactRow;
use crate::rows;
use crate::settings;
use crate::store::now;

/// How far back each pull looks again before the newest change it saw (the filter's
/// precision is unknown; contacts seen unchanged are skipped).
const OVERLAP_SECONDS: i64 = 120;
/// Pages of the whole list each run reads to find remote deletions.
const RECONCILE_PAGES: usize = 5;

fn time(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The filter of a pull: changed since the watermark, less the overlap (none the first time).
pub(super) fn changed_since(watermark: Option<&str>) -> Vec<(&'static str, String)> {
    watermark
        .and_then(since)
        .map(|t| ("last_updated_time.gt", t))
        .into_iter()
        .collect()
}

/// Keeps the newest `last_updated_time` a pull has seen: its next watermark.
pub(super) fn newer(newest: &mut Option<String>, item: &Value) {
    if let Some(t) = time(item, "last_updated_time") {
        if newest.as_deref().is_none_or(|n| t.as_str() > n) {
            *newest = Some(t);
        }
    }
}

/// `watermark` less the overlap, as the filter takes it.
fn since(watermark: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(watermark).ok()?;
    Some(
        (t - chrono::Duration::seconds(OVERLAP_SECONDS))
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

fn key_error(f: Failure) -> Result<()> {
    match f {
        Failure::Key(message) => Err(Error::Forbidden(message)),
        _ => Ok(()),
    }
}

impl Cloud<'_> {
    /// Users, then contacts (and remote deletions), then bookings.
    pub(super) async fn pull(&self, summary: &mut SyncSummary) -> Result<()> {
        self.pull_people(None).await?;
        if self.pull_contacts(summary).await? && self.reconcile(summary).await? {
            self.pull_bookings(summary).await?;
        }
        let mut conn = self.store.pool().acquire().await?;
        settings::put(&mut conn, settings::CLOUD_LAST_PULL, &now()).await
    }

    /// Pulls the contacts changed since the last pull; false when the cloud could not be
    /// reached (or it was canceled), to try again next run.
    pub(super) async fn pull_contacts(&self, summary: &mut SyncSummary) -> Result<bool> {
        let mut conn = self.store.pool().acquire().await?;
        let watermark = settings::get(&mut conn, settings::CLOUD_CONTACTS_PULLED).await?;
        drop(conn);
        let mut newest = watermark.clone();
        let mut after: Option<String> = None;
        let mut seen = 0u32;
        loop {
            if self.canceled() {
                return Ok(false);
            }
            let filters = changed_since(watermark.as_deref());
            let page = match self
                .client
                .page(self.store, "/contacts", &filters, after.as_deref())
                .await?
            {
                Ok(p) => p,
                Err(f) => return key_error(f).map(|()| false),
            };
            for item in &page.data {
                if self.take_contact(item).await? {
                    summary.pulled += 1;
                }
                newer(&mut newest, item);
            }
            seen += page.data.len() as u32;
            self.report("contacts", seen);
            after = page.next();
            if after.is_none() {
                break;
            }
        }
        if let Some(newest) = newest {
            let mut conn = self.store.pool().acquire().await?;
            settings::put(&mut conn, settings::CLOUD_CONTACTS_PULLED, &newest).await?;
        }
        Ok(true)
    }

    /// Takes one pulled contact; true when it changed something here.
    pub(super) async fn take_contact(&self, item: &Value) -> Result<bool> {
        let Some(remote_id) = id_of(item) else {
            return Ok(false);
        };
        // A contact the cloud holds with values Cardfile would refuse is left as it is.
        let Ok(remote) = remote_row(item, &self.region) else {
            return Ok(false);
        };
        let pass = self.pass().await?;
        let mut tx = self.store.write().await?;
        let linked: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "SELECT contact_id, shadow, remote_updated FROM remote_contacts WHERE remote_id = ?",
        )
        .bind(&remote_id)
        .fetch_optional(&mut *tx)
        .await?;
        let updated = time(item, "last_updated_time");
        let (contact_id, shadow) = match linked {
            Some((_, _, seen)) if seen.is_some() && seen == updated => return Ok(false),
            Some((id, shadow, _)) => (id, serde_json::from_str(&shadow).unwrap_or_default()),
            None => {
                let found = identity::resolve(
                    &mut tx,
                    remote.email.as_deref(),
                    remote.mobile_phone.as_deref(),
                    None,
                )
                .await?;
                match found {
                    Match::Nobody => {
                        let owner = self.owner_of(&mut tx, item).await?;
                        let mut row = remote.clone();
                        row.owner_id = owner;
                        row.created_at = now();
                        row.updated_at = row.created_at.clone();
                        let funnel = self.funnel(&mut tx, BatchKind::Add, &row, "Added").await?;
                        let row = funnel.create(&mut tx, &row).await?;
                        link_in(
                            &mut tx,
                            row.id,
                            &remote_id,
                            &remote,
                            updated.as_deref(),
                            pass,
                        )
                        .await?;
                        tx.commit().await?;
                        return Ok(true);
                    }
                    Match::One(row) => {
                        let taken: Option<String> = sqlx::query_scalar(
                            "SELECT remote_id FROM remote_contacts WHERE contact_id = ? AND remote_id IS NOT NULL",
                        )
                        .bind(row.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if taken.is_some() {
                            // Linked to another cloud contact already: left for the user.
                            return Ok(false);
                        }
                        // Linked now: what the cloud holds counts as changed remotely, and
                        // what only this computer holds goes to the cloud.
                        link_in(&mut tx, row.id, &remote_id, &remote, None, pass).await?;
                        let local_only: Vec<&str> = synced_fields()
                            .filter(|f| remote.get(f).is_none() && row.get(f).is_some())
                            .collect();
                        if !local_only.is_empty() {
                            queue_update(&mut tx, row.id, &local_only).await?;
                        }
                        (row.id, Value::Null)
                    }
                    Match::Split { by_email, by_phone } => {
                        self.hold_for_review(&mut tx, item, by_email.id, by_phone.id)
                            .await?;
                        tx.commit().await?;
                        return Ok(false);
                    }
                }
            }
        };
        let Some(before) = rows::load_row(&mut tx, contact_id).await? else {
            return Ok(false);
        };
        let held = held_fields(&mut tx, contact_id).await?;
        let mut after = before.clone();
        for field in changed_remotely(&remote, &shadow) {
            if !held.iter().any(|h| h == field) {
                after.set(field, remote.get(field));
            }
        }
        // An identifier the cloud moved to one another contact here holds stays as it is.
        for field in ["email", "mobile_phone"] {
            if after.get(field) != before.get(field) {
                if let Some(value) = after.get(field) {
                    let other: Option<i64> = sqlx::query_scalar(&format!(
                        "SELECT id FROM contacts WHERE {field} = ? AND id <> ?"
                    ))
                    .bind(&value)
                    .bind(contact_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if other.is_some() {
                        after.set(field, before.get(field));
                    }
                }
            }
        }
        if after.email.is_none() && after.mobile_phone.is_none() {
            after.email = before.email.clone();
            after.mobile_phone = before.mobile_phone.clone();
        }
        // A change OnceHub could not take is done once the cloud holds the local value.
        sqlx::query(
            "UPDATE outbox SET status = 'sent', updated_at = ?, last_error = NULL \
             WHERE target = ? AND contact_id = ? AND status = 'failed' AND op = 'update' \
             AND ((fields = '[\"email\"]' AND ? IS ?) OR (fields = '[\"mobile_phone\"]' AND ? IS ?))",
        )
        .bind(now())
        .bind(CLOUD)
        .bind(contact_id)
        .bind(&remote.email)
        .bind(&after.email)
        .bind(&remote.mobile_phone)
        .bind(&after.mobile_phone)
        .execute(&mut *tx)
        .await?;
        let changed = after != before;
        if changed {
            after.updated_at = now();
            let funnel = self
                .funnel(&mut tx, BatchKind::Edit, &after, "Updated from the cloud:")
                .await?;
            funnel.update(&mut tx, &before, &after).await?;
        }
        link_in(
            &mut tx,
            contact_id,
            &remote_id,
            &remote,
            updated.as_deref(),
            pass,
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn funnel(
        &self,
        conn: &mut sqlx::SqliteConnection,
        kind: BatchKind,
        row: &ContactRow,
        verb: &str,
    ) -> Result<Funnel> {
        let summary = format!("{verb} {} (from the cloud)", row.display_name());
        Funnel::begin(conn, self.user.id, kind, &now(), &summary, Source::Cloud).await
    }

    /// The local user a cloud contact's or booking's `owner` names; the signed-in user when
    /// it names nobody known here.
    pub(super) async fn owner_of(
        &self,
        conn: &mut sqlx::SqliteConnection,
        item: &Value,
    ) -> Result<i64> {
        let owner = match item.get("owner") {
            Some(Value::String(id)) => Some(id.clone()),
            Some(o @ Value::Object(_)) => id_of(o),
            _ => None,
        };
        let known: Option<i64> = match owner {
            Some(id) => {
                sqlx::query_scalar("SELECT id FROM users WHERE remote_id = ?")
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?
            }
            None => None,
        };
        Ok(known.unwrap_or(self.user.id))
    }

    async fn hold_for_review(
        &self,
        conn: &mut sqlx::SqliteConnection,
        item: &Value,
        by_email: i64,
        by_phone: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO review_items (source, given, email_contact_id, phone_contact_id, reason, created_at) \
             SELECT 'cloud', ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM review_items \
             WHERE source = 'cloud' AND email_contact_id = ? AND phone_contact_id = ? AND dismissed_at IS NULL)",
        )
        .bind(item.to_string())
        .bind(by_email)
        .bind(by_phone)
        .bind(format!(
            "the cloud contact {}'s email belongs to contact {by_email} and its mobile phone to contact {by_phone}",
            id_of(item).unwrap_or_default()
        ))
        .bind(now())
        .bind(by_email)
        .bind(by_phone)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Queues a create for every contact not in the cloud yet (first connect), except those
    /// kept on this computer and those already waiting.
    pub(super) async fn queue_unlinked(&self) -> Result<()> {
        let at = now();
        sqlx::query(
            "INSERT INTO outbox (target, contact_id, op, status, next_at, created_at, updated_at) \
             SELECT ?1, c.id, 'create', 'pending', ?2, ?2, ?2 FROM contacts c \
             WHERE NOT EXISTS (SELECT 1 FROM remote_contacts r WHERE r.contact_id = c.id) \
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.status IN ('pending', 'failed')) \
             ORDER BY c.id",
        )
        .bind(CLOUD)
        .bind(&at)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// The cloud contact with this email, if any.
    pub(super) async fn find_by_email(
        &self,
        email: &str,
    ) -> Result<std::result::Result<Option<Value>, Failure>> {
        let query = [("email", email.to_string())];
        Ok(self
            .client
            .page(self.store, "/contacts", &query, None)
            .await?
            .map(|p| p.data.into_iter().next()))
    }

    /// The cloud contact with this mobile phone: the API has no phone filter, so the list is
    /// scanned.
    pub(super) async fn find_by_phone(
        &self,
        phone: &str,
    ) -> Result<std::result::Result<Option<Value>, Failure>> {
        let mut after: Option<String> = None;
        loop {
            let page = match self
                .client
                .page(self.store, "/contacts", &[], after.as_deref())
                .await?
            {
                Ok(p) => p,
                Err(f) => return Ok(Err(f)),
            };
            if let Some(found) = page
                .data
                .iter()
                .find(|c| c.get("mobile_phone").and_then(Value::as_str) == Some(phone))
            {
                return Ok(Ok(Some(found.clone())));
            }
            after = page.next();
            if after.is_none() {
                return Ok(Ok(None));
            }
        }
    }

    /// The cloud deleted a linked contact: it is deleted here too (its activities stay, as
    /// for any delete), and the link goes.
    pub(super) async fn deleted_remotely(&self, contact_id: i64) -> Result<()> {
        let mut tx = self.store.write().await?;
        if let Some(row) = rows::load_row(&mut tx, contact_id).await? {
            let funnel = self
                .funnel(&mut tx, BatchKind::Delete, &row, "Deleted")
                .await?;
            funnel.delete(&mut tx, &row).await?;
        }
        sqlx::query(
            "UPDATE outbox SET status = 'canceled', updated_at = ?, last_error = 'the contact was deleted in the cloud' \
             WHERE target = ? AND contact_id = ? AND status IN ('pending', 'failed')",
        )
        .bind(now())
        .bind(CLOUD)
        .bind(contact_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM remote_contacts WHERE contact_id = ?")
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The reconcile pass now running, and where it stopped.
    async fn reconcile_state(&self) -> Result<(i64, Option<String>)> {
        let mut conn = self.store.pool().acquire().await?;
        let state: Value = settings::get(&mut conn, settings::CLOUD_RECONCILE)
            .await?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        Ok((
            state.get("pass").and_then(Value::as_i64).unwrap_or(1),
            state
                .get("after")
                .and_then(Value::as_str)
                .map(str::to_string),
        ))
    }

    pub(super) async fn pass(&self) -> Result<i64> {
        Ok(self.reconcile_state().await?.0)
    }

    /// Reads up to five pages of the whole list; a pass that ends deletes here what it did
    /// not see (linked before the pass began: a link made during it counts as seen). False
    /// when the cloud could not be reached.
    async fn reconcile(&self, summary: &mut SyncSummary) -> Result<bool> {
        let (mut pass, mut after) = self.reconcile_state().await?;
        if after.is_none() {
            // A pass starts: links made from now on count as seen by it.
            pass += 1;
            self.save_reconcile(pass, None).await?;
        }
        for _ in 0..RECONCILE_PAGES {
            let page = match self
                .client
                .page(self.store, "/contacts", &[], after.as_deref())
                .await?
            {
                Ok(p) => p,
                Err(f) => return key_error(f).map(|()| false),
            };
            for item in &page.data {
                sqlx::query("UPDATE remote_contacts SET seen_pass = ? WHERE remote_id = ?")
                    .bind(pass)
                    .bind(id_of(item))
                    .execute(self.store.pool())
                    .await?;
            }
            after = page.next();
            if after.is_none() {
                let gone: Vec<i64> = sqlx::query_scalar(
                    "SELECT contact_id FROM remote_contacts WHERE remote_id IS NOT NULL AND seen_pass < ?",
                )
                .bind(pass)
                .fetch_all(self.store.pool())
                .await?;
                for contact_id in gone {
                    self.deleted_remotely(contact_id).await?;
                    summary.pulled += 1;
                }
                return self.save_reconcile(pass, None).await.map(|()| true);
            }
        }
        self.save_reconcile(pass, after).await.map(|()| true)
    }

    async fn save_reconcile(&self, pass: i64, after: Option<String>) -> Result<()> {
        let state = serde_json::json!({ "pass": pass, "after": after });
        let mut conn = self.store.pool().acquire().await?;
        settings::put(&mut conn, settings::CLOUD_RECONCILE, &state.to_string()).await
    }
}

/// The fields of a contact with a local change not yet delivered (waiting, or refused and
/// kept): a pull leaves them as they are here.
async fn held_fields(conn: &mut sqlx::SqliteConnection, contact_id: i64) -> Result<Vec<String>> {
    let items: Vec<(String, String)> = sqlx::query_as(
        "SELECT op, fields FROM outbox WHERE target = ? AND contact_id = ? AND status IN ('pending', 'failed')",
    )
    .bind(CLOUD)
    .bind(contact_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut held = Vec::new();
    for (op, fields) in items {
        if op == "update" {
            held.extend(names(&fields));
        } else {
            held.extend(synced_fields().map(str::to_string));
        }
    }
    Ok(held)
}

/// Queues an update of `fields` for a linked contact (joining the one waiting, if any).
async fn queue_update(
    conn: &mut sqlx::SqliteConnection,
    contact_id: i64,
    fields: &[&str],
) -> Result<()> {
    let change = outbox::Change {
        contact_id,
        last_id: None,
        kind: "update",
        fields,
        keep_local: false,
        before: None,
        at: &now(),
    };
    outbox::enqueue(conn, &change).await
}

/// Links `contact_id` to the cloud contact `remote_id`, whose synced fields are `remote`.
async fn link_in(
    conn: &mut sqlx::SqliteConnection,
    contact_id: i64,
    remote_id: &str,
    remote: &ContactRow,
    updated: Option<&str>,
    pass: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO remote_contacts (contact_id, remote_id, shadow, remote_updated, seen_pass) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (contact_id) DO UPDATE SET remote_id = ?2, \
         shadow = ?3, remote_updated = ?4, local_only = 0, seen_pass = ?5",
    )
    .bind(contact_id)
    .bind(remote_id)
    .bind(shadow_of(remote))
    .bind(updated)
    .bind(pass)
    .execute(&mut *conn)
    .await?;
    // A create queued before the link was found now goes as an update of what differs.
    let all: Vec<&str> = synced_fields().collect();
    sqlx::query(
        "UPDATE outbox SET op = 'update', fields = ? WHERE target = ? AND contact_id = ? \
         AND status = 'pending' AND op = 'create'",
    )
    .bind(Value::from(all).to_string())
    .bind(CLOUD)
    .bind(contact_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
