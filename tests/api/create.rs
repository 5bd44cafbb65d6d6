//! `POST /v3/profiles`: the success body, its headers, and the sandbox.

use serde_json::{json, Value};

use crate::support::*;

fn is_timestamp(value: &Value) -> bool {
    let Some(s) = value.as_str() else {
        return false;
    };
    let b = s.as_bytes();
    s.len() == 33
        && s.ends_with("+00:00")
        && b[4] == b'-'
        && b[10] == b'T'
        && b[19] == b'.'
        && b[20..27].iter().all(u8::is_ascii_digit)
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn is_uuid_v4(value: &Value) -> bool {
    value
        .as_str()
        .and_then(|s| uuid::Uuid::try_parse(s).ok())
        .is_some_and(|id| id.get_version_num() == 4)
}

#[tokio::test]
async fn a_minimal_create_answers_200_with_every_key_in_order_and_the_defaults() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &minimal_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    assert_eq!(
        keys_in_order(&text, "{"),
        ["success", "data", "error", "meta"]
    );
    assert_eq!(keys_in_order(&text, "\"data\":{"), PROFILE_KEYS);
    let body = reply.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["error"], Value::Null);
    let data = &body["data"];
    assert!(is_uuid_v4(&data["id"]), "{data}");
    assert_eq!(data["organization_id"], ACME_ORG);
    assert_eq!(data["name"], "Sales Team");
    assert_eq!(data["email"], "team@acme.com");
    assert_eq!(data["status"], "incomplete");
    for key in [
        "icon",
        "description",
        "short_name",
        "billing_contact",
        "brand",
    ] {
        assert_eq!(data[key], Value::Null, "{key}");
    }
    for key in ["allow_contact_sharing", "allow_template_sharing"] {
        assert_eq!(data[key], false, "{key}");
    }
    for key in [
        "inherit_contacts",
        "inherit_templates",
        "inherit_tcr_brand",
        "inherit_tcr_campaign",
    ] {
        assert_eq!(data[key], true, "{key}");
    }
    assert_eq!(data["billing_model"], "profile");
    for key in [
        "sending_phone_number_profile_id",
        "sending_whatsapp_number_profile_id",
        "sending_phone_number",
        "whatsapp_phone_number",
        "allow_number_change_during_onboarding",
    ] {
        assert_eq!(data[key], Value::Null, "{key}");
    }
    assert_eq!(
        data["waba_id"], ACME_WABA,
        "the organization's WABA is inherited"
    );
}

#[tokio::test]
async fn timestamps_have_seven_digits_and_come_from_one_reading_of_the_clock() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &seed_body()).await;

    let body = reply.json();
    let meta_time = &body["meta"]["timestamp"];
    for stamp in [
        &body["data"]["created_at"],
        &body["data"]["updated_at"],
        &body["data"]["brand"]["created_at"],
        meta_time,
    ] {
        assert!(is_timestamp(stamp), "{stamp}");
        assert_eq!(stamp, meta_time);
    }
}

#[tokio::test]
async fn every_response_carries_the_common_headers_and_the_request_id_matches_meta() {
    let app = spawn_app().await;

    for reply in [
        app.create(ADMIN, &minimal_body()).await,
        app.create(ADMIN, &json!({})).await,
        app.get("/nowhere").send().await,
    ] {
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(reply.header("x-api-version"), Some("v3"));
        let took = reply.header("x-response-time").expect("x-response-time");
        assert!(
            took.ends_with("ms") && took[..took.len() - 2].parse::<u64>().is_ok(),
            "{took}"
        );
        let id = reply.header("x-request-id").expect("x-request-id");
        assert_eq!(id.len(), 14);
        assert!(
            id.starts_with("req_") && id[4..].bytes().all(|b| b.is_ascii_alphanumeric()),
            "{id}"
        );
        let body = reply.json();
        assert_eq!(body["meta"]["request_id"], id);
        assert_eq!(body["meta"]["version"], "v3");
        assert!(is_timestamp(&body["meta"]["timestamp"]));
    }
}

#[tokio::test]
async fn the_seed_pages_full_body_is_echoed_with_a_snake_case_brand() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &seed_body()).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let data = reply.json()["data"].clone();
    assert_eq!(data["name"], "Sales Team");
    assert_eq!(data["icon"], "https://example.com/sales-icon.png");
    assert_eq!(data["short_name"], "SALES");
    assert_eq!(data["allow_contact_sharing"], true);
    assert_eq!(data["inherit_tcr_brand"], false);
    assert_eq!(data["inherit_tcr_campaign"], false);
    assert_eq!(
        data["waba_id"], "123456789012345",
        "a direct WABA wins over the organization's"
    );
    assert_eq!(
        data["billing_contact"],
        json!({"name": "Acme Corp", "email": "billing@acmecorp.com", "phone": "+12025551234",
               "address": "123 Main Street, New York, NY 10001, US"})
    );
    let brand = &data["brand"];
    let text = reply.text();
    assert_eq!(
        keys_in_order(&text, "\"brand\":{"),
        [
            "id",
            "tcr_brand_id",
            "status",
            "identity_status",
            "universal_ein",
            "csp_id",
            "submitted_to_tcr",
            "submitted_at",
            "is_inherited",
            "created_at",
            "updated_at",
            "contact",
            "business",
            "compliance"
        ]
    );
    assert!(is_uuid_v4(&brand["id"]));
    assert_ne!(brand["id"], data["id"]);
    for key in [
        "tcr_brand_id",
        "status",
        "identity_status",
        "universal_ein",
        "csp_id",
        "submitted_at",
        "updated_at",
    ] {
        assert_eq!(brand[key], Value::Null, "{key}");
    }
    assert_eq!(brand["submitted_to_tcr"], false);
    assert_eq!(brand["is_inherited"], false);
    assert_eq!(
        brand["contact"],
        json!({"name": "John Smith", "business_name": "Acme Corp", "role": "CEO",
               "phone": "+12025551234", "email": "john@acmecorp.com", "phone_country_code": "1"})
    );
    assert_eq!(
        keys_in_order(&text, "\"business\":{"),
        [
            "legal_name",
            "tax_id",
            "tax_id_type",
            "entity_type",
            "street",
            "city",
            "state",
            "postal_code",
            "country",
            "url",
            "country_of_registration"
        ]
    );
    assert_eq!(brand["business"]["legal_name"], "Acme Corporation LLC");
    assert_eq!(brand["business"]["entity_type"], "PRIVATE_PROFIT");
    assert_eq!(brand["business"]["country_of_registration"], "US");
    assert_eq!(
        brand["compliance"],
        json!({"vertical": "PROFESSIONAL", "brand_relationship": "SMALL_ACCOUNT",
               "primary_use_case": "Customer notifications and appointment reminders",
               "expected_messaging_volume": "10000", "is_tcr_application": true,
               "phone_number_prefix": "+1", "destination_countries": [{"id": "US", "isMain": false}],
               "notes": null})
    );
}

#[tokio::test]
async fn absent_brand_members_are_null_in_the_response() {
    let app = spawn_app().await;
    let body = json!({
        "name": "Brand Only",
        "inherit_tcr_brand": false,
        "brand": {
            "contact": {"name": "Jane"},
            "compliance": {"vertical": "RETAIL", "brandRelationship": "BASIC_ACCOUNT"}
        }
    });

    let reply = app.create(ADMIN, &body).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let brand = &reply.json()["data"]["brand"];
    assert_eq!(
        brand["contact"],
        json!({"name": "Jane", "business_name": null, "role": null, "phone": null, "email": null,
               "phone_country_code": null})
    );
    assert_eq!(brand["business"], Value::Null);
    assert_eq!(brand["compliance"]["primary_use_case"], Value::Null);
    assert_eq!(brand["compliance"]["destination_countries"], json!([]));
}

#[tokio::test]
async fn a_sandbox_create_answers_the_same_shape_with_x_sandbox() {
    let app = spawn_app().await;
    let mut body = seed_body();
    body["sandbox"] = json!(true);

    let sandbox = app.create(ADMIN, &body).await;
    let real = app.create(ADMIN, &seed_body()).await;

    assert_eq!(sandbox.status, 200, "{}", sandbox.text());
    assert_eq!(sandbox.header("x-sandbox"), Some("true"));
    assert_eq!(real.header("x-sandbox"), None);
    let text = sandbox.text();
    assert_eq!(keys_in_order(&text, "\"data\":{"), PROFILE_KEYS);
    assert_eq!(
        sandbox.json()["data"]["brand"]["compliance"],
        real.json()["data"]["brand"]["compliance"]
    );
}

#[tokio::test]
async fn a_sandbox_create_still_validates() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &json!({"sandbox": true})).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.details("name"), ["Profile name is required"]);
}

#[tokio::test]
async fn each_create_gets_a_new_id() {
    let app = spawn_app().await;

    let first = app.create(ADMIN, &minimal_body()).await.json();
    let second = app.create(ADMIN, &minimal_body()).await.json();

    assert_ne!(first["data"]["id"], second["data"]["id"]);
    assert_ne!(first["meta"]["request_id"], second["meta"]["request_id"]);
}
