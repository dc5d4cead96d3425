//! Importing contact files (CSV; vCard to come): reading what people export, mapping
//! columns to fields. Committing rows, the summary and the error report are not built yet.

pub mod mapping;
pub mod read;

use crate::error::Result;

/// A file read for import: its layout and the mapping guessed from its header.
#[derive(Debug, Clone)]
pub struct Opened {
    pub layout: read::Layout,
    pub mapping: mapping::Mapping,
}

/// Reads `bytes` far enough to know its encoding, delimiter, header and mapping; refuses a
/// file that is empty, binary or has no contact header.
pub fn open(bytes: &[u8]) -> Result<(Opened, std::borrow::Cow<'_, str>)> {
    let (text, encoding) = read::decode(bytes)?;
    let layout = read::layout(&text, encoding)?;
    let mapping = mapping::guess(&layout.header);
    Ok((Opened { layout, mapping }, text))
}
