//! Users & teams from the window: an Admin adds a Member in a new team, puts her in another
//! team and takes her out again, changes her role and back, and removes another user, who
//! hands his contacts to her; the contacts table's Owner and Status columns (hidden at
//! first, the choice remembered), its filters, counts in the locale's digits and phones in
//! international form; then signing in as the Member, after a confirmation, leaves only her
//! contacts, and the status bar says who Cardfile acts as.

use cardfile_core::Role;

use super::*;

/// The text of the view's status line (Saved, Signed in as, ...).
async fn status_user(app: &App) -> String {
    // Read in one script call: the line is drawn again whenever who is signed in changes.
    let ret = app
        .d()
        .execute(
            "const e = document.querySelector('footer .status-user'); return e ? e.innerText : '';",
            Vec::new(),
        )
        .await
        .unwrap();
    ret.json().as_str().unwrap_or_default().to_string()
}

async fn count_reads(app: &App, text: &str) {
    app.find(
        &format!("the count {text}"),
        By::XPath(format!(
            "//header//*[contains(@class, 'count')][normalize-space()='{text}']"
        )),
    )
    .await;
}

/// The grid's column headers, in order (the row menu's is hidden text).
async fn headers(app: &App) -> Vec<String> {
    let ret = app
        .d()
        .execute(
            "return Array.from(document.querySelectorAll(\"[role='grid'] [role='columnheader']\"))
               .map(h => h.innerText.trim()).filter(t => t !== '');",
            Vec::new(),
        )
        .await
        .unwrap();
    serde_json::from_value(ret.json().clone()).unwrap()
}

async fn choose(app: &App, label: &str, option: &str) {
    let select = app.field(label).await;
    select
        .find(By::XPath(format!(
            ".//option[normalize-space()='{option}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The user row of `email` in the Users table.
async fn user_row(app: &App, email: &str) -> WebElement {
    app.find(
        &format!("the row of {email}"),
        By::Css(format!("tr[data-user='{email}']")),
    )
    .await
}

#[tokio::test]
async fn an_admin_adds_a_member_in_a_team_and_signed_in_as_her_sees_only_her_contacts() {
    let app = App::open(|s| async move {
        let user = s.user().await.unwrap();
        let people = (0..1_205).map(|i| {
            person(
                "Client",
                &format!("Number{i:04}"),
                &format!("client{i}@example.com"),
            )
        });
        contacts::add_many(s.store(), &user, people, "window test data")
            .await
            .unwrap();
    })
    .await;
    // The columns as a new install has them, whatever an earlier run chose.
    app.d()
        .execute("localStorage.removeItem('cardfile.columns');", Vec::new())
        .await
        .unwrap();
    app.d().refresh().await.unwrap();
    count_reads(&app, "1,205 contacts").await;
    app.wait_for("the status bar to name the Admin", || async {
        status_user(&app).await.contains("Admin")
    })
    .await;

    // Add Mia, a Member, in the new team East.
    tab(&app, "Users & teams").await;
    app.type_into("Email", "mia@example.com").await;
    app.type_into("Name", "Mia Wong").await;
    choose(&app, "Role", "Member").await;
    app.type_into("Team", "East").await;
    app.button("Add user").await.click().await.unwrap();
    let row = user_row(&app, "mia@example.com").await;
    app.wait_for("Mia in East", || async {
        row.text().await.unwrap_or_default().contains("East")
    })
    .await;
    // Into West, then out of it again.
    let team = app
        .find(
            "Mia's team field",
            By::Css("input[aria-label='Team for Mia Wong']"),
        )
        .await;
    team.send_keys("West").await.unwrap();
    app.button("Add Mia Wong to the team")
        .await
        .click()
        .await
        .unwrap();
    app.button("Take Mia Wong out of West").await;
    app.screenshot("users-and-teams").await.unwrap();
    app.button("Take Mia Wong out of West")
        .await
        .click()
        .await
        .unwrap();
    app.wait_for("Mia only in East", || async {
        app.find_now(By::Css("button[aria-label='Take Mia Wong out of West']"))
            .await
            .is_none()
    })
    .await;
    // A role changed in place, and back.
    let role = app
        .find(
            "Mia's role",
            By::Css("select[aria-label='Role of Mia Wong']"),
        )
        .await;
    for (option, want) in [
        ("Team Manager", Role::TeamManager),
        ("Member", Role::Member),
    ] {
        role.find(By::XPath(format!(
            ".//option[normalize-space()='{option}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
        app.wait_for(&format!("Mia a {option}"), || async {
            app.session()
                .users()
                .await
                .unwrap()
                .iter()
                .any(|u| u.email == "mia@example.com" && u.role == want)
        })
        .await;
    }
    let users = app.session().users().await.unwrap();
    let mia = users.iter().find(|u| u.email == "mia@example.com").unwrap();
    assert_eq!(mia.role, Role::Member);
    assert_eq!(mia.teams, ["East"]);

    // Bo, with a contact of his own, leaves: Mia takes over his contacts first.
    app.type_into("Email", "bo@example.com").await;
    app.type_into("Name", "Bo Berg").await;
    choose(&app, "Role", "Member").await;
    app.button("Add user").await.click().await.unwrap();
    user_row(&app, "bo@example.com").await;
    let as_bo = Session::new(app.session().store().clone(), Some("bo@example.com".into()))
        .await
        .unwrap();
    as_bo
        .add(&person("Dee", "Mia-client", "dee@mia.example"), None, false)
        .await
        .unwrap();
    app.button("Remove Bo Berg…").await.click().await.unwrap();
    let dialog = app
        .find(
            "the Remove dialog",
            By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Remove Bo Berg?']/@id]"),
        )
        .await;
    choose(
        &app,
        "Who takes over their contacts",
        "Mia Wong (mia@example.com)",
    )
    .await;
    dialog
        .find(By::XPath(".//button[normalize-space()='Remove Bo Berg']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.find(
        "what the removal did",
        By::XPath("//*[@role='status'][contains(., 'Removed Bo Berg: 1 contact and 0 meetings went to Mia Wong')]"),
    )
    .await;
    assert!(app
        .find_now(By::Css("tr[data-user='bo@example.com']"))
        .await
        .is_none());

    // Mia's own contacts, made as her (as the command line's --as would).
    let as_mia = Session::new(
        app.session().store().clone(),
        Some("mia@example.com".into()),
    )
    .await
    .unwrap();
    for (first, email, phone, status) in [
        ("Ada", "ada@mia.example", "+16469123478", "Qualified"),
        ("Ben", "ben@mia.example", "+447911123456", ""),
        ("Cy", "cy@mia.example", "", "Disqualified"),
    ] {
        let mut fields = person(first, "Mia-client", email);
        fields.mobile_phone = Some(phone.into()).filter(|p: &String| !p.is_empty());
        fields.status = Some(status.into()).filter(|p: &String| !p.is_empty());
        as_mia.add(&fields, None, false).await.unwrap();
    }

    // The Admin's table: the locale's digits, Status and Owner columns on request.
    tab(&app, "Contacts").await;
    count_reads(&app, "1,209 contacts").await;
    let shown = headers(&app).await;
    assert!(
        !shown.contains(&"Owner".to_string()) && !shown.contains(&"Status".to_string()),
        "{shown:?}"
    );
    app.button("Columns").await.click().await.unwrap();
    for name in ["Status", "Owner"] {
        app.find(
            &format!("the {name} checkbox"),
            By::XPath(format!(
                "//*[@aria-label='Columns shown']//label[normalize-space()='{name}']/input"
            )),
        )
        .await
        .click()
        .await
        .unwrap();
    }
    app.d()
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await
        .unwrap();
    app.wait_for("the Status and Owner columns", || async {
        let h = headers(&app).await;
        h.contains(&"Status".to_string()) && h.contains(&"Owner".to_string())
    })
    .await;
    choose(&app, "Owner", "Mia Wong").await;
    count_reads(&app, "4 contacts").await;
    app.wait_rows("Mia's four, phones as people read them", |rows| {
        rows.len() == 4
            && rows.iter().all(|r| r.contains("Mia Wong"))
            && rows
                .iter()
                .any(|r| r.contains("+1 646-912-3478") && r.contains("Qualified"))
            && rows.iter().any(|r| r.contains("+44 7911 123456"))
    })
    .await;
    choose(&app, "Status", "Disqualified").await;
    count_reads(&app, "1 contact").await;
    app.wait_rows("Cy alone", |rows| {
        rows.len() == 1 && rows[0].contains("cy@mia.example")
    })
    .await;
    app.screenshot("contacts-filters-and-columns")
        .await
        .unwrap();
    app.button("Clear filters").await.click().await.unwrap();
    count_reads(&app, "1,209 contacts").await;

    // The column choice outlives the window.
    app.d().refresh().await.unwrap();
    app.find(
        "the grid again",
        By::Css("[role='grid'][aria-label='Contacts']"),
    )
    .await;
    app.wait_for("the columns as chosen", || async {
        headers(&app).await.contains(&"Owner".to_string())
    })
    .await;

    // Sign in as Mia, confirmed first.
    tab(&app, "Users & teams").await;
    let row = user_row(&app, "mia@example.com").await;
    row.find(By::XPath(".//button[normalize-space()='Sign in as…']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let dialog = app
        .find(
            "the confirmation",
            By::XPath("//*[@role='dialog' and @aria-labelledby=//*[normalize-space()='Sign in as Mia Wong?']/@id]"),
        )
        .await;
    let text = dialog.text().await.unwrap();
    assert!(text.contains("Member"), "{text}");
    dialog
        .find(By::XPath(
            ".//button[normalize-space()='Sign in as Mia Wong']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    app.wait_for("the status bar to say Mia", || async {
        let t = status_user(&app).await;
        t.contains("Signed in as Mia Wong") && t.contains("mia@example.com") && t.contains("Member")
    })
    .await;
    // A Member reads the users; only an Admin changes them.
    app.find(
        "the read-only note",
        By::XPath("//p[contains(., 'Only an Admin can add or change users')]"),
    )
    .await;
    assert!(app
        .find_now(By::XPath("//button[normalize-space()='Add user']"))
        .await
        .is_none());
    tab(&app, "Contacts").await;
    count_reads(&app, "4 contacts").await;
    app.wait_rows("only Mia's contacts", |rows| {
        rows.len() == 4 && rows.iter().all(|r| r.contains("mia.example"))
    })
    .await;
    app.screenshot("signed-in-as-member").await.unwrap();
    assert_eq!(
        app.session().settings().await.unwrap().user,
        "mia@example.com"
    );
    assert_eq!(
        app.contacts().await.len(),
        4,
        "the database acts as Mia too"
    );

    // Leave the columns as a new install has them, for the tests that follow.
    app.d()
        .execute("localStorage.removeItem('cardfile.columns');", Vec::new())
        .await
        .unwrap();
    app.close().await;
}
