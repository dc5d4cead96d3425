//! Activities create and update contacts by themselves; deleting a contact keeps its
//! activities; a merge moves them, and undoing the merge moves them back.

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::{ErrorCode, Role};

use crate::merge::{dump, state};
use crate::{fields, Db};

fn meeting(pairs: &[(&str, &str)]) -> NewActivity {
    NewActivity {
        kind: Some(Kind::Meeting),
        fields: fields(pairs),
        status: Some("scheduled".into()),
        starts_at: Some("2026-12-01T09:30:00Z".into()),
        ends_at: Some("2026-12-01T10:00:00Z".into()),
        calendar: Some("google".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_new_email_creates_a_contact_owned_by_the_host() {
    let db = Db::new().await;
    let s = &db.session;
    s.add_user("host@example.com", "Hana", Role::Member, None)
        .await
        .unwrap();
    let mut m = meeting(&[("first_name", "Ann"), ("email", "Ann@Example.com")]);
    m.host = Some("host@example.com".into());
    let rec = s.record_activity(&m).await.unwrap();
    assert!(rec.created_contact);
    let c = s.get(rec.contact_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(c.email.as_deref(), Some("ann@example.com"));
    assert_eq!(c.owner, "host@example.com");
    let listed = s
        .activities(Some(rec.contact_id.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status.as_deref(), Some("scheduled"));
    assert_eq!(listed[0].with_email.as_deref(), Some("ann@example.com"));
}

#[tokio::test]
async fn the_same_person_recased_or_reformatted_is_attached_and_updated_never_cleared() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("email", "ann@example.com"),
                ("mobile_phone", "+12015550123"),
                ("company", "Acme"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let by_email = s
        .record_activity(&meeting(&[
            ("email", " ANN@example.COM"),
            ("company", "Globex"),
            ("job_title", "CTO"),
        ]))
        .await
        .unwrap();
    assert_eq!(
        (
            by_email.contact_id.as_deref().unwrap(),
            by_email.created_contact
        ),
        (ann.id.as_str(), false)
    );
    let by_phone = s
        .record_activity(&meeting(&[
            ("mobile_phone", "(201) 555-0123"),
            ("first_name", ""),
        ]))
        .await
        .unwrap();
    assert_eq!(by_phone.contact_id.as_deref(), Some(ann.id.as_str()));
    let now = s.get(&ann.id).await.unwrap();
    assert_eq!(
        now.company.as_deref(),
        Some("Globex"),
        "the customer's latest detail replaces"
    );
    assert_eq!(now.job_title.as_deref(), Some("CTO"), "blank filled");
    assert_eq!(now.first_name.as_deref(), Some("Ann"), "blank never clears");
    assert!(now.last_interacted_at.is_some());
    assert_eq!(s.activities(Some(&ann.id)).await.unwrap().len(), 2);
}

#[tokio::test]
async fn email_and_phone_of_two_contacts_attach_to_the_emails_and_go_to_review() {
    let db = Db::new().await;
    let s = &db.session;
    let a = s
        .add(
            &fields(&[
                ("email", "ann@example.com"),
                ("mobile_phone", "+12015550100"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let b = s
        .add(
            &fields(&[
                ("email", "bo@example.com"),
                ("mobile_phone", "+12015550123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let rec = s
        .record_activity(&meeting(&[
            ("email", "ann@example.com"),
            ("mobile_phone", "+12015550123"),
        ]))
        .await
        .unwrap();
    assert_eq!(rec.contact_id.as_deref(), Some(a.id.as_str()));
    assert_eq!(
        s.get(&a.id).await.unwrap().mobile_phone.as_deref(),
        Some("+12015550100"),
        "phones left alone"
    );
    assert_eq!(
        s.get(&b.id).await.unwrap().mobile_phone.as_deref(),
        Some("+12015550123")
    );
    let review = s.conflicts().await.unwrap();
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].email_contact_id.as_deref(), Some(a.id.as_str()));
    assert_eq!(review[0].phone_contact_id.as_deref(), Some(b.id.as_str()));
    assert_eq!(review[0].activity_id.as_deref(), Some(rec.id.as_str()));
}

#[tokio::test]
async fn an_activity_with_neither_identifier_is_refused_and_changes_nothing() {
    let db = Db::new().await;
    let before = dump(&db).await;
    let err = db
        .session
        .record_activity(&meeting(&[("first_name", "Ann")]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    let err = db
        .session
        .record_activity(&NewActivity {
            kind: None,
            fields: fields(&[("email", "a@example.com")]),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("kind"));
    let mut late = meeting(&[("email", "a@example.com")]);
    late.ends_at = Some("2026-12-01T09:00:00Z".into());
    assert_eq!(
        db.session.record_activity(&late).await.unwrap_err().field(),
        Some("ends_at")
    );
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn deleting_a_contact_keeps_its_activities_with_their_snapshot() {
    let db = Db::new().await;
    let s = &db.session;
    let rec = s
        .record_activity(&meeting(&[
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("email", "ann@example.com"),
        ]))
        .await
        .unwrap();
    s.delete(rec.contact_id.as_deref().unwrap()).await.unwrap();
    let all = s.activities(None).await.unwrap();
    assert_eq!(all.len(), 1);
    let a = &all[0];
    assert_eq!(a.contact_id, None, "no way back to a contact pane");
    assert!(a.contact_deleted);
    assert_eq!(a.with_name.as_deref(), Some("Ann Lee"));
    assert_eq!(a.with_email.as_deref(), Some("ann@example.com"));
}

#[tokio::test]
async fn a_merge_moves_activities_to_the_survivor_and_undo_moves_them_back() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .record_activity(&meeting(&[("email", "ann@example.com")]))
        .await
        .unwrap();
    let other = s
        .record_activity(&meeting(&[
            ("email", "ann@home.com"),
            ("first_name", "Ann"),
        ]))
        .await
        .unwrap();
    let before = state(&db).await;
    s.edit(
        other.contact_id.as_deref().unwrap(),
        &fields(&[("email", "ann@example.com")]),
        true,
    )
    .await
    .unwrap();
    let moved = s
        .activities(Some(ann.contact_id.as_deref().unwrap()))
        .await
        .unwrap();
    assert_eq!(moved.len(), 2, "no activity is lost in a merge");
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, before);
    assert_eq!(
        s.activities(Some(other.contact_id.as_deref().unwrap()))
            .await
            .unwrap()
            .len(),
        1
    );
}
