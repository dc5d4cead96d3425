//! Every endpoint doing its work: list, search and page; get, create, update, delete;
//! history; activities; merges and roles as in the window; the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{assert_error, sql, Served};

fn ids(list: &Value) -> Vec<String> {
    assert_eq!(list["object"], "list", "{list}");
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_page_in_id_order_with_after_and_search() {
    let s = Served::start();
    let mut added = Vec::new();
    for (first, email) in [
        ("Zoe", "zoe@example.com"),
        ("Adam", "adam@example.com"),
        ("Mia", "mia@example.com"),
        ("Adele", "adele@example.com"),
        ("Bob", "bob@example.com"),
    ] {
        let c = s.add(json!({"first_name": first, "email": email})).await;
        added.push(c["id"].as_str().unwrap().to_string());
    }
    let (status, page) = s.call(Method::GET, "/v1/contacts?limit=2", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), added[..2]);
    assert_eq!(page["has_more"], true);
    let (_, page) = s
        .call(
            Method::GET,
            &format!("/v1/contacts?limit=2&after={}", added[1]),
            None,
        )
        .await;
    assert_eq!(ids(&page), added[2..4]);
    assert_eq!(page["has_more"], true);
    // The cursor stays put when the contact it names is gone.
    s.call(Method::DELETE, &format!("/v1/contacts/{}", added[3]), None)
        .await;
    let (_, page) = s
        .call(
            Method::GET,
            &format!("/v1/contacts?limit=2&after={}", added[3]),
            None,
        )
        .await;
    assert_eq!(ids(&page), added[4..]);
    assert_eq!(page["has_more"], false);
    // Word prefixes, case-insensitively, paged the same way.
    let (_, page) = s
        .call(Method::GET, "/v1/contacts?search=AD&limit=1", None)
        .await;
    assert_eq!(ids(&page), [added[1].clone()]);
    assert_eq!(page["has_more"], false, "Adele was deleted");
    let (_, page) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 4);
    assert_eq!(page["data"][0]["email"], "zoe@example.com");
    assert_eq!(page["data"][0]["owner"], "owner@cardfile.local");
    for bad in ["limit=0", "limit=1001", "after=abc"] {
        let reply = s
            .call(Method::GET, &format!("/v1/contacts?{bad}"), None)
            .await;
        assert_error(&reply, 422, "invalid");
        assert_eq!(reply.1["field"], bad.split('=').next().unwrap());
    }
}

#[tokio::test]
async fn a_contact_is_created_read_and_its_history_listed() {
    let s = Served::start();
    let c = s
        .add(
            json!({"first_name": "Ann", "last_name": "Lee", "email": " Ann@Example.com ",
                    "mobile_phone": "+44 7911 123456", "has_consent": true}),
        )
        .await;
    assert_eq!(c["email"], "ann@example.com");
    assert_eq!(c["mobile_phone"], "+447911123456");
    assert_eq!(c["company"], Value::Null);
    let id = c["id"].as_str().unwrap();
    let (status, shown) = s
        .call(Method::GET, &format!("/v1/contacts/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, c);
    s.call(
        Method::PATCH,
        &format!("/v1/contacts/{id}"),
        Some(json!({"company": "Acme"})),
    )
    .await;
    let (status, history) = s
        .call(Method::GET, &format!("/v1/contacts/{id}/history"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(history["object"], "list");
    assert_eq!(history["has_more"], false);
    let kinds: Vec<&str> = history["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["add", "edit"]);
    assert_eq!(history["data"][1]["changes"][0]["after"], "Acme");
    assert_eq!(history["data"][1]["user"], "owner@cardfile.local");
    // The change feed records these changes as the API's.
    assert_eq!(
        sql(&s.db, "SELECT group_concat(DISTINCT source) FROM changes"),
        "api"
    );
    let reply = s.call(Method::GET, "/v1/contacts/999", None).await;
    assert_error(&reply, 404, "not_found");
    let reply = s
        .call(
            Method::POST,
            "/v1/contacts",
            Some(json!({"first_name": "No Id"})),
        )
        .await;
    assert_error(&reply, 422, "invalid");
    assert_eq!(reply.1["field"], "email");
}

#[tokio::test]
async fn patch_clears_fields_set_to_null_or_empty_and_leaves_the_others() {
    let s = Served::start();
    let c = s
        .add(
            json!({"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
                    "company": "Acme", "city": "Leeds", "has_consent": true}),
        )
        .await;
    let path = format!("/v1/contacts/{}", c["id"].as_str().unwrap());
    let (status, edited) = s
        .call(
            Method::PATCH,
            &path,
            Some(json!({"company": null, "city": "", "job_title": "Buyer"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["company"], Value::Null);
    assert_eq!(edited["city"], Value::Null);
    assert_eq!(edited["job_title"], "Buyer");
    for kept in [
        "first_name",
        "last_name",
        "email",
        "has_consent",
        "created_at",
    ] {
        assert_eq!(edited[kept], c[kept], "{kept}");
    }
    // Consent is true or false: it cannot be cleared, and nothing else changes either.
    let reply = s
        .call(
            Method::PATCH,
            &path,
            Some(json!({"has_consent": null, "first_name": "X"})),
        )
        .await;
    assert_error(&reply, 422, "invalid");
    assert_eq!(reply.1["field"], "has_consent");
    // The identifiers cannot both go.
    let reply = s
        .call(Method::PATCH, &path, Some(json!({"email": null})))
        .await;
    assert_error(&reply, 422, "invalid");
    let (_, now) = s.call(Method::GET, &path, None).await;
    assert_eq!(now, edited);
}

#[tokio::test]
async fn delete_answers_204_and_then_the_contact_is_not_found() {
    let s = Served::start();
    let c = s.add(json!({"email": "gone@example.com"})).await;
    let path = format!("/v1/contacts/{}", c["id"].as_str().unwrap());
    let (status, body) = s.call(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    assert_error(&s.call(Method::GET, &path, None).await, 404, "not_found");
    assert_error(&s.call(Method::DELETE, &path, None).await, 404, "not_found");
    assert_error(
        &s.call(Method::GET, &format!("{path}/history"), None).await,
        404,
        "not_found",
    );
    assert_error(
        &s.call(Method::PATCH, &path, Some(json!({"city": "Leeds"})))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_save_meeting_another_contacts_email_answers_409_with_the_plan_then_merges() {
    let s = Served::start();
    let ann = s
        .add(json!({"first_name": "Ann", "email": "ann@example.com", "city": "Leeds"}))
        .await;
    let ann_id = ann["id"].as_str().unwrap();
    let entry = json!({"first_name": "Anne", "email": "ANN@example.com", "company": "Acme"});
    let reply = s
        .call(Method::POST, "/v1/contacts", Some(entry.clone()))
        .await;
    assert_error(&reply, 409, "merge_needed");
    let plan = &reply.1["plan"];
    assert_eq!(plan["merge_with"], json!([ann_id]));
    let action = |field: &str| {
        plan["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .map(|f| f["action"].as_str().unwrap().to_string())
    };
    assert_eq!(action("first_name").as_deref(), Some("replace"));
    assert_eq!(action("company").as_deref(), Some("fill"));
    assert_eq!(action("city").as_deref(), Some("keep"));
    // Nothing changed yet.
    let (_, list) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(list["data"], json!([ann]));
    let (status, merged) = s
        .call(Method::POST, "/v1/contacts?merge=true", Some(entry))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{merged}");
    assert_eq!(merged["id"], ann_id);
    assert_eq!(merged["first_name"], "Anne");
    assert_eq!(merged["company"], "Acme");
    assert_eq!(merged["city"], "Leeds");

    // An update that takes another contact's email: the holder survives, the edited folds in.
    let bo = s
        .add(json!({"first_name": "Bo", "mobile_phone": "+447911000111"}))
        .await;
    let bo_path = format!("/v1/contacts/{}", bo["id"].as_str().unwrap());
    let patch = json!({"email": "ann@example.com"});
    let reply = s.call(Method::PATCH, &bo_path, Some(patch.clone())).await;
    assert_error(&reply, 409, "merge_needed");
    assert_eq!(
        reply.1["plan"]["merge_with"],
        json!([ann_id, bo["id"].as_str().unwrap()])
    );
    let (status, survivor) = s
        .call(Method::PATCH, &format!("{bo_path}?merge=true"), Some(patch))
        .await;
    assert_eq!(status, StatusCode::OK, "{survivor}");
    assert_eq!(survivor["id"], ann_id);
    assert_eq!(survivor["mobile_phone"], "+447911000111");
    assert_error(&s.call(Method::GET, &bo_path, None).await, 404, "not_found");
}

#[tokio::test]
async fn a_member_sees_only_their_contacts_and_cannot_save_over_another_users() {
    let s = Served::start();
    let owners = s
        .add(json!({"first_name": "Olga", "email": "olga@example.com"}))
        .await;
    s.add_user("mia@example.com", "member");
    let mia = s.token_of(Some("mia@example.com"));
    let (status, hers) = s
        .call_as(
            Some(&mia),
            Method::POST,
            "/v1/contacts",
            Some(json!({"first_name": "Hal", "email": "hal@example.com"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hers}");
    assert_eq!(hers["owner"], "mia@example.com");
    let (_, list) = s
        .call_as(Some(&mia), Method::GET, "/v1/contacts", None)
        .await;
    assert_eq!(list["data"], json!([hers]));
    let (_, all) = s.call(Method::GET, "/v1/contacts", None).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let olga = format!("/v1/contacts/{}", owners["id"].as_str().unwrap());
    assert_error(
        &s.call_as(Some(&mia), Method::GET, &olga, None).await,
        404,
        "not_found",
    );
    // Saving Olga's email as hers would merge a contact she may not access.
    for merge in ["", "?merge=true"] {
        let reply = s
            .call_as(
                Some(&mia),
                Method::POST,
                &format!("/v1/contacts{merge}"),
                Some(json!({"first_name": "Olga", "email": "olga@example.com"})),
            )
            .await;
        assert_error(&reply, 403, "cannot_save");
        let message = reply.1["message"].as_str().unwrap();
        assert!(message.starts_with("Cannot Save Contact"), "{message}");
        assert!(message.contains("Ask your administrator"), "{message}");
    }
    let (_, after) = s.call(Method::GET, &olga, None).await;
    assert_eq!(after, owners);
}

#[tokio::test]
async fn an_activity_is_recorded_and_creates_its_contact() {
    let s = Served::start();
    let (status, recorded) = s
        .call(
            Method::POST,
            "/v1/activities",
            Some(json!({
                "kind": "meeting",
                "fields": {"first_name": "Cy", "email": "cy@example.com"},
                "status": "scheduled",
                "starts_at": "2030-05-01T10:00:00Z",
                "ends_at": "2030-05-01T10:30:00Z"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    assert_eq!(recorded["kind"], "meeting");
    assert_eq!(recorded["created_contact"], true);
    let id = recorded["contact_id"].as_str().unwrap();
    let (_, contact) = s
        .call(Method::GET, &format!("/v1/contacts/{id}"), None)
        .await;
    assert_eq!(contact["email"], "cy@example.com");
    let reply = s
        .call(
            Method::POST,
            "/v1/activities",
            Some(json!({"fields": {"email": "cy@example.com"}})),
        )
        .await;
    assert_error(&reply, 422, "invalid");
    assert_eq!(reply.1["field"], "kind");
}

#[tokio::test]
async fn the_openapi_document_is_served_as_committed() {
    let s = Served::start();
    let (status, served) = s.call(Method::GET, "/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json"))
            .unwrap(),
    )
    .unwrap();
    assert!(
        served == committed,
        "the served document is not docs/openapi.json: `make openapi` regenerates it"
    );
    assert_eq!(served["openapi"], "3.1.0");
    for path in [
        "/v1/contacts",
        "/v1/contacts/{id}",
        "/v1/contacts/{id}/history",
        "/v1/activities",
    ] {
        assert!(served["paths"][path].is_object(), "{path}");
    }
    assert_error(
        &s.call_as(None, Method::GET, "/openapi.json", None).await,
        401,
        "unauthorized",
    );
}
