//! An import's memory does not grow with the file: a record has a maximum size, and
//! rejected rows go to the error report on disk, not to memory.

use std::sync::atomic::AtomicBool;

use cardfile_core::import::{write_error_report, ImportOptions, EXAMPLES};
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
