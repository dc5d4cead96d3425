//! Where a change comes from does not matter: a merge, an import and a change pulled from the
//! cloud send what the same edit sends. A delete sends nothing at all.

use std::sync::atomic::AtomicBool;

use cardfile_core::import::ImportOptions;
use cardfile_core::preferences::Key;
use cardfile_core::sync;
use serde_json::{json, Value};

use super::{Wired, FUTURE};
use crate::oncehub::FakeOnceHub;

/// What the fake HubSpot was sent: each request's line and body.
fn wire(w: &Wired) -> Vec<(String, Value)> {
    w.fake
        .requests()
        .into_iter()
        .map(|r| (r.line(), r.body))
        .collect()
}

/// The same end state reached by a plain edit, on a fresh database and fake: a HubSpot record
/// 101 with `email`, a second one (102, never to be touched), and the contact given by
/// `contact` then edited to `edit`. Returns what HubSpot was sent.
async fn by_edit(contact: &[(&str, &str)], edit: &[(&str, &str)]) -> Vec<(String, Value)> {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    seed(&w);
    let c = w.add(contact).await;
    w.edit(&c.id, edit).await;
    w.drain().await;
    let sent = wire(&w);
    assert!(!sent.is_empty());
    sent
}

fn seed(w: &Wired) {
    assert_eq!(
        w.fake.add_hubspot_contact(json!({"email": "kay@x.com"})),
        "101"
    );
    assert_eq!(
        w.fake.add_hubspot_contact(json!({"email": "kay2@x.com"})),
        "102"
    );
}

#[tokio::test]
async fn a_merge_sends_the_survivor_the_same_update_as_an_edit() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    seed(&w);
    let keep = w
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Keep"),
            ("email", "kay@x.com"),
        ])
        .await;
    let fold = w
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Fold"),
            ("email", "kay2@x.com"),
            ("mobile_phone", "+447911123411"),
        ])
        .await;
    w.db.session
        .edit(&fold.id, &crate::fields(&[("email", "kay@x.com")]), true)
        .await
        .unwrap();
    let survivor = w.db.session.get(&keep.id).await.unwrap();
    assert_eq!(
        survivor.mobile_phone.as_deref(),
        Some("+447911123411"),
        "the merge filled the survivor's mobile phone"
    );
    w.drain().await;
    let merged = wire(&w);
    assert_eq!(
        merged,
        by_edit(
            &[
                ("first_name", "Kay"),
                ("last_name", "Keep"),
                ("email", "kay@x.com"),
            ],
            &[("mobile_phone", "+447911123411")],
        )
        .await
    );
    assert_eq!(
        merged.last().unwrap().1,
        json!({"properties": {"email": "kay@x.com", "mobilephone": "+447911123411"}})
    );
    assert_eq!(
        w.fake.hubspot_contact("102").unwrap(),
        json!({"email": "kay2@x.com"}),
        "the contact merged away is not sent"
    );
}

#[tokio::test]
async fn an_import_that_changes_an_email_sends_the_same_update_as_an_edit() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    seed(&w);
    let c = w
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Keep"),
            ("email", "kay@x.com"),
            ("mobile_phone", "+447911123412"),
        ])
        .await;
    let path = w.db.dir.path().join("in.csv");
    std::fs::write(
        &path,
        "First name,Last name,Email,Mobile phone\nKay,Keep,kay@new.com,+447911123412\n",
    )
    .unwrap();
    let report =
        w.db.session
            .import_file(
                &path,
                &ImportOptions::default(),
                &|_| {},
                &AtomicBool::new(false),
            )
            .await
            .unwrap();
    assert_eq!(report.summary.updated, 1, "{:?}", report.summary);
    let now = w.db.session.get(&c.id).await.unwrap();
    assert_eq!(now.email.as_deref(), Some("kay@new.com"));
    w.drain().await;
    let imported = wire(&w);
    assert_eq!(
        imported,
        by_edit(
            &[
                ("first_name", "Kay"),
                ("last_name", "Keep"),
                ("email", "kay@x.com"),
                ("mobile_phone", "+447911123412"),
            ],
            &[("email", "kay@new.com")],
        )
        .await
    );
    assert_eq!(
        imported.last().unwrap().1,
        json!({"properties": {"email": "kay@new.com", "mobilephone": "+447911123412"}})
    );
}

#[tokio::test]
async fn a_change_pulled_from_the_cloud_sends_the_same_update_as_an_edit() {
    let w = Wired::new().await;
    let cloud = FakeOnceHub::start(crate::sync::KEY).await;
    cloud.set_limits(100_000, 1_000_000);
    for (key, value) in [
        (Key::CloudPerSecond, "1000"),
        (Key::CloudPerFiveMinutes, "100000"),
    ] {
        w.db.session.set(&w.secrets, key, value).await.unwrap();
    }
    let user = w.db.session.user().await.unwrap();
    sync::connect(
        w.db.store(),
        &w.secrets,
        &user,
        Some(&cloud.url()),
        crate::sync::KEY,
        &AtomicBool::new(false),
        &|_| {},
    )
    .await
    .unwrap();
    w.connect("hubspot").await;
    seed(&w);
    let c = w
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Keep"),
            ("email", "kay@x.com"),
        ])
        .await;
    w.drain().await;
    assert!(w.fake.requests().is_empty(), "a new contact is not sent");
    let remote = cloud.contact_by_email("kay@x.com").unwrap();
    let remote_id = remote["id"].as_str().unwrap().to_string();
    cloud.edit_contact(&remote_id, json!({"email": "kay@pulled.com"}));
    w.drain().await;
    let now = w.db.session.get(&c.id).await.unwrap();
    assert_eq!(now.email.as_deref(), Some("kay@pulled.com"));
    let pulled = wire(&w);
    assert_eq!(
        pulled,
        by_edit(
            &[
                ("first_name", "Kay"),
                ("last_name", "Keep"),
                ("email", "kay@x.com"),
            ],
            &[("email", "kay@pulled.com")],
        )
        .await
    );
    assert_eq!(
        pulled.last().unwrap().1,
        json!({"properties": {"email": "kay@pulled.com"}})
    );
}

/// Every integration connected, with a record or event for the contact in each.
async fn everything(w: &Wired) {
    for name in ["hubspot", "salesforce", "google", "exchange", "zapier"] {
        w.connect(name).await;
    }
    w.fake.add_hubspot_contact(json!({"email": "del@x.com"}));
    w.fake
        .add_salesforce("Contact", "003DEL", Some("del@x.com"), None, None);
    let guests = json!([{"email": "del@x.com"}]);
    w.fake
        .add_google_event("primary", "evt-del", FUTURE, guests);
    w.fake.add_graph_event(
        "evt-del",
        FUTURE,
        json!([{"emailAddress": {"address": "del@x.com", "name": "Del"}, "type": "required"}]),
    );
}

#[tokio::test]
async fn a_delete_sends_nothing_even_after_an_edit_was_queued() {
    let w = Wired::new().await;
    everything(&w).await;
    let c = w
        .add(&[
            ("first_name", "Del"),
            ("last_name", "Gone"),
            ("email", "del@x.com"),
            ("mobile_phone", "+447911123413"),
        ])
        .await;
    w.meeting("del@x.com", "google", "evt-del", FUTURE).await;
    w.meeting("del@x.com", "exchange", "evt-del", FUTURE).await;
    let plain = w
        .add(&[("first_name", "Plain"), ("email", "plain@x.com")])
        .await;
    w.edit(&c.id, &[("email", "del@new.com")]).await;
    let queued: Vec<String> = w
        .items("hubspot")
        .await
        .into_iter()
        .chain(w.items("google").await)
        .chain(w.items("zapier").await)
        .map(|i| i.status)
        .collect();
    assert_eq!(queued, vec!["pending"; 3], "the edit was queued");
    w.db.session.delete(&c.id).await.unwrap();
    w.db.session.delete(&plain.id).await.unwrap();
    let s = w.drain().await;
    assert_eq!((s.pending, s.failed), (0, 0));
    assert!(
        w.fake.requests().is_empty(),
        "not one request: {:?}",
        w.fake.lines()
    );
    let items = w.outbox().await;
    assert!(
        items
            .iter()
            .filter(|i| i.target != "oncehub")
            .all(|i| i.status == "canceled"),
        "{items:?}"
    );
}
