//! HubSpot's CRM v3 contacts: search, read and update, with HubSpot's validation (known properties only, unique emails) and error shapes; a property sent as "" is cleared, as on HubSpot.

use serde_json::{json, Map, Value};

use super::server::{error, Call, Reply};
use super::state::{Api, State};

/// The HubSpot contact properties the fake knows; any other name is refused as on a portal
/// without custom properties.
pub(crate) const HUBSPOT_PROPERTIES: &[&str] = &[
    "email",
    "firstname",
    "lastname",
    "phone",
    "mobilephone",
    "salutation",
    "company",
    "jobtitle",
    "website",
    "address",
    "city",
    "state",
    "zip",
    "country",
    "lifecyclestage",
    "hs_lead_status",
];

/// Read-only properties every contact has.
const HUBSPOT_READ_ONLY: &[&str] = &["hs_object_id", "createdate", "lastmodifieddate"];

const CREATED: &str = "2025-01-06T09:00:00.000Z";
const MODIFIED: &str = "2026-01-06T09:00:00.000Z";

fn hs(status: u16, category: &str, message: &str) -> Reply {
    error(Api::HubSpot, status, category, message)
}

/// A contact as HubSpot returns it, with these properties (all stored ones when `None`).
fn hubspot_record(id: u64, props: &Map<String, Value>, wanted: Option<&[String]>) -> Value {
    let mut out = Map::new();
    match wanted {
        Some(names) => {
            for name in names {
                out.insert(
                    name.clone(),
                    props.get(name).cloned().unwrap_or(Value::Null),
                );
            }
        }
        None => out.extend(props.clone()),
    }
    out.insert("hs_object_id".into(), json!(id.to_string()));
    out.insert("createdate".into(), json!(CREATED));
    out.insert("lastmodifieddate".into(), json!(MODIFIED));
    json!({"id": id.to_string(), "properties": out, "createdAt": CREATED,
        "updatedAt": MODIFIED, "archived": false})
}

/// `/crm/v3/objects/contacts/...`
pub(crate) fn hubspot(data: &mut State, call: &Call) -> Reply {
    let Some(segs) = call.segments("/crm/v3/objects/contacts/") else {
        return hs(404, "OBJECT_NOT_FOUND", "Unknown object type or route.");
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (call.method, segs.as_slice()) {
        ("POST", ["search"]) => hubspot_search(data, call),
        ("GET", [id]) => {
            let Some((id, props)) = hubspot_find(data, id) else {
                return hubspot_missing();
            };
            let wanted: Option<Vec<String>> = call.param("properties").map(|p| {
                p.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            });
            let wanted = wanted.unwrap_or_else(|| {
                ["email", "firstname", "lastname"]
                    .map(String::from)
                    .to_vec()
            });
            Reply::json(200, hubspot_record(id, props, Some(&wanted)))
        }
        ("PATCH", [id]) => hubspot_update(data, call, id),
        _ => hs(
            404,
            "OBJECT_NOT_FOUND",
            &format!("No route for {} {}", call.method, call.path),
        ),
    }
}

fn hubspot_missing() -> Reply {
    hs(
        404,
        "OBJECT_NOT_FOUND",
        "resource not found: Object not found.  objectId are usually numeric.",
    )
}

fn hubspot_find<'a>(data: &'a State, id: &str) -> Option<(u64, &'a Map<String, Value>)> {
    let id: u64 = id.parse().ok()?;
    data.hubspot.get(&id).map(|p| (id, p))
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn hubspot_search(data: &State, call: &Call) -> Reply {
    let Some(body) = call.object() else {
        return hs(400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
    };
    let groups = match body.get("filterGroups") {
        None => Vec::new(),
        Some(Value::Array(groups)) => groups.clone(),
        Some(_) => return hs(400, "VALIDATION_ERROR", "filterGroups must be an array"),
    };
    let mut parsed: Vec<Vec<(String, String, Option<String>)>> = Vec::new();
    for group in &groups {
        let Some(Value::Array(filters)) = group.get("filters") else {
            return hs(400, "VALIDATION_ERROR", "each filterGroup needs filters");
        };
        let mut all = Vec::new();
        for f in filters {
            let Some(name) = f.get("propertyName").and_then(Value::as_str) else {
                return hs(400, "VALIDATION_ERROR", "a filter needs a propertyName");
            };
            let op = f.get("operator").and_then(Value::as_str).unwrap_or("");
            if !["EQ", "NEQ", "HAS_PROPERTY", "NOT_HAS_PROPERTY"].contains(&op) {
                return hs(
                    400,
                    "VALIDATION_ERROR",
                    &format!("Unsupported operator {op:?} (the fake knows EQ, NEQ, HAS_PROPERTY, NOT_HAS_PROPERTY)"),
                );
            }
            if !HUBSPOT_PROPERTIES.contains(&name) && !HUBSPOT_READ_ONLY.contains(&name) {
                return hs(
                    400,
                    "VALIDATION_ERROR",
                    &format!(
                        "There was a problem with the request. Property {name:?} does not exist"
                    ),
                );
            }
            let value = f.get("value").and_then(as_text);
            if value.is_none() && (op == "EQ" || op == "NEQ") {
                return hs(400, "VALIDATION_ERROR", "EQ and NEQ filters need a value");
            }
            all.push((name.to_string(), op.to_string(), value));
        }
        parsed.push(all);
    }
    let wanted: Vec<String> = match body.get("properties") {
        None => ["email", "firstname", "lastname"]
            .map(String::from)
            .to_vec(),
        Some(Value::Array(p)) => p
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(_) => return hs(400, "VALIDATION_ERROR", "properties must be an array"),
    };
    let limit = match body.get("limit") {
        None => 10,
        Some(v) => match v.as_u64() {
            Some(n) if (1..=200).contains(&n) => n as usize,
            _ => return hs(400, "VALIDATION_ERROR", "limit must be between 1 and 200"),
        },
    };
    let holds = |props: &Map<String, Value>,
                 (name, op, value): &(String, String, Option<String>)| {
        let have = props.get(name).and_then(as_text);
        let eq = match (&have, value) {
            (Some(h), Some(v)) => h.eq_ignore_ascii_case(v),
            _ => false,
        };
        match op.as_str() {
            "EQ" => eq,
            "NEQ" => !eq,
            "HAS_PROPERTY" => have.is_some(),
            _ => have.is_none(),
        }
    };
    let hits: Vec<Value> = data
        .hubspot
        .iter()
        .filter(|entry| {
            let props: &Map<String, Value> = entry.1;
            parsed.is_empty()
                || parsed
                    .iter()
                    .any(|group| group.iter().all(|f| holds(props, f)))
        })
        .map(|(id, props)| hubspot_record(*id, props, Some(&wanted)))
        .collect();
    let total = hits.len();
    let results: Vec<Value> = hits.into_iter().take(limit).collect();
    Reply::json(200, json!({"total": total, "results": results}))
}

fn hubspot_update(data: &mut State, call: &Call, id: &str) -> Reply {
    let Some(body) = call.object() else {
        return hs(400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
    };
    let Some(Value::Object(changes)) = body.get("properties") else {
        return hs(
            400,
            "VALIDATION_ERROR",
            "Invalid input JSON: the body must be {\"properties\":{...}}",
        );
    };
    let Some((id, _)) = hubspot_find(data, id) else {
        return hubspot_missing();
    };
    for (name, value) in changes {
        if HUBSPOT_READ_ONLY.contains(&name.as_str()) {
            return hs(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: {name} is a read only property; its value cannot be set. (READ_ONLY_VALUE)"),
            );
        }
        if !HUBSPOT_PROPERTIES.contains(&name.as_str()) {
            return hs(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: Property \"{name}\" does not exist (PROPERTY_DOESNT_EXIST)"),
            );
        }
        if !value.is_null() && as_text(value).is_none() {
            return hs(
                400,
                "VALIDATION_ERROR",
                &format!("Property values were not valid: {name} must be a string"),
            );
        }
        if name == "email" {
            let email = as_text(value).unwrap_or_default();
            if !email.is_empty() && !email.contains('@') {
                return hs(
                    400,
                    "VALIDATION_ERROR",
                    &format!("Property values were not valid: Email address {email} is invalid (INVALID_EMAIL)"),
                );
            }
            let taken = data.hubspot.iter().find(|(other, p)| {
                **other != id
                    && !email.is_empty()
                    && p.get("email")
                        .and_then(Value::as_str)
                        .is_some_and(|e| e.eq_ignore_ascii_case(&email))
            });
            if let Some((other, _)) = taken {
                return hs(
                    409,
                    "CONFLICT",
                    &format!("Contact already exists. Existing ID: {other}"),
                );
            }
        }
    }
    let props = data.hubspot.get_mut(&id).expect("found above");
    for (name, value) in changes {
        match as_text(value) {
            // HubSpot clears a property sent as "" (and null).
            Some(text) if !text.is_empty() => {
                props.insert(name.clone(), Value::String(text));
            }
            _ => {
                props.remove(name);
            }
        }
    }
    Reply::json(200, hubspot_record(id, props, None))
}
