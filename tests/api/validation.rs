//! `POST /v3/profiles`: the field rules of CONTRACT §5.3, each shown with a value the server
//! accepts and one it refuses, with the exact message under the exact field path.

use serde_json::{json, Value};

use crate::support::*;

const SHORT_NAME_RULE: &str = "short_name must be 3–11 characters, contain only letters, numbers, and spaces, and include at least one letter";
const EXPIRY_FORMAT: &str = "payment_details.expiry must be in MM/YY format (e.g. '09/27')";
const CARD_DIGITS: &str =
    "payment_details.card_number must be 13–19 digits and pass the Luhn check";
const CARD_NOT_TEST: &str =
    "payment_details.card_number must be a test card number in this sandbox, such as 4242424242424242";
const CVC_RULE: &str = "payment_details.cvc must be 3–4 digits";

const TEST_CARDS: [&str; 13] = [
    "4242424242424242",
    "4111111111111111",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3056930009020004",
    "3566002020360505",
    "6200000000000005",
];

const VERTICALS: &str = "PROFESSIONAL, REAL_ESTATE, HEALTHCARE, HUMAN_RESOURCES, ENERGY, \
ENTERTAINMENT, RETAIL, TRANSPORTATION, AGRICULTURE, INSURANCE, POSTAL, EDUCATION, HOSPITALITY, \
FINANCIAL, POLITICAL, GAMBLING, LEGAL, CONSTRUCTION, NGO, MANUFACTURING, GOVERNMENT, TECHNOLOGY, \
COMMUNICATION";
const BRAND_RELATIONSHIPS: &str =
    "BASIC_ACCOUNT, SMALL_ACCOUNT, MEDIUM_ACCOUNT, LARGE_ACCOUNT, KEY_ACCOUNT";
const ENTITY_TYPES: &str = "PRIVATE_PROFIT, PUBLIC_PROFIT, NON_PROFIT, SOLE_PROPRIETOR, GOVERNMENT";

/// The minimal body with one more member.
fn with(field: &str, value: Value) -> Value {
    let mut body = minimal_body();
    body[field] = value;
    body
}

/// A complete, valid card with an expiry safely in the future.
fn card() -> Value {
    json!({"card_number": "4242424242424242", "expiry": "09/49", "cvc": "123", "zip_code": "10001"})
}

/// The minimal body with a card whose `field` is replaced by `value`.
fn with_card(field: &str, value: Value) -> Value {
    let mut details = card();
    details[field] = value;
    with("payment_details", details)
}

/// The smallest valid brand, on a profile that does not inherit its TCR brand.
fn brand() -> Value {
    json!({
        "contact": {"name": "Jane Doe"},
        "compliance": {"vertical": "RETAIL", "brandRelationship": "BASIC_ACCOUNT"}
    })
}

fn with_brand(brand: Value) -> Value {
    json!({"name": "Sales Team", "inherit_tcr_brand": false, "brand": brand})
}

/// The profile a 200 answered.
#[track_caller]
fn accepted(reply: &Reply) -> Value {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

/// The field paths of `error.details`, sorted: the contract gives them no order.
fn sorted_paths(reply: &Reply) -> Vec<String> {
    let mut paths = reply.detail_paths();
    paths.sort();
    paths
}

/// A 400 `VALIDATION_001` whose only problem is `message` under `path`.
#[track_caller]
fn assert_refused(reply: &Reply, path: &str, message: &str) {
    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), [path], "{}", reply.text());
    assert_eq!(reply.details(path), [message], "{}", reply.text());
}

// name

#[tokio::test]
async fn a_missing_name_is_refused_as_required_and_a_present_one_is_accepted() {
    let app = spawn_app().await;

    let missing = app.create(ADMIN, &json!({})).await;
    let present = app.create(ADMIN, &minimal_body()).await;

    assert_refused(&missing, "name", "Profile name is required");
    assert_eq!(accepted(&present)["name"], "Sales Team");
}

#[tokio::test]
async fn a_null_name_is_refused_as_required() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &json!({"name": null})).await;

    assert_refused(&reply, "name", "Profile name is required");
}

#[tokio::test]
async fn a_blank_name_is_refused_as_required_and_surrounding_spaces_are_accepted() {
    let app = spawn_app().await;

    let blank = app.create(ADMIN, &json!({"name": "   "})).await;
    let padded = app.create(ADMIN, &json!({"name": " Sales "})).await;

    assert_refused(&blank, "name", "Profile name is required");
    accepted(&padded);
}

#[tokio::test]
async fn a_name_that_is_a_number_is_refused_as_not_a_string() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &json!({"name": 42})).await;

    assert_refused(&reply, "name", "name must be a string");
}

#[tokio::test]
async fn a_name_of_one_hundred_characters_is_accepted_and_one_hundred_and_one_is_refused() {
    let app = spawn_app().await;

    let at_limit = app.create(ADMIN, &json!({"name": "a".repeat(100)})).await;
    let over = app.create(ADMIN, &json!({"name": "a".repeat(101)})).await;

    assert_eq!(accepted(&at_limit)["name"], "a".repeat(100));
    assert_refused(&over, "name", "name must be at most 100 characters");
}

#[tokio::test]
async fn a_name_limit_counts_characters_not_bytes() {
    let app = spawn_app().await;

    let at_limit = app.create(ADMIN, &json!({"name": "é".repeat(100)})).await;
    let over = app.create(ADMIN, &json!({"name": "é".repeat(101)})).await;

    assert_eq!(accepted(&at_limit)["name"], "é".repeat(100));
    assert_refused(&over, "name", "name must be at most 100 characters");
}

// short_name

#[tokio::test]
async fn a_short_name_of_two_characters_is_refused_and_three_is_accepted() {
    let app = spawn_app().await;

    let two = app.create(ADMIN, &with("short_name", json!("Ab"))).await;
    let three = app.create(ADMIN, &with("short_name", json!("Abc"))).await;

    assert_refused(&two, "short_name", SHORT_NAME_RULE);
    assert_eq!(accepted(&three)["short_name"], "Abc");
}

#[tokio::test]
async fn a_short_name_of_twelve_characters_is_refused_and_eleven_is_accepted() {
    let app = spawn_app().await;

    let twelve = app
        .create(ADMIN, &with("short_name", json!("Abcdefghijkl")))
        .await;
    let eleven = app
        .create(ADMIN, &with("short_name", json!("Abcdefghijk")))
        .await;

    assert_refused(&twelve, "short_name", SHORT_NAME_RULE);
    assert_eq!(accepted(&eleven)["short_name"], "Abcdefghijk");
}

#[tokio::test]
async fn a_short_name_with_punctuation_is_refused_and_letters_digits_and_spaces_are_accepted() {
    let app = spawn_app().await;

    let punctuated = app.create(ADMIN, &with("short_name", json!("Mkt-2"))).await;
    let spaced = app.create(ADMIN, &with("short_name", json!("Mkt 2"))).await;

    assert_refused(&punctuated, "short_name", SHORT_NAME_RULE);
    assert_eq!(accepted(&spaced)["short_name"], "Mkt 2");
}

#[tokio::test]
async fn a_short_name_of_digits_only_is_refused_and_one_letter_makes_it_accepted() {
    let app = spawn_app().await;

    let digits = app.create(ADMIN, &with("short_name", json!("123"))).await;
    let one_letter = app.create(ADMIN, &with("short_name", json!("12a"))).await;

    assert_refused(&digits, "short_name", SHORT_NAME_RULE);
    assert_eq!(accepted(&one_letter)["short_name"], "12a");
}

#[tokio::test]
async fn a_null_short_name_is_accepted_as_none_and_a_number_is_refused() {
    let app = spawn_app().await;

    let null = app.create(ADMIN, &with("short_name", Value::Null)).await;
    let number = app.create(ADMIN, &with("short_name", json!(123))).await;

    assert_eq!(accepted(&null)["short_name"], Value::Null);
    assert_refused(&number, "short_name", "short_name must be a string");
}

// description and icon

#[tokio::test]
async fn a_description_of_five_hundred_characters_is_accepted_and_five_hundred_and_one_is_refused()
{
    let app = spawn_app().await;

    let at_limit = app
        .create(ADMIN, &with("description", json!("d".repeat(500))))
        .await;
    let over = app
        .create(ADMIN, &with("description", json!("d".repeat(501))))
        .await;

    assert_eq!(accepted(&at_limit)["description"], "d".repeat(500));
    assert_refused(
        &over,
        "description",
        "description must be at most 500 characters",
    );
}

#[tokio::test]
async fn an_icon_with_an_http_or_https_url_is_accepted_and_a_relative_or_ftp_one_is_refused() {
    let app = spawn_app().await;
    let message = "icon must be an absolute http or https URL";

    let http = app
        .create(ADMIN, &with("icon", json!("http://example.com/icon.png")))
        .await;
    let https = app
        .create(ADMIN, &with("icon", json!("https://example.com/icon.png")))
        .await;
    let relative = app
        .create(ADMIN, &with("icon", json!("/icons/icon.png")))
        .await;
    let ftp = app
        .create(ADMIN, &with("icon", json!("ftp://example.com/icon.png")))
        .await;
    let null = app.create(ADMIN, &with("icon", Value::Null)).await;

    assert_eq!(accepted(&http)["icon"], "http://example.com/icon.png");
    assert_eq!(accepted(&https)["icon"], "https://example.com/icon.png");
    assert_refused(&relative, "icon", message);
    assert_refused(&ftp, "icon", message);
    assert_eq!(accepted(&null)["icon"], Value::Null);
}

// boolean flags

#[tokio::test]
async fn each_boolean_flag_given_as_a_string_is_refused_and_null_takes_its_default() {
    let app = spawn_app().await;
    let flags = [
        ("allow_contact_sharing", false),
        ("allow_template_sharing", false),
        ("inherit_contacts", true),
        ("inherit_templates", true),
        ("inherit_tcr_brand", true),
        ("inherit_tcr_campaign", true),
    ];

    for (flag, default) in flags {
        let string = app.create(ADMIN, &with(flag, json!("true"))).await;
        let null = app.create(ADMIN, &with(flag, Value::Null)).await;
        let given = app.create(ADMIN, &with(flag, json!(!default))).await;

        assert_refused(&string, flag, &format!("{flag} must be a boolean"));
        assert_eq!(accepted(&null)[flag], default, "{flag}");
        assert_eq!(accepted(&given)[flag], !default, "{flag}");
    }
}

#[tokio::test]
async fn a_sandbox_flag_given_as_a_string_is_refused_and_null_means_a_real_create() {
    let app = spawn_app().await;

    let string = app.create(ADMIN, &with("sandbox", json!("true"))).await;
    let null = app.create(ADMIN, &with("sandbox", Value::Null)).await;

    assert_refused(&string, "sandbox", "sandbox must be a boolean");
    accepted(&null);
    assert_eq!(
        null.header("x-sandbox"),
        None,
        "null means false: a real create"
    );
}

// billing_model

#[tokio::test]
async fn each_billing_model_is_accepted_and_echoed_and_a_different_case_is_refused() {
    let app = spawn_app().await;

    let mut echoed = Vec::new();
    for model in ["profile", "organization", "profile_and_organization"] {
        let reply = app
            .create(ADMIN, &with("billing_model", json!(model)))
            .await;
        echoed.push(accepted(&reply)["billing_model"].clone());
    }
    let capitalised = app
        .create(ADMIN, &with("billing_model", json!("Profile")))
        .await;

    assert_eq!(
        echoed,
        ["profile", "organization", "profile_and_organization"]
    );
    assert_refused(
        &capitalised,
        "billing_model",
        "billing_model must be one of: profile, organization, profile_and_organization",
    );
}

#[tokio::test]
async fn a_null_billing_model_defaults_to_profile() {
    let app = spawn_app().await;

    let reply = app.create(ADMIN, &with("billing_model", Value::Null)).await;

    assert_eq!(accepted(&reply)["billing_model"], "profile");
}

// billing_contact

#[tokio::test]
async fn a_billing_contact_without_name_and_email_is_refused_and_with_both_is_accepted() {
    let app = spawn_app().await;

    let empty = app.create(ADMIN, &with("billing_contact", json!({}))).await;
    let complete = app
        .create(
            ADMIN,
            &with(
                "billing_contact",
                json!({"name": "Acme Corp", "email": "billing@acmecorp.com"}),
            ),
        )
        .await;

    empty.assert_error(400, "VALIDATION_001");
    assert_eq!(
        sorted_paths(&empty),
        ["billing_contact.email", "billing_contact.name"]
    );
    assert_eq!(
        empty.details("billing_contact.name"),
        ["billing_contact.name is required"]
    );
    assert_eq!(
        empty.details("billing_contact.email"),
        ["billing_contact.email is required"]
    );
    assert_eq!(
        accepted(&complete)["billing_contact"],
        json!({"name": "Acme Corp", "email": "billing@acmecorp.com", "phone": null, "address": null})
    );
}

#[tokio::test]
async fn a_billing_contact_email_that_is_not_an_address_is_refused() {
    let app = spawn_app().await;

    let reply = app
        .create(
            ADMIN,
            &with(
                "billing_contact",
                json!({"name": "Acme Corp", "email": "billing-at-acmecorp"}),
            ),
        )
        .await;

    assert_refused(
        &reply,
        "billing_contact.email",
        "billing_contact.email must be a valid email address",
    );
}

#[tokio::test]
async fn a_billing_contact_phone_must_be_e164_and_the_address_is_free_text() {
    let app = spawn_app().await;
    let contact = |phone: &str| {
        json!({"name": "Acme Corp", "email": "billing@acmecorp.com", "phone": phone,
               "address": "Flat 2 — 10 Downing St., London SW1A 2AA (UK)!"})
    };

    let national = app
        .create(ADMIN, &with("billing_contact", contact("2025551234")))
        .await;
    let e164 = app
        .create(ADMIN, &with("billing_contact", contact("+442071838750")))
        .await;

    assert_refused(
        &national,
        "billing_contact.phone",
        "billing_contact.phone must be in E.164 format (e.g. '+12025551234')",
    );
    let echoed = &accepted(&e164)["billing_contact"];
    assert_eq!(echoed["phone"], "+442071838750");
    assert_eq!(
        echoed["address"],
        "Flat 2 — 10 Downing St., London SW1A 2AA (UK)!"
    );
}

#[tokio::test]
async fn a_billing_contact_that_is_not_an_object_is_refused_and_null_is_accepted() {
    let app = spawn_app().await;

    let string = app
        .create(ADMIN, &with("billing_contact", json!("Acme Corp")))
        .await;
    let null = app
        .create(ADMIN, &with("billing_contact", Value::Null))
        .await;

    assert_refused(
        &string,
        "billing_contact",
        "billing_contact must be an object",
    );
    assert_eq!(accepted(&null)["billing_contact"], Value::Null);
}

// payment_details

#[tokio::test]
async fn payment_details_are_refused_when_the_organization_is_billed_and_accepted_otherwise() {
    let app = spawn_app().await;
    let mut organization = with("payment_details", card());
    organization["billing_model"] = json!("organization");
    let mut shared = with("payment_details", card());
    shared["billing_model"] = json!("profile_and_organization");

    let refused = app.create(ADMIN, &organization).await;
    let by_default = app.create(ADMIN, &with("payment_details", card())).await;
    let accepted_shared = app.create(ADMIN, &shared).await;

    assert_refused(
        &refused,
        "payment_details",
        "payment_details is not allowed when billing_model is 'organization'",
    );
    accepted(&by_default);
    accepted(&accepted_shared);
}

#[tokio::test]
async fn each_of_the_four_payment_fields_is_required() {
    let app = spawn_app().await;

    for field in ["card_number", "expiry", "cvc", "zip_code"] {
        let mut details = card();
        details.as_object_mut().expect("object").remove(field);

        let reply = app.create(ADMIN, &with("payment_details", details)).await;

        let path = format!("payment_details.{field}");
        assert_refused(&reply, &path, &format!("{path} is required"));
    }
    let complete = app.create(ADMIN, &with("payment_details", card())).await;
    accepted(&complete);
}

#[tokio::test]
async fn a_card_number_must_be_thirteen_to_nineteen_digits() {
    let app = spawn_app().await;

    for bad in [
        "424242424242",
        "42424242424242424242",
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
    ] {
        let reply = app
            .create(ADMIN, &with_card("card_number", json!(bad)))
            .await;

        assert_refused(&reply, "payment_details.card_number", CARD_DIGITS);
    }
    let fifteen = app
        .create(ADMIN, &with_card("card_number", json!("378282246310005")))
        .await;
    accepted(&fifteen);
}

#[tokio::test]
async fn a_card_number_failing_the_luhn_check_is_refused() {
    let app = spawn_app().await;

    let luhn_failure = app
        .create(ADMIN, &with_card("card_number", json!("4242424242424241")))
        .await;
    let luhn_pass = app
        .create(ADMIN, &with_card("card_number", json!("4242424242424242")))
        .await;

    assert_refused(&luhn_failure, "payment_details.card_number", CARD_DIGITS);
    accepted(&luhn_pass);
}

#[tokio::test]
async fn a_valid_card_that_is_not_a_test_card_is_refused_naming_a_test_number_but_not_its_own() {
    let app = spawn_app().await;

    let reply = app
        .create(ADMIN, &with_card("card_number", json!("4000000000000002")))
        .await;

    assert_refused(&reply, "payment_details.card_number", CARD_NOT_TEST);
    assert!(
        !reply.text().contains("4000000000000002"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn every_public_test_card_number_is_accepted() {
    let app = spawn_app().await;

    for number in TEST_CARDS {
        let reply = app
            .create(ADMIN, &with_card("card_number", json!(number)))
            .await;

        assert_eq!(reply.status, 200, "{number}: {}", reply.text());
    }
}

#[tokio::test]
async fn a_card_number_of_the_wrong_json_type_is_refused_without_repeating_it() {
    let app = spawn_app().await;

    let reply = app
        .create(
            ADMIN,
            &with_card("card_number", json!(4242424242424242_u64)),
        )
        .await;

    assert_refused(
        &reply,
        "payment_details.card_number",
        "payment_details.card_number must be a string",
    );
    assert!(
        !reply.text().contains("4242424242424242"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn an_expiry_not_in_mm_yy_format_is_refused_with_the_contract_message() {
    let app = spawn_app().await;

    for bad in [
        "9/49", "13/49", "00/49", "09-49", "09/2049", "ab/cd", "0949",
    ] {
        let reply = app.create(ADMIN, &with_card("expiry", json!(bad))).await;

        assert_refused(&reply, "payment_details.expiry", EXPIRY_FORMAT);
    }
    let good = app
        .create(ADMIN, &with_card("expiry", json!("12/49")))
        .await;
    accepted(&good);
}

#[tokio::test]
async fn an_expiry_in_the_past_is_refused_and_the_current_month_is_accepted() {
    let app = spawn_app().await;
    let this_month = chrono::Utc::now().format("%m/%y").to_string();

    let past = app
        .create(ADMIN, &with_card("expiry", json!("01/20")))
        .await;
    let current = app
        .create(ADMIN, &with_card("expiry", json!(this_month)))
        .await;

    assert_refused(
        &past,
        "payment_details.expiry",
        "payment_details.expiry must not be in the past",
    );
    accepted(&current);
}

#[tokio::test]
async fn a_cvc_must_be_three_or_four_digits() {
    let app = spawn_app().await;

    for bad in ["12", "12345", "12a"] {
        let reply = app.create(ADMIN, &with_card("cvc", json!(bad))).await;

        assert_refused(&reply, "payment_details.cvc", CVC_RULE);
    }
    for good in ["123", "1234"] {
        let reply = app.create(ADMIN, &with_card("cvc", json!(good))).await;

        assert_eq!(reply.status, 200, "{good}: {}", reply.text());
    }
}

#[tokio::test]
async fn a_blank_zip_code_is_refused_and_a_present_one_is_accepted() {
    let app = spawn_app().await;

    let blank = app
        .create(ADMIN, &with_card("zip_code", json!("   ")))
        .await;
    let present = app
        .create(ADMIN, &with_card("zip_code", json!("SW1A 2AA")))
        .await;

    assert_refused(
        &blank,
        "payment_details.zip_code",
        "payment_details.zip_code is required",
    );
    accepted(&present);
}

// whatsapp_business_account

#[tokio::test]
async fn a_whatsapp_account_needs_a_waba_id_and_an_access_token() {
    let app = spawn_app().await;

    let empty = app
        .create(ADMIN, &with("whatsapp_business_account", json!({})))
        .await;
    let blank = app
        .create(
            ADMIN,
            &with(
                "whatsapp_business_account",
                json!({"waba_id": " ", "access_token": "EAAxxxx"}),
            ),
        )
        .await;

    empty.assert_error(400, "VALIDATION_001");
    assert_eq!(
        sorted_paths(&empty),
        [
            "whatsapp_business_account.access_token",
            "whatsapp_business_account.waba_id"
        ]
    );
    assert_eq!(
        empty.details("whatsapp_business_account.waba_id"),
        ["whatsapp_business_account.waba_id is required"]
    );
    assert_eq!(
        empty.details("whatsapp_business_account.access_token"),
        ["whatsapp_business_account.access_token is required"]
    );
    assert_refused(
        &blank,
        "whatsapp_business_account.waba_id",
        "whatsapp_business_account.waba_id is required",
    );
}

#[tokio::test]
async fn a_direct_whatsapp_account_without_a_phone_number_id_serves_an_organization_without_a_waba()
{
    let app = spawn_app().await;
    let body = with(
        "whatsapp_business_account",
        json!({"waba_id": "123456789012345", "access_token": "EAAxxxxxxxxxxxxxxx"}),
    );

    let reply = app.create(NO_WABA_ADMIN, &body).await;

    let data = accepted(&reply);
    assert_eq!(data["organization_id"], GLOBEX_ORG);
    assert_eq!(data["waba_id"], "123456789012345");
}

#[tokio::test]
async fn a_whatsapp_account_that_is_not_an_object_is_refused() {
    let app = spawn_app().await;

    let reply = app
        .create(ADMIN, &with("whatsapp_business_account", json!("123")))
        .await;

    assert_refused(
        &reply,
        "whatsapp_business_account",
        "whatsapp_business_account must be an object",
    );
}

// brand

#[tokio::test]
async fn a_brand_is_refused_while_inherit_tcr_brand_is_absent_or_true_and_accepted_when_false() {
    let app = spawn_app().await;
    let message = "brand is only allowed when inherit_tcr_brand is false (it defaults to true)";
    let mut explicit_true = with_brand(brand());
    explicit_true["inherit_tcr_brand"] = json!(true);

    let absent = app.create(ADMIN, &with("brand", brand())).await;
    let true_ = app.create(ADMIN, &explicit_true).await;
    let false_ = app.create(ADMIN, &with_brand(brand())).await;

    assert_refused(&absent, "brand", message);
    assert_refused(&true_, "brand", message);
    let data = accepted(&false_);
    assert_eq!(data["inherit_tcr_brand"], false);
    assert_eq!(data["brand"]["contact"]["name"], "Jane Doe");
}

#[tokio::test]
async fn a_brand_contact_without_a_name_is_refused() {
    let app = spawn_app().await;
    let mut nameless = brand();
    nameless["contact"] = json!({"role": "CEO"});

    let reply = app.create(ADMIN, &with_brand(nameless)).await;

    assert_refused(
        &reply,
        "brand.contact.name",
        "brand.contact.name is required",
    );
}

#[tokio::test]
async fn a_brand_compliance_needs_a_vertical_and_a_brand_relationship() {
    let app = spawn_app().await;
    let mut incomplete = brand();
    incomplete["compliance"] = json!({});

    let reply = app.create(ADMIN, &with_brand(incomplete)).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(
        sorted_paths(&reply),
        [
            "brand.compliance.brandRelationship",
            "brand.compliance.vertical"
        ]
    );
    assert_eq!(
        reply.details("brand.compliance.vertical"),
        ["brand.compliance.vertical is required"]
    );
    assert_eq!(
        reply.details("brand.compliance.brandRelationship"),
        ["brand.compliance.brandRelationship is required"]
    );
}

#[tokio::test]
async fn a_vertical_outside_its_enum_or_in_the_wrong_case_is_refused() {
    let app = spawn_app().await;
    let message = format!("brand.compliance.vertical must be one of: {VERTICALS}");

    for bad in ["retail", "Retail", "SHOPPING"] {
        let mut wrong = brand();
        wrong["compliance"]["vertical"] = json!(bad);

        let reply = app.create(ADMIN, &with_brand(wrong)).await;

        assert_refused(&reply, "brand.compliance.vertical", &message);
    }
    let mut right = brand();
    right["compliance"]["vertical"] = json!("TECHNOLOGY");
    let reply = app.create(ADMIN, &with_brand(right)).await;
    assert_eq!(
        accepted(&reply)["brand"]["compliance"]["vertical"],
        "TECHNOLOGY"
    );
}

#[tokio::test]
async fn a_brand_relationship_outside_its_enum_or_in_the_wrong_case_is_refused() {
    let app = spawn_app().await;
    let message =
        format!("brand.compliance.brandRelationship must be one of: {BRAND_RELATIONSHIPS}");

    for bad in ["small_account", "SMALL"] {
        let mut wrong = brand();
        wrong["compliance"]["brandRelationship"] = json!(bad);

        let reply = app.create(ADMIN, &with_brand(wrong)).await;

        assert_refused(&reply, "brand.compliance.brandRelationship", &message);
    }
    let mut right = brand();
    right["compliance"]["brandRelationship"] = json!("KEY_ACCOUNT");
    let reply = app.create(ADMIN, &with_brand(right)).await;
    assert_eq!(
        accepted(&reply)["brand"]["compliance"]["brand_relationship"],
        "KEY_ACCOUNT"
    );
}

#[tokio::test]
async fn a_business_entity_type_outside_its_enum_is_refused_and_a_listed_one_is_accepted() {
    let app = spawn_app().await;
    let mut wrong = brand();
    wrong["business"] = json!({"entityType": "private_profit"});
    let mut right = brand();
    right["business"] = json!({"entityType": "NON_PROFIT"});

    let refused = app.create(ADMIN, &with_brand(wrong)).await;
    let accepted_reply = app.create(ADMIN, &with_brand(right)).await;

    assert_refused(
        &refused,
        "brand.business.entityType",
        &format!("brand.business.entityType must be one of: {ENTITY_TYPES}"),
    );
    assert_eq!(
        accepted(&accepted_reply)["brand"]["business"]["entity_type"],
        "NON_PROFIT"
    );
}

#[tokio::test]
async fn a_destination_country_id_that_is_not_two_letters_is_refused_under_its_indexed_path() {
    let app = spawn_app().await;
    let mut wrong = brand();
    wrong["compliance"]["destinationCountries"] =
        json!([{"id": "USA", "isMain": true}, {"id": "CA", "isMain": false}]);
    let mut right = brand();
    right["compliance"]["destinationCountries"] = json!([{"id": "US", "isMain": true}]);

    let refused = app.create(ADMIN, &with_brand(wrong)).await;
    let accepted_reply = app.create(ADMIN, &with_brand(right)).await;

    assert_refused(
        &refused,
        "brand.compliance.destinationCountries[0].id",
        "brand.compliance.destinationCountries[0].id must be a two-letter country code (e.g. 'US')",
    );
    assert_eq!(
        accepted(&accepted_reply)["brand"]["compliance"]["destination_countries"],
        json!([{"id": "US", "isMain": true}])
    );
}

// together

#[tokio::test]
async fn every_field_problem_of_one_body_is_reported_together_in_one_response() {
    let app = spawn_app().await;
    let body = json!({
        "short_name": "x",
        "icon": "ftp://example.com/icon.png",
        "allow_contact_sharing": "yes",
        "billing_contact": {"name": "Acme Corp", "email": "nope"},
        "payment_details": {"card_number": "4242424242424241", "expiry": "13/49", "cvc": "1", "zip_code": ""},
        "whatsapp_business_account": {"waba_id": "123"},
        "brand": brand()
    });

    let reply = app.create(ADMIN, &body).await;

    reply.assert_error(400, "VALIDATION_001");
    let paths = sorted_paths(&reply);
    let mut expected = vec![
        "name",
        "short_name",
        "icon",
        "allow_contact_sharing",
        "billing_contact.email",
        "payment_details.card_number",
        "payment_details.expiry",
        "payment_details.cvc",
        "payment_details.zip_code",
        "whatsapp_business_account.access_token",
        "brand",
    ];
    expected.sort();
    assert_eq!(paths, expected, "{}", reply.text());
    assert_eq!(reply.details("name"), ["Profile name is required"]);
    assert_eq!(reply.details("payment_details.expiry"), [EXPIRY_FORMAT]);
}

// unknown fields

#[tokio::test]
async fn unknown_fields_are_accepted_and_not_echoed() {
    let app = spawn_app().await;
    let mut body = minimal_body();
    body["favourite_colour"] = json!("blue");
    body["extra"] = json!({"nested": [1, 2, 3]});

    let reply = app.create(ADMIN, &body).await;

    let data = accepted(&reply);
    let object = data.as_object().expect("data is an object");
    assert!(!object.contains_key("favourite_colour"), "{data}");
    assert!(!object.contains_key("extra"), "{data}");
    assert!(
        !reply.text().contains("favourite_colour"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn an_invalid_inherit_tcr_brand_is_one_problem_not_a_second_one_under_brand() {
    let app = spawn_app().await;
    let mut body = seed_body();
    body["inherit_tcr_brand"] = json!("no");

    let reply = app.create(ADMIN, &body).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["inherit_tcr_brand"]);
    assert_eq!(
        reply.details("inherit_tcr_brand"),
        ["inherit_tcr_brand must be a boolean"]
    );
}
