//! The Activities view: logged meetings and their contacts, the Review view's merge, and
//! a meeting's reminders.

use super::*;

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
    let all = app.session().activities(None).await.unwrap();
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
    // Held for review: the Review view, its count in the navigation.
    app.find(
        "the Review entry with its count",
        By::XPath("//*[@role='tab'][normalize-space()='Review'][@aria-label='Review, 1 waiting for review']"),
    )
    .await;
    tab(&app, "Review").await;
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
        plan_text.contains("Ann Lee will be kept; Bo Lee will be merged into it."),
        "the dialog said so: {plan_text}"
    );
    assert_eq!(kept.email.as_deref(), Some("ann@acme.com"));
    assert_eq!(kept.first_name.as_deref(), Some("Ann"));
    // Ann's own values stay; Bo's fill only what she lacked.
    assert_eq!(kept.company.as_deref(), Some("Acme"));
    assert_eq!(kept.job_title.as_deref(), Some("Buyer"));
    assert_eq!(kept.mobile_phone.as_deref(), Some("+12015550123"));
    assert!(app.session().conflicts().await.unwrap().is_empty());

    // Ann's pane, from her meeting in Activities: its reminders; canceling it cancels them.
    tab(&app, "Activities").await;
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
    let all = app.session().notifications(None, true).await.unwrap();
    assert!(!all.is_empty() && all.iter().all(|n| n.status == "canceled"));
    app.close().await;
}
