//! What the dispatcher promises when things go wrong around a send: a message is sent once
//! (a busy database, a second dispatcher running ahead with --as-of), and when it does go
//! twice it is the same message by its Message-ID or idempotency key; it goes to the
//! address its contact has when it is claimed; an unreachable keyring or a password that
//! would travel in clear holds only the channel concerned.

use std::sync::Arc;
use std::time::Duration;

use cardfile_core::preferences::Key;
use cardfile_core::secrets::{MemorySecrets, SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use sqlx::Connection;

use crate::servers::{
    at, hours, meeting, set_up_email, set_up_sms, ClearSmtp, Gateway, SmtpServer,
};
use crate::{fields, Db, Unreachable};

/// A meeting ten hours ahead whose reminders are `reminders`, for Ann (email and mobile
/// phone); returns its contact's id and a time at which all its reminders are due.
async fn ann_meets_in_ten_hours(
    db: &Db,
    reminders: &str,
) -> (String, chrono::DateTime<chrono::Utc>) {
    let s = &db.session;
    s.set(&MemorySecrets::default(), Key::Reminders, reminders)
        .await
        .unwrap();
    let starts = hours(10);
    let rec = s
        .record_activity(&meeting(
            &[
                ("first_name", "Ann"),
                ("email", "ann@example.com"),
                ("mobile_phone", "+12015550123"),
            ],
            starts,
        ))
        .await
        .unwrap();
    (
        rec.contact_id.unwrap(),
        starts - chrono::Duration::minutes(59),
    )
}

#[tokio::test]
async fn a_busy_database_when_marking_sent_neither_stops_the_run_nor_sends_again() {
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let secrets = Arc::new(MemorySecrets::default());
    set_up_sms(&db, &gateway, &secrets).await;
    let (_, due) = ann_meets_in_ten_hours(&db, "sms 2h, sms 1h").await;

    let held = gateway.hold_next();
    let run = {
        let (s, secrets, due) = (s.clone(), secrets.clone(), at(due));
        tokio::spawn(async move { s.dispatch(&*secrets, Some(&due)).await })
    };
    held.arrived.await.unwrap();
    // The first message is at the gateway; another writer now holds the database for
    // longer than its busy timeout (5 s), so the first try to mark it sent fails.
    let mut other = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(db.dir.path().join("test.db")),
    )
    .await
    .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    held.release.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(6500)).await;
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();

    let done = run.await.unwrap().unwrap();
    assert_eq!(
        (done.sent, done.retrying, done.failed),
        (2, 0, 0),
        "{done:?}"
    );
    assert_eq!(gateway.received().len(), 2);
    let all = s.notifications(None, true).await.unwrap();
    assert!(all.iter().all(|n| n.status == "sent"), "{all:?}");
    // Past the time a claim lasts, nothing goes out again.
    let later = at(due + chrono::Duration::minutes(11));
    let again = s.dispatch(&*secrets, Some(&later)).await.unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(gateway.received().len(), 2);
}

#[tokio::test]
async fn a_message_sent_twice_keeps_its_message_id_and_idempotency_key() {
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_email(&db, smtp.port).await;
    set_up_sms(&db, &gateway, &secrets).await;
    let (_, due) = ann_meets_in_ten_hours(&db, "email 1h, sms 1h").await;
    assert_eq!(s.dispatch(&secrets, Some(&at(due))).await.unwrap().sent, 2);
    // As if the run had stopped between sending and recording it.
    sqlx::query("UPDATE notifications SET status = 'pending', sent_at = NULL")
        .execute(db.store().pool())
        .await
        .unwrap();
    assert_eq!(s.dispatch(&secrets, Some(&at(due))).await.unwrap().sent, 2);

    let email_id = s
        .notifications(None, true)
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.channel == "email")
        .unwrap()
        .id;
    let ids: Vec<String> = smtp
        .messages()
        .into_iter()
        .map(|(headers, _)| headers["message-id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "the same message, by its Message-ID");
    assert!(
        ids[0].starts_with(&format!("<notification-{email_id}.")) && ids[0].ends_with('>'),
        "{ids:?}"
    );
    let keys: Vec<Option<String>> = gateway
        .received()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].is_some(), "{keys:?}");
    assert_eq!(keys[0], keys[1], "the same SMS, by its idempotency key");

    // Notification 1 of another database is another message.
    let other = Db::new().await;
    let other_smtp = SmtpServer::start(other.dir.path()).await;
    set_up_email(&other, other_smtp.port).await;
    let (_, due) = ann_meets_in_ten_hours(&other, "email 1h").await;
    let sent = other
        .session
        .dispatch(&secrets, Some(&at(due)))
        .await
        .unwrap();
    assert_eq!(sent.sent, 1);
    let (headers, _) = &other_smtp.messages()[0];
    assert_ne!(headers["message-id"], ids[0]);
}

#[tokio::test]
async fn a_notification_goes_to_the_address_its_contact_has_when_it_is_claimed() {
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let secrets = Arc::new(MemorySecrets::default());
    set_up_sms(&db, &gateway, &secrets).await;
    let (ann, due) = ann_meets_in_ten_hours(&db, "sms 2h, sms 1h").await;

    let held = gateway.hold_next();
    let run = {
        let (s, secrets, due) = (s.clone(), secrets.clone(), at(due));
        tokio::spawn(async move { s.dispatch(&*secrets, Some(&due)).await })
    };
    held.arrived.await.unwrap();
    // While the first reminder is at the gateway, Ann's number changes.
    s.edit(&ann, &fields(&[("mobile_phone", "+12015550199")]), false)
        .await
        .unwrap();
    held.release.send(()).unwrap();
    assert_eq!(run.await.unwrap().unwrap().sent, 2);

    let to: Vec<String> = gateway
        .received()
        .into_iter()
        .map(|r| r.form["To"].clone())
        .collect();
    assert_eq!(to, ["+12015550123", "+12015550199"]);
}

#[tokio::test]
async fn a_dispatch_run_ahead_with_as_of_does_not_take_over_a_send_in_flight() {
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let secrets = Arc::new(MemorySecrets::default());
    set_up_sms(&db, &gateway, &secrets).await;
    let (_, due) = ann_meets_in_ten_hours(&db, "sms 1h").await;

    let held = gateway.hold_next();
    let run = {
        let (s, secrets, due) = (s.clone(), secrets.clone(), at(due));
        tokio::spawn(async move { s.dispatch(&*secrets, Some(&due)).await })
    };
    held.arrived.await.unwrap();
    // Leases are judged by the clock on the wall, not by how far --as-of looks ahead.
    for minutes in [11, 50] {
        let ahead = at(due + chrono::Duration::minutes(minutes));
        let done = s.dispatch(&*secrets, Some(&ahead)).await.unwrap();
        assert_eq!(done.sent, 0, "{minutes} minutes ahead: {done:?}");
    }
    assert_eq!(gateway.received().len(), 1);
    held.release.send(()).unwrap();
    assert_eq!(run.await.unwrap().unwrap().sent, 1);
    assert_eq!(gateway.received().len(), 1, "sent once");
    let n = &s.notifications(None, true).await.unwrap()[0];
    assert_eq!((n.status.as_str(), n.attempts), ("sent", 1));
}

#[tokio::test]
async fn an_unreachable_keyring_holds_only_the_channel_whose_secret_it_keeps() {
    // The SMTP password cannot be read: email waits saying why, the SMS goes.
    let db = Db::new().await;
    let s = &db.session;
    let gateway = Gateway::start().await;
    let memory = MemorySecrets::default();
    set_up_sms(&db, &gateway, &memory).await;
    s.set(&memory, Key::Smtp, "smtps://bookings@127.0.0.1:1")
        .await
        .unwrap();
    s.set(&memory, Key::EmailFrom, "bookings@example.com")
        .await
        .unwrap();
    let (_, due) = ann_meets_in_ten_hours(&db, "email 1h, sms 1h").await;
    let keyring = Unreachable {
        inner: memory,
        down: SMTP_PASSWORD,
    };
    let done = s.dispatch(&keyring, Some(&at(due))).await.unwrap();
    assert_eq!((done.sent, done.waiting), (1, 1), "{done:?}");
    assert!(
        done.problems.iter().any(|p| p.contains("keyring")),
        "{done:?}"
    );
    assert_eq!(gateway.received().len(), 1);
    let pending = s.notifications(None, false).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].channel.as_str(), pending[0].attempts),
        ("email", 0)
    );
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("keyring")),
        "{pending:?}"
    );

    // The gateway token cannot be read: the SMS waits, the email goes.
    let db = Db::new().await;
    let s = &db.session;
    let smtp = SmtpServer::start(db.dir.path()).await;
    let gateway = Gateway::start().await;
    let memory = MemorySecrets::default();
    set_up_email(&db, smtp.port).await;
    set_up_sms(&db, &gateway, &memory).await;
    let (_, due) = ann_meets_in_ten_hours(&db, "email 1h, sms 1h").await;
    let keyring = Unreachable {
        inner: memory,
        down: SMS_TOKEN,
    };
    let done = s.dispatch(&keyring, Some(&at(due))).await.unwrap();
    assert_eq!((done.sent, done.waiting), (1, 1), "{done:?}");
    assert_eq!(smtp.messages().len(), 1);
    assert!(gateway.received().is_empty());
    let pending = s.notifications(None, false).await.unwrap();
    assert_eq!(pending[0].channel, "sms");
    assert!(
        pending[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("keyring")),
        "{pending:?}"
    );
}

#[tokio::test]
async fn a_stored_smtp_login_without_tls_waits_instead_of_sending_the_password_in_clear() {
    let db = Db::new().await;
    let s = &db.session;
    let clear = ClearSmtp::start().await;
    let secrets = MemorySecrets::default();
    secrets.set(SMTP_PASSWORD, "smtp-hunter2").unwrap();
    s.set(&secrets, Key::EmailFrom, "bookings@example.com")
        .await
        .unwrap();
    let (_, due) = ann_meets_in_ten_hours(&db, "email 1h").await;
    for query in ["", "?tls=opportunistic"] {
        // Stored before Cardfile refused such a URL, as an older version would have.
        sqlx::query("INSERT OR REPLACE INTO settings (key, value) VALUES ('smtp', ?)")
            .bind(format!("smtp://bookings@127.0.0.1:{}{query}", clear.port))
            .execute(db.store().pool())
            .await
            .unwrap();
        let done = s.dispatch(&secrets, Some(&at(due))).await.unwrap();
        assert_eq!((done.sent, done.waiting), (0, 1), "{query}: {done:?}");
        assert!(done.problems.iter().any(|p| p.contains("TLS")), "{done:?}");
        let heard = clear.heard();
        assert!(
            !heard
                .iter()
                .any(|l| l.to_ascii_uppercase().starts_with("AUTH")),
            "{query}: the password went in clear: {heard:?}"
        );
        let n = &s.notifications(None, false).await.unwrap()[0];
        assert!(
            n.last_error.as_deref().is_some_and(|e| e.contains("TLS")),
            "{n:?}"
        );
    }
}
