//! The outbox's delivery rules: coalescing, creates absorbed or dropped, merges, what
//! OnceHub's API cannot do ("needs attention"), lost replies, phone-only 409s, remote
//! deletions found by a PATCH, and the documented rate limits.

use std::time::{Duration, Instant};

use cardfile_core::preferences::Key;
use cardfile_core::sync;
use serde_json::json;

use super::{field, only, Cloudy};
use crate::oncehub::Fault;

#[tokio::test]
async fn several_edits_go_as_one_patch_with_only_the_net_change() {
    let c = Cloudy::new().await;
    c.connect().await;
    let a = c
        .add(&[
            ("first_name", "Al"),
            ("last_name", "One"),
            ("email", "al@example.com"),
            ("notes", "private"),
        ])
        .await;
    c.drain().await;
    c.fake.clear_requests();
    c.edit(&a.id, &[("company", "Acme")]).await;
    c.edit(&a.id, &[("company", "Acme Ltd"), ("city", "Rome")])
        .await;
    c.edit(&a.id, &[("city", "")]).await;
    c.edit(&a.id, &[("notes", "still private")]).await;
    c.drain().await;
    let patches: Vec<_> = c
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1, "one call for the coalesced change");
    let body: serde_json::Value = serde_json::from_str(&patches[0].body).unwrap();
    assert_eq!(
        body,
        json!({"company": "Acme Ltd"}),
        "city came back to what the cloud has; notes stay local"
    );
    let cloud = c.fake.contact_by_email("al@example.com").unwrap();
    assert_eq!(field(&cloud, "notes"), None);
}

#[tokio::test]
async fn a_create_then_edits_goes_as_one_post_and_a_create_deleted_first_sends_nothing() {
    let c = Cloudy::new().await;
    c.connect().await;
    c.fake.go_offline().await;
    let b = c
        .add(&[
            ("first_name", "Bea"),
            ("last_name", "Two"),
            ("email", "bea@example.com"),
        ])
        .await;
    c.edit(&b.id, &[("job_title", "CTO")]).await;
    let gone = c
        .add(&[
            ("first_name", "Gus"),
            ("last_name", "Gone"),
            ("email", "gus@example.com"),
        ])
        .await;
    c.db.session.delete(&gone.id).await.unwrap();
    let s = c.sync().await;
    assert!(s.offline, "offline is not an error: work waits");
    assert_eq!(s.pending, 1);
    c.fake.come_back().await;
    c.fake.clear_requests();
    c.drain().await;
    assert_eq!(
        c.writes(),
        vec![("POST".to_string(), "/v2/contacts".to_string())]
    );
    let cloud = c.fake.contact_by_email("bea@example.com").unwrap();
    assert_eq!(field(&cloud, "job_title").as_deref(), Some("CTO"));
    assert_eq!(c.fake.creates_for("gus@example.com"), 0);
}

#[tokio::test]
async fn a_merge_deletes_the_folded_contact_first_then_patches_the_survivor() {
    let c = Cloudy::new().await;
    c.connect().await;
    let keep = c
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Keep"),
            ("email", "kay@example.com"),
        ])
        .await;
    let fold = c
        .add(&[
            ("first_name", "Kay"),
            ("last_name", "Fold"),
            ("email", "kay2@example.com"),
            ("company", "Folded Co"),
        ])
        .await;
    c.drain().await;
    c.fake.clear_requests();
    // Editing the second to the first's email merges it into the first.
    c.db.session
        .edit(&fold.id, &only(&[("email", "kay@example.com")]), true)
        .await
        .unwrap();
    c.drain().await;
    let writes = c.writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert_eq!(writes[0].0, "DELETE");
    assert_eq!(writes[1].0, "PATCH");
    assert!(c.fake.contact_by_email("kay2@example.com").is_none());
    let survivor = c.fake.contact_by_email("kay@example.com").unwrap();
    assert_eq!(field(&survivor, "company").as_deref(), Some("Folded Co"));
    let _ = keep;
}

#[tokio::test]
async fn an_email_change_needs_attention_and_the_rest_of_the_change_is_still_sent() {
    let c = Cloudy::new().await;
    c.connect().await;
    let d = c
        .add(&[
            ("first_name", "Dot"),
            ("last_name", "Mail"),
            ("email", "dot@example.com"),
        ])
        .await;
    c.drain().await;
    c.edit(
        &d.id,
        &[("email", "dot@new.example.com"), ("company", "NewCo")],
    )
    .await;
    let s = c.drain().await;
    assert_eq!(s.failed, 1);
    let cloud_id = field(&c.fake.contact_by_email("dot@example.com").unwrap(), "id").unwrap();
    let cloud = c.fake.contact(&cloud_id).unwrap();
    assert_eq!(
        field(&cloud, "company").as_deref(),
        Some("NewCo"),
        "the rest went"
    );
    assert!(
        c.fake
            .requests()
            .iter()
            .all(|r| !(r.method == "PATCH" && r.body.contains("email"))),
        "a PATCH never carries email"
    );
    let failed: Vec<_> = c
        .outbox()
        .await
        .into_iter()
        .filter(|i| i.status == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    let why = failed[0].last_error.clone().unwrap();
    assert!(
        why.contains("cannot change a contact's email")
            && why.contains("Change it to dot@new.example.com in OnceHub"),
        "{why}"
    );
    assert_eq!(failed[0].fields[0].field, "email");
    // Later pulls do not undo the local value...
    c.fake.edit_contact(&cloud_id, json!({"city": "Lima"}));
    c.sync().await;
    let here = c.db.session.get(&d.id).await.unwrap();
    assert_eq!(here.email.as_deref(), Some("dot@new.example.com"));
    assert_eq!(here.city.as_deref(), Some("Lima"));
    // ...and once the user changes it in OnceHub too, the item is sent.
    c.fake
        .edit_contact(&cloud_id, json!({"email": "dot@new.example.com"}));
    let s = c.sync().await;
    assert_eq!(s.failed, 0);
    assert!(c
        .outbox()
        .await
        .iter()
        .any(|i| i.status == "sent" && i.fields.iter().any(|f| f.field == "email")));
}

#[tokio::test]
async fn a_create_without_a_last_name_needs_attention_until_the_name_is_added() {
    let c = Cloudy::new().await;
    c.connect().await;
    let n = c
        .add(&[("first_name", "Nia"), ("email", "nia@example.com")])
        .await;
    let s = c.drain().await;
    assert_eq!(s.failed, 1);
    let item = c
        .outbox()
        .await
        .into_iter()
        .find(|i| i.status == "failed")
        .unwrap();
    assert!(item.last_error.unwrap().contains("first and a last name"));
    assert_eq!(
        c.fake.creates_for("nia@example.com"),
        0,
        "never sent blindly"
    );
    c.edit(&n.id, &[("last_name", "Named")]).await;
    let s = c.drain().await;
    assert_eq!(s.failed, 0);
    assert_eq!(c.fake.creates_for("nia@example.com"), 1);
}

#[tokio::test]
async fn a_create_whose_reply_was_lost_is_linked_not_created_twice() {
    let c = Cloudy::new().await;
    c.connect().await;
    c.fake.queue_fault(Fault::CutAfter, 1);
    let l = c
        .add(&[
            ("first_name", "Lu"),
            ("last_name", "Lost"),
            ("email", "lu@example.com"),
        ])
        .await;
    c.drain().await;
    assert_eq!(c.fake.creates_for("lu@example.com"), 1);
    c.edit(&l.id, &[("company", "After")]).await;
    c.drain().await;
    let cloud = c.fake.contact_by_email("lu@example.com").unwrap();
    assert_eq!(
        field(&cloud, "company").as_deref(),
        Some("After"),
        "linked to the one created"
    );
    assert_eq!(c.fake.contacts().len(), 1);
}

#[tokio::test]
async fn a_timed_out_create_is_retried_and_linked() {
    let c = Cloudy::new().await;
    c.connect().await;
    c.fake.set_timeout_delay(Duration::from_millis(1_500));
    c.fake.queue_fault(Fault::Timeout, 1);
    c.add(&[
        ("first_name", "Ty"),
        ("last_name", "Slow"),
        ("email", "ty@example.com"),
    ])
    .await;
    let s = c.sync().await;
    assert!(
        s.pending == 1 && s.failed == 0,
        "a timeout waits, it does not fail: {s:?}"
    );
    // The server finishes the create after the client gave up; the retry must find it there.
    let landed = Instant::now() + Duration::from_secs(20);
    while c.fake.contact_by_email("ty@example.com").is_none() {
        assert!(Instant::now() < landed, "the held create never landed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.drain().await;
    assert_eq!(c.fake.creates_for("ty@example.com"), 1);
    assert!(c.outbox().await.iter().all(|i| i.status == "sent"));
}

#[tokio::test]
async fn a_phone_only_contact_that_exists_is_found_by_scanning_the_list() {
    let c = Cloudy::new().await;
    c.connect().await;
    for i in 0..150 {
        c.fake.insert_contact(json!({"first_name": "F", "last_name": format!("{i}"), "email": format!("f{i}@example.com")}));
    }
    let remote = c.fake.insert_contact(
        json!({"first_name": "Pho", "last_name": "Ne", "mobile_phone": "+12025550199"}),
    );
    for i in 150..300 {
        c.fake.insert_contact(json!({"first_name": "F", "last_name": format!("{i}"), "email": format!("f{i}@example.com")}));
    }
    // Added here before a pull saw it (a sync pushes first): the create meets a 409.
    let p = c
        .add(&[
            ("first_name", "Pho"),
            ("last_name", "Ne"),
            ("mobile_phone", "+12025550199"),
            ("company", "Dial"),
        ])
        .await;
    c.drain().await;
    assert_eq!(c.fake.creates_for("+12025550199"), 0);
    assert_eq!(
        field(&c.fake.contact(&remote).unwrap(), "company").as_deref(),
        Some("Dial")
    );
    let _ = p;
}

#[tokio::test]
async fn a_patch_answered_404_is_a_remote_deletion() {
    let c = Cloudy::new().await;
    c.connect().await;
    let r = c
        .add(&[
            ("first_name", "Rem"),
            ("last_name", "Oved"),
            ("email", "rem@example.com"),
        ])
        .await;
    let m =
        c.db.session
            .record_activity(&cardfile_core::activity::NewActivity {
                kind: Some(cardfile_core::activity::Kind::Chat),
                fields: only(&[("email", "rem@example.com")]),
                ..Default::default()
            })
            .await
            .unwrap();
    c.drain().await;
    let id = field(&c.fake.contact_by_email("rem@example.com").unwrap(), "id").unwrap();
    c.fake.delete_contact(&id);
    c.edit(&r.id, &[("company", "Gone Inc")]).await;
    c.drain().await;
    assert!(c.db.session.get(&r.id).await.is_err(), "deleted here too");
    let acts = c.db.session.activities(None).await.unwrap();
    assert!(
        acts.iter().any(|a| a.id == m.id && a.contact_deleted),
        "its activities stay"
    );
}

#[tokio::test]
async fn the_documented_limits_are_never_exceeded() {
    let c = Cloudy::new().await;
    c.fake.set_limits(5, 200);
    for (key, value) in [
        (Key::CloudPerSecond, "5"),
        (Key::CloudPerFiveMinutes, "200"),
    ] {
        c.db.session.set(&c.secrets, key, value).await.unwrap();
    }
    c.connect().await;
    for i in 0..14 {
        c.add(&[
            ("first_name", "Lim"),
            ("last_name", &format!("{i}")),
            ("email", &format!("lim{i}@example.com")),
        ])
        .await;
    }
    let started = std::time::Instant::now();
    c.drain().await;
    assert_eq!(c.fake.contacts().len(), 14);
    assert_eq!(c.fake.rate_limited(), 0, "never answered 429");
    assert!(c.fake.max_in_window(Duration::from_secs(1)) <= 5);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "14 creates and the pulls take time at 5 a second"
    );
    let status = sync::status(c.db.store(), &c.secrets).await.unwrap();
    assert_eq!(status.pending, 0);
}

#[test]
fn fifty_thousand_contacts_take_about_21_hours_at_the_documented_limit() {
    let seconds = sync::drain_seconds(50_000, 5, 200);
    assert_eq!(seconds, 249 * 300 + 40);
    assert!((20.0..22.0).contains(&(seconds as f64 / 3600.0)));
    assert_eq!(sync::drain_seconds(1, 5, 200), 1, "one item goes at once");
    assert_eq!(sync::drain_seconds(200, 5, 200), 40);
    assert_eq!(sync::drain_seconds(201, 5, 200), 301);
}

#[tokio::test]
async fn undo_sends_its_compensating_changes() {
    let c = Cloudy::new().await;
    c.connect().await;
    let u = c
        .add(&[
            ("first_name", "Uma"),
            ("last_name", "Undo"),
            ("email", "uma@example.com"),
        ])
        .await;
    c.drain().await;
    c.edit(&u.id, &[("company", "Mistake Inc")]).await;
    c.drain().await;
    let id = field(&c.fake.contact_by_email("uma@example.com").unwrap(), "id").unwrap();
    assert_eq!(
        field(&c.fake.contact(&id).unwrap(), "company").as_deref(),
        Some("Mistake Inc")
    );
    c.db.session.undo().await.unwrap();
    c.drain().await;
    assert_eq!(
        field(&c.fake.contact(&id).unwrap(), "company"),
        None,
        "the undo went as a PATCH clearing it"
    );
    // An add undone before it reached the cloud sends nothing.
    c.fake.go_offline().await;
    c.add(&[
        ("first_name", "Oops"),
        ("last_name", "Added"),
        ("email", "oops@example.com"),
    ])
    .await;
    c.db.session.undo().await.unwrap();
    c.fake.come_back().await;
    c.drain().await;
    assert_eq!(c.fake.creates_for("oops@example.com"), 0);
}

#[tokio::test]
async fn an_import_kept_on_this_computer_is_not_pushed_until_shared() {
    let c = Cloudy::new().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("local.csv");
    std::fs::write(
        &csv,
        "First Name,Last Name,Email\nLo,Cal,lo@example.com\nHo,Me,ho@example.com\n",
    )
    .unwrap();
    let never = std::sync::atomic::AtomicBool::new(false);
    let options = cardfile_core::import::ImportOptions {
        keep_local: true,
        ..Default::default()
    };
    c.db.session
        .import_file(&csv, &options, &|_| {}, &never)
        .await
        .unwrap();
    c.add(&[
        ("first_name", "Sh"),
        ("last_name", "Ared"),
        ("email", "shared@example.com"),
    ])
    .await;
    let status = c.connect().await;
    assert_eq!(status.local_only, 2);
    c.drain().await;
    assert_eq!(c.fake.creates_for("shared@example.com"), 1);
    assert_eq!(
        c.fake.creates_for("lo@example.com"),
        0,
        "kept on this computer"
    );
    assert_eq!(
        cardfile_core::outbox::share_local(c.db.store())
            .await
            .unwrap(),
        2
    );
    c.drain().await;
    assert_eq!(c.fake.creates_for("lo@example.com"), 1);
    assert_eq!(c.fake.contacts().len(), 3);
}

#[tokio::test]
async fn a_change_made_while_its_contact_is_on_the_wire_is_sent_after_it() {
    let c = Cloudy::new().await;
    c.connect().await;
    let a = c
        .add(&[
            ("first_name", "Wi"),
            ("last_name", "Re"),
            ("email", "wire@example.com"),
        ])
        .await;
    c.drain().await;
    c.edit(&a.id, &[("company", "First")]).await;
    // The PATCH takes 400 ms to answer; the user edits again meanwhile.
    c.fake.set_timeout_delay(Duration::from_millis(400));
    c.fake.queue_fault(Fault::Timeout, 1);
    let (_, _) = tokio::join!(c.sync(), async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.edit(&a.id, &[("city", "Meanwhile")]).await
    });
    c.drain().await;
    let cloud = c.fake.contact_by_email("wire@example.com").unwrap();
    assert_eq!(field(&cloud, "company").as_deref(), Some("First"));
    assert_eq!(
        field(&cloud, "city").as_deref(),
        Some("Meanwhile"),
        "not lost"
    );
}
