//! The dispatcher against real servers on loopback: Debian's aiosmtpd receives the email,
//! a fake Twilio-style gateway (speaking its documented wire shape) receives the SMS.
//! Also canceling and rescheduling meetings, configurable reminders, retries, and secrets.

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::booking::Booking;
use cardfile_core::preferences::Key;
use cardfile_core::secrets::{MemorySecrets, SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use cardfile_core::ErrorCode;

use crate::merge::dump;
use crate::servers::{
    at, free_port, hours, meeting, set_up_email, set_up_sms, Gateway, SmtpServer, ACCOUNT,
    AUTHORIZATION, TOKEN,
};
use crate::{fields, Db};

#[tokio::test]
async fn a_deleted_contacts_reminders_are_delivered_by_smtp_and_the_sms_gateway() {
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_email(&db, smtp.port).await;
    set_up_sms(&db, &gateway, &secrets).await;

    let starts = hours(30);
    let rec = s
        .record_activity(&meeting(
            &[
                ("first_name", "Ann"),
                ("email", "ann@example.com"),
                ("mobile_phone", "(201) 555-0123"),
            ],
            starts,
        ))
        .await
        .unwrap();
    s.delete(rec.contact_id.as_deref().unwrap()).await.unwrap();

    // Nothing is due yet.
    let now = s.dispatch(&secrets, None).await.unwrap();
    assert_eq!(now.sent, 0);
    assert!(smtp.messages().is_empty());

    // 24 hours before: the first email.
    let day_before = at(starts - chrono::Duration::hours(24));
    let done = s.dispatch(&secrets, Some(&day_before)).await.unwrap();
    assert_eq!(
        (done.sent, done.failed, done.waiting),
        (1, 0, 0),
        "{done:?}"
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), 1);
    let (headers, body) = &messages[0];
    assert_eq!(headers["x-rcptto"], "ann@example.com");
    assert_eq!(headers["x-mailfrom"], "bookings@example.com");
    assert!(headers["subject"].starts_with("Reminder: your meeting with"));
    assert!(body.contains("Hello Ann,"), "{body}");

    // An hour before: the second email and the SMS.
    let hour_before = at(starts - chrono::Duration::minutes(59));
    let done = s.dispatch(&secrets, Some(&hour_before)).await.unwrap();
    assert_eq!(done.sent, 2, "{done:?}");
    assert_eq!(smtp.messages().len(), 2);
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(
        sms[0].path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    assert_eq!(sms[0].authorization, AUTHORIZATION);
    assert_eq!(sms[0].form["To"], "+12015550123");
    assert_eq!(sms[0].form["From"], "+12015550100");
    assert!(sms[0].form["Body"].starts_with("Reminder: meeting with"));

    let all = s.notifications(None, true).await.unwrap();
    assert!(all
        .iter()
        .all(|n| n.status == "sent" && n.sent_at.is_some()));
    assert!(
        all.iter().all(|n| n.contact_id.is_none()),
        "the contact is gone"
    );
    // Sending again sends nothing twice.
    let again = s.dispatch(&secrets, Some(&hour_before)).await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn a_failed_send_is_retried_with_backoff_recorded_and_given_up_when_refused() {
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_sms(&db, &gateway, &secrets).await;
    s.set(&secrets, Key::Reminders, "sms 1h").await.unwrap();
    let starts = hours(10);
    s.record_activity(&meeting(&[("mobile_phone", "+12015550123")], starts))
        .await
        .unwrap();
    let due = starts - chrono::Duration::minutes(60);

    gateway.answer_next(503, r#"{"message": "Service Unavailable"}"#);
    let done = s.dispatch(&secrets, Some(&at(due))).await.unwrap();
    assert_eq!((done.sent, done.retrying), (0, 1));
    let n = &s.notifications(None, true).await.unwrap()[0];
    assert_eq!((n.status.as_str(), n.attempts), ("pending", 1));
    assert!(
        n.last_error.as_deref().unwrap().contains("503"),
        "{:?}",
        n.last_error
    );

    // Within the backoff nothing is tried; after it, the retry goes through.
    let early = s
        .dispatch(&secrets, Some(&at(due + chrono::Duration::seconds(30))))
        .await
        .unwrap();
    assert_eq!((early.sent, early.retrying), (0, 0));
    assert_eq!(gateway.received().len(), 1);
    let later = s
        .dispatch(&secrets, Some(&at(due + chrono::Duration::minutes(2))))
        .await
        .unwrap();
    assert_eq!(later.sent, 1);
    let n = &s.notifications(None, true).await.unwrap()[0];
    assert_eq!((n.status.as_str(), n.attempts), ("sent", 2));

    // A refusal (400: not a number the gateway can reach) is not retried.
    s.record_activity(&meeting(&[("mobile_phone", "+12015550124")], starts))
        .await
        .unwrap();
    gateway.answer_next(
        400,
        r#"{"code": 21211, "message": "Invalid 'To' Phone Number"}"#,
    );
    let done = s.dispatch(&secrets, Some(&at(due))).await.unwrap();
    assert_eq!(done.failed, 1);
    let failed: Vec<_> = s
        .notifications(None, true)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.status == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("Invalid 'To' Phone Number"));
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_and_unset_channels_wait_saying_why() {
    let db = Db::new().await;
    let s = &db.session;
    let secrets = MemorySecrets::default();
    let starts = hours(3);
    s.record_activity(&meeting(
        &[
            ("email", "ann@example.com"),
            ("mobile_phone", "+12015550123"),
        ],
        starts,
    ))
    .await
    .unwrap();
    let due = at(starts - chrono::Duration::minutes(30));

    let done = s.dispatch(&secrets, Some(&due)).await.unwrap();
    assert_eq!((done.sent, done.waiting), (0, 3));
    assert!(done
        .problems
        .iter()
        .any(|p| p.contains("settings set smtp")));
    assert!(done.problems.iter().any(|p| p.contains("sms-gateway")));
    assert!(s
        .notifications(None, false)
        .await
        .unwrap()
        .iter()
        .all(|n| n.attempts == 0));

    // A server named but not listening: each email fails, is recorded, and waits to retry.
    set_up_email(&db, free_port()).await;
    let done = s.dispatch(&secrets, Some(&due)).await.unwrap();
    assert_eq!((done.retrying, done.waiting), (2, 1));
    let pending = s.notifications(None, false).await.unwrap();
    let email: Vec<_> = pending.iter().filter(|n| n.channel == "email").collect();
    assert!(email
        .iter()
        .all(|n| n.attempts == 1 && n.last_error.as_deref().unwrap().starts_with("SMTP")));

    // A server with a user needs its password from the keyring.
    s.set(
        &secrets,
        Key::Smtp,
        "smtp://bookings@127.0.0.1:1?tls=required",
    )
    .await
    .unwrap();
    let done = s
        .dispatch(&secrets, Some(&at(starts - chrono::Duration::minutes(5))))
        .await
        .unwrap();
    assert!(done
        .problems
        .iter()
        .any(|p| p.contains("secrets set smtp-password")));
}

#[tokio::test]
async fn a_reminder_whose_meeting_has_started_is_not_sent() {
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    set_up_email(&db, smtp.port).await;
    let starts = hours(5);
    s.record_activity(&meeting(&[("email", "ann@example.com")], starts))
        .await
        .unwrap();
    let done = s
        .dispatch(
            &MemorySecrets::default(),
            Some(&at(starts + chrono::Duration::minutes(1))),
        )
        .await
        .unwrap();
    assert_eq!((done.sent, done.expired), (0, 2));
    assert!(smtp.messages().is_empty());
    let all = s.notifications(None, true).await.unwrap();
    assert!(all.iter().all(|n| n.status == "canceled"));
}

#[tokio::test]
async fn canceling_a_meeting_cancels_its_pending_reminders_and_rescheduling_replans_them() {
    let db = Db::new().await;
    let s = &db.session;
    let starts = hours(48);
    let mut booked = meeting(&[("email", "ann@example.com")], starts);
    booked.calendar = Some("google".into());
    booked.event_id = Some("evt-1".into());
    let rec = s.record_activity(&booked).await.unwrap();
    assert_eq!(s.notifications(None, false).await.unwrap().len(), 2);

    // The calendar moves it a day later: the same event, new reminders for the new time.
    let later = starts + chrono::Duration::hours(24);
    let mut moved = meeting(&[("email", "ann@example.com")], later);
    moved.status = Some("rescheduled".into());
    moved.calendar = Some("google".into());
    moved.event_id = Some("evt-1".into());
    let again = s.record_activity(&moved).await.unwrap();
    assert_eq!(again.id, rec.id, "the same meeting");
    assert_eq!(s.activities(None).await.unwrap().len(), 1);
    let pending = s.notifications(None, false).await.unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(
        pending[0].send_at,
        at(later - chrono::Duration::hours(24)),
        "planned from the new start"
    );

    // The same event recorded again, unchanged (a calendar sync): nothing is replanned.
    let pending_before = s.notifications(None, true).await.unwrap();
    s.record_activity(&moved).await.unwrap();
    assert_eq!(s.notifications(None, true).await.unwrap(), pending_before);

    // Canceled: nothing pending; the old ones say why.
    s.rebook(
        &rec.id,
        &Booking {
            status: Some("canceled".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(s.notifications(None, false).await.unwrap().is_empty());
    let all = s.notifications(None, true).await.unwrap();
    assert_eq!(all.len(), 4);
    assert!(all
        .iter()
        .all(|n| n.status == "canceled"
            && n.last_error.as_deref().is_some_and(|e| e.contains("now"))));

    // A chat has no booking; an unknown id is not found.
    let chat = s
        .record_activity(&NewActivity {
            kind: Some(Kind::Chat),
            fields: fields(&[("email", "bo@example.com")]),
            ..Default::default()
        })
        .await
        .unwrap();
    let cancel = Booking {
        status: Some("canceled".into()),
        ..Default::default()
    };
    assert_eq!(
        s.rebook(&chat.id, &cancel).await.unwrap_err().code(),
        ErrorCode::Invalid
    );
    assert_eq!(
        s.rebook("999", &cancel).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn a_sent_reminder_is_not_sent_again_when_the_meeting_completes_or_is_synced_again() {
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    set_up_email(&db, smtp.port).await;
    let starts = hours(5);
    let mut booked = meeting(&[("email", "ann@example.com")], starts);
    booked.calendar = Some("exchange".into());
    booked.event_id = Some("AAMk-1".into());
    let rec = s.record_activity(&booked).await.unwrap();
    // The 24-hour reminder was due at once; it goes out.
    let done = s.dispatch(&MemorySecrets::default(), None).await.unwrap();
    assert_eq!(done.sent, 1);
    s.record_activity(&booked).await.unwrap();
    let done = s.dispatch(&MemorySecrets::default(), None).await.unwrap();
    assert_eq!(done.sent, 0, "a sync of the same booking resends nothing");
    let completed = Booking {
        status: Some("completed".into()),
        ..Default::default()
    };
    s.rebook(&rec.id, &completed).await.unwrap();
    s.rebook(&rec.id, &completed).await.unwrap();
    let pending = s.notifications(None, false).await.unwrap();
    assert_eq!(pending.len(), 1, "one follow-up, once: {pending:?}");
    assert_eq!(pending[0].kind, "workflow");
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_refused_login_holds_the_channel_instead_of_failing_every_message() {
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_sms(&db, &gateway, &secrets).await;
    secrets.set(SMS_TOKEN, "a-wrong-token").unwrap();
    let starts = hours(10);
    for phone in ["+12015550123", "+12015550124"] {
        s.record_activity(&meeting(&[("mobile_phone", phone)], starts))
            .await
            .unwrap();
    }
    let due = at(starts - chrono::Duration::minutes(59));
    let done = s.dispatch(&secrets, Some(&due)).await.unwrap();
    assert_eq!(
        (done.sent, done.failed, done.retrying, done.waiting),
        (0, 0, 0, 2),
        "{done:?}"
    );
    assert!(done.problems.iter().any(|p| p.contains("401")), "{done:?}");
    assert_eq!(
        gateway.received().len(),
        1,
        "the second message is not tried"
    );
    // The token fixed, both go out.
    secrets.set(SMS_TOKEN, TOKEN).unwrap();
    let done = s.dispatch(&secrets, Some(&due)).await.unwrap();
    assert_eq!(done.sent, 2);
    let text = dump(&db).await.join("\n");
    assert!(
        !text.contains("a-wrong-token"),
        "a refused token is not recorded"
    );
}

#[tokio::test]
async fn reminders_and_follow_ups_follow_the_settings_and_bad_settings_are_refused() {
    let db = Db::new().await;
    let s = &db.session;
    let none = MemorySecrets::default();
    let shown = s
        .set(&none, Key::Reminders, "SMS 30m, email 2d")
        .await
        .unwrap();
    assert_eq!(shown.reminders, "sms 30m, email 2d");
    s.set(&none, Key::FollowUp, "none").await.unwrap();
    let starts = hours(72);
    s.record_activity(&meeting(
        &[
            ("email", "ann@example.com"),
            ("mobile_phone", "+12015550123"),
        ],
        starts,
    ))
    .await
    .unwrap();
    let pending = s.notifications(None, false).await.unwrap();
    let plan: Vec<(&str, &str, String)> = pending
        .iter()
        .map(|n| (n.channel.as_str(), n.purpose.as_str(), n.send_at.clone()))
        .collect();
    assert_eq!(
        plan,
        [
            (
                "email",
                "Reminder: 2 days before",
                at(starts - chrono::Duration::days(2))
            ),
            (
                "sms",
                "Reminder: 30 minutes before",
                at(starts - chrono::Duration::minutes(30))
            ),
        ]
    );
    let mut done = meeting(&[("email", "bo@example.com")], hours(-2));
    done.status = Some("completed".into());
    let rec = s.record_activity(&done).await.unwrap();
    assert!(s
        .notifications(Some(rec.contact_id.as_deref().unwrap()), false)
        .await
        .unwrap()
        .is_empty());

    let before = dump(&db).await;
    for (key, value) in [
        (Key::Reminders, "email"),
        (Key::Reminders, "fax 1h"),
        (Key::Reminders, "email 0h"),
        (Key::FollowUp, "email 2 weeks"),
        (Key::Smtp, "smtp://bookings:hunter2@mail.example.com:587"),
        (Key::Smtp, "http://mail.example.com"),
        (Key::SmsGateway, "http://gateway.example.com"),
        (Key::SmsAccount, "AC 12"),
        (Key::SmsFrom, "not a number"),
        (Key::EmailFrom, "nobody"),
    ] {
        let e = s.set(&none, key, value).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid, "{key:?} {value}: {e}");
    }
    assert_eq!(dump(&db).await, before, "a refused setting changes nothing");
}

#[tokio::test]
async fn passwords_and_tokens_stay_in_the_secret_store_never_the_database() {
    let db = Db::new().await;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_sms(&db, &gateway, &secrets).await;
    secrets.set(SMTP_PASSWORD, "smtp-hunter2").unwrap();
    db.session
        .set(&secrets, Key::Smtp, "smtps://bookings@mail.example.com")
        .await
        .unwrap();
    let text = dump(&db).await.join("\n");
    assert!(!text.contains(TOKEN) && !text.contains("smtp-hunter2"));
    assert!(
        text.contains(ACCOUNT),
        "the account id is a setting, in the dump"
    );
    for file in ["test.db", "test.db-wal"] {
        let raw = std::fs::read(db.dir.path().join(file)).unwrap_or_default();
        assert!(
            !raw.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "{file}"
        );
    }
    assert!(
        secrets.set(SMS_TOKEN, "  ").is_err(),
        "an empty secret is refused"
    );
}
