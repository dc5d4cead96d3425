//! Tokens and hooks: signing in with OAuth (PKCE), an expired token renewed before the call
//! goes through, a renewal refused (the work waits, the user is asked to reconnect), and a
//! Zapier hook deleted (410: the hook is dropped and the user told).

use std::time::Duration;

use cardfile_core::integrations::{self, OAuthApp};
use cardfile_core::secrets::SecretStore;
use serde_json::json;

use super::{email_search, lines, Wired, SEARCH};
use crate::fake_integrations::{browser, FakeIntegrations};

#[tokio::test]
async fn sign_in_sends_the_pkce_challenge_and_exchanges_the_code_with_its_verifier() {
    let w = Wired::new().await;
    let (access, refresh) = w.sign_in("google").await;
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent)
            .iter()
            .map(|l| l.split('?').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        vec!["GET /oauth/authorize", "POST /oauth/token"]
    );
    let authorize = &sent[0];
    assert_eq!(
        authorize.query_param("response_type").as_deref(),
        Some("code")
    );
    assert_eq!(
        authorize.query_param("client_id").as_deref(),
        Some("cardfile-google")
    );
    assert_eq!(
        authorize.query_param("code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        authorize.query_param("access_type").as_deref(),
        Some("offline")
    );
    assert_eq!(authorize.status, 302);
    let token = &sent[1];
    let verifier = token.form("code_verifier").unwrap();
    assert_eq!(
        Some(FakeIntegrations::challenge_of(&verifier)),
        authorize.query_param("code_challenge")
    );
    assert_eq!(
        token.form("redirect_uri"),
        authorize.query_param("redirect_uri")
    );
    assert_eq!(
        token.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert!(w.fake.token_valid(&access));
    assert!(!refresh.is_empty());
    let status = w.status("google").await;
    assert!(
        status.connected && status.needs_reconnect.is_none(),
        "{status:?}"
    );
    // The tokens are in the keyring, not in the database file.
    let db = std::fs::read(w.db.dir.path().join("test.db")).unwrap();
    let text = String::from_utf8_lossy(&db);
    assert!(!text.contains(&access) && !text.contains(&refresh));
}

#[tokio::test]
async fn an_expired_token_is_renewed_then_the_call_goes_through_with_the_new_one() {
    let w = Wired::new().await;
    let (old, refresh) = w.sign_in("hubspot").await;
    let id = w.fake.add_hubspot_contact(json!({"email": "old@x.com"}));
    let c = w.add(&[("first_name", "Ed"), ("email", "old@x.com")]).await;
    w.fake.expire_token(&old);
    w.fake.clear_requests();
    w.edit(&c.id, &[("email", "new@x.com")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            SEARCH.to_string(),
            "POST /oauth/token".to_string(),
            SEARCH.to_string(),
            format!("PATCH /crm/v3/objects/contacts/{id}"),
        ]
    );
    assert_eq!(sent[0].status, 401);
    assert_eq!(sent[0].bearer(), Some(old.as_str()));
    assert_eq!(sent[1].form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(sent[1].form("refresh_token"), Some(refresh));
    assert_eq!(
        sent[1].form("client_id").as_deref(),
        Some("cardfile-hubspot")
    );
    let new = sent[1].reply["access_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(sent[2].bearer(), Some(new));
    assert_eq!(sent[2].body, email_search("old@x.com"));
    assert_eq!(sent[3].bearer(), Some(new));
    assert_eq!(sent[3].status, 200);
    assert_eq!(w.fake.hubspot_contact(&id).unwrap()["email"], "new@x.com");
    // The renewed token is kept: the next change goes with it, without a refresh.
    w.fake.clear_requests();
    w.edit(&c.id, &[("phone", "+12025550106")]).await;
    w.drain().await;
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![format!("PATCH /crm/v3/objects/contacts/{id}")]
    );
    assert_eq!(sent[0].bearer(), Some(new));
}

#[tokio::test]
async fn a_refused_renewal_leaves_the_change_pending_and_asks_to_reconnect() {
    let w = Wired::new().await;
    let (old, _) = w.sign_in("hubspot").await;
    let id = w.fake.add_hubspot_contact(json!({"email": "old@x.com"}));
    let c = w.add(&[("first_name", "Ed"), ("email", "old@x.com")]).await;
    w.fake.expire_token(&old);
    w.fake.refresh_fails(true);
    w.fake.clear_requests();
    w.edit(&c.id, &[("email", "new@x.com")]).await;
    w.sync().await;
    assert_eq!(
        lines(&w.fake.requests()),
        vec![SEARCH, "POST /oauth/token"],
        "nothing is sent without a token"
    );
    let items = w.items("hubspot").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, "pending", "nothing lost: {items:?}");
    let status = w.status("hubspot").await;
    assert!(!status.connected, "{status:?}");
    let why = status.needs_reconnect.clone().unwrap_or_default();
    assert!(
        why.contains("reconnect") && why.contains("HubSpot"),
        "{status:?}"
    );
    assert_eq!(status.pending, 1);
    // Another run sends nothing while it waits for the user.
    w.fake.clear_requests();
    w.sync().await;
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
    // Signing in again delivers the change that waited.
    w.fake.refresh_fails(false);
    let (again, _) = w.sign_in("hubspot").await;
    w.fake.clear_requests();
    w.drain().await;
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            SEARCH.to_string(),
            format!("PATCH /crm/v3/objects/contacts/{id}")
        ]
    );
    assert_eq!(sent[1].bearer(), Some(again.as_str()));
    assert_eq!(sent[1].body, json!({"properties": {"email": "new@x.com"}}));
    assert!(w.status("hubspot").await.needs_reconnect.is_none());
}

#[tokio::test]
async fn a_410_from_zapier_drops_the_hook_and_tells_the_user() {
    let w = Wired::new().await;
    w.connect("zapier").await;
    let c = w
        .add(&[
            ("first_name", "Zed"),
            ("email", "zed@x.com"),
            ("mobile_phone", "+447911123407"),
        ])
        .await;
    w.edit(&c.id, &[("email", "zed@new.com")]).await;
    w.drain().await;
    let posts = w.fake.hook_posts();
    assert_eq!(posts.len(), 1);
    let post = &posts[0];
    assert_eq!(post["event"], "contact.updated");
    assert_eq!(post["contact_id"], c.id.as_str());
    assert_eq!(
        post["before"],
        json!({"email": "zed@x.com", "mobile_phone": "+447911123407", "phone": null})
    );
    assert_eq!(
        post["after"],
        json!({"email": "zed@new.com", "mobile_phone": "+447911123407", "phone": null})
    );
    assert_eq!(post["contact"]["first_name"], "Zed");
    assert!(chrono::DateTime::parse_from_rfc3339(post["changed_at"].as_str().unwrap()).is_ok());
    let hook = w.fake.requests().pop().unwrap();
    assert_eq!(hook.authorization, None, "the hook URL is the secret");
    w.fake.delete_hook();
    w.fake.clear_requests();
    w.edit(&c.id, &[("email", "zed@newer.com")]).await;
    let s = w.drain().await;
    assert_eq!(w.fake.requests().len(), 1);
    assert_eq!(w.fake.requests()[0].status, 410);
    assert_eq!(s.pending, 0);
    let status = w.status("zapier").await;
    assert!(!status.connected, "{status:?}");
    let why = status.needs_reconnect.clone().unwrap_or_default();
    assert!(why.contains("deleted"), "{status:?}");
    let items = w.items("zapier").await;
    assert_eq!(items.last().unwrap().status, "failed");
    // Nothing more is posted to it.
    w.fake.clear_requests();
    w.edit(&c.id, &[("email", "zed@newest.com")]).await;
    w.drain().await;
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
    assert_eq!(w.fake.hook_posts().len(), 1);
}

#[tokio::test]
async fn a_denied_sign_in_connects_nothing() {
    let w = Wired::new().await;
    let user = w.db.session.user().await.unwrap();
    w.fake.deny_consent(true);
    integrations::set_oauth_app(
        w.db.store(),
        &w.secrets,
        &user,
        "google",
        &OAuthApp {
            client_id: "cardfile-google".into(),
            client_secret: None,
            authorize_url: Some(w.fake.authorize_url()),
            token_url: Some(w.fake.token_url()),
            redirect_port: None,
        },
    )
    .await
    .unwrap();
    let signing = integrations::begin_sign_in(w.db.store(), &w.secrets, &user, "google", None)
        .await
        .unwrap();
    let url = signing.url().to_string();
    let (page, finished) = tokio::join!(
        browser::consent(&url),
        signing.finish(w.db.store(), &w.secrets, Duration::from_secs(10))
    );
    assert!(page.is_ok(), "{page:?}");
    let err = finished.unwrap_err().to_string();
    assert!(err.contains("denied"), "{err}");
    assert!(w.fake.requests_to("POST /oauth/token").is_empty());
    let status = w.status("google").await;
    assert!(!status.connected, "{status:?}");
    assert!(w.secrets.get("integration:google").unwrap().is_none());
}

#[tokio::test]
async fn salesforce_sign_in_takes_the_instance_from_the_token_reply() {
    let w = Wired::new().await;
    w.sign_in("salesforce").await;
    let status = w.status("salesforce").await;
    assert_eq!(status.url.as_deref(), Some(w.fake.base_url().as_str()));
    w.fake
        .add_salesforce("Contact", "003SI", Some("si@x.com"), None, None);
    let c = w.add(&[("first_name", "Si"), ("email", "si@x.com")]).await;
    w.fake.clear_requests();
    w.edit(&c.id, &[("email", "si@new.com")]).await;
    w.drain().await;
    assert_eq!(
        w.fake.salesforce("Contact", "003SI").unwrap(),
        json!({"Email": "si@new.com"})
    );
}
