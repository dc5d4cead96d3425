//! A decoded contact file as records: where its header is and which delimiter it uses, then
//! its data rows as they come, each with the line it starts on and, when it cannot be a
//! contact row, why (ragged rows, a quote that never closes). Footers are not rows. A line,
//! a record or a row past its limit (limits.rs), or a NUL character, stops the reading with
//! an error naming its line.

use std::collections::VecDeque;
use std::io::Read;

use crate::error::Result;

use super::limits::{size, Limits};
use super::mapping;
use super::read::{unreadable, Decoded, Encoding, Source};

/// A record of the file: the line it starts on and its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: u64,
    pub cells: Vec<String>,
    /// Once the text has been read to its end inside a quoted field (a truncated file), the
    /// line that field opened on. It is the last record's field: records read after the end
    /// from what was already buffered carry it too, so only the last one's counts.
    pub unclosed_quote: Option<u64>,
}

/// A reader that remembers where the line ends it passes on are (\r and \n), until the
/// records read through it have counted them, and follows quoted fields, to tell where one
/// that never closes opened.
struct Marked<R> {
    inner: R,
    offset: u64,
    marks: VecDeque<(u64, u8)>,
    quotes: Quotes,
    /// Whether the text has ended.
    ended: bool,
    limits: Limits,
    /// How many bytes of the current line have been read.
    line_len: usize,
}

/// Why the text cannot be read on: it is past a limit, or not text. The records say it as
/// it is, without the CSV reader's wrapping.
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

fn refuse(why: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, Refusal(why))
}

/// Where the text is among quoted fields, as the CSV reader reads them: a quote opens a
/// field only at its start, and a doubled quote inside one is a quote.
struct Quotes {
    delimiter: u8,
    line: u64,
    /// The line the open quoted field started on.
    opened: u64,
    quoted: bool,
    /// A quote inside a quoted field: it closes the field unless another quote follows.
    closing: bool,
    at_start: bool,
    /// The line the current record starts on, and how many bytes of it have been read.
    record_line: u64,
    record_len: usize,
}

impl Quotes {
    fn new(delimiter: u8) -> Quotes {
        Quotes {
            delimiter,
            line: 1,
            opened: 0,
            quoted: false,
            closing: false,
            at_start: true,
            record_line: 1,
            record_len: 0,
        }
    }

    fn step(&mut self, b: u8) {
        self.record_len += 1;
        if self.closing {
            self.closing = false;
            if b == b'"' {
                return;
            }
            self.quoted = false;
        }
        if self.quoted {
            if b == b'"' {
                self.closing = true;
            } else if b == b'\n' {
                self.line += 1;
            }
            return;
        }
        match b {
            b'"' if self.at_start => {
                self.quoted = true;
                self.opened = self.line;
            }
            b'\n' => {
                self.line += 1;
                self.at_start = true;
                self.record_line = self.line;
                self.record_len = 0;
                return;
            }
            _ => {}
        }
        self.at_start = b == self.delimiter;
    }

    /// The line of a quoted field still open (at the end of the text, one never closed).
    fn open(&self) -> Option<u64> {
        (self.quoted && !self.closing).then_some(self.opened)
    }
}

impl<R: Read> Read for Marked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.marks.push_back((self.offset + i as u64, b));
            }
            if b == 0 {
                return Err(refuse(format!(
                    "line {} holds a NUL character: the file is damaged or is not a text file",
                    self.quotes.line
                )));
            }
            self.line_len = if b == b'\n' { 0 } else { self.line_len + 1 };
            if self.line_len > self.limits.line_bytes {
                return Err(refuse(format!(
                    "line {} is longer than {}, more than any contact file has: the file is damaged or is not a contact file",
                    self.quotes.line,
                    size(self.limits.line_bytes as u64)
                )));
            }
            self.quotes.step(b);
            if self.quotes.record_len > self.limits.record_bytes {
                return Err(refuse(format!(
                    "the record that starts on line {} is longer than {} (a quote that never closes?)",
                    self.quotes.record_line,
                    size(self.limits.record_bytes as u64)
                )));
            }
        }
        self.offset += n as u64;
        self.ended |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

/// The records of `text` (UTF-8), read as they come; an error ends them.
fn records<R: Read>(
    text: R,
    delimiter: u8,
    limits: Limits,
) -> impl Iterator<Item = Result<Record>> {
    // Records end at \n (a \r before it is dropped below), so line numbers count \n alike
    // in CRLF and LF files.
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(Marked {
            inner: text,
            offset: 0,
            marks: VecDeque::new(),
            quotes: Quotes::new(delimiter),
            ended: false,
            limits,
            line_len: 0,
        });
    let mut record = csv::StringRecord::new();
    // The csv crate's own line count skips blank lines: the \n before each record's start
    // are counted here.
    let mut line = 1u64;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        match reader.read_record(&mut record) {
            Ok(true) => {
                let mut cells: Vec<String> = record.iter().map(str::to_string).collect();
                if let Some(last) = cells.last_mut() {
                    if last.ends_with('\r') {
                        last.pop();
                    }
                }
                let marked = reader.get_ref();
                let unclosed_quote = marked.quotes.open().filter(|_| marked.ended);
                // The reader's start includes the blank lines it skipped before the record.
                let mut start = record.position().map_or(0, |p| p.byte());
                let marks = &mut reader.get_mut().marks;
                while let Some(&(at, b)) = marks.front() {
                    if at > start {
                        break;
                    }
                    if at == start {
                        start += 1;
                    }
                    if b == b'\n' {
                        line += 1;
                    }
                    marks.pop_front();
                }
                if cells.len() > limits.fields {
                    failed = true;
                    return Some(Err(unreadable(format!(
                        "line {line} has {} fields, more than the {} a contact file may have: the file is not a contact list, or its delimiter is not {}",
                        cells.len(),
                        limits.fields,
                        shown(delimiter)
                    ))));
                }
                Some(Ok(Record {
                    line,
                    cells,
                    unclosed_quote,
                }))
            }
            Ok(false) => None,
            Err(e) => {
                failed = true;
                let refusal = match e.kind() {
                    csv::ErrorKind::Io(io) => io
                        .get_ref()
                        .and_then(|r| r.downcast_ref::<Refusal>())
                        .map(|r| r.0.clone()),
                    _ => None,
                };
                Some(Err(unreadable(refusal.unwrap_or_else(|| {
                    format!("the file cannot be read past line {line}: {e}")
                }))))
            }
        }
    })
}

/// A delimiter as an error message names it.
fn shown(delimiter: u8) -> &'static str {
    match delimiter {
        b',' => "a comma",
        b';' => "a semicolon",
        b'\t' => "a tab",
        b'|' => "a vertical bar",
        _ => "the one guessed",
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
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

/// Finds the delimiter and header: the first record, among the first few, whose cells
/// name the most contact fields, over every candidate delimiter. When none does, the error
/// says why if it can: a limit met while reading with some delimiter, a quote never closed.
pub fn layout(text: &str, encoding: Encoding, limits: &Limits) -> Result<Layout> {
    let mut best: Option<(usize, Layout)> = None;
    let mut why: Option<crate::error::Error> = None;
    let mut unclosed: Option<u64> = None;
    for delimiter in DELIMITERS {
        for record in records(text.as_bytes(), delimiter, *limits).take(HEADER_SEARCH) {
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    why.get_or_insert(e);
                    break;
                }
            };
            if let Some(opened) = record.unclosed_quote {
                unclosed = Some(unclosed.map_or(opened, |u| u.min(opened)));
            }
            if record.cells.len() < 2 {
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
    match (best, why, unclosed) {
        (Some((_, layout)), _, _) => Ok(layout),
        (None, Some(why), _) => Err(why),
        (None, None, Some(line)) => Err(unreadable(format!(
            "line {line} opens a quoted field that is not closed within the first {} of the file: the file is damaged or is not a contact file",
            size(text.len() as u64)
        ))),
        (None, None, None) => Err(unreadable(
            "not a contact file: no header row names an email, phone or name column",
        )),
    }
}

/// A data record: its cells, or why it cannot be a contact row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
    pub problem: Option<String>,
}

/// The data records of `source` after the header, read as they come. Blank records are
/// skipped; a run of records at the very end, after a blank line, holding one value in
/// their first cell (report footers, as Salesforce writes them) is not rows; any other
/// record with more or fewer fields than the header is a row with its problem, as is a last
/// record whose quoted field never closes. A read that fails ends them with the error.
pub fn rows(
    source: &Source,
    layout: &Layout,
    limits: &Limits,
) -> Result<impl Iterator<Item = Result<Row>> + Send> {
    let width = layout.header.len();
    let header_line = layout.header_line;
    let mut source = records(
        Decoded::new(source, layout.encoding)?,
        layout.delimiter,
        *limits,
    )
    .skip_while(move |r| r.as_ref().is_ok_and(|r| r.line <= header_line))
    .filter(|r| r.as_ref().map_or(true, |r| !is_blank(&r.cells)))
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
    Ok(std::iter::from_fn(move || loop {
        if let Some(row) = out.pop_front() {
            return Some(Ok(row));
        }
        let record = match source.next()? {
            Ok(record) => record,
            Err(e) => return Some(Err(e)),
        };
        let last = source.peek().is_none();
        let after_gap = record.line > prev_end + 1;
        prev_end = record.line
            + record
                .cells
                .iter()
                .map(|c| c.matches('\n').count() as u64)
                .sum::<u64>();
        if let (true, Some(opened)) = (last, record.unclosed_quote) {
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
    }))
}
