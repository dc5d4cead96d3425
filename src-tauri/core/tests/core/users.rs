//! Removing a user: their contacts reassigned through the write funnel (a journal entry and
//! a change-feed update each, in one batch), and all of it or nothing.

use cardfile_core::{Role, Session};

use crate::{fields, Db};

/// A database with Mia (a Member) owning two contacts, and Bo to take them over.
async fn with_mia() -> (Db, Session) {
    let db = Db::new().await;
    for (email, role) in [
        ("mia@example.com", Role::Member),
        ("bo@example.com", Role::Member),
    ] {
        db.session
            .add_user(email, "Someone", role, None)
            .await
            .unwrap();
    }
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    for email in ["a@example.com", "b@example.com"] {
        mia.add(&fields(&[("email", email)]), None, false)
            .await
            .unwrap();
    }
    (db, mia)
}

async fn owners(db: &Db) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT u.email FROM contacts c JOIN users u ON u.id = c.owner_id ORDER BY c.id",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_removal_is_one_users_batch_with_a_feed_update_of_each_owner() {
    let (db, _) = with_mia().await;
    let removed = db
        .session
        .remove_user("mia@example.com", "bo@example.com")
        .await
        .unwrap();
    assert_eq!(removed.contacts, 2);
    assert_eq!(owners(&db).await, ["bo@example.com", "bo@example.com"]);
    let feed: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT b.kind, c.kind, c.fields, c.source FROM changes c JOIN batches b ON b.id = c.batch_id \
         WHERE c.seq > 2 ORDER BY c.seq",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap();
    let update = (
        "users".to_string(),
        "update".to_string(),
        r#"["owner_id"]"#.to_string(),
        "manual".to_string(),
    );
    assert_eq!(feed, [update.clone(), update]);
    let batches: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT batch_id) FROM changes WHERE seq > 2")
            .fetch_one(db.store().pool())
            .await
            .unwrap();
    assert_eq!(batches, 1);
    let journaled: Vec<(String, String)> = sqlx::query_as(
        "SELECT entity, op FROM journal WHERE batch_id = (SELECT max(id) FROM batches) ORDER BY id",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap();
    assert_eq!(
        journaled,
        [
            ("contact", "update"),
            ("contact", "update"),
            ("user", "update")
        ]
        .map(|(e, o)| (e.to_string(), o.to_string()))
    );
}

#[tokio::test]
async fn a_removal_that_fails_midway_changes_nothing() {
    let (db, _) = with_mia().await;
    // Marking the user removed (the last step) fails: the reassignment before it is undone.
    sqlx::query(
        "CREATE TRIGGER no_removal BEFORE UPDATE OF removed_at ON users \
         BEGIN SELECT RAISE(ABORT, 'the disk is full'); END",
    )
    .execute(db.store().pool())
    .await
    .unwrap();
    let err = db
        .session
        .remove_user("mia@example.com", "bo@example.com")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the disk is full"), "{err}");
    assert_eq!(owners(&db).await, ["mia@example.com", "mia@example.com"]);
    let users_batches: i64 =
        sqlx::query_scalar("SELECT count(*) FROM batches WHERE kind = 'users'")
            .fetch_one(db.store().pool())
            .await
            .unwrap();
    assert_eq!(users_batches, 0);
    assert_eq!(db.session.users().await.unwrap().len(), 3);
}
