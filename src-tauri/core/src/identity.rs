//! Who is this? The one place every way in (edit, add, import row, activity, API) asks:
//! a normalised email first, then a normalised mobile phone.

use sqlx::SqliteConnection;

use crate::error::Result;
use crate::record::ContactRow;
use crate::rows::load_row;

/// The contacts an email and a mobile phone point at.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    Nobody,
    /// One contact holds the email, or the mobile phone, or both.
    One(Box<ContactRow>),
    /// The email says one contact, the mobile phone another.
    Split {
        by_email: Box<ContactRow>,
        by_phone: Box<ContactRow>,
    },
}

impl Match {
    /// The contact that survives a merge: the email's holder, else the phone's.
    pub fn survivor(&self) -> Option<&ContactRow> {
        match self {
            Match::Nobody => None,
            Match::One(row) => Some(row),
            Match::Split { by_email, .. } => Some(by_email),
        }
    }

    /// Every contact involved, the survivor first.
    pub fn rows(&self) -> Vec<&ContactRow> {
        match self {
            Match::Nobody => vec![],
            Match::One(row) => vec![row],
            Match::Split { by_email, by_phone } => vec![by_email, by_phone],
        }
    }
}

/// Resolves already-normalised identifiers, ignoring contact `except` (the one being edited).
pub async fn resolve(
    conn: &mut SqliteConnection,
    email: Option<&str>,
    mobile_phone: Option<&str>,
    except: Option<i64>,
) -> Result<Match> {
    let except = except.unwrap_or(0);
    let by_email = match email {
        Some(e) => holder(conn, "email", e, except).await?,
        None => None,
    };
    let by_phone = match mobile_phone {
        Some(p) => holder(conn, "mobile_phone", p, except).await?,
        None => None,
    };
    Ok(match (by_email, by_phone) {
        (None, None) => Match::Nobody,
        (Some(a), None) | (None, Some(a)) => Match::One(Box::new(a)),
        (Some(a), Some(b)) if a.id == b.id => Match::One(Box::new(a)),
        (Some(by_email), Some(by_phone)) => Match::Split {
            by_email: Box::new(by_email),
            by_phone: Box::new(by_phone),
        },
    })
}

async fn holder(
    conn: &mut SqliteConnection,
    column: &str,
    value: &str,
    except: i64,
) -> Result<Option<ContactRow>> {
    let id: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM contacts WHERE {column} = ? AND id <> ?"
    ))
    .bind(value)
    .bind(except)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => load_row(conn, id).await,
        None => Ok(None),
    }
}
