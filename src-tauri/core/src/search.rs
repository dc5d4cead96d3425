//! Type-ahead search and paging in SQL: word prefixes over a sorted term index, planned so
//! that a page costs a bounded amount of work even over a million contacts.
//!
//! A prefix is a range over `search_terms.term`. When the rarest word of the query has few
//! matches, they are all fetched and sorted (cheap: few). When it has many, matches are
//! dense, so walking the contacts in the requested order and testing each one finds a page
//! after a short walk; if the matches turn out to be clustered (a common surname, say) and
//! the walk runs past its budget, the matches are fetched and sorted after all.

use serde::{Deserialize, Serialize};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use unicode_normalization::UnicodeNormalization;

use crate::contact::{Contact, ContactRow};
use crate::error::Result;
use crate::phone;

/// Below this many term matches for its rarest word, a search fetches and sorts them all.
const SPARSE_LIMIT: i64 = 5_000;
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

/// Folds text for matching: decomposed, marks dropped, lowercased ("José" matches "jose").
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of `text` as the index stores them.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let folded = fold(text);
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
}

/// The words a search query asks for. A query that looks like a phone number
/// ("+44 7700 900", "(555) 010-99") is one run of digits, as phones are indexed.
pub fn query_words(query: &str) -> Vec<String> {
    let q = query.trim();
    let phone_like = q.chars().any(|c| c.is_ascii_digit())
        && q.chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let mut out: Vec<String> = if phone_like {
        vec![q.chars().filter(|c| c.is_ascii_digit()).collect()]
    } else {
        words(q).collect()
    };
    out.sort();
    out.dedup();
    // "ann" is implied by "anna": keep only words no other word extends.
    let all = out.clone();
    out.retain(|w| !all.iter().any(|o| o != w && o.starts_with(w.as_str())));
    out
}

/// Everything about a contact that search and sorting derive from its fields.
pub struct Derived {
    pub sort_name: String,
    pub terms: Vec<String>,
    /// " term1 term2 ...": lets a walk test a word prefix with one instr().
    pub search_text: String,
}

pub fn derive(row: &ContactRow) -> Derived {
    let mut terms: Vec<String> = Vec::new();
    for text in [&row.first_name, &row.last_name, &row.company, &row.email]
        .into_iter()
        .flatten()
    {
        terms.extend(words(text));
    }
    for number in [&row.mobile_phone, &row.phone].into_iter().flatten() {
        terms.push(number.trim_start_matches('+').to_string());
        if let Some(national) = phone::national_digits(number) {
            terms.push(national);
        }
    }
    terms.sort();
    terms.dedup();
    let name = fold(
        &[&row.last_name, &row.first_name]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let sort_name = if !name.is_empty() {
        name
    } else {
        row.email
            .clone()
            .or_else(|| row.mobile_phone.clone())
            .unwrap_or_default()
    };
    let mut search_text = String::with_capacity(terms.iter().map(|t| t.len() + 1).sum());
    for t in &terms {
        search_text.push(' ');
        search_text.push_str(t);
    }
    Derived {
        sort_name,
        terms,
        search_text,
    }
}

/// The end of the range of terms that start with `prefix`.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
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

fn push_words(qb: &mut QueryBuilder<'_, Sqlite>, words: &[String]) {
    for w in words {
        qb.push(" AND instr(c.search_text, ")
            .push_bind(format!(" {w}"))
            .push(") > 0");
    }
}

/// One page of contacts for `query`, within `scope`.
pub async fn page(
    conn: &mut SqliteConnection,
    scope: &Scope,
    query: &ListQuery,
) -> Result<ContactPage> {
    let limit = i64::from(query.limit.clamp(1, 1_000));
    let offset = i64::from(query.offset);
    let words = query_words(&query.search);
    if words.is_empty() {
        return plain_page(conn, scope, query, limit, offset).await;
    }
    // The rarest word decides the plan.
    let mut rarest: Option<(String, i64)> = None;
    for w in &words {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT 1 FROM search_terms WHERE term >= ?1 AND term < ?2 LIMIT ?3)",
        )
        .bind(w)
        .bind(prefix_end(w))
        .bind(SPARSE_LIMIT)
        .fetch_one(&mut *conn)
        .await?;
        if rarest.as_ref().is_none_or(|(_, best)| n < *best) {
            rarest = Some((w.clone(), n));
        }
    }
    let (rare, count) = rarest.expect("query_words is not empty");
    if count >= SPARSE_LIMIT {
        if let Some(page) = walk_page(conn, scope, query, &words, limit, offset).await? {
            return Ok(page);
        }
    }
    let sparse = count < SPARSE_LIMIT;
    gathered_page(conn, scope, query, &words, &rare, sparse, limit, offset).await
}

async fn plain_page(
    conn: &mut SqliteConnection,
    scope: &Scope,
    query: &ListQuery,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let total: i64 = match scope {
        Scope::All => {
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'contacts'")
                .fetch_one(&mut *conn)
                .await?
        }
        Scope::Owners(_) => {
            let mut qb = QueryBuilder::new("SELECT count(*) FROM contacts c WHERE 1");
            push_scope(&mut qb, scope);
            qb.build_query_scalar().fetch_one(&mut *conn).await?
        }
    };
    let mut qb = QueryBuilder::new(SELECT_CONTACT);
    qb.push(" WHERE 1");
    push_scope(&mut qb, scope);
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
    scope: &Scope,
    query: &ListQuery,
    words: &[String],
    limit: i64,
    offset: i64,
) -> Result<Option<ContactPage>> {
    let budget = WALK_BUDGET.max((offset + limit + 1) * WALK_PER_ROW);
    let order = query.sort.order_by(query.descending);
    let mut qb =
        QueryBuilder::new("SELECT w.id FROM (SELECT c.id, c.search_text FROM contacts c WHERE 1");
    push_scope(&mut qb, scope);
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

/// Sparse (or clustered) matches: gather every contact matching the rarest word, test the
/// other words, sort, and cut the page out. The total comes for free.
#[allow(clippy::too_many_arguments)]
async fn gathered_page(
    conn: &mut SqliteConnection,
    scope: &Scope,
    query: &ListQuery,
    words: &[String],
    rare: &str,
    sparse: bool,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let order = query.sort.order_by(query.descending);
    let single_by_name = words.len() == 1 && query.sort == SortColumn::Name && *scope == Scope::All;
    if single_by_name {
        return gathered_by_name(conn, query, rare, sparse, limit, offset).await;
    }
    // Materialised and CROSS JOINed so SQLite visits just these contacts, rather than
    // walking a whole index in the requested order and testing each for membership.
    let mut qb = QueryBuilder::new(
        "WITH m(id) AS MATERIALIZED (SELECT DISTINCT contact_id FROM search_terms WHERE term >= ",
    );
    qb.push_bind(rare.to_string())
        .push(" AND term < ")
        .push_bind(prefix_end(rare))
        .push(") SELECT c.id FROM m CROSS JOIN contacts c ON c.id = m.id WHERE 1");
    push_scope(&mut qb, scope);
    push_words(&mut qb, words);
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

/// One word, name order: the term index carries sort_name, so the page comes out of the
/// index with a bounded sort, without visiting any contact but the page's own.
async fn gathered_by_name(
    conn: &mut SqliteConnection,
    query: &ListQuery,
    word: &str,
    sparse: bool,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let wanted = (offset + limit + 1) as usize;
    // Few matches: take them all, which gives the total. Many: a contact may match through
    // several of its words, so ask for a few extra rows, and for the whole range in the
    // rare case that was not enough.
    let mut cap = (!sparse).then_some((wanted * 4) as i64);
    loop {
        let sql = format!(
            "SELECT contact_id FROM search_terms WHERE term >= ?1 AND term < ?2 \
             ORDER BY sort_name {dir}, contact_id {dir} LIMIT ?3"
        );
        let entries: Vec<i64> = sqlx::query_scalar(&sql)
            .bind(word)
            .bind(prefix_end(word))
            .bind(cap.unwrap_or(-1))
            .fetch_all(&mut *conn)
            .await?;
        let complete = cap.is_none_or(|c| (entries.len() as i64) < c);
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        let distinct: Vec<i64> = entries.into_iter().filter(|id| seen.insert(*id)).collect();
        if distinct.len() >= wanted || complete {
            let has_more = distinct.len() > (offset + limit) as usize;
            let ids: Vec<i64> = distinct
                .iter()
                .copied()
                .skip(offset as usize)
                .take(limit as usize)
                .collect();
            let rows = fetch_ids(conn, &ids, &query.sort.order_by(query.descending)).await?;
            return Ok(ContactPage {
                rows,
                total: complete.then_some(distinct.len() as u32),
                has_more,
            });
        }
        cap = None;
    }
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
