//! Pulls: remote edits (a change waiting here wins), contacts new to this computer, remote
//! deletions found by reconciling ids, and bookings that become meetings and contacts.

use cardfile_core::activity::Kind;
use serde_json::json;

use super::{field, Cloudy};

#[tokio::test]
async fn a_remote_edit_replaces_the_local_value_unless_a_local_change_waits() {
    let c = Cloudy::new().await;
    c.connect().await;
    let a = c
        .add(&[
            ("first_name", "Ana"),
            ("last_name", "Pull"),
            ("email", "ana@example.com"),
        ])
        .await;
    c.drain().await;
    let id = field(&c.fake.contact_by_email("ana@example.com").unwrap(), "id").unwrap();
    c.fake.go_offline().await;
    c.edit(&a.id, &[("company", "Local Co")]).await;
    c.sync().await;
    c.fake.come_back().await;
    c.fake.edit_contact(
        &id,
        json!({"company": "Remote Co", "city": "Quito", "job_title": "Buyer"}),
    );
    c.drain().await;
    let here = c.db.session.get(&a.id).await.unwrap();
    assert_eq!(
        here.company.as_deref(),
        Some("Local Co"),
        "the change waiting here wins"
    );
    assert_eq!(here.city.as_deref(), Some("Quito"));
    assert_eq!(here.job_title.as_deref(), Some("Buyer"));
    let cloud = c.fake.contact(&id).unwrap();
    assert_eq!(
        field(&cloud, "company").as_deref(),
        Some("Local Co"),
        "and is still sent"
    );
    // A pulled change is the cloud's: it is not sent back.
    c.fake.clear_requests();
    c.sync().await;
    assert!(c.writes().is_empty(), "{:?}", c.writes());
}

#[tokio::test]
async fn a_contact_new_in_the_cloud_is_created_here_owned_by_its_owner() {
    let c = Cloudy::new().await;
    let rep = c.fake.insert_user(
        json!({"email": "rep@example.com", "first_name": "Rep", "last_name": "One",
        "role_name": "Member", "status": "active", "teams": []}),
    );
    c.connect().await;
    c.fake.insert_contact(
        json!({"first_name": "New", "last_name": "Comer", "email": "NEW@Example.com",
        "owner": rep, "status": "Qualified", "has_consent": true}),
    );
    let s = c.sync().await;
    assert_eq!(s.pulled, 1);
    let page =
        c.db.session
            .list(&cardfile_core::ListQuery {
                search: "comer".into(),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
    let new = &page.rows[0];
    assert_eq!(new.email.as_deref(), Some("new@example.com"));
    assert_eq!(new.owner, "rep@example.com");
    assert_eq!(new.status.as_deref(), Some("Qualified"));
    assert_eq!(new.has_consent, Some(true));
    c.fake.clear_requests();
    c.sync().await;
    assert!(
        c.writes().is_empty(),
        "a contact from the cloud is not pushed back"
    );
}

#[tokio::test]
async fn a_remote_deletion_is_found_by_reconciling_and_deletes_here() {
    let c = Cloudy::new().await;
    c.connect().await;
    let d = c
        .add(&[
            ("first_name", "Del"),
            ("last_name", "Eted"),
            ("email", "del@example.com"),
        ])
        .await;
    let k = c
        .add(&[
            ("first_name", "Kee"),
            ("last_name", "Pt"),
            ("email", "kee@example.com"),
        ])
        .await;
    c.db.session
        .record_activity(&cardfile_core::activity::NewActivity {
            kind: Some(Kind::Chat),
            fields: crate::fields(&[("email", "del@example.com")]),
            ..Default::default()
        })
        .await
        .unwrap();
    c.drain().await;
    c.sync().await;
    let id = field(&c.fake.contact_by_email("del@example.com").unwrap(), "id").unwrap();
    c.fake.delete_contact(&id);
    c.sync().await;
    c.sync().await;
    assert!(c.db.session.get(&d.id).await.is_err());
    assert!(
        c.db.session.get(&k.id).await.is_ok(),
        "only the one deleted"
    );
    let acts = c.db.session.activities(None).await.unwrap();
    assert!(
        acts.iter().all(|a| a.contact_deleted),
        "the activity stays, without its contact"
    );
}

#[tokio::test]
async fn reconciling_a_big_account_resumes_where_the_last_run_stopped() {
    let c = Cloudy::new().await;
    for i in 0..620 {
        c.fake.insert_contact(json!({"first_name": "R", "last_name": format!("{i}"), "email": format!("r{i}@example.com")}));
    }
    c.connect().await;
    let oldest = c.fake.contact_by_email("r0@example.com").unwrap();
    c.fake.delete_contact(&field(&oldest, "id").unwrap());
    // Each run reads five pages of 100: the second run finishes the pass.
    c.sync().await;
    assert_eq!(
        cardfile_core::contacts::count(c.db.store()).await.unwrap(),
        620
    );
    c.sync().await;
    assert_eq!(
        cardfile_core::contacts::count(c.db.store()).await.unwrap(),
        619
    );
}

fn booking(email: &str, phone: Option<&str>, name: &str) -> serde_json::Value {
    json!({
        "subject": "Demo", "status": "requested", "in_trash": false,
        "starting_time": "2031-03-22T14:30:00Z", "duration_minutes": 45,
        "form_submission": {"name": name, "email": email, "phone": null, "mobile_phone": phone,
            "note": "", "company": null, "guests": [], "custom_fields": []},
        "external_calendar": {"type": "google", "name": "host", "id": "host@example.com", "event_id": format!("ev-{email}")},
        "attendees": [email], "custom_fields": []
    })
}

#[tokio::test]
async fn bookings_become_meetings_and_create_or_fill_their_contacts() {
    let c = Cloudy::new().await;
    c.connect().await;
    let known = c
        .add(&[
            ("first_name", "Kim"),
            ("last_name", "Known"),
            ("email", "kim@example.com"),
        ])
        .await;
    let by_email = c
        .add(&[
            ("first_name", "Em"),
            ("last_name", "Ail"),
            ("email", "em@example.com"),
        ])
        .await;
    let by_phone = c
        .add(&[
            ("first_name", "Ph"),
            ("last_name", "One"),
            ("mobile_phone", "+12025550177"),
        ])
        .await;
    c.drain().await;
    let b1 = c.fake.insert_booking(booking(
        "newbie@example.com",
        Some("1-202-555-0166"),
        "Nina New Person",
    ));
    c.fake.insert_booking(booking(
        "kim@example.com",
        Some("+12025550155"),
        "Kim Known",
    ));
    c.fake
        .insert_booking(booking("em@example.com", Some("+1 202 555 0177"), "Em Ail"));
    let s = c.sync().await;
    assert_eq!(s.activities, 3);
    // New email: a contact, the name split at the first space, the phone in E.164.
    let page =
        c.db.session
            .list(&cardfile_core::ListQuery {
                search: "newbie".into(),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
    let nina = &page.rows[0];
    assert_eq!(
        (nina.first_name.as_deref(), nina.last_name.as_deref()),
        (Some("Nina"), Some("New Person"))
    );
    assert_eq!(nina.mobile_phone.as_deref(), Some("+12025550166"));
    // Known email, new phone: filled in.
    assert_eq!(
        c.db.session
            .get(&known.id)
            .await
            .unwrap()
            .mobile_phone
            .as_deref(),
        Some("+12025550155")
    );
    // Email of one contact, phone of another: held for review.
    let review = c.db.session.conflicts().await.unwrap();
    assert_eq!(review.len(), 1);
    let _ = (by_email, by_phone);
    let meetings = c.db.session.activities(None).await.unwrap();
    let m = meetings
        .iter()
        .find(|a| a.with_email.as_deref() == Some("newbie@example.com"))
        .unwrap();
    assert_eq!(
        m.status.as_deref(),
        Some("scheduled"),
        "requested is scheduled"
    );
    assert_eq!(m.calendar.as_deref(), Some("google"));
    assert_eq!(m.ends_at.as_deref(), Some("2031-03-22T15:15:00Z"));
    // Seen again (canceled in the cloud): the same meeting changes.
    c.fake.edit_booking(&b1, json!({"in_trash": true}));
    c.sync().await;
    let meetings = c.db.session.activities(None).await.unwrap();
    assert_eq!(meetings.len(), 3);
    let m = meetings
        .iter()
        .find(|a| a.with_email.as_deref() == Some("newbie@example.com"))
        .unwrap();
    assert_eq!(m.status.as_deref(), Some("canceled"));
    // Contacts a booking made are the cloud's: nothing is pushed for them.
    assert_eq!(c.fake.creates_for("newbie@example.com"), 0);
}

#[tokio::test]
async fn a_booking_attaches_to_the_contact_the_cloud_linked() {
    let c = Cloudy::new().await;
    c.connect().await;
    let linked = c
        .add(&[
            ("first_name", "Lin"),
            ("last_name", "Ked"),
            ("email", "lin@example.com"),
        ])
        .await;
    c.drain().await;
    let id = field(&c.fake.contact_by_email("lin@example.com").unwrap(), "id").unwrap();
    let mut b = booking("typed-differently@example.com", None, "Lin Ked");
    b["contact"] = json!(id);
    b["conversation"] = json!({"id": "CVR-1", "object": "conversation", "status": "closed",
        "contact": {"object": "contact", "id": id, "email": "lin@example.com", "first_name": "Lin", "last_name": "Ked"}});
    c.fake.insert_booking(b);
    let s = c.sync().await;
    assert_eq!(s.activities, 2, "the meeting and its conversation's chat");
    let acts = c.db.session.activities(Some(&linked.id)).await.unwrap();
    assert_eq!(acts.len(), 2);
    assert!(acts.iter().any(|a| a.kind == "chat"));
}
