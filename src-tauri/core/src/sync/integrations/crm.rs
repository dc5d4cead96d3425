//! The CRMs and the Zapier hook: HubSpot's and Salesforce's matching record is found (by the
//! id found last time, else by the previous email, else by phone; Salesforce's Contacts
//! before its Leads) and patched with the contact's email and phones, never an empty value
//! (HubSpot clears a property sent as ""). Zapier is posted the change as an event.

use reqwest::Method;
use serde_json::{json, Map, Value};

use super::deliver::{Outcome, Work};
use super::segment;
use super::wire::Remote;
use crate::error::Result;
use crate::outbox::IDENTITY;
use crate::record::FIELDS;
use crate::store::now;
use crate::sync::client::Failure;

type Reply = std::result::Result<Outcome, Failure>;

/// Cardfile's fields and HubSpot's contact properties.
const HUBSPOT_PROPERTIES: [(&str, &str); 13] = [
    ("email", "email"),
    ("phone", "phone"),
    ("mobile_phone", "mobilephone"),
    ("first_name", "firstname"),
    ("last_name", "lastname"),
    ("salutation", "salutation"),
    ("company", "company"),
    ("job_title", "jobtitle"),
    ("street_address", "address"),
    ("city", "city"),
    ("state", "state"),
    ("post_code", "zip"),
    ("country", "country"),
];

/// Cardfile's fields and a Salesforce Contact's (a Lead's address fields differ).
const SALESFORCE_FIELDS: [(&str, &str, &str); 12] = [
    ("email", "Email", "Email"),
    ("phone", "Phone", "Phone"),
    ("mobile_phone", "MobilePhone", "MobilePhone"),
    ("first_name", "FirstName", "FirstName"),
    ("last_name", "LastName", "LastName"),
    ("salutation", "Salutation", "Salutation"),
    ("job_title", "Title", "Title"),
    ("street_address", "MailingStreet", "Street"),
    ("city", "MailingCity", "City"),
    ("state", "MailingState", "State"),
    ("post_code", "MailingPostalCode", "PostalCode"),
    ("country", "MailingCountry", "Country"),
];

/// The fields sent: email and the phones, and with "keep CRM fields in sync" the others
/// the item changed; only those with a value (an empty one would clear the CRM's).
fn body(work: &Work<'_>, names: &[(&str, &str)]) -> Map<String, Value> {
    let mut map = Map::new();
    for (field, remote) in names {
        let wanted = IDENTITY.contains(field)
            || (work.keep_fields && work.fields.iter().any(|f| f == field));
        if let Some(value) = work
            .row
            .get(field)
            .filter(|v| wanted && !v.trim().is_empty())
        {
            map.insert(remote.to_string(), Value::String(value));
        }
    }
    map
}

/// The previous phones (the mobile phone first), each once.
fn old_phones(work: &Work<'_>) -> Vec<String> {
    let mut phones: Vec<String> = Vec::new();
    for f in ["mobile_phone", "phone"] {
        if let Some(p) = work.was(f) {
            if !phones.contains(&p) {
                phones.push(p);
            }
        }
    }
    phones
}

/// What the CRM was searched by, for the "not found" line.
fn searched(work: &Work<'_>) -> String {
    let mut by: Vec<String> = work.was("email").into_iter().collect();
    by.extend(old_phones(work));
    if by.is_empty() {
        "no email or phone to find it by".into()
    } else {
        by.join(" or ")
    }
}

async fn hubspot_search(
    remote: &Remote<'_>,
    filters: Vec<Value>,
) -> Result<std::result::Result<Option<String>, Failure>> {
    let groups: Vec<Value> = filters
        .into_iter()
        .map(|f| json!({"filters": [f]}))
        .collect();
    let body = json!({
        "filterGroups": groups,
        "properties": ["email", "phone", "mobilephone"],
        "limit": 2,
    });
    let url = format!("{}/crm/v3/objects/contacts/search", remote.base);
    Ok(
        match remote.call(Method::POST, &url, &[], Some(&body)).await? {
            Ok(reply) => Ok(reply
                .get("results")
                .and_then(|r| r.get(0))
                .and_then(|r| r.get("id"))
                .and_then(|id| {
                    id.as_str()
                        .map(str::to_string)
                        .or_else(|| id.as_i64().map(|n| n.to_string()))
                })),
            Err(f) => Err(f),
        },
    )
}

/// HubSpot: PATCH the record found last time; else search by the previous email, then by
/// phone or mobile phone; then PATCH it.
pub(super) async fn hubspot(remote: &Remote<'_>, work: &Work<'_>) -> Result<Reply> {
    let properties = body(work, &HUBSPOT_PROPERTIES);
    if properties.is_empty() {
        return Ok(Ok(Outcome::nothing(
            "the contact has no email or phone to send: HubSpot was left as it is",
        )));
    }
    let patch = json!({ "properties": properties });
    if let Some((_, id)) = &work.found {
        let url = format!("{}/crm/v3/objects/contacts/{}", remote.base, segment(id));
        match remote.call(Method::PATCH, &url, &[], Some(&patch)).await? {
            Ok(_) => return Ok(Ok(updated("HubSpot contact", id, None))),
            Err(Failure::NotFound) => {}
            Err(f) => return Ok(Err(f)),
        }
    }
    let mut id = None;
    if let Some(email) = work.was("email") {
        match hubspot_search(
            remote,
            vec![json!({"propertyName": "email", "operator": "EQ", "value": email})],
        )
        .await?
        {
            Ok(found) => id = found,
            Err(f) => return Ok(Err(f)),
        }
    }
    if id.is_none() {
        let mut filters = Vec::new();
        for phone in old_phones(work) {
            for property in ["phone", "mobilephone"] {
                filters.push(json!({"propertyName": property, "operator": "EQ", "value": phone}));
            }
        }
        if !filters.is_empty() {
            match hubspot_search(remote, filters).await? {
                Ok(found) => id = found,
                Err(f) => return Ok(Err(f)),
            }
        }
    }
    let Some(id) = id else {
        return Ok(Ok(Outcome {
            result: "not found",
            detail: format!(
                "HubSpot has no contact with {}: nothing was changed there",
                searched(work)
            ),
            remote: None,
            remote_url: None,
            meetings: Vec::new(),
        }));
    };
    let url = format!("{}/crm/v3/objects/contacts/{}", remote.base, segment(&id));
    Ok(
        match remote.call(Method::PATCH, &url, &[], Some(&patch)).await? {
            Ok(_) => Ok(updated("HubSpot contact", &id, None)),
            Err(f) => Err(f),
        },
    )
}

fn updated(what: &str, id: &str, url: Option<String>) -> Outcome {
    let kind = what.rsplit(' ').next().map(str::to_string);
    Outcome {
        result: "updated",
        detail: format!("{what} {id} updated"),
        remote: Some((kind, id.to_string())),
        remote_url: url,
        meetings: Vec::new(),
    }
}

/// A value inside a SOQL string literal: quotes and backslashes escaped.
pub fn soql_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

const SALESFORCE_API: &str = "/services/data/v59.0";

async fn soql(
    remote: &Remote<'_>,
    kind: &str,
    filter: &str,
) -> Result<std::result::Result<Option<String>, Failure>> {
    let q = format!("SELECT Id FROM {kind} WHERE {filter} LIMIT 2");
    let url = format!("{}{SALESFORCE_API}/query", remote.base);
    Ok(
        match remote.call(Method::GET, &url, &[("q", q)], None).await? {
            Ok(reply) => Ok(reply
                .get("records")
                .and_then(|r| r.get(0))
                .and_then(|r| r.get("Id"))
                .and_then(Value::as_str)
                .map(str::to_string)),
            Err(f) => Err(f),
        },
    )
}

/// Salesforce: the Contact (then the Lead) found last time, else by the previous email,
/// else by phone; then PATCH it.
pub(super) async fn salesforce(remote: &Remote<'_>, work: &Work<'_>) -> Result<Reply> {
    let mut found: Option<(String, String)> = None;
    if let Some((Some(kind), id)) = &work.found {
        let url = format!(
            "{}{SALESFORCE_API}/sobjects/{}/{}",
            remote.base,
            segment(kind),
            segment(id)
        );
        match remote.call(Method::GET, &url, &[], None).await? {
            Ok(_) => found = Some((kind.clone(), id.clone())),
            Err(Failure::NotFound) => {}
            Err(f) => return Ok(Err(f)),
        }
    }
    let mut filters = Vec::new();
    if let Some(email) = work.was("email") {
        filters.push(format!("Email = {}", soql_quote(&email)));
    }
    let phones: Vec<String> = old_phones(work)
        .iter()
        .map(|p| format!("Phone = {0} OR MobilePhone = {0}", soql_quote(p)))
        .collect();
    if !phones.is_empty() {
        filters.push(phones.join(" OR "));
    }
    'kinds: for kind in ["Contact", "Lead"] {
        if found.is_some() {
            break;
        }
        for filter in &filters {
            match soql(remote, kind, filter).await? {
                Ok(Some(id)) => {
                    found = Some((kind.to_string(), id));
                    break 'kinds;
                }
                Ok(None) => {}
                Err(f) => return Ok(Err(f)),
            }
        }
    }
    let Some((kind, id)) = found else {
        return Ok(Ok(Outcome {
            result: "not found",
            detail: format!(
                "Salesforce has no Contact or Lead with {}: nothing was changed there",
                searched(work)
            ),
            remote: None,
            remote_url: None,
            meetings: Vec::new(),
        }));
    };
    let names: Vec<(&str, &str)> = SALESFORCE_FIELDS
        .iter()
        .map(|(f, contact, lead)| (*f, if kind == "Lead" { *lead } else { *contact }))
        .chain((kind == "Lead").then_some(("company", "Company")))
        .collect();
    let fields = body(work, &names);
    if fields.is_empty() {
        return Ok(Ok(Outcome::nothing(
            "the contact has no email or phone to send: Salesforce was left as it is",
        )));
    }
    let url = format!(
        "{}{SALESFORCE_API}/sobjects/{}/{}",
        remote.base,
        segment(&kind),
        segment(&id)
    );
    Ok(
        match remote
            .call(Method::PATCH, &url, &[], Some(&Value::Object(fields)))
            .await?
        {
            Ok(_) => Ok(updated(
                &format!("Salesforce {kind}"),
                &id,
                Some(format!("{}/{id}", remote.base)),
            )),
            Err(f) => Err(f),
        },
    )
}

/// Zapier: the change as a `contact.updated` event, the values before and after, and the
/// contact as it is now.
pub(super) async fn zapier(remote: &Remote<'_>, work: &Work<'_>) -> Result<Reply> {
    let mut before = Map::new();
    let mut after = Map::new();
    for f in IDENTITY
        .iter()
        .copied()
        .chain(work.fields.iter().map(String::as_str))
    {
        if before.contains_key(f) || !FIELDS.contains(&f) {
            continue;
        }
        before.insert(
            f.to_string(),
            work.was(f).map_or(Value::Null, Value::String),
        );
        after.insert(
            f.to_string(),
            work.row.get(f).map_or(Value::Null, Value::String),
        );
    }
    let contact: Map<String, Value> = FIELDS
        .iter()
        .map(|f| {
            (
                f.to_string(),
                work.row.get(f).map_or(Value::Null, Value::String),
            )
        })
        .collect();
    let event = json!({
        "event": "contact.updated",
        "contact_id": work.contact_id.to_string(),
        "changed_at": now(),
        "before": before,
        "after": after,
        "contact": contact,
    });
    let url = remote.base.clone();
    Ok(
        match remote.call(Method::POST, &url, &[], Some(&event)).await? {
            Ok(_) => Ok(Outcome {
                result: "updated",
                detail: "the change was posted to the Zap's hook".into(),
                remote: None,
                remote_url: None,
                meetings: Vec::new(),
            }),
            Err(Failure::NotFound) => Err(Failure::Gone("Zapier has no such hook (404)".into())),
            Err(f) => Err(f),
        },
    )
}
