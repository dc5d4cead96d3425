//! Settings from the window: an Admin sets up email (server, STARTTLS, user, a password that
//! goes to the real OS keyring only, the CA file of a self-signed certificate) and SMS (gateway,
//! account, token), and the test email and SMS arrive, the mail server having seen the planted
//! password; afterwards neither the password nor the token is anywhere in the database file,
//! the app's own output or what the page holds, IPC replies included. A Member sees the mail
//! server read-only and Rust refuses them anyway. Reminders, region and theme are edited with
//! their validation beside the field. The README's screenshots of Settings are taken here.

use std::ffi::OsStr;

use base64::Engine;
use thirtyfour::components::SelectElement;

use super::*;
use crate::desktop::Desktop;

#[path = "../support/channels.rs"]
mod channels;
use channels::{SmsGateway, TlsSmtp};

const SMTP_USER: &str = "bookings";
const PASSWORD: &str = "smtp-PLANTED-pw-7d41c2e9";
const ACCOUNT: &str = "AC0123456789";
const TOKEN: &str = "sms-PLANTED-token-93ab5f10";

impl App {
    /// `launch`, with the app's standard output and error appended to the returned log file
    /// (a wrapper script runs it so): tauri-driver drops the app's standard output.
    async fn launch_logged(dir: tempfile::TempDir, env: &[(&str, &OsStr)]) -> (App, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        let log = dir.path().join("app.log");
        let wrapper = dir.path().join("cardfile-logged");
        let app = env!("CARGO_BIN_EXE_cardfile");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho 'cardfile-logged: starting' >>'{log}'\nexec '{app}' \"$@\" >>'{log}' 2>&1\n",
                log = log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let store = Store::open(&dir.path().join("window.db")).await.unwrap();
        let session = Session::new(store, None).await.unwrap();
        (
            App::start_with(dir, Some(session), env, &wrapper).await,
            log,
        )
    }
}

/// The element with this `data-testid`, scrolled into view.
async fn testid(app: &App, id: &str) -> WebElement {
    let e = app
        .find(
            &format!("[data-testid={id}]"),
            By::Css(format!("[data-testid='{id}']")),
        )
        .await;
    e.scroll_into_view().await.unwrap();
    e
}

async fn fill(app: &App, id: &str, text: &str) {
    let field = testid(app, id).await;
    app.replace_text(&field, text).await;
}

async fn click(app: &App, id: &str) {
    testid(app, id).await.click().await.unwrap();
}

async fn value(app: &App, id: &str) -> String {
    testid(app, id)
        .await
        .value()
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Scrolls the Settings section with this `data-testid` to the top, for a screenshot.
async fn show_section(app: &App, id: &str) {
    app.d()
        .execute(
            "document.querySelector(`[data-testid='${arguments[0]}']`).scrollIntoView({ block: 'start' });",
            vec![json!(id)],
        )
        .await
        .unwrap();
}

/// Waits (up to 30 s: a send may wait on a server) for the section's text to hold `text`;
/// a timeout says what the section showed instead (an error beside a field, say).
async fn wait_text(app: &App, section: &str, text: &str) {
    let s = testid(app, section).await;
    let started = Instant::now();
    loop {
        let shown = s.text().await.unwrap_or_default();
        if shown.contains(text) {
            return;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = app.screenshot(&format!("failed-{section}")).await;
            panic!("{section} never said {text:?}; it shows:\n{shown}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// From now on, every IPC reply (and event) the page receives is kept, as JSON, in
/// `window.__replies`: Tauri hands each to a callback from this map.
async fn record_replies(app: &App) {
    app.d()
        .execute(
            "const callbacks = window.__TAURI_INTERNALS__.callbacks;
             window.__replies = [];
             const set = callbacks.set.bind(callbacks);
             callbacks.set = (id, callback) => set(id, (data) => {
               try { window.__replies.push(JSON.stringify(data)); } catch (e) {}
               return callback(data);
             });",
            Vec::new(),
        )
        .await
        .unwrap();
}

async fn replies(app: &App) -> Vec<String> {
    let ret = app
        .d()
        .execute("return window.__replies || [];", Vec::new())
        .await
        .unwrap();
    serde_json::from_value(ret.json().clone()).unwrap()
}

/// Whether the page holds `secret`: its source, text, any field's value, its storage.
async fn page_holds(app: &App, secret: &str) -> bool {
    if app.d().source().await.unwrap().contains(secret) {
        return true;
    }
    let ret = app
        .d()
        .execute(
            "const s = arguments[0];
             const storage = (st) => Object.keys(st).some(k => k.includes(s) || (st.getItem(k) || '').includes(s));
             return document.body.innerText.includes(s)
               || Array.from(document.querySelectorAll('input, textarea, select'))
                    .some(f => f.value.includes(s))
               || storage(window.localStorage) || storage(window.sessionStorage);",
            vec![json!(secret)],
        )
        .await
        .unwrap();
    ret.json() == &json!(true)
}

fn file_holds(path: &Path, secret: &str) -> bool {
    std::fs::read(path)
        .map(|bytes| bytes.windows(secret.len()).any(|w| w == secret.as_bytes()))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_and_sms_set_up_in_settings_send_their_tests_and_leave_no_secret_behind() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = TlsSmtp::start(dir.path(), SMTP_USER, PASSWORD);
    let gateway = SmsGateway::start().await;
    let desktop = Desktop::start();
    let mut env = desktop.env();
    // What "Choose…" returns: the native dialog's stand-in (the test-dialog feature).
    env.push(("CARDFILE_DIALOG_PATH", smtp.cert.clone().into_os_string()));
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app_dir = tempfile::tempdir().unwrap();
    let (app, log) = App::launch_logged(app_dir, &env).await;
    record_replies(&app).await;

    // Email: the server, STARTTLS (the default), the user and the password; no CA file yet.
    tab(&app, "Settings").await;
    fill(&app, "smtp-host", "127.0.0.1").await;
    fill(&app, "smtp-port", &smtp.port.to_string()).await;
    assert_eq!(value(&app, "smtp-security").await, "starttls");
    fill(&app, "smtp-user", SMTP_USER).await;
    let password = testid(&app, "smtp-password").await;
    assert_eq!(
        password.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    fill(&app, "smtp-password", PASSWORD).await;
    fill(&app, "email-from", "reminders@example.com").await;
    click(&app, "email-save").await;
    wait_text(&app, "settings-email", "Email settings saved.").await;
    assert_eq!(
        value(&app, "smtp-password").await,
        "",
        "the field is emptied"
    );
    assert_eq!(
        testid(&app, "smtp-password-state")
            .await
            .text()
            .await
            .unwrap(),
        "Configured"
    );
    let saved = app.session().settings().await.unwrap();
    assert_eq!(
        saved.smtp.as_deref(),
        Some(format!("smtp://{SMTP_USER}@127.0.0.1:{}?tls=required", smtp.port).as_str())
    );
    assert_eq!(saved.email_from.as_deref(), Some("reminders@example.com"));

    // The server's certificate is its own: not trusted yet, so the test email fails, saying why.
    fill(&app, "test-email-to", "ann@example.com").await;
    click(&app, "test-email-send").await;
    let error = app
        .find(
            "the test email's error",
            By::Css("[data-testid='test-email-error']"),
        )
        .await;
    let said = error.text().await.unwrap();
    assert!(said.to_lowercase().contains("certificate"), "{said}");
    assert!(smtp.messages().is_empty());

    // The Admin trusts it: Choose… (the dialog's stand-in answers the certificate), Save.
    click(&app, "smtp-ca-choose").await;
    let cert = smtp.cert.display().to_string();
    app.wait_for("the chosen CA file", || async {
        value(&app, "smtp-ca-file").await == cert
    })
    .await;
    click(&app, "email-save").await;
    wait_text(&app, "settings-email", "Email settings saved.").await;
    assert_eq!(
        app.session()
            .settings()
            .await
            .unwrap()
            .smtp_ca_file
            .as_deref(),
        Some(cert.as_str())
    );
    click(&app, "test-email-send").await;
    wait_text(&app, "settings-email", "Test email sent to ann@example.com").await;
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].0["to"], "ann@example.com");
    assert_eq!(mail[0].0["subject"], "Cardfile test message");
    assert!(
        mail[0].0["from"].contains("reminders@example.com"),
        "{:?}",
        mail[0].0
    );
    // The server accepts only the planted password: the app logged in with it, once.
    let logins = smtp.logins();
    assert!(
        logins.len() == 1 && logins[0].accepted && logins[0].login.as_deref() == Some(SMTP_USER),
        "{logins:?}"
    );
    assert!(!logins[0].mechanism.is_empty());
    show_section(&app, "settings-email").await;
    app.screenshot("settings-email").await.unwrap();

    // SMS: the gateway, the account, the token and the sender; a test SMS.
    fill(&app, "sms-gateway", &gateway.url).await;
    fill(&app, "sms-account", ACCOUNT).await;
    fill(&app, "sms-token", TOKEN).await;
    fill(&app, "sms-from", "+1 646 555 0100").await;
    click(&app, "sms-save").await;
    wait_text(&app, "settings-sms", "SMS settings saved.").await;
    assert_eq!(
        testid(&app, "sms-token-state").await.text().await.unwrap(),
        "Configured"
    );
    fill(&app, "test-sms-to", "+1 646 912 3478").await;
    click(&app, "test-sms-send").await;
    wait_text(&app, "settings-sms", "Test SMS sent to +1 646 912 3478").await;
    let sms = gateway.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(
        sms[0].path,
        format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    assert_eq!(sms[0].authorization, format!("Basic {basic}"));
    assert_eq!(sms[0].form["To"], "+16469123478");
    assert_eq!(sms[0].form["From"], "+16465550100");
    show_section(&app, "settings-sms").await;
    app.screenshot("settings-sms").await.unwrap();

    // Both are in the OS keyring (Secret Service), where the app read them from.
    for (name, secret) in [("smtp-password", PASSWORD), ("sms-token", TOKEN)] {
        let found = Command::new("secret-tool")
            .args(["lookup", "service", "cardfile", "username", name])
            .envs(desktop.env())
            .output()
            .expect("secret-tool (apt: libsecret-tools)");
        let stored = String::from_utf8_lossy(&found.stdout);
        assert_eq!(
            stored.trim_end_matches('\n'),
            secret,
            "{name} in the keyring"
        );
    }

    // Nowhere else: not in the page (its source, text, fields, storage), not in any IPC reply
    // it received, which the recorder did see (the credentials' state among them).
    let seen = replies(&app).await;
    assert!(
        seen.iter().any(|r| r.contains("\"smtp_password\":true")),
        "{seen:?}"
    );
    for secret in [PASSWORD, TOKEN, basic.as_str()] {
        assert!(!page_holds(&app, secret).await, "the page holds {secret}");
        assert!(
            !seen.iter().any(|r| r.contains(secret)),
            "an IPC reply holds {secret}"
        );
    }
    // Nor in the database file, its WAL, or the app's output, once the app has closed.
    let db = app.session().store().path().to_path_buf();
    let mut app = app;
    if let Some(d) = app.driver.take() {
        d.quit().await.unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let output = std::fs::read_to_string(&log).unwrap();
    assert!(
        output.starts_with("cardfile-logged: starting"),
        "the app ran logged: {output}"
    );
    let files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", db.display())))
        .chain([log.clone()])
        .collect();
    assert!(files[0].exists() && files[1].exists(), "{files:?}");
    for secret in [PASSWORD, TOKEN, basic.as_str()] {
        for file in &files {
            assert!(
                !file_holds(file, secret),
                "{} holds {secret}",
                file.display()
            );
        }
    }
    app.close().await;
    drop(desktop);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_the_mail_server_read_only_and_is_refused_a_change_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    cli(
        &db,
        &[
            "settings",
            "set",
            "smtp",
            "smtps://bookings@mail.example.com",
        ],
    );
    cli(
        &db,
        &[
            "users",
            "add",
            "--email",
            "mia@example.com",
            "--name",
            "Mia Member",
            "--role",
            "member",
        ],
    );
    cli(&db, &["settings", "set", "user", "mia@example.com"]);
    let desktop = Desktop::start();
    let env = desktop.env();
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app = App::launch(dir, &env).await;

    tab(&app, "Settings").await;
    let note = testid(&app, "email-admin-only").await;
    assert!(note.text().await.unwrap().contains("Only an Admin"));
    let host = testid(&app, "smtp-host").await;
    assert_eq!(value(&app, "smtp-host").await, "mail.example.com");
    assert_eq!(
        host.prop("readOnly").await.unwrap().as_deref(),
        Some("true")
    );
    host.send_keys("attacker.example").await.unwrap();
    assert_eq!(
        value(&app, "smtp-host").await,
        "mail.example.com",
        "typing changes nothing"
    );
    assert_eq!(value(&app, "smtp-security").await, "tls");
    for id in ["smtp-security", "smtp-password"] {
        let control = testid(&app, id).await;
        assert_eq!(
            control.prop("disabled").await.unwrap().as_deref(),
            Some("true"),
            "{id}"
        );
    }
    assert!(app
        .find_now(By::Css("[data-testid='smtp-ca-choose']"))
        .await
        .is_none());
    for id in ["sms-gateway", "sms-account"] {
        let field = testid(&app, id).await;
        assert_eq!(
            field.prop("readOnly").await.unwrap().as_deref(),
            Some("true"),
            "{id}"
        );
    }
    show_section(&app, "settings-email").await;
    app.screenshot("settings-member").await.unwrap();

    // The page's rules are a courtesy: Rust refuses a Member's change whoever asks.
    let refused = app
        .invoke(
            "settings_set",
            json!({ "key": "smtp", "value": "smtps://bookings@mail.attacker.example" }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let refused = app
        .invoke(
            "credential_set",
            json!({ "which": "smtp-password", "value": "member-guess" }),
        )
        .await
        .unwrap_err();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let settings = app.session().settings().await.unwrap();
    assert_eq!(
        settings.smtp.as_deref(),
        Some("smtps://bookings@mail.example.com")
    );

    // What is not an Admin's stays theirs: the sender address.
    fill(&app, "email-from", "mia@example.com").await;
    click(&app, "email-save").await;
    wait_text(&app, "settings-email", "Email settings saved.").await;
    assert_eq!(
        app.session()
            .settings()
            .await
            .unwrap()
            .email_from
            .as_deref(),
        Some("mia@example.com")
    );
    // Integrations and the cloud account say they are an Admin's, with nothing to connect.
    testid(&app, "integrations-admin-only").await;
    testid(&app, "cloud-admin-only").await;
    assert!(app
        .find_now(By::Css(
            "[data-testid^='integration-connect-'], [data-testid^='integration-sign-in-']"
        ))
        .await
        .is_none());
    app.close().await;
    drop(desktop);
}

/// The control with this accessible name (a reminder row's select or amount).
async fn named(app: &App, label: &str) -> WebElement {
    app.find(label, By::XPath(format!("//*[@aria-label='{label}']")))
        .await
}

async fn select(app: &App, label: &str, value: &str) {
    let e = named(app, label).await;
    SelectElement::new(&e)
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

async fn type_named(app: &App, label: &str, text: &str) {
    let e = named(app, label).await;
    app.replace_text(&e, text).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_region_and_theme_are_edited_with_their_errors_beside_the_field() {
    let app = App::open(|_| async {}).await;
    tab(&app, "Settings").await;
    let stored = || async { app.session().settings().await.unwrap() };

    // The stored "email 24h, email 1h, sms 1h" as rows; 0 is refused beside its row.
    named(&app, "Reminder 3: channel").await;
    type_named(&app, "Reminder 1: how long before", "0").await;
    click(&app, "reminders-save").await;
    let error = app
        .find(
            "the amount's error",
            By::XPath("//*[@data-testid='reminders-editor']//*[@role='alert']"),
        )
        .await;
    assert_eq!(error.text().await.unwrap(), "Enter a whole number from 1.");
    assert_eq!(stored().await.reminders, "email 24h, email 1h, sms 1h");

    // Two days before by email, one hour by email, 30 minutes by SMS; no follow-up.
    type_named(&app, "Reminder 1: how long before", "2").await;
    select(&app, "Reminder 1: unit", "d").await;
    named(&app, "Remove reminder 3")
        .await
        .click()
        .await
        .unwrap();
    app.button("Add reminder").await.click().await.unwrap();
    select(&app, "Reminder 3: channel", "sms").await;
    type_named(&app, "Reminder 3: how long before", "30").await;
    select(&app, "Reminder 3: unit", "m").await;
    named(&app, "Remove follow-up step 1")
        .await
        .click()
        .await
        .unwrap();
    click(&app, "reminders-save").await;
    wait_text(&app, "settings-reminders", "Reminders and follow-up saved.").await;
    let saved = stored().await;
    assert_eq!(saved.reminders, "email 2d, email 1h, sms 30m");
    assert_eq!(saved.follow_up, "none");
    show_section(&app, "settings-reminders").await;
    app.screenshot("settings-reminders").await.unwrap();

    // The default region: Rust's refusal shows at the field; GB is taken and named.
    fill(&app, "default-region", "XX").await;
    click(&app, "region-save").await;
    let error = app
        .find(
            "the region's error",
            By::XPath("//*[@data-testid='settings-region']//*[@role='alert']"),
        )
        .await;
    assert!(
        error.text().await.unwrap().contains("is not a region code"),
        "{}",
        error.text().await.unwrap()
    );
    assert_eq!(stored().await.default_region, "US");
    fill(&app, "default-region", "gb").await;
    click(&app, "region-save").await;
    wait_text(
        &app,
        "settings-region",
        "Default region saved: United Kingdom.",
    )
    .await;
    assert_eq!(stored().await.default_region, "GB");

    // Theme: Dark applies at once (the page's colours are the dark set) and is remembered on
    // this computer; System follows it again (Xvfb's GTK asks for light).
    let theme = || async {
        let ret = app
            .d()
            .execute(
                "return [document.documentElement.getAttribute('data-theme'), localStorage.getItem('cardfile-theme'), getComputedStyle(document.body).backgroundColor];",
                Vec::new(),
            )
            .await
            .unwrap();
        serde_json::from_value::<(Option<String>, Option<String>, String)>(ret.json().clone())
            .unwrap()
    };
    let radio =
        |name: &'static str| By::XPath(format!("//label[normalize-space()='{name}']/input"));
    app.find("Dark", radio("Dark")).await.click().await.unwrap();
    assert_eq!(
        theme().await,
        (
            Some("dark".into()),
            Some("dark".into()),
            "rgb(27, 28, 32)".into()
        )
    );
    show_section(&app, "settings-region").await;
    app.screenshot("settings-dark").await.unwrap();
    app.find("System", radio("System"))
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(
        theme().await,
        (None, Some("system".into()), "rgb(255, 255, 255)".into())
    );
    app.close().await;
}
