//! One person, one contact: saving a taken email or mobile phone plans a merge, confirming
//! applies it (fill, replace, keep; blank never clears), and undo takes it back exactly.

use cardfile_core::merge::Action;
use cardfile_core::{ContactFields, Error, ErrorCode, Role, Session};
use proptest::prelude::*;

use crate::{fields, Db};

/// The database's state: every table less the append-only record of how it got there (the
/// journal, its batches and the change feed), which an undo adds to rather than rewinds.
pub async fn state(db: &Db) -> Vec<String> {
    const HISTORY: [&str; 4] = ["batches: ", "journal: ", "changes: ", "change_values: "];
    dump(db)
        .await
        .into_iter()
        .filter(|t| !HISTORY.iter().any(|h| t.starts_with(h)))
        // Ids handed out stay handed out: an undone add does not give its id back.
        .map(|t| match t.strip_prefix("counters: ") {
            Some(rows) => format!(
                "counters: {}",
                rows.split(" | ")
                    .filter(|r| !r.starts_with("[\"contact_ids\""))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
            None => t,
        })
        .collect()
}

/// Every table of the database as rows of text, for before/after comparisons.
pub async fn dump(db: &Db) -> Vec<String> {
    let pool = db.store().pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
        let columns = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let rows: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT json_array({columns}) AS r FROM \"{t}\" ORDER BY r"
        ))
        .fetch_all(pool)
        .await
        .unwrap();
        out.push(format!("{t}: {}", rows.join(" | ")));
    }
    out
}

fn plan_of(e: Error) -> cardfile_core::merge::MergePlan {
    match e {
        Error::MergeNeeded(plan) => *plan,
        other => panic!("expected a merge plan, got {other:?}"),
    }
}

#[tokio::test]
async fn saving_a_taken_email_plans_a_merge_and_changes_nothing() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", "ann@example.com"),
                ("company", "Acme"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let before = dump(&db).await;
    let err = s
        .add(
            &fields(&[
                ("email", " ANN@example.com "),
                ("company", "Globex"),
                ("job_title", "CTO"),
            ]),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::MergeNeeded);
    let plan = plan_of(err);
    assert_eq!(plan.merge_with, vec![ann.id.clone()]);
    let action = |f: &str| {
        plan.fields
            .iter()
            .find(|p| p.field == f)
            .map(|p| (p.action, p.result.clone()))
    };
    assert_eq!(
        action("company"),
        Some((Action::Replace, Some("Globex".into())))
    );
    assert_eq!(
        action("job_title"),
        Some((Action::Fill, Some("CTO".into())))
    );
    assert_eq!(
        action("first_name"),
        Some((Action::Keep, Some("Ann".into())))
    );
    assert_eq!(
        action("email"),
        Some((Action::Keep, Some("ann@example.com".into())))
    );
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn confirming_an_edit_merge_keeps_the_holder_and_folds_the_edited_contact_in() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("email", "ann@example.com"),
                ("company", "Acme"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let dup = s
        .add(
            &fields(&[
                ("last_name", "Lee"),
                ("email", "ann.lee@work.com"),
                ("mobile_phone", "+12015550123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let merged = s
        .edit(&dup.id, &fields(&[("email", "ann@example.com")]), true)
        .await
        .unwrap();
    assert_eq!(merged.id, ann.id, "the email's holder survives with its id");
    assert_eq!(merged.created_at, ann.created_at);
    assert_eq!(merged.first_name.as_deref(), Some("Ann"), "kept");
    assert_eq!(merged.last_name.as_deref(), Some("Lee"), "filled");
    assert_eq!(
        merged.mobile_phone.as_deref(),
        Some("+12015550123"),
        "filled"
    );
    assert_eq!(
        merged.company.as_deref(),
        Some("Acme"),
        "blank never clears"
    );
    assert_eq!(
        s.get(&dup.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(cardfile_core::contacts::count(db.store()).await.unwrap(), 1);
    let history = s.history(&ann.id).await.unwrap();
    assert_eq!(history.last().unwrap().kind, "merge");
}

#[tokio::test]
async fn email_and_phone_of_two_contacts_merge_both_into_the_emails_holder() {
    let db = Db::new().await;
    let s = &db.session;
    let a = s
        .add(
            &fields(&[("first_name", "Ann"), ("email", "ann@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    let b = s
        .add(
            &fields(&[
                ("first_name", "Bo"),
                ("email", "bo@example.com"),
                ("mobile_phone", "+12015550123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let entry = fields(&[
        ("email", "ann@example.com"),
        ("mobile_phone", "(201) 555-0123"),
    ]);
    let plan = plan_of(s.add(&entry, None, false).await.unwrap_err());
    assert_eq!(plan.merge_with, vec![a.id.clone(), b.id.clone()]);
    let merged = s.add(&entry, None, true).await.unwrap();
    assert_eq!(merged.id, a.id);
    assert_eq!(merged.mobile_phone.as_deref(), Some("+12015550123"));
    assert!(s.get(&b.id).await.is_err());
}

#[tokio::test]
async fn undo_restores_a_merge_exactly_ids_included_and_undo_again_goes_further_back() {
    let db = Db::new().await;
    let s = &db.session;
    let empty = state(&db).await;
    let ann = s
        .add(
            &fields(&[
                ("first_name", "Ann"),
                ("email", "ann@example.com"),
                ("company", "Acme"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let dup = s
        .add(
            &fields(&[
                ("last_name", "Lee"),
                ("email", "lee@example.com"),
                ("mobile_phone", "+12015550123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let before_merge = state(&db).await;
    s.edit(
        &dup.id,
        &fields(&[("email", "ann@example.com"), ("company", "Globex")]),
        true,
    )
    .await
    .unwrap();
    assert_ne!(state(&db).await, before_merge);
    let undone = s.undo().await.unwrap();
    assert_eq!(undone.kind, "merge");
    assert_eq!(
        state(&db).await,
        before_merge,
        "every table as before the merge"
    );
    assert_eq!(
        s.get(&dup.id).await.unwrap().email.as_deref(),
        Some("lee@example.com")
    );
    assert_eq!(
        s.get(&ann.id).await.unwrap().company.as_deref(),
        Some("Acme")
    );
    s.undo().await.unwrap();
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, empty);
    assert_eq!(
        s.undo().await.unwrap_err().code(),
        ErrorCode::NotFound,
        "nothing left to undo"
    );
}

#[tokio::test]
async fn undo_that_would_collide_with_a_later_change_is_refused_and_changes_nothing() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    s.edit(&ann.id, &fields(&[("company", "Acme")]), false)
        .await
        .unwrap();
    s.add_user("mia@example.com", "Mia", Role::Admin, None)
        .await
        .unwrap();
    let mia = Session::new(db.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    mia.edit(&ann.id, &fields(&[("company", "Globex")]), false)
        .await
        .unwrap();
    let before = dump(&db).await;
    let err = s.undo().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.to_string().contains("changed since"), "{err}");
    assert_eq!(dump(&db).await, before);
    mia.undo().await.unwrap();
    s.undo().await.unwrap();
    assert_eq!(s.get(&ann.id).await.unwrap().company, None);
}

#[tokio::test]
async fn a_delete_cannot_be_undone_and_blocks_undoing_earlier_changes_to_that_contact() {
    let db = Db::new().await;
    let s = &db.session;
    let ann = s
        .add(&fields(&[("email", "ann@example.com")]), None, false)
        .await
        .unwrap();
    s.delete(&ann.id).await.unwrap();
    let err = s.undo().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(s.get(&ann.id).await.is_err());
}

/// Every role against owners inside and outside their team.
#[tokio::test]
async fn roles_see_and_merge_only_what_they_may_access() {
    let db = Db::new().await;
    let admin = &db.session;
    admin
        .add_user("tm@example.com", "Tess", Role::TeamManager, Some("East"))
        .await
        .unwrap();
    admin
        .add_user("m1@example.com", "Max", Role::Member, Some("East"))
        .await
        .unwrap();
    admin
        .add_user("m2@example.com", "Nia", Role::Member, Some("West"))
        .await
        .unwrap();
    let as_ = |email: &str| Session::new(db.store().clone(), Some(email.into()));
    let (tm, m1, m2) = (
        as_("tm@example.com").await.unwrap(),
        as_("m1@example.com").await.unwrap(),
        as_("m2@example.com").await.unwrap(),
    );
    let own_admin = admin
        .add(&fields(&[("email", "a@example.com")]), None, false)
        .await
        .unwrap();
    let own_m1 = m1
        .add(&fields(&[("email", "b@example.com")]), None, false)
        .await
        .unwrap();
    let own_m2 = m2
        .add(
            &fields(&[("first_name", "Zed"), ("email", "c@example.com")]),
            None,
            false,
        )
        .await
        .unwrap();
    let visible = |s: Session| async move {
        let mut ids: Vec<String> = s
            .list(&cardfile_core::ListQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|c| c.id)
            .collect();
        ids.sort();
        ids
    };
    let mut all = vec![own_admin.id.clone(), own_m1.id.clone(), own_m2.id.clone()];
    all.sort();
    assert_eq!(visible(admin.clone()).await, all);
    assert_eq!(
        visible(tm.clone()).await,
        vec![own_m1.id.clone()],
        "a team manager sees their team's"
    );
    assert_eq!(visible(m1.clone()).await, vec![own_m1.id.clone()]);
    assert_eq!(visible(m2.clone()).await, vec![own_m2.id.clone()]);
    // Search, show, history and export follow the same rule.
    assert!(m1
        .list(&cardfile_core::ListQuery {
            search: "zed".into(),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows
        .is_empty());
    assert_eq!(
        m1.get(&own_m2.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        m1.history(&own_m2.id).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    let mut out = Vec::new();
    tm.export(cardfile_core::export::Format::Json, &mut out)
        .await
        .unwrap();
    let exported: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), 1);
    // A merge needs access to every record involved.
    let taking_m2s = fields(&[("email", "c@example.com")]);
    assert_eq!(
        m1.edit(&own_m1.id, &taking_m2s, true)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::CannotSave
    );
    assert_eq!(
        tm.add(&taking_m2s, None, true).await.unwrap_err().code(),
        ErrorCode::CannotSave
    );
    assert_eq!(
        tm.add(&fields(&[("email", "b@example.com")]), None, false)
            .await
            .unwrap_err()
            .code(),
        ErrorCode::MergeNeeded
    );
    let merged = admin.edit(&own_m1.id, &taking_m2s, true).await.unwrap();
    assert_eq!(merged.id, own_m2.id);
    assert_eq!(
        merged.owner, "m2@example.com",
        "the survivor keeps its owner"
    );
}

fn text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[A-Z][a-z]{1,6}".prop_map(Some)
    ]
}

fn entry() -> impl Strategy<Value = ContactFields> {
    (text(), text(), text(), text(), text()).prop_map(
        |(first_name, last_name, company, job_title, city)| ContactFields {
            first_name,
            last_name,
            company,
            job_title,
            city,
            ..Default::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Non-empty new values win, blanks never clear, missing fields are kept, the same
    /// entry twice changes nothing the second time, and undo restores every table.
    #[test]
    fn merge_rules_hold_for_random_records_and_entries(existing in entry(), incoming in entry()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let db = Db::new().await;
            let s = &db.session;
            let mut first = existing.clone();
            first.email = Some("p@example.com".into());
            let old = s.add(&first, None, false).await.unwrap();
            let before = state(&db).await;
            let mut again = incoming.clone();
            again.email = Some("P@example.com".into());
            let merged = match s.add(&again, None, false).await {
                Err(Error::MergeNeeded(_)) => s.add(&again, None, true).await.unwrap(),
                other => panic!("expected a merge, got {other:?}"),
            };
            prop_assert_eq!(&merged.id, &old.id);
            let pick = |new: &Option<String>, was: &Option<String>| match new.as_deref().map(str::trim) {
                Some(v) if !v.is_empty() => Some(v.to_string()),
                _ => was.clone(),
            };
            prop_assert_eq!(&merged.first_name, &pick(&incoming.first_name, &old.first_name));
            prop_assert_eq!(&merged.last_name, &pick(&incoming.last_name, &old.last_name));
            prop_assert_eq!(&merged.company, &pick(&incoming.company, &old.company));
            prop_assert_eq!(&merged.job_title, &pick(&incoming.job_title, &old.job_title));
            prop_assert_eq!(&merged.city, &pick(&incoming.city, &old.city));
            let after_once = merged.clone();
            let twice = s.add(&again, None, true).await.unwrap();
            prop_assert_eq!(&twice.first_name, &after_once.first_name);
            prop_assert_eq!(&twice.company, &after_once.company);
            prop_assert_eq!(&twice.city, &after_once.city);
            s.undo().await.unwrap();
            s.undo().await.unwrap();
            prop_assert_eq!(state(&db).await, before);
            Ok(())
        })?;
    }
}
