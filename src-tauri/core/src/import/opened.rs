//! Opening a file for import: its size against the limits, what its first bytes say
//! (encoding, CSV or vCard, delimiter, header) and the mapping its header suggests; then
//! its records, read as they come.

use crate::error::{Error, Result};

use super::limits::{self, Limits};
use super::{mapping, read, records};

/// Reads the start of `source` far enough to know its encoding, delimiter, header and the
/// mapping the header suggests; refuses a file that is empty, binary, wrongly encoded or has
/// no contact header (within the default limits).
pub fn open(source: &read::Source) -> Result<Opened> {
    open_within(source, &Limits::default())
}

/// `open`, within `limits`: a file larger than they allow is refused before it is read.
pub fn open_within(source: &read::Source, limits: &Limits) -> Result<Opened> {
    let len = source.len()?;
    if len > limits.file_bytes {
        return Err(read::unreadable(format!(
            "the file is {}, larger than the {} an import reads: split it into smaller files",
            limits::size(len),
            limits::size(limits.file_bytes)
        )));
    }
    let read::Head {
        text: head,
        encoding,
        lines,
    } = read::head(source)?;
    if crate::vcard::is_vcard(&head) {
        // A vCard's cards become rows whose columns are the contact fields themselves.
        let header: Vec<String> = crate::record::FIELDS
            .iter()
            .map(|f| f.to_string())
            .collect();
        let mapping = mapping::guess(&header);
        let layout = records::Layout {
            encoding,
            delimiter: b',',
            header,
            header_line: 0,
        };
        return Ok(Opened {
            layout,
            mapping,
            vcard: true,
            limits: *limits,
            lines,
        });
    }
    let layout = records::layout(&head, encoding, limits)?;
    let mapping = mapping::guess(&layout.header);
    Ok(Opened {
        layout,
        mapping,
        vcard: false,
        limits: *limits,
        lines,
    })
}

/// The records of an opened file, read as they come: CSV rows, or one row per vCard (a
/// vCard file is read whole: its cards are few and short).
pub fn rows(
    source: &read::Source,
    opened: &Opened,
) -> Result<Box<dyn Iterator<Item = Result<records::Row>> + Send>> {
    let limits = &opened.limits;
    if opened.vcard {
        let too_big = || {
            Error::invalid(
                "file",
                format!(
                    "a vCard file over {} cannot be imported: export the contacts as CSV instead",
                    limits::size(limits.vcard_bytes)
                ),
            )
        };
        // UTF-8 is read as it is: a file too big is refused before it is read.
        let utf8 = matches!(
            opened.layout.encoding,
            read::Encoding::Utf8 | read::Encoding::Utf8Bom
        );
        if utf8 && source.len()? > limits.vcard_bytes + 3 {
            return Err(too_big());
        }
        // Read whole, up to a bound on the memory it takes.
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(
                read::Decoded::new(source, opened.layout.encoding)?,
                limits.vcard_bytes + 1,
            ),
            &mut text,
        )
        .map_err(|e| Error::invalid("file", e.to_string()))?;
        if text.len() as u64 > limits.vcard_bytes {
            return Err(too_big());
        }
        Ok(Box::new(
            crate::vcard::cards(&text, limits)?.into_iter().map(|c| {
                Ok(records::Row {
                    line: c.line,
                    cells: c.cells,
                    problem: None,
                })
            }),
        ))
    } else {
        Ok(Box::new(records::rows(source, &opened.layout, limits)?))
    }
}

/// A file read for import: its layout and the mapping guessed from its header.
#[derive(Debug, Clone)]
pub struct Opened {
    pub layout: records::Layout,
    pub mapping: mapping::Mapping,
    /// A vCard file (else CSV).
    pub vcard: bool,
    /// The limits it was opened within, which its rows are read within too.
    pub limits: Limits,
    /// How many lines the file has, counted as its encoding was checked: about how many
    /// records (quoted fields may span lines), for the import's progress.
    pub lines: u64,
}
