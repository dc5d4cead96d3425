//! The local REST API from the window, with the real OS keyring (a throwaway session bus with
//! an unlocked gnome-keyring, handed to the app through tauri-driver's environment): Settings →
//! Local API switches it on, shows its URL and the token, and another program (curl) adds a
//! contact that the open table shows within a second; Rotate token retires the old token;
//! switching it off closes the port.

use std::ffi::OsStr;

use super::*;
use crate::desktop::Desktop;

/// What curl did: its exit code, the HTTP status (0 when nothing answered) and the body.
struct Curl {
    exit: Option<i32>,
    status: u16,
    body: String,
}

/// `curl -s [-X METHOD] URL -H "Authorization: Bearer TOKEN" [JSON body]`, as any program
/// on this computer would call the API.
fn curl(method: &str, url: &str, token: &str, body: Option<&str>) -> Curl {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "10", "-X", method, url])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        // The HTTP status on a line of its own after the body.
        .args(["-w", "\n%{http_code}"]);
    if let Some(body) = body {
        cmd.args(["-H", "Content-Type: application/json", "-d", body]);
    }
    let out = cmd.output().expect("curl (apt: curl)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    Curl {
        exit: out.status.code(),
        status: status.trim().parse().unwrap_or(0),
        body: body.to_string(),
    }
}

/// The switch labelled "Run the local API".
async fn switch(app: &App) -> WebElement {
    app.find(
        "the Run the local API switch",
        By::XPath(
            "//input[@role='switch'][@id=//label[normalize-space()='Run the local API']/@for]",
        ),
    )
    .await
}

/// The value of the field labelled `label`, once `want` holds for it (up to 10 s).
async fn field_value(app: &App, label: &str, want: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let value = match app
            .find_now(By::XPath(format!(
                "//*[@id=//label[normalize-space()='{label}']/@for]"
            )))
            .await
        {
            Some(f) => f.value().await.ok().flatten().unwrap_or_default(),
            None => String::new(),
        };
        if want(&value) {
            return value;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let _ = app.screenshot(&format!("failed-{label}")).await;
            panic!("{label} still reads {value:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `cardfile api token` in the same desktop session: the token the keyring holds.
fn cli_token(db: &Path, env: &[(&str, &OsStr)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(db)
        .args(["api", "token"])
        .env_remove("CARDFILE_DB")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    reply["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_the_local_api_on_lets_curl_add_a_contact_that_appears_in_the_open_table() {
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
            "ann@example.com",
        ],
    );
    let desktop = Desktop::start();
    let env = desktop.env();
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app = App::launch(dir, &env).await;

    // Settings → Local API: off by default, nothing shown but the switch and the port.
    tab(&app, "Settings").await;
    let section = app
        .find(
            "the Local API section",
            By::XPath("//section[@aria-labelledby=//h2[normalize-space()='Local API']/@id]"),
        )
        .await;
    assert!(
        !switch(&app).await.is_selected().await.unwrap(),
        "on at start"
    );
    assert_eq!(
        app.field("Port").await.value().await.unwrap().as_deref(),
        Some("7788"),
        "the default port"
    );
    assert!(
        app.find_now(By::XPath("//label[normalize-space()='Token']"))
            .await
            .is_none(),
        "a token shown while off"
    );

    // A port another program holds: the error shows next to the switch, which stays off.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    app.type_into("Port", &taken_port.to_string()).await;
    switch(&app).await.click().await.unwrap();
    let refused = app
        .find(
            "the error next to the switch",
            By::XPath("//div[@class='api-switch']/*[@role='alert']"),
        )
        .await;
    let why = refused.text().await.unwrap();
    assert!(
        why.contains(&format!("cannot listen on 127.0.0.1:{taken_port}")),
        "{why}"
    );
    app.wait_for("the switch to stay off", || async {
        !switch(&app).await.is_selected().await.unwrap()
            && switch(&app).await.is_enabled().await.unwrap()
    })
    .await;
    drop(taken);

    // A free port: on, with its URL and the acting user's token, the keyring's.
    let port = free_port();
    app.type_into("Port", &port.to_string()).await;
    switch(&app).await.click().await.unwrap();
    let url = format!("http://127.0.0.1:{port}");
    app.wait_for("the switch on", || async {
        switch(&app).await.is_selected().await.unwrap()
    })
    .await;
    field_value(&app, "URL", |v| v == url).await;
    let token = field_value(&app, "Token", |v| !v.is_empty()).await;
    assert!(token.starts_with("cf_"), "{token}");
    assert_eq!(token, cli_token(&db, &env), "not the keyring's token");
    assert!(
        app.find_now(By::XPath("//*[@role='alert']"))
            .await
            .is_none(),
        "the earlier error still shows"
    );

    // Copy: to the clipboard, or (a webview without one) the token selected for Ctrl+C.
    app.button("Copy").await.click().await.unwrap();
    let copied = app
        .find(
            "what Copy did",
            By::XPath("//p[@role='status'][contains(@class, 'api-copied')][normalize-space()!='']"),
        )
        .await
        .text()
        .await
        .unwrap();
    match copied.as_str() {
        "Token copied." => {
            let read = app
                .d()
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     navigator.clipboard.readText().then(done, () => done(null));",
                    Vec::new(),
                )
                .await
                .unwrap();
            // WebKitWebDriver may not let a page read the clipboard: then only the write is known.
            match read.json().as_str() {
                Some(text) => assert_eq!(text, token, "the clipboard holds something else"),
                None => eprintln!("the page may not read the clipboard back"),
            }
        }
        "The token is selected: copy it with Ctrl+C (⌘C on a Mac)." => {
            let selected = app
                .d()
                .execute(
                    "const f = document.activeElement;
                     return f.value.substring(f.selectionStart, f.selectionEnd);",
                    Vec::new(),
                )
                .await
                .unwrap();
            assert_eq!(selected.json().as_str(), Some(token.as_str()));
        }
        other => panic!("Copy said {other:?}"),
    }
    app.screenshot("local-api").await.unwrap();
    let shown = section.text().await.unwrap();
    assert!(
        shown.contains("Token") && shown.contains("Rotate token"),
        "{shown}"
    );

    // The table is open when curl adds a contact, and shows it within a second.
    tab(&app, "Contacts").await;
    app.wait_rows("Ann in the table", |rows| {
        rows.iter().any(|r| r.contains("Ann Lee"))
    })
    .await;
    let made = curl(
        "POST",
        &format!("{url}/v1/contacts"),
        &token,
        Some(r#"{"first_name":"Curl","last_name":"Made","email":"curl@example.com"}"#),
    );
    let created = Instant::now();
    assert_eq!(made.status, 201, "{}", made.body);
    let reply: serde_json::Value = serde_json::from_str(&made.body).unwrap();
    assert_eq!(reply["email"], "curl@example.com", "{reply}");
    while !app
        .row_texts()
        .await
        .iter()
        .any(|r| r.contains("Curl Made"))
    {
        assert!(
            created.elapsed() < Duration::from_secs(1),
            "the API's contact did not reach the open table within a second"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let shown_after = created.elapsed();
    eprintln!("the API's contact showed in the table after {shown_after:?}");
    let contacts = app.contacts().await;
    let curl_made = contacts
        .iter()
        .find(|c| c.email.as_deref() == Some("curl@example.com"))
        .expect("the API's contact in the database");
    assert_eq!(curl_made.first_name.as_deref(), Some("Curl"));
    assert_eq!(curl_made.last_name.as_deref(), Some("Made"));

    // Rotate token, confirmed: the field shows the new one, which works; the old one is refused.
    tab(&app, "Settings").await;
    // The view came back: its buttons wait for the token, read from the keyring again.
    field_value(&app, "Token", |v| v == token).await;
    app.button("Rotate token").await.click().await.unwrap();
    let dialog = app
        .find(
            "the Rotate the token? dialog",
            By::XPath("//*[@role='dialog'][@aria-labelledby=//h2[normalize-space()='Rotate the token?']/@id]"),
        )
        .await;
    let says = dialog.text().await.unwrap();
    assert!(
        says.contains("Programs using the old token stop working"),
        "{says}"
    );
    dialog
        .find(By::XPath(".//button[normalize-space()='Rotate token']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_for("the dialog gone", || async {
        app.find_now(By::Css("[role='dialog']")).await.is_none()
    })
    .await;
    let rotated = field_value(&app, "Token", |v| !v.is_empty() && v != token).await;
    assert!(rotated.starts_with("cf_"), "{rotated}");
    let list = format!("{url}/v1/contacts");
    assert_eq!(curl("GET", &list, &rotated, None).status, 200);
    // The server trusts a token it read for a second.
    app.wait_for("the old token refused", || async {
        curl("GET", &list, &token, None).status == 401
    })
    .await;

    // Off: the switch, and nothing listens on the port any more.
    switch(&app).await.click().await.unwrap();
    app.wait_for("the switch off", || async {
        !switch(&app).await.is_selected().await.unwrap()
            && app
                .find_now(By::XPath("//label[normalize-space()='Token']"))
                .await
                .is_none()
    })
    .await;
    let after = curl("GET", &list, &rotated, None);
    assert_eq!(
        (after.exit, after.status),
        (Some(7), 0),
        "curl still reached the API: {}",
        after.body
    );
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    app.close().await;
    drop(desktop);
}
