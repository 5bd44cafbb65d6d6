//! `PATCH /v3/profiles/{profileId}` (CONTRACT §8.3): partial update, `null` semantics, the
//! create field rules, the update-only fields, brands, errors, sandbox, Idempotency-Key and
//! scenarios.

use http::Method;
use serde_json::{json, Value};

use crate::support::*;

/// The `ProfileDetail` keys, in the documented order (CONTRACT §5.5).
const BRAND_SUBMITTED: &str =
    "The profile's brand was submitted to TCR and can no longer be changed";

fn path_of(id: &str) -> String {
    format!("/v3/profiles/{id}")
}

/// `PATCH /v3/profiles/{id}` as `key` with a JSON body.
async fn patch(app: &TestApp, key: &str, id: &str, body: &Value) -> Reply {
    app.request(Method::PATCH, &path_of(id))
        .key(key)
        .json(body)
        .send()
        .await
}

/// Creates a profile as `key` and answers its `data`.
async fn created(app: &TestApp, key: &str, body: &Value) -> Value {
    let reply = app.create(key, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

/// The `id` of a profile's `data`.
fn id_of(data: &Value) -> String {
    data["id"].as_str().expect("an id").to_owned()
}

/// `GET /v3/profiles/{id}` as the admin, answering `data`.
async fn fetched(app: &TestApp, id: &str) -> Value {
    let reply = app.get(&path_of(id)).key(ADMIN).send().await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

/// The `data` of a 200.
#[track_caller]
fn accepted(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

/// A profile of the other organization (Globex has no WABA, so it gives one directly).
fn globex_body() -> Value {
    json!({
        "name": "Globex Sender",
        "whatsapp_business_account": {"waba_id": "123456789012345", "access_token": "EAAglobex"}
    })
}

/// A valid request brand (camelCase keys) whose contact is `contact_name`.
fn brand_named(contact_name: &str) -> Value {
    let mut brand = seed_body()["brand"].clone();
    brand["contact"]["name"] = json!(contact_name);
    brand
}

fn card() -> Value {
    json!({"card_number": "4242424242424242", "expiry": "09/49", "cvc": "123", "zip_code": "10001"})
}

async fn delete(app: &TestApp, id: &str) {
    let reply = app
        .request(Method::DELETE, &path_of(id))
        .key(ADMIN)
        .send()
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text());
}

// ---------------------------------------------------------------------------------------------
// Partial update

#[tokio::test]
async fn an_empty_patch_answers_200_with_the_full_profile_and_changes_nothing() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &seed_body()).await;
    let id = id_of(&before);
    app.advance_clock("1h").await;

    let reply = patch(&app, ADMIN, &id, &json!({})).await;

    let data = accepted(&reply);
    assert_eq!(keys_in_order(&reply.text(), "\"data\":{"), PROFILE_KEYS);
    assert_eq!(data, before, "nothing changed, updated_at included");
    assert_eq!(fetched(&app, &id).await, before);
}

#[tokio::test]
async fn an_omitted_field_stays_and_a_given_value_is_set_and_read_back() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &seed_body()).await;
    let id = id_of(&before);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({"name": "Renamed", "description": "After", "allow_template_sharing": true}),
    )
    .await;

    let data = accepted(&reply);
    assert_eq!(data["name"], "Renamed");
    assert_eq!(data["description"], "After");
    assert_eq!(data["allow_template_sharing"], true);
    for untouched in [
        "id",
        "organization_id",
        "email",
        "icon",
        "short_name",
        "status",
        "allow_contact_sharing",
        "inherit_contacts",
        "inherit_tcr_brand",
        "billing_model",
        "waba_id",
        "billing_contact",
        "brand",
    ] {
        assert_eq!(data[untouched], before[untouched], "{untouched}");
    }
    assert_eq!(fetched(&app, &id).await, data);
}

#[tokio::test]
async fn a_change_moves_updated_at_to_the_request_time_while_created_at_stays() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);
    app.advance_clock("1h").await;

    let reply = patch(&app, ADMIN, &id, &json!({"description": "later"})).await;

    let body = reply.json();
    let data = accepted(&reply);
    assert_eq!(data["created_at"], before["created_at"]);
    assert_ne!(data["updated_at"], before["updated_at"]);
    assert_eq!(
        data["updated_at"], body["meta"]["timestamp"],
        "one reading of the clock"
    );
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let moved = parse(&data["updated_at"]) - parse(&before["updated_at"]);
    assert!(moved >= chrono::Duration::hours(1), "{moved}");
    let stored = fetched(&app, &id).await;
    assert_eq!(stored["updated_at"], data["updated_at"]);
    assert_eq!(stored["created_at"], before["created_at"]);
}

// ---------------------------------------------------------------------------------------------
// null

#[tokio::test]
async fn null_clears_every_nullable_field() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &seed_body()).await;
    let id = id_of(&before);
    for key in [
        "short_name",
        "description",
        "icon",
        "billing_contact",
        "brand",
    ] {
        assert_ne!(before[key], Value::Null, "{key} is set to begin with");
    }

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "short_name": null,
            "description": null,
            "icon": null,
            "billing_contact": null,
            "brand": null
        }),
    )
    .await;

    let data = accepted(&reply);
    let stored = fetched(&app, &id).await;
    for key in [
        "short_name",
        "description",
        "icon",
        "billing_contact",
        "brand",
    ] {
        assert_eq!(data[key], Value::Null, "{key}");
        assert_eq!(stored[key], Value::Null, "{key} as stored");
    }
    assert_eq!(data["name"], before["name"]);
}

#[tokio::test]
async fn null_resets_every_defaulted_field_to_its_default() {
    let app = spawn_app().await;
    let before = created(
        &app,
        ADMIN,
        &json!({
            "name": "Not Defaults",
            "allow_contact_sharing": true,
            "allow_template_sharing": true,
            "inherit_contacts": false,
            "inherit_templates": false,
            "inherit_tcr_brand": false,
            "inherit_tcr_campaign": false,
            "billing_model": "organization"
        }),
    )
    .await;
    let id = id_of(&before);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "allow_contact_sharing": null,
            "allow_template_sharing": null,
            "inherit_contacts": null,
            "inherit_templates": null,
            "inherit_tcr_brand": null,
            "inherit_tcr_campaign": null,
            "billing_model": null
        }),
    )
    .await;

    let data = accepted(&reply);
    let stored = fetched(&app, &id).await;
    for view in [&data, &stored] {
        assert_eq!(view["allow_contact_sharing"], false);
        assert_eq!(view["allow_template_sharing"], false);
        assert_eq!(view["inherit_contacts"], true);
        assert_eq!(view["inherit_templates"], true);
        assert_eq!(view["inherit_tcr_brand"], true);
        assert_eq!(view["inherit_tcr_campaign"], true);
        assert_eq!(view["billing_model"], "profile");
    }
}

#[tokio::test]
async fn null_for_name_is_400_profile_name_is_required() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);

    let reply = patch(&app, ADMIN, &id, &json!({"name": null})).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(
        reply.json()["error"]["message"],
        "Request validation failed"
    );
    assert_eq!(reply.detail_paths(), ["name"]);
    assert_eq!(reply.details("name"), ["Profile name is required"]);
    assert_eq!(fetched(&app, &id).await, before);
}

// ---------------------------------------------------------------------------------------------
// The create field rules

#[tokio::test]
async fn the_create_field_rules_apply_and_every_problem_is_reported_together() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "name": "   ",
            "short_name": "ab",
            "icon": "ftp://example.com/icon.png",
            "description": 5,
            "allow_contact_sharing": "yes",
            "billing_model": "ORGANIZATION",
            "billing_contact": {"name": "Acme", "email": "not-an-email"}
        }),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    let mut paths = reply.detail_paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "allow_contact_sharing",
            "billing_contact.email",
            "billing_model",
            "description",
            "icon",
            "name",
            "short_name"
        ]
    );
    assert_eq!(reply.details("name"), ["Profile name is required"]);
    assert_eq!(
        reply.details("short_name"),
        ["short_name must be 3–11 characters, contain only letters, numbers, and spaces, and include at least one letter"]
    );
    assert_eq!(
        reply.details("allow_contact_sharing"),
        ["allow_contact_sharing must be a boolean"]
    );
    assert_eq!(
        reply.details("icon"),
        ["icon must be an absolute http or https URL"]
    );
    assert_eq!(fetched(&app, &id).await, before, "a 400 changes nothing");
}

#[tokio::test]
async fn payment_details_are_refused_when_the_patch_sets_billing_model_organization() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({"billing_model": "organization", "payment_details": card()}),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["payment_details"]);
    assert_eq!(fetched(&app, &id).await["billing_model"], "profile");
}

#[tokio::test]
async fn payment_details_are_refused_when_the_profile_already_bills_its_organization() {
    let app = spawn_app().await;
    let before = fetched(&app, SEED_PROFILE).await;
    assert_eq!(before["billing_model"], "organization");

    let reply = patch(
        &app,
        ADMIN,
        SEED_PROFILE,
        &json!({"payment_details": card()}),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["payment_details"]);
    assert_eq!(fetched(&app, SEED_PROFILE).await, before);
}

#[tokio::test]
async fn payment_details_are_accepted_when_the_same_patch_switches_billing_model_to_profile() {
    let app = spawn_app().await;

    let reply = patch(
        &app,
        ADMIN,
        SEED_PROFILE,
        &json!({"billing_model": "profile", "payment_details": card()}),
    )
    .await;

    let data = accepted(&reply);
    assert_eq!(data["billing_model"], "profile");
    assert!(
        !reply.text().contains("4242424242424242"),
        "card data is never answered"
    );
    assert_eq!(
        fetched(&app, SEED_PROFILE).await["billing_model"],
        "profile"
    );
}

// ---------------------------------------------------------------------------------------------
// Update-only fields

#[tokio::test]
async fn allow_number_change_during_onboarding_takes_a_boolean_and_null_clears_it() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let set = patch(
        &app,
        ADMIN,
        &id,
        &json!({"allow_number_change_during_onboarding": true}),
    )
    .await;
    let stored_after_set = fetched(&app, &id).await;
    let wrong_type = patch(
        &app,
        ADMIN,
        &id,
        &json!({"allow_number_change_during_onboarding": "yes"}),
    )
    .await;
    let cleared = patch(
        &app,
        ADMIN,
        &id,
        &json!({"allow_number_change_during_onboarding": null}),
    )
    .await;

    assert_eq!(
        accepted(&set)["allow_number_change_during_onboarding"],
        true
    );
    assert_eq!(
        stored_after_set["allow_number_change_during_onboarding"],
        true
    );
    wrong_type.assert_error(400, "VALIDATION_001");
    assert_eq!(
        wrong_type.details("allow_number_change_during_onboarding"),
        ["allow_number_change_during_onboarding must be a boolean"]
    );
    assert_eq!(
        accepted(&cleared)["allow_number_change_during_onboarding"],
        Value::Null
    );
    assert_eq!(
        fetched(&app, &id).await["allow_number_change_during_onboarding"],
        Value::Null
    );
}

#[tokio::test]
async fn sending_and_whatsapp_phone_numbers_take_e164_numbers() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let set = patch(
        &app,
        ADMIN,
        &id,
        &json!({"sending_phone_number": "+12025551234", "whatsapp_phone_number": "+447911123456"}),
    )
    .await;
    let stored = fetched(&app, &id).await;

    let data = accepted(&set);
    assert_eq!(data["sending_phone_number"], "+12025551234");
    assert_eq!(data["whatsapp_phone_number"], "+447911123456");
    assert_eq!(stored["sending_phone_number"], "+12025551234");
    assert_eq!(stored["whatsapp_phone_number"], "+447911123456");
}

#[tokio::test]
async fn a_phone_number_that_is_not_e164_is_400_under_its_field() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);

    for bad in [
        json!("2025551234"),
        json!("+1 202 555 1234"),
        json!(12025551234u64),
    ] {
        let reply = patch(
            &app,
            ADMIN,
            &id,
            &json!({"sending_phone_number": bad, "whatsapp_phone_number": bad}),
        )
        .await;

        reply.assert_error(400, "VALIDATION_001");
        let mut paths = reply.detail_paths();
        paths.sort();
        assert_eq!(
            paths,
            ["sending_phone_number", "whatsapp_phone_number"],
            "{bad}"
        );
    }
    assert_eq!(fetched(&app, &id).await, before);
}

#[tokio::test]
async fn another_live_profile_of_the_organization_may_be_referenced_for_sending() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);
    let other = id_of(&created(&app, ADMIN, &json!({"name": "Numbers"})).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "sending_phone_number_profile_id": other,
            "sending_whatsapp_number_profile_id": SEED_PROFILE
        }),
    )
    .await;

    let data = accepted(&reply);
    assert_eq!(data["sending_phone_number_profile_id"], other.as_str());
    assert_eq!(data["sending_whatsapp_number_profile_id"], SEED_PROFILE);
    let stored = fetched(&app, &id).await;
    assert_eq!(stored["sending_phone_number_profile_id"], other.as_str());
    assert_eq!(stored["sending_whatsapp_number_profile_id"], SEED_PROFILE);
}

#[tokio::test]
async fn a_profile_reference_that_is_not_a_uuid_is_400_under_its_field() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "sending_phone_number_profile_id": "not-a-uuid",
            "sending_whatsapp_number_profile_id": 42
        }),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    let mut paths = reply.detail_paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "sending_phone_number_profile_id",
            "sending_whatsapp_number_profile_id"
        ]
    );
}

#[tokio::test]
async fn a_profile_may_not_reference_itself() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "sending_phone_number_profile_id": id,
            "sending_whatsapp_number_profile_id": id
        }),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    let mut paths = reply.detail_paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "sending_phone_number_profile_id",
            "sending_whatsapp_number_profile_id"
        ]
    );
}

#[tokio::test]
async fn a_profile_of_another_organization_may_not_be_referenced() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);
    let foreign = id_of(&created(&app, NO_WABA_ADMIN, &globex_body()).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "sending_phone_number_profile_id": foreign,
            "sending_whatsapp_number_profile_id": foreign
        }),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    let mut paths = reply.detail_paths();
    paths.sort();
    assert_eq!(
        paths,
        [
            "sending_phone_number_profile_id",
            "sending_whatsapp_number_profile_id"
        ]
    );
    assert!(
        !reply.text().contains(&foreign),
        "the message does not confirm the other organization's profile"
    );
}

#[tokio::test]
async fn a_deleted_profile_may_not_be_referenced() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);
    let gone = id_of(&created(&app, ADMIN, &json!({"name": "Gone"})).await);
    delete(&app, &gone).await;

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({"sending_phone_number_profile_id": gone}),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["sending_phone_number_profile_id"]);
    assert_eq!(
        fetched(&app, &id).await["sending_phone_number_profile_id"],
        Value::Null
    );
}

#[tokio::test]
async fn whatsapp_business_account_is_refused_in_a_patch() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({
            "whatsapp_business_account": {"waba_id": "123456789012345", "access_token": "EAAsecret"}
        }),
    )
    .await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["whatsapp_business_account"]);
    assert!(!reply.text().contains("EAAsecret"));
    assert_eq!(fetched(&app, &id).await, before);
}

// ---------------------------------------------------------------------------------------------
// Brand

#[tokio::test]
async fn a_brand_is_refused_while_the_profile_inherits_its_tcr_brand() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    assert_eq!(before["inherit_tcr_brand"], true);
    let id = id_of(&before);

    let reply = patch(&app, ADMIN, &id, &json!({"brand": brand_named("Jane Doe")})).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["brand"]);
    assert_eq!(fetched(&app, &id).await["brand"], Value::Null);
}

#[tokio::test]
async fn a_brand_is_accepted_when_the_same_patch_stops_inheriting_the_tcr_brand() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({"inherit_tcr_brand": false, "brand": brand_named("Jane Doe")}),
    )
    .await;

    let data = accepted(&reply);
    assert_eq!(data["inherit_tcr_brand"], false);
    let brand = &data["brand"];
    assert!(
        brand["id"]
            .as_str()
            .and_then(|s| uuid::Uuid::try_parse(s).ok())
            .is_some(),
        "{brand}"
    );
    assert_eq!(brand["created_at"], data["updated_at"]);
    assert_eq!(brand["updated_at"], Value::Null);
    assert_eq!(brand["submitted_to_tcr"], false);
    assert_eq!(brand["is_inherited"], false);
    assert_eq!(brand["contact"]["name"], "Jane Doe");
    assert_eq!(brand["compliance"]["brand_relationship"], "SMALL_ACCOUNT");
    assert_eq!(fetched(&app, &id).await["brand"], *brand);
}

#[tokio::test]
async fn replacing_a_brand_keeps_its_id_and_created_at_and_sets_its_updated_at() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &seed_body()).await;
    let id = id_of(&before);
    app.advance_clock("1h").await;

    let reply = patch(&app, ADMIN, &id, &json!({"brand": brand_named("Jane Doe")})).await;

    let data = accepted(&reply);
    let (old, new) = (&before["brand"], &data["brand"]);
    assert_eq!(new["id"], old["id"]);
    assert_eq!(new["created_at"], old["created_at"]);
    assert_eq!(old["updated_at"], Value::Null);
    assert_eq!(new["updated_at"], data["updated_at"]);
    assert_eq!(new["updated_at"], reply.json()["meta"]["timestamp"]);
    assert_eq!(new["contact"]["name"], "Jane Doe");
    assert_eq!(fetched(&app, &id).await["brand"], *new);
}

#[tokio::test]
async fn a_brand_submitted_to_tcr_cannot_change_but_the_rest_of_the_profile_can() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &seed_body()).await);
    let completion = app
        .post(&format!("/v3/profiles/{id}/complete"))
        .key(ADMIN)
        .json(&json!({"webHookUrl": "http://127.0.0.1:9/hook"}))
        .send()
        .await;
    assert_eq!(accepted(&completion)["status"], "submitted");
    let submitted = fetched(&app, &id).await;
    assert_eq!(submitted["brand"]["submitted_to_tcr"], true);

    let replaced = patch(&app, ADMIN, &id, &json!({"brand": brand_named("Jane Doe")})).await;
    let cleared = patch(&app, ADMIN, &id, &json!({"brand": null})).await;
    let described = patch(&app, ADMIN, &id, &json!({"description": "still editable"})).await;

    for refused in [&replaced, &cleared] {
        refused.assert_error(422, "VALIDATION_001");
        let error = &refused.json()["error"];
        assert_eq!(error["message"], BRAND_SUBMITTED);
        assert_eq!(error["details"], Value::Null);
    }
    let data = accepted(&described);
    assert_eq!(data["description"], "still editable");
    assert_eq!(data["brand"], submitted["brand"]);
    let stored = fetched(&app, &id).await;
    assert_eq!(stored["brand"], submitted["brand"]);
    assert_eq!(stored["description"], "still editable");
}

// ---------------------------------------------------------------------------------------------
// Errors

#[tokio::test]
async fn an_unknown_profile_is_404_resource_014() {
    let app = spawn_app().await;

    let reply = patch(
        &app,
        ADMIN,
        "00000000-0000-4000-8000-000000000000",
        &json!({"description": "x"}),
    )
    .await;

    reply.assert_error(404, "RESOURCE_014");
    assert_eq!(reply.json()["error"]["message"], "Profile not found");
}

#[tokio::test]
async fn a_profile_id_that_is_not_a_uuid_is_400_validation_003() {
    let app = spawn_app().await;

    let reply = patch(&app, ADMIN, "not-a-uuid", &json!({"description": "x"})).await;

    reply.assert_error(400, "VALIDATION_003");
    assert_eq!(reply.json()["error"]["message"], "Invalid GUID format");
}

#[tokio::test]
async fn another_organizations_profile_is_404() {
    let app = spawn_app().await;
    let foreign = created(&app, NO_WABA_ADMIN, &globex_body()).await;
    let id = id_of(&foreign);

    let reply = patch(&app, ADMIN, &id, &json!({"description": "hijacked"})).await;

    reply.assert_error(404, "RESOURCE_014");
    let stored = app.get(&path_of(&id)).key(NO_WABA_ADMIN).send().await;
    assert_eq!(accepted(&stored), foreign);
}

#[tokio::test]
async fn developer_billing_and_profile_keys_may_not_update() {
    let app = spawn_app().await;
    let before = fetched(&app, SEED_PROFILE).await;

    for key in [DEVELOPER, BILLING, PROFILE_KEY] {
        let reply = patch(&app, key, SEED_PROFILE, &json!({"description": "x"})).await;

        reply.assert_error(403, "AUTH_004");
        assert_eq!(
            reply.json()["error"]["message"],
            "Insufficient permissions for this operation"
        );
    }
    assert_eq!(fetched(&app, SEED_PROFILE).await, before);
}

#[tokio::test]
async fn a_deleted_profile_is_404() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);
    delete(&app, &id).await;

    let reply = patch(&app, ADMIN, &id, &json!({"description": "x"})).await;

    reply.assert_error(404, "RESOURCE_014");
}

// ---------------------------------------------------------------------------------------------
// Sandbox, Idempotency-Key, scenarios

#[tokio::test]
async fn a_sandbox_patch_answers_the_changed_profile_and_keeps_nothing() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);
    app.advance_clock("1h").await;

    let reply = patch(
        &app,
        ADMIN,
        &id,
        &json!({"description": "x", "sandbox": true}),
    )
    .await;

    let data = accepted(&reply);
    assert_eq!(reply.header("x-sandbox"), Some("true"));
    assert_eq!(data["description"], "x");
    assert_eq!(keys_in_order(&reply.text(), "\"data\":{"), PROFILE_KEYS);
    assert_eq!(fetched(&app, &id).await, before, "nothing was written");
}

#[tokio::test]
async fn a_repeated_idempotency_key_replays_the_patch_and_applies_it_once() {
    let app = spawn_app().await;
    let id = id_of(&created(&app, ADMIN, &minimal_body()).await);
    let send = || {
        app.request(Method::PATCH, &path_of(&id))
            .key(ADMIN)
            .header("Idempotency-Key", "patch-once")
            .json(&json!({"description": "once"}))
            .send()
    };

    let first = send().await;
    app.advance_clock("1h").await;
    let second = send().await;

    let data = accepted(&first);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.status, 200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        second.header("x-original-request-id"),
        first.header("x-request-id")
    );
    assert_eq!(second.body, first.body, "byte-identical");
    let stored = fetched(&app, &id).await;
    assert_eq!(
        stored["updated_at"], data["updated_at"],
        "the replay did not apply the change again"
    );
    assert_eq!(stored["description"], "once");
}

#[tokio::test]
async fn the_scenario_header_answers_500_naming_the_update_and_the_request_id() {
    let app = spawn_app().await;
    let before = created(&app, ADMIN, &minimal_body()).await;
    let id = id_of(&before);

    let reply = app
        .request(Method::PATCH, &path_of(&id))
        .key(ADMIN)
        .header("x-mock-scenario", "internal-error")
        .json(&json!({"description": "x"}))
        .send()
        .await;

    reply.assert_error(500, "INTERNAL_001");
    let request_id = reply.header("x-request-id").expect("x-request-id");
    assert_eq!(
        reply.json()["error"]["message"],
        format!("Failed to update profile. Please contact support with request ID: {request_id}")
    );
    assert_eq!(fetched(&app, &id).await, before, "nothing ran");
}
