//! Removing a user (`users remove EMAIL --reassign-to EMAIL`): their contacts go to another
//! user through the write funnel, their upcoming meetings (and whatever still has pending
//! notifications) get that user as host, and the user is marked removed, all in one
//! transaction. The row stays: batches, the change feed and past activities name it.

use serde::Serialize;
use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::{Funnel, Source};
use crate::journal::{self, BatchKind, Op};
use crate::record::{ContactRow, ROW_COLUMNS};
use crate::settings;
use crate::store::{now, Store};
use crate::users::{self, Role, User};

/// The journal's name for a user's row, and for an activity's host.
pub const USER: &str = "user";
pub const ACTIVITY_HOST: &str = "activity_host";

/// What a removal did.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Removed {
    pub removed: String,
    pub reassigned_to: String,
    /// Contacts that changed owner.
    pub contacts: u32,
    /// Activities that changed host: meetings still ahead, and any with pending notifications.
    pub activities: u32,
}

/// A user as the journal keeps the removal.
#[derive(Serialize)]
struct Image<'a> {
    email: &'a str,
    name: &'a str,
    role: Role,
    teams: &'a [String],
    removed_at: Option<&'a str>,
}

/// Removes user `email` (Admins only; never while a cloud account is connected), giving
/// their contacts and upcoming activities to `reassign_to` first. Refused, changing nothing,
/// for the acting user, the signed-in user and the last Admin.
pub async fn remove(
    store: &Store,
    actor: &User,
    email: &str,
    reassign_to: &str,
) -> Result<Removed> {
    users::require_admin(actor, "remove users")?;
    let mut tx = store.write().await?;
    users::require_local(&mut tx).await?;
    let user = users::find_by_email(&mut tx, email)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no user with email {}", email.trim())))?;
    if user.id == actor.id {
        return Err(Error::Forbidden(
            "you cannot remove yourself: ask another Admin".into(),
        ));
    }
    let signed_in: Option<String> = settings::get(&mut tx, settings::USER).await?;
    if signed_in.as_deref() == Some(user.id.to_string().as_str()) {
        return Err(Error::Forbidden(format!(
            "{} is signed in on this computer: sign in as another user first (settings set user EMAIL)",
            user.email
        )));
    }
    if user.role == Role::Admin && users::other_admins(&mut tx, user.id).await? == 0 {
        return Err(Error::Forbidden(format!(
            "{} is the last Admin and cannot be removed",
            user.email
        )));
    }
    let to = users::find_by_email(&mut tx, reassign_to)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "reassign_to",
                format!("no user with email {}", reassign_to.trim()),
            )
        })?;
    if to.id == user.id {
        return Err(Error::invalid(
            "reassign_to",
            "their contacts must go to another user",
        ));
    }
    let at = now();
    let funnel = Funnel::begin(
        &mut tx,
        actor.id,
        BatchKind::Users,
        &at,
        &format!(
            "Removed {}; their contacts went to {}",
            user.email, to.email
        ),
        Source::Manual,
    )
    .await?;
    let contacts = reassign_contacts(&mut tx, &funnel, user.id, to.id, &at).await?;
    let activities = rehost(&mut tx, funnel.batch(), user.id, to.id, &at).await?;
    sqlx::query("DELETE FROM team_members WHERE user_id = ?")
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET removed_at = ? WHERE id = ?")
        .bind(&at)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
    let image = |removed_at| Image {
        email: &user.email,
        name: &user.name,
        role: user.role,
        teams: &user.teams,
        removed_at,
    };
    journal::record(
        &mut tx,
        funnel.batch(),
        USER,
        user.id,
        Op::Update,
        Some(&image(None)),
        Some(&image(Some(&at))),
    )
    .await?;
    tx.commit().await?;
    Ok(Removed {
        removed: user.email,
        reassigned_to: to.email,
        contacts,
        activities,
    })
}

/// Gives every contact of user `from` to user `to`: each an update through the funnel, so
/// each has its journal entry and its change in the feed (field owner_id).
async fn reassign_contacts(
    conn: &mut SqliteConnection,
    funnel: &Funnel,
    from: i64,
    to: i64,
    at: &str,
) -> Result<u32> {
    let rows: Vec<ContactRow> = sqlx::query_as(&format!(
        "SELECT {ROW_COLUMNS} FROM contacts WHERE owner_id = ? ORDER BY id"
    ))
    .bind(from)
    .fetch_all(&mut *conn)
    .await?;
    for before in &rows {
        let mut after = before.clone();
        after.owner_id = to;
        after.updated_at = at.to_string();
        funnel.update(conn, before, &after).await?;
    }
    Ok(rows.len() as u32)
}

/// Makes `to` the host of `from`'s activities that are not over: meetings still ahead, and
/// any activity with notifications still to go out (they are sent in the host's name, and
/// the host is who answers them). Past activities keep the host who held them.
async fn rehost(
    conn: &mut SqliteConnection,
    batch: i64,
    from: i64,
    to: i64,
    at: &str,
) -> Result<u32> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM activities WHERE host_id = ?1 AND ( \
            (status IN ('scheduled', 'rescheduled') AND starts_at > ?2) \
            OR id IN (SELECT activity_id FROM notifications WHERE status = 'pending')) \
         ORDER BY id",
    )
    .bind(from)
    // Stored times have whole seconds: compared as text, `at` must too.
    .bind(crate::notify::minutes(at, 0).unwrap_or_else(|| at.to_string()))
    .fetch_all(&mut *conn)
    .await?;
    #[derive(Serialize)]
    struct Host {
        host_id: i64,
    }
    for id in &ids {
        sqlx::query("UPDATE activities SET host_id = ? WHERE id = ?")
            .bind(to)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        journal::record(
            conn,
            batch,
            ACTIVITY_HOST,
            *id,
            Op::Update,
            Some(&Host { host_id: from }),
            Some(&Host { host_id: to }),
        )
        .await?;
    }
    Ok(ids.len() as u32)
}
