//! The import's limits: how large a file, a line, a record and a row may be. Real exports
//! stay far below the defaults; a file past one is refused whole, nothing imported, with an
//! error naming the line, so a broken or hostile file cannot take the reader's memory or
//! time out of proportion.

/// The limits an import reads a file within (`ImportOptions::limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest file (4 GiB: ten million contacts take about 1 GB).
    pub file_bytes: u64,
    /// The largest vCard file (64 MiB): a vCard file is read whole.
    pub vcard_bytes: u64,
    /// The longest line, between two line breaks (1 MiB).
    pub line_bytes: usize,
    /// The longest record, which quoted fields may spread over several lines (4 MiB): the
    /// reader holds a record whole, so this bounds its memory whatever the file.
    pub record_bytes: usize,
    /// The most fields in a record, or properties in a vCard card (4096; Outlook's export,
    /// the widest, has 92 columns).
    pub fields: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_bytes: 4 << 30,
            vcard_bytes: 64 << 20,
            line_bytes: 1 << 20,
            record_bytes: 4 << 20,
            fields: 4096,
        }
    }
}

/// A size as people read it: "4 GB", "1 MB", "512 bytes" (binary units, as the limits are).
pub fn size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "KB")];
    for (unit, name) in UNITS {
        if bytes >= unit {
            let whole = bytes / unit;
            let tenths = (bytes % unit) * 10 / unit;
            return if tenths == 0 {
                format!("{whole} {name}")
            } else {
                format!("{whole}.{tenths} {name}")
            };
        }
    }
    format!("{bytes} bytes")
}
