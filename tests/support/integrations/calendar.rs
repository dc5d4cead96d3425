//! The two calendars: Google Calendar v3 and Microsoft Graph v1.0 events, read and patched (a PATCH replaces the attendees array whole, as on both services).

use serde_json::{json, Map, Value};

use super::server::{error, Call, Reply};
use super::state::{Api, State};

const SEND_UPDATES: &[&str] = &["none", "externalOnly", "all"];

fn google_missing() -> Reply {
    error(Api::Google, 404, "notFound", "Not Found")
}

/// `/calendar/v3/calendars/{calendarId}/events/{eventId}`
pub(crate) fn google(data: &mut State, call: &Call) -> Reply {
    let Some(segs) = call.segments("/calendar/v3/calendars/") else {
        return google_missing();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let [calendar, "events", event] = segs.as_slice() else {
        return google_missing();
    };
    let key = (calendar.to_string(), event.to_string());
    match call.method {
        "GET" => match data.google.get(&key) {
            Some(e) => Reply::json(200, e.clone()),
            None => google_missing(),
        },
        "PATCH" => {
            if let Some(v) = call.param("sendUpdates") {
                if !SEND_UPDATES.contains(&v.as_str()) {
                    return error(
                        Api::Google,
                        400,
                        "invalidParameter",
                        &format!("Invalid value for sendUpdates: {v}"),
                    );
                }
            }
            let Some(body) = call.object() else {
                return error(Api::Google, 400, "parseError", "Parse Error");
            };
            if let Some(attendees) = body.get("attendees") {
                let ok = attendees.as_array().is_some_and(|list| {
                    list.iter().all(|a| {
                        a.get("email")
                            .and_then(Value::as_str)
                            .is_some_and(|e| e.contains('@'))
                    })
                });
                if !ok {
                    return error(Api::Google, 400, "invalid", "Invalid attendee email.");
                }
            }
            let Some(stored) = data.google.get_mut(&key) else {
                return google_missing();
            };
            merge(stored, body);
            let sequence = stored.get("sequence").and_then(Value::as_u64).unwrap_or(0);
            stored["sequence"] = json!(sequence + 1);
            Reply::json(200, stored.clone())
        }
        _ => error(Api::Google, 405, "methodNotAllowed", "Method Not Allowed"),
    }
}

/// A PATCH: the body's top-level keys replace the event's (arrays whole).
fn merge(stored: &mut Value, body: &Map<String, Value>) {
    if let Value::Object(event) = stored {
        for (k, v) in body {
            event.insert(k.clone(), v.clone());
        }
    }
}

fn graph_missing() -> Reply {
    error(
        Api::Graph,
        404,
        "ErrorItemNotFound",
        "The specified object was not found in the store.",
    )
}

/// `/v1.0/me/events/{id}` (and `/v1.0/me`).
pub(crate) fn graph(data: &mut State, call: &Call) -> Reply {
    let Some(segs) = call.segments("/v1.0/") else {
        return graph_missing();
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (call.method, segs.as_slice()) {
        ("GET", ["me"]) => Reply::json(
            200,
            json!({"id": "f0f0f0f0-0000-4000-8000-000000000001", "displayName": "Fake Owner",
                "mail": "owner@example.com", "userPrincipalName": "owner@example.com"}),
        ),
        ("GET", ["me", "events", id]) => match data.graph.get(*id) {
            Some(e) => Reply::json(200, e.clone()),
            None => graph_missing(),
        },
        ("PATCH", ["me", "events", id]) => {
            let Some(body) = call.object() else {
                return error(
                    Api::Graph,
                    400,
                    "BadRequest",
                    "Empty Payload. JSON content expected.",
                );
            };
            let mut body = body.clone();
            if let Some(attendees) = body.get_mut("attendees") {
                let Some(list) = attendees.as_array_mut() else {
                    return error(Api::Graph, 400, "BadRequest", "attendees must be an array");
                };
                for a in list.iter_mut() {
                    let address = a
                        .pointer("/emailAddress/address")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !address.contains('@') {
                        return error(
                            Api::Graph,
                            400,
                            "ErrorInvalidRecipients",
                            "At least one recipient isn't valid.",
                        );
                    }
                    let kind = a.get("type").and_then(Value::as_str).unwrap_or("required");
                    if !["required", "optional", "resource"].contains(&kind) {
                        return error(
                            Api::Graph,
                            400,
                            "RequestBodyRead",
                            &format!("Requested value '{kind}' was not found."),
                        );
                    }
                    // Graph fills in a response status the client does not set.
                    if a.get("status").is_none() {
                        a["status"] = json!({"response": "none", "time": "0001-01-01T00:00:00Z"});
                    }
                }
            }
            let Some(stored) = data.graph.get_mut(*id) else {
                return graph_missing();
            };
            merge(stored, &body);
            Reply::json(200, stored.clone())
        }
        _ => error(
            Api::Graph,
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{}'.", call.path),
        ),
    }
}

/// A Google event as the fake seeds it.
pub(crate) fn google_event(id: &str, start: &str, attendees: Value) -> Value {
    json!({"kind": "calendar#event", "id": id, "status": "confirmed",
        "summary": format!("Meeting {id}"),
        "start": {"dateTime": start}, "end": {"dateTime": start},
        "sequence": 0, "attendees": attendees})
}

/// A Graph event as the fake seeds it: `start` in RFC 3339 becomes Graph's
/// `2026-12-01T10:00:00.0000000` in `UTC`.
pub(crate) fn graph_event(id: &str, start: &str, attendees: Value) -> Value {
    let local = graph_time(start);
    json!({"id": id, "subject": format!("Meeting {id}"),
        "start": {"dateTime": local, "timeZone": "UTC"},
        "end": {"dateTime": local, "timeZone": "UTC"},
        "attendees": attendees})
}

fn graph_time(start: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(start) {
        Ok(t) => {
            let t = t.with_timezone(&chrono::Utc);
            // Graph writes seven digits of fraction; chrono has no %.7f.
            format!(
                "{}.{:07}",
                t.format("%Y-%m-%dT%H:%M:%S"),
                t.timestamp_subsec_nanos() / 100
            )
        }
        Err(_) => start.to_string(),
    }
}
