//! The database file itself: pragmas, the local owner, contacts' lifecycle.

use cardfile_core::{users, ErrorCode, ListQuery, Role};

use crate::{fields, Db};

#[tokio::test]
async fn a_new_database_is_wal_with_foreign_keys_and_its_local_owner_as_admin() {
    let db = Db::new().await;
    let mut conn = db.store().pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(fk, 1);
    let user = db.session.user().await.unwrap();
    assert_eq!(user.email, users::LOCAL_OWNER_EMAIL);
    assert_eq!(user.role, Role::Admin);
    assert_eq!(db.session.settings().await.unwrap().default_region, "US");
}

#[tokio::test]
async fn reopening_keeps_contacts_and_does_not_add_a_second_owner() {
    let db = Db::new().await;
    db.session
        .add(&fields(&[("email", "a@example.com")]), None, false)
        .await
        .unwrap();
    let path = db.store().path().to_path_buf();
    db.store().close().await;
    let store = cardfile_core::Store::open(&path).await.unwrap();
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(users, 1);
    assert_eq!(cardfile_core::contacts::count(&store).await.unwrap(), 1);
}

#[tokio::test]
async fn deleting_removes_the_contact_and_its_search_terms() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[("first_name", "Zebedee"), ("email", "z@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    db.session.delete(&c.id).await.unwrap();
    assert_eq!(
        db.session.get(&c.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    let terms: i64 = sqlx::query_scalar("SELECT count(*) FROM search_terms")
        .fetch_one(db.store().pool())
        .await
        .unwrap();
    assert_eq!(terms, 0);
    let page = db
        .session
        .list(&ListQuery {
            search: "zeb".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(page.rows.is_empty());
    assert_eq!(
        db.session.delete(&c.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn a_member_sees_only_their_own_contacts_and_cannot_take_anothers_email() {
    let db = Db::new().await;
    db.session
        .add(&fields(&[("email", "owners@example.com")]), None, false)
        .await
        .unwrap();
    db.session
        .add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    let mia = cardfile_core::Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    let own = mia
        .add(&fields(&[("email", "mine@example.com")]), None, false)
        .await
        .unwrap();
    let page = mia
        .list(&ListQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page.rows.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![own.id.clone()]
    );
    assert_eq!(page.total, Some(1));
    let err = mia
        .edit(&own.id, &fields(&[("email", "owners@example.com")]), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::CannotSave);
    assert!(
        !err.to_string().contains("owners@"),
        "reveals nothing: {err}"
    );
    let err = mia
        .add_user("x@example.com", "X", Role::Member, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn upgrading_a_database_keeps_its_contacts_and_still_refuses_a_second_contact_with_an_email()
{
    // A database as Cardfile left it before identity moved to named indexes (0007).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let migrations = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"));
    let mut older = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    older.migrations = older
        .migrations
        .iter()
        .filter(|m| m.version < 7)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    older.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO users (id, email, name, role, created_at) VALUES (1, 'owner@cardfile.local', 'Local owner', 'admin', '2026-01-01T00:00:00Z')",
        "INSERT INTO settings (key, value) VALUES ('user', '1'), ('default_region', 'US')",
        "INSERT INTO search_terms (term, sort_name, contact_id) VALUES ('ann', 'ann', 7)",
        "INSERT INTO search_vocab (term, n) VALUES ('ann', 1)",
        "INSERT INTO contacts (id, first_name, email, mobile_phone, owner_id, created_at, updated_at, sort_name, search_text) \
         VALUES (7, 'Ann', 'ann@acme.com', '+447700900123', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'ann', ' 07700900123 447700900123 acme ann com')",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = cardfile_core::Store::open(&path).await.unwrap();
    let s = cardfile_core::Session::new(store.clone(), None)
        .await
        .unwrap();
    let ann = s.get("7").await.unwrap();
    assert_eq!(
        (
            ann.first_name.as_deref(),
            ann.email.as_deref(),
            ann.mobile_phone.as_deref()
        ),
        (Some("Ann"), Some("ann@acme.com"), Some("+447700900123"))
    );
    assert_eq!(cardfile_core::contacts::count(&store).await.unwrap(), 1);
    let vocab: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'search_vocab'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(vocab, 0, "0008 drops the vocabulary");
    let unique: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_index_list('contacts') WHERE \"unique\" = 1 ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(unique, ["contacts_email", "contacts_mobile_phone"]);
    for (email, mobile) in [
        ("ann@acme.com", "+447700900999"),
        ("bob@acme.com", "+447700900123"),
    ] {
        let second = sqlx::query(
            "INSERT INTO contacts (email, mobile_phone, owner_id, created_at, updated_at, sort_name, search_text) \
             VALUES (?, ?, 1, '', '', '', '')",
        )
        .bind(email)
        .bind(mobile)
        .execute(store.pool())
        .await;
        assert!(second.is_err(), "{email} {mobile}: {second:?}");
    }
    let found = s
        .list(&ListQuery {
            search: "ann".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
}
