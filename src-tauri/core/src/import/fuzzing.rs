//! What the fuzz targets (fuzz/targets) run on each input, kept here so the regression
//! tests replay a found input through exactly the same calls: the whole import reader
//! within small limits, the header mapping with each row's normalisation, and the vCard
//! reader.

use crate::record::{ContactRow, FIELDS};

use super::limits::Limits;
use super::{mapping, open_within, read, rows};

/// Small limits, so that inputs of a fuzzer's size reach each limit's refusal.
pub fn small_limits() -> Limits {
    Limits {
        file_bytes: 1 << 20,
        vcard_bytes: 1 << 18,
        line_bytes: 8 << 10,
        record_bytes: 32 << 10,
        fields: 128,
    }
}

/// A whole contact file as an import reads it: encoding, CSV or vCard, delimiter,
/// preamble, header, then every row (quotes, footers, ragged rows) and its fields.
pub fn csv(data: &[u8]) {
    let source = read::Source::from(data);
    let Ok(opened) = open_within(&source, &small_limits()) else {
        return;
    };
    let Ok(records) = rows(&source, &opened) else {
        return;
    };
    for row in records {
        let Ok(row) = row else { break };
        let _ = opened.mapping.fields_of(&row.cells);
    }
}

/// The first line a header, each further line a row (cells split at tabs, so commas and
/// quotes reach the mapping): every row mapped and normalised into a contact as the import
/// does it (names, email, E.164 phones, status), with the guessed mapping and with a
/// column remapped as the import dialog would.
pub fn mapping(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split('\t')
        .map(str::to_string)
        .collect();
    let _ = mapping::recognised(&header);
    let guessed = mapping::guess(&header);
    let remapped = guessed
        .clone()
        .with_column((data.len() % (header.len() + 1)) as u32, Some("notes"));
    for line in lines.take(64) {
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        for m in [&guessed, &remapped] {
            let fields = m.fields_of(&cells);
            let mut row = ContactRow::blank(1, "2026-01-01T00:00:00.000Z".into());
            let _ = row.apply(fields, "US");
        }
    }
}

/// The vCard reader (folding, parameters, escapes, nesting, groups) within small limits,
/// and each card's cells read as the import maps them.
pub fn vcard(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits {
        record_bytes: 16 << 10,
        fields: 256,
        ..Limits::default()
    };
    let header: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
    let mapping = mapping::guess(&header);
    let _ = crate::vcard::is_vcard(text);
    if let Ok(cards) = crate::vcard::cards(text, &limits) {
        for card in cards {
            let _ = mapping.fields_of(&card.cells);
        }
    }
}
