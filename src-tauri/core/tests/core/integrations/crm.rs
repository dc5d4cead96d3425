//! HubSpot and Salesforce: the record is found by the previous email (then by phone), the
//! id found is used next time, and only values that are set are sent.

use serde_json::json;

use super::{email_search, lines, Wired, SEARCH};

#[tokio::test]
async fn an_email_edit_updates_the_hubspot_record_found_by_the_previous_email_without_empty_values()
{
    let w = Wired::new().await;
    let token = w.connect("hubspot").await;
    let other = w
        .fake
        .add_hubspot_contact(json!({"email": "someone@else.com"}));
    let id = w.fake.add_hubspot_contact(json!({
        "email": "old@x.com",
        "mobilephone": "+447911123401",
        "phone": "+12025550101",
        "firstname": "Olga",
    }));
    let c = w
        .add(&[
            ("first_name", "Olga"),
            ("last_name", "Old"),
            ("email", "old@x.com"),
            ("mobile_phone", "+447911123401"),
            ("phone", "+12025550101"),
        ])
        .await;
    w.sync().await;
    assert!(
        w.fake.requests().is_empty(),
        "a new contact is not sent to a CRM: {:?}",
        w.fake.lines()
    );
    w.edit(&c.id, &[("email", "new@x.com"), ("mobile_phone", "")])
        .await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            SEARCH.to_string(),
            format!("PATCH /crm/v3/objects/contacts/{id}")
        ]
    );
    assert_eq!(sent[0].body, email_search("old@x.com"));
    assert_eq!(
        sent[1].body,
        json!({"properties": {"email": "new@x.com", "phone": "+12025550101"}}),
        "the cleared mobile phone is left out, not sent as \"\""
    );
    for r in &sent {
        assert_eq!(r.bearer(), Some(token.as_str()));
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
    }
    let record = w.fake.hubspot_contact(&id).unwrap();
    assert_eq!(record["email"], "new@x.com");
    assert_eq!(
        record["mobilephone"], "+447911123401",
        "HubSpot keeps its mobile phone"
    );
    assert_eq!(
        w.fake.hubspot_contact(&other).unwrap(),
        json!({"email": "someone@else.com"})
    );
    let items = w.items("hubspot").await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, "sent");
}

#[tokio::test]
async fn the_hubspot_id_found_once_is_used_the_second_time_without_a_search() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    let id = w
        .fake
        .add_hubspot_contact(json!({"email": "ann@x.com", "phone": "+12025550102"}));
    let c = w
        .add(&[
            ("first_name", "Ann"),
            ("email", "ann@x.com"),
            ("phone", "+12025550102"),
        ])
        .await;
    w.edit(&c.id, &[("email", "ann@new.com")]).await;
    w.drain().await;
    assert_eq!(w.fake.requests_to(SEARCH).len(), 1);
    w.fake.clear_requests();
    w.edit(&c.id, &[("mobile_phone", "+447911123402")]).await;
    w.drain().await;
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![format!("PATCH /crm/v3/objects/contacts/{id}")],
        "straight to the record found last time"
    );
    assert_eq!(
        sent[0].body,
        json!({"properties": {"email": "ann@new.com", "mobilephone": "+447911123402",
            "phone": "+12025550102"}})
    );
    let record = w.fake.hubspot_contact(&id).unwrap();
    assert_eq!(record["mobilephone"], "+447911123402");
}

#[tokio::test]
async fn a_hubspot_record_is_found_by_phone_when_no_email_matches() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    let id = w
        .fake
        .add_hubspot_contact(json!({"mobilephone": "+447911123403"}));
    let c = w
        .add(&[
            ("first_name", "Phil"),
            ("email", "phil@x.com"),
            ("mobile_phone", "+447911123403"),
        ])
        .await;
    w.edit(&c.id, &[("email", "phil@new.com")]).await;
    w.drain().await;
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            SEARCH.to_string(),
            SEARCH.to_string(),
            format!("PATCH /crm/v3/objects/contacts/{id}")
        ]
    );
    assert_eq!(
        sent[1].body,
        json!({
            "filterGroups": [
                {"filters": [{"propertyName": "phone", "operator": "EQ", "value": "+447911123403"}]},
                {"filters": [{"propertyName": "mobilephone", "operator": "EQ", "value": "+447911123403"}]},
            ],
            "properties": ["email", "phone", "mobilephone"],
            "limit": 2,
        })
    );
    assert_eq!(
        w.fake.hubspot_contact(&id).unwrap()["email"],
        "phil@new.com"
    );
}

#[tokio::test]
async fn salesforce_finds_a_lead_when_no_contact_matches_and_escapes_quotes_in_soql() {
    let w = Wired::new().await;
    let token = w.connect("salesforce").await;
    w.fake.add_salesforce(
        "Contact",
        "0030000000000AA",
        Some("obrien@x.com"),
        None,
        None,
    );
    w.fake.add_salesforce(
        "Lead",
        "00Q0000000000BB",
        Some("o'brien@x.com"),
        None,
        Some("+447911123404"),
    );
    let c = w
        .add(&[
            ("first_name", "Pat"),
            ("last_name", "O'Brien"),
            ("email", "o'brien@x.com"),
            ("mobile_phone", "+447911123404"),
        ])
        .await;
    w.edit(&c.id, &[("email", "pat@new.com")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0, "{:?}", w.items("salesforce").await);
    let sent = w.fake.requests();
    let queries: Vec<String> = sent
        .iter()
        .filter(|r| r.path == "/services/data/v59.0/query")
        .map(|r| r.query_param("q").unwrap())
        .collect();
    assert_eq!(
        queries,
        vec![
            r"SELECT Id FROM Contact WHERE Email = 'o\'brien@x.com' LIMIT 2".to_string(),
            "SELECT Id FROM Contact WHERE Phone = '+447911123404' OR MobilePhone = '+447911123404' LIMIT 2"
                .to_string(),
            r"SELECT Id FROM Lead WHERE Email = 'o\'brien@x.com' LIMIT 2".to_string(),
        ]
    );
    assert!(
        sent.iter().all(|r| r.status != 400),
        "every query parsed: {:?}",
        sent.iter()
            .map(|r| (r.line(), r.status))
            .collect::<Vec<_>>()
    );
    let patch = sent.last().unwrap();
    assert_eq!(
        patch.line(),
        "PATCH /services/data/v59.0/sobjects/Lead/00Q0000000000BB"
    );
    assert_eq!(patch.status, 204);
    assert_eq!(
        patch.body,
        json!({"Email": "pat@new.com", "MobilePhone": "+447911123404"})
    );
    assert_eq!(patch.bearer(), Some(token.as_str()));
    assert_eq!(
        w.fake.salesforce("Lead", "00Q0000000000BB").unwrap(),
        json!({"Email": "pat@new.com", "MobilePhone": "+447911123404"})
    );
    assert_eq!(
        w.fake.salesforce("Contact", "0030000000000AA").unwrap(),
        json!({"Email": "obrien@x.com"}),
        "the Contact with a similar email is untouched"
    );
    // The second time, straight to the Lead.
    w.fake.clear_requests();
    w.edit(&c.id, &[("phone", "+12025550104")]).await;
    w.drain().await;
    assert_eq!(
        w.fake.lines(),
        vec![
            "GET /services/data/v59.0/sobjects/Lead/00Q0000000000BB",
            "PATCH /services/data/v59.0/sobjects/Lead/00Q0000000000BB",
        ]
    );
}

#[tokio::test]
async fn keep_fields_in_sync_sends_each_crm_the_edited_fields_under_its_own_names() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    w.connect("salesforce").await;
    let id = w.fake.add_hubspot_contact(json!({"email": "kim@x.com"}));
    w.fake
        .add_salesforce("Contact", "003KIM", Some("kim@x.com"), None, None);
    let c = w
        .add(&[
            ("first_name", "Kim"),
            ("last_name", "Lee"),
            ("email", "kim@x.com"),
        ])
        .await;
    w.edit(&c.id, &[("first_name", "Kimberly")]).await;
    w.drain().await;
    assert!(
        w.fake.requests().is_empty(),
        "by default only email and phones go: {:?}",
        w.fake.lines()
    );
    let user = w.db.session.user().await.unwrap();
    for name in ["hubspot", "salesforce"] {
        let status = cardfile_core::integrations::set_options(
            w.db.store(),
            &w.secrets,
            &user,
            name,
            &cardfile_core::integrations::IntegrationOptions {
                keep_fields_in_sync: Some(true),
                send_updates: None,
            },
        )
        .await
        .unwrap();
        assert!(status.keep_fields_in_sync);
    }
    w.edit(
        &c.id,
        &[
            ("first_name", "Kimberley"),
            ("company", "Acme"),
            ("city", "Oslo"),
            ("post_code", "0150"),
            ("notes", "private"),
        ],
    )
    .await;
    w.drain().await;
    let hubspot = w
        .fake
        .requests_to(&format!("PATCH /crm/v3/objects/contacts/{id}"));
    assert_eq!(hubspot.len(), 1, "{:?}", w.fake.lines());
    assert_eq!(
        hubspot[0].body,
        json!({"properties": {"email": "kim@x.com", "firstname": "Kimberley",
            "company": "Acme", "city": "Oslo", "zip": "0150"}}),
        "notes stay here"
    );
    let salesforce = w
        .fake
        .requests_to("PATCH /services/data/v59.0/sobjects/Contact/003KIM");
    assert_eq!(salesforce.len(), 1, "{:?}", w.fake.lines());
    assert_eq!(
        salesforce[0].body,
        json!({"Email": "kim@x.com", "FirstName": "Kimberley", "MailingCity": "Oslo",
            "MailingPostalCode": "0150"}),
        "a Salesforce Contact has no Company field"
    );
    assert!(w.fake.requests().iter().all(|r| r.status < 400));
}

#[tokio::test]
async fn a_change_undone_before_the_sync_sends_nothing() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    w.fake.add_hubspot_contact(json!({"email": "un@x.com"}));
    let c = w.add(&[("first_name", "Una"), ("email", "un@x.com")]).await;
    w.edit(&c.id, &[("email", "un@new.com")]).await;
    w.edit(&c.id, &[("email", "un@x.com")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.lines());
}

#[tokio::test]
async fn a_hubspot_record_gone_since_is_found_again_by_search() {
    let w = Wired::new().await;
    w.connect("hubspot").await;
    let first = w.fake.add_hubspot_contact(json!({"email": "g@x.com"}));
    let c = w.add(&[("first_name", "Gil"), ("email", "g@x.com")]).await;
    w.edit(&c.id, &[("email", "g@new.com")]).await;
    w.drain().await;
    // HubSpot merged it into another record since.
    w.fake.remove_hubspot_contact(&first);
    let second = w.fake.add_hubspot_contact(json!({"email": "g@new.com"}));
    w.fake.clear_requests();
    w.edit(&c.id, &[("phone", "+12025550120")]).await;
    let s = w.drain().await;
    assert_eq!(s.failed, 0);
    let sent = w.fake.requests();
    assert_eq!(
        lines(&sent),
        vec![
            format!("PATCH /crm/v3/objects/contacts/{first}"),
            SEARCH.to_string(),
            format!("PATCH /crm/v3/objects/contacts/{second}"),
        ]
    );
    assert_eq!(sent[0].status, 404);
    assert_eq!(sent[1].body, email_search("g@new.com"));
    assert_eq!(
        w.fake.hubspot_contact(&second).unwrap(),
        json!({"email": "g@new.com", "phone": "+12025550120"})
    );
}
