//! The fake's `/contacts` endpoints, with OnceHub's validation rules, plus the helpers tests use to make remote changes.

use serde_json::{json, Map, Value};

use super::api::{invalid, parse_object, reject_expand, Reply};
use super::lists::{page, Paging, Query, TimeRange};
use super::state::{format_time, Kind, Store};

/// The fields a client may send on create and update.
pub(crate) const WRITABLE: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "phone",
    "company",
    "company_size",
    "job_title",
    "street_address",
    "city",
    "state",
    "post_code",
    "country",
    "salutation",
    "employees",
    "has_consent",
    "terms_of_sevice",
    "timezone",
    "status",
    "owner",
    "custom_fields",
];

const BOOLEANS: &[&str] = &["has_consent", "terms_of_sevice"];

/// The values `status` may take; anything else is stored as null.
pub(crate) const STATUSES: &[&str] = &[
    "Qualified",
    "Sales qualified",
    "Marketing qualified",
    "Disqualified",
];

/// A contact with every field present: null where unset, `custom_fields` empty.
fn blank(id: &str, created: &str, updated: &str) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("object".into(), json!("contact"));
    body.insert("id".into(), json!(id));
    body.insert("creation_time".into(), json!(created));
    body.insert("last_updated_time".into(), json!(updated));
    body.insert("last_interacted_time".into(), Value::Null);
    for field in WRITABLE {
        body.insert((*field).into(), Value::Null);
    }
    body.insert("custom_fields".into(), json!([]));
    body
}

/// `something@something.tld`, without spaces.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if local.is_empty() || domain.contains('@') || s.chars().any(char::is_whitespace) {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && tld.len() >= 2
        && tld.chars().all(char::is_alphabetic)
}

/// E.164: `+`, then 8 to 15 digits, the first not 0.
pub(crate) fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// An IANA zone name such as `Europe/Paris`, or `UTC`.
pub(crate) fn is_timezone(s: &str) -> bool {
    const AREAS: &[&str] = &[
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
        "Etc",
    ];
    if matches!(s, "UTC" | "GMT") {
        return true;
    }
    let Some((area, rest)) = s.split_once('/') else {
        return false;
    };
    AREAS.contains(&area)
        && !rest.is_empty()
        && rest.split('/').all(|p| !p.is_empty())
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/'))
}

/// A non-empty string value, trimmed.
fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Refuses keys that are not writable, then values of the wrong type.
fn check_shape(body: &Map<String, Value>) -> Result<(), Reply> {
    if body.keys().any(|k| !WRITABLE.contains(&k.as_str())) {
        return Err(invalid(400, "Unsupported fields", Some("body")));
    }
    for (key, value) in body {
        let ok = match key.as_str() {
            _ if value.is_null() => true,
            "employees" => value.is_i64() || value.is_u64(),
            k if BOOLEANS.contains(&k) => value.is_boolean(),
            "custom_fields" => value.as_array().is_some_and(|items| {
                items.iter().all(|i| {
                    i.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| !n.is_empty())
                })
            }),
            _ => value.is_string(),
        };
        if !ok {
            return Err(invalid(
                400,
                &format!("Invalid value for '{key}'"),
                Some(key),
            ));
        }
    }
    Ok(())
}

/// Refuses a malformed email, phone or time zone.
fn check_formats(body: &Map<String, Value>) -> Result<(), Reply> {
    let given = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if given("email").is_some_and(|e| !is_email(e)) {
        return Err(invalid(400, "Invalid email format", Some("email")));
    }
    for key in ["mobile_phone", "phone"] {
        if given(key).is_some_and(|p| !is_e164(p)) {
            return Err(invalid(400, "Invalid phone format", Some(key)));
        }
    }
    if given("timezone").is_some_and(|tz| !is_timezone(tz)) {
        return Err(invalid(400, "Invalid timezone", Some("timezone")));
    }
    Ok(())
}

/// Stores one validated field the way OnceHub keeps it.
fn apply(target: &mut Map<String, Value>, key: &str, value: &Value, merge_custom: bool) {
    let stored = match key {
        "status" => match value.as_str() {
            Some(s) if STATUSES.contains(&s) => value.clone(),
            _ => Value::Null,
        },
        "email" | "mobile_phone" if value.as_str() == Some("") => Value::Null,
        "custom_fields" if value.is_null() => json!([]),
        "custom_fields" if merge_custom => {
            let mut fields = target
                .get("custom_fields")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for item in value.as_array().into_iter().flatten() {
                let name = item.get("name").cloned().unwrap_or(Value::Null);
                let entry = json!({"name": name, "value": item.get("value").cloned().unwrap_or(Value::Null)});
                match fields.iter_mut().find(|f| f.get("name") == Some(&name)) {
                    Some(existing) => *existing = entry,
                    None => fields.push(entry),
                }
            }
            Value::Array(fields)
        }
        "custom_fields" => Value::Array(
            value
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| json!({"name": i.get("name").cloned().unwrap_or(Value::Null), "value": i.get("value").cloned().unwrap_or(Value::Null)}))
                .collect(),
        ),
        _ => value.clone(),
    };
    target.insert(key.to_string(), stored);
}

fn not_found(id: &str) -> Reply {
    invalid(404, &format!("No such contact: '{id}'"), Some("id"))
}

/// `GET /contacts`
pub(crate) fn list(store: &Store, q: &Query, self_url: &str) -> Reply {
    let paging = match Paging::parse(q) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let filters = (|| {
        reject_expand(q, &[])?;
        Ok::<_, Reply>((
            TimeRange::parse(q, "creation_time")?,
            TimeRange::parse(q, "last_updated_time")?,
        ))
    })();
    let (created, updated) = match filters {
        Ok(f) => f,
        Err(e) => return e,
    };
    let email = q.get("email");
    let items = store
        .contacts
        .iter()
        .filter(|r| {
            email.is_none_or(|e| {
                r.str_field("email")
                    .is_some_and(|x| x.eq_ignore_ascii_case(e))
            })
        })
        .filter(|r| created.contains(Some(r.created)) && updated.contains(Some(r.updated)))
        .map(|r| {
            (
                r.sort_key(),
                r.id().to_string(),
                Value::Object(r.body.clone()),
            )
        })
        .collect();
    page(items, &paging, &store.cursors, self_url, q)
}

/// `GET /contacts/{id}`
pub(crate) fn get(store: &Store, id: &str) -> Reply {
    match store.find(Kind::Contact, id) {
        Some(r) => Reply::ok(200, Value::Object(r.body.clone())),
        None => not_found(id),
    }
}

/// `POST /contacts`
pub(crate) fn create(store: &mut Store, raw: &[u8]) -> Reply {
    let body = match parse_object(raw) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = check_shape(&body) {
        return e;
    }
    for name in ["first_name", "last_name"] {
        if text(&body, name).is_none() {
            return invalid(400, &format!("Missing required param: {name}."), Some(name));
        }
    }
    let email = text(&body, "email");
    let mobile = text(&body, "mobile_phone");
    if email.is_none() && mobile.is_none() {
        return invalid(
            400,
            "At least one of 'email' or 'mobile_phone' is required.",
            None,
        );
    }
    if let Err(e) = check_formats(&body) {
        return e;
    }
    if let Some(e) = email.filter(|e| store.contact_by_email(e).is_some()) {
        let message = format!("Contact already exists: '{e}'");
        return invalid(409, &message, Some("email"));
    }
    if let Some(m) = mobile.filter(|m| store.contact_by_mobile(m).is_some()) {
        let message = format!("Contact already exists: '{m}'");
        return invalid(409, &message, Some("mobile_phone"));
    }
    let id = store.new_id("CTC-", 10);
    let now = store.tick();
    let stamp = format_time(now);
    let mut contact = blank(&id, &stamp, &stamp);
    for (key, value) in &body {
        apply(&mut contact, key, value, false);
    }
    let keys = [email.map(str::to_lowercase), mobile.map(str::to_string)];
    for key in keys.into_iter().flatten() {
        *store.creates.entry(key).or_default() += 1;
    }
    store.push(Kind::Contact, now, now, contact.clone());
    Reply::ok(201, Value::Object(contact))
}

/// `PATCH /contacts/{id}`
pub(crate) fn update(store: &mut Store, id: &str, raw: &[u8]) -> Reply {
    if store.find(Kind::Contact, id).is_none() {
        return not_found(id);
    }
    let body = match parse_object(raw) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if body.is_empty() {
        return invalid(400, "At least one field must be provided.", Some("body"));
    }
    for field in ["email", "mobile_phone"] {
        if body.contains_key(field) {
            return invalid(400, &format!("{field} can't be changed."), Some(field));
        }
    }
    if let Err(e) = check_shape(&body).and_then(|()| check_formats(&body)) {
        return e;
    }
    let now = store.tick();
    let Some(record) = store.find_mut(Kind::Contact, id) else {
        return not_found(id);
    };
    for (key, value) in &body {
        apply(&mut record.body, key, value, true);
    }
    record.updated = now;
    record
        .body
        .insert("last_updated_time".into(), json!(format_time(now)));
    Reply::ok(200, Value::Object(record.body.clone()))
}

/// `DELETE /contacts/{id}`
pub(crate) fn delete(store: &mut Store, id: &str) -> Reply {
    if store.remove(Kind::Contact, id) {
        Reply::ok(200, json!({"id": id, "deleted": true}))
    } else {
        not_found(id)
    }
}

/// Test-side insert: any fields, no validation; `id`, `creation_time` and
/// `last_updated_time` are used when given, generated otherwise. Returns the id.
pub(crate) fn insert(store: &mut Store, fields: &Map<String, Value>) -> Result<String, String> {
    let id = match fields.get("id").and_then(Value::as_str) {
        Some(id) if store.claim_id(id) => id.to_string(),
        Some(id) => return Err(format!("id {id} is taken")),
        None => store.new_id("CTC-", 10),
    };
    let (given_created, given_updated) = Store::given_times(fields);
    let created = given_created.unwrap_or_else(|| store.tick());
    let updated = given_updated.unwrap_or(created);
    let mut contact = blank(&id, &format_time(created), &format_time(updated));
    for (key, value) in fields {
        if !matches!(
            key.as_str(),
            "object" | "id" | "creation_time" | "last_updated_time"
        ) {
            contact.insert(key.clone(), value.clone());
        }
    }
    store.push(Kind::Contact, created, updated, contact);
    Ok(id)
}

/// Test-side edit of any field (email too), replacing values as given; bumps
/// `last_updated_time` unless the patch sets it. False if there is no such contact.
pub(crate) fn edit(store: &mut Store, id: &str, patch: &Map<String, Value>) -> bool {
    if store.find(Kind::Contact, id).is_none() {
        return false;
    }
    let (given_created, given_updated) = Store::given_times(patch);
    let updated = given_updated.unwrap_or_else(|| store.tick());
    let Some(record) = store.find_mut(Kind::Contact, id) else {
        return false;
    };
    for (key, value) in patch {
        if !matches!(
            key.as_str(),
            "object" | "id" | "creation_time" | "last_updated_time"
        ) {
            record.body.insert(key.clone(), value.clone());
        }
    }
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
