//! An import's memory does not grow with the file: a record has a maximum size, and
//! rejected rows go to the error report on disk, not to memory.

use std::sync::atomic::AtomicBool;

use cardfile_core::import::{self, read, write_error_report, ImportOptions, Limits, EXAMPLES};
use cardfile_core::ErrorCode;

use crate::merge::dump;
use crate::Db;

#[tokio::test]
async fn a_record_longer_than_a_mebibyte_stops_the_import_naming_its_line_and_writes_nothing() {
    let db = Db::new().await;
    let s = &db.session;
    let path = db.dir.path().join("endless.csv");
    // A quote that never closes, then megabytes: the reader would hold them all as one field.
    let mut text = String::from("Email,Notes\nann@example.com,fine\nbob@example.com,\"");
    text.push_str(&"x".repeat(3 << 20));
    std::fs::write(&path, text).unwrap();
    let before = dump(&db).await;
    let err = s
        .import_file(
            &path,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("line 3") && text.contains("longer than 1 MB"),
        "{text}"
    );
    assert_eq!(dump(&db).await, before, "nothing was imported");
}

#[tokio::test]
async fn thousands_of_rejected_rows_stay_on_disk_and_all_reach_the_error_report() {
    let db = Db::new().await;
    let s = &db.session;
    let path = db.dir.path().join("bad.csv");
    let mut text = String::from("Email,=HYPERLINK(\"x\")\n");
    for i in 0..5000 {
        text.push_str(&format!("not-an-email-{i},+cmd\n"));
    }
    text.push_str("ann@example.com,\n");
    std::fs::write(&path, text).unwrap();
    let report = s
        .import_file(
            &path,
            &ImportOptions::default(),
            &|_| {},
            &AtomicBool::new(false),
        )
        .await
        .unwrap();
    assert_eq!(report.summary.rejected, 5000);
    assert_eq!(report.summary.created, 1, "the good row still imports");
    assert_eq!(report.problem_count, 5000);
    assert_eq!(
        report.problems.len(),
        EXAMPLES,
        "memory keeps only the first few"
    );
    let mut out = Vec::new();
    write_error_report(&report, &mut out).unwrap();
    let written = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert_eq!(lines.len(), 5001, "a header and every rejected row");
    assert_eq!(lines[0], "line,reason,Email,\"'=HYPERLINK(\"\"x\"\")\"");
    assert!(lines[1].starts_with("2,\"email:"), "{}", lines[1]);
    assert!(lines[1].ends_with(",not-an-email-0,'+cmd"), "{}", lines[1]);
    assert!(lines[5000].starts_with("5001,"), "{}", lines[5000]);
}

/// Opens `text` within `limits` and reads every row: the first error, if any.
fn read_within(text: &[u8], limits: &Limits) -> Option<String> {
    let source: read::Source = text.into();
    let opened = match import::open_within(&source, limits) {
        Ok(opened) => opened,
        Err(e) => return Some(e.to_string()),
    };
    let rows = match import::rows(&source, &opened) {
        Ok(rows) => rows,
        Err(e) => return Some(e.to_string()),
    };
    rows.filter_map(|r| r.err()).map(|e| e.to_string()).next()
}

#[test]
fn each_limit_is_configurable_and_refused_naming_its_line() {
    let small = Limits {
        file_bytes: 4096,
        vcard_bytes: 2048,
        line_bytes: 100,
        record_bytes: 300,
        fields: 5,
    };
    let header = "Email,First Name,Last Name\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a file over the size",
            format!("{header}{}", "a@example.com,A,B\n".repeat(300)),
            "the file is 5.2 KB, larger than the 4 KB an import reads",
        ),
        (
            "a line over the length",
            format!(
                "{header}a@example.com,A,B\nb@example.com,{},B\n",
                "x".repeat(120)
            ),
            "line 3 is longer than 100 bytes",
        ),
        (
            "a record over the size, over several short lines",
            format!(
                "{header}a@example.com,A,B\nb@example.com,\"{}\",B\n",
                "note\n".repeat(80)
            ),
            "the record that starts on line 3 is longer than 300 bytes",
        ),
        (
            "a row with more fields than the limit",
            format!("{header}a@example.com,A,B\nb@example.com,A,B,,,,,,\n"),
            "line 3 has 9 fields, more than the 5",
        ),
        (
            "a header with more fields than the limit",
            "Email,First Name,Last Name,Phone,Company,City,Country\n".to_string(),
            "line 1 has 7 fields, more than the 5",
        ),
        (
            "a vCard file over its size",
            "BEGIN:VCARD\nEMAIL:a@example.com\nEND:VCARD\n".repeat(60),
            "a vCard file over 2 KB cannot be imported",
        ),
        (
            "a card with more properties than the limit",
            format!("BEGIN:VCARD\n{}END:VCARD\n", "NOTE:x\n".repeat(6)),
            "line 7: the card that begins on line 1 has more than 5 properties",
        ),
        (
            "a vCard line folded past the record size",
            format!("BEGIN:VCARD\nNOTE:x\n{}END:VCARD\n", " folded\n".repeat(60)),
            "line 2: its folded lines continue past 300 bytes",
        ),
    ];
    for (what, text, expected) in cases {
        let found = read_within(text.as_bytes(), &small).unwrap_or_default();
        assert!(
            found.contains(expected),
            "{what}: {found:?}, expected {expected:?}"
        );
        assert_eq!(
            read_within(text.as_bytes(), &Limits::default()),
            None,
            "{what}: within the defaults"
        );
    }
}
