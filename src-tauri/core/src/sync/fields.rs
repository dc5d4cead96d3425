//! A contact between the two sides: a cloud Contact read into a row by the same rules as
//! anything a person types (trimmed, email lowercased, phones in E.164), its "shadow" (the
//! synced fields as the cloud holds them), and the JSON body of a create or an update.

use serde_json::{Map, Value};

use crate::error::Result;
use crate::outbox::{shadow_value, synced_fields, FieldChange};
use crate::record::{ContactFields, ContactRow};

/// A cloud contact's synced fields as a row would hold them (owner and times left blank).
pub(crate) fn remote_row(item: &Value, region: &str) -> Result<ContactRow> {
    let mut fields = ContactFields::default();
    for f in synced_fields() {
        match item.get(f) {
            Some(Value::String(s)) if !s.trim().is_empty() => fields.set_text(f, s.clone()),
            Some(Value::Bool(b)) => fields.set_text(f, b.to_string()),
            _ => {}
        }
    }
    // A status outside OnceHub's list is stored by OnceHub as null: so here.
    if fields
        .status
        .as_deref()
        .is_some_and(|s| !crate::record::STATUSES.contains(&s))
    {
        fields.status = None;
    }
    let mut row = ContactRow::blank(0, String::new());
    row.apply(fields, region)?;
    Ok(row)
}

/// The shadow of a row: its synced fields as text, as JSON.
pub(crate) fn shadow_of(row: &ContactRow) -> String {
    let map: Map<String, Value> = synced_fields()
        .map(|f| (f.to_string(), row.get(f).map_or(Value::Null, Value::String)))
        .collect();
    Value::Object(map).to_string()
}

/// A synced field's JSON value on the wire (has_consent is a boolean).
fn wire(field: &str, value: Option<&String>) -> Value {
    match (field, value) {
        (_, None) => Value::Null,
        ("has_consent", Some(v)) => Value::Bool(v == "true"),
        (_, Some(v)) => Value::String(v.clone()),
    }
}

/// A create's body: every synced field with a value (never an empty string), and the owner.
pub(crate) fn create_body(row: &ContactRow, owner: Option<String>) -> Value {
    let mut map: Map<String, Value> = synced_fields()
        .filter_map(|f| row.get(f).map(|v| (f.to_string(), wire(f, Some(&v)))))
        .collect();
    if let Some(owner) = owner {
        map.insert("owner".into(), Value::String(owner));
    }
    Value::Object(map)
}

/// An update's body: each changed field's value, or null where the user cleared it.
pub(crate) fn update_body(changes: &[FieldChange]) -> Value {
    Value::Object(
        changes
            .iter()
            .map(|c| (c.field.clone(), wire(&c.field, c.after.as_ref())))
            .collect(),
    )
}

/// The stored form of what an item sent: (field, before, after) triples.
pub(crate) fn sent_record(changes: &[FieldChange]) -> String {
    Value::from(
        changes
            .iter()
            .map(|c| {
                Value::from(vec![
                    Value::from(c.field.clone()),
                    c.before.clone().map_or(Value::Null, Value::String),
                    c.after.clone().map_or(Value::Null, Value::String),
                ])
            })
            .collect::<Vec<_>>(),
    )
    .to_string()
}

/// The fields whose cloud value differs from the shadow: what changed remotely.
pub(crate) fn changed_remotely(remote: &ContactRow, shadow: &Value) -> Vec<&'static str> {
    synced_fields()
        .filter(|f| remote.get(f) != shadow_value(shadow, f))
        .collect()
}
