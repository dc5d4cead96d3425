//! The left-hand navigation, by keyboard alone: each view's shortcut opens it and takes the
//! keyboard there, the arrows walk the entries, Tab goes on into the view, and a failed
//! reminder is retried without the mouse; the counts of what waits show in the entries.
//! Screenshots of each view for the README.

use super::*;

/// Presses Ctrl+`key` wherever the focus is.
async fn ctrl(app: &App, key: &str) {
    app.d()
        .action_chain()
        .key_down(Key::Control)
        .send_keys(key)
        .key_up(Key::Control)
        .perform()
        .await
        .unwrap();
}

async fn press(app: &App, key: Key) {
    app.d()
        .action_chain()
        .send_keys(key)
        .perform()
        .await
        .unwrap();
}

/// The focused element's role, aria-label (else its text) and whether it is inside the view's panel.
async fn focused(app: &App) -> (String, String, bool) {
    let ret = app
        .d()
        .execute(
            "const a = document.activeElement;
             return [a.getAttribute('role') || a.tagName.toLowerCase(),
                     a.getAttribute('aria-label') || a.innerText.trim(),
                     !!a.closest(\"[role='tabpanel']\")];",
            Vec::new(),
        )
        .await
        .unwrap();
    serde_json::from_value(ret.json().clone()).unwrap()
}

async fn selected_view(app: &App) -> String {
    let ret = app
        .d()
        .execute(
            "const t = document.querySelector(\"[role='tab'][aria-selected='true'] .nav-label\");
             return t ? t.textContent : '';",
            Vec::new(),
        )
        .await
        .unwrap();
    ret.json().as_str().unwrap_or_default().to_string()
}

async fn wait_view(app: &App, label: &str) {
    app.wait_for(&format!("the {label} view"), || async {
        selected_view(app).await == label
            && app
                .find_now(By::XPath(format!(
                    "//header//h1[normalize-space()='{label}']"
                )))
                .await
                .is_some()
    })
    .await;
}

#[tokio::test]
async fn every_view_opens_from_the_keyboard_alone_and_shows_what_waits() {
    let app = App::open(|s| async move {
        s.add(&person("Ann", "Lee", "ann@acme.com"), None, false)
            .await
            .unwrap();
        let mut bo = person("Bo", "Lee", "bo@home.com");
        bo.mobile_phone = Some("+12015550123".into());
        s.add(&bo, None, false).await.unwrap();
        // Held for review: the email names Ann, the mobile phone Bo.
        s.record_activity(&NewActivity {
            kind: Some(Kind::Chat),
            fields: ContactFields {
                email: Some("ann@acme.com".into()),
                mobile_phone: Some("+1 201 555 0123".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
        // A meeting with Ann in two days, whose first reminder failed for good.
        let starts = (chrono::Utc::now() + chrono::Duration::days(2))
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
        // As five refusals would leave it (the sqlite3 shell: this crate has no SQL of its own).
        crate::shell::sqlite(
            s.store().path(),
            "UPDATE notifications SET status = 'failed', attempts = 5, \
             last_error = 'SMTP: 550 mailbox unavailable' \
             WHERE id = (SELECT min(id) FROM notifications WHERE channel = 'email');",
        );
    })
    .await;
    app.wait_rows("two rows", |rows| rows.len() == 2).await;

    // What waits shows in the entries' names (and as badges).
    for (name, label) in [
        ("Review", "Review, 1 waiting for review"),
        ("Notifications", "Notifications, 1 failed"),
    ] {
        app.find(
            &format!("the {name} entry's count"),
            By::XPath(format!(
                "//nav//*[@role='tab'][normalize-space()='{name}'][@aria-label='{label}']"
            )),
        )
        .await;
    }

    // Each shortcut opens its view, says so in its tooltip and keyboard shortcut attribute,
    // and takes the keyboard with it (the grid, or the view itself).
    let views = [
        ("2", "Activities", "activities"),
        ("3", "Review", "review"),
        ("4", "Outbox", "outbox"),
        ("5", "Notifications", "notifications"),
        ("6", "Users & teams", "users"),
        (",", "Settings", "settings"),
        ("1", "Contacts", "contacts"),
    ];
    for (key, label, shot) in views {
        let entry = app
            .find(
                &format!("the {label} entry"),
                By::XPath(format!(
                    "//nav//*[@role='tab'][normalize-space()='{label}']"
                )),
            )
            .await;
        assert_eq!(
            entry.attr("aria-keyshortcuts").await.unwrap().as_deref(),
            Some(format!("Control+{key} Meta+{key}").as_str())
        );
        let title = entry.attr("title").await.unwrap().unwrap_or_default();
        assert!(
            title.starts_with(&format!("{label} (Ctrl+{key})")),
            "{title}"
        );
        ctrl(&app, key).await;
        wait_view(&app, label).await;
        app.wait_for(&format!("the keyboard in {label}"), || async {
            let (role, _, inside) = focused(&app).await;
            if label == "Contacts" {
                role == "grid"
            } else {
                role == "tabpanel" || inside
            }
        })
        .await;
        if shot != "contacts" {
            app.screenshot(&format!("view-{shot}")).await.unwrap();
        }
    }

    // Into the navigation with Shift+Tab (the header's controls come first), then the arrows.
    for _ in 0..12 {
        if focused(&app).await.0 == "tab" {
            break;
        }
        app.d()
            .action_chain()
            .key_down(Key::Shift)
            .send_keys(Key::Tab)
            .key_up(Key::Shift)
            .perform()
            .await
            .unwrap();
    }
    assert_eq!(
        focused(&app).await.1,
        "Contacts",
        "Shift+Tab reaches the navigation"
    );
    press(&app, Key::Down).await;
    wait_view(&app, "Activities").await;
    press(&app, Key::End).await;
    wait_view(&app, "Settings").await;
    press(&app, Key::Home).await;
    wait_view(&app, "Contacts").await;
    press(&app, Key::Up).await;
    wait_view(&app, "Settings").await;
    for _ in 0..3 {
        press(&app, Key::Up).await;
    }
    wait_view(&app, "Outbox").await;
    press(&app, Key::Down).await;
    wait_view(&app, "Notifications").await;
    assert_eq!(focused(&app).await.0, "tab");

    // Tab goes on into the view: to the failed reminder's Retry, and Enter retries it.
    let mut reached = false;
    for _ in 0..15 {
        press(&app, Key::Tab).await;
        let (_, name, inside) = focused(&app).await;
        assert!(inside, "Tab stays in the view: {name}");
        if name.starts_with("Retry notification") {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab reaches Retry");
    press(&app, Key::Enter).await;
    app.wait_for("the reminder pending again", || async {
        app.find_now(By::Css("tr[data-status='failed']"))
            .await
            .is_none()
    })
    .await;
    let pending: Vec<String> = app
        .session()
        .notifications(None, true)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.status)
        .collect();
    assert!(!pending.contains(&"failed".to_string()), "{pending:?}");
    app.wait_for("the Notifications count gone", || async {
        app.find_now(By::XPath(
            "//nav//*[@role='tab'][@aria-label='Notifications']",
        ))
        .await
        .is_some()
    })
    .await;
    app.close().await;
}
