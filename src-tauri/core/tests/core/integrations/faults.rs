//! Faults on the wire: a 503, a 429 with Retry-After, a timeout and a dropped connection are
//! each retried after a backoff, and in the end exactly one update lands: nothing is lost and
//! nothing is sent twice.

use std::time::Duration;

use serde_json::json;

use super::{Wired, FUTURE};
use crate::fake_integrations::{Fault, Logged};

/// The logged requests to this prefix (with its method), and how many of them landed.
fn tries(w: &Wired, prefix: &str) -> (Vec<Logged>, usize) {
    let all = w.fake.requests_to(prefix);
    let landed = all.iter().filter(|r| r.landed()).count();
    (all, landed)
}

/// After the drain, another run sends nothing more.
async fn quiet_after(w: &Wired) {
    w.fake.clear_requests();
    w.sync().await;
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
}

#[tokio::test]
async fn hubspot_retries_a_503_a_429_a_timeout_and_a_dropped_connection_then_patches_once() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    let id = w.fake.add_hubspot_contact(json!({"email": "f@x.com"}));
    let c = w.add(&[("first_name", "Flo"), ("email", "f@x.com")]).await;
    let patch = "PATCH /crm/v3/objects/contacts/";
    for fault in [
        Fault::Status(503),
        Fault::RetryAfter(429, 1),
        Fault::Timeout,
        Fault::Drop,
    ] {
        w.fake.fault(patch, fault);
    }
    w.edit(&c.id, &[("email", "f@new.com")]).await;
    let s = w.drain().await;
    assert_eq!((s.pending, s.failed), (0, 0));
    assert_eq!(w.fake.faults_left(), 0);
    let (patches, landed) = tries(&w, patch);
    assert_eq!(patches.len(), 5, "{:?}", w.fake.lines());
    assert_eq!(landed, 1);
    assert!(patches[4].landed(), "the last one");
    for p in &patches {
        assert_eq!(p.path, format!("/crm/v3/objects/contacts/{id}"));
        assert_eq!(p.body, json!({"properties": {"email": "f@new.com"}}));
    }
    let waited = patches[2].at.duration_since(patches[1].at);
    assert!(
        waited >= Duration::from_millis(950),
        "the 429's Retry-After (1 s) was honoured: {waited:?}"
    );
    assert_eq!(w.fake.hubspot_contact(&id).unwrap()["email"], "f@new.com");
    let items = w.items("hubspot").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, "sent");
    assert_eq!(items[0].attempts, 5);
    quiet_after(&w).await;
}

#[tokio::test]
async fn salesforce_waits_for_a_429s_retry_after_then_patches_once() {
    let w = Wired::new().await;
    w.connect("salesforce").await;
    w.fake
        .add_salesforce("Contact", "003RA", Some("r@x.com"), None, None);
    let c = w.add(&[("first_name", "Ray"), ("email", "r@x.com")]).await;
    let patch = "PATCH /services/data/v59.0/sobjects/";
    w.fake.fault(patch, Fault::RetryAfter(429, 2));
    w.edit(&c.id, &[("email", "r@new.com")]).await;
    w.drain().await;
    let (patches, landed) = tries(&w, patch);
    assert_eq!((patches.len(), landed), (2, 1), "{:?}", w.fake.lines());
    let waited = patches[1].at.duration_since(patches[0].at);
    assert!(waited >= Duration::from_millis(1950), "{waited:?}");
    assert_eq!(
        w.fake.salesforce("Contact", "003RA").unwrap(),
        json!({"Email": "r@new.com"})
    );
    quiet_after(&w).await;
}

fn guests(email: &str) -> serde_json::Value {
    json!([{"email": "host@corp.com", "organizer": true}, {"email": email, "displayName": "Tim"}])
}

#[tokio::test]
async fn google_retries_a_timed_out_patch_and_the_guest_list_is_replaced_once() {
    let w = Wired::new().await;
    w.connect("google").await;
    w.fake
        .add_google_event("primary", "evt-t", FUTURE, guests("t@x.com"));
    let c = w.add(&[("first_name", "Tim"), ("email", "t@x.com")]).await;
    w.meeting("t@x.com", "google", "evt-t", FUTURE).await;
    w.fake.fault("PATCH /calendar/v3/", Fault::Timeout);
    w.fake.fault("GET /calendar/v3/", Fault::Status(503));
    w.edit(&c.id, &[("email", "t@new.com")]).await;
    let s = w.drain().await;
    assert_eq!((s.pending, s.failed), (0, 0));
    let (gets, got) = tries(&w, "GET /calendar/v3/");
    assert_eq!((gets.len(), got), (3, 2), "{:?}", w.fake.lines());
    let (patches, landed) = tries(&w, "PATCH /calendar/v3/");
    assert_eq!((patches.len(), landed), (2, 1), "{:?}", w.fake.lines());
    assert_eq!(patches[0].fault, Some(Fault::Timeout));
    assert_eq!(
        w.fake.google_event("primary", "evt-t").unwrap()["attendees"],
        guests("t@new.com")
    );
    quiet_after(&w).await;
}

#[tokio::test]
async fn exchange_retries_a_dropped_connection_then_patches_once() {
    let w = Wired::new().await;
    w.connect("exchange").await;
    let attendees =
        json!([{"emailAddress": {"address": "d@x.com", "name": "Dee"}, "type": "required"}]);
    w.fake.add_graph_event("evt-d", FUTURE, attendees);
    let c = w.add(&[("first_name", "Dee"), ("email", "d@x.com")]).await;
    w.meeting("d@x.com", "exchange", "evt-d", FUTURE).await;
    w.fake.fault("PATCH /v1.0/me/events/", Fault::Drop);
    w.fake.fault("PATCH /v1.0/me/events/", Fault::Status(500));
    w.edit(&c.id, &[("email", "d@new.com")]).await;
    let s = w.drain().await;
    assert_eq!((s.pending, s.failed), (0, 0));
    let (patches, landed) = tries(&w, "PATCH /v1.0/me/events/");
    assert_eq!((patches.len(), landed), (3, 1), "{:?}", w.fake.lines());
    assert_eq!(patches[0].status, 0, "dropped: no reply at all");
    assert_eq!(
        w.fake.graph_event("evt-d").unwrap()["attendees"][0]["emailAddress"]["address"],
        "d@new.com"
    );
    quiet_after(&w).await;
}

#[tokio::test]
async fn zapier_retries_a_503_and_posts_the_change_once() {
    let w = Wired::new().await;
    w.connect("zapier").await;
    let c = w.add(&[("first_name", "Zoe"), ("email", "z@x.com")]).await;
    w.fake.fault("POST /hooks/", Fault::Status(503));
    w.fake.fault("POST /hooks/", Fault::Drop);
    w.edit(&c.id, &[("email", "z@new.com")]).await;
    w.drain().await;
    let (posts, landed) = tries(&w, "POST /hooks/");
    assert_eq!((posts.len(), landed), (3, 1), "{:?}", w.fake.lines());
    assert_eq!(w.fake.hook_posts().len(), 1);
    assert_eq!(w.fake.hook_posts()[0]["after"]["email"], "z@new.com");
    quiet_after(&w).await;
}
