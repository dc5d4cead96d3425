//! The first run's sample contacts: one clean import (about fifty people, one row held for
//! review, nothing rejected) with a few meetings, all taken back by one Undo.

use cardfile_core::contacts;

use crate::Db;

#[tokio::test]
async fn the_sample_imports_fifty_people_one_conflict_and_nothing_rejected() {
    let db = Db::new().await;
    let loaded = db.session.load_sample().await.unwrap();
    let s = &loaded.summary;
    assert_eq!(s.rows, 51, "{s:?}");
    assert_eq!(s.created, 50, "{s:?}");
    assert_eq!(s.conflicts, 1, "{s:?}");
    assert_eq!(s.rejected, 0, "{s:?}");
    assert_eq!(s.updated + s.unchanged + s.skipped, 0, "{s:?}");
    assert_eq!(contacts::count(db.store()).await.unwrap(), 50);
    assert_eq!(loaded.meetings, 5);
    assert_eq!(db.session.activities(None).await.unwrap().len(), 5);
    let review = db.session.conflicts().await.unwrap();
    assert_eq!(review.len(), 1);
}

#[tokio::test]
async fn the_sample_people_come_from_many_countries_and_companies() {
    let db = Db::new().await;
    db.session.load_sample().await.unwrap();
    let page = db
        .session
        .list(&cardfile_core::ListQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let countries: std::collections::HashSet<_> =
        page.rows.iter().filter_map(|c| c.country.clone()).collect();
    let companies: std::collections::HashSet<_> =
        page.rows.iter().filter_map(|c| c.company.clone()).collect();
    let prefixes: std::collections::HashSet<_> = page
        .rows
        .iter()
        .filter_map(|c| c.mobile_phone.as_deref().map(|p| &p[..3]))
        .collect();
    assert!(countries.len() >= 15, "{countries:?}");
    assert!(companies.len() >= 25, "{companies:?}");
    assert!(prefixes.len() >= 10, "{prefixes:?}");
}

#[tokio::test]
async fn one_undo_takes_back_the_whole_sample() {
    let db = Db::new().await;
    db.session.load_sample().await.unwrap();
    let undone = db.session.undo().await.unwrap();
    assert_eq!(undone.kind, "import");
    assert!(
        undone.summary.contains("sample contacts"),
        "{}",
        undone.summary
    );
    assert_eq!(contacts::count(db.store()).await.unwrap(), 0);
    assert!(db.session.conflicts().await.unwrap().is_empty());
    assert!(db.session.activities(None).await.unwrap().is_empty());
    // Nothing else is left to undo.
    assert!(db.session.undo().await.is_err());
}

#[tokio::test]
async fn the_sample_can_be_loaded_again_after_undo() {
    let db = Db::new().await;
    db.session.load_sample().await.unwrap();
    db.session.undo().await.unwrap();
    let again = db.session.load_sample().await.unwrap();
    assert_eq!(again.summary.created, 50);
    assert_eq!(again.meetings, 5);
    assert_eq!(contacts::count(db.store()).await.unwrap(), 50);
}
