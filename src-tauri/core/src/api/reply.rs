//! What the local API answers: core's ErrorBody with the HTTP status its code goes with (or
//! the status of a refusal made before core is asked), and the list envelope.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{Error, ErrorBody, ErrorCode};
use crate::history::HistoryEntry;
use crate::record::Contact;

/// An error reply: `{"code", "message", "field", "plan"}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// A refusal of the request itself (its headers, query or body), before core is asked.
    pub(crate) fn new(
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
        field: Option<String>,
    ) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code,
                message: message.into(),
                field,
                plan: None,
            },
        }
    }

    /// A request whose query or body does not fit the document: 400, naming the field when
    /// serde named one ("unknown field `x`", "missing field `y`").
    pub(crate) fn bad_request(message: String) -> ApiError {
        let field = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|lead| {
                let (_, rest) = message.split_once(lead)?;
                rest.split_once('`').map(|(name, _)| name.to_string())
            });
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::Invalid, message, field)
    }
}

impl ApiError {
    pub(crate) fn field(&self) -> Option<&str> {
        self.body.field.as_deref()
    }

    pub(crate) fn set_field(&mut self, field: Option<String>) {
        self.body.field = field;
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let mut body = ErrorBody::from(e);
        if body.code == ErrorCode::MergeNeeded {
            // Core's message names the command line's flag; here the same call confirms it.
            body.message = "this email or mobile phone belongs to another contact: saving merges \
                            them as the plan says (confirm with ?merge=true)"
                .into();
        }
        ApiError {
            status: StatusCode::from_u16(body.code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// What every list's `object` says.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListObject {
    List,
}

/// A page of contacts; the next page is asked for with `after` = the last id of this one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ContactList {
    pub object: ListObject,
    pub data: Vec<Contact>,
    /// Whether contacts follow this page.
    pub has_more: bool,
}

/// A contact's history, oldest change first (always one page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryList {
    pub object: ListObject,
    pub data: Vec<HistoryEntry>,
    pub has_more: bool,
}
