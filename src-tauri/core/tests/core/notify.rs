//! Reminders and workflow steps: scheduled with the meeting, retargeted when the contact's
//! email or mobile phone changes (sent ones untouched), moved by a merge, kept on delete.

use cardfile_core::activity::{Kind, NewActivity};

use crate::merge::state;
use crate::{fields, Db};

fn in_hours(h: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(h))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn meeting(pairs: &[(&str, &str)], status: &str, starts_in_hours: i64) -> NewActivity {
    NewActivity {
        kind: Some(Kind::Meeting),
        fields: fields(pairs),
        status: Some(status.into()),
        starts_at: Some(in_hours(starts_in_hours)),
        ends_at: Some(in_hours(starts_in_hours + 1)),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_scheduled_meeting_gets_email_and_sms_reminders_and_passed_ones_go_out_next() {
    let db = Db::new().await;
    let s = &db.session;
    let rec = s
        .record_activity(&meeting(
            &[
                ("email", "ann@example.com"),
                ("mobile_phone", "+12015550123"),
            ],
            "scheduled",
            48,
        ))
        .await
        .unwrap();
    let pending = s
        .notifications(Some(rec.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap();
    let plan: Vec<(&str, &str)> = pending
        .iter()
        .map(|n| (n.channel.as_str(), n.recipient.as_str()))
        .collect();
    assert_eq!(
        plan,
        [
            ("email", "ann@example.com"),
            ("email", "ann@example.com"),
            ("sms", "+12015550123")
        ]
    );
    assert!(
        pending[0].send_at < pending[1].send_at,
        "24 h before, then 1 h before"
    );

    // Two hours ahead: the 24-hour reminder's time has passed, so it is due now.
    let soon = s
        .record_activity(&meeting(&[("email", "bo@example.com")], "scheduled", 2))
        .await
        .unwrap();
    let pending = s
        .notifications(Some(soon.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap();
    assert_eq!(pending.len(), 2, "no mobile phone, no SMS");
    assert!(pending[0].send_at <= in_hours(0));
    // Past or canceled meetings get none; a completed one gets the follow-up.
    let past = s
        .record_activity(&meeting(&[("email", "cy@example.com")], "scheduled", -3))
        .await
        .unwrap();
    assert!(s
        .notifications(Some(past.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap()
        .is_empty());
    let canceled = s
        .record_activity(&meeting(&[("email", "di@example.com")], "canceled", 5))
        .await
        .unwrap();
    assert!(s
        .notifications(Some(canceled.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap()
        .is_empty());
    let done = s
        .record_activity(&meeting(&[("email", "ed@example.com")], "completed", -5))
        .await
        .unwrap();
    let follow = s
        .notifications(Some(done.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap();
    assert_eq!(follow.len(), 1);
    assert!(follow[0].purpose.starts_with("Follow-up") && follow[0].send_at > in_hours(24));
}

#[tokio::test]
async fn editing_the_email_retargets_pending_reminders_but_not_sent_ones_and_undo_puts_them_back() {
    let db = Db::new().await;
    let s = &db.session;
    let rec = s
        .record_activity(&meeting(&[("email", "ann@example.com")], "scheduled", 48))
        .await
        .unwrap();
    let first = s
        .notifications(Some(rec.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap()[0]
        .id
        .clone();
    sqlx::query("UPDATE notifications SET status = 'sent', sent_at = send_at WHERE id = ?")
        .bind(first.parse::<i64>().unwrap())
        .execute(db.store().pool())
        .await
        .unwrap();
    let before = state(&db).await;
    s.edit(
        rec.contact_id.as_deref().unwrap(),
        &fields(&[("email", "ann@new.example.com")]),
        false,
    )
    .await
    .unwrap();
    let all = s
        .notifications(Some(rec.contact_id.as_deref().unwrap()), true)
        .await
        .unwrap();
    for n in &all {
        let want = if n.id == first {
            "ann@example.com"
        } else {
            "ann@new.example.com"
        };
        assert_eq!(n.recipient, want, "{n:?}");
    }
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, before);
}

#[tokio::test]
async fn a_merge_moves_reminders_to_the_survivors_address_and_a_delete_keeps_them() {
    let db = Db::new().await;
    let s = &db.session;
    let keep = s
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    let rec = s
        .record_activity(&meeting(
            &[("email", "ann@home.com"), ("mobile_phone", "+12015550123")],
            "scheduled",
            48,
        ))
        .await
        .unwrap();
    s.edit(
        rec.contact_id.as_deref().unwrap(),
        &fields(&[("email", "ann@example.com")]),
        true,
    )
    .await
    .unwrap();
    let moved = s.notifications(Some(&keep.id), false).await.unwrap();
    assert_eq!(moved.len(), 3, "every reminder moved");
    assert!(moved
        .iter()
        .filter(|n| n.channel == "email")
        .all(|n| n.recipient == "ann@example.com"));
    assert!(moved
        .iter()
        .any(|n| n.channel == "sms" && n.recipient == "+12015550123"));
    s.delete(&keep.id).await.unwrap();
    let kept = s.notifications(None, false).await.unwrap();
    assert_eq!(
        kept.len(),
        3,
        "reminders for a deleted contact's meeting are still sent"
    );
    assert!(kept
        .iter()
        .all(|n| n.contact_id.is_none() && n.status == "pending"));
}

#[tokio::test]
async fn a_notification_names_its_contact_as_now_called_and_its_meetings_start() {
    let db = Db::new().await;
    let s = &db.session;
    let booked = meeting(
        &[("first_name", "Ann"), ("email", "ann@example.com")],
        "scheduled",
        48,
    );
    let rec = s.record_activity(&booked).await.unwrap();
    let id = rec.contact_id.clone().unwrap();
    let listed = s.notifications(None, false).await.unwrap();
    assert_eq!(listed[0].contact_name.as_deref(), Some("Ann"));
    assert_eq!(listed[0].meeting_starts_at, booked.starts_at);
    s.edit(&id, &fields(&[("last_name", "Lee")]), false)
        .await
        .unwrap();
    let listed = s.notifications(None, false).await.unwrap();
    assert_eq!(listed[0].contact_name.as_deref(), Some("Ann Lee"));
    // Once the contact is deleted its reminders still go out, named as the meeting was booked.
    s.delete(&id).await.unwrap();
    let listed = s.notifications(None, false).await.unwrap();
    assert_eq!(listed[0].contact_name.as_deref(), Some("Ann"));
}

#[tokio::test]
async fn the_failed_count_is_of_the_notifications_the_user_may_see() {
    let db = Db::new().await;
    let s = &db.session;
    s.add_user("mia@example.com", "Mia", cardfile_core::Role::Member, None)
        .await
        .unwrap();
    s.record_activity(&meeting(&[("email", "ann@example.com")], "scheduled", 48))
        .await
        .unwrap();
    assert_eq!(s.failed_notifications().await.unwrap(), 0);
    sqlx::query("UPDATE notifications SET status = 'failed', last_error = '550'")
        .execute(db.store().pool())
        .await
        .unwrap();
    assert_eq!(s.failed_notifications().await.unwrap(), 2);
    // Mia may not see the owner's meeting, nor so its reminders.
    let mia = cardfile_core::Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    assert_eq!(mia.failed_notifications().await.unwrap(), 0);
}
