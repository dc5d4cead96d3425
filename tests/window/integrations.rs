//! The integrations from the window, against the fake services of tests/support/integrations
//! and the real OS keyring: an Admin registers Google's OAuth app (the fake's authorization
//! server), signs in, a headless HTTP client plays the browser (authorize, then the redirect
//! back to the app's loopback address), and Settings shows Google Calendar connected, the code
//! exchanged with a PKCE verifier that matches the challenge. Zapier connects with a pasted
//! Catch Hook URL, an email edit reaches it, the contact pane says so, and Disconnect (once
//! confirmed) lists it as not connected again.

use std::ffi::{OsStr, OsString};

use super::*;
use crate::desktop::Desktop;
use crate::fake_integrations::FakeIntegrations;

const CLIENT_ID: &str = "cardfile-window-test.apps.example";
const WORKER: Duration = Duration::from_secs(20);

/// The card of integration `name` in Settings → Integrations.
async fn card(app: &App, name: &str) -> WebElement {
    app.find(
        &format!("the {name} card"),
        By::Css(format!("[data-testid='integration-{name}']")),
    )
    .await
}

/// The state a card shows: its `data-state` (connected, reconnect, disconnected) and text.
async fn card_state(app: &App, name: &str) -> (String, String) {
    match app
        .find_now(By::Css(format!("[data-testid='integration-state-{name}']")))
        .await
    {
        Some(e) => (
            e.attr("data-state")
                .await
                .ok()
                .flatten()
                .unwrap_or_default(),
            e.text().await.unwrap_or_default(),
        ),
        None => (String::new(), String::new()),
    }
}

/// Types `text` into the field with this `data-testid`, replacing what it held.
async fn fill(app: &App, testid: &str, text: &str) {
    let field = app
        .find(
            &format!("the field {testid}"),
            By::Css(format!("[data-testid='{testid}']")),
        )
        .await;
    app.replace_text(&field, text).await;
}

async fn click(app: &App, testid: &str) {
    app.find(
        &format!("the control {testid}"),
        By::Css(format!("[data-testid='{testid}']")),
    )
    .await
    .click()
    .await
    .unwrap();
}

/// Whether the page shows `secret` anywhere: its source, its text, a field's value.
async fn page_holds(app: &App, secret: &str) -> bool {
    if app.d().source().await.unwrap().contains(secret) {
        return true;
    }
    let shown = app
        .d()
        .execute(
            "return document.body.innerText.includes(arguments[0])
               || Array.from(document.querySelectorAll('input, textarea'))
                    .some(f => f.value.includes(arguments[0]));",
            vec![json!(secret)],
        )
        .await
        .unwrap();
    shown.json() == &json!(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_signs_in_through_the_browser_and_zapier_connects_with_its_hook_url() {
    // The fake runs on this test's runtime, which lives as long as the test.
    let fake = FakeIntegrations::start().await;
    fake.oauth_client(CLIENT_ID, "google");

    // Ann, to edit once Zapier is connected; quick backoffs, as a test wants them.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    cli(
        &db,
        &[
            "add",
            "--first-name",
            "Ann",
            "--last-name",
            "Lee",
            "--email",
            "ann@old.example",
        ],
    );
    let desktop = Desktop::start();
    let mut env = desktop.env();
    // Should xdg-open be installed, it opens nothing: the test is the browser.
    env.push(("BROWSER", OsString::from("true")));
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app = App::launch(dir, &env).await;

    tab(&app, "Settings").await;
    let google = card(&app, "google").await;
    google.scroll_into_view().await.unwrap();
    assert_eq!(
        card_state(&app, "google").await,
        ("disconnected".to_string(), "Not connected".to_string())
    );
    // No app registration yet: nothing to sign in with.
    assert!(app
        .find_now(By::Css("[data-testid='integration-sign-in-google']"))
        .await
        .is_none());

    // The Admin registers the OAuth app: the fake's authorization server.
    app.find(
        "Google's OAuth app",
        By::Css("[data-testid='oauth-app-google'] > summary"),
    )
    .await
    .click()
    .await
    .unwrap();
    fill(&app, "oauth-client-id-google", CLIENT_ID).await;
    fill(&app, "oauth-authorize-url-google", &fake.authorize_url()).await;
    fill(&app, "oauth-token-url-google", &fake.token_url()).await;
    click(&app, "oauth-save-google").await;
    app.wait_for("the OAuth app saved", || async {
        google
            .text()
            .await
            .unwrap_or_default()
            .contains("Saved: Sign in uses this app.")
    })
    .await;

    // Sign in, against the fake's calendar API; the page shows the link it sent the browser to.
    fill(&app, "integration-url-google", &fake.base_url()).await;
    click(&app, "integration-sign-in-google").await;
    let link = app
        .find("the sign-in link", By::Css("[data-testid='sign-in-url']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        link.starts_with(&format!("{}?", fake.authorize_url())),
        "{link}"
    );
    assert!(app
        .find_now(By::Css("[data-testid='sign-in-waiting-google']"))
        .await
        .is_some());
    app.screenshot("integrations-sign-in").await.unwrap();
    let query: Vec<(String, String)> = url_query(&link);
    let param = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {link}"))
    };
    assert_eq!(param("client_id"), CLIENT_ID);
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(param("access_type"), "offline");
    assert!(param("redirect_uri").starts_with("http://127.0.0.1:"));
    let challenge = param("code_challenge");

    // The browser: the authorization server redirects to the app's loopback callback.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let browser = reqwest::Client::new();
    let page = browser.get(&link).send().await.unwrap();
    assert_eq!(page.status(), 200, "the callback's page");
    let back = page.url().clone();
    assert_eq!(back.host_str(), Some("127.0.0.1"));
    assert_eq!(back.path(), "/callback");
    assert_eq!(
        back.port().map(|p| p.to_string()),
        reqwest::Url::parse(&param("redirect_uri"))
            .unwrap()
            .port()
            .map(|p| p.to_string())
    );
    let text = page.text().await.unwrap();
    assert!(text.contains("signed in to Google Calendar"), "{text}");

    app.wait_up_to(WORKER, "Google Calendar connected", || async {
        card_state(&app, "google").await.0 == "connected"
    })
    .await;
    assert!(app
        .find_now(By::Css("[data-testid='sign-in-url']"))
        .await
        .is_none());

    // The code was exchanged once, with the verifier the challenge was made from.
    let exchanges = fake.requests_to("POST /oauth/token");
    assert_eq!(exchanges.len(), 1, "{:?}", fake.lines());
    let exchange = &exchanges[0];
    assert_eq!(exchange.status, 200, "{:?}", exchange.reply);
    assert_eq!(
        exchange.form("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(exchange.form("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        exchange.form("redirect_uri"),
        Some(param("redirect_uri")),
        "the same redirect URI as the authorization"
    );
    let verifier = exchange.form("code_verifier").expect("a PKCE verifier");
    assert_eq!(FakeIntegrations::challenge_of(&verifier), challenge);
    let access = exchange.reply["access_token"].as_str().unwrap().to_string();
    assert!(fake.token_valid(&access));
    // The tokens went to the keyring, never to the page or the database.
    assert!(!page_holds(&app, &access).await, "the page shows the token");
    assert!(
        !page_holds(&app, &verifier).await,
        "the page shows the verifier"
    );
    let refresh = exchange.reply["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    for secret in [&access, &refresh] {
        assert!(!db_holds(&app, secret), "the database holds a token");
    }

    // Zapier: the Catch Hook URL pasted into its password field.
    let hook = fake.hook_url();
    let zapier = card(&app, "zapier").await;
    zapier.scroll_into_view().await.unwrap();
    let field = app
        .find(
            "the hook URL field",
            By::Css("[data-testid='integration-token-zapier']"),
        )
        .await;
    assert_eq!(
        field.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    field.send_keys(&hook).await.unwrap();
    click(&app, "integration-connect-zapier").await;
    app.wait_for("Zapier connected", || async {
        card_state(&app, "zapier").await.0 == "connected"
    })
    .await;
    assert!(
        !page_holds(&app, &hook).await,
        "the page shows the hook URL"
    );
    app.screenshot("integrations-connected").await.unwrap();

    // An email edit goes to the hook, and Ann's pane says Zapier has it.
    tab(&app, "Contacts").await;
    app.wait_rows("Ann in the table", |rows| {
        rows.iter().any(|r| r.contains("Ann Lee"))
    })
    .await;
    app.row_menu("Ann Lee", "Edit").await;
    app.type_into("Email", "ann@new.example").await;
    app.button("Save").await.click().await.unwrap();
    app.wait_for("the pane to close", || async { !app.pane_open().await })
        .await;
    app.wait_up_to(WORKER, "the change posted to the hook", || async {
        !fake.hook_posts().is_empty()
    })
    .await;
    let post = &fake.hook_posts()[0];
    assert_eq!(post["event"], "contact.updated");
    assert_eq!(post["before"]["email"], "ann@old.example");
    assert_eq!(post["after"]["email"], "ann@new.example");
    app.row_menu("Ann Lee", "Edit").await;
    app.wait_up_to(WORKER, "Zapier's result in Ann's pane", || async {
        match app
            .find_now(By::Css("[data-testid='contact-integration-zapier']"))
            .await
        {
            Some(e) => e.attr("data-result").await.ok().flatten().as_deref() == Some("updated"),
            None => false,
        }
    })
    .await;
    let result = app
        .find_now(By::Css("[data-testid='contact-integration-zapier']"))
        .await
        .unwrap();
    result.scroll_into_view().await.unwrap();
    let text = result.text().await.unwrap();
    assert!(text.starts_with("Zapier · Updated"), "{text}");
    app.screenshot("integrations-contact-pane").await.unwrap();
    app.button("Cancel").await.click().await.unwrap();
    app.wait_for("the pane to close", || async { !app.pane_open().await })
        .await;

    // Disconnect, once confirmed: Zapier is listed as not connected again.
    tab(&app, "Settings").await;
    click(&app, "integration-disconnect-zapier").await;
    app.find(
        "the confirmation's Disconnect",
        By::XPath("//*[@role='dialog']//button[normalize-space()='Disconnect']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.wait_for("Zapier disconnected", || async {
        card_state(&app, "zapier").await.0 == "disconnected"
    })
    .await;
    assert_eq!(card_state(&app, "google").await.0, "connected");

    app.close().await;
    drop(desktop);
}

/// The decoded query of a URL.
fn url_query(link: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(link)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Whether the database file (and its write-ahead log) holds `secret` anywhere.
fn db_holds(app: &App, secret: &str) -> bool {
    let db = app._dir.path().join("window.db");
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    [db, PathBuf::from(wal)].iter().any(|path| {
        std::fs::read(path)
            .is_ok_and(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
    })
}
