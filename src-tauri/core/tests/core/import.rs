//! Reading real exports for import: each format of csv-formats.md recognised with no manual
//! mapping, each encoding and delimiter, preambles and footers, and malformed files.

use std::path::PathBuf;

use cardfile_core::import::{self, mapping::Mapping, read};
use cardfile_core::{ContactFields, ErrorCode};

/// A fixture file, read from disk as an import reads it (a block at a time).
fn fixture(name: &str) -> read::Source {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "import",
        name,
    ]
    .iter()
    .collect();
    assert!(path.exists(), "{}", path.display());
    read::Source::File(path)
}

/// Every record of an opened source.
fn rows(source: &read::Source, opened: &import::Opened) -> Vec<read::Row> {
    import::rows(source, opened)
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Every row of a fixture: its line, its fields as the mapping reads them, its problem.
/// A fixture's layout, guessed mapping, and rows as (line, fields, problem).
type Read = (
    read::Layout,
    Mapping,
    Vec<(u64, ContactFields, Option<String>)>,
);

fn read(name: &str) -> Read {
    let source = fixture(name);
    let opened = import::open(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rows = rows(&source, &opened)
        .into_iter()
        .map(|r| (r.line, opened.mapping.fields_of(&r.cells), r.problem))
        .collect();
    (opened.layout, opened.mapping, rows)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

#[test]
fn google_contacts_labelled_groups_pick_the_mobile_the_first_email_and_multi_values() {
    let (layout, _, rows) = read("google.csv");
    assert_eq!(
        (layout.encoding, layout.delimiter),
        (read::Encoding::Utf8, b',')
    );
    assert_eq!(rows.len(), 2);
    let (line, ann, problem) = &rows[0];
    assert_eq!((*line, problem), (2, &None));
    assert_eq!(ann.first_name, s("Ann"));
    assert_eq!(ann.last_name, s("Lee"));
    assert_eq!(
        ann.email,
        s("Ann.Lee@Acme.com"),
        "the first of ' ::: ' values"
    );
    assert_eq!(ann.mobile_phone, s("+1 201-555-0123"), "labelled Mobile");
    assert_eq!(ann.phone, s("(201) 555-0100"), "another label");
    assert_eq!(ann.company, s("Acme"));
    assert_eq!(ann.job_title, s("Buyer"));
    assert_eq!(ann.street_address, s("1 Main St, Suite 2"));
    assert_eq!(ann.city, s("Newark"));
    assert_eq!(ann.state, s("NJ"));
    assert_eq!(ann.post_code, s("07102"));
    assert_eq!(ann.country, s("US"));
    assert_eq!(ann.notes, s("Met at \"Expo\", line one\nline two"));
    let (line, bo, _) = &rows[1];
    assert_eq!(
        *line, 4,
        "the record after a two-line quoted note starts on line 4"
    );
    assert_eq!(
        (bo.mobile_phone.clone(), bo.phone.clone()),
        (None, s("+44 20 7946 0958"))
    );
}

#[test]
fn excel_outlook_in_windows_1252_with_semicolons_reads_accents_and_dashes() {
    let (layout, _, rows) = read("outlook-excel-1252-semicolon.csv");
    assert_eq!(
        (layout.encoding, layout.delimiter),
        (read::Encoding::Windows1252, b';')
    );
    let (_, zoe, problem) = &rows[0];
    assert_eq!(problem, &None);
    assert_eq!(zoe.first_name, s("Zoë"));
    assert_eq!(zoe.last_name, s("Müller"));
    assert_eq!(zoe.salutation, s("Dr."));
    assert_eq!(zoe.job_title, s("Head – Sales"));
    assert_eq!(zoe.mobile_phone, s("+49 151 23456789"));
    assert_eq!(
        zoe.phone,
        s("+49 30 901820"),
        "the business phone before the home one"
    );
    assert_eq!(zoe.street_address, s("Hauptstr. 1"));
    assert_eq!(zoe.country, s("Germany"));
}

#[test]
fn thunderbirds_empty_last_header_is_ignored() {
    let (layout, mapping, rows) = read("thunderbird.csv");
    assert_eq!(layout.header.last().map(String::as_str), Some(""));
    assert!(mapping.fields.iter().all(|(_, s)| *s
        != import::mapping::Source::Column {
            column: layout.header.len() as u32 - 1
        }));
    let (_, cy, problem) = &rows[0];
    assert_eq!(problem, &None);
    assert_eq!(
        (
            cy.email.clone(),
            cy.mobile_phone.clone(),
            cy.company.clone(),
            cy.city.clone()
        ),
        (
            s("cy@example.org"),
            s("201 555 0199"),
            s("Parkworks"),
            s("Hoboken")
        )
    );
}

#[test]
fn hubspot_salesforce_and_linkedin_exports_map_without_help() {
    let (_, _, rows) = read("hubspot.csv");
    let di = &rows[0].1;
    assert_eq!(
        (
            di.email.clone(),
            di.phone.clone(),
            di.company.clone(),
            di.status.clone()
        ),
        (
            s("DI@Example.com"),
            s("+1 (201) 555-0142"),
            s("Chocorp"),
            None
        ),
        "HubSpot's Phone Number is the general phone; its Lead Status is not ours"
    );

    // Salesforce: the footer rows after the data are not rows.
    let (_, _, rows) = read("salesforce-report.csv");
    assert_eq!(rows.len(), 2);
    let ed = &rows[0].1;
    assert_eq!(
        (
            ed.mobile_phone.clone(),
            ed.phone.clone(),
            ed.street_address.clone(),
            ed.state.clone(),
            ed.post_code.clone()
        ),
        (
            s("512-555-0111"),
            s("512-555-0100"),
            s("5 Elm St"),
            s("TX"),
            s("73301")
        )
    );

    // LinkedIn: the Notes preamble is not the header; the second person has no email.
    let (layout, _, rows) = read("linkedin-connections.csv");
    assert_eq!(layout.header_line, 4);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].1.job_title, s("CTO"));
    assert_eq!((rows[1].0, rows[1].1.email.clone()), (6, None));
}

#[test]
fn utf16_tab_text_and_utf8_bom_pipes_with_a_whole_name_column() {
    let (layout, _, rows) = read("excel-unicode-text.txt");
    assert_eq!(
        (layout.encoding, layout.delimiter),
        (read::Encoding::Utf16Le, b'\t')
    );
    assert_eq!(rows[0].1.mobile_phone, s("+46 70 123 45 67"));
    let (layout, _, rows) = read("pipe-bom.csv");
    assert_eq!(
        (layout.encoding, layout.delimiter),
        (read::Encoding::Utf8Bom, b'|')
    );
    let lea = &rows[0].1;
    assert_eq!(
        (
            lea.first_name.clone(),
            lea.last_name.clone(),
            lea.email.clone()
        ),
        (s("Lea"), s("Ruiz"), s("lea@ruiz.example"))
    );
}

#[test]
fn ragged_rows_and_a_truncated_quote_are_rows_with_reasons_the_rest_read() {
    let (_, _, rows) = read("ragged-and-truncated.csv");
    let summary: Vec<(u64, Option<&str>)> = rows
        .iter()
        .map(|(line, _, p)| (*line, p.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (2, None),
            (3, Some("this row has 2 fields but the header has 3")),
            (4, Some("this row has 4 fields but the header has 3")),
            (
                5,
                Some("the quoted field opened on line 5 is never closed (is the file cut short?)")
            ),
        ]
    );
}

#[test]
fn empty_binary_and_header_only_files_get_their_outcome() {
    for (name, reason) in [
        ("empty.csv", "the file is empty"),
        ("binary.xlsx", "the file is binary"),
    ] {
        let e = import::open(&fixture(name)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Invalid);
        assert!(e.to_string().contains(reason), "{name}: {e}");
    }
    let (_, _, rows) = read("header-only.csv");
    assert!(rows.is_empty(), "a header alone is a file with no rows");

    let wide: String = (0..10_000)
        .map(|i| format!("Column {i},"))
        .collect::<String>()
        + "\n";
    let e = import::open(&wide.as_bytes().into()).unwrap_err();
    assert!(e.to_string().contains("10001 columns"), "{e}");
    let e = import::open(&b"just,some,words\n1,2,3\n"[..].into()).unwrap_err();
    assert!(e.to_string().contains("not a contact file"), "{e}");
}

#[test]
fn a_changed_mapping_fills_the_chosen_field_and_ignores_a_column() {
    let source = fixture("salesforce-report.csv");
    let opened = import::open(&source).unwrap();
    // "Contact ID" (column 0) becomes the notes; "Phone" (8) is ignored.
    let mapping = opened
        .mapping
        .clone()
        .with_column(0, Some("notes"))
        .with_column(8, None);
    let row = rows(&source, &opened).remove(0);
    let ed = mapping.fields_of(&row.cells);
    assert_eq!((ed.notes, ed.phone), (s("003A1"), None));
}

mod engine {
    //! The import as a whole on real database files: counts, merge rules, duplicates in one
    //! file, conflicts, the skip policy, Cannot Save Contact, Cancel, Undo, export then import.

    use std::sync::atomic::AtomicBool;

    use cardfile_core::export::Format;
    use cardfile_core::import::{ImportOptions, OnDuplicate, Report};
    use cardfile_core::{ErrorCode, Role, Session};

    use crate::merge::{dump, state};
    use crate::{fields, Db};

    async fn import(
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

    fn counts(r: &Report) -> [u32; 7] {
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
    async fn people(s: &Session) -> Vec<Vec<Option<String>>> {
        let mut out: Vec<Vec<Option<String>>> = s
            .list(&all())
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|c| {
                let v = serde_json::to_value(&c).unwrap();
                cardfile_core::contact::FIELDS
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
    async fn into_empty(path: &std::path::Path) -> Vec<Vec<Option<String>>> {
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

    fn all() -> cardfile_core::ListQuery {
        cardfile_core::ListQuery {
            limit: 100,
            ..Default::default()
        }
    }

    const HEADER: &str = "First Name,Last Name,Email,Mobile Phone,Company\n";

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
        let csv =
            format!("{HEADER},,new@example.com,+12015550122,\n,,x@example.com,+12015550111,\n");
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
    async fn an_imported_contacts_history_shows_it_as_imported_and_undo_waits_for_later_changes_to_go(
    ) {
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
}

#[test]
fn vcard_3_and_4_cards_read_field_by_field() {
    let source = fixture("contacts.vcf");
    let opened = import::open(&source).unwrap();
    assert!(opened.vcard);
    let cards = rows(&source, &opened);
    assert_eq!(cards.len(), 2);
    let ann = opened.mapping.fields_of(&cards[0].cells);
    assert_eq!(cards[0].line, 1);
    assert_eq!(
        (ann.first_name, ann.last_name, ann.salutation),
        (s("Ann"), s("Lee"), s("Dr."))
    );
    assert_eq!(ann.email, s("ann.lee@acme.example"), "the preferred email");
    assert_eq!(ann.mobile_phone, s("+1 201 555 0123"));
    assert_eq!(ann.phone, s("+1 (201) 555-0100"));
    assert_eq!(
        (ann.company, ann.job_title),
        (s("Acme Corp"), s("Head of Sales"))
    );
    assert_eq!(
        (
            ann.street_address,
            ann.city,
            ann.state,
            ann.post_code,
            ann.country
        ),
        (
            s("1 Main St, Suite 2"),
            s("Newark"),
            s("NJ"),
            s("07102"),
            s("United States")
        )
    );
    assert_eq!(
        ann.notes,
        s("Met at the expo\nAsked about pricing; wants a demo")
    );
    let bo = opened.mapping.fields_of(&cards[1].cells);
    assert_eq!((bo.first_name, bo.last_name), (s("Bo"), s("Ng")));
    assert_eq!(bo.mobile_phone, s("+44-20-7946-0958"));
    assert_eq!(
        bo.notes,
        s("A long note that is folded across two lines because vCard lines are limited to seventy-five octets")
    );
}

#[test]
fn files_read_a_block_at_a_time_keep_every_character_and_line_across_block_ends() {
    // Several 64 KB blocks of two-line records with multi-byte characters (and, in
    // UTF-16, surrogate pairs), so characters, pairs and records straddle block ends.
    let dir = tempfile::tempdir().unwrap();
    for encoding in ["utf-8", "utf-16le", "utf-16be", "windows-1252"] {
        let odd = if encoding == "windows-1252" {
            "‰"
        } else {
            "😀"
        };
        let mut text = String::from("First Name,Last Name,Email,Notes\n");
        for i in 0..4000 {
            text.push_str(&format!(
                "Name{i},Émile {odd}{i},e{i}@example.com,\"line one\nline two {i}\"\n"
            ));
        }
        let bytes: Vec<u8> = match encoding {
            "utf-8" => text.clone().into_bytes(),
            "utf-16le" => [0xFF, 0xFE]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            "utf-16be" => [0xFE, 0xFF]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
            _ => text
                .chars()
                .map(|c| match c {
                    'É' => 0xC9,
                    '‰' => 0x89,
                    c => c as u8,
                })
                .collect(),
        };
        assert!(bytes.len() > 3 * 65_536);
        let path = dir.path().join(format!("{encoding}.csv"));
        std::fs::write(&path, bytes).unwrap();
        let source = read::Source::File(path);
        let opened = import::open(&source).unwrap();
        let rows = rows(&source, &opened);
        assert_eq!(rows.len(), 4000, "{encoding}");
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.line, 2 + 2 * i as u64, "{encoding} row {i}");
            assert_eq!(
                row.cells[1],
                format!("Émile {odd}{i}"),
                "{encoding} row {i}"
            );
            assert_eq!(
                row.cells[3],
                format!("line one\nline two {i}"),
                "{encoding} row {i}"
            );
            assert_eq!(row.problem, None);
        }
    }
    // A character cut exactly by the first block's end: UTF-8's two bytes of "é", and
    // UTF-16's surrogate pair of "😀".
    let header = "First Name,Last Name,Email,Notes\n";
    // Blocks start after the BOM, so a UTF-16 file's first block ends at byte 65_538.
    let cut = |unit: usize, c: char| {
        let fill = (65_536 / unit - 1) - header.len() - "A,B,a@example.com,".len();
        format!("{header}A,B,a@example.com,{}{c}\n", "x".repeat(fill))
    };
    let utf8 = cut(1, 'é');
    assert_eq!(&utf8.as_bytes()[65_535..65_537], "é".as_bytes());
    let utf16 = cut(2, '😀');
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(utf16.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert_eq!(&utf16[65_536..65_538], &0xD83Du16.to_le_bytes());
    for (name, bytes, c) in [
        ("cut.csv", utf8.into_bytes(), 'é'),
        ("cut16.csv", utf16, '😀'),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let source = read::Source::File(path);
        let opened = import::open(&source).unwrap();
        let rows = rows(&source, &opened);
        assert!(
            rows[0].cells[3].ends_with(c),
            "{name}: {:?}",
            &rows[0].cells[3][65_000..]
        );
    }
}

#[test]
fn a_short_last_row_is_a_rejected_row_but_footers_after_a_blank_line_are_not_rows() {
    let text = "First Name,Last Name,Email\nAnn,Lee,ann@example.com\nBo\n";
    let source = read::Source::from(text.as_bytes());
    let opened = import::open(&source).unwrap();
    let rows = rows(&source, &opened);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].problem.as_deref(),
        Some("this row has 1 fields but the header has 3")
    );
}

#[test]
fn desktop_outlook_and_legacy_google_exports_map_without_help() {
    let (_, _, rows) = read("outlook-desktop.csv");
    let gia = &rows[0].1;
    assert_eq!(
        (
            gia.salutation.clone(),
            gia.first_name.clone(),
            gia.last_name.clone()
        ),
        (s("Ms."), s("Gia"), s("Romano"))
    );
    assert_eq!(gia.email, s("gia@romano.example"));
    assert_eq!(
        (gia.mobile_phone.clone(), gia.phone.clone()),
        (s("+39 312 345 6789"), s("+39 02 1234 5678"))
    );
    assert_eq!(
        (
            gia.company.clone(),
            gia.job_title.clone(),
            gia.street_address.clone(),
            gia.city.clone()
        ),
        (s("Romano Srl"), s("Buyer"), s("Via Roma 1"), s("Milano"))
    );

    let (_, _, rows) = read("google-legacy.csv");
    let hal = &rows[0].1;
    assert_eq!(
        (hal.first_name.clone(), hal.last_name.clone()),
        (s("Hal"), s("Ito"))
    );
    assert_eq!(hal.email, s("hal@ito.example"));
    assert_eq!(
        (hal.mobile_phone.clone(), hal.phone.clone()),
        (s("+81 90-1234-5678"), s("+81 3-1234-5678")),
        "the legacy format's Type column is the label"
    );
    assert_eq!(
        (hal.company.clone(), hal.job_title.clone()),
        (s("Ito KK"), s("CTO"))
    );
}
