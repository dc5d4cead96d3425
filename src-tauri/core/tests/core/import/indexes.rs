//! Large imports (indexes dropped and built again), the search index they leave, the pooled
//! connection they borrow, and the history and undo of what they imported.

use cardfile_core::import::ImportOptions;
use cardfile_core::{ErrorCode, Role, Session};

use crate::merge::{dump, state};
use crate::{fields, Db};

use super::engine::{all, counts, import, HEADER};

#[tokio::test]
async fn a_file_bigger_than_the_table_rebuilds_its_indexes_and_undo_restores_everything() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[("first_name", "Ann"), ("email", "ann@acme.com")]),
        None,
        false,
    )
    .await
    .unwrap();
    let schema = || async {
        sqlx::query_scalar::<_, String>("SELECT group_concat(name || ':' || coalesce(sql, ''), '|') FROM (SELECT name, sql FROM sqlite_schema ORDER BY name)")
            .fetch_one(db.store().pool())
            .await
            .unwrap()
    };
    let (before, schema_before) = (state(&db).await, schema().await);
    let mut csv = HEADER.to_string();
    for i in 0..60_000 {
        csv.push_str(&format!(
            "Big{i},Import,big{i}@example.com,,Co {}\n",
            i % 100
        ));
    }
    let report = import(s, db.dir.path(), &csv, ImportOptions::default()).await;
    assert_eq!(counts(&report), [60_000, 60_000, 0, 0, 0, 0, 0]);
    assert_eq!(
        schema().await,
        schema_before,
        "every index is back, as it was"
    );
    let found = s
        .list(&cardfile_core::ListQuery {
            search: "big59999".into(),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
    assert_eq!(
        cardfile_core::contacts::count(s.store()).await.unwrap(),
        60_001
    );
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, before);
}

/// The search index as the contacts derive it: each contact's words (its stored
/// search_text) under its sort name, and each word's count.
async fn assert_index_is_derived(db: &Db) {
    let pool = db.store().pool();
    let contacts: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, sort_name, search_text FROM contacts")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut expected: Vec<(String, String, i64)> = Vec::new();
    for (id, sort_name, search_text) in contacts {
        for term in search_text.split(' ').filter(|t| !t.is_empty()) {
            expected.push((term.to_string(), sort_name.clone(), id));
        }
    }
    expected.sort();
    let terms: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT term, sort_name, contact_id FROM search_terms ORDER BY term, sort_name, contact_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(terms, expected, "search_terms is what the contacts derive");
}

#[tokio::test]
async fn the_search_index_after_small_and_large_imports_is_exactly_what_the_contacts_derive() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("last_name", "Old"),
            ("email", "ann@acme.com"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    // People written by one chunk and merged into by rows of later chunks (new names
    // replace their words), and an existing contact merged into.
    let file = |n: usize, tag: &str| {
        let mut csv = HEADER.to_string();
        csv.push_str(&format!("Ann,{tag}new,ann@acme.com,,\n"));
        for i in 0..n {
            csv.push_str(&format!("P{i},{tag}first,p{i}@example.com,,Co {}\n", i % 7));
        }
        for i in (0..n).step_by(3) {
            csv.push_str(&format!(
                "P{i},{tag}again,P{i}@EXAMPLE.com,,Other {}\n",
                i % 5
            ));
        }
        csv
    };
    // Smaller than the table's floor: the indexes stay, the new words join them.
    let small = import(
        s,
        db.dir.path(),
        &file(5_000, "s"),
        ImportOptions::default(),
    )
    .await;
    assert_eq!(counts(&small)[1..3], [5_000, 1_668]);
    assert_index_is_derived(&db).await;
    // Bigger than the table: the indexes are dropped and built again.
    let large = import(
        s,
        db.dir.path(),
        &file(60_000, "l"),
        ImportOptions::default(),
    )
    .await;
    assert_eq!(counts(&large)[1..3], [55_000, 25_001]);
    assert_index_is_derived(&db).await;
    let found = s
        .list(&cardfile_core::ListQuery {
            search: "p59997 lagain".into(),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);
    s.undo().await.unwrap();
    assert_index_is_derived(&db).await;
}

#[tokio::test]
async fn an_import_leaves_every_pooled_connection_as_the_store_opened_it() {
    let db = Db::new().await;
    let s = &db.session;
    let csv = format!("{HEADER}Ann,Lee,ann@acme.com,,Acme\n");
    import(s, db.dir.path(), &csv, ImportOptions::default()).await;
    // Hold every connection the pool has, the import's among them.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = db.store().pool().acquire().await.unwrap();
        let mut settings = Vec::new();
        for pragma in [
            "foreign_keys",
            "cache_size",
            "mmap_size",
            "threads",
            "ignore_check_constraints",
        ] {
            let value: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            settings.push(value);
        }
        assert_eq!(
            settings,
            [
                1,
                cardfile_core::store::CACHE_SIZE,
                cardfile_core::store::MMAP_SIZE,
                0,
                0
            ]
        );
        held.push(conn);
    }
    // Foreign keys hold again: a contact cannot name an owner who does not exist.
    let orphan = sqlx::query(
        "INSERT INTO contacts (email, owner_id, created_at, updated_at, sort_name, search_text) \
         VALUES ('x@y.com', 999, '', '', '', '')",
    )
    .execute(&mut *held[0])
    .await;
    assert!(orphan.is_err(), "{orphan:?}");
    // CHECK constraints hold again: a contact needs an email or a mobile phone.
    let neither = sqlx::query(
        "INSERT INTO contacts (owner_id, created_at, updated_at, sort_name, search_text) \
         VALUES (1, '', '', '', '')",
    )
    .execute(&mut *held[1])
    .await;
    assert!(neither.is_err(), "{neither:?}");
}

#[tokio::test]
async fn an_imported_contacts_history_shows_it_as_imported_and_undo_waits_for_later_changes_to_go()
{
    let db = Db::new().await;
    let s = &db.session;
    let csv = format!("{HEADER}Ann,Lee,ann@acme.com,,Acme\nBob,Ray,bob@acme.com,,Acme\n");
    import(s, db.dir.path(), &csv, ImportOptions::default()).await;
    let ann = s
        .list(&cardfile_core::ListQuery {
            search: "ann".into(),
            ..all()
        })
        .await
        .unwrap()
        .rows
        .remove(0);
    let value = |h: &[cardfile_core::history::HistoryEntry], i: usize, field: &str| {
        h[i].changes
            .iter()
            .find(|c| c.field == field)
            .map(|c| (c.before.clone(), c.after.clone()))
    };
    let history = s.history(&ann.id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].kind, "import");
    assert_eq!(
        value(&history, 0, "company"),
        Some((None, Some("Acme".into())))
    );
    // Another user changes Ann: the import's entry still shows her as imported.
    s.add_user("mia@example.com", "Mia", Role::Admin, None)
        .await
        .unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    let after_import = state(&db).await;
    mia.edit(&ann.id, &fields(&[("company", "Globex")]), false)
        .await
        .unwrap();
    let history = s.history(&ann.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        value(&history, 0, "company"),
        Some((None, Some("Acme".into())))
    );
    assert_eq!(
        value(&history, 1, "company"),
        Some((Some("Acme".into()), Some("Globex".into())))
    );
    // Undoing the import now would lose Mia's change: refused, nothing changed.
    let before = dump(&db).await;
    let err = s.undo().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("changed since"), "{err}");
    assert_eq!(dump(&db).await, before);
    // Once her change is undone, the import undoes.
    mia.undo().await.unwrap();
    assert_eq!(state(&db).await, after_import);
    s.undo().await.unwrap();
    assert_eq!(cardfile_core::contacts::count(db.store()).await.unwrap(), 0);
}
