//! Reading a contact file as people have them: the encoding (UTF-8 with or without BOM,
//! UTF-16 with BOM, else Windows-1252), the delimiter, the header row after any preamble
//! (LinkedIn), footer rows after the data (Salesforce), and rows whose field count is wrong.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::error::{Error, Result};
use crate::import::mapping;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Windows1252,
}

/// A refusal of the whole file: nothing in it can be read as contacts.
fn unreadable(reason: impl Into<String>) -> Error {
    Error::invalid("file", reason)
}

/// Windows-1252's characters for bytes 0x80 to 0x9F (the rest are Latin-1).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

fn utf16(bytes: &[u8], little: bool) -> Result<String> {
    if !bytes.len().is_multiple_of(2) {
        return Err(unreadable(
            "the file is UTF-16 but ends half-way through a character",
        ));
    }
    let units = bytes.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<std::result::Result<String, _>>()
        .map_err(|_| unreadable("the file says UTF-16 but holds invalid UTF-16"))
}

/// The file's text and how it was encoded. UTF-8 is borrowed, not copied.
pub fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, Encoding)> {
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        let text = std::str::from_utf8(rest).map_err(|e| {
            unreadable(format!(
                "the file says UTF-8 but byte {} is not",
                e.valid_up_to() + 3
            ))
        })?;
        (Cow::Borrowed(text), Encoding::Utf8Bom)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (Cow::Owned(utf16(rest, true)?), Encoding::Utf16Le)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (Cow::Owned(utf16(rest, false)?), Encoding::Utf16Be)
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (Cow::Borrowed(text), Encoding::Utf8)
    } else {
        let text = bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize],
                _ => b as char,
            })
            .collect();
        (Cow::Owned(text), Encoding::Windows1252)
    };
    if text.trim().is_empty() {
        return Err(unreadable("the file is empty"));
    }
    // Text files hold no NULs and few control characters; images, archives and sheets do.
    let sample: Vec<char> = text.chars().take(64 * 1024).collect();
    let controls = sample
        .iter()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\u{80}'..='\u{9F}'))
        .count();
    if sample.contains(&'\0') || controls * 100 > sample.len() {
        return Err(unreadable(
            "the file is binary, not text: save it as CSV (comma-separated values) or vCard",
        ));
    }
    Ok((text, encoding))
}

/// A record of the file: the line it starts on and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub cells: Vec<String>,
}

fn records(text: &str, delimiter: u8) -> impl Iterator<Item = Record> + '_ {
    // Records end at \n (a \r before it is dropped below), so line numbers count \n alike
    // in CRLF and LF files.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    // The csv crate's own line count skips blank lines: count \n up to each record's start.
    let (mut counted_to, mut line) = (0usize, 1u64);
    std::iter::from_fn(move || match reader.read_record(&mut record) {
        Ok(true) => {
            let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
            if let Some(last) = cells.last_mut() {
                if last.ends_with('\r') {
                    last.pop();
                }
            }
            let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
            // The reader's start includes the blank lines it skipped before the record.
            while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
                start += 1;
            }
            line += text.as_bytes()[counted_to..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = start;
            Some(Record { line, cells })
        }
        _ => None,
    })
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

/// The line a quoted field opens on and never closes (a truncated file), if any.
fn unterminated_quote(text: &str, delimiter: u8) -> Option<u64> {
    let (mut line, mut opened, mut quoted, mut at_start) = (1u64, 0u64, false, true);
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if quoted {
            if b == b'"' {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    quoted = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
            continue;
        }
        match b {
            b'"' if at_start => {
                quoted = true;
                opened = line;
            }
            b'\n' => {
                line += 1;
                at_start = true;
                continue;
            }
            _ => {}
        }
        at_start = b == delimiter;
    }
    quoted.then_some(opened)
}

/// What was found before the data: the delimiter, the header and where it is.
#[derive(Debug, Clone)]
pub struct Layout {
    pub encoding: Encoding,
    pub delimiter: u8,
    pub header: Vec<String>,
    pub header_line: u64,
}

const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// How far into the file the header is looked for (LinkedIn's preamble is 3 records).
const HEADER_SEARCH: usize = 20;
/// More columns than any contact export has: a file this wide is not a contact list.
pub const MAX_COLUMNS: usize = 1000;

/// Finds the delimiter and header: the first record, among the first few, whose cells
/// name the most contact fields, over every candidate delimiter.
pub fn layout(text: &str, encoding: Encoding) -> Result<Layout> {
    let mut best: Option<(usize, Layout)> = None;
    for delimiter in DELIMITERS {
        for record in records(text, delimiter).take(HEADER_SEARCH) {
            if record.cells.len() < 2 || record.cells.len() > MAX_COLUMNS {
                continue;
            }
            let known = mapping::recognised(&record.cells);
            if known > best.as_ref().map_or(0, |(n, _)| *n) {
                best = Some((
                    known,
                    Layout {
                        encoding,
                        delimiter,
                        header: record.cells,
                        header_line: record.line,
                    },
                ));
            }
        }
    }
    match best {
        Some((_, layout)) => Ok(layout),
        None => {
            let widest = records(text, b',')
                .take(HEADER_SEARCH)
                .map(|r| r.cells.len())
                .max()
                .unwrap_or(0);
            Err(unreadable(if widest > MAX_COLUMNS {
                format!("the file has {widest} columns: a contact file has a header row of at most {MAX_COLUMNS}")
            } else {
                "not a contact file: no header row names an email, phone or name column".to_string()
            }))
        }
    }
}

/// A data record: its cells, or why it cannot be a contact row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
    pub problem: Option<String>,
}

/// The data records after the header, streamed. Blank records are skipped; a run of
/// records at the very end, after a blank line, holding one value in their first cell
/// (report footers, as Salesforce writes them) is not rows; any other record with more or
/// fewer fields than the header is a row with its problem, as is a last record whose
/// quoted field never closes.
pub fn rows<'a>(text: &'a str, layout: &'a Layout) -> impl Iterator<Item = Row> + 'a {
    let width = layout.header.len();
    let open_quote = unterminated_quote(text, layout.delimiter);
    let mut source = records(text, layout.delimiter)
        .skip_while(move |r| r.line <= layout.header_line)
        .filter(|r| !is_blank(&r.cells))
        .peekable();
    let footer_like = move |r: &Record| {
        r.cells.len() != width && r.cells[1..].iter().all(|c| c.trim().is_empty())
    };
    let ragged = move |r: Record| {
        let problem = (r.cells.len() != width).then(|| {
            format!(
                "this row has {} fields but the header has {width}",
                r.cells.len()
            )
        });
        Row {
            line: r.line,
            cells: r.cells,
            problem,
        }
    };
    let mut held: VecDeque<Record> = VecDeque::new();
    let mut out: VecDeque<Row> = VecDeque::new();
    // The line the previous record ended on, to see a blank line before a footer.
    let mut prev_end = layout.header_line
        + layout
            .header
            .iter()
            .map(|c| c.matches('\n').count() as u64)
            .sum::<u64>();
    std::iter::from_fn(move || loop {
        if let Some(row) = out.pop_front() {
            return Some(row);
        }
        let record = source.next()?;
        let last = source.peek().is_none();
        let after_gap = record.line > prev_end + 1;
        prev_end = record.line
            + record
                .cells
                .iter()
                .map(|c| c.matches('\n').count() as u64)
                .sum::<u64>();
        if let (true, Some(opened)) = (last, open_quote) {
            out.extend(held.drain(..).map(ragged));
            out.push_back(Row {
                line: record.line,
                cells: record.cells,
                problem: Some(format!(
                    "the quoted field opened on line {opened} is never closed (is the file cut short?)"
                )),
            });
        } else if footer_like(&record) && (after_gap || !held.is_empty()) {
            // A footer if nothing but more of the same follows.
            held.push_back(record);
            if last {
                held.clear();
            }
        } else {
            out.extend(held.drain(..).map(ragged));
            out.push_back(ragged(record));
        }
    })
}
