//! Validation and normalisation: what a user types becomes what is stored.

use cardfile_core::record::normalize_email;
use cardfile_core::{phone, ErrorCode};

use crate::{fields, Db};

#[test]
fn email_is_trimmed_and_lowercased() {
    assert_eq!(
        normalize_email("  Ann.Lee@Example.COM \t")
            .unwrap()
            .as_deref(),
        Some("ann.lee@example.com")
    );
    assert_eq!(normalize_email("   ").unwrap(), None);
}

#[test]
fn malformed_emails_are_refused_with_a_reason() {
    for bad in [
        "ann",
        "ann@",
        "@example.com",
        "ann@example",
        "ann lee@example.com",
        "ann..lee@example.com",
        "ann@-example.com",
        "ann@example.c",
        "ann@@example.com",
    ] {
        let err = normalize_email(bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Invalid, "{bad}");
        assert_eq!(err.field(), Some("email"), "{bad}");
        assert!(err.to_string().contains(bad.trim()), "{bad}: {err}");
    }
}

#[test]
fn phones_in_national_international_dotted_and_e164_forms_become_e164() {
    let cases = [
        // (typed, region, stored)
        ("(201) 555-0123", "US", "+12015550123"),
        ("201.555.0123", "US", "+12015550123"),
        ("+1 201 555 0123", "GB", "+12015550123"),
        ("07911 123456", "GB", "+447911123456"),
        ("+44 7911 123456", "US", "+447911123456"),
        ("0044 7911 123456", "GB", "+447911123456"),
        ("+44 161 759 9992", "US", "+441617599992"),
        ("01 41 63 90 35", "FR", "+33141639035"),
        ("06.12.34.56.78", "FR", "+33612345678"),
        ("+33612345678", "DE", "+33612345678"),
        ("030 12345678", "DE", "+493012345678"),
        ("0151 23456789", "DE", "+4915123456789"),
        ("+49 (0)151 23456789", "US", "+4915123456789"),
    ];
    for (typed, region, stored) in cases {
        assert_eq!(
            phone::normalize(typed, region).unwrap().as_deref(),
            Some(stored),
            "{typed} in {region}"
        );
    }
}

/// libphonenumber's national format of a number, digits only: what `national_digits`
/// must give without formatting each number.
fn formatted_national(e164: &str) -> Option<String> {
    use rlibphonenumber::{PhoneNumberFormat, PHONE_NUMBER_UTIL};
    let number = PHONE_NUMBER_UTIL.parse(e164, None).ok()?;
    let digits: String = number
        .format_as(PhoneNumberFormat::National)
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    (!digits.is_empty()).then_some(digits)
}

#[test]
fn a_phones_national_digits_are_libphonenumbers_national_format() {
    use rlibphonenumber::{PhoneNumberFormat, PhoneNumberType, PHONE_NUMBER_UTIL};
    let kinds = [
        PhoneNumberType::FixedLine,
        PhoneNumberType::Mobile,
        PhoneNumberType::TollFree,
        PhoneNumberType::PremiumRate,
        PhoneNumberType::SharedCost,
        PhoneNumberType::VoIP,
        PhoneNumberType::PersonalNumber,
        PhoneNumberType::UAN,
    ];
    let mut numbers = vec![
        "+447911123456".to_string(),
        "+441617599992".to_string(),
        "+12015550123".to_string(),
        "+33141639035".to_string(),
        "+4915123456789".to_string(),
        "+493012345678".to_string(),
        "+390612345678".to_string(),
        "+74951234567".to_string(),
        "+5491123456789".to_string(),
    ];
    // Every region's example of every kind, and the same number with its last digits
    // changed (another number of the same range).
    for code in PHONE_NUMBER_UTIL.get_supported_calling_codes() {
        for region in PHONE_NUMBER_UTIL
            .get_regions_for_country_calling_code(code)
            .into_iter()
            .flatten()
        {
            for kind in kinds {
                if let Ok(example) =
                    PHONE_NUMBER_UTIL.get_example_number_for_type_and_region(region, kind)
                {
                    let e164 = example.format_as(PhoneNumberFormat::E164).to_string();
                    let changed = format!("{}{}", &e164[..e164.len() - 2], "37");
                    numbers.push(e164);
                    numbers.push(changed);
                }
            }
        }
    }
    assert!(numbers.len() > 1000, "{} numbers", numbers.len());
    for e164 in &numbers {
        assert_eq!(
            phone::national_digits(e164),
            formatted_national(e164),
            "{e164}"
        );
    }
}

#[test]
fn invalid_phones_are_refused_with_a_reason() {
    for bad in ["12", "555", "not a phone", "+44 12"] {
        let why = phone::normalize(bad, "US").unwrap_err();
        assert!(why.contains(bad), "{bad}: {why}");
    }
}

#[tokio::test]
async fn a_national_phone_takes_the_contacts_country_before_the_default_region() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[
                ("email", "a@example.com"),
                ("mobile_phone", "07911 123456"),
                ("country", "United Kingdom"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(c.mobile_phone.as_deref(), Some("+447911123456"));
    let c = db
        .session
        .add(
            &fields(&[
                ("email", "b@example.com"),
                ("mobile_phone", "(201) 555-0123"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        c.mobile_phone.as_deref(),
        Some("+12015550123"),
        "default region US"
    );
    db.session.set_default_region("fr").await.unwrap();
    let c = db
        .session
        .add(
            &fields(&[("email", "c@example.com"), ("phone", "01 41 63 90 35")]),
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(c.phone.as_deref(), Some("+33141639035"));
}

#[tokio::test]
async fn a_contact_needs_an_email_or_a_mobile_phone() {
    let db = Db::new().await;
    let err = db
        .session
        .add(
            &fields(&[("first_name", "Ann"), ("phone", "+12015550123")]),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(err.to_string().contains("email or a mobile phone"), "{err}");
    let ok = db
        .session
        .add(
            &fields(&[("first_name", "Ann"), ("mobile_phone", "+12015550123")]),
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(ok.email, None);
}

#[tokio::test]
async fn status_accepts_any_case_and_refuses_unknown_values() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[("email", "a@example.com"), ("status", "sales-qualified")]),
            None,
            false,
        )
        .await
        .unwrap();
    assert_eq!(c.status.as_deref(), Some("Sales qualified"));
    let err = db
        .session
        .add(
            &fields(&[("email", "b@example.com"), ("status", "hot")]),
            None,
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(err.field(), Some("status"));
}

#[tokio::test]
async fn an_edit_clears_a_field_given_empty_and_keeps_fields_not_given() {
    let db = Db::new().await;
    let c = db
        .session
        .add(
            &fields(&[
                ("email", "a@example.com"),
                ("company", "Acme"),
                ("job_title", "CTO"),
            ]),
            None,
            false,
        )
        .await
        .unwrap();
    let e = db
        .session
        .edit(
            &c.id,
            &fields(&[("company", ""), ("first_name", "Ann")]),
            false,
        )
        .await
        .unwrap();
    assert_eq!(e.company, None);
    assert_eq!(e.job_title.as_deref(), Some("CTO"));
    assert_eq!(e.first_name.as_deref(), Some("Ann"));
    assert!(e.updated_at >= c.updated_at);
    assert_eq!(e.created_at, c.created_at);
}

#[tokio::test]
async fn clearing_both_identifiers_is_refused() {
    let db = Db::new().await;
    let c = db
        .session
        .add(&fields(&[("email", "a@example.com")]), None, false)
        .await
        .unwrap();
    let err = db
        .session
        .edit(&c.id, &fields(&[("email", "")]), false)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert_eq!(
        db.session.get(&c.id).await.unwrap().email.as_deref(),
        Some("a@example.com")
    );
}

#[test]
fn every_error_crosses_as_one_body_with_the_http_status_cli_md_gives_its_code() {
    use cardfile_core::{Error, ErrorBody};
    let invalid = ErrorBody::from(Error::invalid("email", "it has no @"));
    assert_eq!(
        serde_json::to_value(&invalid).unwrap(),
        serde_json::json!({"code": "invalid", "message": "it has no @", "field": "email", "plan": null})
    );
    let status = |e: Error| ErrorBody::from(e).code.http_status();
    assert_eq!(status(Error::invalid("email", "bad")), 422);
    assert_eq!(status(Error::CannotSave("no".into())), 403);
    assert_eq!(status(Error::NotFound("no".into())), 404);
    assert_eq!(status(Error::Conflict("no".into())), 409);
    assert_eq!(status(Error::Internal("disk".into())), 500);
}

#[test]
fn phones_are_shown_in_international_format_and_anything_else_as_it_is() {
    for (e164, shown) in [
        ("+16469123478", "+1 646-912-3478"),
        ("+447911123456", "+44 7911 123456"),
        ("+33612345678", "+33 6 12 34 56 78"),
        ("+4915123456789", "+49 1512 3456789"),
        ("ext. 12", "ext. 12"),
    ] {
        assert_eq!(phone::international(e164), shown, "{e164}");
    }
}
