//! The first run: an empty database explains Cardfile and offers the sample contacts, which
//! fill the table and go again with one Undo; and the README's screenshot of that page.

use super::*;

async fn count_reads(app: &App, text: &str) {
    app.find(
        &format!("the count {text}"),
        By::XPath(format!(
            "//header//*[contains(@class, 'count')][normalize-space()='{text}']"
        )),
    )
    .await;
}

async fn first_run_page(app: &App) -> WebElement {
    app.find(
        "the first-run page",
        By::Css("section[aria-label='Getting started']"),
    )
    .await
}

#[tokio::test]
async fn a_new_database_shows_the_first_run_page_and_the_sample_fills_it_until_undo() {
    let app = App::open(|_| async {}).await;
    let page = first_run_page(&app).await;
    let text = page.text().await.unwrap();
    assert!(text.contains("Cardfile keeps your contacts"), "{text}");
    assert!(text.contains("or drop a file here"), "{text}");
    for name in ["Import CSV", "Add contact", "Try it with sample contacts"] {
        page.find(By::XPath(format!(".//button[normalize-space()='{name}']")))
            .await
            .unwrap_or_else(|_| panic!("the first-run page has no {name} button"));
    }
    app.screenshot("first-run").await.unwrap();

    app.button("Try it with sample contacts")
        .await
        .click()
        .await
        .unwrap();
    count_reads(&app, "50 contacts").await;
    app.wait_rows("the sample's rows", |rows| {
        rows.len() >= 10
            && rows
                .iter()
                .any(|r| r.contains("ann.lee@brightwater.example"))
    })
    .await;
    assert!(app
        .find_now(By::Css("section[aria-label='Getting started']"))
        .await
        .is_none());
    assert_eq!(app.count().await, 50);
    assert_eq!(app.session().conflicts().await.unwrap().len(), 1);

    app.button("Undo").await.click().await.unwrap();
    first_run_page(&app).await;
    count_reads(&app, "0 contacts").await;
    assert_eq!(app.count().await, 0);
    assert!(app.row_texts().await.is_empty());
    app.close().await;
}
