//! What a request may carry, checked before core is asked: a JSON body of at most 1 MB with
//! only the fields the document names (an unknown one is refused by name), a query string of
//! the documented parameters, and PATCH's null, which clears a field.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::reply::ApiError;
use crate::error::ErrorCode;
use crate::record::ContactFields;

/// The largest request body read (1 MB).
pub const MAX_BODY: usize = 1_000_000;
/// How much of a too-large body is read and dropped before the 413 goes out, so a client
/// still sending it reads the answer instead of a reset connection.
const DRAIN: usize = 16 * MAX_BODY;

/// A JSON body of type `T` (serde's `deny_unknown_fields` names a field it does not know).
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = read_json(req).await?;
        parse(&bytes).map(JsonBody)
    }
}

/// PATCH's body: the fields to change, where null (or "") clears a field and a field left
/// out stays as it is. Core's edit reads "" as "clear", so null becomes "".
pub(crate) struct Patch(pub ContactFields);

impl<S: Send + Sync> FromRequest<S> for Patch {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        let bytes = read_json(req).await?;
        let mut value: Value = parse(&bytes)?;
        let Some(fields) = value.as_object_mut() else {
            return Err(ApiError::bad_request(
                "the body is a JSON object of contact fields".into(),
            ));
        };
        for (name, v) in fields.iter_mut() {
            if v.is_null() {
                if name == "has_consent" {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::Invalid,
                        "has_consent cannot be cleared: give true or false",
                        Some(name.clone()),
                    ));
                }
                *v = Value::String(String::new());
            }
        }
        parse_value(value).map(Patch)
    }
}

/// The query string as `T` (unknown parameters refused by name).
pub(crate) struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(t)| Params(t))
            .map_err(|e| {
                // "Failed to deserialize query string: limit: invalid digit found in string"
                let text = e.body_text();
                let mut error = ApiError::bad_request(text.clone());
                if error.field().is_none() {
                    let named = text
                        .split_once("query string: ")
                        .and_then(|(_, rest)| rest.split_once(": "))
                        .map(|(name, _)| name)
                        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                    error.set_field(named.map(str::to_string));
                }
                error
            })
    }
}

/// The body's bytes, when it says it is JSON and is no larger than MAX_BODY.
async fn read_json(req: Request) -> Result<Vec<u8>, ApiError> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Invalid,
            "the body must be JSON, sent with Content-Type: application/json",
            None,
        ));
    }
    let mut stream = req.into_body().into_data_stream();
    let mut bytes = Vec::new();
    let mut read = 0;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(format!("cannot read the body: {e}")))?;
        read += chunk.len();
        if read > MAX_BODY {
            drain(stream, read).await;
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::Invalid,
                format!("the body is larger than {MAX_BODY} bytes"),
                None,
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

async fn drain(mut stream: axum::body::BodyDataStream, mut read: usize) {
    while read <= DRAIN {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len(),
            _ => return,
        }
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(refusal)?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))?;
    Ok(value)
}

fn parse_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(refusal)
}

/// Why a body was refused, naming the field where serde could.
fn refusal(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::bad_request(format!("the body is not JSON: {inner}"));
    }
    let message = inner.to_string();
    let mut error = ApiError::bad_request(message.clone());
    let named = error.field().map(str::to_string);
    let field = match (named, path.as_str()) {
        (Some(name), ".") => Some(name),
        (Some(name), at) if at == name || at.ends_with(&format!(".{name}")) => Some(path),
        (Some(name), parent) => Some(format!("{parent}.{name}")),
        (None, ".") => None,
        (None, _) => Some(path),
    };
    error.set_field(field);
    error
}
