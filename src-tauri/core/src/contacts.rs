//! Adding, editing, showing, listing and deleting contacts: each one transaction through
//! the write funnel (row, search words, journal, notifications, change feed), or nothing.

use sqlx::SqliteConnection;

use crate::error::{Error, Result};
use crate::funnel::{Funnel, Source};
use crate::journal::BatchKind;
use crate::record::{Contact, ContactFields, ContactRow, FIELDS};
use crate::rows::visible_row;
pub use crate::rows::{load_row, parse_id};
use crate::search::{self, ContactPage, ListQuery, Scope};
use crate::settings;
use crate::store::{now, Store};
use crate::users::{self, User};
use crate::{identity, merge};

/// Why a save that meets a contact the user may not see is refused (the seed's words).
pub(crate) const CANNOT_SAVE: &str = "its email or mobile phone belongs to a contact you do not have access to. Ask your administrator to resolve the contact record conflict.";

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
        return Err(Error::CannotSave(CANNOT_SAVE.into()));
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

/// Adds a contact owned by `owner` (default: the acting user); a taken email or mobile
/// phone merges into its holder when `merge` confirms it (else Error::MergeNeeded). `source`
/// is what the change feed records it as (the window's and the command line's are Manual).
pub async fn add(
    store: &Store,
    user: &User,
    fields: &ContactFields,
    owner: Option<&str>,
    merge: bool,
    source: Source,
) -> Result<Contact> {
    let mut tx = store.write().await?;
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
    row.apply(fields.clone(), &region)?;
    let saved = save(&mut tx, user, &scope, None, row, merge, source).await?;
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
    source: Source,
) -> Result<Contact> {
    let id = parse_id(id)?;
    let mut tx = store.write().await?;
    let scope = users::scope(&mut tx, user).await?;
    let before = visible_row(&mut tx, &scope, id).await?;
    let region = settings::default_region(&mut tx).await?;
    let mut row = before.clone();
    row.apply(fields.clone(), &region)?;
    if row == before {
        return to_contact(&mut tx, row).await;
    }
    row.updated_at = now();
    let saved = save(&mut tx, user, &scope, Some(&before), row, merge, source).await?;
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
    source: Source,
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
        let summary = format!("{verb} {}", entry.display_name());
        let funnel =
            Funnel::begin(conn, user.id, kind, &entry.updated_at, &summary, source).await?;
        return match original {
            Some(before) => {
                funnel.update(conn, before, &entry).await?;
                Ok(entry)
            }
            None => funnel.create(conn, &entry).await,
        };
    };
    if found.rows().iter().any(|r| !scope.allows(r.owner_id)) {
        return Err(Error::CannotSave(CANNOT_SAVE.into()));
    }
    // The other holders (the phone's, when the email names the survivor) and the edited
    // contact fold into the survivor.
    let others: Vec<&ContactRow> = found.rows().into_iter().skip(1).collect();
    let folded: Vec<&ContactRow> = others.iter().copied().chain(original).collect();
    let merge_with = found
        .rows()
        .iter()
        .map(|r| r.id.to_string())
        .chain(original.map(|o| o.id.to_string()))
        .collect();
    // Existing data is safely retained: what the other holders have fills what the entry
    // and the survivor both leave blank (after the entry's own values), so the plan shows it.
    let mut entry = entry;
    for other in &others {
        for field in FIELDS {
            if entry.get(field).is_none() && survivor.get(field).is_none() {
                entry.set(field, other.get(field));
            }
        }
    }
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
    let funnel = Funnel::begin(
        conn,
        user.id,
        BatchKind::Merge,
        &result.updated_at,
        &summary,
        source,
    )
    .await?;
    // The folded contacts go first: their email and phone move to the survivor.
    for gone in folded {
        funnel.fold(conn, gone, &result).await?;
    }
    funnel.update(conn, survivor, &result).await?;
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
pub async fn delete(store: &Store, user: &User, id: &str, source: Source) -> Result<()> {
    let id = parse_id(id)?;
    let mut tx = store.write().await?;
    let scope = users::scope(&mut tx, user).await?;
    let row = visible_row(&mut tx, &scope, id).await?;
    let funnel = Funnel::begin(
        &mut tx,
        user.id,
        BatchKind::Delete,
        &now(),
        &format!("Deleted contact {id}"),
        source,
    )
    .await?;
    funnel.delete(&mut tx, &row).await?;
    tx.commit().await?;
    // The WAL still holds the pages as they were before the delete: copied into the file
    // (whose freed bytes secure_delete overwrote) and emptied, when no reader needs them.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .ok();
    Ok(())
}

/// One page of the contacts `user` may see, narrowed by the query's Status and Owner
/// filters (an owner the user may not see leaves nothing; one who does not exist is refused).
pub async fn list(store: &Store, user: &User, query: &ListQuery) -> Result<ContactPage> {
    let mut conn = store.pool().acquire().await?;
    let mut scope = users::scope(&mut conn, user).await?;
    if let Some(email) = query.owner.as_deref().filter(|o| !o.trim().is_empty()) {
        let owner = users::find_by_email(&mut conn, email)
            .await?
            .ok_or_else(|| {
                Error::invalid("owner", format!("no user with email {}", email.trim()))
            })?;
        scope = scope.narrowed_to(owner.id);
    }
    let status = match query.status.as_deref() {
        Some(s) => crate::record::normalize_status(s)?,
        None => None,
    };
    let within = search::Within {
        scope: &scope,
        status: status.as_deref(),
    };
    search::page(&mut conn, &within, query).await
}

/// The most contacts one page of `list_after` holds.
pub const MAX_PAGE: u32 = 1_000;

/// One page of the contacts `user` may see that match `search`, in id order after contact
/// `after` (the last id of the previous page; None or 0 from the start): the local API's cursor,
/// which stays put however the contacts around it change.
pub async fn list_after(
    store: &Store,
    user: &User,
    search: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<ContactPage> {
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::invalid(
            "limit",
            format!("a page holds 1 to {MAX_PAGE} contacts"),
        ));
    }
    let after = match after.map(str::trim).filter(|a| !a.is_empty()) {
        None => 0,
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| Error::invalid("after", format!("\"{a}\" is not a contact id")))?,
    };
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    search::page_after(&mut conn, &scope, search, after, limit).await
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
    let mut tx = store.write().await?;
    let scope = users::scope(&mut tx, user).await?;
    let region = settings::default_region(&mut tx).await?;
    let funnel = Funnel::begin(
        &mut tx,
        user.id,
        BatchKind::Import,
        &now(),
        summary,
        Source::Import,
    )
    .await?;
    let mut report = AddManyReport::default();
    for (i, fields) in entries.into_iter().enumerate() {
        let mut row = ContactRow::blank(user.id, now());
        let checked = match row.apply(fields, &region) {
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
        funnel.create(&mut tx, &row).await?;
        report.added += 1;
    }
    tx.commit().await?;
    Ok(report)
}
