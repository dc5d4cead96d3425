//! The one error type of core: every refusal names what was wrong, and maps to a stable code,
//! and the body it crosses every boundary as (the window's IPC, the command line's JSON, the
//! local API's replies), with the HTTP status that goes with it.

use serde::Serialize;

/// What went wrong, as the UI and the command line branch on it (never on message text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A value failed validation; `field` says which.
    Invalid,
    /// The email or mobile phone already belongs to another contact.
    Duplicate,
    /// No such contact, user or setting.
    NotFound,
    /// The acting user may not do this.
    Forbidden,
    /// Cannot Save Contact: the email or phone belongs to a contact the user may not access.
    CannotSave,
    /// The email or mobile phone belongs to another contact: saving means merging (the plan
    /// says how); save again with merge to confirm.
    MergeNeeded,
    /// Undo would collide with a later change.
    Conflict,
    /// The user canceled a long operation; nothing was changed.
    Canceled,
    /// A failure that is not the user's input (disk, database).
    Internal,
    /// The local API's caller gave no bearer token, or one that is not a user's.
    Unauthorized,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },

    #[error("{field} {value} already belongs to contact {other_id} ({other_name})")]
    Duplicate {
        field: &'static str,
        value: String,
        other_id: i64,
        other_name: String,
    },

    #[error("{0}")]
    NotFound(String),

    #[error("{0}")]
    Forbidden(String),

    #[error("Cannot Save Contact: {0}")]
    CannotSave(String),

    #[error("this email or mobile phone belongs to another contact: saving merges them (confirm with --merge)")]
    MergeNeeded(Box<crate::plan::MergePlan>),

    #[error("{0}")]
    Conflict(String),

    #[error("{0}")]
    Canceled(String),

    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("{0}")]
    Io(#[from] std::io::Error),

    #[error("{0}")]
    Internal(String),

    #[error("{0}")]
    Unauthorized(String),
}

impl Error {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::Duplicate { .. } => ErrorCode::Duplicate,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::Forbidden(_) => ErrorCode::Forbidden,
            Error::CannotSave(_) => ErrorCode::CannotSave,
            Error::MergeNeeded(_) => ErrorCode::MergeNeeded,
            Error::Conflict(_) => ErrorCode::Conflict,
            Error::Canceled(_) => ErrorCode::Canceled,
            Error::Database(_) | Error::Migrate(_) | Error::Io(_) | Error::Internal(_) => {
                ErrorCode::Internal
            }
            Error::Unauthorized(_) => ErrorCode::Unauthorized,
        }
    }

    /// The contact field this error concerns, so the window can show it at that field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::Invalid { field, .. } | Error::Duplicate { field, .. } => Some(field),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error as the window, the command line and the local API show it: callers branch on
/// `code` (and `field`), never on `message`.
#[derive(Debug, Clone, Serialize, specta::Type, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// The contact field the error concerns, so a form can show it there.
    pub field: Option<String>,
    /// With code merge_needed: what confirming the save would merge, for the merge dialog.
    pub plan: Option<crate::plan::MergePlan>,
}

impl From<Error> for ErrorBody {
    fn from(e: Error) -> Self {
        ErrorBody {
            code: e.code(),
            field: e.field().map(str::to_string),
            message: match &e {
                Error::Invalid { reason, .. } => reason.clone(),
                _ => e.to_string(),
            },
            plan: match e {
                Error::MergeNeeded(plan) => Some(*plan),
                _ => None,
            },
        }
    }
}

impl ErrorCode {
    /// The HTTP status an error with this code is answered with (CLI.md, the local REST API).
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Invalid => 422,
            ErrorCode::NotFound => 404,
            ErrorCode::Forbidden | ErrorCode::CannotSave => 403,
            ErrorCode::Duplicate | ErrorCode::MergeNeeded | ErrorCode::Conflict => 409,
            ErrorCode::Canceled => 499,
            ErrorCode::Internal => 500,
            ErrorCode::Unauthorized => 401,
        }
    }
}

/// `v` as JSON text, for a statement's parameter or a stored value; an encoding failure is an
/// internal error (every value core encodes is its own type).
pub(crate) fn json<T: Serialize + ?Sized>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}
