//! Reading real exports for import: each format of csv-formats.md recognised with no manual
//! mapping, each encoding and delimiter, preambles and footers, and malformed files.

use std::path::PathBuf;

use cardfile_core::import::{self, mapping::Mapping, read};
use cardfile_core::{ContactFields, ErrorCode};

fn fixture(name: &str) -> Vec<u8> {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "import",
        name,
    ]
    .iter()
    .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every row of a fixture: its line, its fields as the mapping reads them, its problem.
fn read(
    name: &str,
) -> (
    read::Layout,
    Mapping,
    Vec<(u64, ContactFields, Option<String>)>,
) {
    let bytes = fixture(name);
    let (opened, text) = import::open(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rows = read::rows(&text, &opened.layout)
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
    let e = import::open(wide.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("10001 columns"), "{e}");
    let e = import::open(b"just,some,words\n1,2,3\n").unwrap_err();
    assert!(e.to_string().contains("not a contact file"), "{e}");
}

#[test]
fn a_changed_mapping_fills_the_chosen_field_and_ignores_a_column() {
    let bytes = fixture("salesforce-report.csv");
    let (opened, text) = import::open(&bytes).unwrap();
    // "Contact ID" (column 0) becomes the notes; "Phone" (8) is ignored.
    let mapping = opened
        .mapping
        .clone()
        .with_column(0, Some("notes"))
        .with_column(8, None);
    let row = read::rows(&text, &opened.layout).next().unwrap();
    let ed = mapping.fields_of(&row.cells);
    assert_eq!((ed.notes, ed.phone), (s("003A1"), None));
}
