//! The local API's handlers (CLI.md, "The local REST API"): each is one call of the Session
//! method the window and the command line make, as the user the request's token names.

use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::auth::Acting;
use super::body::{JsonBody, Params, Patch};
use super::reply::{ApiError, ContactList, HistoryList, ListObject};
use crate::activity::{NewActivity, Recorded};
use crate::error::ErrorBody;
use crate::record::{Contact, ContactFields};

/// How many contacts a page holds when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 100;

/// The query of `GET /v1/contacts`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Word prefixes to match in names, email, phones and company, case-insensitively.
    search: Option<String>,
    /// How many contacts the page holds: 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
    /// The last contact id of the previous page: this page starts after it.
    after: Option<String>,
}

/// The query of a save: `merge=true` confirms the merge a 409 described.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MergeParams {
    /// Merge with the contacts holding this email or mobile phone, as the 409's plan says.
    #[serde(default)]
    merge: bool,
}

/// The contacts you may see, in id order, a page at a time.
#[utoipa::path(get, path = "/v1/contacts", operation_id = "list_contacts", tag = "contacts", params(ListParams),
    responses(
        (status = 200, description = "A page of contacts", body = ContactList),
        (status = 422, description = "limit or after is not valid", body = ErrorBody),
    ))]
pub(super) async fn list(
    Acting(session): Acting,
    Params(p): Params<ListParams>,
) -> Result<Json<ContactList>, ApiError> {
    let page = session
        .list_after(
            p.search.as_deref().unwrap_or(""),
            p.after.as_deref(),
            p.limit.unwrap_or(DEFAULT_LIMIT),
        )
        .await?;
    Ok(Json(ContactList {
        object: ListObject::List,
        data: page.rows,
        has_more: page.has_more,
    }))
}

/// Adds a contact; its email or mobile phone held by another contact means a merge.
#[utoipa::path(post, path = "/v1/contacts", operation_id = "create_contact", tag = "contacts", params(MergeParams), request_body = ContactFields,
    responses(
        (status = 201, description = "Added (or, with merge=true, merged: the survivor)", body = Contact),
        (status = 409, description = "merge_needed: another contact holds this email or mobile phone; `plan` says what merge=true does", body = ErrorBody),
        (status = 422, description = "A field's value is not valid; `field` names it", body = ErrorBody),
    ))]
pub(super) async fn create(
    Acting(session): Acting,
    Params(p): Params<MergeParams>,
    JsonBody(fields): JsonBody<ContactFields>,
) -> Result<(StatusCode, Json<Contact>), ApiError> {
    let contact = session.add(&fields, None, p.merge).await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// One contact.
#[utoipa::path(get, path = "/v1/contacts/{id}", operation_id = "get_contact", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact", body = Contact),
        (status = 404, description = "No such contact, or not one you may see", body = ErrorBody),
    ))]
pub(super) async fn show(
    Acting(session): Acting,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(session.get(&id).await?))
}

/// Changes the fields given: null or "" clears a field, a field left out stays as it is.
#[utoipa::path(patch, path = "/v1/contacts/{id}", operation_id = "update_contact", tag = "contacts",
    params(("id" = String, Path, description = "The contact's id"), MergeParams),
    request_body(content = ContactFields, description = "The fields to change; null or \"\" clears one (has_consent takes true or false only)"),
    responses(
        (status = 200, description = "The contact as saved (with merge=true, the survivor)", body = Contact),
        (status = 404, description = "No such contact, or not one you may see", body = ErrorBody),
        (status = 409, description = "merge_needed: another contact holds this email or mobile phone; `plan` says what merge=true does", body = ErrorBody),
        (status = 422, description = "A field's value is not valid; `field` names it", body = ErrorBody),
    ))]
pub(super) async fn update(
    Acting(session): Acting,
    axum::extract::Path(id): axum::extract::Path<String>,
    Params(p): Params<MergeParams>,
    Patch(fields): Patch,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(session.edit(&id, &fields, p.merge).await?))
}

/// Deletes a contact permanently (not undoable).
#[utoipa::path(delete, path = "/v1/contacts/{id}", operation_id = "delete_contact", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such contact, or not one you may see", body = ErrorBody),
    ))]
pub(super) async fn delete(
    Acting(session): Acting,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<StatusCode, ApiError> {
    session.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who changed a contact, what and when, oldest first.
#[utoipa::path(get, path = "/v1/contacts/{id}/history", operation_id = "contact_history", tag = "contacts", params(("id" = String, Path, description = "The contact's id")),
    responses(
        (status = 200, description = "The contact's history", body = HistoryList),
        (status = 404, description = "No such contact, or not one you may see", body = ErrorBody),
    ))]
pub(super) async fn history(
    Acting(session): Acting,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<HistoryList>, ApiError> {
    Ok(Json(HistoryList {
        object: ListObject::List,
        data: session.history(&id).await?,
        has_more: false,
    }))
}

/// Records a meeting, chat or routing-form submission; its contact is found by email, then
/// mobile phone, or created (as `cardfile activities add` does).
#[utoipa::path(post, path = "/v1/activities", operation_id = "record_activity", tag = "activities", request_body = NewActivity,
    responses(
        (status = 201, description = "Recorded", body = Recorded),
        (status = 422, description = "A value is not valid; `field` names it", body = ErrorBody),
    ))]
pub(super) async fn record_activity(
    Acting(session): Acting,
    JsonBody(new): JsonBody<NewActivity>,
) -> Result<(StatusCode, Json<Recorded>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(session.record_activity(&new).await?),
    ))
}
