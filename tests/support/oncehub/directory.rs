//! The fake's read-only `/users`, `/teams` and `/bookings` endpoints, and the helpers tests use to fill and change them.

use serde_json::{json, Map, Value};

use super::api::{invalid, reject_expand, Reply};
use super::lists::{page, Paging, Query, TimeRange};
use super::state::{format_time, parse_time, Kind, Record, Store};

const USER_FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "status",
    "role_name",
    "timezone",
];

const BOOKING_NULLS: &[&str] = &[
    "tracking_id",
    "subject",
    "starting_time",
    "customer_timezone",
    "duration_minutes",
    "virtual_conferencing",
    "location_description",
    "rescheduled_booking_id",
    "cancel_reschedule_information",
    "form_submission",
    "booking_page",
    "master_page",
    "event_type",
    "external_calendar",
    "owner",
    "conversation",
    "utm_params",
    "contact",
    "payment_information",
];

/// Booking list filters that compare a field with the value sent.
const BOOKING_EQUALS: &[&str] = &[
    "status",
    "owner",
    "contact",
    "booking_page",
    "master_page",
    "event_type",
    "booking_calendar",
];

fn copy_fields(target: &mut Map<String, Value>, fields: &Map<String, Value>) {
    for (key, value) in fields {
        if !matches!(
            key.as_str(),
            "object" | "id" | "creation_time" | "last_updated_time"
        ) {
            target.insert(key.clone(), value.clone());
        }
    }
}

fn take_id(
    store: &mut Store,
    fields: &Map<String, Value>,
    prefix: &str,
    len: usize,
) -> Result<String, String> {
    match fields.get("id").and_then(Value::as_str) {
        Some(id) if store.claim_id(id) => Ok(id.to_string()),
        Some(id) => Err(format!("id {id} is taken")),
        None => Ok(store.new_id(prefix, len)),
    }
}

fn listed(
    records: &[Record],
    keep: impl Fn(&Record) -> bool,
) -> Vec<(super::state::SortKey, String, Value)> {
    records
        .iter()
        .filter(|r| keep(r))
        .map(|r| {
            (
                r.sort_key(),
                r.id().to_string(),
                Value::Object(r.body.clone()),
            )
        })
        .collect()
}

/// Test-side: adds a user (`USR-` id; defaults: null fields, no teams). Returns the id.
pub(crate) fn insert_user(
    store: &mut Store,
    fields: &Map<String, Value>,
) -> Result<String, String> {
    let id = take_id(store, fields, "USR-", 10)?;
    let mut body = Map::new();
    body.insert("object".into(), json!("user"));
    body.insert("id".into(), json!(id));
    for field in USER_FIELDS {
        body.insert((*field).into(), Value::Null);
    }
    body.insert("teams".into(), json!([]));
    copy_fields(&mut body, fields);
    let now = store.tick();
    store.push(Kind::User, now, now, body);
    Ok(id)
}

/// Test-side: adds a team (`TM-` id). Returns the id.
pub(crate) fn insert_team(store: &mut Store, name: &str) -> String {
    let id = store.new_id("TM-", 12);
    let now = store.tick();
    store.push(
        Kind::Team,
        now,
        now,
        json_object(json!({"object": "team", "id": id, "name": name})),
    );
    id
}

fn json_object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Keeps an embedded conversation object aside and leaves its id in the booking.
fn stash_conversation(store: &mut Store, body: &mut Map<String, Value>) {
    let Some(Value::Object(conv)) = body.get("conversation").cloned() else {
        return;
    };
    let mut conv = conv;
    let id = match conv.get("id").and_then(Value::as_str) {
        Some(id) => id.to_string(),
        None => store.new_id("CVR-", 12),
    };
    conv.insert("id".into(), json!(id));
    conv.entry("object").or_insert(json!("conversation"));
    store.conversations.insert(id.clone(), Value::Object(conv));
    body.insert("conversation".into(), json!(id));
}

/// Test-side: adds a booking (`BKNG-` id, times filled when not given). Returns the id.
pub(crate) fn insert_booking(
    store: &mut Store,
    fields: &Map<String, Value>,
) -> Result<String, String> {
    let id = take_id(store, fields, "BKNG-", 12)?;
    let (given_created, given_updated) = Store::given_times(fields);
    let created = given_created.unwrap_or_else(|| store.tick());
    let updated = given_updated.unwrap_or(created);
    let mut body = Map::new();
    body.insert("object".into(), json!("booking"));
    body.insert("id".into(), json!(id));
    body.insert("status".into(), json!("scheduled"));
    body.insert("in_trash".into(), json!(false));
    body.insert("creation_time".into(), json!(format_time(created)));
    body.insert("last_updated_time".into(), json!(format_time(updated)));
    for field in BOOKING_NULLS {
        body.insert((*field).into(), Value::Null);
    }
    body.insert("attendees".into(), json!([]));
    body.insert("custom_fields".into(), json!([]));
    copy_fields(&mut body, fields);
    stash_conversation(store, &mut body);
    store.push(Kind::Booking, created, updated, body);
    Ok(id)
}

/// Test-side: changes a booking's fields; bumps `last_updated_time` unless the patch sets it.
/// False if there is no such booking.
pub(crate) fn edit_booking(store: &mut Store, id: &str, patch: &Map<String, Value>) -> bool {
    if store.find(Kind::Booking, id).is_none() {
        return false;
    }
    let (given_created, given_updated) = Store::given_times(patch);
    let updated = given_updated.unwrap_or_else(|| store.tick());
    let mut patch_body = patch.clone();
    stash_conversation(store, &mut patch_body);
    let Some(record) = store.find_mut(Kind::Booking, id) else {
        return false;
    };
    copy_fields(&mut record.body, &patch_body);
    if let Some(created) = given_created {
        record.created = created;
        record
            .body
            .insert("creation_time".into(), json!(format_time(created)));
    }
    record.updated = updated;
    record
        .body
        .insert("last_updated_time".into(), json!(format_time(updated)));
    let key = record.sort_key();
    store.cursors.insert(id.to_string(), key);
    true
}

/// `GET /users` (filter: `email`, case-insensitive).
pub(crate) fn list_users(store: &Store, q: &Query, self_url: &str) -> Reply {
    let paging = match Paging::parse(q).and_then(|p| reject_expand(q, &[]).map(|_| p)) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let email = q.get("email");
    let items = listed(&store.users, |r| {
        email.is_none_or(|e| {
            r.str_field("email")
                .is_some_and(|x| x.eq_ignore_ascii_case(e))
        })
    });
    page(items, &paging, &store.cursors, self_url, q)
}

/// `GET /teams` (filter: `user`, the teams that user belongs to).
pub(crate) fn list_teams(store: &Store, q: &Query, self_url: &str) -> Reply {
    let paging = match Paging::parse(q).and_then(|p| reject_expand(q, &[]).map(|_| p)) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let member_of: Option<Vec<Value>> = q.get("user").map(|u| {
        store
            .find(Kind::User, u)
            .and_then(|user| user.body.get("teams"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    });
    let items = listed(&store.teams, |r| {
        member_of
            .as_ref()
            .is_none_or(|teams| teams.contains(&json!(r.id())))
    });
    page(items, &paging, &store.cursors, self_url, q)
}

/// Replaces the conversation id by the stored conversation object, when there is one.
fn expand_conversation(store: &Store, booking: &mut Value) {
    let Some(id) = booking.get("conversation").and_then(Value::as_str) else {
        return;
    };
    if let Some(conv) = store.conversations.get(id) {
        booking["conversation"] = conv.clone();
    }
}

/// `GET /bookings` with its filters and `expand=data.conversation`.
pub(crate) fn list_bookings(store: &Store, q: &Query, self_url: &str) -> Reply {
    let parsed = (|| {
        let paging = Paging::parse(q)?;
        let expand = reject_expand(q, &["data.conversation"])?;
        let ranges = [
            ("creation_time", TimeRange::parse(q, "creation_time")?),
            (
                "last_updated_time",
                TimeRange::parse(q, "last_updated_time")?,
            ),
            ("starting_time", TimeRange::parse(q, "starting_time")?),
        ];
        Ok::<_, Reply>((paging, !expand.is_empty(), ranges))
    })();
    let (paging, expand, ranges) = match parsed {
        Ok(p) => p,
        Err(e) => return e,
    };
    let equals: Vec<(&str, &str)> = BOOKING_EQUALS
        .iter()
        .filter_map(|f| q.get(f).map(|v| (*f, v)))
        .collect();
    let mut items = listed(&store.bookings, |r| {
        equals.iter().all(|(f, v)| r.str_field(f) == Some(*v))
            && ranges.iter().all(|(field, range)| {
                let t = match *field {
                    "creation_time" => Some(r.created),
                    "last_updated_time" => Some(r.updated),
                    _ => r.str_field(field).and_then(parse_time),
                };
                range.contains(t)
            })
    });
    if expand {
        for item in &mut items {
            expand_conversation(store, &mut item.2);
        }
    }
    page(items, &paging, &store.cursors, self_url, q)
}

/// `GET /users/{id}`, `GET /teams/{id}` and `GET /bookings/{id}` (`expand=conversation`).
pub(crate) fn get(store: &Store, kind: Kind, id: &str, q: &Query) -> Reply {
    let (noun, allowed): (&str, &[&str]) = match kind {
        Kind::User => ("user", &[]),
        Kind::Team => ("team", &[]),
        _ => ("booking", &["conversation"]),
    };
    let expand = match reject_expand(q, allowed) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let Some(record) = store.find(kind, id) else {
        return invalid(404, &format!("No such {noun}: '{id}'"), Some("id"));
    };
    let mut body = Value::Object(record.body.clone());
    if !expand.is_empty() {
        expand_conversation(store, &mut body);
    }
    Reply::ok(200, body)
}
