//! What points at a contact from elsewhere: activities and pending notifications. The write
//! funnel moves them when a merge folds a contact, retargets notifications when an email or
//! mobile phone changes, and unlinks them when a contact is deleted; undo puts them back.
//! Storage only: no feature above it is imported here.

use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::error::Result;
use crate::journal::{self, Op};
use crate::record::ContactRow;

/// The journal's name for activity rows.
pub const ACTIVITY: &str = "activity";
/// The journal's name for notification rows.
pub const NOTIFICATION: &str = "notification";

/// An activity's link to its contact, as the journal keeps it (merges move it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub contact_id: Option<i64>,
}

/// Where a pending notification goes, as the journal keeps it (edits and merges move it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub contact_id: Option<i64>,
    pub recipient: String,
}

/// Who an activity's notifications go to: its contact, or a deleted contact's snapshot.
#[derive(Debug, Clone)]
pub struct Whom {
    pub contact_id: Option<i64>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
}

impl Whom {
    pub fn of(contact: &ContactRow) -> Whom {
        Whom {
            contact_id: Some(contact.id),
            email: contact.email.clone(),
            mobile_phone: contact.mobile_phone.clone(),
        }
    }

    /// The address a notification on `channel` goes to.
    pub fn address(&self, channel: &str) -> Option<&String> {
        match channel {
            "email" => self.email.as_ref(),
            _ => self.mobile_phone.as_ref(),
        }
    }
}

/// Moves the activities of contact `from` to `to` (a merge), journaled so undo moves them back.
pub(crate) async fn move_activities(
    conn: &mut SqliteConnection,
    batch: i64,
    from: i64,
    to: i64,
) -> Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM activities WHERE contact_id = ?")
        .bind(from)
        .fetch_all(&mut *conn)
        .await?;
    for id in ids {
        set_link(
            conn,
            id,
            &Link {
                contact_id: Some(to),
            },
        )
        .await?;
        journal::record(
            conn,
            batch,
            ACTIVITY,
            id,
            Op::Update,
            Some(&Link {
                contact_id: Some(from),
            }),
            Some(&Link {
                contact_id: Some(to),
            }),
        )
        .await?;
    }
    Ok(())
}

/// Points contact `from`'s pending notifications at `to` (the same contact after an edit,
/// or a merge's survivor): its id, and its email or mobile phone for each channel.
pub(crate) async fn retarget(
    conn: &mut SqliteConnection,
    batch: i64,
    from: i64,
    to: &ContactRow,
) -> Result<()> {
    let pending: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, channel, recipient FROM notifications WHERE contact_id = ? AND status = 'pending'",
    )
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    for (id, channel, recipient) in pending {
        // A cleared address leaves the notification where it was going.
        let new = Whom::of(to)
            .address(&channel)
            .cloned()
            .unwrap_or_else(|| recipient.clone());
        let before = Target {
            contact_id: Some(from),
            recipient,
        };
        let after = Target {
            contact_id: Some(to.id),
            recipient: new,
        };
        if before == after {
            continue;
        }
        set_target(conn, id, &after).await?;
        journal::record(
            conn,
            batch,
            NOTIFICATION,
            id,
            Op::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
    }
    Ok(())
}

/// A deleted contact's activities stay with their snapshot, and its notifications stay (and
/// are still sent), linked to nobody.
pub(crate) async fn unlink_deleted(conn: &mut SqliteConnection, contact_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE activities SET contact_id = NULL, contact_deleted = 1 WHERE contact_id = ?",
    )
    .bind(contact_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE notifications SET contact_id = NULL WHERE contact_id = ?")
        .bind(contact_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The link of activity `id` as it is now (for undo's collision check).
pub(crate) async fn link(conn: &mut SqliteConnection, id: i64) -> Result<Option<Link>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT contact_id FROM activities WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(contact_id,)| Link { contact_id }))
}

pub(crate) async fn set_link(conn: &mut SqliteConnection, id: i64, link: &Link) -> Result<()> {
    sqlx::query("UPDATE activities SET contact_id = ? WHERE id = ?")
        .bind(link.contact_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Where notification `id` goes now (for undo's collision check).
pub(crate) async fn target(conn: &mut SqliteConnection, id: i64) -> Result<Option<Target>> {
    let row: Option<(Option<i64>, String)> =
        sqlx::query_as("SELECT contact_id, recipient FROM notifications WHERE id = ?")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|(contact_id, recipient)| Target {
        contact_id,
        recipient,
    }))
}

pub(crate) async fn set_target(conn: &mut SqliteConnection, id: i64, t: &Target) -> Result<()> {
    sqlx::query("UPDATE notifications SET contact_id = ?, recipient = ? WHERE id = ?")
        .bind(t.contact_id)
        .bind(&t.recipient)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
