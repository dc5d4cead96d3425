//! Name order led by a narrow word (search.rs's plan for most typed queries): its words'
//! contacts are read in name order inside the span where every query word can match, and
//! the other words are tested on the covering name index. A short read fills a page when
//! matches come early; when every entry in the span is to be read anyway, SQLite reads,
//! tests and counts them all and only the page crosses into Rust.

use sqlx::{QueryBuilder, SqliteConnection};

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
/// and the span of name order where every query word can match.
pub(super) struct Driver<'a> {
    pub(super) terms: &'a [String],
    pub(super) count: i64,
    pub(super) span: &'a (String, String),
}

/// Name order, led by a narrow word: each of its words' contacts are read in name order
/// (a short walk per word, merged by SQLite), the other query words are tested on the
/// covering name index, and the walk grows only until the page is full of contacts whose
/// place is certain (`merged_certain`), or reads the whole span (`whole_span_page`).
pub(super) async fn driven_page(
    conn: &mut SqliteConnection,
    within: &Within<'_>,
    query: &ListQuery,
    driver: &Driver<'_>,
    others: &[String],
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let Driver {
        terms,
        mut count,
        span,
    } = *driver;
    let dir = if query.descending { "DESC" } else { "ASC" };
    let wanted = offset + limit + 1;
    let filtered = !others.is_empty() || !within.everything();
    // Read all of the word's contacts in the span when few; else enough for the page
    // (more when other words filter them or one contact matches through two words).
    let mut k = if count <= COUNT_LIMIT { count } else { wanted };
    loop {
        if k >= count {
            let whole = Driver { terms, count, span };
            return whole_span_page(conn, within, query, &whole, others, limit, offset).await;
        }
        let mut qb = QueryBuilder::new("WITH cand(contact_id, sort_name, n) AS (");
        for (n, t) in terms.iter().enumerate() {
            if n > 0 {
                qb.push(" UNION ALL ");
            }
            qb.push(format!("SELECT contact_id, sort_name, {n} FROM (SELECT contact_id, sort_name FROM search_terms WHERE term = "))
                .push_bind(t.clone())
                .push(" AND sort_name >= ")
                .push_bind(span.0.clone())
                .push(" AND sort_name <= ")
                .push_bind(span.1.clone())
                .push(format!(
                    " ORDER BY sort_name {dir}, contact_id {dir} LIMIT "
                ))
                .push_bind(k)
                .push(")");
        }
        // Every entry read, in order, with the word it came through and whether its
        // contact passes the other words and filters.
        qb.push(") SELECT cand.contact_id, cand.n, ");
        if filtered {
            qb.push("(1");
            push_within(&mut qb, within);
            push_words(&mut qb, others);
            qb.push(
                ") FROM cand JOIN contacts c INDEXED BY contacts_by_name \
                 ON c.sort_name = cand.sort_name AND c.id = cand.contact_id",
            );
        } else {
            qb.push("1 FROM cand");
        }
        qb.push(format!(
            " ORDER BY cand.sort_name {dir}, cand.contact_id {dir}"
        ));
        let read: Vec<(i64, i64, bool)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        let ids = merged_certain(&read, terms.len(), k);
        if (ids.len() as i64) >= wanted {
            let page: Vec<i64> = ids
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .collect();
            let rows = fetch_ids(conn, &page, &query.sort.order_by(query.descending)).await?;
            return Ok(ContactPage {
                rows,
                total: None,
                has_more: true,
            });
        }
        if count > COUNT_LIMIT {
            // `count` was only "many": the walk grows until it reads them all, if need be.
            count = count_in_span(conn, terms, span, i64::MAX).await?;
        }
        // Grow by what this pass found: the next one should fill the page. Past half of
        // the span, the whole span costs less than a longer short read.
        let found = ids.len() as i64;
        k = if found == 0 {
            k * 8
        } else {
            k * wanted * 5 / (4 * found) + 1
        };
        if k * 2 >= count {
            k = count;
        }
    }
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
    others: &[String],
    limit: i64,
    offset: i64,
) -> Result<ContactPage> {
    let dir = if query.descending { "DESC" } else { "ASC" };
    let mut qb = QueryBuilder::new(
        "WITH m(id, sort_name) AS (SELECT DISTINCT t.contact_id, t.sort_name FROM search_terms t",
    );
    if !others.is_empty() || !within.everything() {
        qb.push(
            " JOIN contacts c INDEXED BY contacts_by_name \
             ON c.sort_name = t.sort_name AND c.id = t.contact_id",
        );
    }
    qb.push(" WHERE t.sort_name >= ")
        .push_bind(driver.span.0.clone())
        .push(" AND t.sort_name <= ")
        .push_bind(driver.span.1.clone());
    push_terms(&mut qb, driver.terms);
    push_within(&mut qb, within);
    push_words(&mut qb, others);
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
            return Box::pin(whole_span_page(conn, within, query, driver, others, 1, 0))
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

/// The matching contacts of a short driven read (`read`: contact, word, passes, merged in
/// order; each of the `words` read up to `k` entries) whose place is certain. A word cut
/// short at `k` says nothing about what sorts after its last entry read, where its unread
/// entries may belong: the merge holds up to the first such end, and what follows it waits
/// for a longer read. A contact reached through two words counts once.
fn merged_certain(read: &[(i64, i64, bool)], words: usize, k: i64) -> Vec<i64> {
    let mut taken = vec![0i64; words];
    let mut ids: Vec<i64> = Vec::new();
    for &(id, word, passes) in read {
        if passes && ids.last() != Some(&id) {
            ids.push(id);
        }
        let n = &mut taken[word as usize];
        *n += 1;
        if *n >= k {
            break;
        }
    }
    ids
}
