//! Adding, editing, showing, listing and deleting contacts: each one transaction that
//! writes the row, its search terms and its journal entry together, or nothing.

use sqlx::SqliteConnection;

use crate::contact::{Contact, ContactFields, ContactRow};
use crate::error::{Error, Result};
use crate::journal::{self, BatchKind, Op};
use crate::search::{self, ContactPage, ListQuery, Scope};
use crate::settings;
use crate::store::{now, Store};
use crate::users::{self, User};
use crate::{identity, merge};

/// The journal's name for contact rows.
pub const ENTITY: &str = "contact";

pub(crate) const ROW_COLUMNS: &str =
    "id, first_name, last_name, salutation, email, mobile_phone, phone, \
    company, job_title, street_address, city, state, post_code, country, timezone, status, \
    has_consent, notes, owner_id, created_at, updated_at, last_interacted_at";

/// Parses a contact id as the command line and the window pass it.
pub fn parse_id(id: &str) -> Result<i64> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::NotFound(format!("no contact with id {}", id.trim())))
}

pub async fn load_row(conn: &mut SqliteConnection, id: i64) -> Result<Option<ContactRow>> {
    Ok(
        sqlx::query_as(&format!("SELECT {ROW_COLUMNS} FROM contacts WHERE id = ?"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// The row of contact `id` if `scope` may see it. A contact the user may not see is
/// reported exactly like one that does not exist: nothing about it leaks.
pub(crate) async fn visible_row(
    conn: &mut SqliteConnection,
    scope: &Scope,
    id: i64,
) -> Result<ContactRow> {
    match load_row(conn, id).await? {
        Some(row) if scope.allows(row.owner_id) => Ok(row),
        _ => Err(Error::NotFound(format!("no contact with id {id}"))),
    }
}

/// The id of contact `id` (as the CLI and window pass it) when `scope` may see it; None
/// when no contact was asked for.
pub(crate) async fn visible_id(
    conn: &mut SqliteConnection,
    scope: &Scope,
    id: Option<&str>,
) -> Result<Option<i64>> {
    match id {
        Some(id) => Ok(Some(visible_row(conn, scope, parse_id(id)?).await?.id)),
        None => Ok(None),
    }
}

async fn owner_email(conn: &mut SqliteConnection, owner_id: i64) -> Result<String> {
    Ok(sqlx::query_scalar("SELECT email FROM users WHERE id = ?")
        .bind(owner_id)
        .fetch_one(&mut *conn)
        .await?)
}

async fn to_contact(conn: &mut SqliteConnection, row: ContactRow) -> Result<Contact> {
    let owner = owner_email(conn, row.owner_id).await?;
    Ok(row.into_contact(owner))
}

/// Refuses a new row whose email or mobile phone another contact already holds (asking
/// identity, like every way in), naming that contact, or, when the user may not see it,
/// saying only that the save is impossible. The bulk path's rule until imports merge.
async fn refuse_taken(conn: &mut SqliteConnection, scope: &Scope, row: &ContactRow) -> Result<()> {
    let found = identity::resolve(
        conn,
        row.email.as_deref(),
        row.mobile_phone.as_deref(),
        None,
    )
    .await?;
    let Some(holder) = found.survivor() else {
        return Ok(());
    };
    if !scope.allows(holder.owner_id) {
        return Err(Error::CannotSave(
            "its email or mobile phone belongs to a contact you do not have access to. Ask your administrator to resolve the contact record conflict.".into(),
        ));
    }
    let (field, value) = if holder.email.is_some() && holder.email == row.email {
        ("email", row.email.clone())
    } else {
        ("mobile_phone", row.mobile_phone.clone())
    };
    Err(Error::Duplicate {
        field,
        value: value.unwrap_or_default(),
        other_id: holder.id,
        other_name: holder.display_name(),
    })
}

/// Writes `row` (a new one when its id is 0) with its derived search columns and terms.
/// Returns the id.
pub(crate) async fn write_row(
    conn: &mut SqliteConnection,
    row: &ContactRow,
    insert: bool,
) -> Result<i64> {
    let derived = search::derive(row);
    let sql = if insert {
        format!(
            "INSERT INTO contacts ({ROW_COLUMNS}, sort_name, search_text) VALUES \
             (NULLIF(?, 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
        )
    } else {
        "UPDATE contacts SET id = ?, first_name = ?, last_name = ?, salutation = ?, email = ?, \
         mobile_phone = ?, phone = ?, company = ?, job_title = ?, street_address = ?, city = ?, \
         state = ?, post_code = ?, country = ?, timezone = ?, status = ?, has_consent = ?, \
         notes = ?, owner_id = ?, created_at = ?, updated_at = ?, last_interacted_at = ?, \
         sort_name = ?, search_text = ? WHERE id = ? RETURNING id"
            .to_string()
    };
    let query = sqlx::query_scalar(&sql)
        .bind(row.id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.salutation)
        .bind(&row.email)
        .bind(&row.mobile_phone)
        .bind(&row.phone)
        .bind(&row.company)
        .bind(&row.job_title)
        .bind(&row.street_address)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.post_code)
        .bind(&row.country)
        .bind(&row.timezone)
        .bind(&row.status)
        .bind(row.has_consent)
        .bind(&row.notes)
        .bind(row.owner_id)
        .bind(&row.created_at)
        .bind(&row.updated_at)
        .bind(&row.last_interacted_at)
        .bind(&derived.sort_name)
        .bind(&derived.search_text);
    let query = if insert { query } else { query.bind(row.id) };
    let id: i64 = query.fetch_one(&mut *conn).await?;
    search::add_terms(conn, id, &derived).await?;
    Ok(id)
}

/// Removes the search terms of `row` as stored.
pub(crate) async fn drop_terms(conn: &mut SqliteConnection, row: &ContactRow) -> Result<()> {
    search::remove_terms(conn, row.id, &search::derive(row)).await
}

/// Adds a contact owned by `owner` (default: the acting user); a taken email or mobile
/// phone merges into its holder when `merge` confirms it (else Error::MergeNeeded).
pub async fn add(
    store: &Store,
    user: &User,
    fields: &ContactFields,
    owner: Option<&str>,
    merge: bool,
) -> Result<Contact> {
    let mut tx = store.pool().begin().await?;
    let scope = users::scope(&mut tx, user).await?;
    let owner_id = match owner {
        None => user.id,
        Some(email) => {
            let o = users::find_by_email(&mut tx, email).await?.ok_or_else(|| {
                Error::invalid("owner", format!("no user with email {}", email.trim()))
            })?;
            if !scope.allows(o.id) {
                return Err(Error::Forbidden(format!(
                    "you may not create contacts owned by {}",
                    o.email
                )));
            }
            o.id
        }
    };
    let region = settings::default_region(&mut tx).await?;
    let mut row = ContactRow::blank(owner_id, now());
    row.apply(fields, &region)?;
    let saved = save(&mut tx, user, &scope, None, row, merge).await?;
    let contact = to_contact(&mut tx, saved).await?;
    tx.commit().await?;
    Ok(contact)
}

/// Edits contact `id`: given fields replace, empty given fields clear, the rest stay.
/// An edit that changes nothing writes nothing; one that takes another contact's email or
/// mobile phone merges when `merge` confirms it (else Error::MergeNeeded).
pub async fn edit(
    store: &Store,
    user: &User,
    id: &str,
    fields: &ContactFields,
    merge: bool,
) -> Result<Contact> {
    let id = parse_id(id)?;
    let mut tx = store.pool().begin().await?;
    let scope = users::scope(&mut tx, user).await?;
    let before = visible_row(&mut tx, &scope, id).await?;
    let region = settings::default_region(&mut tx).await?;
    let mut row = before.clone();
    row.apply(fields, &region)?;
    if row == before {
        return to_contact(&mut tx, row).await;
    }
    row.updated_at = now();
    let saved = save(&mut tx, user, &scope, Some(&before), row, merge).await?;
    let contact = to_contact(&mut tx, saved).await?;
    tx.commit().await?;
    Ok(contact)
}

/// Saves `entry` (a new contact, or `original` as edited), merging when its email or
/// mobile phone belongs to other contacts and `merge` confirms it (DESIGN.md, Merge):
/// the holder survives with the plan applied, the others fold into it, one journal batch.
async fn save(
    conn: &mut SqliteConnection,
    user: &User,
    scope: &Scope,
    original: Option<&ContactRow>,
    entry: ContactRow,
    merge: bool,
) -> Result<ContactRow> {
    let found = identity::resolve(
        conn,
        entry.email.as_deref(),
        entry.mobile_phone.as_deref(),
        original.map(|o| o.id),
    )
    .await?;
    let Some(survivor) = found.survivor() else {
        let (kind, verb) = if original.is_some() {
            (BatchKind::Edit, "Edited")
        } else {
            (BatchKind::Add, "Added")
        };
        let batch = journal::begin(
            conn,
            user.id,
            kind,
            &entry.updated_at,
            &format!("{verb} {}", entry.display_name()),
        )
        .await?;
        let mut saved = entry;
        match original {
            Some(before) => {
                drop_terms(conn, before).await?;
                write_row(conn, &saved, false).await?;
                journal::record(
                    conn,
                    batch,
                    ENTITY,
                    saved.id,
                    Op::Update,
                    Some(before),
                    Some(&saved),
                )
                .await?;
                crate::notify::retarget(conn, batch, saved.id, &saved).await?;
            }
            None => {
                saved.id = write_row(conn, &saved, true).await?;
                journal::record(
                    conn,
                    batch,
                    ENTITY,
                    saved.id,
                    Op::Insert,
                    None,
                    Some(&saved),
                )
                .await?;
            }
        }
        return Ok(saved);
    };
    if found.rows().iter().any(|r| !scope.allows(r.owner_id)) {
        return Err(Error::CannotSave(
            "its email or mobile phone belongs to a contact you do not have access to. Ask your administrator to resolve the contact record conflict.".into(),
        ));
    }
    let folded: Vec<&ContactRow> = found.rows().into_iter().skip(1).chain(original).collect();
    let merge_with = found
        .rows()
        .iter()
        .map(|r| r.id.to_string())
        .chain(original.map(|o| o.id.to_string()))
        .collect();
    let plan = merge::plan(survivor, &entry, merge_with);
    if !merge {
        return Err(Error::MergeNeeded(Box::new(plan)));
    }
    let mut result = merge::apply(survivor, &plan);
    result.updated_at = now();
    let summary = format!(
        "Merged {} into {}",
        folded
            .iter()
            .map(|r| r.display_name())
            .chain(original.is_none().then(|| "a new entry".to_string()))
            .collect::<Vec<_>>()
            .join(", "),
        survivor.display_name()
    );
    let batch = journal::begin(
        conn,
        user.id,
        BatchKind::Merge,
        &result.updated_at,
        &summary,
    )
    .await?;
    // The folded contacts go first: their email and phone move to the survivor.
    for gone in folded {
        crate::activity::move_activities(conn, batch, gone.id, survivor.id).await?;
        crate::notify::retarget(conn, batch, gone.id, &result).await?;
        drop_terms(conn, gone).await?;
        sqlx::query("DELETE FROM contacts WHERE id = ?")
            .bind(gone.id)
            .execute(&mut *conn)
            .await?;
        journal::record(conn, batch, ENTITY, gone.id, Op::Delete, Some(gone), None).await?;
    }
    drop_terms(conn, survivor).await?;
    write_row(conn, &result, false).await?;
    journal::record(
        conn,
        batch,
        ENTITY,
        result.id,
        Op::Update,
        Some(survivor),
        Some(&result),
    )
    .await?;
    crate::notify::retarget(conn, batch, result.id, &result).await?;
    Ok(result)
}

pub async fn get(store: &Store, user: &User, id: &str) -> Result<Contact> {
    let id = parse_id(id)?;
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    let row = visible_row(&mut conn, &scope, id).await?;
    to_contact(&mut conn, row).await
}

/// Deletes contact `id` permanently: no undo; the journal keeps a tombstone only.
pub async fn delete(store: &Store, user: &User, id: &str) -> Result<()> {
    let id = parse_id(id)?;
    let mut tx = store.pool().begin().await?;
    let scope = users::scope(&mut tx, user).await?;
    let row = visible_row(&mut tx, &scope, id).await?;
    crate::activity::unlink_deleted(&mut tx, id).await?;
    crate::notify::unlink_deleted(&mut tx, id).await?;
    drop_terms(&mut tx, &row).await?;
    sqlx::query("DELETE FROM contacts WHERE id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let batch = journal::begin(
        &mut tx,
        user.id,
        BatchKind::Delete,
        &now(),
        &format!("Deleted contact {id}"),
    )
    .await?;
    journal::tombstone(&mut tx, batch, ENTITY, id).await?;
    tx.commit().await?;
    Ok(())
}

/// One page of the contacts `user` may see.
pub async fn list(store: &Store, user: &User, query: &ListQuery) -> Result<ContactPage> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    search::page(&mut conn, &scope, query).await
}

/// How many contacts the database holds.
pub async fn count(store: &Store) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'contacts'")
            .fetch_one(store.pool())
            .await?,
    )
}

/// What `add_many` did: how many contacts it added, and each refused entry's position
/// (0-based) with its reason.
#[derive(Debug, Default)]
pub struct AddManyReport {
    pub added: u64,
    pub rejected: Vec<(usize, Error)>,
}

/// Adds many contacts owned by `user` in one transaction and one journal batch (kind
/// `import`): an entry that breaks a rule is refused with its reason, the others land.
/// The bulk path of imports and of the benchmark's generator.
pub async fn add_many(
    store: &Store,
    user: &User,
    entries: impl IntoIterator<Item = ContactFields>,
    summary: &str,
) -> Result<AddManyReport> {
    let mut tx = store.pool().begin().await?;
    let scope = users::scope(&mut tx, user).await?;
    let region = settings::default_region(&mut tx).await?;
    let batch = journal::begin(&mut tx, user.id, BatchKind::Import, &now(), summary).await?;
    let mut report = AddManyReport::default();
    for (i, fields) in entries.into_iter().enumerate() {
        let mut row = ContactRow::blank(user.id, now());
        let checked = match row.apply(&fields, &region) {
            Ok(()) => refuse_taken(&mut tx, &scope, &row).await,
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            if e.code() == crate::ErrorCode::Internal {
                return Err(e);
            }
            report.rejected.push((i, e));
            continue;
        }
        row.id = write_row(&mut tx, &row, true).await?;
        journal::record(&mut tx, batch, ENTITY, row.id, Op::Insert, None, Some(&row)).await?;
        report.added += 1;
    }
    tx.commit().await?;
    Ok(report)
}
