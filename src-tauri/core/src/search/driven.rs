//! Name order led by a narrow word (search.rs's plan for most typed queries): its words'
//! contacts are read in name order inside the span where every query word can match, and
//! the other words are tested on the covering name index. A short read fills a page when
//! matches come early; when every entry in the span is to be read anyway, it is read at
//! once and counted. SQLite reads and tests the entries; only the page crosses into Rust.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::Result;
use crate::words::push_terms;

use super::{fetch_ids, push_within, push_words, ContactPage, ListQuery, Within, COUNT_LIMIT};

/// How many index entries `terms` have inside `span`, counting no further than `cap`.
pub(super) async fn count_in_span(
    conn: &mut SqliteConnection,
    terms: &[String],
    span: &(String, String),
    cap: i64,
) -> Result<i64> {
    let mut qb =
        QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM search_terms WHERE sort_name >= ");
    qb.push_bind(span.0.clone())
        .push(" AND sort_name <= ")
        .push_bind(span.1.clone());
    push_terms(&mut qb, terms);
    qb.push(" LIMIT ").push_bind(cap).push(")");
    Ok(qb.build_query_scalar().fetch_one(&mut *conn).await?)
}

/// The narrow word that leads a search: its distinct words, how many contacts have them,
/// the span of name order where every query word can match, and the other query words its
/// contacts are tested for.
#[derive(Clone, Copy)]
pub(super) struct Driver<'a> {
    pub(super) terms: &'a [String],
    pub(super) count: i64,
    pub(super) span: &'a (String, String),
    pub(super) others: &'a [String],
}

/// Name order, led by a narrow word: each of its words' contacts are read in name order up
/// to where the read is certain (`cut`), the other query words and the filters tested on
/// the covering name index, and the read grows only until the page is full; or the whole
/// span is read (`whole_span_page`). Either way SQLite reads and tests the entries and only
/// the page's contacts cross into Rust (as rows, each cost about as much as SQLite's test).
pub(super) async fn driven_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    driver: &Driver<'_>,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    // Its count grows exact as the read grows (below).
    let mut driver = *driver;
    let dir = if query.descending { "DESC" } else { "ASC" };
    let wanted = offset + limit + 1;
    // Read all of the word's contacts in the span when few; else enough for the page
    // (more when other words filter them or one contact matches through two words).
    let mut k = if driver.count <= COUNT_LIMIT {
        driver.count
    } else {
        wanted
    };
    // Past COUNT_LIMIT, `count` only says "at least this many" until the span is counted.
    let mut exact = driver.count <= COUNT_LIMIT;
    loop {
        let Some(cut) = (if k >= driver.count {
            None
        } else {
            cut(conn, &driver, k, query.descending).await?
        }) else {
            return whole_span_page(conn, within, query, &driver, limit, offset).await;
        };
        let mut qb = QueryBuilder::new("");
        push_matches(&mut qb, within, &driver, Some((&cut, query.descending)));
        qb.push(format!(
            " ORDER BY t.sort_name {dir}, t.contact_id {dir} LIMIT "
        ))
        .push_bind(wanted);
        let read: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        if (read.len() as i64) >= wanted {
            let page: Vec<i64> = read
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|(id, _)| id)
                .collect();
            let rows = fetch_ids(conn, &page, &query.sort.order_by(query.descending)).await?;
            return Ok(ContactPage {
                rows,
                total: None,
                has_more: true,
            });
        }
        // Grow by what this pass found: the next one should fill the page. Past half of
        // the span, the whole span costs less than a longer short read.
        let found = read.len() as i64;
        k = if found == 0 {
            k * 8
        } else {
            k * wanted * 5 / (4 * found) + 1
        };
        if !exact {
            // Whether the span holds more than twice the next read, counted no further
            // (the 65,000 entries of "la" took 3-4 ms to count whole).
            driver.count = count_in_span(conn, driver.terms, driver.span, 2 * k + 1).await?;
            exact = driver.count <= 2 * k;
        }
        if k * 2 >= driver.count {
            k = driver.count;
        }
    }
}

/// Where a short read of about `k` entries per word ends: the earliest of the words' k-th
/// entries in the span, in the walk's direction. Every entry of every word up to it is
/// read, so what the read finds there is the start of the answer, in order; the earliest
/// end keeps each word's read within `k` entries. None when no word has `k` entries in the
/// span: the read is the whole span.
async fn cut(
    conn: &mut SqliteConnection,
    driver: &Driver<'_>,
    k: i64,
    descending: bool,
) -> Result<Option<(String, i64)>> {
    let dir = if descending { "DESC" } else { "ASC" };
    let mut qb = QueryBuilder::new("");
    for (n, t) in driver.terms.iter().enumerate() {
        if n > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT * FROM (SELECT sort_name, contact_id FROM search_terms WHERE term = ")
            .push_bind(t.clone())
            .push(" AND sort_name >= ")
            .push_bind(driver.span.0.clone())
            .push(" AND sort_name <= ")
            .push_bind(driver.span.1.clone())
            .push(format!(
                " ORDER BY sort_name {dir}, contact_id {dir} LIMIT 1 OFFSET "
            ))
            .push_bind(k - 1)
            .push(")");
    }
    let ends: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    // SQLite orders text by its bytes, as Rust orders strings.
    Ok(if descending {
        ends.into_iter().max()
    } else {
        ends.into_iter().min()
    })
}

/// `SELECT DISTINCT t.contact_id, t.sort_name`: the contacts of the driver's words inside
/// its span (up to `cut` in the walk's direction, if given) that pass the filters and the
/// other words, tested on the covering name index. A contact reached through two of the
/// words is one row.
fn push_matches(
    qb: &mut QueryBuilder<'_, Sqlite>,
    within: &Within<'_>,
    driver: &Driver<'_>,
    cut: Option<(&(String, i64), bool)>,
) {
    qb.push("SELECT DISTINCT t.contact_id, t.sort_name FROM search_terms t");
    if !driver.others.is_empty() || !within.everything() {
        qb.push(
            " JOIN contacts c INDEXED BY contacts_by_name \
             ON c.sort_name = t.sort_name AND c.id = t.contact_id",
        );
    }
    // The cut lies inside the span and ends the read on its side: given both bounds there,
    // SQLite ended each word's index range at the span's and read past the cut to it (the
    // first read of "john sm", 101 entries a word, took 1.8-3.9 ms; 0.2 ms with the cut alone).
    let (from, to) = &driver.span;
    match cut {
        None => {
            qb.push(" WHERE t.sort_name >= ")
                .push_bind(from.clone())
                .push(" AND t.sort_name <= ")
                .push_bind(to.clone());
        }
        Some(((name, id), descending)) => {
            let (start, bound, order) = match descending {
                true => (("<=", to), ">=", ">"),
                false => ((">=", from), "<=", "<"),
            };
            // The plain bound ends each word's index range; the pair settles a tie of names.
            qb.push(format!(" WHERE t.sort_name {} ", start.0))
                .push_bind(start.1.clone())
                .push(format!(" AND t.sort_name {bound} "))
                .push_bind(name.clone())
                .push(format!(" AND (t.sort_name {order} "))
                .push_bind(name.clone())
                .push(format!(" OR t.contact_id {bound} "))
                .push_bind(*id)
                .push(")");
        }
    }
    push_terms(qb, driver.terms);
    push_within(qb, within);
    push_words(qb, driver.others);
}

/// Every entry of the driver's words inside the span, read at once: SQLite merges them,
/// keeps a contact reached through two words once, tests the other words and filters on
/// the covering name index and counts what passes; only the page crosses into Rust (a
/// kowalski's five thousand entries cost 11 ms through the driver, as rows).
async fn whole_span_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    driver: &Driver<'_>,
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let mut qb = QueryBuilder::new("WITH m(id, sort_name) AS (");
    push_matches(&mut qb, within, driver, None);
    qb.push(format!(
        ") SELECT id, count(*) OVER () FROM m ORDER BY sort_name {dir}, id {dir} LIMIT "
    ))
    .push_bind(limit)
    .push(" OFFSET ")
    .push_bind(offset);
    let read: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
    let total = match read.first() {
        Some(&(_, total)) => total,
        // Past the last page: the count alone.
        None if offset > 0 => {
            return Box::pin(whole_span_page(conn, within, query, driver, 1, 0))
                .await
                .map(|first| ContactPage {
                    rows: Vec::new(),
                    has_more: false,
                    total: first.total,
                });
        }
        None => 0,
    };
    let page: Vec<i64> = read.into_iter().map(|(id, _)| id).collect();
    let rows = fetch_ids(conn, &page, &query.sort.order_by(query.descending)).await?;
    Ok(ContactPage {
        has_more: offset + (rows.len() as i64) < total,
        rows,
        total: Some(total as u32),
    })
}
