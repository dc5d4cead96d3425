//! Reading real exports for import: each format of csv-formats.md recognised with no manual
//! mapping, each encoding and delimiter, preambles and footers, and malformed files.

use std::path::PathBuf;

use cardfile_core::import::{self, mapping::Mapping, read, records};
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
fn rows(source: &read::Source, opened: &import::Opened) -> Vec<records::Row> {
    import::rows(source, opened)
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

/// Every row of a fixture: its line, its fields as the mapping reads them, its problem.
/// A fixture's layout, guessed mapping, and rows as (line, fields, problem).
type Read = (
    records::Layout,
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
        (
            "binary.xlsx",
            "the file is a ZIP archive (an Excel .xlsx workbook is one)",
        ),
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
    assert!(e.to_string().contains("line 1 has 10001 fields"), "{e}");
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

mod bounds;
mod engine;
mod fuzzed;
mod indexes;
mod spill;

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
        assert_eq!(
            opened.lines, 8001,
            "{encoding}: the lines counted as the encoding was checked"
        );
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
