//! The fake itself refuses what the real services refuse (unknown tokens, unescaped SOQL
//! quotes, unknown properties, a wrong PKCE verifier), so the tests above can fail.

use reqwest::{Client, Method, Response};
use serde_json::{json, Value};

use crate::fake_integrations::{browser, FakeIntegrations, Fault};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().build().unwrap()
}

async fn call(method: Method, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(method, url);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    read(request.send().await.unwrap()).await
}

async fn read(reply: Response) -> (u16, Value) {
    let status = reply.status().as_u16();
    let text = reply.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_fake_refuses_unknown_tokens_bad_soql_and_unknown_fields_as_the_services_do() {
    let fake = FakeIntegrations::start().await;
    let base = fake.base_url();
    let search = format!("{base}/crm/v3/objects/contacts/search");
    let (status, body) = call(Method::POST, &search, Some("nope"), Some(json!({}))).await;
    assert_eq!(
        (status, body["category"].as_str()),
        (401, Some("INVALID_AUTHENTICATION"))
    );
    let google_token = fake.issue_token("google");
    let (status, _) = call(Method::POST, &search, Some(&google_token), Some(json!({}))).await;
    assert_eq!(status, 401, "a Google token does not open HubSpot");
    let token = fake.issue_token("any");
    let id = fake.add_hubspot_contact(json!({"email": "a@x.com", "mobilephone": "+1"}));
    let contact = format!("{base}/crm/v3/objects/contacts/{id}");
    let (status, body) = call(
        Method::PATCH,
        &contact,
        Some(&token),
        Some(json!({"properties": {"mobile_phone": "+2"}})),
    )
    .await;
    assert_eq!(
        (status, body["category"].as_str()),
        (400, Some("VALIDATION_ERROR"))
    );
    let (status, _) = call(
        Method::PATCH,
        &contact,
        Some(&token),
        Some(json!({"properties": {"mobilephone": ""}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        fake.hubspot_contact(&id).unwrap(),
        json!({"email": "a@x.com"}),
        "cleared"
    );
    let plain = client()
        .patch(&contact)
        .bearer_auth(&token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 415, "JSON must be sent as JSON");
    // SOQL: a bare quote ends the literal; an escaped one does not.
    fake.add_salesforce("Contact", "003Q", Some("o'b@x.com"), None, None);
    let query = format!("{base}/services/data/v59.0/query");
    for (soql, want) in [
        (
            r"SELECT Id FROM Contact WHERE Email = 'o\'b@x.com' LIMIT 2",
            200,
        ),
        (
            "SELECT Id FROM Contact WHERE Email = 'o'b@x.com' LIMIT 2",
            400,
        ),
        ("SELECT Id FROM Contact WHERE Mail = 'x' LIMIT 2", 400),
    ] {
        let reply = client()
            .get(&query)
            .query(&[("q", soql)])
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let (status, body) = read(reply).await;
        assert_eq!(status, want, "{soql}: {body}");
        if want == 200 {
            assert_eq!(body["records"][0]["Id"], "003Q");
        }
    }
    let record = format!("{base}/services/data/v59.0/sobjects/Contact/003Q");
    let (status, body) = call(
        Method::PATCH,
        &record,
        Some(&token),
        Some(json!({"Company": "X"})),
    )
    .await;
    assert_eq!(
        (status, body[0]["errorCode"].as_str()),
        (400, Some("INVALID_FIELD")),
        "a Contact has no Company"
    );
    let (status, body) = call(
        Method::GET,
        &format!("{}/me/events/none", fake.graph_url()),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );
    fake.add_google_event("primary", "e1", "2031-01-01T00:00:00Z", json!([]));
    let event = format!("{base}/calendar/v3/calendars/primary/events/e1?sendUpdates=everyone");
    let (status, _) = call(
        Method::PATCH,
        &event,
        Some(&token),
        Some(json!({"attendees": []})),
    )
    .await;
    assert_eq!(status, 400, "sendUpdates is none, externalOnly or all");
    fake.expire_token(&token);
    let (status, body) = call(Method::GET, &record, Some(&token), None).await;
    assert_eq!(
        (status, body[0]["errorCode"].as_str()),
        (401, Some("INVALID_SESSION_ID"))
    );
}

#[tokio::test]
async fn the_fake_oauth_server_checks_the_pkce_verifier_and_can_refuse_a_refresh() {
    let fake = FakeIntegrations::start().await;
    let verifier = "a-verifier-long-enough-for-pkce-0123456789abcdef";
    let authorize = format!(
        "{}?response_type=code&client_id=c1&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback\
         &state=s1&code_challenge={}&code_challenge_method=S256",
        fake.authorize_url(),
        FakeIntegrations::challenge_of(verifier)
    );
    let exchange = |code: String, verifier: &'static str| {
        let url = fake.token_url();
        async move {
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1:9/callback"),
                ("client_id", "c1"),
                ("code_verifier", verifier),
            ];
            read(client().post(url).form(&form).send().await.unwrap()).await
        }
    };
    let code_of = |page: browser::Page| {
        let location = page.location.unwrap();
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
                .into_owned()
                .collect();
        assert!(pairs.contains(&("state".into(), "s1".into())));
        pairs.into_iter().find(|(k, _)| k == "code").unwrap().1
    };
    let code = code_of(browser::get(&authorize).await.unwrap());
    let (status, body) = exchange(
        code.clone(),
        "the-wrong-verifier-0123456789abcdef0123456789",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = exchange(code, verifier).await;
    assert_eq!(status, 400, "a code is good for one try");
    let code = code_of(browser::get(&authorize).await.unwrap());
    let (status, body) = exchange(code, verifier).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("instance_url").is_none(),
        "only a Salesforce client is told its instance"
    );
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    let renew = || {
        let url = fake.token_url();
        let refresh = refresh.clone();
        async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("client_id", "c1"),
            ];
            read(client().post(url).form(&form).send().await.unwrap()).await
        }
    };
    let (status, body) = renew().await;
    assert_eq!(status, 200);
    assert!(fake.token_valid(body["access_token"].as_str().unwrap()));
    fake.refresh_fails(true);
    let (status, body) = renew().await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn the_fake_injects_queued_faults_by_method_and_path_prefix() {
    let fake = FakeIntegrations::start().await;
    let token = fake.issue_token("hubspot");
    let id = fake.add_hubspot_contact(json!({"email": "a@x.com"}));
    let contact = format!("{}/crm/v3/objects/contacts/{id}", fake.base_url());
    fake.fault("PATCH /crm/v3/", Fault::RetryAfter(429, 7));
    fake.fault("PATCH /crm/v3/", Fault::Drop);
    let (status, _) = call(Method::GET, &contact, Some(&token), None).await;
    assert_eq!(status, 200, "a GET is not a PATCH");
    let patch = || {
        client()
            .patch(&contact)
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(json!({"properties": {"email": "b@x.com"}}).to_string())
            .send()
    };
    let limited = patch().await.unwrap();
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert!(patch().await.is_err(), "the connection was dropped");
    assert_eq!(
        fake.hubspot_contact(&id).unwrap()["email"],
        "a@x.com",
        "nothing applied"
    );
    assert_eq!(patch().await.unwrap().status().as_u16(), 200);
    let log = fake.requests();
    let statuses: Vec<(u16, bool)> = log.iter().map(|r| (r.status, r.landed())).collect();
    assert_eq!(
        statuses,
        vec![(200, true), (429, false), (0, false), (200, true)]
    );
    assert_eq!(log[3].bearer(), Some(token.as_str()));
    assert_eq!(log[3].body["properties"]["email"], "b@x.com");
}
