//! Google Calendar and Exchange: only future meetings on that calendar are patched, with the
//! whole guest list, the old address replaced and every other detail kept; Google's
//! `sendUpdates` follows the option.

use serde_json::{json, Value};

use super::{lines, Wired, FUTURE, PAST};

fn google_guests(email: &str) -> Value {
    json!([
        {"email": "host@corp.com", "displayName": "Host", "organizer": true, "responseStatus": "accepted"},
        {"email": email, "displayName": "Olga Old", "responseStatus": "tentative", "optional": true},
        {"email": "third@x.com", "responseStatus": "needsAction"},
    ])
}

/// A contact with three meetings on `calendar`'s platform: a future one, a past one, and a
/// future one on an `other` calendar. The fake holds an event for each.
async fn three_meetings(w: &Wired, calendar: &str) -> String {
    let c = w
        .add(&[
            ("first_name", "Olga"),
            ("last_name", "Old"),
            ("email", "old@x.com"),
        ])
        .await;
    w.meeting("old@x.com", calendar, "evt-future", FUTURE).await;
    w.meeting("old@x.com", calendar, "evt-past", PAST).await;
    w.meeting("old@x.com", "other", "evt-other", FUTURE).await;
    c.id
}

#[tokio::test]
async fn google_patches_only_future_google_meetings_with_the_whole_guest_list() {
    let w = Wired::new().await;
    let token = w.connect("google").await;
    for id in ["evt-future", "evt-past", "evt-other"] {
        let start = if id == "evt-past" { PAST } else { FUTURE };
        w.fake
            .add_google_event("primary", id, start, google_guests("old@x.com"));
    }
    let c = three_meetings(&w, "google").await;
    w.sync().await;
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
    w.edit(&c, &[("email", "new@x.com")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            "GET /calendar/v3/calendars/primary/events/evt-future",
            "PATCH /calendar/v3/calendars/primary/events/evt-future?sendUpdates=none",
        ],
        "the past meeting and the other calendar's get no request"
    );
    assert_eq!(
        sent[1].body,
        json!({"attendees": google_guests("new@x.com")})
    );
    assert!(sent.iter().all(|r| r.bearer() == Some(token.as_str())));
    assert_eq!(
        w.fake.google_event("primary", "evt-future").unwrap()["attendees"],
        google_guests("new@x.com")
    );
    for id in ["evt-past", "evt-other"] {
        assert_eq!(
            w.fake.google_event("primary", id).unwrap()["attendees"],
            google_guests("old@x.com")
        );
    }
    // The option: Google emails the guests outside the organisation.
    w.set_send_updates("externalOnly").await;
    w.fake.clear_requests();
    w.edit(&c, &[("email", "newer@x.com")]).await;
    w.drain().await;
    let patch = w.fake.requests_to("PATCH /calendar/v3/").pop().unwrap();
    assert_eq!(patch.query, "sendUpdates=externalOnly");
    assert_eq!(
        patch.body,
        json!({"attendees": google_guests("newer@x.com")})
    );
    let results = cardfile_core::integrations::results(w.db.store(), &c)
        .await
        .unwrap();
    let google = results.iter().find(|r| r.integration == "google").unwrap();
    assert_eq!(google.result, "updated");
    let updated: Vec<bool> = google.meetings.iter().map(|m| m.updated).collect();
    assert_eq!(updated.iter().filter(|u| **u).count(), 1, "{google:?}");
    assert_eq!(google.meetings.len(), 3, "{google:?}");
}

#[tokio::test]
async fn google_uses_the_meetings_calendar_id_percent_encoded() {
    let w = Wired::new().await;
    w.connect("google").await;
    let calendar = "team room@group.calendar.google.com";
    w.fake
        .add_google_event(calendar, "evt 1", FUTURE, google_guests("cal@x.com"));
    let c = w
        .add(&[("first_name", "Cal"), ("email", "cal@x.com")])
        .await;
    w.db.session
        .record_activity(&cardfile_core::activity::NewActivity {
            kind: Some(cardfile_core::activity::Kind::Meeting),
            fields: crate::fields(&[("email", "cal@x.com")]),
            host: None,
            status: None,
            starts_at: Some(FUTURE.to_string()),
            ends_at: None,
            calendar: Some("google".into()),
            event_id: Some("evt 1".into()),
            calendar_id: Some(calendar.into()),
        })
        .await
        .unwrap();
    w.edit(&c.id, &[("email", "cal@new.com")]).await;
    w.drain().await;
    let sent = w.fake.requests();
    assert_eq!(sent.len(), 2, "{:?}", lines(&sent));
    assert_eq!(
        sent[1].decoded_path(),
        "/calendar/v3/calendars/team room@group.calendar.google.com/events/evt 1"
    );
    assert!(
        sent[1]
            .path
            .starts_with("/calendar/v3/calendars/team%20room%40group")
            && sent[1].path.ends_with("/events/evt%201"),
        "one path segment each: {}",
        sent[1].path
    );
    assert_eq!(
        w.fake.google_event(calendar, "evt 1").unwrap()["attendees"],
        google_guests("cal@new.com")
    );
}

fn graph_guests(email: &str, with_status: bool) -> Value {
    let mut guests = json!([
        {"emailAddress": {"address": "host@corp.com", "name": "Host"}, "type": "required"},
        {"emailAddress": {"address": email, "name": "Olga Old"}, "type": "optional"},
        {"emailAddress": {"address": "room@corp.com", "name": "Room 1"}, "type": "resource"},
    ]);
    if with_status {
        for g in guests.as_array_mut().unwrap() {
            g["status"] = json!({"response": "accepted", "time": "2030-01-01T00:00:00Z"});
        }
    }
    guests
}

#[tokio::test]
async fn exchange_patches_only_future_exchange_meetings_with_the_whole_guest_list() {
    let w = Wired::new().await;
    let token = w.connect("exchange").await;
    for id in ["evt-future", "evt-past", "evt-other"] {
        let start = if id == "evt-past" { PAST } else { FUTURE };
        w.fake
            .add_graph_event(id, start, graph_guests("old@x.com", true));
    }
    let c = three_meetings(&w, "exchange").await;
    w.edit(&c, &[("email", "new@x.com")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            "GET /v1.0/me/events/evt-future",
            "PATCH /v1.0/me/events/evt-future",
        ]
    );
    assert_eq!(
        sent[1].body,
        json!({"attendees": graph_guests("new@x.com", false)}),
        "the whole list, each guest's type kept, the read-only status left out"
    );
    assert!(sent.iter().all(|r| r.bearer() == Some(token.as_str())));
    assert_eq!(
        w.fake.graph_event("evt-future").unwrap()["attendees"][1]["emailAddress"]["address"],
        "new@x.com"
    );
    for id in ["evt-past", "evt-other"] {
        assert_eq!(
            w.fake.graph_event(id).unwrap()["attendees"],
            graph_guests("old@x.com", true)
        );
    }
}

#[tokio::test]
async fn a_phone_edit_sends_nothing_to_a_calendar() {
    let w = Wired::new().await;
    w.connect("google").await;
    w.connect("exchange").await;
    w.fake
        .add_google_event("primary", "evt-future", FUTURE, google_guests("old@x.com"));
    w.fake
        .add_graph_event("evt-future", FUTURE, graph_guests("old@x.com", true));
    let c = three_meetings(&w, "google").await;
    w.edit(&c, &[("mobile_phone", "+447911123405")]).await;
    w.drain().await;
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
}
