//! A contact's search words: folded from its names, email, company and phones, kept one row
//! per (word, contact) in `search_terms` in name order, and the sort name that orders the
//! table. The write funnel keeps them with every write; search.rs queries them.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use unicode_normalization::UnicodeNormalization;

use crate::error::Result;
use crate::phone;
use crate::record::ContactRow;

/// Folds text for matching: decomposed, marks dropped, lowercased ("José" matches "jose").
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    fold_into(text, &mut out);
    out
}

/// `fold`, appending to `out`: an import folds every contact's fields into one buffer.
fn fold_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        // Nothing to decompose: the common case, without the cost of normalisation.
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
        return;
    }
    out.extend(
        text.nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .flat_map(char::to_lowercase),
    );
}

/// The words of `text` as the index stores them: folded, split at anything that is not a
/// letter or digit, and between letters and digits ("smith42" is "smith" and "42").
pub fn words(text: &str) -> impl Iterator<Item = String> {
    let folded = fold(text);
    let mut slices = Vec::new();
    word_slices(&folded, &mut slices);
    slices
        .into_iter()
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
    /// " term1 term2 ...": the contact's words, each once, in order; a walk tests a word
    /// prefix with one instr().
    pub search_text: String,
}

impl Derived {
    /// The contact's words, as the index keeps them.
    pub fn terms(&self) -> Vec<&str> {
        self.search_text
            .split(' ')
            .filter(|t| !t.is_empty())
            .collect()
    }
}

pub fn derive(row: &ContactRow) -> Derived {
    // The text fields folded into one buffer, their words taken as slices of it, and the
    // phones' national forms into another: an import derives a million contacts, and a
    // String per word, field, name and national number cost its reading thread about 5%
    // (bench `--reader`, 2026-12-01).
    let texts = [&row.first_name, &row.last_name, &row.company, &row.email];
    let mut folded = String::with_capacity(
        texts
            .iter()
            .flat_map(|t| t.as_deref())
            .map(|t| t.len() + 1)
            .sum(),
    );
    for text in texts.into_iter().flatten() {
        fold_into(text, &mut folded);
        folded.push(' ');
    }
    let numbers = || [&row.mobile_phone, &row.phone].into_iter().flatten();
    let mut nationals = String::new();
    for number in numbers() {
        if phone::push_national_digits(number, &mut nationals) {
            nationals.push(' ');
        }
    }
    let mut terms: Vec<&str> = Vec::with_capacity(16);
    word_slices(&folded, &mut terms);
    terms.extend(numbers().map(|number| number.trim_start_matches('+')));
    terms.extend(nationals.split_terminator(' '));
    terms.sort_unstable();
    terms.dedup();
    // The name as people sort it, "last first", folded.
    let mut name = String::new();
    for (i, part) in [&row.last_name, &row.first_name]
        .into_iter()
        .flatten()
        .enumerate()
    {
        if i > 0 {
            name.push(' ');
        }
        fold_into(part, &mut name);
    }
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
        search_text,
    }
}

/// The words of folded `text` as slices of it, split as `words` says.
fn word_slices<'t>(text: &'t str, out: &mut Vec<&'t str>) {
    let mut start: Option<usize> = None;
    let mut digits = false;
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            let is_digit = c.is_ascii_digit();
            match start {
                Some(from) if is_digit != digits => {
                    out.push(&text[from..at]);
                    start = Some(at);
                }
                None => start = Some(at),
                Some(_) => {}
            }
            digits = is_digit;
        } else if let Some(from) = start.take() {
            out.push(&text[from..at]);
        }
    }
    if let Some(from) = start {
        out.push(&text[from..]);
    }
}

/// The index that holds each contact's sort name, id and words, in a third of the contacts
/// table's bytes: a bulk import builds it again first and reads its new contacts' words
/// from it (a million contacts' words read and sorted in 4.7 s from it against 5.4 s from
/// the table, sqlite3 shell, 2026-11-30).
pub const WORDS_INDEX: &str = "contacts_by_name";

/// Adds contact `id`'s words to the index.
pub(crate) async fn add_terms(
    conn: &mut SqliteConnection,
    id: i64,
    derived: &Derived,
) -> Result<()> {
    insert_terms(conn, id, &derived.sort_name, &derived.terms()).await
}

/// Removes contact `id`'s words, as `derived` from its stored row, from the index.
pub(crate) async fn remove_terms(
    conn: &mut SqliteConnection,
    id: i64,
    derived: &Derived,
) -> Result<()> {
    delete_terms(conn, id, &derived.sort_name, &derived.terms()).await
}

/// Moves contact `id`'s words in the index from `old` (as derived from its stored row) to
/// `new`: only the words that differ, when its sort name stays (an edit of a field that is
/// not searched, a job title, leaves the index as it is), else all of them (the sort name
/// is part of each entry).
pub(crate) async fn change_terms(
    conn: &mut SqliteConnection,
    id: i64,
    old: &Derived,
    new: &Derived,
) -> Result<()> {
    if old.sort_name != new.sort_name {
        remove_terms(conn, id, old).await?;
        return add_terms(conn, id, new).await;
    }
    let (old_terms, new_terms) = (old.terms(), new.terms());
    let gone: Vec<&str> = old_terms
        .iter()
        .copied()
        .filter(|t| !new_terms.contains(t))
        .collect();
    let came: Vec<&str> = new_terms
        .iter()
        .copied()
        .filter(|t| !old_terms.contains(t))
        .collect();
    delete_terms(conn, id, &old.sort_name, &gone).await?;
    insert_terms(conn, id, &new.sort_name, &came).await
}

async fn insert_terms(
    conn: &mut SqliteConnection,
    id: i64,
    sort_name: &str,
    terms: &[&str],
) -> Result<()> {
    if terms.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::new("INSERT INTO search_terms (term, sort_name, contact_id) ");
    qb.push_values(terms, |mut b, term| {
        b.push_bind(*term).push_bind(sort_name).push_bind(id);
    });
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

async fn delete_terms(
    conn: &mut SqliteConnection,
    id: i64,
    sort_name: &str,
    terms: &[&str],
) -> Result<()> {
    if terms.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::new("DELETE FROM search_terms WHERE sort_name = ");
    qb.push_bind(sort_name.to_string())
        .push(" AND contact_id = ")
        .push_bind(id);
    push_terms(&mut qb, terms);
    qb.build().execute(&mut *conn).await?;
    Ok(())
}

pub(crate) fn push_terms(qb: &mut QueryBuilder<'_, Sqlite>, terms: &[impl AsRef<str>]) {
    qb.push(" AND term IN (");
    let mut sep = qb.separated(", ");
    for t in terms {
        sep.push_bind(t.as_ref().to_string());
    }
    qb.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contacts_words_are_its_folded_fields_and_phones_each_once_in_order() {
        let mut row = ContactRow::blank(1, "2026-12-01T00:00:00Z".into());
        row.first_name = Some("José".into());
        row.last_name = Some("Núñez-Smith".into());
        row.company = Some("ACME smith42".into());
        row.email = Some("jose.nunez@acme.com".into());
        row.mobile_phone = Some("+447911123456".into());
        row.phone = Some("+12015550123".into());
        let d = derive(&row);
        assert_eq!(d.sort_name, "nunez-smith jose");
        assert_eq!(
            d.search_text,
            " 07911123456 12015550123 2015550123 42 447911123456 acme com jose nunez smith"
        );
        // No name: the email sorts it; no email either: the mobile phone.
        row.first_name = None;
        row.last_name = None;
        assert_eq!(derive(&row).sort_name, "jose.nunez@acme.com");
        row.email = None;
        assert_eq!(derive(&row).sort_name, "+447911123456");
    }
}
