//! The one write path: the defects it closed (each test failed before), the change feed that
//! only grows, and a deleted person's data gone from the file.

use std::sync::atomic::AtomicBool;

use cardfile_core::activity::{Kind, NewActivity};
use cardfile_core::import::ImportOptions;
use cardfile_core::{Error, ErrorCode, Role, Session};

use crate::{fields, Db};

fn in_hours(h: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(h))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn import(s: &Session, db: &Db, name: &str, text: &str) -> cardfile_core::import::Report {
    let path = db.dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    s.import_file(
        &path,
        &ImportOptions::default(),
        &|_| {},
        &AtomicBool::new(false),
    )
    .await
    .unwrap()
}

async fn id_of(s: &Session, email: &str) -> String {
    let page = s
        .list(&cardfile_core::ListQuery {
            search: email.into(),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    page.rows
        .iter()
        .find(|c| c.email.as_deref() == Some(email))
        .unwrap_or_else(|| panic!("no contact {email}"))
        .id
        .clone()
}

#[tokio::test]
async fn undoing_an_import_after_one_of_its_contacts_was_deleted_refuses_and_keeps_newer_contacts()
{
    let db = Db::new().await;
    let s = &db.session;
    import(
        s,
        &db,
        "two.csv",
        "Email,First Name\nann@example.com,Ann\nbob@example.com,Bob\n",
    )
    .await;
    let bob = id_of(s, "bob@example.com").await;
    s.delete(&bob).await.unwrap();
    // Someone else adds a contact: the import stays the owner's most recent change.
    s.add_user("mia@example.com", "Mia", Role::Admin, None)
        .await
        .unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    let cy = mia
        .add(&fields(&[("email", "cy@example.com")]), None, false)
        .await
        .unwrap();
    assert_ne!(cy.id, bob, "a deleted contact's id never comes back");
    let err = s.undo().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("since been deleted"), "{err}");
    assert_eq!(
        s.get(&cy.id).await.unwrap().email.as_deref(),
        Some("cy@example.com")
    );
    id_of(s, "ann@example.com").await;
}

#[tokio::test]
async fn an_entry_whose_email_and_phone_name_two_contacts_keeps_the_phone_holders_other_fields() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(
            &fields(&[("email", "ann@example.com"), ("first_name", "Ann")]),
            None,
            false,
        )
        .await
        .unwrap();
    let bob = s
        .add(
            &fields(&[
                ("mobile_phone", "+12015550123"),
                ("first_name", "Bob"),
                ("company", "Globex"),
                ("city", "Paris"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let entry = fields(&[
        ("email", "ann@example.com"),
        ("mobile_phone", "+12015550123"),
        ("job_title", "CEO"),
    ]);
    let Err(Error::MergeNeeded(plan)) = s.add(&entry, None, false).await else {
        panic!("a merge is needed");
    };
    assert_eq!(plan.merge_with, vec![ann.id.clone(), bob.id.clone()]);
    let result = |f: &str| {
        plan.fields
            .iter()
            .find(|p| p.field == f)
            .and_then(|p| p.result.clone())
    };
    assert_eq!(result("company").as_deref(), Some("Globex"), "{plan:?}");
    assert_eq!(result("city").as_deref(), Some("Paris"));
    assert_eq!(
        result("first_name").as_deref(),
        Some("Ann"),
        "A's own value stays"
    );
    let merged = s.add(&entry, None, true).await.unwrap();
    assert_eq!(merged.id, ann.id, "the email's holder survives");
    assert_eq!(merged.company.as_deref(), Some("Globex"));
    assert_eq!(merged.city.as_deref(), Some("Paris"));
    assert_eq!(merged.job_title.as_deref(), Some("CEO"));
    assert_eq!(merged.first_name.as_deref(), Some("Ann"));
    assert_eq!(
        s.get(&bob.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
}

#[tokio::test]
async fn an_import_that_replaces_an_email_retargets_pending_reminders() {
    let db = Db::new().await;
    let s = &db.session;
    s.record_activity(&NewActivity {
        kind: Some(Kind::Meeting),
        fields: fields(&[
            ("email", "ann@example.com"),
            ("mobile_phone", "+12015550123"),
        ]),
        status: Some("scheduled".into()),
        starts_at: Some(in_hours(48)),
        ends_at: Some(in_hours(49)),
        ..Default::default()
    })
    .await
    .unwrap();
    let report = import(
        s,
        &db,
        "moved.csv",
        "Email,Mobile Phone\nann@new.example.com,+12015550123\n",
    )
    .await;
    assert_eq!(report.summary.updated, 1);
    let pending = s.notifications(None, false).await.unwrap();
    let emails: Vec<&str> = pending
        .iter()
        .filter(|n| n.channel == "email")
        .map(|n| n.recipient.as_str())
        .collect();
    assert!(!emails.is_empty());
    assert!(
        emails.iter().all(|r| *r == "ann@new.example.com"),
        "{emails:?}"
    );
}

#[tokio::test]
async fn an_activity_on_a_contact_the_host_may_not_see_updates_it_but_shows_the_host_nothing_of_it()
{
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(
            &fields(&[
                ("email", "ann@example.com"),
                ("first_name", "Annabel"),
                ("mobile_phone", "+12015550123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    s.add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    let rec = mia
        .record_activity(&NewActivity {
            kind: Some(Kind::Chat),
            fields: fields(&[("email", "ann@example.com"), ("company", "NewCo")]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&rec).unwrap()["contact_id"],
        serde_json::Value::Null,
        "the reply names no contact the host may not see"
    );
    assert_eq!(
        s.get(&ann.id).await.unwrap().company.as_deref(),
        Some("NewCo"),
        "the customer's details still update their contact"
    );
    let listed = mia.activities(None).await.unwrap();
    assert_eq!(listed.len(), 1, "the host sees the activity they hosted");
    let shown = serde_json::to_string(&listed[0]).unwrap();
    assert!(!shown.contains("Annabel"), "{shown}");
    assert!(!shown.contains("2015550123"), "{shown}");
    assert!(
        !shown.contains(&format!("\"contact_id\":\"{}\"", ann.id)),
        "{shown}"
    );
}

#[tokio::test]
async fn a_future_meeting_recorded_without_a_status_is_scheduled_with_its_reminders() {
    let db = Db::new().await;
    let s = &db.session;
    s.record_activity(&NewActivity {
        kind: Some(Kind::Meeting),
        fields: fields(&[("email", "ann@example.com")]),
        starts_at: Some(in_hours(48)),
        ends_at: Some(in_hours(49)),
        ..Default::default()
    })
    .await
    .unwrap();
    let listed = s.activities(None).await.unwrap();
    assert_eq!(listed[0].status.as_deref(), Some("scheduled"));
    assert!(!s.notifications(None, false).await.unwrap().is_empty());
}

#[tokio::test]
async fn two_writers_at_once_wait_for_each_other_instead_of_failing() {
    let db = Db::new().await;
    let s = &db.session;
    let mut ids = Vec::new();
    for i in 0..40 {
        let email = format!("p{i}@example.com");
        ids.push(
            s.add(&fields(&[("email", &email)]), None, false)
                .await
                .unwrap()
                .id,
        );
    }
    let other = Session::new(db.store().clone(), None).await.unwrap();
    let (acme, globex) = (
        fields(&[("company", "Acme")]),
        fields(&[("company", "Globex")]),
    );
    for pair in ids.chunks(2) {
        let (a, b) = tokio::join!(
            s.edit(&pair[0], &acme, false),
            other.edit(&pair[1], &globex, false),
        );
        a.unwrap();
        b.unwrap();
    }
}

/// The contact columns an UPDATE statement set since the last call, as triggers on each
/// column saw them (SQLite fires `AFTER UPDATE OF c` when `c` is set, changed or not).
async fn columns_set(db: &Db) -> Vec<String> {
    let pool = db.store().pool();
    let set: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT name FROM set_columns ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    sqlx::query("DELETE FROM set_columns")
        .execute(pool)
        .await
        .unwrap();
    set
}

#[tokio::test]
async fn an_edit_sets_only_the_columns_it_changes_so_only_their_indexes_are_written() {
    let db = Db::new().await;
    let s = &db.session;
    let pool = db.store().pool();
    sqlx::query("CREATE TABLE set_columns (name TEXT)")
        .execute(pool)
        .await
        .unwrap();
    let watched = [
        "id",
        "first_name",
        "email",
        "mobile_phone",
        "company",
        "job_title",
        "owner_id",
        "status",
        "updated_at",
        "sort_name",
        "search_text",
    ];
    for column in watched {
        sqlx::query(&format!(
            "CREATE TRIGGER set_{column} AFTER UPDATE OF {column} ON contacts \
             BEGIN INSERT INTO set_columns VALUES ('{column}'); END"
        ))
        .execute(pool)
        .await
        .unwrap();
    }
    let ann = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", "ann@example.com"),
                ("mobile_phone", "+12015550123"),
                ("company", "Acme"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    columns_set(&db).await;

    s.edit(&ann.id, &fields(&[("job_title", "Buyer")]), false)
        .await
        .unwrap();
    assert_eq!(columns_set(&db).await, ["job_title", "updated_at"]);

    s.edit(&ann.id, &fields(&[("email", "annie@northwind.io")]), false)
        .await
        .unwrap();
    assert_eq!(
        columns_set(&db).await,
        ["email", "search_text", "updated_at"],
        "a searched field's edit also moves its words, and nothing else"
    );

    s.edit(&ann.id, &fields(&[("first_name", "Anna")]), false)
        .await
        .unwrap();
    assert_eq!(
        columns_set(&db).await,
        ["first_name", "search_text", "sort_name", "updated_at"]
    );
    let stored = s.get(&ann.id).await.unwrap();
    assert_eq!(
        (
            stored.first_name.as_deref(),
            stored.email.as_deref(),
            stored.job_title.as_deref(),
            stored.company.as_deref()
        ),
        (
            Some("Anna"),
            Some("annie@northwind.io"),
            Some("Buyer"),
            Some("Acme")
        )
    );

    // Undo first lets go of the contact's email and mobile phone (restores in any order
    // cannot collide), then writes back what the edit changed and those two.
    s.undo().await.unwrap();
    assert_eq!(
        columns_set(&db).await,
        [
            "email",
            "first_name",
            "mobile_phone",
            "search_text",
            "sort_name",
            "updated_at"
        ]
    );
    let restored = s.get(&ann.id).await.unwrap();
    assert_eq!(
        (
            restored.first_name.as_deref(),
            restored.email.as_deref(),
            restored.mobile_phone.as_deref()
        ),
        (
            Some("Ann"),
            Some("annie@northwind.io"),
            Some("+12015550123")
        )
    );
}

/// Every row of the change feed, in order, as text.
async fn feed(db: &Db) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT json_array(seq, batch_id, contact_id, last_id, kind, merged_into, fields, source, user_id, at) \
         FROM changes ORDER BY seq",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_change_feed_only_grows_through_add_edit_merge_import_undo_and_delete() {
    let db = Db::new().await;
    let s = &db.session;
    let mut seen: Vec<String> = Vec::new();
    let mut grew = |now: Vec<String>, what: &str| {
        assert!(now.len() > seen.len(), "{what} appended to the feed");
        assert_eq!(now[..seen.len()], seen[..], "{what} rewrote the feed");
        seen = now;
    };
    let ann = s
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    grew(feed(&db).await, "add");
    s.edit(&ann.id, &fields(&[("company", "Acme")]), false)
        .await
        .unwrap();
    grew(feed(&db).await, "edit");
    let bob = s
        .add(&fields(&[("mobile_phone", "+12015550123")]), None, false)
        .await
        .unwrap();
    grew(feed(&db).await, "a second add");
    s.edit(&bob.id, &fields(&[("email", "ann@example.com")]), true)
        .await
        .unwrap();
    grew(feed(&db).await, "merge");
    import(
        s,
        &db,
        "people.csv",
        "Email,First Name\ncy@example.com,Cy\nann@example.com,Ann\n",
    )
    .await;
    grew(feed(&db).await, "import");
    s.undo().await.unwrap();
    grew(feed(&db).await, "undo of the import");
    s.undo().await.unwrap();
    grew(feed(&db).await, "undo of the merge");
    s.delete(&ann.id).await.unwrap();
    grew(feed(&db).await, "delete");
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind || ':' || source FROM changes ORDER BY seq")
            .fetch_all(db.store().pool())
            .await
            .unwrap();
    assert_eq!(
        kinds,
        [
            "create:manual",
            "update:manual",
            "create:manual",
            "merge:manual",
            "update:manual",
            "update:import",
            "create:import",
            "delete:undo",
            "update:undo",
            "update:undo",
            "create:undo",
            "delete:manual",
        ]
    );
    for sql in ["UPDATE changes SET kind = 'create'", "DELETE FROM changes"] {
        let err = sqlx::query(sql)
            .execute(db.store().pool())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

/// How many times `needle` occurs in the file at `path` (0 when there is no file).
fn occurrences(path: &std::path::Path, needle: &str) -> usize {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

#[tokio::test]
async fn a_deleted_persons_name_email_and_phone_are_gone_from_the_file_and_its_wal() {
    let db = Db::new().await;
    let s = &db.session;
    // Zelda is added, edited, merged with a second contact of hers, updated by an import,
    // and named by a Review item, before she is deleted.
    let zelda = s
        .add(
            &fields(&[
                ("email", "zelda.quince@example.com"),
                ("first_name", "Zelda"),
                ("last_name", "Quinceworth"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    s.edit(&zelda.id, &fields(&[("company", "Acme")]), false)
        .await
        .unwrap();
    let second = s
        .add(
            &fields(&[
                ("mobile_phone", "+12015550177"),
                ("last_name", "Quinceworth"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    s.edit(
        &second.id,
        &fields(&[("email", "zelda.quince@example.com")]),
        true,
    )
    .await
    .unwrap();
    let other = s
        .add(&fields(&[("mobile_phone", "+12015550188")]), None, false)
        .await
        .unwrap();
    import(
        s,
        &db,
        "zelda.csv",
        "Email,Mobile Phone,City\nzelda.quince@example.com,,Paris\nzelda.quince@example.com,+12015550188,Lyon\n",
    )
    .await;
    assert_eq!(s.conflicts().await.unwrap().len(), 1);
    // A chat with her: the activity keeps its snapshot of who it was with (the seed keeps
    // activities for reporting), the one place her details may stay.
    s.record_activity(&NewActivity {
        kind: Some(Kind::Chat),
        fields: fields(&[
            ("email", "zelda.quince@example.com"),
            ("last_name", "Quinceworth"),
        ]),
        ..Default::default()
    })
    .await
    .unwrap();
    let path = db.store().path().to_path_buf();
    let wal = path.with_extension("db-wal");
    let needles = ["Quinceworth", "zelda.quince", "2015550177"];
    assert!(
        needles
            .iter()
            .all(|n| occurrences(&path, n) + occurrences(&wal, n) > 0),
        "she is in the file before"
    );
    s.delete(&zelda.id).await.unwrap();
    let snapshots: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(given, '') || coalesce(with_name, '') || coalesce(with_email, '') || coalesce(with_phone, '') FROM activities",
    )
    .fetch_all(db.store().pool())
    .await
    .unwrap();
    db.store().close().await;
    for needle in needles {
        let kept: usize = snapshots.iter().map(|t| t.matches(needle).count()).sum();
        assert_eq!(
            occurrences(&path, needle) + occurrences(&wal, needle),
            kept,
            "{needle}: only the activity's snapshot keeps it"
        );
    }
    let _ = other;
}
