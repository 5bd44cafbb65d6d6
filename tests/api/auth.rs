//! Who is calling (CONTRACT §4): API keys, organizations, `x-profile-id` and roles, in order.

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn a_request_without_an_api_key_is_401_auth_001() {
    let app = spawn_app().await;

    let reply = app.post("/v3/profiles").json(&minimal_body()).send().await;

    reply.assert_error(401, "AUTH_001");
    assert_eq!(
        reply.json()["error"]["message"],
        "User is not authenticated"
    );
    assert_eq!(reply.json()["error"]["details"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_empty_api_key_is_401_auth_001() {
    let app = spawn_app().await;

    let reply = app.create("", &minimal_body()).await;

    reply.assert_error(401, "AUTH_001");
}

#[tokio::test]
async fn an_unknown_api_key_is_401_auth_002() {
    let app = spawn_app().await;

    let reply = app.create("sk_test_nobody", &minimal_body()).await;

    reply.assert_error(401, "AUTH_002");
    assert_eq!(
        reply.json()["error"]["message"],
        "Invalid or expired API key"
    );
}

#[tokio::test]
async fn an_unknown_key_acts_as_the_default_admin_only_with_any_api_key() {
    let app = spawn_app_with(sent_mock::Config {
        any_api_key: true,
        ..Default::default()
    })
    .await;

    let placeholder = app.create("My API Key", &minimal_body()).await;
    let empty = app.create("", &minimal_body()).await;

    assert_eq!(placeholder.status, 200, "{}", placeholder.text());
    assert_eq!(placeholder.json()["data"]["organization_id"], ACME_ORG);
    empty.assert_error(401, "AUTH_001");
}

#[tokio::test]
async fn a_key_whose_organization_is_gone_is_404_resource_005() {
    let app = spawn_app().await;

    let reply = app.create(GONE_ORG_ADMIN, &minimal_body()).await;

    reply.assert_error(404, "RESOURCE_005");
    assert_eq!(reply.json()["error"]["message"], "Organization not found");
}

#[tokio::test]
async fn uuid_shaped_keys_work_like_sk_test_keys() {
    let app = spawn_app().await;

    let owner = app.create(OWNER_UUID, &minimal_body()).await;
    let globex = app
        .create(NO_WABA_ADMIN_UUID, &json!({"name": "G", "whatsapp_business_account": {"waba_id": "1", "access_token": "t"}}))
        .await;

    assert_eq!(owner.status, 200, "{}", owner.text());
    assert_eq!(globex.status, 200, "{}", globex.text());
    assert_eq!(globex.json()["data"]["organization_id"], GLOBEX_ORG);
}

#[tokio::test]
async fn developer_billing_and_profile_keys_may_not_create() {
    let app = spawn_app().await;

    for key in [DEVELOPER, BILLING, PROFILE_KEY] {
        let reply = app.create(key, &minimal_body()).await;

        reply.assert_error(403, "AUTH_004");
        assert_eq!(
            reply.json()["error"]["message"],
            "Insufficient permissions for this operation"
        );
    }
}

#[tokio::test]
async fn an_x_profile_id_that_is_not_a_uuid_is_400_validation_003() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", "not-a-uuid")
        .json(&minimal_body())
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_003");
    assert_eq!(reply.json()["error"]["message"], "Invalid GUID format");
    assert_eq!(reply.detail_paths(), ["x-profile-id"]);
}

#[tokio::test]
async fn an_x_profile_id_sent_with_a_profile_key_is_403() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(PROFILE_KEY)
        .header("x-profile-id", SEED_PROFILE)
        .json(&minimal_body())
        .send()
        .await;

    reply.assert_error(403, "AUTH_004");
}

#[tokio::test]
async fn an_x_profile_id_of_an_unknown_profile_is_404_resource_014() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", "770e8400-e29b-41d4-a716-000000000000")
        .json(&minimal_body())
        .send()
        .await;

    reply.assert_error(404, "RESOURCE_014");
    assert_eq!(reply.json()["error"]["message"], "Profile not found");
}

#[tokio::test]
async fn an_x_profile_id_of_another_organizations_profile_is_404() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(NO_WABA_ADMIN)
        .header("x-profile-id", SEED_PROFILE)
        .json(&minimal_body())
        .send()
        .await;

    reply.assert_error(404, "RESOURCE_014");
}

#[tokio::test]
async fn an_accepted_x_profile_id_is_echoed() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", SEED_PROFILE)
        .json(&minimal_body())
        .send()
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-profile-id"), Some(SEED_PROFILE));
}

#[tokio::test]
async fn the_checks_run_in_the_documented_order() {
    let app = spawn_app().await;
    let bad_profile = |key: &str| {
        app.post("/v3/profiles")
            .key(key)
            .header("x-profile-id", "nope")
            .json(&json!({}))
    };

    // An unknown key is reported before the bad x-profile-id and the bad body.
    bad_profile("sk_test_nobody")
        .send()
        .await
        .assert_error(401, "AUTH_002");
    // A vanished organization before the bad x-profile-id.
    bad_profile(GONE_ORG_ADMIN)
        .send()
        .await
        .assert_error(404, "RESOURCE_005");
    // The bad x-profile-id before the role (a developer may not create).
    bad_profile(DEVELOPER)
        .send()
        .await
        .assert_error(400, "VALIDATION_003");
    // The role before the body.
    app.create(DEVELOPER, &json!({}))
        .await
        .assert_error(403, "AUTH_004");
    // Authentication before the body's media type.
    app.post("/v3/profiles")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .assert_error(401, "AUTH_001");
}

#[tokio::test]
async fn the_organization_without_a_waba_gets_the_documented_422() {
    let app = spawn_app().await;

    let reply = app.create(NO_WABA_ADMIN, &minimal_body()).await;

    reply.assert_error(422, "VALIDATION_001");
    let body = reply.json();
    assert_eq!(
        body["error"]["message"],
        "Organization does not have a WhatsApp Business Account configured. Complete WhatsApp Embedded Signup for your organization first, or provide direct credentials in the 'whatsapp_business_account' field."
    );
    assert_eq!(body["error"]["details"], serde_json::Value::Null);
    assert_eq!(
        body["error"]["doc_url"],
        "https://docs.sent.dm/errors/VALIDATION_001"
    );
}

#[tokio::test]
async fn field_problems_are_reported_before_the_422() {
    let app = spawn_app().await;

    let reply = app.create(NO_WABA_ADMIN, &json!({"short_name": "x"})).await;

    reply.assert_error(400, "VALIDATION_001");
}
