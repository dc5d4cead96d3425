//! Exports every contact the user may see, streamed in name order: CSV (guarded against
//! spreadsheet formulas, DESIGN.md Conventions) or a JSON array.

use std::io::Write;

use futures_core::Stream;
use futures_util::TryStreamExt;

use crate::error::{Error, Result};
use crate::record::{ContactRow, FIELDS};
use crate::search::Scope;
use crate::store::Store;
use crate::users::{self, User};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    /// vCard 4.0, one card a contact.
    VCard,
}

/// The CSV columns, in order: the contact JSON's fields.
pub fn csv_header() -> Vec<&'static str> {
    let mut h = vec!["id"];
    h.extend(FIELDS);
    h.extend(["owner", "created_at", "updated_at", "last_interacted_at"]);
    h
}

/// A cell as written to CSV: one that a spreadsheet would run as a formula gets a leading
/// ' (unless it is a plain number or an E.164 phone), which import strips again.
pub fn guard_cell(value: &str) -> String {
    let risky = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let plain_number = value.parse::<f64>().is_ok() && !value.starts_with(['\t', '\r']);
    let e164 =
        value.starts_with('+') && value.len() > 1 && value[1..].chars().all(|c| c.is_ascii_digit());
    if risky && !plain_number && !e164 {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// Undoes `guard_cell`, for import.
pub fn unguard_cell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

fn csv_record(row: &ContactRow, owner: &str) -> Vec<String> {
    let mut cells = vec![row.id.to_string()];
    cells.extend(FIELDS.iter().map(|f| row.get(f).unwrap_or_default()));
    cells.extend([
        owner.to_string(),
        row.created_at.clone(),
        row.updated_at.clone(),
        row.last_interacted_at.clone().unwrap_or_default(),
    ]);
    cells
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    #[sqlx(flatten)]
    row: ContactRow,
    owner_email: String,
}

/// Writes every contact `user` may see to `out`. Returns how many were written.
pub async fn export(
    store: &Store,
    user: &User,
    format: Format,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut conn = store.pool().acquire().await?;
    let scope = users::scope(&mut conn, user).await?;
    let owners = match &scope {
        Scope::All => None,
        Scope::Owners(ids) => Some(serde_json::to_string(ids).unwrap_or_default()),
    };
    let sql = "SELECT c.id, c.first_name, c.last_name, c.salutation, c.email, c.mobile_phone, \
        c.phone, c.company, c.job_title, c.street_address, c.city, c.state, c.post_code, \
        c.country, c.timezone, c.status, c.has_consent, c.notes, c.owner_id, c.created_at, \
        c.updated_at, c.last_interacted_at, u.email AS owner_email \
        FROM contacts c JOIN users u ON u.id = c.owner_id \
        WHERE ?1 IS NULL OR c.owner_id IN (SELECT value FROM json_each(?1)) \
        ORDER BY c.sort_name, c.id";
    let rows = sqlx::query_as::<_, ExportRow>(sql)
        .bind(owners)
        .fetch(&mut *conn);
    write_rows(rows, format, out).await
}

async fn write_rows(
    rows: impl Stream<Item = std::result::Result<ExportRow, sqlx::Error>>,
    format: Format,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut rows = std::pin::pin!(rows);
    let mut n = 0u64;
    let io = |e: std::io::Error| Error::Io(e);
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(csv_header())
                .map_err(|e| Error::Internal(e.to_string()))?;
            while let Some(r) = rows.try_next().await? {
                let cells: Vec<String> = csv_record(&r.row, &r.owner_email)
                    .iter()
                    .map(|v| guard_cell(v))
                    .collect();
                w.write_record(&cells)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                n += 1;
            }
            w.flush().map_err(io)?;
        }
        Format::VCard => {
            while let Some(r) = rows.try_next().await? {
                out.write_all(crate::vcard::write_card(&r.row).as_bytes())
                    .map_err(io)?;
                n += 1;
            }
        }
        Format::Json => {
            out.write_all(b"[").map_err(io)?;
            while let Some(r) = rows.try_next().await? {
                let c = r.row.into_contact(r.owner_email);
                if n > 0 {
                    out.write_all(b",").map_err(io)?;
                }
                out.write_all(b"\n").map_err(io)?;
                serde_json::to_writer(&mut *out, &c).map_err(|e| Error::Internal(e.to_string()))?;
                n += 1;
            }
            out.write_all(if n > 0 { b"\n]\n" } else { b"]\n" })
                .map_err(io)?;
        }
    }
    Ok(n)
}

/// Exports to the file at `path`, written beside it and renamed into place: a failed
/// export never leaves a half-written file where the user expects a whole one.
pub async fn export_to_file(
    store: &Store,
    user: &User,
    format: Format,
    path: &std::path::Path,
) -> Result<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
    let cannot =
        |e: std::io::Error| Error::Internal(format!("cannot write {}: {e}", path.display()));
    let written = async {
        let file = std::fs::File::create(&tmp).map_err(cannot)?;
        let mut w = std::io::BufWriter::new(file);
        let n = export(store, user, format, &mut w).await?;
        w.flush().map_err(cannot)?;
        std::fs::rename(&tmp, path).map_err(cannot)?;
        Ok(n)
    }
    .await;
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
