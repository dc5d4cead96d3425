//! Type-ahead search and paging in SQL, planned so that a page costs a bounded amount of
//! work even over a million contacts.
//!
//! Every word of every contact is a row of `search_terms`, kept in name order per word; a
//! prefix's distinct words are found by seeking from one word to the next. A query word is
//! a prefix:
//! - a *narrow* prefix (few distinct words, say "smi": smith, smits) drives the search: its
//!   words' contacts are read in name order, a short walk per word, and each candidate is
//!   tested for the other query words on the covering name index (search/driven.rs);
//! - a query of only *broad* prefixes ("s", "jo") matches densely, so walking all contacts
//!   in order and testing each finds a page quickly (within a budget; past it, the matches
//!   are gathered and sorted after all).
//!
//! Other sort orders gather the matches and sort them.

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::Result;
use crate::record::{Contact, ContactRow};
use crate::words::query_words;

mod driven;
use driven::{count_in_span, driven_page, Driver};

/// A prefix with at most this many distinct words is narrow: it can drive a search.
const NARROW: usize = 8;
/// Up to this many matches, a search also counts them (the window shows the total).
const COUNT_LIMIT: i64 = 5_000;
/// How many contacts a dense search may walk before it gives up walking (about 7 ms over
/// the covering name index); deeper pages may walk proportionally further.
const WALK_BUDGET: i64 = 40_000;
const WALK_PER_ROW: i64 = 100;

/// The columns the table can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    #[default]
    Name,
    Email,
    MobilePhone,
    Company,
    JobTitle,
    UpdatedAt,
}

impl SortColumn {
    fn order_by(self, descending: bool) -> String {
        let key = match self {
            SortColumn::Name => "c.sort_name",
            SortColumn::Email => "c.email",
            SortColumn::MobilePhone => "c.mobile_phone",
            SortColumn::Company => "c.company COLLATE NOCASE",
            SortColumn::JobTitle => "c.job_title COLLATE NOCASE",
            SortColumn::UpdatedAt => "c.updated_at",
        };
        let dir = if descending { "DESC" } else { "ASC" };
        format!("{key} {dir}, c.id {dir}")
    }
}

/// One page of the contacts table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, specta::Type)]
pub struct ListQuery {
    /// Words whose prefixes must all match (names, email, phones, company).
    pub search: String,
    pub sort: SortColumn,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
    /// Only contacts with this status (as `record::normalize_status` reads it), when given.
    #[serde(default)]
    pub status: Option<String>,
    /// Only contacts owned by this user (their email), when given.
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct ContactPage {
    pub rows: Vec<Contact>,
    /// How many contacts match in all; None when a search matches too many to count cheaply.
    pub total: Option<u32>,
    /// Whether rows follow this page.
    pub has_more: bool,
}

/// Which contacts a user may see: all of them, or those of these owners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Owners(Vec<i64>),
}

impl Scope {
    /// The part of this scope that `owner` owns: the table's Owner filter.
    pub fn narrowed_to(&self, owner: i64) -> Scope {
        Scope::Owners(if self.allows(owner) {
            vec![owner]
        } else {
            Vec::new()
        })
    }
}

/// The contacts a page may show: the user's scope (the Owner filter narrows it) and the
/// Status filter.
#[derive(Debug, Clone, Copy)]
pub struct Within<'a> {
    pub scope: &'a Scope,
    /// A status as stored ("Sales qualified"), or None for any.
    pub status: Option<&'a str>,
}

impl Within<'_> {
    fn everything(&self) -> bool {
        *self.scope == Scope::All && self.status.is_none()
    }
}

/// The end of the range of terms that start with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The first `limit` distinct words of the index that start with `prefix`, in order: one
/// seek each past the previous word's contacts, however many contacts a word has.
async fn prefix_terms(
    conn: &mut SqliteConnection,
    prefix: &str,
    limit: usize,
) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "WITH RECURSIVE t(term) AS ( \
             SELECT (SELECT term FROM search_terms WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT 1) \
             UNION ALL \
             SELECT (SELECT s.term FROM search_terms s WHERE s.term > t.term AND s.term < ?2 ORDER BY s.term LIMIT 1) \
             FROM t WHERE t.term IS NOT NULL) \
         SELECT term FROM t WHERE term IS NOT NULL LIMIT ?3",
    )
    .bind(prefix)
    .bind(prefix_end(prefix))
    .bind(limit as i64)
    .fetch_all(&mut *conn)
    .await?)
}

const SELECT_CONTACT: &str = "SELECT c.id, c.first_name, c.last_name, c.salutation, c.email, \
    c.mobile_phone, c.phone, c.company, c.job_title, c.street_address, c.city, c.state, \
    c.post_code, c.country, c.timezone, c.status, c.has_consent, c.notes, c.owner_id, \
    c.created_at, c.updated_at, c.last_interacted_at, u.email AS owner_email \
    FROM contacts c JOIN users u ON u.id = c.owner_id";

#[derive(sqlx::FromRow)]
struct ListedRow {
    #[sqlx(flatten)]
    row: ContactRow,
    owner_email: String,
}

fn push_scope(qb: &mut QueryBuilder<'_, Sqlite>, scope: &Scope) {
    if let Scope::Owners(ids) = scope {
        qb.push(" AND c.owner_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(*id);
        }
        if ids.is_empty() {
            sep.push("NULL");
        }
        qb.push(")");
    }
}

/// The scope and the Status filter: the status index (partial, name order, owners covered)
/// serves both.
fn push_within(qb: &mut QueryBuilder<'_, Sqlite>, within: &Within<'_>) {
    push_scope(qb, within.scope);
    if let Some(status) = within.status {
        qb.push(" AND c.status = ").push_bind(status.to_string());
    }
}

fn push_words(qb: &mut QueryBuilder<'_, Sqlite>, words: &[String]) {
    for w in words {
        qb.push(" AND instr(c.search_text, ")
            .push_bind(format!(" {w}"))
            .push(") > 0");
    }
}

/// One page of contacts for `query`, within its scope and filters.
pub async fn page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
) -> Result<ContactPage> {
    let limit = i64::from(query.limit.clamp(1, 1_000));
    let offset = i64::from(query.offset);
    let words = query_words(&query.search);
    if words.is_empty() {
        return plain_page(conn, within, query, limit, offset).await;
    }
    // What each word's prefix covers: its distinct words (up to NARROW + 1). Narrow words
    // also bound where in name order a match can be: a contact matching "john" and "smi"
    // sorts among the Smiths.
    let mut narrow: Vec<(usize, Vec<String>)> = Vec::new();
    let mut span: Option<(String, String)> = None;
    for (i, w) in words.iter().enumerate() {
        let terms = prefix_terms(conn, w, NARROW + 1).await?;
        if terms.is_empty() {
            return Ok(ContactPage {
                rows: Vec::new(),
                total: Some(0),
                has_more: false,
            });
        }
        if terms.len() <= NARROW {
            let (lo, hi): (String, String) = sqlx::query_as(
                "SELECT min((SELECT sort_name FROM search_terms t WHERE t.term = v.value ORDER BY sort_name LIMIT 1)), \
                        max((SELECT sort_name FROM search_terms t WHERE t.term = v.value ORDER BY sort_name DESC LIMIT 1)) \
                 FROM json_each(?1) v",
            )
            .bind(crate::error::json(&terms)?)
            .fetch_one(&mut *conn)
            .await?;
            span = Some(match span {
                None => (lo, hi),
                Some((a, b)) => (a.max(lo), b.min(hi)),
            });
            narrow.push((i, terms));
        }
    }
    let narrow_first = narrow.first().cloned();
    if let (SortColumn::Name, Some(span)) = (query.sort, &span) {
        if span.0 > span.1 {
            return Ok(ContactPage {
                rows: Vec::new(),
                total: Some(0),
                has_more: false,
            });
        }
        // The driver is the narrow word with the fewest contacts inside the span.
        let mut best: Option<(usize, Vec<String>, i64)> = None;
        for (i, terms) in narrow {
            // Past COUNT_LIMIT the number only says "many".
            let count = count_in_span(conn, &terms, span, COUNT_LIMIT + 1).await?;
            if best.as_ref().is_none_or(|(_, _, n)| count < *n) {
                best = Some((i, terms, count));
            }
        }
        let (i, terms, count) = best.expect("a span comes from a narrow word");
        let others: Vec<String> = words
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, w)| w.clone())
            .collect();
        let driver = Driver {
            terms: &terms,
            count,
            span,
            others: &others,
        };
        return driven_page(conn, within, query, &driver, limit, offset).await;
    }
    if let Some(page) = walk_page(conn, within, query, &words, limit, offset).await? {
        return Ok(page);
    }
    // Gather through a narrow word when there is one: it has the fewest matches.
    let mut words = words;
    if let Some((i, _)) = narrow_first {
        words.swap(0, i);
    }
    gathered_page(conn, within, query, &words, limit, offset).await
}

async fn plain_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let total: i64 = if within.everything() {
        sqlx::query_scalar("SELECT value FROM counters WHERE name = 'contacts'")
            .fetch_one(&mut *conn)
            .await?
    } else {
        let mut qb = QueryBuilder::new("SELECT count(*) FROM contacts c WHERE 1");
        push_within(&mut qb, within);
        qb.build_query_scalar().fetch_one(&mut *conn).await?
    };
    let mut qb = QueryBuilder::new(SELECT_CONTACT);
    qb.push(" WHERE 1");
    push_within(&mut qb, within);
    qb.push(" ORDER BY ")
        .push(query.sort.order_by(query.descending))
        .push(" LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let rows = fetch(conn, qb).await?;
    Ok(ContactPage {
        has_more: offset + (rows.len() as i64) < total,
        rows,
        total: Some(total as u32),
    })
}

/// Dense matches: walk contacts in order, testing each, within a budget of rows walked.
/// None when the budget ran out before the page filled (the matches are clustered).
async fn walk_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    words: &[String],
    limit: i64,
    offset: i64,
) -> Result<Option<ContactPage>> {
    let budget = WALK_BUDGET.max((offset + limit + 1) * WALK_PER_ROW);
    let order = query.sort.order_by(query.descending);
    let mut qb =
        QueryBuilder::new("SELECT w.id FROM (SELECT c.id, c.search_text FROM contacts c WHERE 1");
    push_within(&mut qb, within);
    qb.push(" ORDER BY ")
        .push(&order)
        .push(" LIMIT ")
        .push_bind(budget)
        .push(") AS w WHERE 1");
    for w in words {
        qb.push(" AND instr(w.search_text, ")
            .push_bind(format!(" {w}"))
            .push(") > 0");
    }
    qb.push(" LIMIT ")
        .push_bind(limit + 1)
        .push(" OFFSET ")
        .push_bind(offset);
    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    if (ids.len() as i64) <= limit {
        return Ok(None);
    }
    let rows = fetch_ids(conn, &ids[..limit as usize], &order).await?;
    Ok(Some(ContactPage {
        rows,
        total: None,
        has_more: true,
    }))
}

/// Any order: gather every contact matching all words (through the term index of the
/// first word), sort, and cut the page out. The total comes with it.
async fn gathered_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    words: &[String],
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let order = query.sort.order_by(query.descending);
    // Materialised and CROSS JOINed so SQLite visits just these contacts, rather than
    // walking a whole index in the requested order and testing each for membership.
    let mut qb = QueryBuilder::new(
        "WITH m(id) AS MATERIALIZED (SELECT DISTINCT contact_id FROM search_terms WHERE term >= ",
    );
    qb.push_bind(words[0].clone())
        .push(" AND term < ")
        .push_bind(prefix_end(&words[0]))
        .push(") SELECT c.id FROM m CROSS JOIN contacts c ON c.id = m.id WHERE 1");
    push_within(&mut qb, within);
    push_words(&mut qb, &words[1..]);
    qb.push(" ORDER BY ").push(&order);
    let all: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    let total = all.len() as i64;
    let ids: Vec<i64> = all
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    let rows = fetch_ids(conn, &ids, &order).await?;
    Ok(ContactPage {
        has_more: offset + (rows.len() as i64) < total,
        rows,
        total: Some(total as u32),
    })
}

/// One page of the contacts matching `search` within `scope`, in id order after contact
/// `after` (0: from the start): the local API's cursor. As `page` does, it walks contacts in
/// order testing each (within a budget) when matches are dense, else gathers the matches of
/// the query word with the fewest distinct words.
pub async fn page_after(
    conn: &mut SqliteConnection,
    scope: &Scope,
    search: &str,
    after: i64,
    limit: u32,
) -> Result<ContactPage> {
    let limit = i64::from(limit.clamp(1, 1_000));
    let words = query_words(search);
    // Walk the ids in order, testing each contact's words: with no words, the whole plan.
    let mut qb = QueryBuilder::new(
        "SELECT w.id FROM (SELECT c.id, c.search_text FROM contacts c WHERE c.id > ",
    );
    qb.push_bind(after);
    push_scope(&mut qb, scope);
    qb.push(" ORDER BY c.id");
    if !words.is_empty() {
        qb.push(" LIMIT ")
            .push_bind(WALK_BUDGET.max((limit + 1) * WALK_PER_ROW));
    }
    qb.push(") AS w WHERE 1");
    for w in &words {
        qb.push(" AND instr(w.search_text, ")
            .push_bind(format!(" {w}"))
            .push(") > 0");
    }
    qb.push(" LIMIT ").push_bind(limit + 1);
    let mut ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    if !words.is_empty() && (ids.len() as i64) <= limit {
        // The budget ran out before the page filled: gather through the narrowest word.
        let mut narrowest = (usize::MAX, 0);
        for (i, w) in words.iter().enumerate() {
            let n = prefix_terms(conn, w, NARROW + 1).await?.len();
            if n < narrowest.0 {
                narrowest = (n, i);
            }
        }
        let first = &words[narrowest.1];
        let mut qb = QueryBuilder::new(
            "WITH m(id) AS MATERIALIZED (SELECT DISTINCT contact_id FROM search_terms WHERE term >= ",
        );
        qb.push_bind(first.clone())
            .push(" AND term < ")
            .push_bind(prefix_end(first))
            .push(" AND contact_id > ")
            .push_bind(after)
            .push(") SELECT c.id FROM m CROSS JOIN contacts c ON c.id = m.id WHERE 1");
        push_scope(&mut qb, scope);
        let others: Vec<String> = words.iter().filter(|w| *w != first).cloned().collect();
        push_words(&mut qb, &others);
        qb.push(" ORDER BY c.id LIMIT ").push_bind(limit + 1);
        ids = qb.build_query_scalar().fetch_all(&mut *conn).await?;
    }
    let has_more = ids.len() as i64 > limit;
    ids.truncate(limit as usize);
    Ok(ContactPage {
        rows: fetch_ids(conn, &ids, "c.id ASC").await?,
        total: None,
        has_more,
    })
}

async fn fetch_ids(conn: &mut SqliteConnection, ids: &[i64], order: &str) -> Result<Vec<Contact>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::new(SELECT_CONTACT);
    qb.push(" WHERE c.id IN (");
    let mut sep = qb.separated(", ");
    for id in ids {
        sep.push_bind(*id);
    }
    qb.push(") ORDER BY ").push(order);
    fetch(conn, qb).await
}

async fn fetch(
    conn: &mut SqliteConnection,
    mut qb: QueryBuilder<'_, Sqlite>,
) -> Result<Vec<Contact>> {
    let rows: Vec<ListedRow> = qb.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|r| r.row.into_contact(r.owner_email))
        .collect())
}
