//! Query strings, cursor paging and time-range filters shared by every list endpoint of the fake.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::api::{invalid, Reply};
use super::state::{parse_time, SortKey};

/// A decoded query string, pairs in the order sent.
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Splits and percent-decodes a raw query (`+` is a space, as in forms).
    pub(crate) fn parse(raw: &str) -> Query {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Query { pairs }
    }

    /// The first value of `key`; an empty value counts as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decodes one query component; bad escapes are kept as they are.
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes one query component (everything but RFC 3986 unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Which way a page goes from its cursor.
#[derive(Clone, Debug)]
pub(crate) enum Cursor {
    /// Older than this object.
    After(String),
    /// Newer than this object.
    Before(String),
}

/// The paging part of a list request.
pub(crate) struct Paging {
    pub(crate) limit: usize,
    pub(crate) cursor: Option<Cursor>,
}

impl Paging {
    /// Reads `limit`, `after` and `before`, refusing what OnceHub refuses.
    pub(crate) fn parse(q: &Query) -> Result<Paging, Reply> {
        let limit = match q.get("limit") {
            None => 10,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => n as usize,
                _ => {
                    return Err(invalid(
                        400,
                        &format!(
                            "Out of range value: {raw}. Please provide a number between 1 and 100."
                        ),
                        Some("limit"),
                    ))
                }
            },
        };
        let cursor = match (q.get("after"), q.get("before")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    400,
                    "Received both before and after parameters. Please provide only one.",
                    None,
                ))
            }
            (Some(a), None) => Some(Cursor::After(a.to_string())),
            (None, Some(b)) => Some(Cursor::Before(b.to_string())),
            (None, None) => None,
        };
        Ok(Paging { limit, cursor })
    }
}

/// A `<field>.gt` / `<field>.lt` pair; both bounds are strict.
pub(crate) struct TimeRange {
    gt: Option<DateTime<Utc>>,
    lt: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Reads `<field>.gt` and `<field>.lt` (RFC 3339 date-times).
    pub(crate) fn parse(q: &Query, field: &str) -> Result<TimeRange, Reply> {
        let read = |suffix: &str| -> Result<Option<DateTime<Utc>>, Reply> {
            let key = format!("{field}.{suffix}");
            match q.get(&key) {
                None => Ok(None),
                Some(raw) => parse_time(raw)
                    .map(Some)
                    .ok_or_else(|| invalid(400, &format!("Invalid date: {raw}"), Some(&key))),
            }
        };
        let (gt, lt) = (read("gt")?, read("lt")?);
        if gt.zip(lt).is_some_and(|(g, l)| g > l) {
            return Err(invalid(
                400,
                &format!("{field}.gt cannot be later than {field}.lt"),
                Some(&format!("{field}.gt")),
            ));
        }
        Ok(TimeRange { gt, lt })
    }

    /// Whether `t` lies strictly inside the range; a missing time matches only an open range.
    pub(crate) fn contains(&self, t: Option<DateTime<Utc>>) -> bool {
        match t {
            Some(t) => self.gt.is_none_or(|g| t > g) && self.lt.is_none_or(|l| t < l),
            None => self.gt.is_none() && self.lt.is_none(),
        }
    }
}

/// Answers one page of a list: `items` are the objects that passed the filters, each with its
/// sort key; `cursors` knows the sort key of every id ever issued; `self_url` is the absolute
/// URL of the list endpoint, for the `Link` header.
pub(crate) fn page(
    mut items: Vec<(SortKey, String, Value)>,
    paging: &Paging,
    cursors: &HashMap<String, SortKey>,
    self_url: &str,
    q: &Query,
) -> Reply {
    items.sort_by_key(|i| std::cmp::Reverse(i.0));
    let (start, end, more_older, more_newer) = match &paging.cursor {
        None => {
            let end = items.len().min(paging.limit);
            (0, end, items.len() > end, false)
        }
        Some(Cursor::After(id)) | Some(Cursor::Before(id)) if !cursors.contains_key(id) => {
            let param = if matches!(paging.cursor, Some(Cursor::After(_))) {
                "after"
            } else {
                "before"
            };
            return invalid(400, &format!("No such object: '{id}'"), Some(param));
        }
        Some(Cursor::After(id)) => {
            let key = cursors[id];
            let start = items.iter().position(|i| i.0 < key).unwrap_or(items.len());
            let end = items.len().min(start + paging.limit);
            (start, end, items.len() > end, start > 0)
        }
        Some(Cursor::Before(id)) => {
            let key = cursors[id];
            let newer = items.iter().take_while(|i| i.0 > key).count();
            let start = newer.saturating_sub(paging.limit);
            (start, newer, newer < items.len(), start > 0)
        }
    };
    let data: Vec<Value> = items[start..end].iter().map(|i| i.2.clone()).collect();
    let has_more = match paging.cursor {
        Some(Cursor::Before(_)) => more_newer,
        _ => more_older,
    };
    let mut links = Vec::new();
    if let (Some(first), Some(last)) = (items[start..end].first(), items[start..end].last()) {
        let keep: String = q
            .pairs
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "limit" | "after" | "before"))
            .map(|(k, v)| format!("{}={}&", encode(k), encode(v)))
            .collect();
        if more_older {
            links.push(format!(
                "<{self_url}?{keep}after={}&limit={}>; rel=\"next\"",
                encode(&last.1),
                paging.limit
            ));
        }
        if more_newer {
            links.push(format!(
                "<{self_url}?{keep}before={}&limit={}>; rel=\"previous\"",
                encode(&first.1),
                paging.limit
            ));
        }
    }
    let mut reply = Reply::ok(
        200,
        json!({"object": "list", "data": data, "has_more": has_more}),
    );
    if !links.is_empty() {
        reply.headers.push(("link", links.join(", ")));
    }
    reply
}
