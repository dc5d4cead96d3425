//! The cloud from the window, against the fake OnceHub of tests/support and the real OS
//! keyring (a throwaway session bus with an unlocked gnome-keyring, handed to the app through
//! tauri-driver's environment): Settings → Cloud account connects with a key that never shows
//! in the page, the Outbox fills and drains, the status bar says Offline while the cloud is
//! away, a failed item is retried and then fixed, and a long outbox is shown a page at a
//! time.

use std::ffi::OsStr;

use super::*;
use crate::desktop::Desktop;
use crate::oncehub::FakeOnceHub;

const KEY: &str = "sk-window-PLANTED-5c9e41d7";

/// One row of the Outbox table, by column header (cells as rendered), with its item id and
/// status as the row's data attributes carry them.
#[derive(Debug, serde::Deserialize)]
struct OutboxRow {
    id: String,
    status: String,
    contact: String,
    operation: String,
    changes: String,
    shown_status: String,
    attempts: String,
}

/// The rows of the table captioned "Outbox" (none while it is not shown).
async fn outbox_rows(app: &App) -> Vec<OutboxRow> {
    let ret = app
        .d()
        .execute(
            "const table = Array.from(document.querySelectorAll('table'))
               .find(t => t.caption && t.caption.textContent.trim() === 'Outbox');
             if (!table) return [];
             const heads = Array.from(table.tHead.rows[0].cells).map(c => c.textContent.trim());
             const text = (row, name) => {
               const cell = row.cells[heads.indexOf(name)];
               return cell ? cell.innerText.replace(/\\s+/g, ' ').trim() : null;
             };
             return Array.from(table.tBodies[0].rows).map(r => ({
               id: r.dataset.outbox, status: r.dataset.status,
               contact: text(r, 'Contact'), operation: text(r, 'Operation'),
               changes: text(r, 'Changes'), shown_status: text(r, 'Status'),
               attempts: text(r, 'Attempts'),
             }));",
            Vec::new(),
        )
        .await
        .unwrap();
    serde_json::from_value(ret.json().clone()).unwrap()
}

/// The Outbox row of the contact named `name` (the Contact column reads "NAME #id").
async fn outbox_row(app: &App, name: &str) -> Option<OutboxRow> {
    outbox_rows(app)
        .await
        .into_iter()
        .find(|r| r.contact.starts_with(&format!("{name} #")))
}

/// The status bar's sync indicator, as read (empty while it is not shown).
async fn sync_text(app: &App) -> String {
    match app
        .find_now(By::Css("[role='status'][aria-label='Sync']"))
        .await
    {
        Some(e) => e.text().await.unwrap_or_default(),
        None => String::new(),
    }
}

/// Edits one field of the contact named `name` in the edit pane, on the Contacts view.
async fn edit_contact(app: &App, name: &str, field: &str, value: &str) {
    tab(app, "Contacts").await;
    app.wait_rows(&format!("{name} in the table"), |rows| {
        rows.iter().any(|r| r.contains(name))
    })
    .await;
    app.row_menu(name, "Edit").await;
    app.find(
        "the Edit contact pane",
        By::XPath("//aside//*[normalize-space()='Edit contact']"),
    )
    .await;
    app.type_into(field, value).await;
    app.button("Save").await.click().await.unwrap();
    app.wait_for("the pane to close", || async { !app.pane_open().await })
        .await;
}

const WORKER: Duration = Duration::from_secs(20);

/// The window on `db` (in `dir`), its backoffs and rate limits (`per_second`) set first with
/// the command line to suit a test; with the desktop (session bus, keyring) it runs in, which
/// must outlive it.
async fn launch(dir: tempfile::TempDir, db: &Path, per_second: &str) -> (Desktop, App) {
    for (key, value) in [
        ("cloud-backoff-ms", "50"),
        ("cloud-backoff-cap-ms", "500"),
        ("cloud-per-second", per_second),
        ("cloud-per-five-minutes", "100000"),
    ] {
        cli(db, &["settings", "set", key, value]);
    }
    let desktop = Desktop::start();
    let env = desktop.env();
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let app = App::launch(dir, &env).await;
    (desktop, app)
}

/// Settings → Cloud account: the fake's URL and the key (in a password field), Connect, and
/// the section says it is connected.
async fn connect(app: &App, fake: &FakeOnceHub) {
    tab(app, "Settings").await;
    let section = app
        .find(
            "the Cloud account section",
            By::XPath("//section[@aria-labelledby=//h2[normalize-space()='Cloud account']/@id]"),
        )
        .await;
    app.type_into("API URL", &fake.url()).await;
    let key_field = app.field("API key").await;
    assert_eq!(
        key_field.attr("type").await.unwrap().as_deref(),
        Some("password")
    );
    app.type_into("API key", KEY).await;
    app.button("Connect").await.click().await.unwrap();
    let connected = format!("Connected to admin@example.com at {}", fake.url());
    app.wait_up_to(WORKER, "the connected status", || async {
        section
            .text()
            .await
            .unwrap_or_default()
            .contains(&connected)
    })
    .await;
}

/// The line under the Outbox table that says how much of it is shown (empty without one).
async fn outbox_more(app: &App) -> String {
    match app.find_now(By::Css(".outbox-more")).await {
        Some(e) => e.text().await.unwrap_or_default(),
        None => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_outbox_shows_its_oldest_items_and_more_on_request() {
    let fake = FakeOnceHub::start(KEY).await;
    fake.set_limits(1000, 100_000);
    // 250 imported contacts without a last name: connecting queues a create for each, and
    // each needs attention (OnceHub needs a last name), so all 250 stay in the outbox.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("window.db");
    let file = dir.path().join("people.csv");
    let mut csv = "First Name,Email\n".to_string();
    for i in 0..250 {
        csv.push_str(&format!("Person{i},person{i}@example.com\n"));
    }
    std::fs::write(&file, csv).unwrap();
    cli(&db, &["import", file.to_str().unwrap()]);
    let (_desktop, app) = launch(dir, &db, "1000").await;
    connect(&app, &fake).await;

    tab(&app, "Outbox").await;
    app.wait_up_to(WORKER, "the oldest 200 of 250 shown", || async {
        outbox_more(&app)
            .await
            .starts_with("Showing the oldest 200 of 250.")
            && outbox_rows(&app).await.len() == 200
    })
    .await;
    let rows = outbox_rows(&app).await;
    assert!(rows[0].contact.starts_with("Person0 "), "{:?}", rows[0]);
    assert!(
        rows[199].contact.starts_with("Person199 "),
        "{:?}",
        rows[199]
    );
    app.button("Show 50 more").await.click().await.unwrap();
    app.wait_up_to(WORKER, "all 250 shown", || async {
        outbox_rows(&app).await.len() == 250 && outbox_more(&app).await.is_empty()
    })
    .await;
    let rows = outbox_rows(&app).await;
    assert!(
        rows[249].contact.starts_with("Person249 "),
        "{:?}",
        rows[249]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_shows_the_outbox_fill_offline_drain_when_back_and_retry_a_failed_item() {
    // The fake runs on this test's runtime, which lives as long as the test.
    let fake = FakeOnceHub::start(KEY).await;
    fake.set_limits(1000, 100_000);

    // Before the window opens, with the command line: two contacts (Solo has no last name,
    // which OnceHub needs to create a contact) and backoffs and limits that suit a test.
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
    cli(
        &db,
        &["add", "--first-name", "Solo", "--email", "solo@example.com"],
    );
    let (desktop, app) = launch(dir, &db, "100").await;

    connect(&app, &fake).await;
    app.screenshot("cloud-connected").await.unwrap();
    // The key is nowhere in the page: not in its source, its text, or any field's value.
    let source = app.d().source().await.unwrap();
    assert!(!source.contains(KEY), "the page source holds the key");
    let in_page = app
        .d()
        .execute(
            "return document.body.innerText.includes(arguments[0])
               || Array.from(document.querySelectorAll('input, textarea'))
                    .some(f => f.value.includes(arguments[0]));",
            vec![json!(KEY)],
        )
        .await
        .unwrap();
    assert_eq!(in_page.json(), &json!(false), "the page shows the key");

    // Outbox: the first sync creates Ann; Solo's create needs attention (no last name).
    tab(&app, "Outbox").await;
    app.wait_up_to(WORKER, "Ann created in the cloud", || async {
        fake.contact_by_email("ann@example.com").is_some()
    })
    .await;
    assert_eq!(fake.creates_for("ann@example.com"), 1);
    app.wait_up_to(WORKER, "Solo's item needing attention", || async {
        outbox_row(&app, "Solo")
            .await
            .is_some_and(|r| r.status == "failed")
    })
    .await;
    let solo = outbox_row(&app, "Solo").await.unwrap();
    assert_eq!(solo.operation, "Create", "{solo:?}");
    assert!(
        solo.shown_status.starts_with("Needs attention") && solo.shown_status.contains("last name"),
        "{solo:?}"
    );
    assert_eq!(solo.attempts, "1", "{solo:?}");
    assert_eq!(fake.creates_for("solo@example.com"), 0);
    app.wait_for("no item for Ann waiting", || async {
        outbox_row(&app, "Ann Lee").await.is_none()
    })
    .await;

    // The cloud goes away; an edit waits in the Outbox and the status bar says Offline.
    fake.go_offline().await;
    edit_contact(&app, "Ann Lee", "Company", "Offline Co").await;
    tab(&app, "Outbox").await;
    app.wait_for("Ann's update waiting", || async {
        outbox_row(&app, "Ann Lee").await.is_some_and(|r| {
            r.status == "pending"
                && r.operation == "Update"
                && r.shown_status.starts_with("Pending")
                && r.changes == "Company: (none) → Offline Co"
        })
    })
    .await;
    app.wait_up_to(WORKER, "the status bar to say Offline", || async {
        sync_text(&app).await.starts_with("Offline")
    })
    .await;
    let ann = outbox_row(&app, "Ann Lee").await.unwrap();
    assert_eq!(
        ann.status, "pending",
        "still waiting while offline: {ann:?}"
    );
    app.screenshot("cloud-outbox").await.unwrap();
    assert!(fake.contact_by_email("ann@example.com").unwrap()["company"].is_null());

    // Back: the outbox drains by itself.
    fake.come_back().await;
    app.wait_up_to(WORKER, "Ann's update sent", || async {
        fake.contact_by_email("ann@example.com").unwrap()["company"] == "Offline Co"
    })
    .await;
    app.wait_for("Ann's item gone from the Outbox", || async {
        outbox_row(&app, "Ann Lee").await.is_none()
    })
    .await;
    app.wait_up_to(WORKER, "the status bar back online", || async {
        sync_text(&app).await == "0 waiting · 1 need attention"
    })
    .await;

    // Retry Solo's item: pending again, then (still no last name) needing attention again.
    // The worker may take it up within moments of the click, so every status the row shows
    // is recorded as it renders rather than sampled.
    app.d()
        .execute(
            "const id = arguments[0];
             window.__seen = [];
             const record = () => {
               const row = document.querySelector(`tr[data-outbox='${id}']`);
               const label = row && row.querySelector('.outbox-status');
               const now = row ? `${row.dataset.status}: ${label ? label.textContent : ''}` : 'gone';
               if (window.__seen[window.__seen.length - 1] !== now) window.__seen.push(now);
             };
             record();
             window.__watch = new MutationObserver(record);
             window.__watch.observe(document.body,
               { subtree: true, childList: true, characterData: true, attributes: true });",
            vec![json!(solo.id)],
        )
        .await
        .unwrap();
    let seen = || async {
        let ret = app
            .d()
            .execute("return window.__seen;", Vec::new())
            .await
            .unwrap();
        serde_json::from_value::<Vec<String>>(ret.json().clone()).unwrap()
    };
    app.button(&format!("Retry item {}", solo.id))
        .await
        .click()
        .await
        .unwrap();
    app.wait_up_to(
        WORKER,
        "Solo's item pending, then needing attention again",
        || async {
            let seen = seen().await;
            seen.iter()
                .position(|s| s == "pending: Pending")
                .is_some_and(|p| seen[p..].iter().any(|s| s == "failed: Needs attention"))
        },
    )
    .await;
    app.d()
        .execute("window.__watch.disconnect();", Vec::new())
        .await
        .unwrap();
    let again = outbox_row(&app, "Solo").await.unwrap();
    assert_eq!(again.id, solo.id, "the same item: {again:?}");
    assert!(again.shown_status.contains("last name"), "{again:?}");
    // Retry keeps the count: the first try and this one.
    assert_eq!(again.attempts, "2", "{again:?}");
    assert_eq!(fake.creates_for("solo@example.com"), 0);

    // Fix it: a last name for Solo queues the create again, and it goes.
    edit_contact(&app, "Solo", "Last name", "Person").await;
    tab(&app, "Outbox").await;
    app.wait_up_to(WORKER, "Solo created in the cloud", || async {
        fake.creates_for("solo@example.com") == 1
    })
    .await;
    let created = fake.contact_by_email("solo@example.com").unwrap();
    assert_eq!(created["last_name"], "Person");
    app.wait_for("nothing waiting in the Outbox", || async {
        outbox_rows(&app).await.is_empty()
    })
    .await;
    app.wait_up_to(WORKER, "the status bar to say Synced", || async {
        sync_text(&app).await == "Synced"
    })
    .await;

    // Everything sent, as "Show sent and canceled" lists it.
    app.find(
        "Show sent and canceled",
        By::XPath("//label[normalize-space()='Show sent and canceled']/input"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.wait_for("the sent items", || async {
        let rows = outbox_rows(&app).await;
        rows.iter().any(|r| {
            r.contact.starts_with("Ann Lee #")
                && r.operation == "Update"
                && r.status == "sent"
                && r.changes == "Company: (none) → Offline Co"
        }) && rows
            .iter()
            .any(|r| r.contact.starts_with("Solo Person #") && r.status == "sent")
    })
    .await;
    assert_eq!(fake.creates_for("ann@example.com"), 1, "Ann created once");
    assert_eq!(fake.creates_for("solo@example.com"), 1, "Solo created once");
    app.close().await;
    drop(desktop);
}
