//! The settings that decide who Cardfile acts as and where a stored password or token goes:
//! only an Admin changes them, an SMTP login needs TLS, and a credential is forgotten when
//! its server changes (it was given for that server, no other). Settings stores the SMTP
//! password and SMS token for an Admin only and tells whether they are there, never what.

use cardfile_core::preferences::{self, Credential, Credentials, Key};
use cardfile_core::secrets::{MemorySecrets, SecretStore, SMS_TOKEN, SMTP_PASSWORD};
use cardfile_core::{ErrorCode, Role, Session};

use crate::merge::dump;
use crate::{Db, Unreachable};

#[tokio::test]
async fn a_member_cannot_sign_in_as_another_user_or_move_where_credentials_go() {
    let db = Db::new().await;
    let owner = &db.session;
    let secrets = MemorySecrets::default();
    owner
        .add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    owner
        .set(&secrets, Key::Smtp, "smtps://bookings@mail.example.com")
        .await
        .unwrap();
    owner
        .set(&secrets, Key::SmsGateway, "https://api.twilio.com")
        .await
        .unwrap();
    owner
        .set(&secrets, Key::SmsAccount, "AC0123456789")
        .await
        .unwrap();
    secrets.set(SMTP_PASSWORD, "smtp-hunter2").unwrap();
    secrets.set(SMS_TOKEN, "gateway-secret").unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();

    let before = dump(&db).await;
    for (key, value) in [
        (Key::User, "owner@cardfile.local"),
        (Key::User, "mia@example.com"),
        (Key::Smtp, "smtps://bookings@mail.attacker.example"),
        (Key::SmsGateway, "https://sms.attacker.example"),
        (Key::SmsAccount, "AC666"),
    ] {
        let e = mia.set(&secrets, key, value).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden, "{key:?} {value}: {e}");
        assert!(e.to_string().contains("Admin"), "{e}");
    }
    let e = mia.set_user("owner@cardfile.local").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    assert_eq!(dump(&db).await, before, "a refused setting changes nothing");
    assert_eq!(
        secrets.get(SMTP_PASSWORD).unwrap().as_deref(),
        Some("smtp-hunter2")
    );
    assert_eq!(
        secrets.get(SMS_TOKEN).unwrap().as_deref(),
        Some("gateway-secret")
    );

    // What decides neither who acts nor where a credential goes stays anyone's to set.
    mia.set(&secrets, Key::Reminders, "email 2h").await.unwrap();
    // And an Admin signs in whom they like.
    let shown = owner
        .set(&secrets, Key::User, "mia@example.com")
        .await
        .unwrap();
    assert_eq!(shown.user, "mia@example.com");
}

#[tokio::test]
async fn changing_the_smtp_or_gateway_host_forgets_its_stored_credential() {
    let db = Db::new().await;
    let s = &db.session;
    let secrets = MemorySecrets::default();
    // The password may be stored before the server is named: that order keeps it.
    secrets.set(SMTP_PASSWORD, "smtp-hunter2").unwrap();
    secrets.set(SMS_TOKEN, "gateway-secret").unwrap();
    s.set(&secrets, Key::Smtp, "smtps://bookings@mail.example.com")
        .await
        .unwrap();
    s.set(&secrets, Key::SmsGateway, "https://api.twilio.com")
        .await
        .unwrap();
    assert!(secrets.get(SMTP_PASSWORD).unwrap().is_some());
    assert!(secrets.get(SMS_TOKEN).unwrap().is_some());

    // The same servers, said otherwise: the credentials stay.
    s.set(&secrets, Key::Smtp, "smtps://sales@MAIL.example.com")
        .await
        .unwrap();
    s.set(&secrets, Key::SmsGateway, "https://api.twilio.com:443/")
        .await
        .unwrap();
    assert!(secrets.get(SMTP_PASSWORD).unwrap().is_some());
    assert!(secrets.get(SMS_TOKEN).unwrap().is_some());

    // Another SMTP host: its password is gone, the gateway's token is not.
    s.set(&secrets, Key::Smtp, "smtps://sales@mail.example.net")
        .await
        .unwrap();
    assert_eq!(secrets.get(SMTP_PASSWORD).unwrap(), None);
    assert!(secrets.get(SMS_TOKEN).unwrap().is_some());
    // Another gateway host: its token is gone.
    s.set(&secrets, Key::SmsGateway, "https://sms.example.net")
        .await
        .unwrap();
    assert_eq!(secrets.get(SMS_TOKEN).unwrap(), None);
}

#[tokio::test]
async fn a_host_change_is_refused_when_the_keyring_cannot_forget_the_credential() {
    let db = Db::new().await;
    let s = &db.session;
    let memory = MemorySecrets::default();
    s.set(&memory, Key::Smtp, "smtps://bookings@mail.example.com")
        .await
        .unwrap();
    let keyring = Unreachable {
        inner: memory,
        down: SMTP_PASSWORD,
    };
    let before = dump(&db).await;
    let e = s
        .set(&keyring, Key::Smtp, "smtps://bookings@mail.example.net")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("keyring"), "{e}");
    assert_eq!(dump(&db).await, before, "the old server stays");
}

#[tokio::test]
async fn an_smtp_login_without_tls_is_refused_when_set() {
    let db = Db::new().await;
    let s = &db.session;
    let secrets = MemorySecrets::default();
    let before = dump(&db).await;
    for url in [
        "smtp://bookings@mail.example.com:587",
        "smtp://bookings@mail.example.com:587?tls=opportunistic",
    ] {
        let e = s.set(&secrets, Key::Smtp, url).await.unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid, "{url}: {e}");
        assert!(e.to_string().contains("TLS"), "{url}: {e}");
        assert!(!e.to_string().contains("bookings"), "the user stays hidden");
    }
    assert_eq!(dump(&db).await, before);
    for url in [
        "smtp://bookings@mail.example.com:587?tls=required",
        "smtps://bookings@mail.example.com",
        "smtp://mail.example.com:25",
    ] {
        s.set(&secrets, Key::Smtp, url).await.unwrap();
    }
}

#[tokio::test]
async fn only_an_admin_stores_the_smtp_password_or_the_sms_token() {
    let db = Db::new().await;
    let secrets = MemorySecrets::default();
    db.session
        .add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    let owner = db.session.user().await.unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap()
        .user()
        .await
        .unwrap();
    for which in [Credential::SmtpPassword, Credential::SmsToken] {
        let e = preferences::set_credential(&mia, &secrets, which, "member-guess").unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden, "{which:?}: {e}");
        assert!(e.to_string().contains("Admin"), "{e}");
    }
    assert_eq!(secrets.get(SMTP_PASSWORD).unwrap(), None);
    assert_eq!(secrets.get(SMS_TOKEN).unwrap(), None);

    let e =
        preferences::set_credential(&owner, &secrets, Credential::SmtpPassword, "  ").unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    assert_eq!(e.field(), Some("smtp_password"));
    let stored =
        preferences::set_credential(&owner, &secrets, Credential::SmtpPassword, "smtp-hunter2")
            .unwrap();
    assert_eq!(
        stored,
        Credentials {
            smtp_password: true,
            sms_token: false,
            keyring_error: None
        }
    );
    assert_eq!(
        secrets.get(SMTP_PASSWORD).unwrap().as_deref(),
        Some("smtp-hunter2")
    );
}

#[tokio::test]
async fn credentials_say_configured_and_a_keyring_that_cannot_be_read_is_said_not_failed_on() {
    let memory = MemorySecrets::default();
    memory.set(SMS_TOKEN, "gateway-secret").unwrap();
    let state = preferences::credentials(&memory);
    assert!(!state.smtp_password && state.sms_token && state.keyring_error.is_none());
    let json = serde_json::to_string(&state).unwrap();
    assert!(!json.contains("gateway-secret"), "{json}");

    let keyring = Unreachable {
        inner: memory,
        down: SMTP_PASSWORD,
    };
    let state = preferences::credentials(&keyring);
    assert!(!state.smtp_password && state.sms_token, "{state:?}");
    assert!(
        state
            .keyring_error
            .as_deref()
            .is_some_and(|e| e.contains("keyring")),
        "{state:?}"
    );
}

#[tokio::test]
async fn app_info_names_the_signed_in_users_role() {
    let db = Db::new().await;
    assert_eq!(db.session.app_info().await.unwrap().role, Role::Admin);
    db.session
        .add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    db.session.set_user("mia@example.com").await.unwrap();
    assert_eq!(db.session.app_info().await.unwrap().role, Role::Member);
}
