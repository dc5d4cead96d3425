//! Reading a contact file as people have them, a block at a time (memory does not grow
//! with the file): its encoding (UTF-8 with or without BOM, UTF-16 with BOM, else
//! Windows-1252), decoded to UTF-8 as it is read. records.rs makes records of the text.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

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
pub(super) fn unreadable(reason: impl Into<String>) -> Error {
    Error::invalid("file", reason)
}

/// Windows-1252's characters for bytes 0x80 to 0x9F (the rest are Latin-1).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// Where a file's bytes come from: a file, opened again for each pass over it (nothing
/// holds the whole file), or bytes already in memory.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl From<&[u8]> for Source {
    fn from(bytes: &[u8]) -> Source {
        Source::Bytes(bytes.into())
    }
}

impl Source {
    fn open(&self) -> Result<Box<dyn Read + Send>> {
        match self {
            Source::File(path) => {
                regular_file(path)?;
                let file = std::fs::File::open(path)
                    .map_err(|e| unreadable(format!("cannot read {}: {e}", path.display())))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
            }
            Source::Bytes(bytes) => Ok(Box::new(std::io::Cursor::new(bytes.clone()))),
        }
    }

    /// Its size in bytes.
    pub fn len(&self) -> Result<u64> {
        match self {
            Source::File(path) => std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| unreadable(format!("cannot read {}: {e}", path.display()))),
            Source::Bytes(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// Whether it holds no bytes at all.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// Refuses what is not a regular file (after symlinks), before it is opened: reading a
/// folder fails, and a pipe or a device such as /dev/zero can keep a reader waiting or
/// reading forever. Every way in (the window's chosen files, the command line) meets it.
pub fn regular_file(path: &Path) -> Result<()> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| unreadable(format!("cannot read {shown}: {e}")))?;
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file (a device or a pipe)"
    };
    Err(unreadable(format!(
        "{shown} is {what}: choose a contact file (CSV or vCard) to import"
    )))
}

/// Reads into `buf` until it is full or the source ends; how much was read.
fn fill(source: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match source.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_failed(e: std::io::Error) -> Error {
    unreadable(e.to_string())
}

/// The file's text as UTF-8, decoded a block at a time as it is read: UTF-8 passes through
/// (its BOM skipped), UTF-16 and Windows-1252 are converted. Invalid UTF-16 is an error.
pub struct Decoded {
    inner: Box<dyn Read + Send>,
    encoding: Encoding,
    /// Bytes read but not yet decoded (half a UTF-16 character).
    raw: Vec<u8>,
    out: Vec<u8>,
    at: usize,
}

impl Decoded {
    pub fn new(source: &Source, encoding: Encoding) -> Result<Decoded> {
        let mut inner = source.open()?;
        let bom = match encoding {
            Encoding::Utf8Bom => 3,
            Encoding::Utf16Le | Encoding::Utf16Be => 2,
            Encoding::Utf8 | Encoding::Windows1252 => 0,
        };
        fill(&mut inner, &mut [0u8; 3][..bom]).map_err(read_failed)?;
        Ok(Decoded {
            inner,
            encoding,
            raw: Vec::new(),
            out: Vec::new(),
            at: 0,
        })
    }

    /// Decodes the next block into `out`; false at the end of the file.
    fn next_block(&mut self) -> std::io::Result<bool> {
        let invalid =
            |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
        let mut block = vec![0u8; 1 << 16];
        let n = fill(&mut self.inner, &mut block)?;
        block.truncate(n);
        self.out.clear();
        self.at = 0;
        match self.encoding {
            Encoding::Utf8 | Encoding::Utf8Bom => self.out = block,
            Encoding::Windows1252 => {
                let text: String = block
                    .iter()
                    .map(|&b| match b {
                        0x80..=0x9F => CP1252_HIGH[(b - 0x80) as usize],
                        _ => b as char,
                    })
                    .collect();
                self.out = text.into_bytes();
            }
            Encoding::Utf16Le | Encoding::Utf16Be => {
                self.raw.extend_from_slice(&block);
                let little = self.encoding == Encoding::Utf16Le;
                let mut units: Vec<u16> = self
                    .raw
                    .chunks_exact(2)
                    .map(|p| {
                        if little {
                            u16::from_le_bytes([p[0], p[1]])
                        } else {
                            u16::from_be_bytes([p[0], p[1]])
                        }
                    })
                    .collect();
                let mut keep = self.raw.len() % 2;
                // A high surrogate at the end of the block waits for its pair.
                if n > 0 && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
                    units.pop();
                    keep += 2;
                }
                let text = char::decode_utf16(units)
                    .collect::<std::result::Result<String, _>>()
                    .map_err(|_| invalid("the file says UTF-16 but holds invalid UTF-16"))?;
                self.raw.drain(..self.raw.len() - keep);
                if n == 0 && !self.raw.is_empty() {
                    return Err(invalid(
                        "the file is UTF-16 but ends half-way through a character",
                    ));
                }
                self.out = text.into_bytes();
            }
        }
        Ok(n > 0)
    }
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if !self.next_block()? && self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A file's line breaks, counted as it is read: about how many records it has (quoted fields
/// may span lines).
#[derive(Debug, Clone, Copy)]
struct Lines {
    breaks: u64,
    last: u8,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            breaks: 0,
            last: b'\n',
        }
    }

    fn add(&mut self, text: &[u8]) {
        self.breaks += text.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(&last) = text.last() {
            self.last = last;
        }
    }

    /// A last line without its line break is a line too; an empty file has one.
    fn count(&self) -> u64 {
        (self.breaks + u64::from(self.last != b'\n')).max(1)
    }
}

/// The file's encoding and how many lines it has, from one read of the whole file (a block
/// at a time). A BOM says the encoding; without one it is UTF-8 if all of it is, else
/// Windows-1252. A file that says UTF-8 or UTF-16 and is not is refused before anything is
/// imported.
fn sniff(source: &Source) -> Result<(Encoding, u64)> {
    let mut r = source.open()?;
    let mut head = [0u8; 3];
    let n = fill(&mut r, &mut head).map_err(read_failed)?;
    let head = &head[..n];
    let encoding = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Encoding::Utf8Bom
    } else if head.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else {
        Encoding::Utf8
    };
    let mut lines = Lines::new();
    let mut block = vec![0u8; 1 << 16];
    if matches!(encoding, Encoding::Utf16Le | Encoding::Utf16Be) {
        // Decoding checks it; its lines are counted in the decoded text.
        let mut decoded = Decoded::new(source, encoding)?;
        loop {
            let n = fill(&mut decoded, &mut block).map_err(read_failed)?;
            if n == 0 {
                return Ok((encoding, lines.count()));
            }
            lines.add(&block[..n]);
        }
    }
    // UTF-8 checked a block at a time; a character split by a block waits.
    let mut r = source.open()?;
    let skip = if encoding == Encoding::Utf8Bom { 3 } else { 0 };
    fill(&mut r, &mut [0u8; 3][..skip]).map_err(read_failed)?;
    // An incomplete character at a block's end waits for the next block.
    let (mut pending, mut offset) = (Vec::new(), skip as u64);
    loop {
        let n = fill(&mut r, &mut block).map_err(read_failed)?;
        lines.add(&block[..n]);
        pending.extend_from_slice(&block[..n]);
        match std::str::from_utf8(&pending) {
            Ok(_) => {
                offset += pending.len() as u64;
                pending.clear();
            }
            Err(e) if e.error_len().is_none() && n > 0 => {
                offset += e.valid_up_to() as u64;
                pending.drain(..e.valid_up_to());
            }
            Err(e) if encoding == Encoding::Utf8Bom => {
                let at = offset + e.valid_up_to() as u64;
                return Err(unreadable(format!(
                    "line {}: the file says it is UTF-8 (it begins with a byte-order mark) but byte {at} is not UTF-8: save it again as UTF-8",
                    line_of(source, at)?
                )));
            }
            Err(_) => {
                // Windows-1252: every byte is a character; the rest is read for its lines.
                loop {
                    let n = fill(&mut r, &mut block).map_err(read_failed)?;
                    if n == 0 {
                        return Ok((Encoding::Windows1252, lines.count()));
                    }
                    lines.add(&block[..n]);
                }
            }
        }
        if n == 0 {
            return Ok((encoding, lines.count()));
        }
    }
}

/// The line byte `at` of the file is on (read again up to it: only an error needs it).
fn line_of(source: &Source, at: u64) -> Result<u64> {
    let mut r = source.open()?.take(at);
    let mut block = vec![0u8; 1 << 16];
    let mut line = 1;
    loop {
        let n = fill(&mut r, &mut block).map_err(read_failed)?;
        if n == 0 {
            return Ok(line);
        }
        line += block[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// How much of the file's start is read to find its header (and to see what it is).
const HEAD: u64 = 1 << 20;

/// What reading a file's start (and its encoding to the end) found.
pub struct Head {
    /// The text of its first megabyte.
    pub text: String,
    pub encoding: Encoding,
    /// How many lines the file has (about how many records).
    pub lines: u64,
}

/// What the file's start says: its encoding, the text of its first megabyte and how many
/// lines it has. A file that is empty or binary is refused.
pub fn head(source: &Source) -> Result<Head> {
    // What the first bytes say is checked before the whole file is read for its encoding:
    // an image or a file of zeros is refused at once, whatever its size.
    let mut start = vec![0u8; 1 << 16];
    let n = fill(&mut *source.open()?, &mut start).map_err(read_failed)?;
    not_text(&start[..n])?;
    let (encoding, lines) = sniff(source)?;
    let mut decoded = Decoded::new(source, encoding)?;
    let mut bytes = Vec::new();
    (&mut decoded)
        .take(HEAD)
        .read_to_end(&mut bytes)
        .map_err(read_failed)?;
    let valid = match std::str::from_utf8(&bytes) {
        Ok(_) => bytes.len(),
        Err(e) => e.valid_up_to(),
    };
    bytes.truncate(valid);
    let text = String::from_utf8(bytes).map_err(|e| Error::Internal(e.to_string()))?;
    if text.trim().is_empty() {
        // Only blanks so far: the file is empty unless something follows them.
        let mut rest = String::new();
        decoded.read_to_string(&mut rest).map_err(read_failed)?;
        if rest.trim().is_empty() {
            return Err(unreadable("the file is empty"));
        }
    }
    // Text files hold few control characters; images, archives and sheets many. (A stray
    // NUL in text is refused by the reader, naming its line.)
    let sample: Vec<char> = text.chars().take(64 * 1024).collect();
    let controls = sample
        .iter()
        .filter(|c| c.is_control() && !matches!(c, '\0' | '\t' | '\r' | '\n' | '\u{80}'..='\u{9F}'))
        .count();
    if controls * 100 > sample.len() {
        return Err(unreadable(
            "the file is binary, not text: save it as CSV (comma-separated values) or vCard",
        ));
    }
    Ok(Head {
        text,
        encoding,
        lines,
    })
}

/// How a file that is not text is put right, unless its kind says better.
const CHOOSE: &str = "choose a CSV (comma-separated values) or vCard file";
const SAVE_AS_CSV: &str = "open it in Excel and save the sheet as CSV";

/// Files people mistake for contact lists, by the bytes they begin with: what they are,
/// and what to do.
const KINDS: [(&[u8], &str, &str); 14] = [
    // Before UTF-16's byte-order mark, which UTF-32's little-endian one begins with.
    (
        b"\xFF\xFE\0\0",
        "UTF-32 text",
        "Cardfile reads UTF-8 and UTF-16: save it again as UTF-8",
    ),
    (
        b"\0\0\xFE\xFF",
        "UTF-32 text",
        "Cardfile reads UTF-8 and UTF-16: save it again as UTF-8",
    ),
    (b"\x89PNG", "a PNG image", CHOOSE),
    (b"\xFF\xD8\xFF", "a JPEG image", CHOOSE),
    (b"GIF8", "a GIF image", CHOOSE),
    (b"%PDF", "a PDF document", CHOOSE),
    (
        b"PK\x03\x04",
        "a ZIP archive (an Excel .xlsx workbook is one)",
        SAVE_AS_CSV,
    ),
    (
        b"\xD0\xCF\x11\xE0",
        "an Office document (an Excel 97-2003 .xls workbook is one)",
        SAVE_AS_CSV,
    ),
    (b"SQLite format 3\0", "an SQLite database", CHOOSE),
    (b"\x1F\x8B", "a gzip archive", "unpack it first"),
    (b"\x7FELF", "a program", CHOOSE),
    (
        b"RIFF",
        "a RIFF file (a WebP image, a WAV sound or an AVI video)",
        CHOOSE,
    ),
    (b"II*\0", "a TIFF image", CHOOSE),
    (b"MM\0*", "a TIFF image", CHOOSE),
];

/// Refuses a file whose first bytes say it is not text: a known binary format, by name,
/// UTF-16 without its byte-order mark, or NUL bytes in more than a few places.
fn not_text(start: &[u8]) -> Result<()> {
    if let Some((_, kind, advice)) = KINDS.iter().find(|(magic, ..)| start.starts_with(magic)) {
        return Err(unreadable(format!(
            "the file is {kind}, not a contact file: {advice}"
        )));
    }
    let nuls = start.iter().filter(|&&b| b == 0).count();
    if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) || nuls == 0 {
        return Ok(());
    }
    // UTF-16 text of Latin letters has a NUL beside every character, on one side only.
    let pairs = start.len() / 2;
    let zeros = |side: usize| start.chunks_exact(2).filter(|p| p[side] == 0).count();
    let (even, odd) = (zeros(0), zeros(1));
    if pairs >= 2
        && (odd * 10 >= pairs * 9 && even * 10 <= pairs
            || even * 10 >= pairs * 9 && odd * 10 <= pairs)
    {
        return Err(unreadable(
            "the file looks like UTF-16 text without a byte-order mark, which cannot be read reliably: save it again as UTF-8 (\"CSV UTF-8\" in Excel) or as Unicode Text",
        ));
    }
    if nuls * 100 < start.len() || nuls < 8 {
        // A few NULs in text: the reader names their line.
        return Ok(());
    }
    Err(unreadable(
        "the file is binary, not text (it holds NUL bytes): save it as CSV (comma-separated values) or vCard",
    ))
}
