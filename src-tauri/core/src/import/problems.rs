//! An import's rejected and conflicting rows. However many there are, memory holds only the
//! first few (what a summary shows): every one goes, as it is found, to the error report's
//! rows in a temporary file, which `write_error_report` puts under the file's own header.

use std::io::{BufWriter, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::export::guard_cell;

/// How many rejected or conflicting rows a summary shows (the error report has them all).
pub const EXAMPLES: usize = 20;

/// A row that was not applied: rejected (with its reason) or held as a conflict.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct Problem {
    /// The file line the record starts on.
    pub line: u32,
    pub conflict: bool,
    pub reason: String,
    /// The record's cells as the file had them.
    pub values: Vec<String>,
}

/// The error report's rows on disk, removed when the last report naming them goes.
#[derive(Debug)]
pub struct Spool {
    path: tempfile::TempPath,
}

impl Spool {
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// The problems of a running import.
#[derive(Default)]
pub(crate) struct Problems {
    pub examples: Vec<Problem>,
    pub count: u32,
    out: Option<(csv::Writer<BufWriter<std::fs::File>>, Arc<Spool>)>,
}

fn cannot_write(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("cannot write the import's error report: {e}"))
}

impl Problems {
    /// Records a problem: its report row to disk, and the problem itself if it is among the
    /// first few.
    pub fn push(&mut self, problem: Problem) -> Result<()> {
        if self.out.is_none() {
            let (file, path) = tempfile::Builder::new()
                .prefix("cardfile-import-errors-")
                .suffix(".csv")
                .tempfile()
                .map_err(cannot_write)?
                .into_parts();
            let spool = Arc::new(Spool { path });
            // A ragged row keeps the fields it had: rows of the report differ in length.
            let writer = csv::WriterBuilder::new()
                .flexible(true)
                .from_writer(BufWriter::new(file));
            self.out = Some((writer, spool));
        }
        if let Some((w, _)) = &mut self.out {
            let mut record = vec![problem.line.to_string(), guard_cell(&problem.reason)];
            record.extend(problem.values.iter().map(|v| guard_cell(v)));
            w.write_record(&record).map_err(cannot_write)?;
        }
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(problem);
        }
        Ok(())
    }

    /// Done: the report's rows flushed to disk, and the file's handle to keep with the report.
    pub fn finish(self) -> Result<(Vec<Problem>, u32, Option<Arc<Spool>>)> {
        let spool = match self.out {
            Some((mut w, spool)) => {
                w.flush().map_err(cannot_write)?;
                Some(spool)
            }
            None => None,
        };
        Ok((self.examples, self.count, spool))
    }
}

/// Writes an error report: a header (`line`, `reason`, then the file's own header) and each
/// problem's row from `spool`, every cell guarded against spreadsheet formulas like exports.
pub(crate) fn write_report(
    header: &[String],
    spool: Option<&Spool>,
    out: &mut dyn Write,
) -> Result<()> {
    {
        let mut w = csv::Writer::from_writer(&mut *out);
        let mut cells = vec!["line".to_string(), "reason".to_string()];
        cells.extend(header.iter().map(|h| guard_cell(h)));
        w.write_record(&cells).map_err(cannot_write)?;
        w.flush().map_err(cannot_write)?;
    }
    if let Some(spool) = spool {
        let mut rows = std::fs::File::open(spool.path()).map_err(cannot_write)?;
        std::io::copy(&mut rows, out).map_err(cannot_write)?;
    }
    out.flush().map_err(cannot_write)
}
