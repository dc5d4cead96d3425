//! The local API's OpenAPI 3.1 document, derived from the handlers and their Rust types
//! (utoipa): served at /openapi.json and committed as docs/openapi.json, which a test
//! rewrites when it is stale (so `make openapi`, and CI, fail until it is committed).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{Modify, OpenApi};

use super::{contacts, Api};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cardfile local API",
        description = "Add, read, update and delete the contacts of Cardfile on this computer, and \
            record activities, from other programs. It listens on 127.0.0.1 only. Every request \
            needs `Authorization: Bearer TOKEN`, where TOKEN is the acting user's \
            (`cardfile api token`); roles apply as in the window. Requests from browsers (an \
            Origin header, a Host other than the loopback address) are refused.",
        license(name = "MIT"),
    ),
    paths(
        contacts::list,
        contacts::create,
        contacts::show,
        contacts::update,
        contacts::delete,
        contacts::history,
        contacts::record_activity,
        document,
    ),
    modifiers(&Refusals),
    security(("bearer" = [])),
)]
struct Doc;

/// The document, as served and committed.
pub fn json() -> String {
    let mut text = Doc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", operation_id = "openapi", tag = "document",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API", body = serde_json::Value)))]
pub(super) async fn document(State(api): State<Api>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        api.document.to_string(),
    )
}

/// What any request may be answered before its handler runs: the bearer scheme, 401 and 403
/// on every operation; 400 for a query or body that does not fit; 413 and 415 for a body.
struct Refusals;

impl Modify for Refusals {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The acting user's token: `cardfile api token`"))
                    .build(),
            ),
        );
        for item in doc.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for op in operations.into_iter().flatten() {
                add(op, "400", "The query string or the body does not fit this document: `field` names what is wrong");
                add(
                    op,
                    "401",
                    "unauthorized: no bearer token, or one that is not a user's",
                );
                add(op, "403", "forbidden: a browser's request (an Origin header, or a Host other than the loopback address), or an action the user's role does not allow; cannot_save: the email or mobile phone belongs to a contact the user may not access");
                if op.request_body.is_some() {
                    add(op, "413", "The body is larger than 1 MB");
                    add(op, "415", "The body is not sent as application/json");
                }
            }
        }
    }
}

/// Adds an error response with `status` to `op`, unless it documents that status already.
fn add(op: &mut Operation, status: &str, description: &str) {
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert(RefOr::T(response));
}

#[cfg(test)]
mod tests {
    /// docs/openapi.json is this document: rewritten here when it differs, so a stale copy
    /// shows in `git diff` (`make openapi` fails on it, as `make bindings` does for the UI).
    #[test]
    fn openapi_document_is_committed() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let text = super::json();
        assert!(text.contains("\"openapi\": \"3.1.0\""));
        for p in [
            "/v1/contacts",
            "/v1/contacts/{id}/history",
            "/v1/activities",
        ] {
            assert!(text.contains(&format!("\"{p}\"")), "{p} is documented");
        }
        if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(path, &text).unwrap();
        }
    }
}
