//! Importing: a file dropped on the window or chosen in the (stand-in) open dialog, by
//! handle only; the dry run, the mapping, progress and the error report.

use super::*;

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
        .session()
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
                    json!({ "path": path, "file": path, "onDuplicate": "merge", "overrides": [], "keepLocal": false }),
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
