//! Bad files to import, each with the outcome a user must get: refused whole with the
//! problem named (and its line), or read with every bad row rejected for its reason; the
//! database unchanged either way. Big inputs are written as they would arrive: 2 GB files
//! sparse past their first megabytes, the others streamed to disk.

use std::io::Write;
use std::path::Path;

use super::{cardfile, measured, report, PEAK_LIMIT_MB};
use crate::Cli;

enum Outcome {
    /// Exit 1, the reason on stderr, nothing imported.
    Refused(&'static str),
    /// Exit 0, every data row rejected with a reason that says this, nothing imported.
    Rejected { rows: u64, reason: &'static str },
}

struct Case {
    what: &'static str,
    /// The file's name: what people call such a file.
    name: &'static str,
    make: fn(&Path),
    outcome: Outcome,
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
}

/// Writes `head`, then `line` `times` times, then `tail`, streamed.
fn stream(path: &Path, head: &[u8], line: &[u8], times: usize, tail: &[u8]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(head).unwrap();
    for _ in 0..times {
        out.write_all(line).unwrap();
    }
    out.write_all(tail).unwrap();
    out.flush().unwrap();
}

/// `head` and then a hole up to 2 GB (sparse: it takes no disk, and reads as zeros).
fn two_gigabytes(path: &Path, head: &[u8]) {
    write(path, head);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
}

fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

const EMAILS: &[&str] = &[
    "plainaddress",
    "@example.com",
    "ann@",
    "ann@@example.com",
    "ann@example",
    "ann lee@example.com",
    "ann@exam ple.com",
    "ann..lee@example.com",
    ".ann@example.com",
    "ann@-example.com",
    "ann@example.c",
    "ann@example.123",
    "<ann@example.com>",
    "ann@example..com",
    "ann@exam_ple.com",
    "=HYPERLINK(\"\"http://evil.example\"\")",
];

const PHONES: &[&str] = &[
    "abc",
    "12",
    "+1 555",
    "+999 12345678",
    "+44 12",
    "(201) 555-012",
    "201555012345678901234",
    "+",
    "---",
    "+1 (000) 000-0000",
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "a PNG image renamed .csv",
            name: "contacts.csv",
            make: |p| write(p, &[b"\x89PNG\r\n\x1a\n".as_slice(), &noise(4000)].concat()),
            outcome: Outcome::Refused("the file is a PNG image, not a contact file"),
        },
        Case {
            what: "a JPEG photo renamed .csv",
            name: "photo.csv",
            make: |p| {
                write(
                    p,
                    &[b"\xff\xd8\xff\xe0\0\x10JFIF".as_slice(), &noise(4000)].concat(),
                )
            },
            outcome: Outcome::Refused("the file is a JPEG image"),
        },
        Case {
            what: "an Excel workbook renamed .csv",
            name: "contacts.csv",
            make: |p| {
                let xlsx = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("core/tests/fixtures/import/binary.xlsx");
                std::fs::copy(xlsx, p).unwrap();
            },
            outcome: Outcome::Refused("a ZIP archive (an Excel .xlsx workbook is one)"),
        },
        Case {
            what: "a PDF renamed .csv",
            name: "contacts.csv",
            make: |p| {
                write(
                    p,
                    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n",
                )
            },
            outcome: Outcome::Refused("the file is a PDF document"),
        },
        Case {
            what: "random bytes",
            name: "contacts.csv",
            make: |p| write(p, &noise(1 << 20)),
            outcome: Outcome::Refused("the file is binary, not text"),
        },
        Case {
            what: "a 2 GB file of zeros (sparse)",
            name: "big.csv",
            make: |p| two_gigabytes(p, b""),
            outcome: Outcome::Refused("the file is binary, not text (it holds NUL bytes)"),
        },
        Case {
            what: "a 2 GB file: a header, then a line that never ends",
            name: "big.csv",
            make: |p| {
                let mut head = b"First Name,Last Name,Email\nAnn,Lee,".to_vec();
                head.extend(std::iter::repeat_n(b'x', 3 << 20));
                two_gigabytes(p, &head);
            },
            outcome: Outcome::Refused("line 2 is longer than 1 MB"),
        },
        Case {
            what: "a quote never closed in the first line of a 20 MB file",
            name: "contacts.csv",
            make: |p| {
                stream(
                    p,
                    b"\"First Name,Last Name,Email\n",
                    b"Ann,Lee,ann@example.com\n",
                    800_000,
                    b"",
                )
            },
            outcome: Outcome::Refused("line 1 opens a quoted field that is not closed"),
        },
        Case {
            what: "a quote never closed in a row, 10 MB of short lines after it",
            name: "contacts.csv",
            make: |p| {
                stream(
                    p,
                    b"First Name,Last Name,Email\nAnn,\"Lee,ann@example.com\n",
                    b"more words\n",
                    1_000_000,
                    b"",
                )
            },
            outcome: Outcome::Refused("the record that starts on line 2 is longer than 4 MB"),
        },
        Case {
            what: "100,000 columns",
            name: "wide.csv",
            make: |p| {
                let mut text = String::from("Email");
                for i in 1..100_000 {
                    text.push_str(&format!(",c{i}"));
                }
                text.push_str("\nann@example.com\n");
                write(p, text.as_bytes());
            },
            outcome: Outcome::Refused("line 1 has 100000 fields, more than the 4096"),
        },
        Case {
            what: "a row of 100,000 fields",
            name: "contacts.csv",
            make: |p| {
                stream(
                    p,
                    b"First Name,Last Name,Email\nAnn,Lee,ann@example.com\nBob",
                    b",",
                    99_999,
                    b"\n",
                )
            },
            outcome: Outcome::Refused("line 3 has 100000 fields, more than the 4096"),
        },
        Case {
            what: "a line of 50 MB",
            name: "contacts.csv",
            make: |p| {
                stream(
                    p,
                    b"First Name,Last Name,Email\nAnn,Lee,",
                    b"xxxxxxxxxx",
                    5_000_000,
                    b"\n",
                )
            },
            outcome: Outcome::Refused("line 2 is longer than 1 MB"),
        },
        Case {
            what: "invalid UTF-8 inside a UTF-8 file with a BOM",
            name: "contacts.csv",
            make: |p| {
                write(p, b"\xef\xbb\xbfFirst Name,Last Name,Email\nAnn,Lee,ann@example.com\nJos\xe9,Ruiz,jose@example.com\n")
            },
            outcome: Outcome::Refused(
                "line 3: the file says it is UTF-8 (it begins with a byte-order mark) but byte",
            ),
        },
        Case {
            what: "UTF-16 (little-endian) without a BOM",
            name: "contacts.txt",
            make: |p| {
                write(
                    p,
                    &utf16(
                        "First Name\tLast Name\tEmail\r\nAnn\tLee\tann@example.com\r\n",
                        false,
                    ),
                )
            },
            outcome: Outcome::Refused("UTF-16 text without a byte-order mark"),
        },
        Case {
            what: "UTF-16 (big-endian) without a BOM",
            name: "contacts.txt",
            make: |p| {
                write(
                    p,
                    &utf16(
                        "First Name\tLast Name\tEmail\r\nAnn\tLee\tann@example.com\r\n",
                        true,
                    ),
                )
            },
            outcome: Outcome::Refused("UTF-16 text without a byte-order mark"),
        },
        Case {
            what: "UTF-16 with a BOM and a lone surrogate",
            name: "contacts.txt",
            make: |p| {
                let mut bytes = vec![0xff, 0xfe];
                bytes.extend(utf16("Email\tFirst Name\r\nann@example.com\tAnn", false));
                bytes.extend([0x00, 0xd8, b'x', 0]);
                bytes.extend(utf16("\r\n", false));
                write(p, &bytes);
            },
            outcome: Outcome::Refused("the file says UTF-16 but holds invalid UTF-16"),
        },
        Case {
            what: "a NUL byte in a row",
            name: "contacts.csv",
            make: |p| {
                write(p, b"First Name,Last Name,Email\nAnn,Lee,ann@example.com\nBob,Stone,bob@example.com\nCy\0,Ng,cy@example.com\n")
            },
            outcome: Outcome::Refused("line 4 holds a NUL character"),
        },
        Case {
            what: "UTF-32 (its BOM looks like UTF-16's)",
            name: "contacts.txt",
            make: |p| {
                let mut bytes = vec![0xff, 0xfe, 0, 0];
                for c in "Email,First Name\r\nann@example.com,Ann\r\n".chars() {
                    bytes.extend((c as u32).to_le_bytes());
                }
                write(p, &bytes);
            },
            outcome: Outcome::Refused(
                "the file is UTF-32 text, not a contact file: Cardfile reads UTF-8 and UTF-16",
            ),
        },
        Case {
            what: "an empty file",
            name: "contacts.csv",
            make: |p| write(p, b""),
            outcome: Outcome::Refused("the file is empty"),
        },
        Case {
            what: "nothing but blank lines and spaces",
            name: "contacts.csv",
            make: |p| write(p, b" \n\n\t\r\n   \n"),
            outcome: Outcome::Refused("the file is empty"),
        },
        Case {
            what: "text with no contact header",
            name: "notes.csv",
            make: |p| write(p, b"just,some,words\n1,2,3\n"),
            outcome: Outcome::Refused(
                "not a contact file: no header row names an email, phone or name column",
            ),
        },
        Case {
            what: "a folder named like a CSV file",
            name: "folder.csv",
            make: |p| std::fs::create_dir(p).unwrap(),
            outcome: Outcome::Refused("is a folder: choose a contact file"),
        },
        Case {
            what: "a named pipe nothing writes to (reading it would wait forever)",
            name: "pipe.csv",
            make: |p| {
                let ok = std::process::Command::new("mkfifo")
                    .arg(p)
                    .status()
                    .unwrap();
                assert!(ok.success());
            },
            outcome: Outcome::Refused("is not a regular file (a device or a pipe)"),
        },
        Case {
            what: "a file that does not exist",
            name: "missing.csv",
            make: |_| {},
            outcome: Outcome::Refused("cannot read"),
        },
        Case {
            what: "a vCard of 10,000 cards nested in one another",
            name: "nested.vcf",
            make: |p| {
                let mut text = "BEGIN:VCARD\n".repeat(10_000);
                text.push_str("EMAIL:ann@example.com\n");
                text.push_str(&"END:VCARD\n".repeat(10_000));
                write(p, text.as_bytes());
            },
            outcome: Outcome::Refused(
                "line 2: a card begins inside the card that begins on line 1",
            ),
        },
        Case {
            what: "a vCard card with 10,000 properties",
            name: "crowded.vcf",
            make: |p| {
                stream(
                    p,
                    b"BEGIN:VCARD\nVERSION:3.0\nEMAIL:ann@example.com\n",
                    b"NOTE:again\n",
                    10_000,
                    b"END:VCARD\n",
                )
            },
            outcome: Outcome::Refused(
                "the card that begins on line 1 has more than 4096 properties",
            ),
        },
        Case {
            what: "a vCard whose folded lines never end",
            name: "endless.vcf",
            make: |p| {
                stream(
                    p,
                    b"BEGIN:VCARD\nVERSION:3.0\nEMAIL:ann@example.com\nNOTE:it goes on\n",
                    b" and on and on and on\n",
                    400_000,
                    b"",
                )
            },
            outcome: Outcome::Refused("line 4: its folded lines continue past 4 MB"),
        },
        Case {
            what: "a vCard file over 64 MB",
            name: "huge.vcf",
            make: |p| {
                stream(
                    p,
                    b"",
                    b"BEGIN:VCARD\nVERSION:3.0\nEMAIL:ann@example.com\nEND:VCARD\n",
                    1_400_000,
                    b"",
                )
            },
            outcome: Outcome::Refused("a vCard file over 64 MB cannot be imported"),
        },
        Case {
            what: "emails of every invalid kind",
            name: "emails.csv",
            make: |p| {
                let mut text = String::from("First Name,Email\n");
                let long_local = format!("{}@example.com", "a".repeat(65));
                let long = format!("a@{}com", format!("{}.", "b".repeat(62)).repeat(4));
                for e in EMAILS
                    .iter()
                    .copied()
                    .chain([long_local.as_str(), long.as_str()])
                {
                    text.push_str(&format!("Ann,\"{e}\"\n"));
                }
                write(p, text.as_bytes());
            },
            outcome: Outcome::Rejected {
                rows: EMAILS.len() as u64 + 2,
                reason: "email: ",
            },
        },
        Case {
            what: "mobile phones of every invalid kind",
            name: "phones.csv",
            make: |p| {
                let mut text = String::from("First Name,Mobile Phone\n");
                for phone in PHONES {
                    text.push_str(&format!("Ann,\"{phone}\"\n"));
                }
                write(p, text.as_bytes());
            },
            outcome: Outcome::Rejected {
                rows: PHONES.len() as u64,
                reason: "mobile_phone: ",
            },
        },
        Case {
            what: "rows with fewer and more fields than the header",
            name: "ragged.csv",
            make: |p| {
                write(
                    p,
                    b"First Name,Last Name,Email\nAnn,ann@example.com\nBob,Stone,bob@example.com,extra,more\n",
                )
            },
            outcome: Outcome::Rejected {
                rows: 2,
                reason: "fields but the header has 3",
            },
        },
        Case {
            what: "a status that is not one, and no email or phone",
            name: "status.csv",
            make: |p| {
                write(
                    p,
                    b"First Name,Email,Status\nAnn,ann@example.com,Maybe\nBob,,Qualified\n",
                )
            },
            outcome: Outcome::Rejected {
                rows: 2,
                reason: "",
            },
        },
    ]
}

#[test]
fn each_bad_file_in_the_catalogue_gets_its_outcome_and_changes_nothing() {
    let cli = Cli::new();
    crate::add_ann(&cli);
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 30, "the catalogue: {} cases", cases.len());
    for case in cases {
        let before = cli.dump();
        let file = dir.path().join(case.name);
        let _ = std::fs::remove_file(&file);
        (case.make)(&file);
        let errors = dir.path().join("rejected.csv");
        let _ = std::fs::remove_file(&errors);
        let mut command = cardfile(&cli.db);
        command
            .arg("import")
            .arg(&file)
            .arg("--json")
            .arg("--errors")
            .arg(&errors);
        let ran = measured(command, dir.path());
        report(case.what, &ran);
        let what = case.what;
        match case.outcome {
            Outcome::Refused(reason) => {
                assert_eq!(ran.status.code(), Some(1), "{what}: {}", ran.stderr);
                assert!(
                    ran.stderr.contains(reason),
                    "{what}: {:?} should say {reason:?}",
                    ran.stderr
                );
                assert!(ran.stdout.is_empty(), "{what}: {}", ran.stdout);
            }
            Outcome::Rejected { rows, reason } => {
                assert_eq!(ran.status.code(), Some(0), "{what}: {}", ran.stderr);
                let summary: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
                assert_eq!(
                    (summary["rows"].as_u64(), summary["rejected"].as_u64()),
                    (Some(rows), Some(rows)),
                    "{what}: {summary}"
                );
                let report = std::fs::read_to_string(&errors).unwrap();
                let reasons: Vec<&str> = report.lines().skip(1).collect();
                assert_eq!(reasons.len() as u64, rows, "{what}: {report}");
                assert!(
                    reasons.iter().all(|r| r.contains(reason)),
                    "{what}: every reason should say {reason:?}: {report}"
                );
            }
        }
        assert!(
            ran.peak_mb < PEAK_LIMIT_MB,
            "{what}: peak {} MB",
            ran.peak_mb
        );
        assert_eq!(cli.dump(), before, "{what}: the database changed");
        if file.is_dir() {
            std::fs::remove_dir(&file).unwrap();
        } else {
            let _ = std::fs::remove_file(&file);
        }
    }
}

#[test]
fn formula_cells_are_imported_as_inert_text_and_exported_guarded() {
    let cli = Cli::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("formulas.csv");
    write(
        &file,
        b"First Name,Last Name,Email,Company,Notes\n\"=cmd|' /C calc'!A0\",+SUM(1;2),ann@example.com,\"@HYPERLINK(\"\"http://evil.example\"\")\",-2+3\n",
    );
    let summary = cli.json(&["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(summary["created"], 1, "{summary}");
    let ann = &cli.json(&["list", "--json"])[0];
    assert_eq!(
        ann["first_name"], "=cmd|' /C calc'!A0",
        "kept as the text it is"
    );
    assert_eq!(ann["company"], "@HYPERLINK(\"http://evil.example\")");
    let exported = cli.ok(&["export"]);
    for guarded in ["'=cmd|", "'+SUM(1;2)", "'@HYPERLINK", "'-2+3"] {
        assert!(exported.contains(guarded), "{guarded} in {exported}");
    }
    // And imported back, the guards come off: nothing changes.
    let back = dir.path().join("back.csv");
    std::fs::write(&back, exported).unwrap();
    let again = cli.json(&["import", back.to_str().unwrap(), "--json"]);
    assert_eq!(
        (again["rows"].as_u64(), again["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{again}"
    );
}
