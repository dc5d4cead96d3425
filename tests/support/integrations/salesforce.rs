//! Salesforce's REST API v59.0: SOQL queries on Contact and Lead, and sObject read and update (204), with Salesforce's validation (known fields only) and error shapes.

use serde_json::{json, Map, Value};

use super::server::{error, Call, Reply};
use super::soql;
use super::state::{Api, State};

/// The Salesforce fields the fake knows, per object.
pub(crate) fn salesforce_fields(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Contact" => Some(&[
            "Email",
            "Phone",
            "MobilePhone",
            "HomePhone",
            "OtherPhone",
            "FirstName",
            "LastName",
            "Salutation",
            "Title",
            "Department",
            "MailingStreet",
            "MailingCity",
            "MailingState",
            "MailingPostalCode",
            "MailingCountry",
            "Description",
        ]),
        "Lead" => Some(&[
            "Email",
            "Phone",
            "MobilePhone",
            "FirstName",
            "LastName",
            "Salutation",
            "Company",
            "Title",
            "Street",
            "City",
            "State",
            "PostalCode",
            "Country",
            "Website",
            "Description",
            "Status",
        ]),
        _ => None,
    }
}

fn sf(status: u16, code: &str, message: &str) -> Reply {
    error(Api::Salesforce, status, code, message)
}

fn sf_missing() -> Reply {
    sf(404, "NOT_FOUND", "The requested resource does not exist")
}

fn sf_attributes(kind: &str, id: &str) -> Value {
    json!({"type": kind, "url": format!("/services/data/v59.0/sobjects/{kind}/{id}")})
}

/// `/services/data/v59.0/...`
pub(crate) fn salesforce(data: &mut State, call: &Call) -> Reply {
    let Some(segs) = call.segments("/services/data/v59.0/") else {
        return sf_missing();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (call.method, segs.as_slice()) {
        ("GET", ["query"] | ["query", ""]) => salesforce_query(data, call),
        ("GET", ["sobjects", kind, id]) => {
            let Some(fields) = salesforce_fields(kind) else {
                return sf_missing();
            };
            let Some(record) = data.salesforce.get(&(kind.to_string(), id.to_string())) else {
                return sf_missing();
            };
            let mut out = Map::new();
            out.insert("attributes".into(), sf_attributes(kind, id));
            out.insert("Id".into(), json!(id));
            for f in fields {
                out.insert(
                    (*f).to_string(),
                    record.get(*f).cloned().unwrap_or(Value::Null),
                );
            }
            Reply::json(200, Value::Object(out))
        }
        ("PATCH", ["sobjects", kind, id]) => salesforce_update(data, call, kind, id),
        _ => sf_missing(),
    }
}

fn salesforce_query(data: &State, call: &Call) -> Reply {
    let Some(q) = call.param("q") else {
        return sf(400, "MALFORMED_QUERY", "A query string has to be specified");
    };
    let select = match soql::parse(&q) {
        Ok(s) => s,
        Err(why) => return sf(400, "MALFORMED_QUERY", &why),
    };
    let Some(known) = salesforce_fields(&select.object) else {
        return sf(
            400,
            "INVALID_TYPE",
            &format!("sObject type '{}' is not supported.", select.object),
        );
    };
    let names = select
        .fields
        .iter()
        .map(String::as_str)
        .chain(select.filter.iter().flat_map(|c| c.fields()));
    for name in names {
        if name != "Id" && !known.contains(&name) {
            return sf(
                400,
                "INVALID_FIELD",
                &format!("No such column '{name}' on entity '{}'.", select.object),
            );
        }
    }
    let mut records = Vec::new();
    for ((kind, id), fields) in &data.salesforce {
        if *kind != select.object {
            continue;
        }
        if let Some(cond) = &select.filter {
            if !cond.matches(fields) {
                continue;
            }
        }
        let mut out = Map::new();
        out.insert("attributes".into(), sf_attributes(kind, id));
        for f in &select.fields {
            let v = if f == "Id" {
                json!(id)
            } else {
                fields.get(f).cloned().unwrap_or(Value::Null)
            };
            out.insert(f.clone(), v);
        }
        records.push(Value::Object(out));
    }
    if let Some(limit) = select.limit {
        records.truncate(limit);
    }
    Reply::json(
        200,
        json!({"totalSize": records.len(), "done": true, "records": records}),
    )
}

fn salesforce_update(data: &mut State, call: &Call, kind: &str, id: &str) -> Reply {
    let Some(known) = salesforce_fields(kind) else {
        return sf_missing();
    };
    let key = (kind.to_string(), id.to_string());
    if !data.salesforce.contains_key(&key) {
        return sf_missing();
    }
    let Some(body) = call.object() else {
        return sf(
            400,
            "JSON_PARSER_ERROR",
            "The request body must be a JSON object",
        );
    };
    for (name, value) in body {
        if name == "Id" {
            return sf(
                400,
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "Unable to create/update fields: Id.",
            );
        }
        if !known.contains(&name.as_str()) {
            return sf(
                400,
                "INVALID_FIELD",
                &format!("No such column '{name}' on sobject of type {kind}"),
            );
        }
        if !value.is_null() && !value.is_string() {
            return sf(
                400,
                "JSON_PARSER_ERROR",
                &format!("Cannot deserialize instance of string from {value} for {name}"),
            );
        }
    }
    let record = data.salesforce.get_mut(&key).expect("checked above");
    for (name, value) in body {
        match value.as_str() {
            Some(text) if !text.is_empty() => {
                record.insert(name.clone(), json!(text));
            }
            _ => {
                record.remove(name);
            }
        }
    }
    Reply::empty(204)
}
