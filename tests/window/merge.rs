//! Saves that meet another contact's email: the merge dialog, Undo, and Cannot Save Contact.

use super::*;

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
        .session()
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
