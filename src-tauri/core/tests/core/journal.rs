//! The journal: every change is a batch with who, when, and the row before and after.

use cardfile_core::journal::entries_for;
use cardfile_core::journal::CONTACT as ENTITY;
use cardfile_core::record::ContactRow;

use crate::{fields, Db};

fn image(text: &Option<String>) -> ContactRow {
    serde_json::from_str(text.as_deref().expect("an image")).unwrap()
}

#[tokio::test]
async fn adding_a_contact_journals_one_batch_with_the_row_after() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[("first_name", "Ann"), ("email", "ann@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    let mut conn = db.store().pool().acquire().await.unwrap();
    let entries = entries_for(&mut conn, ENTITY, c.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!((e.kind.as_str(), e.op.as_str()), ("add", "insert"));
    assert_eq!(e.before, None);
    let after = image(&e.after);
    assert_eq!(after.email.as_deref(), Some("ann@example.com"));
    assert_eq!(after.first_name.as_deref(), Some("Ann"));
    let user = db.session.user().await.unwrap();
    assert_eq!(e.user_id, user.id);
    assert_eq!(e.at, c.created_at);
}

#[tokio::test]
async fn an_edit_journals_the_values_before_and_after() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[("email", "ann@example.com"), ("company", "Acme")]),
            None,
            false,
        )
        .await
        .unwrap();
    db.session
        .edit(&c.id, &fields(&[("company", "Globex")]), false)
        .await
        .unwrap();
    let mut conn = db.store().pool().acquire().await.unwrap();
    let entries = entries_for(&mut conn, ENTITY, c.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    let e = &entries[1];
    assert_eq!((e.kind.as_str(), e.op.as_str()), ("edit", "update"));
    assert_eq!(image(&e.before).company.as_deref(), Some("Acme"));
    assert_eq!(image(&e.after).company.as_deref(), Some("Globex"));
}

#[tokio::test]
async fn an_edit_that_changes_nothing_journals_nothing() {
    let db = Db::new().await;
    let c = db
        .session
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    db.session
        .edit(&c.id, &fields(&[("email", "  ANN@example.com")]), false)
        .await
        .unwrap();
    let mut conn = db.store().pool().acquire().await.unwrap();
    assert_eq!(
        entries_for(&mut conn, ENTITY, c.id.parse().unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_refused_save_journals_nothing() {
    let db = Db::new().await;
    db.session
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    db.session
        .add(&fields(&[("email", "ANN@example.com")]), None, false)
        .await
        .unwrap_err();
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM batches")
        .fetch_one(db.store().pool())
        .await
        .unwrap();
    assert_eq!(batches, 1);
}

#[tokio::test]
async fn delete_leaves_a_tombstone_and_purges_the_persons_data() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[("first_name", "Ann"), ("email", "ann@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    db.session
        .edit(&c.id, &fields(&[("company", "Acme")]), false)
        .await
        .unwrap();
    db.session.delete(&c.id).await.unwrap();
    let mut conn = db.store().pool().acquire().await.unwrap();
    let entries = entries_for(&mut conn, ENTITY, c.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(entries.len(), 3);
    for e in &entries {
        assert_eq!(
            (e.before.as_deref(), e.after.as_deref()),
            (None, None),
            "{e:?}"
        );
    }
    assert_eq!(
        (entries[2].kind.as_str(), entries[2].op.as_str()),
        ("delete", "delete")
    );
    let leftovers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM journal WHERE before LIKE '%ann@%' OR after LIKE '%ann@%'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn a_bulk_add_lands_good_rows_in_one_batch_refuses_bad_ones_and_undoes_in_one_step() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(&fields(&[("email", "taken@example.com")]), None, false)
        .await
        .unwrap();
    let before = crate::merge::state(&db).await;
    let user = s.user().await.unwrap();
    let rows = vec![
        fields(&[("email", "a@example.com")]),
        fields(&[("email", "not an email")]),
        fields(&[("email", "TAKEN@example.com")]),
        fields(&[("email", "A@example.com")]),
        fields(&[("first_name", "No identifiers")]),
        fields(&[("mobile_phone", "+12015550123")]),
    ];
    let report = cardfile_core::contacts::add_many(db.store(), &user, rows, "test import")
        .await
        .unwrap();
    assert_eq!(report.added, 2);
    let rejected: Vec<(usize, cardfile_core::ErrorCode)> = report
        .rejected
        .iter()
        .map(|(i, e)| (*i, e.code()))
        .collect();
    use cardfile_core::ErrorCode::*;
    assert_eq!(
        rejected,
        vec![(1, Invalid), (2, Duplicate), (3, Duplicate), (4, Invalid)],
        "the same person twice in one batch is caught too"
    );
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM batches WHERE kind = 'import'")
        .fetch_one(db.store().pool())
        .await
        .unwrap();
    assert_eq!(batches, 1);
    let undone = s.undo().await.unwrap();
    assert_eq!(undone.kind, "import");
    assert_eq!(crate::merge::state(&db).await, before);
}
