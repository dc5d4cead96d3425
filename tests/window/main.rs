//! The real Cardfile window, driven through tauri-driver and WebKitWebDriver (run under
//! Xvfb by `make test`, one test at a time: they share the display). Each test opens the
//! built app on a fresh SQLite file, acts as a person would, and checks both what the
//! window shows and what landed in the database. This file is the harness; the tests are
//! in a module per area. Built with the `test-dialog` feature (the dialogs' stand-in).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::{contacts, store, ContactFields, ListQuery, Session, SortColumn, Store};
use serde_json::json;
use thirtyfour::prelude::*;

mod activities;
mod cloud;
mod contacts_page;
#[path = "../support/damage.rs"]
mod damage;
#[path = "../support/desktop.rs"]
mod desktop;
#[path = "../support/integrations/mod.rs"]
mod fake_integrations;
mod first_run;
mod import;
mod integrations;
mod local_api;
mod merge;
mod navigation;
mod notifications;
#[path = "../support/oncehub/mod.rs"]
mod oncehub;
mod recovery;
mod settings;
#[path = "../support/shell.rs"]
mod shell;
mod users;
#[path = "../support/webdriver.rs"]
mod webdriver;

use webdriver::{free_port, Driver};

struct App {
    driver: Option<WebDriver>,
    _tauri_driver: Driver,
    /// The test's own session on the app's database (none while the app refuses it).
    session: Option<Session>,
    _dir: tempfile::TempDir,
}

impl App {
    /// Opens the app on a new database filled by `seed`.
    async fn open<F, Fut>(seed: F) -> App
    where
        F: FnOnce(Session) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("window.db")).await.unwrap();
        let session = Session::new(store, None).await.unwrap();
        seed(session.clone()).await;
        App::start(dir, session, &[]).await
    }

    /// Opens the app on the database `dir/window.db`, already prepared by the test (with the
    /// command line, say), with `env` added to the app's environment.
    async fn launch(dir: tempfile::TempDir, env: &[(&str, &std::ffi::OsStr)]) -> App {
        let store = Store::open(&dir.path().join("window.db")).await.unwrap();
        let session = Session::new(store, None).await.unwrap();
        App::start(dir, session, env).await
    }

    /// Opens the app on `dir/window.db`, which it is expected to refuse (a damaged file):
    /// the test has no session on it, and the page shown is the refusal.
    async fn launch_refused(dir: tempfile::TempDir) -> App {
        let application = Path::new(env!("CARGO_BIN_EXE_cardfile"));
        App::start_with(dir, None, &[], application).await
    }

    /// tauri-driver's `tauri:options` take only the application and its arguments, no
    /// environment: `env` is set on tauri-driver, whose WebKitWebDriver starts the app with it.
    async fn start(
        dir: tempfile::TempDir,
        session: Session,
        env: &[(&str, &std::ffi::OsStr)],
    ) -> App {
        let application = Path::new(env!("CARGO_BIN_EXE_cardfile"));
        App::start_with(dir, Some(session), env, application).await
    }

    /// `start`, with `application` run in place of the built app (a wrapper around it).
    async fn start_with(
        dir: tempfile::TempDir,
        session: Option<Session>,
        env: &[(&str, &std::ffi::OsStr)],
        application: &Path,
    ) -> App {
        let db = dir.path().join("window.db");
        // What the native open and save dialogs return (WebDriver cannot drive them).
        let dialog = dir.path().join("dialog-choice.csv");
        let mut all: Vec<(&str, &std::ffi::OsStr)> = vec![
            ("CARDFILE_DB", db.as_os_str()),
            ("CARDFILE_DIALOG_PATH", dialog.as_os_str()),
        ];
        all.extend(env.iter().copied());
        let (tauri_driver, driver) = webdriver::open(application, &all)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let app = App {
            driver: Some(driver),
            _tauri_driver: tauri_driver,
            session,
            _dir: dir,
        };
        let (page, shown) = match app.session {
            Some(_) => ("the contacts page", "[role='grid'][aria-label='Contacts']"),
            None => ("the refused database's page", "main.refused"),
        };
        app.wait_for(page, || async {
            app.find_now(By::Css(shown)).await.is_some()
        })
        .await;
        app
    }

    /// The test's session on the app's database.
    fn session(&self) -> &Session {
        self.session
            .as_ref()
            .expect("a session: the app opened on a database it refuses")
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
    async fn wait_for<F, Fut>(&self, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        self.wait_up_to(Duration::from_secs(10), what, check).await;
    }

    /// Waits (up to `limit`) for `what` to become true: for what a background worker does.
    async fn wait_up_to<F, Fut>(&self, limit: Duration, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        loop {
            if check().await {
                return;
            }
            if started.elapsed() > limit {
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
        self.replace_text(&f, text).await;
    }

    /// Replaces what `field` holds with `text` as a person would (select all, type over it),
    /// then waits until it reads `text` (as the field keeps it: an email field drops outer
    /// spaces, the region field capitals).
    /// WebDriver's clear() empties the field without the key events React hears, and a
    /// render in between put the old value back: a port typed after it read "3315344169"
    /// (the old 33153, then the new 44169).
    async fn replace_text(&self, field: &WebElement, text: &str) {
        // WebKitWebDriver types only into a field in view (Settings scrolls).
        field.scroll_into_view().await.unwrap();
        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys(Key::Backspace).await.unwrap();
        field.send_keys(text).await.unwrap();
        let kept = |v: &str| v.trim().to_lowercase();
        self.wait_for(&format!("the field to read {text:?}"), || async {
            field.value().await.ok().flatten().as_deref().map(kept) == Some(kept(text))
        })
        .await;
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
        self.session()
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
        contacts::count(self.session().store()).await.unwrap()
    }
}

/// `cardfile --db DB ARGS`, which must succeed.
fn cli(db: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CARDFILE_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Picks a view's tab and waits for it to be selected.
async fn tab(app: &App, name: &str) {
    let by = By::XPath(format!("//*[@role='tab'][normalize-space()='{name}']"));
    app.find(&format!("the {name} tab"), by.clone())
        .await
        .click()
        .await
        .unwrap();
    app.wait_for(&format!("the {name} tab selected"), || async {
        match app.find_now(by.clone()).await {
            Some(t) => t.attr("aria-selected").await.ok().flatten().as_deref() == Some("true"),
            None => false,
        }
    })
    .await;
}

fn person(first: &str, last: &str, email: &str) -> ContactFields {
    ContactFields {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        email: Some(email.into()),
        ..Default::default()
    }
}
