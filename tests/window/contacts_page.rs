//! The contacts page: adding, finding, editing and deleting, field errors, the keyboard,
//! a hundred thousand rows, and the README's screenshot.

use super::*;

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
        .session()
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
    let ann = app.session().get(&stored.rows[0].id).await.unwrap();
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
    assert!(app.session().get(&ann.id).await.is_err());
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
        .session()
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
        .session()
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

#[tokio::test]
async fn an_edit_from_the_command_line_shows_in_the_open_window_within_a_second() {
    let app = App::open(|s| async move {
        s.add(&person("Bob", "Stone", "bob@globex.com"), None, false)
            .await
            .unwrap();
    })
    .await;
    app.wait_rows("Bob in the table", |rows| {
        rows.iter().any(|r| r.contains("Bob Stone"))
    })
    .await;
    let bob = app.contacts().await[0].id.clone();
    let db = app._dir.path().join("window.db");
    let out = Command::new(env!("CARGO_BIN_EXE_cardfile"))
        .arg("--db")
        .arg(&db)
        .args(["edit", &bob, "--company", "Initech"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let edited = Instant::now();
    // No restart, no click: the window hears of the change and shows it within a second.
    while !app.row_texts().await.iter().any(|r| r.contains("Initech")) {
        assert!(
            edited.elapsed() < Duration::from_secs(1),
            "the command line's edit did not reach the open window within a second"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    app.close().await;
}
