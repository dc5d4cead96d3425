//! Trying the channels from Settings: a test email and a test SMS go out the way reminders
//! do (to aiosmtpd and the fake gateway), an unset or refused channel says why, and a CA
//! file that holds no certificate is refused by name.

use cardfile_core::preferences::Key;
use cardfile_core::secrets::MemorySecrets;
use cardfile_core::trial;
use cardfile_core::ErrorCode;

use crate::servers::{set_up_email, set_up_sms, Gateway, SmtpServer};
use crate::Db;

#[tokio::test]
async fn a_test_email_and_a_test_sms_reach_their_servers_and_the_channels_read_ready() {
    let db = Db::new().await;
    let smtp = SmtpServer::start(db.dir.path()).await;
    let gateway = Gateway::start().await;
    let secrets = MemorySecrets::default();
    set_up_email(&db, smtp.port).await;
    set_up_sms(&db, &gateway, &secrets).await;
    let user = db.session.user().await.unwrap();

    trial::send_test_email(db.session.store(), &secrets, &user, "Ann@Example.com")
        .await
        .unwrap();
    trial::send_test_sms(db.session.store(), &secrets, &user, "+1 646 912 3478")
        .await
        .unwrap();

    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0["subject"], "Cardfile test message");
    assert_eq!(mail[0].0["to"], "ann@example.com");
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].form["To"], "+16469123478");
    let states = trial::channel_states(db.session.store(), &secrets)
        .await
        .unwrap();
    assert!(
        states.iter().all(|s| s.ready && s.state == "ready"),
        "{states:?}"
    );
}

#[tokio::test]
async fn an_unset_channel_refuses_a_test_saying_how_to_set_it_up() {
    let db = Db::new().await;
    let secrets = MemorySecrets::default();
    let user = db.session.user().await.unwrap();
    let err = trial::send_test_email(db.session.store(), &secrets, &user, "ann@example.com")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(err.to_string().contains("email is not set up"), "{err}");
    let err = trial::send_test_email(db.session.store(), &secrets, &user, "not an address")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an email address"), "{err}");
    let states = trial::channel_states(db.session.store(), &secrets)
        .await
        .unwrap();
    assert_eq!(states.len(), 2);
    assert!(!states[0].ready && states[0].state.contains("email is not set up"));
    assert!(!states[1].ready && states[1].state.contains("SMS is not set up"));
}

#[tokio::test]
async fn a_ca_file_without_a_certificate_is_refused_and_changes_nothing() {
    let db = Db::new().await;
    let secrets = MemorySecrets::default();
    let not_pem = db.dir.path().join("ca.txt");
    std::fs::write(&not_pem, "hello").unwrap();
    let before = db.session.settings().await.unwrap();
    for path in [not_pem.to_str().unwrap(), "/nonexistent/ca.pem"] {
        let err = db
            .session
            .set(&secrets, Key::SmtpCaFile, path)
            .await
            .unwrap_err();
        assert!(err.to_string().contains(path), "{err}");
    }
    assert_eq!(
        db.session.settings().await.unwrap().smtp_ca_file,
        before.smtp_ca_file
    );
}
