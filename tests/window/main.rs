//! The real Cardfile window, driven through tauri-driver and WebKitWebDriver (run under
//! Xvfb by `make test`, one test at a time: they share the display). Each test opens the
//! built app on a fresh SQLite file, acts as a person would, and checks both what the
//! window shows and what landed in the database.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::{contacts, ContactFields, ListQuery, Session, SortColumn, Store};
use serde_json::json;
use thirtyfour::prelude::*;

/// tauri-driver, stopped with SIGTERM so it also stops WebKitWebDriver and the app.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

struct App {
    driver: Option<WebDriver>,
    _tauri_driver: Driver,
    session: Session,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tauri_driver_path() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cargo"));
    let installed = home.join("bin/tauri-driver");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

impl App {
    /// Opens the app on a new database filled by `seed`.
    async fn open<F, Fut>(seed: F) -> App
    where
        F: FnOnce(Session) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        // The WebDriver client's reqwest has rustls (for the dispatcher) with ring as its crypto.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("window.db");
        let store = Store::open(&db).await.unwrap();
        let session = Session::new(store, None).await.unwrap();
        seed(session.clone()).await;

        let port = free_port();
        let native_port = free_port();
        let child = Command::new(tauri_driver_path())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("CARDFILE_DB", &db)
            // What the native open and save dialogs return (WebDriver cannot drive them).
            .env("CARDFILE_DIALOG_PATH", dir.path().join("dialog-choice.csv"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver --locked)");
        let tauri_driver = Driver(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "tauri-driver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = Capabilities::new();
        caps.set(
            "tauri:options",
            json!({ "application": env!("CARGO_BIN_EXE_cardfile") }),
        )
        .unwrap();
        caps.set("browserName", "wry").unwrap();
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .unwrap();
        let app = App {
            driver: Some(driver),
            _tauri_driver: tauri_driver,
            session,
            _dir: dir,
        };
        app.wait_for("the contacts page", || async {
            app.find_now(By::Css("[role='grid'][aria-label='Contacts']"))
                .await
                .is_some()
        })
        .await;
        app
    }

    fn d(&self) -> &WebDriver {
        self.driver.as_ref().unwrap()
    }

    async fn close(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }

    async fn find_now(&self, by: By) -> Option<WebElement> {
        let found = self.d().find_all(by).await.ok()?;
        for e in found {
            if e.is_displayed().await.unwrap_or(false) {
                return Some(e);
            }
        }
        None
    }

    /// Waits (up to 10 s) for `what` to become true.
    async fn wait_for<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        loop {
            if check().await {
                return;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self
                    .screenshot(&format!("failed-{}", what.replace([' ', '/', '"'], "-")))
                    .await;
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The visible element found by `by`, waiting for it (up to 10 s).
    async fn find(&self, what: &str, by: By) -> WebElement {
        let started = Instant::now();
        loop {
            if let Some(e) = self.find_now(by.clone()).await {
                return e;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = self
                    .screenshot(&format!("failed-{}", what.replace([' ', '/', '"'], "-")))
                    .await;
                panic!("timed out waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn button(&self, name: &str) -> WebElement {
        self.find(
            &format!("button {name}"),
            By::XPath(format!(
                "//button[normalize-space()='{name}' or @aria-label='{name}']"
            )),
        )
        .await
    }

    async fn field(&self, label: &str) -> WebElement {
        self.find(
            &format!("field {label}"),
            By::XPath(format!(
                "//*[@id=//label[normalize-space()='{label}']/@for]"
            )),
        )
        .await
    }

    async fn type_into(&self, label: &str, text: &str) {
        let f = self.field(label).await;
        f.clear().await.unwrap();
        f.send_keys(text).await.unwrap();
    }

    async fn search(&self) -> WebElement {
        self.find("search box", By::Css("input[aria-label='Search contacts']"))
            .await
    }

    /// The text of every data row the grid has in the DOM, in screen order (one script
    /// call: a request per row would make every wait slow).
    async fn row_texts(&self) -> Vec<String> {
        let ret = self
            .d()
            .execute(
                "return Array.from(document.querySelectorAll(\"[role='grid'] .grid-body [role='row']\"))
                   .filter(r => r.getAttribute('aria-busy') !== 'true')
                   .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
                   .map(r => r.innerText.replace(/\\s+/g, ' ').trim());",
                Vec::new(),
            )
            .await
            .unwrap();
        serde_json::from_value(ret.json().clone()).unwrap_or_default()
    }

    /// The text of the selected row, if one is selected.
    async fn selected_text(&self) -> Option<String> {
        let ret = self
            .d()
            .execute(
                "const r = document.querySelector(\"[role='grid'] [role='row'][aria-selected='true']\");
                 return r ? r.innerText.replace(/\\s+/g, ' ').trim() : null;",
                Vec::new(),
            )
            .await
            .unwrap();
        ret.json().as_str().map(str::to_string)
    }

    async fn wait_rows(&self, what: &str, want: impl Fn(&[String]) -> bool) {
        self.wait_for(what, || async { want(&self.row_texts().await) })
            .await;
    }

    /// Opens the three-dots menu of the row named `name` and picks `item`.
    async fn row_menu(&self, name: &str, item: &str) {
        self.button(&format!("Actions for {name}"))
            .await
            .click()
            .await
            .unwrap();
        self.find(
            &format!("the {item} item"),
            By::XPath(format!("//*[@role='menuitem'][normalize-space()='{item}']")),
        )
        .await
        .click()
        .await
        .unwrap();
    }

    /// The contacts in the database (first 100 by name), as the signed-in user sees them.
    async fn contacts(&self) -> Vec<cardfile_core::Contact> {
        self.session
            .list(&ListQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .rows
    }

    async fn pane_open(&self) -> bool {
        self.find_now(By::Css("aside.pane")).await.is_some()
    }

    async fn screenshot(&self, name: &str) -> WebDriverResult<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        self.d().screenshot(&path).await?;
        Ok(path)
    }

    /// Calls the Rust command `command` straight from the page, as any script in the
    /// webview could: `Ok(reply)` or `Err(error)` as the command answered.
    async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let ret = self
            .d()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(
                   (ok) => done({ ok }), (error) => done({ error }));",
                vec![json!(command), args],
            )
            .await
            .unwrap();
        let mut reply = ret.json().clone();
        match reply.get_mut("error") {
            Some(e) => Err(e.take()),
            None => Ok(reply["ok"].take()),
        }
    }

    async fn count(&self) -> i64 {
        contacts::count(self.session.store()).await.unwrap()
    }
}

fn person(first: &str, last: &str, email: &str) -> ContactFields {
    ContactFields {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: Some(email.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_person_adds_finds_edits_and_deletes_a_contact() {
    let app = App::open(|s| async move {
        s.add(&person("Bob", "Stone", "bob@globex.com"), None, false)
            .await
            .unwrap();
    })
    .await;

    app.button("Add contact").await.click().await.unwrap();
    app.find(
        "the Add contact pane",
        By::XPath("//aside//*[normalize-space()='Add contact']"),
    )
    .await;
    app.type_into("First name", "Ann").await;
    app.type_into("Last name", "Lee").await;
    app.type_into("Email", "  Ann.Lee@Example.com").await;
    app.type_into("Mobile phone", "(201) 555-0123").await;
    app.button("Save").await.click().await.unwrap();
    app.wait_for("the pane to close", || async { !app.pane_open().await })
        .await;
    app.wait_rows("Ann in the table", |rows| {
        rows.iter().any(|r| r.contains("ann.lee@example.com"))
    })
    .await;
    let stored = app
        .session
        .list(&ListQuery {
            search: "ann".into(),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(stored.rows.len(), 1);
    assert_eq!(stored.rows[0].mobile_phone.as_deref(), Some("+12015550123"));

    // Typing in the search box filters as you type.
    app.search().await.send_keys("le").await.unwrap();
    app.wait_rows("only Ann", |rows| {
        rows.len() == 1 && rows[0].contains("Ann Lee")
    })
    .await;

    // Edit through the row's three-dots menu.
    app.row_menu("Ann Lee", "Edit").await;
    app.find(
        "the Edit contact pane",
        By::XPath("//aside//*[normalize-space()='Edit contact']"),
    )
    .await;
    assert_eq!(
        app.field("Email").await.value().await.unwrap().as_deref(),
        Some("ann.lee@example.com")
    );
    app.type_into("Company", "Acme Widgets").await;
    app.button("Save").await.click().await.unwrap();
    app.wait_rows("the new company in the row", |rows| {
        rows.iter().any(|r| r.contains("Acme Widgets"))
    })
    .await;
    let ann = app.session.get(&stored.rows[0].id).await.unwrap();
    assert_eq!(ann.company.as_deref(), Some("Acme Widgets"));

    // Delete asks first; Cancel keeps the contact.
    app.row_menu("Ann Lee", "Delete").await;
    let dialog = app
        .find("the Delete contact dialog", By::XPath("//*[(@role='alertdialog' or @role='dialog') and @aria-labelledby=//*[normalize-space()='Delete contact']/@id]"))
        .await;
    assert!(dialog.text().await.unwrap().contains("Ann Lee"));
    app.button("Cancel").await.click().await.unwrap();
    assert_eq!(app.count().await, 2);
    app.row_menu("Ann Lee", "Delete").await;
    app.find("the confirm button", By::XPath("//*[@role='alertdialog' or @role='dialog']//button[normalize-space()='Delete contact']"))
        .await
        .click()
        .await
        .unwrap();
    app.wait_rows("Ann gone", |rows| {
        !rows.iter().any(|r| r.contains("Ann Lee"))
    })
    .await;
    assert_eq!(app.count().await, 1);
    assert!(app.session.get(&ann.id).await.is_err());
    app.close().await;
}

#[tokio::test]
async fn an_invalid_email_shows_its_error_at_the_field_and_saves_nothing() {
    let app = App::open(|_| async {}).await;
    app.find(
        "the empty state",
        By::XPath("//*[contains(normalize-space(), 'No contacts yet')]"),
    )
    .await;
    app.button("Add contact").await.click().await.unwrap();
    app.type_into("First name", "Ann").await;
    app.type_into("Email", "ann@@example").await;
    app.button("Save").await.click().await.unwrap();
    let email = app.field("Email").await;
    app.wait_for("aria-invalid on Email", || async {
        email.attr("aria-invalid").await.ok().flatten().as_deref() == Some("true")
    })
    .await;
    let described = email
        .attr("aria-describedby")
        .await
        .unwrap()
        .expect("aria-describedby");
    let message = app
        .find(
            "the email error",
            By::Id(described.split_whitespace().next().unwrap()),
        )
        .await;
    let text = message.text().await.unwrap();
    assert!(text.contains("not a valid email address"), "{text}");
    assert!(app.pane_open().await, "the pane stays open");
    assert_eq!(app.count().await, 0);

    app.close().await;
}

#[tokio::test]
async fn the_keyboard_moves_through_rows_enter_edits_escape_closes_and_a_shortcut_searches() {
    let app = App::open(|s| async move {
        for (f, l) in [
            ("Ada", "Adams"),
            ("Ben", "Brown"),
            ("Cy", "Clark"),
            ("Di", "Dunn"),
        ] {
            s.add(
                &person(f, l, &format!("{}@example.com", f.to_lowercase())),
                None,
                false,
            )
            .await
            .unwrap();
        }
    })
    .await;
    app.wait_rows("four rows", |rows| rows.len() == 4).await;
    let grid = app.find("the grid", By::Css("[role='grid']")).await;
    grid.focus().await.unwrap();
    app.d()
        .action_chain()
        .send_keys(Key::Down)
        .perform()
        .await
        .unwrap();
    app.d()
        .action_chain()
        .send_keys(Key::Down)
        .perform()
        .await
        .unwrap();
    app.wait_for("a selected row", || async {
        app.selected_text().await.is_some()
    })
    .await;
    let first_pick = app.selected_text().await.unwrap();
    app.d()
        .action_chain()
        .send_keys(Key::Down)
        .perform()
        .await
        .unwrap();
    app.wait_for("the selection to move down", || async {
        app.selected_text().await.is_some_and(|t| t != first_pick)
    })
    .await;
    let picked = app.selected_text().await.unwrap();
    app.d()
        .action_chain()
        .send_keys(Key::Up)
        .perform()
        .await
        .unwrap();
    app.wait_for("the selection to move up", || async {
        app.selected_text().await.as_deref() == Some(first_pick.as_str())
    })
    .await;
    app.d()
        .action_chain()
        .send_keys(Key::Enter)
        .perform()
        .await
        .unwrap();
    app.find(
        "the Edit contact pane",
        By::XPath("//aside//*[normalize-space()='Edit contact']"),
    )
    .await;
    let email = app
        .field("Email")
        .await
        .value()
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        first_pick.contains(&email),
        "Enter edits the selected row: {first_pick:?} vs {email}"
    );
    assert_ne!(picked, first_pick);
    app.d()
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await
        .unwrap();
    app.wait_for("Escape to close the pane", || async {
        !app.pane_open().await
    })
    .await;
    app.d()
        .action_chain()
        .key_down(Key::Control)
        .send_keys("k")
        .key_up(Key::Control)
        .perform()
        .await
        .unwrap();
    let search = app.search().await;
    app.wait_for("Ctrl+K to focus search", || async {
        let active = app.d().active_element().await.unwrap();
        active.element_id() == search.element_id()
    })
    .await;
    app.close().await;
}

#[tokio::test]
async fn a_hundred_thousand_contacts_stay_virtualised_scroll_to_the_end_and_sort() {
    const N: usize = 100_000;
    let app = App::open(|s| async move {
        let user = s.user().await.unwrap();
        let people = (0..N).map(|i| ContactFields {
            first_name: Some(format!("Person{i:06}")),
            last_name: Some(
                ["Adams", "Baker", "Clark", "Diaz", "Evans", "Young"][i % 6].to_string(),
            ),
            email: Some(format!("p{i:06}@example.com")),
            company: Some(format!("Company {}", i % 97)),
            ..Default::default()
        });
        let report = contacts::add_many(s.store(), &user, people, "window test data")
            .await
            .unwrap();
        assert_eq!(report.added as usize, N);
    })
    .await;
    let last = app
        .session
        .list(&ListQuery {
            offset: (N - 1) as u32,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows
        .remove(0);
    app.wait_rows("the first rows", |rows| {
        rows.first().is_some_and(|r| r.contains("Person000000"))
    })
    .await;
    let rows = app.row_texts().await.len();
    assert!(
        rows <= 300,
        "{rows} row elements for {N} contacts: not virtualised"
    );
    app.screenshot("contacts-100k").await.unwrap();

    // Scroll to the very end: the last contact by name shows.
    let grid = app.find("the grid", By::Css("[role='grid']")).await;
    grid.focus().await.unwrap();
    app.d()
        .action_chain()
        .send_keys(Key::End)
        .perform()
        .await
        .unwrap();
    let want = last.email.clone().unwrap();
    app.wait_rows("the last contact", |rows| {
        rows.iter().any(|r| r.contains(&want))
    })
    .await;
    assert!(app.row_texts().await.len() <= 300);

    // Sorting by a column changes the first row.
    app.d()
        .action_chain()
        .send_keys(Key::Home)
        .perform()
        .await
        .unwrap();
    app.wait_rows("back at the top", |rows| {
        rows.first().is_some_and(|r| r.contains("Person000000"))
    })
    .await;
    app.find(
        "the Email header",
        By::XPath("//*[@role='columnheader']//button[normalize-space()='Email']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.find(
        "the Email header",
        By::XPath("//*[@role='columnheader']//button[normalize-space()='Email']"),
    )
    .await
    .click()
    .await
    .unwrap();
    let top_by_email_desc = app
        .session
        .list(&ListQuery {
            sort: SortColumn::Email,
            descending: true,
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows
        .remove(0)
        .email
        .unwrap();
    app.wait_rows("the first row sorted by email, descending", |rows| {
        rows.first().is_some_and(|r| r.contains(&top_by_email_desc))
    })
    .await;
    app.close().await;
}

#[tokio::test]
async fn the_contacts_page_screenshot_for_the_readme() {
    let app = App::open(|s| async move {
        let people = [
            (
                "Ann",
                "Lee",
                "ann.lee@acme.com",
                "+1 201 555 0147",
                "Acme Widgets",
                "VP Sales",
            ),
            (
                "José",
                "Núñez",
                "jose@globex.es",
                "+34 612 345 678",
                "Globex",
                "Buyer",
            ),
            (
                "Mia",
                "Schmidt",
                "mia.schmidt@initech.de",
                "+49 151 23456789",
                "Initech",
                "CTO",
            ),
            (
                "Tom",
                "O'Brien",
                "tom@hooli.ie",
                "+353 85 123 4567",
                "Hooli",
                "Founder",
            ),
            (
                "Priya",
                "Patel",
                "priya@wonka.co.uk",
                "+44 7911 123456",
                "Wonka Foods",
                "Procurement Lead",
            ),
            (
                "Kenji",
                "Tanaka",
                "kenji@nakatomi.jp",
                "+81 90 1234 5678",
                "Nakatomi Trading",
                "Account Executive",
            ),
            (
                "Chloé",
                "Dubois",
                "chloe.dubois@contoso.fr",
                "+33 6 12 34 56 78",
                "Contoso",
                "Marketing Director",
            ),
            (
                "Sam",
                "Okafor",
                "sam@northwind.ng",
                "",
                "Northwind",
                "Operations Manager",
            ),
            (
                "Eva",
                "Rossi",
                "eva.rossi@fabrikam.it",
                "+39 312 345 6789",
                "Fabrikam",
                "Sales Manager",
            ),
            (
                "Lars",
                "Jensen",
                "lars@tailspin.dk",
                "+45 20 12 34 56",
                "Tailspin Toys",
                "CEO",
            ),
        ];
        for (f, l, e, m, c, j) in people {
            s.add(
                &ContactFields {
                    first_name: Some(f.into()),
                    last_name: Some(l.into()),
                    email: Some(e.into()),
                    mobile_phone: Some(m.into()),
                    company: Some(c.into()),
                    job_title: Some(j.into()),
                    ..Default::default()
                },
                None,
                false,
            )
            .await
            .unwrap();
        }
    })
    .await;
    app.wait_rows("ten rows", |rows| rows.len() == 10).await;
    app.row_menu("Priya Patel", "Edit").await;
    app.find(
        "the Edit contact pane",
        By::XPath("//aside//*[normalize-space()='Edit contact']"),
    )
    .await;
    let path = app.screenshot("contacts").await.unwrap();
    assert!(std::fs::metadata(path).unwrap().len() > 10_000);
    app.close().await;
}

/// The merge dialog names the other contact and lists the fields; Cancel saves nothing,
/// Merge leaves one contact; Undo brings both back.
#[tokio::test]
async fn editing_an_email_to_anothers_opens_the_merge_dialog_and_undo_brings_both_back() {
    let app = App::open(|s| async move {
        let mut ann = person("Ann", "Lee", "ann@acme.com");
        ann.company = Some("Acme".into());
        s.add(&ann, None, false).await.unwrap();
        let mut dup = person("Annie", "Lee", "annie@home.com");
        dup.mobile_phone = Some("+12015550123".into());
        s.add(&dup, None, false).await.unwrap();
    })
    .await;
    let before = app.contacts().await;
    app.wait_rows("two rows", |rows| rows.len() == 2).await;
    app.row_menu("Annie Lee", "Edit").await;
    app.type_into("Email", "ANN@acme.com").await;
    app.button("Save").await.click().await.unwrap();
    let dialog = app
        .find("the Merge contacts dialog", By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Merge contacts']/@id]"))
        .await;
    app.wait_for("the plan in the dialog", || async {
        let text = dialog.text().await.unwrap_or_default();
        text.contains("Ann Lee")
            && text.contains("Mobile phone")
            && text.contains("Filled")
            && text.contains("Replaced")
    })
    .await;
    app.screenshot("merge-dialog").await.unwrap();

    // Cancel: back to the pane, nothing saved.
    app.find(
        "Cancel in the dialog",
        By::XPath("//*[@role='dialog']//button[normalize-space()='Cancel']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.wait_for("the dialog to close", || async {
        app.find_now(By::XPath("//*[@role='dialog']"))
            .await
            .is_none()
    })
    .await;
    assert!(app.pane_open().await);
    assert_eq!(app.contacts().await, before);

    // Merge: one contact remains, the email's holder, with the edit applied.
    app.button("Save").await.click().await.unwrap();
    app.find(
        "the Merge button",
        By::XPath("//*[@role='dialog']//button[normalize-space()='Merge']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.wait_rows("one row", |rows| rows.len() == 1).await;
    let after = app.contacts().await;
    assert_eq!(after.len(), 1);
    let ann_before = before
        .iter()
        .find(|c| c.email.as_deref() == Some("ann@acme.com"))
        .unwrap();
    assert_eq!(after[0].id, ann_before.id, "the email's holder survives");
    assert_eq!(after[0].first_name.as_deref(), Some("Annie"), "replaced");
    assert_eq!(
        after[0].mobile_phone.as_deref(),
        Some("+12015550123"),
        "filled"
    );
    assert_eq!(after[0].company.as_deref(), Some("Acme"), "kept");

    // Undo (Ctrl+Z outside text fields) brings both back, exactly.
    let grid = app.find("the grid", By::Css("[role='grid']")).await;
    grid.focus().await.unwrap();
    app.d()
        .action_chain()
        .key_down(Key::Control)
        .send_keys("z")
        .key_up(Key::Control)
        .perform()
        .await
        .unwrap();
    app.wait_rows("two rows again", |rows| rows.len() == 2)
        .await;
    assert_eq!(app.contacts().await, before);
    app.close().await;
}

/// A Member cannot merge into a contact they may not see: Cannot Save Contact, nothing changes.
#[tokio::test]
async fn a_member_taking_another_owners_email_sees_cannot_save_contact() {
    let app = App::open(|s| async move {
        s.add(&person("Ann", "Lee", "ann@acme.com"), None, false)
            .await
            .unwrap();
        s.add_user("mia@example.com", "Mia", cardfile_core::Role::Member, None)
            .await
            .unwrap();
        s.set_user("mia@example.com").await.unwrap();
        s.add(&person("Max", "Mustermann", "max@example.com"), None, false)
            .await
            .unwrap();
    })
    .await;
    app.wait_rows("Mia's one contact", |rows| {
        rows.len() == 1 && rows[0].contains("Max")
    })
    .await;
    app.row_menu("Max Mustermann", "Edit").await;
    app.type_into("Email", "ann@acme.com").await;
    app.button("Save").await.click().await.unwrap();
    let alert = app
        .find(
            "Cannot Save Contact",
            By::XPath("//*[@role='alert'][contains(., 'Cannot Save Contact')]"),
        )
        .await;
    let text = alert.text().await.unwrap();
    assert!(text.contains("administrator"), "{text}");
    assert!(
        !text.contains("Ann"),
        "reveals nothing of the other contact: {text}"
    );
    let max = app
        .session
        .list(&ListQuery {
            search: "max".into(),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert_eq!(max[0].email.as_deref(), Some("max@example.com"));
    app.close().await;
}

/// A meeting logged for a new email creates its contact, with the meeting on its timeline;
/// deleting the contact keeps the meeting in the Activities view, marked, with no way back
/// to a contact pane.
#[tokio::test]
async fn a_logged_meeting_creates_its_contact_and_outlives_its_deletion() {
    let app = App::open(|_| async {}).await;
    app.find(
        "the Activities tab",
        By::XPath("//*[@role='tab'][normalize-space()='Activities']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.button("Log activity").await.click().await.unwrap();
    let dialog = app
        .find("the Log activity dialog", By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Log activity']/@id]"))
        .await;
    app.type_into("First name", "Nia").await;
    app.type_into("Last name", "Okafor").await;
    app.type_into("Email", "Nia@Example.com").await;
    // Tomorrow, set through the input's native value setter and an input event (what typing
    // does), since what a datetime-local field accepts from keys depends on the locale.
    let tomorrow = app
        .d()
        .execute(
            "const d = new Date(Date.now() + 26 * 3600 * 1000); d.setSeconds(0, 0); \
             const p = n => String(n).padStart(2, '0'); \
             return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;",
            Vec::new(),
        )
        .await
        .unwrap();
    let starts = app.field("Starts at").await;
    app.d()
        .execute(
            "const [el, v] = arguments; \
             const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set; \
             set.call(el, v); el.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![starts.to_json().unwrap(), tomorrow.json().clone()],
        )
        .await
        .unwrap();
    dialog
        .find(By::XPath(".//button[normalize-space()='Save']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_for("the dialog to close", || async {
        app.find_now(By::XPath("//*[@role='dialog']"))
            .await
            .is_none()
    })
    .await;
    let contacts = app.contacts().await;
    assert_eq!(contacts.len(), 1, "the meeting created its contact");
    assert_eq!(contacts[0].email.as_deref(), Some("nia@example.com"));
    let table = app
        .find(
            "the Activities table",
            By::Css("table[aria-label='Activities']"),
        )
        .await;
    app.wait_for("the meeting in the table", || async {
        table
            .text()
            .await
            .unwrap_or_default()
            .contains("Nia Okafor")
    })
    .await;

    // The contact's pane shows the meeting on its timeline.
    app.button("Open Nia Okafor").await.click().await.unwrap();
    app.find(
        "the Edit contact pane",
        By::XPath("//aside//*[normalize-space()='Edit contact']"),
    )
    .await;
    app.find("the meeting on the timeline", By::XPath("//aside//details[summary[normalize-space()='Activities']]//*[contains(translate(., 'M', 'm'), 'meeting')]"))
        .await;

    // ...and its reminders (the meeting is tomorrow: email 24 h and 1 h before).
    app.find(
        "the pending reminders",
        By::XPath("//aside//ul[@aria-label='Pending notifications']/li[contains(., 'Reminder: 1 hour before') and contains(., 'nia@example.com')]"),
    )
    .await;

    // Delete the contact: the meeting stays, marked as a deleted contact's.
    app.d()
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await
        .unwrap();
    app.row_menu("Nia Okafor", "Delete").await;
    app.find("the confirm button", By::XPath("//*[@role='alertdialog' or @role='dialog']//button[normalize-space()='Delete contact']"))
        .await
        .click()
        .await
        .unwrap();
    app.wait_rows("no rows", |rows| rows.is_empty()).await;
    app.find(
        "the Activities tab",
        By::XPath("//*[@role='tab'][normalize-space()='Activities']"),
    )
    .await
    .click()
    .await
    .unwrap();
    let table = app
        .find(
            "the Activities table",
            By::Css("table[aria-label='Activities']"),
        )
        .await;
    app.wait_for("the meeting marked as a deleted contact's", || async {
        let text = table.text().await.unwrap_or_default();
        text.contains("Nia Okafor") && text.contains("Deleted contact")
    })
    .await;
    app.screenshot("activities").await.unwrap();
    assert!(app
        .find_now(By::XPath("//button[normalize-space()='Open Nia Okafor']"))
        .await
        .is_none());
    let all = app.session.activities(None).await.unwrap();
    assert_eq!((all.len(), all[0].contact_deleted), (1, true));
    app.close().await;
}

#[tokio::test]
async fn a_review_item_merges_into_the_emails_holder_and_canceling_a_meeting_drops_its_reminders() {
    let app = App::open(|s| async move {
        let mut ann = person("Ann", "Lee", "ann@acme.com");
        ann.company = Some("Acme".into());
        s.add(&ann, None, false).await.unwrap();
        let mut bo = person("Bo", "Lee", "bo@home.com");
        bo.mobile_phone = Some("+12015550123".into());
        bo.company = Some("Home Co".into());
        bo.job_title = Some("Buyer".into());
        s.add(&bo, None, false).await.unwrap();
        // A chat whose email names Ann and whose mobile phone names Bo: held for review.
        let given = ContactFields {
            email: Some("ann@acme.com".into()),
            mobile_phone: Some("+1 201 555 0123".into()),
            ..Default::default()
        };
        s.record_activity(&NewActivity {
            kind: Some(Kind::Chat),
            fields: given,
            ..Default::default()
        })
        .await
        .unwrap();
        // And a meeting with Ann next week, with its reminders.
        let starts = (chrono::Utc::now() + chrono::Duration::days(7))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        s.record_activity(&NewActivity {
            kind: Some(Kind::Meeting),
            fields: person("Ann", "Lee", "ann@acme.com"),
            status: Some("scheduled".into()),
            starts_at: Some(starts),
            ..Default::default()
        })
        .await
        .unwrap();
    })
    .await;
    app.wait_rows("two rows", |rows| rows.len() == 2).await;
    let id_of = |email: &str, contacts: &[cardfile_core::Contact]| {
        contacts
            .iter()
            .find(|c| c.email.as_deref() == Some(email))
            .map(|c| c.id.clone())
            .unwrap()
    };
    let before = app.contacts().await;
    let ann_id = id_of("ann@acme.com", &before);
    app.find(
        "the Activities tab",
        By::XPath("//*[@role='tab'][normalize-space()='Activities']"),
    )
    .await
    .click()
    .await
    .unwrap();
    app.find(
        "the review item",
        By::XPath("//ul[@aria-label='Held for review']/li"),
    )
    .await;
    app.button("Merge…").await.click().await.unwrap();
    let dialog = app
        .find("the Merge contacts dialog", By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Merge contacts']/@id]"))
        .await;
    app.wait_for("the plan naming who is kept", || async {
        let text = dialog.text().await.unwrap_or_default();
        text.contains("will be kept") && text.contains("Mobile phone")
    })
    .await;
    let plan_text = dialog.text().await.unwrap();
    dialog
        .find(By::XPath(".//button[normalize-space()='Merge']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_for("the review item to go", || async {
        app.find_now(By::XPath("//ul[@aria-label='Held for review']/li"))
            .await
            .is_none()
            && app
                .find_now(By::XPath("//*[@role='dialog']"))
                .await
                .is_none()
    })
    .await;
    let contacts = app.contacts().await;
    assert_eq!(contacts.len(), 1, "Bo folded into Ann");
    let kept = &contacts[0];
    assert_eq!(kept.id, ann_id, "the email's holder survives, with her id");
    assert!(
        plan_text.contains("Ann Lee will be kept; Bo Lee"),
        "the dialog said so: {plan_text}"
    );
    assert_eq!(kept.email.as_deref(), Some("ann@acme.com"));
    assert_eq!(kept.first_name.as_deref(), Some("Ann"));
    // Ann's own values stay; Bo's fill only what she lacked.
    assert_eq!(kept.company.as_deref(), Some("Acme"));
    assert_eq!(kept.job_title.as_deref(), Some("Buyer"));
    assert_eq!(kept.mobile_phone.as_deref(), Some("+12015550123"));
    assert!(app.session.conflicts().await.unwrap().is_empty());

    // Ann's pane: the meeting and its reminders; canceling it cancels them.
    app.button("Open Ann Lee").await.click().await.unwrap();
    app.find(
        "the pending reminders",
        By::XPath("//aside//ul[@aria-label='Pending notifications']/li[contains(., 'Reminder: 24 hours before')]"),
    )
    .await;
    app.button("Cancel meeting").await.click().await.unwrap();
    app.wait_for("the reminders to go", || async {
        app.find_now(By::XPath(
            "//aside//ul[@aria-label='Pending notifications']",
        ))
        .await
        .is_none()
            && app
                .find_now(By::XPath("//aside//li[contains(., 'Canceled')]"))
                .await
                .is_some()
    })
    .await;
    let all = app.session.notifications(None, true).await.unwrap();
    assert!(!all.is_empty() && all.iter().all(|n| n.status == "canceled"));
    app.close().await;
}

/// A real drag and drop: a GTK drag source offering `file`, pressed and released onto the
/// app window by xdotool (XDND under Xvfb, as a person dragging from a file manager).
fn drop_file_on_window(file: &Path) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/window/drag_source.py"
    );
    let mut source = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(file)
        .args(["1020", "660"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3-gi (make test installs it)");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(source.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready");
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("xdotool")
        .args([
            "mousemove",
            "1090",
            "700",
            "sleep",
            "0.2",
            "mousedown",
            "1",
            "sleep",
            "0.2",
            "mousemove",
            "1070",
            "690",
            "sleep",
            "0.1",
            "mousemove",
            "1000",
            "640",
            "sleep",
            "0.1",
            "mousemove",
            "800",
            "500",
            "sleep",
            "0.1",
            "mousemove",
            "500",
            "400",
            "sleep",
            "0.3",
            "mousemove",
            "505",
            "402",
            "sleep",
            "0.3",
            "mouseup",
            "1",
        ])
        .status()
        .expect("xdotool (make test installs it)");
    assert!(status.success());
    let started = Instant::now();
    while source.try_wait().unwrap().is_none() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = source.kill();
    let _ = source.wait();
}

#[tokio::test]
async fn a_dropped_file_previews_maps_imports_with_progress_and_saves_its_error_report() {
    let app = App::open(|s| async move {
        s.add(&person("Ann", "Lee", "ann@acme.com"), None, false)
            .await
            .unwrap();
    })
    .await;
    app.wait_rows("one row", |rows| rows.len() == 1).await;
    // 20,000 people: Ann again (an update), one invalid email, one person twice; "Org" is a
    // column no export names, so it starts ignored.
    let mut csv = String::from("First Name,Last Name,E-mail Address,Org\n");
    csv.push_str("Ann,Lee,ANN@acme.com,Acme\n");
    csv.push_str("Bad,Row,not-an-email,Nowhere\n");
    for i in 0..19_997 {
        csv.push_str(&format!(
            "Person{i},Dropped,person{i}@example.com,Org {i}\n"
        ));
    }
    csv.push_str("Person7,Dropped,PERSON7@example.com,\n");
    let file = app._dir.path().join("dropped contacts.csv");
    std::fs::write(&file, csv).unwrap();

    drop_file_on_window(&file);
    let dialog = app
        .find("the Import contacts dialog", By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Import contacts']/@id]"))
        .await;
    let count = |key: &'static str| {
        let dialog = dialog.clone();
        async move {
            // Digits only: the thousands separator follows the locale.
            let text = dialog
                .find(By::Css(format!("[data-count='{key}'] dd")))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            Some(
                text.chars()
                    .filter(char::is_ascii_digit)
                    .collect::<String>(),
            )
        }
    };
    app.wait_for("the dry run's counts", || async {
        count("created").await.as_deref() == Some("19997")
    })
    .await;
    // With "Org" ignored, Ann's row and Person7's second row add nothing.
    assert_eq!(count("unchanged").await.as_deref(), Some("2"));
    assert_eq!(count("rejected").await.as_deref(), Some("1"));
    assert_eq!(app.contacts().await.len(), 1, "the dry run wrote nothing");

    // "Org" becomes the company.
    let org = app
        .find("Org's field", By::Css("select[aria-label='Import Org as']"))
        .await;
    thirtyfour::components::SelectElement::new(&org)
        .await
        .unwrap()
        .select_by_value("company")
        .await
        .unwrap();
    app.wait_for("the preview again: Ann's company is an update", || async {
        count("updated").await.as_deref() == Some("1")
            && app
                .find_now(By::XPath(
                    "//button[normalize-space()='Import' and not(@disabled)]",
                ))
                .await
                .is_some()
    })
    .await;

    app.screenshot("import-dialog").await.unwrap();

    // Watch the bar while the import runs.
    app.d()
        .execute(
            "window.__bar = []; window.__poll = setInterval(() => { \
               const p = document.querySelector('progress[aria-label=\"Import progress\"]'); \
               if (p) window.__bar.push(p.value); }, 15);",
            Vec::new(),
        )
        .await
        .unwrap();
    app.button("Import").await.click().await.unwrap();
    app.wait_for("the import to finish", || async {
        app.find_now(By::Css("section[aria-label='Imported']"))
            .await
            .is_some()
    })
    .await;
    let bar = app
        .d()
        .execute(
            "clearInterval(window.__poll); return window.__bar;",
            Vec::new(),
        )
        .await
        .unwrap();
    let mut seen: Vec<f64> = serde_json::from_value(bar.json().clone()).unwrap();
    seen.dedup();
    assert!(
        seen.iter().filter(|v| **v > 0.0 && **v < 1.0).count() >= 2,
        "the bar moved through several values: {seen:?}"
    );

    // The error report, saved where the (stand-in) save dialog says.
    app.button("Save error report…")
        .await
        .click()
        .await
        .unwrap();
    app.find(
        "the saved message",
        By::XPath("//*[@role='status' and contains(., 'Saved the error report')]"),
    )
    .await;
    let report = std::fs::read_to_string(app._dir.path().join("dialog-choice.csv")).unwrap();
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(
        lines[0],
        "line,reason,First Name,Last Name,E-mail Address,Org"
    );
    assert!(
        lines[1].starts_with("3,") && lines[1].contains("not-an-email"),
        "{report}"
    );

    app.button("Close").await.click().await.unwrap();
    assert_eq!(app.count().await, 19_998);
    let contacts = app
        .session
        .list(&ListQuery {
            search: "person12345".into(),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(contacts.rows[0].company.as_deref(), Some("Org 12345"));
    let search = app.search().await;
    search.send_keys("Person12345").await.unwrap();
    app.wait_rows("the imported person", |rows| {
        rows.len() == 1 && rows[0].contains("Person12345")
    })
    .await;
    app.close().await;
}

#[tokio::test]
async fn import_reads_only_a_file_the_user_chose_never_a_path_the_page_names() {
    let app = App::open(|_| async {}).await;
    let header = "First Name,Last Name,E-mail Address\n";
    // What the (stand-in) open dialog answers, and a file the user never chose.
    let chosen = app._dir.path().join("dialog-choice.csv");
    std::fs::write(&chosen, format!("{header}Ann,Lee,ann@acme.com\n")).unwrap();
    let other = app._dir.path().join("not chosen.csv");
    std::fs::write(&other, format!("{header}Bo,Lee,bo@home.com\n")).unwrap();

    // A script in the page naming paths itself (as `path`, the old argument, and as the
    // handle): refused at once, nothing read; /dev/zero would keep a reader busy forever.
    for path in [other.to_str().unwrap(), "/dev/zero"] {
        for command in ["preview_import", "run_import"] {
            let reply = app
                .invoke(
                    command,
                    json!({ "path": path, "file": path, "onDuplicate": "merge", "overrides": [] }),
                )
                .await;
            let error = reply.expect_err(&format!("{command} refused {path}"));
            assert_eq!(error["code"], "not_found", "{command} {path}: {error}");
        }
    }
    assert_eq!(app.count().await, 0);

    // Import CSV: the dialog's choice comes back as a handle the page shows by name.
    app.button("Import CSV").await.click().await.unwrap();
    let dialog = app
        .find("the Import contacts dialog", By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Import contacts']/@id]"))
        .await;
    app.wait_for("the dry run of the chosen file", || async {
        let text = dialog.text().await.unwrap_or_default();
        text.contains("dialog-choice.csv") && text.contains("Dry run: 1 row")
    })
    .await;
    let page_has_path = app
        .d()
        .execute(
            "return document.documentElement.outerHTML.includes(arguments[0]);",
            vec![json!(chosen.to_str().unwrap())],
        )
        .await
        .unwrap();
    assert_eq!(
        page_has_path.json(),
        &json!(false),
        "the page knows the file's name, not where it is"
    );
    app.button("Import").await.click().await.unwrap();
    app.find(
        "the import's result",
        By::Css("section[aria-label='Imported']"),
    )
    .await;
    app.button("Close").await.click().await.unwrap();
    let emails: Vec<_> = app.contacts().await.into_iter().map(|c| c.email).collect();
    assert_eq!(emails, [Some("ann@acme.com".to_string())]);
    app.close().await;
}
