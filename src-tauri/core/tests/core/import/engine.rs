//! The import as a whole on real database files: counts, merge rules, duplicates in one
//! file, conflicts, the skip policy, Cannot Save Contact, a saved mapping, Cancel, export
//! then import.

use std::sync::atomic::AtomicBool;

use cardfile_core::export::Format;
use cardfile_core::import::{ImportOptions, OnDuplicate, Report};
use cardfile_core::{ErrorCode, Role, Session};

use crate::merge::{dump, state};
use crate::{fields, Db};

pub(super) async fn import(
    s: &Session,
    dir: &std::path::Path,
    csv: &str,
    options: ImportOptions,
) -> Report {
    let path = dir.join("in.csv");
    std::fs::write(&path, csv).unwrap();
    s.import_file(&path, &options, &|_| {}, &AtomicBool::new(false))
        .await
        .unwrap()
}

pub(super) fn counts(r: &Report) -> [u32; 7] {
    let s = &r.summary;
    assert_eq!(
        s.rows,
        s.created + s.updated + s.unchanged + s.skipped + s.rejected + s.conflicts,
        "every row lands in exactly one count: {s:?}"
    );
    [
        s.rows,
        s.created,
        s.updated,
        s.unchanged,
        s.skipped,
        s.rejected,
        s.conflicts,
    ]
}

/// Every contact's fields (not ids, owners or times), sorted: what a round trip keeps.
pub(super) async fn people(s: &Session) -> Vec<Vec<Option<String>>> {
    let mut out: Vec<Vec<Option<String>>> = s
        .list(&all())
        .await
        .unwrap()
        .rows
        .into_iter()
        .map(|c| {
            let v = serde_json::to_value(&c).unwrap();
            cardfile_core::record::FIELDS
                .iter()
                .map(|f| match &v[*f] {
                    serde_json::Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect()
        })
        .collect();
    out.sort();
    out
}

/// Imports `path` into a new, empty database and returns its people.
pub(super) async fn into_empty(path: &std::path::Path) -> Vec<Vec<Option<String>>> {
    let fresh = Db::new().await;
    let report = fresh
        .session
        .import_file(
            path,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.rejected, 0, "{:?}", report.problems);
    people(&fresh.session).await
}

pub(super) fn all() -> cardfile_core::ListQuery {
    cardfile_core::ListQuery {
        limit: 100,
        ..Default::default()
    }
}

pub(super) const HEADER: &str = "First Name,Last Name,Email,Mobile Phone,Company\n";

#[tokio::test]
async fn rows_create_merge_collapse_and_are_rejected_with_reasons_and_the_counts_add_up() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("email", "ann@acme.com"),
            ("company", "Old Co"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let csv = format!(
        "{HEADER}\
         Ann,Lee,ANN@acme.com,,New Co\n\
         Bo,Ng,bo@example.com,(201) 555-0123,\n\
         ,,BO@example.com,,Bo Inc\n\
         ,,,+1 201 555 0123,\n\
         Cy,Park,not-an-email,,\n\
         Di,Cho,,,\n\
         Ed,Fox,ed@example.com,12,\n"
    );
    let before = dump(&db).await;
    let before_state = state(&db).await;
    let dry = import(
        s,
        db.dir.path(),
        &csv,
        ImportOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(dump(&db).await, before, "a dry run writes nothing");
    let report = import(s, db.dir.path(), &csv, ImportOptions::default()).await;
    assert_eq!(
        counts(&dry),
        counts(&report),
        "the dry run counts what the import does"
    );
    // rows, created, updated, unchanged, skipped, rejected, conflicts
    assert_eq!(counts(&report), [7, 1, 2, 1, 0, 3, 0]);
    let reasons: Vec<(u32, &str)> = report
        .problems
        .iter()
        .map(|p| (p.line, p.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3);
    assert_eq!(reasons[0].0, 6);
    assert!(reasons[0].1.starts_with("email:"), "{reasons:?}");
    assert!(
        reasons[1].1.contains("needs an email or a mobile phone"),
        "{reasons:?}"
    );
    assert!(reasons[2].1.starts_with("mobile_phone:"), "{reasons:?}");
    assert_eq!(
        report.problems[0].values,
        ["Cy", "Park", "not-an-email", "", ""]
    );

    let ann = s.list(&all()).await.unwrap();
    let find = |email: &str| {
        ann.rows
            .iter()
            .find(|c| c.email.as_deref() == Some(email))
            .cloned()
            .unwrap()
    };
    let ann = find("ann@acme.com");
    assert_eq!(
        (
            ann.first_name.as_deref(),
            ann.last_name.as_deref(),
            ann.company.as_deref()
        ),
        (Some("Ann"), Some("Lee"), Some("New Co"))
    );
    let bo = find("bo@example.com");
    assert_eq!(
        (bo.mobile_phone.as_deref(), bo.company.as_deref()),
        (Some("+12015550123"), Some("Bo Inc"))
    );
    // Imported contacts are the importer's, and searchable at once.
    let found = s
        .list(&cardfile_core::ListQuery {
            search: "bo inc".into(),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(found.rows.len(), 1);

    // One batch: undo takes the whole import back, exactly.
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, before_state);
}

#[tokio::test]
async fn conflicts_go_to_review_skip_leaves_existing_contacts_and_undo_removes_both() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(&fields(&[("email", "ann@acme.com")]), None, false)
        .await
        .unwrap();
    s.add(
        &fields(&[
            ("email", "bo@example.com"),
            ("mobile_phone", "+12015550123"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let before = state(&db).await;
    let csv = format!(
        "{HEADER}\
         Ann,Lee,ann@acme.com,+12015550123,\n\
         Ann,Lee,ann@acme.com,,Acme\n\
         Cy,Park,cy@example.com,,\n\
         Cy,Park,cy@example.com,,Parkworks\n"
    );
    let report = import(
        s,
        db.dir.path(),
        &csv,
        ImportOptions {
            on_duplicate: OnDuplicate::Skip,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        counts(&report),
        [4, 1, 1, 0, 1, 0, 1],
        "{:?}",
        report.summary
    );
    assert!(report.problems[0].conflict && report.problems[0].line == 2);
    let review = s.conflicts().await.unwrap();
    assert_eq!(review.len(), 1);
    assert_eq!(review[0].source, "import");
    let list = s.list(&all()).await.unwrap();
    let ann = list
        .rows
        .iter()
        .find(|c| c.email.as_deref() == Some("ann@acme.com"))
        .unwrap();
    assert_eq!(ann.company, None, "skip left the existing contact alone");
    let cy = list
        .rows
        .iter()
        .find(|c| c.email.as_deref() == Some("cy@example.com"))
        .unwrap();
    assert_eq!(
        cy.company.as_deref(),
        Some("Parkworks"),
        "rows of the file still collapse"
    );
    s.undo().await.unwrap();
    assert_eq!(
        state(&db).await,
        before,
        "undo removes the contacts and the review item"
    );
}

#[tokio::test]
async fn identifiers_moving_between_contacts_in_one_file_do_not_collide() {
    let db = Db::new().await;
    let s = &db.session;
    // Z (the lower id) will take X's email once X has moved to a new one.
    s.add(
        &fields(&[("first_name", "Zed"), ("mobile_phone", "+12015550111")]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("first_name", "Xia"),
            ("email", "x@example.com"),
            ("mobile_phone", "+12015550122"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let before = state(&db).await;
    let csv = format!("{HEADER},,new@example.com,+12015550122,\n,,x@example.com,+12015550111,\n");
    let report = import(s, db.dir.path(), &csv, ImportOptions::default()).await;
    assert_eq!(counts(&report), [2, 0, 2, 0, 0, 0, 0]);
    let list = s.list(&all()).await.unwrap().rows;
    let zed = list
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Zed"))
        .unwrap();
    let xia = list
        .iter()
        .find(|c| c.first_name.as_deref() == Some("Xia"))
        .unwrap();
    assert_eq!(
        (zed.email.as_deref(), xia.email.as_deref()),
        (Some("x@example.com"), Some("new@example.com"))
    );
    s.undo().await.unwrap();
    assert_eq!(state(&db).await, before);
}

#[tokio::test]
async fn a_row_touching_a_contact_the_member_may_not_see_is_rejected_as_cannot_save() {
    let db = Db::new().await;
    let s = &db.session;
    s.add_user("mia@example.com", "Mia", Role::Member, None)
        .await
        .unwrap();
    s.add(&fields(&[("email", "ann@acme.com")]), None, false)
        .await
        .unwrap();
    let mia = Session::new(s.store().clone(), Some("mia@example.com".into()))
        .await
        .unwrap();
    let report = import(
        &mia,
        db.dir.path(),
        &format!("{HEADER}Ann,Lee,ann@acme.com,,\nZed,Q,zed@example.com,,\n"),
        ImportOptions::default(),
    )
    .await;
    assert_eq!(counts(&report), [2, 1, 0, 0, 0, 1, 0]);
    assert!(report.problems[0].reason.starts_with("Cannot Save Contact"));
    let mine = mia.list(&all()).await.unwrap();
    assert_eq!(mine.rows.len(), 1, "the imported contact is the importer's");
    assert_eq!(mine.rows[0].owner, "mia@example.com");
}

#[tokio::test]
async fn a_changed_mapping_is_saved_and_used_again_for_a_file_with_the_same_header() {
    let db = Db::new().await;
    let s = &db.session;
    let header = "First Name,Last Name,Email,Org Code\n";
    // "Org Code" names no field: the user maps it to the notes.
    let first = import(
        s,
        db.dir.path(),
        &format!("{header}Ann,Lee,ann@acme.com,A-17\n"),
        ImportOptions {
            overrides: vec![(3, Some("notes".into()))],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(first.columns[3].fields, ["notes"]);
    // The next file with that header gets the same mapping without being told.
    let second = import(
        s,
        db.dir.path(),
        &format!("{header}Bo,Ng,bo@example.com,B-2\n"),
        ImportOptions::default(),
    )
    .await;
    assert_eq!(second.columns[3].fields, ["notes"]);
    let bo = s
        .list(&cardfile_core::ListQuery {
            search: "bo".into(),
            ..all()
        })
        .await
        .unwrap();
    assert_eq!(bo.rows[0].notes.as_deref(), Some("B-2"));
    // A different header starts from the guess again.
    let other = import(
        s,
        db.dir.path(),
        "Email,Org Code\ncy@example.com,C-3\n",
        ImportOptions::default(),
    )
    .await;
    assert!(other.columns[1].fields.is_empty());
}

#[tokio::test]
async fn cancel_halfway_leaves_the_database_as_it_was() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(&fields(&[("email", "ann@acme.com")]), None, false)
        .await
        .unwrap();
    let before = dump(&db).await;
    let mut csv = HEADER.to_string();
    for i in 0..10_000 {
        csv.push_str(&format!("P{i},Q,p{i}@example.com,,\n"));
    }
    let path = db.dir.path().join("big.csv");
    std::fs::write(&path, csv).unwrap();
    let cancel = AtomicBool::new(false);
    let mut seen = Vec::new();
    let seen_ref = std::sync::Mutex::new(&mut seen);
    let e = s
        .import_file(
            &path,
            &ImportOptions::default(),
            &|p| {
                seen_ref.lock().unwrap().push(p.rows);
                if p.rows >= 4000 {
                    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            },
            &cancel,
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::Canceled);
    assert!(
        seen.len() >= 2 && seen.windows(2).all(|w| w[0] < w[1]),
        "progress moves: {seen:?}"
    );
    assert_eq!(dump(&db).await, before);
}

#[tokio::test]
async fn a_vcard_export_imports_back_unchanged_and_a_vcf_file_imports() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("email", "ann@acme.com"),
            ("company", "Acme, Inc; Sales"),
            ("notes", "line one\nline two"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("mobile_phone", "+44 20 7946 0958"),
            ("phone", "+1 212 555 0100"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let path = db.dir.path().join("export.vcf");
    s.export_to_file(Format::VCard, &path).await.unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{text}");
    assert!(text.contains("ORG:Acme\\, Inc\\; Sales"), "{text}");
    let before = dump(&db).await;
    let report = s
        .import_file(
            &path,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    assert_eq!(counts(&report), [2, 0, 0, 2, 0, 0, 0]);
    assert_eq!(dump(&db).await, before);
    assert_eq!(
        into_empty(&path).await,
        people(s).await,
        "a new database gets the same people"
    );

    let vcf: std::path::PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "import",
        "contacts.vcf",
    ]
    .iter()
    .collect();
    let report = s
        .import_file(
            &vcf,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    assert_eq!(
        counts(&report),
        [2, 1, 1, 0, 0, 0, 0],
        "Bo's mobile phone is already known"
    );
}

#[tokio::test]
async fn export_then_import_of_the_same_database_reports_every_row_unchanged() {
    let db = Db::new().await;
    let s = &db.session;
    s.add(
        &fields(&[
            ("first_name", "Ann"),
            ("email", "ann@acme.com"),
            ("notes", "=SUM(A1:A2)"),
            ("company", "-Acme"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    s.add(
        &fields(&[
            ("mobile_phone", "+44 20 7946 0958"),
            ("status", "qualified"),
        ]),
        None,
        false,
    )
    .await
    .unwrap();
    let path = db.dir.path().join("export.csv");
    s.export_to_file(Format::Csv, &path).await.unwrap();
    let before = dump(&db).await;
    let report = s
        .import_file(
            &path,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    assert_eq!(counts(&report), [2, 0, 0, 2, 0, 0, 0]);
    assert_eq!(
        dump(&db).await,
        before,
        "nothing changed, not even the journal"
    );
}
