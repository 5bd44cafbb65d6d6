//! The control API (CONTRACT §9): health, the admin flags, the request journal and its
//! redaction, scenarios at run time, reset, minted organizations, fixtures, the clock and
//! `--seed`.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use http::Method;
use sent_mock::config::Admin;
use sent_mock::Config;
use serde_json::{json, Value};

use crate::support::*;

/// `GET /_mock/requests` with a query (`""` or `"?…"`): the journal entries, oldest first.
async fn journal(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app.get(&format!("/_mock/requests{query}")).send().await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"]["requests"]
        .as_array()
        .unwrap_or_else(|| panic!("no requests list: {}", reply.text()))
        .clone()
}

/// `POST /_mock/organizations`: the answer's `data` (`organization` and `keys`).
async fn mint(app: &TestApp, body: &Value) -> Value {
    let reply = app.post("/_mock/organizations").json(body).send().await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

/// The key of a minted organization with this role.
fn key_of(minted: &Value, role: &str) -> String {
    minted["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["role"] == role))
        .and_then(|k| k["key"].as_str())
        .unwrap_or_else(|| panic!("no {role} key in {minted}"))
        .to_owned()
}

fn request_ids(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["request_id"].as_str().unwrap_or_default())
        .collect()
}

fn parse_time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{value} is not an RFC 3339 time: {e}"))
}

fn body_with_secrets() -> Value {
    let mut body = sentinel_body();
    body["name"] = json!("Sentinel Profile");
    body
}

fn with_journal_size(size: usize) -> Config {
    Config {
        journal_size: size,
        ..Config::default()
    }
}

fn with_admin(admin: Admin) -> Config {
    Config {
        admin,
        ..Config::default()
    }
}

fn with_seed(seed: u64) -> Config {
    Config {
        seed: Some(seed),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------
// Health and who may use the control API
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn health_answers_200_status_ok_in_the_envelope() {
    let app = spawn_app().await;

    let reply = app.get("/_mock/health").send().await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["status"], "ok");
    assert_eq!(
        body["data"]["requests_in_flight"], 1,
        "the health request itself"
    );
    assert_eq!(
        body["data"]["idempotency"],
        json!({"records": 0, "running": 0})
    );
    assert_eq!(body["data"]["profiles"], 1, "the seed profile");
    assert!(body["data"]["connections"].as_u64().unwrap() >= 1);
    assert_eq!(body["error"], Value::Null);
    assert_eq!(
        reply.header("x-request-id"),
        body["meta"]["request_id"].as_str()
    );
}

/// Every control call but health, with a body where one is needed, in an order that works.
fn guarded_calls() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/_mock/scenarios", None),
        (
            Method::POST,
            "/_mock/scenarios",
            Some(json!({"name": "teapot", "steps": [{"status": 503, "message": "brewing"}]})),
        ),
        (Method::GET, "/_mock/scenarios/teapot", None),
        (Method::DELETE, "/_mock/scenarios/teapot", None),
        (Method::GET, "/_mock/requests", None),
        (Method::GET, "/_mock/clock", None),
        (Method::POST, "/_mock/clock", Some(json!({"advance": "1s"}))),
        (Method::POST, "/_mock/organizations", Some(json!({}))),
        (Method::GET, "/_mock/fixtures", None),
        (Method::POST, "/_mock/reset", None),
    ]
}

async fn control_call(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Option<Value>,
    authorization: Option<&str>,
) -> Reply {
    let mut call = app.request(method.clone(), path);
    if let Some(value) = authorization {
        call = call.header("authorization", value);
    }
    if let Some(body) = body {
        call = call.json(body);
    }
    call.send().await
}

#[tokio::test]
async fn with_an_admin_token_health_stays_open_and_every_other_control_path_needs_the_bearer_token()
{
    let app = spawn_app_with(with_admin(Admin::Token("t".into()))).await;

    let health = app.get("/_mock/health").send().await;
    let mut refused = Vec::new();
    for (method, path, body) in guarded_calls() {
        let none = control_call(&app, &method, path, &body, None).await;
        let wrong = control_call(&app, &method, path, &body, Some("Bearer nope")).await;
        let bare = control_call(&app, &method, path, &body, Some("t")).await;
        refused.push((method, path, [none, wrong, bare]));
    }
    let mut admitted = Vec::new();
    for (method, path, body) in guarded_calls() {
        let reply = control_call(&app, &method, path, &body, Some("Bearer t")).await;
        admitted.push((method, path, reply));
    }

    assert_eq!(health.status, 200, "{}", health.text());
    for (method, path, replies) in &refused {
        for reply in replies {
            assert_eq!(reply.status, 401, "{method} {path}: {}", reply.text());
            assert_eq!(reply.code(), "AUTH_001", "{method} {path}");
        }
    }
    for (method, path, reply) in &admitted {
        let expected = if *method == Method::DELETE { 204 } else { 200 };
        assert_eq!(reply.status, expected, "{method} {path}: {}", reply.text());
    }
}

#[tokio::test]
async fn with_the_control_api_off_its_paths_answer_404_route_not_found_while_the_api_still_works() {
    let app = spawn_app_with(with_admin(Admin::Off)).await;

    let health = app.get("/_mock/health").send().await;
    let mut others = Vec::new();
    for (method, path, body) in guarded_calls() {
        let reply = control_call(&app, &method, path, &body, None).await;
        others.push((method, path, reply));
    }
    let created = app.create(ADMIN, &minimal_body()).await;

    health.assert_error(404, "ROUTE_NOT_FOUND");
    for (method, path, reply) in &others {
        assert_eq!(reply.status, 404, "{method} {path}: {}", reply.text());
        assert_eq!(reply.code(), "ROUTE_NOT_FOUND", "{method} {path}");
    }
    assert_eq!(created.status, 200, "{}", created.text());
}

#[tokio::test]
async fn the_binary_admin_flags_put_the_control_api_behind_a_token_or_switch_it_off() {
    let guarded = Binary::start(&["--admin-token", "s3cret"]);
    let off = Binary::start(&["--no-admin"]);
    let (guarded_app, off_app) = (guarded.app(), off.app());

    let open_health = guarded_app.get("/_mock/health").send().await;
    let without = guarded_app.get("/_mock/fixtures").send().await;
    let with = guarded_app
        .get("/_mock/fixtures")
        .header("Authorization", "Bearer s3cret")
        .send()
        .await;
    let switched_off = off_app.get("/_mock/health").send().await;
    let api = off_app.create(ADMIN, &minimal_body()).await;

    assert_eq!(open_health.status, 200);
    without.assert_error(401, "AUTH_001");
    assert_eq!(with.status, 200, "{}", with.text());
    switched_off.assert_error(404, "ROUTE_NOT_FOUND");
    assert_eq!(api.status, 200, "{}", api.text());
}

// ---------------------------------------------------------------------------------------
// The request journal
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_journal_lists_requests_oldest_first_with_what_was_asked_and_answered() {
    let app = spawn_app().await;
    let first = app.create(ADMIN, &json!({"name": "First"})).await;
    let second = app
        .create_with_key(ADMIN, "journal-key", &json!({"name": "Second"}))
        .await;
    let refused = app.create(NO_WABA_ADMIN, &minimal_body()).await;

    let entries = journal(&app, "").await;

    assert_eq!(entries.len(), 3, "{entries:#?}");
    let replies = [&first, &second, &refused];
    for (entry, reply) in entries.iter().zip(replies) {
        assert_eq!(entry["method"], "POST");
        assert_eq!(entry["path"], "/v3/profiles");
        assert_eq!(entry["status"], reply.status);
        assert_eq!(
            entry["request_id"].as_str(),
            reply.header("x-request-id"),
            "the journal names the response's request id"
        );
        assert_eq!(entry["replayed"], false);
        assert_eq!(entry["scenario"], Value::Null);
        assert_eq!(entry["headers"]["x-api-key"], "[REDACTED]");
        assert_eq!(entry["headers"]["content-type"], "application/json");
    }
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["organization_id"], ACME_ORG);
    assert_eq!(entries[0]["idempotency_key"], Value::Null);
    assert_eq!(entries[0]["body"]["name"], "First");
    assert_eq!(entries[1]["idempotency_key"], "journal-key");
    assert_eq!(entries[1]["headers"]["idempotency-key"], "journal-key");
    assert_eq!(entries[2]["status"], 422);
    assert_eq!(entries[2]["organization_id"], GLOBEX_ORG);
}

/// HTTP allows header bytes that are not UTF-8 (obs-text). The journal shows them as U+FFFD,
/// escapes quotes and backslashes around them, and still parses as JSON.
#[tokio::test]
async fn a_header_value_that_is_not_utf8_is_journaled_with_replacement_characters() {
    let app = spawn_app().await;
    let body = r#"{"name":"Bytes"}"#;
    let request = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: test\r\nx-api-key: {ADMIN}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(b"x-note: caf\xe9 \"q\" \\ \xe2\x82\r\n\r\n");
    bytes.extend_from_slice(body.as_bytes());
    let answer = app.raw(&bytes, std::time::Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let entries = journal(&app, "").await;

    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(
        entries[0]["headers"]["x-note"],
        "caf\u{fffd} \"q\" \\ \u{fffd}"
    );
    assert_eq!(entries[0]["headers"]["x-api-key"], "[REDACTED]");
    assert_eq!(entries[0]["body"]["name"], "Bytes");
}

#[tokio::test]
async fn a_replay_is_journaled_as_replayed() {
    let app = spawn_app().await;
    let original = app
        .create_with_key(ADMIN, "replay-me", &minimal_body())
        .await;
    let replay = app
        .create_with_key(ADMIN, "replay-me", &minimal_body())
        .await;

    let entries = journal(&app, "").await;

    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert_eq!(entries[0]["replayed"], false);
    assert_eq!(
        entries[0]["request_id"].as_str(),
        original.header("x-request-id")
    );
    assert_eq!(entries[1]["replayed"], true);
    assert_eq!(entries[1]["status"], 200);
    assert_eq!(
        entries[1]["request_id"].as_str(),
        replay.header("x-request-id"),
        "the replay is journaled under its own request id"
    );
}

#[tokio::test]
async fn a_request_that_met_a_scenario_is_journaled_with_the_scenario_name() {
    let app = spawn_app().await;
    let scripted = app
        .create(ADMIN, &json!({"name": "mock:internal-error"}))
        .await;

    let entries = journal(&app, "").await;

    scripted.assert_error(500, "INTERNAL_001");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0]["scenario"], "internal-error");
    assert_eq!(entries[0]["status"], 500);
}

#[tokio::test]
async fn the_journal_filters_by_path_idempotency_key_organization_and_limit() {
    let app = spawn_app().await;
    let a = app.create_with_key(ADMIN, "alpha", &minimal_body()).await;
    let b = app
        .create_with_key(NO_WABA_ADMIN, "beta", &minimal_body())
        .await;
    let c = app.create(ADMIN, &json!({"name": "Third"})).await;
    let unknown = app.get("/_stainless_unknown_path").key(ADMIN).send().await;
    let id = |reply: &Reply| reply.header("x-request-id").unwrap_or_default().to_owned();

    let by_path = journal(&app, "?path=/v3/profiles").await;
    let by_other_path = journal(&app, "?path=%2F_stainless").await;
    let by_key = journal(&app, "?idempotency_key=beta").await;
    let by_org = journal(&app, &format!("?organization_id={ACME_ORG}")).await;
    let limited = journal(&app, "?limit=2").await;
    let combined = journal(
        &app,
        &format!("?path=/v3&organization_id={ACME_ORG}&limit=1"),
    )
    .await;
    let nothing = journal(&app, "?idempotency_key=never-used").await;

    assert_eq!(request_ids(&by_path), [id(&a), id(&b), id(&c)]);
    assert_eq!(request_ids(&by_other_path), [id(&unknown)]);
    assert_eq!(request_ids(&by_key), [id(&b)]);
    assert_eq!(request_ids(&by_org), [id(&a), id(&c)]);
    assert_eq!(
        request_ids(&limited),
        [id(&c), id(&unknown)],
        "limit keeps the newest"
    );
    assert_eq!(request_ids(&combined), [id(&c)]);
    assert!(nothing.is_empty(), "{nothing:#?}");
}

#[tokio::test]
async fn requests_refused_before_authentication_are_found_by_their_api_key_too() {
    let app = spawn_app_with(Config {
        max_body: 1024,
        ..Default::default()
    })
    .await;
    let nowhere = app.post("/v3/nowhere").key("sk_test_lost").send().await;
    let too_big = app
        .create("sk_test_heavy", &json!({"name": "x".repeat(2000)}))
        .await;
    assert_eq!((nowhere.status, too_big.status), (404, 413));

    let id = |reply: &Reply| reply.header("x-request-id").unwrap_or_default().to_owned();
    let lost = journal(&app, "?api_key=sk_test_lost").await;
    let heavy = journal(&app, "?api_key=sk_test_heavy").await;
    assert_eq!(request_ids(&lost), [id(&nowhere)]);
    assert_eq!(request_ids(&heavy), [id(&too_big)]);
}

#[tokio::test]
async fn the_journal_filters_by_api_key_without_ever_showing_the_key() {
    let app = spawn_app().await;
    let acme = app.create(ADMIN, &minimal_body()).await;
    let globex = app.create(NO_WABA_ADMIN, &minimal_body()).await;
    let unknown = app.create("sk_test_nobody_here", &minimal_body()).await;

    let by_admin = journal(&app, &format!("?api_key={ADMIN}")).await;
    let by_globex = journal(&app, &format!("?api_key={NO_WABA_ADMIN}")).await;
    let by_unknown = journal(&app, "?api_key=sk_test_nobody_here").await;
    let by_unused = journal(&app, &format!("?api_key={DEVELOPER}")).await;
    let whole = app.get("/_mock/requests").send().await.text();

    let id = |reply: &Reply| reply.header("x-request-id").unwrap_or_default().to_owned();
    assert_eq!(request_ids(&by_admin), [id(&acme)]);
    assert_eq!(request_ids(&by_globex), [id(&globex)]);
    assert_eq!(request_ids(&by_unknown), [id(&unknown)]);
    assert!(by_unused.is_empty(), "{by_unused:#?}");
    for key in [ADMIN, NO_WABA_ADMIN, "sk_test_nobody_here"] {
        assert!(
            !whole.contains(key),
            "{key} appears in the journal: {whole}"
        );
    }
}

#[tokio::test]
async fn an_unknown_journal_filter_is_400_naming_it() {
    let app = spawn_app().await;

    let unknown = app.get("/_mock/requests?status=200").send().await;
    let bad_org = app.get("/_mock/requests?organization_id=acme").send().await;
    let bad_limit = app.get("/_mock/requests?limit=many").send().await;

    unknown.assert_error(400, "VALIDATION_001");
    assert!(!unknown.details("status").is_empty(), "{}", unknown.text());
    bad_org.assert_error(400, "VALIDATION_001");
    assert!(
        !bad_org.details("organization_id").is_empty(),
        "{}",
        bad_org.text()
    );
    bad_limit.assert_error(400, "VALIDATION_001");
    assert!(
        !bad_limit.details("limit").is_empty(),
        "{}",
        bad_limit.text()
    );
}

#[tokio::test]
async fn a_journal_of_size_3_keeps_only_the_3_newest_requests() {
    let app = spawn_app_with(with_journal_size(3)).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let reply = app.create(ADMIN, &json!({ "name": format!("P{i}") })).await;
        ids.push(reply.header("x-request-id").unwrap_or_default().to_owned());
    }

    let entries = journal(&app, "").await;

    assert_eq!(request_ids(&entries), ids[2..]);
    let names: Vec<&Value> = entries.iter().map(|e| &e["body"]["name"]).collect();
    assert_eq!(names, [&json!("P2"), &json!("P3"), &json!("P4")]);
}

/// A full journal writes the newest entry over the oldest one's buffers: nothing of the
/// request before may show through in a field the new one does not have.
#[tokio::test]
async fn a_recycled_journal_entry_keeps_nothing_of_the_request_before() {
    let app = spawn_app_with(with_journal_size(1)).await;
    let keyed = || {
        app.post("/v3/profiles?trace=1")
            .key(ADMIN)
            .header("idempotency-key", "recycled-entry-key")
            .json(&minimal_body())
    };
    let created = keyed().send().await;
    let replayed = keyed().send().await;
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    let id = created.data_id();

    let read = app
        .get(&format!("/v3/profiles/{id}"))
        .key(ADMIN)
        .send()
        .await;
    let entries = journal(&app, "").await;

    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["path"], format!("/v3/profiles/{id}"));
    for field in ["query", "body", "idempotency_key", "scenario", "note"] {
        assert!(entry[field].is_null(), "{field} left over: {entry:#}");
    }
    assert_eq!(entry["replayed"], false);
    assert_eq!(entry["body_bytes"], 0);
    assert!(
        entry["headers"].get("idempotency-key").is_none(),
        "{entry:#}"
    );
}

#[tokio::test]
async fn a_journal_of_size_0_keeps_nothing() {
    let app = spawn_app_with(with_journal_size(0)).await;
    let created = app.create(ADMIN, &minimal_body()).await;

    let entries = journal(&app, "").await;

    assert_eq!(created.status, 200);
    assert!(entries.is_empty(), "{entries:#?}");
}

#[tokio::test]
async fn control_api_requests_are_not_journaled() {
    let app = spawn_app().await;
    app.get("/_mock/health").send().await;
    app.get("/_mock/fixtures").send().await;
    app.get("/_mock/scenarios").send().await;
    app.get("/_mock/clock").send().await;
    mint(&app, &json!({})).await;
    journal(&app, "").await;
    let created = app.create(ADMIN, &minimal_body()).await;

    let entries = journal(&app, "").await;

    assert_eq!(
        request_ids(&entries),
        [created.header("x-request-id").unwrap_or_default()],
        "only the API request: {entries:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_journal_never_shows_a_card_number_cvc_expiry_access_token_or_api_key() {
    let app = spawn_app().await;
    let created = app.create(ADMIN, &body_with_secrets()).await;
    let replayed_first = app
        .create_with_key(ADMIN, "secret-key", &body_with_secrets())
        .await;
    let replayed = app
        .create_with_key(ADMIN, "secret-key", &body_with_secrets())
        .await;
    let mut expired = body_with_secrets();
    expired["payment_details"]["expiry"] = json!("01/20");
    let refused = app.create(ADMIN, &expired).await;

    let reply = app.get("/_mock/requests").send().await;

    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(replayed_first.status, 200);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(reply.status, 200);
    let text = reply.text();
    assert_no_sentinel(&text, "the journal", &[ADMIN]);
    assert!(text.contains("[REDACTED]"), "{text}");
    let entries = &reply.json()["data"]["requests"];
    assert_eq!(entries.as_array().map(Vec::len), Some(4), "{text}");
    for entry in entries.as_array().into_iter().flatten() {
        let body = &entry["body"];
        assert_eq!(body["name"], "Sentinel Profile", "{entry}");
        assert_eq!(
            body["whatsapp_business_account"]["waba_id"], "123456789012345",
            "{entry}"
        );
        assert_eq!(
            body["whatsapp_business_account"]["access_token"],
            "[REDACTED]"
        );
        assert_eq!(body["payment_details"]["card_number"], "[REDACTED]");
        assert_eq!(body["payment_details"]["cvc"], "[REDACTED]");
        assert_eq!(body["payment_details"]["expiry"], "[REDACTED]");
        assert_eq!(entry["headers"]["x-api-key"], "[REDACTED]");
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios at run time
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_scenario_list_holds_the_shipped_library() {
    let app = spawn_app().await;

    let reply = app.get("/_mock/scenarios").send().await;
    let flaky = app.get("/_mock/scenarios/flaky").send().await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let names: Vec<String> = reply.json()["data"]["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    for name in [
        "flaky",
        "internal-error",
        "slow",
        "rate-limited",
        "create-then-drop",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    assert_eq!(flaky.status, 200, "{}", flaky.text());
    assert_eq!(flaky.json()["data"]["scenario"]["name"], "flaky");
    assert_eq!(
        flaky.json()["data"]["scenario"]["steps"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn a_scenario_added_at_run_time_is_selectable_replaceable_and_removable() {
    let app = spawn_app().await;
    let teapot =
        |message: &str| json!({"name": "teapot", "steps": [{"status": 503, "message": message}]});
    let scripted = || {
        app.post("/v3/profiles")
            .key(ADMIN)
            .header("x-mock-scenario", "teapot")
            .json(&minimal_body())
            .send()
    };

    let added = app
        .post("/_mock/scenarios")
        .json(&teapot("brewing"))
        .send()
        .await;
    let listed = app.get("/_mock/scenarios").send().await;
    let first = scripted().await;
    let replaced = app
        .post("/_mock/scenarios")
        .json(&teapot("still brewing"))
        .send()
        .await;
    let shown = app.get("/_mock/scenarios/teapot").send().await;
    let second = scripted().await;
    let removed = app
        .request(Method::DELETE, "/_mock/scenarios/teapot")
        .send()
        .await;
    let after = scripted().await;
    let gone = app.get("/_mock/scenarios/teapot").send().await;

    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(added.json()["data"]["replaced"], false);
    assert_eq!(added.json()["data"]["scenario"]["name"], "teapot");
    assert!(
        listed.json()["data"]["scenarios"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|s| s["name"] == "teapot"),
        "{}",
        listed.text()
    );
    first.assert_error(503, "SERVICE_001");
    assert_eq!(first.json()["error"]["message"], "brewing");
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["data"]["replaced"], true);
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(
        shown.json()["data"]["scenario"]["steps"][0]["message"],
        "still brewing"
    );
    second.assert_error(503, "SERVICE_001");
    assert_eq!(second.json()["error"]["message"], "still brewing");
    assert_eq!(removed.status, 204, "{}", removed.text());
    assert!(removed.body.is_empty());
    after.assert_error(400, "SCENARIO_NOT_FOUND");
    gone.assert_error(404, "SCENARIO_NOT_FOUND");
}

#[tokio::test]
async fn removing_an_unknown_scenario_is_404_scenario_not_found() {
    let app = spawn_app().await;

    let reply = app
        .request(Method::DELETE, "/_mock/scenarios/no-such-scenario")
        .send()
        .await;

    reply.assert_error(404, "SCENARIO_NOT_FOUND");
}

#[tokio::test]
async fn a_bad_scenario_body_is_400_validation_001_with_the_problem_under_body() {
    let app = spawn_app().await;
    let bodies = [
        json!({"name": "empty", "steps": []}),
        json!({"name": "stepless"}),
        json!({"name": "teapot", "steps": [{"status": 418}]}),
        json!({"name": "has space", "steps": [{"status": 500}]}),
    ];

    let mut replies = Vec::new();
    for body in &bodies {
        replies.push(app.post("/_mock/scenarios").json(body).send().await);
    }
    let not_json = app
        .post("/_mock/scenarios")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await;
    let teapot = app.get("/_mock/scenarios/teapot").send().await;

    for (body, reply) in bodies.iter().zip(&replies) {
        reply.assert_error(400, "VALIDATION_001");
        assert!(
            !reply.details("body").is_empty(),
            "{body}: {}",
            reply.text()
        );
    }
    assert!(
        replies[0].details("body")[0].contains("steps"),
        "{}",
        replies[0].text()
    );
    assert!(
        replies[2].details("body")[0].contains("418"),
        "{}",
        replies[2].text()
    );
    not_json.assert_error(400, "VALIDATION_001");
    assert!(!not_json.details("body").is_empty(), "{}", not_json.text());
    teapot.assert_error(404, "SCENARIO_NOT_FOUND");
}

// ---------------------------------------------------------------------------------------
// Reset
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn reset_clears_journal_keys_minted_organizations_clock_and_counters_but_keeps_the_fixtures()
{
    let app = spawn_app().await;
    let original = app
        .create_with_key(ADMIN, "before-reset", &minimal_body())
        .await;
    let replayed = app
        .create_with_key(ADMIN, "before-reset", &minimal_body())
        .await;
    let minted = mint(&app, &json!({})).await;
    let minted_admin = key_of(&minted, "admin");
    let minted_create = app.create(&minted_admin, &minimal_body()).await;
    app.advance_clock("48h").await;
    let flaky = json!({"name": "mock:flaky"});
    let flaky_before = [
        app.create(ADMIN, &flaky).await.status,
        app.create(ADMIN, &flaky).await.status,
    ];

    let reset = app.post("/_mock/reset").send().await;

    let entries = journal(&app, "").await;
    let again = app
        .create_with_key(ADMIN, "before-reset", &minimal_body())
        .await;
    let minted_after = app.create(&minted_admin, &minimal_body()).await;
    let clock = app.get("/_mock/clock").send().await;
    let mut flaky_after = Vec::new();
    for _ in 0..3 {
        flaky_after.push(app.create(ADMIN, &flaky).await.status);
    }
    let original_id = original.data_id();
    let runtime_profile = app
        .get(&format!("/v3/profiles/{original_id}"))
        .key(ADMIN)
        .send()
        .await;
    let seed_profile = app
        .get(&format!("/v3/profiles/{SEED_PROFILE}"))
        .key(ADMIN)
        .send()
        .await;
    let with_seed_profile = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", SEED_PROFILE)
        .json(&minimal_body())
        .send()
        .await;

    assert_eq!(original.status, 200, "{}", original.text());
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(minted_create.status, 200, "{}", minted_create.text());
    assert_eq!(flaky_before, [500, 500]);
    assert_eq!(reset.status, 200, "{}", reset.text());
    assert!(entries.is_empty(), "the journal is empty: {entries:#?}");
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again.header("idempotent-replayed"),
        None,
        "the key executes again"
    );
    assert_ne!(again.json()["data"]["id"], original.json()["data"]["id"]);
    minted_after.assert_error(401, "AUTH_002");
    runtime_profile.assert_error(404, "RESOURCE_014");
    assert_eq!(seed_profile.status, 200, "{}", seed_profile.text());
    assert_eq!(seed_profile.json()["data"]["name"], "Acme Support");
    let now = parse_time(&clock.json()["data"]["now"]);
    let drift = now.with_timezone(&Utc) - Utc::now();
    assert!(
        drift.num_seconds().abs() < 60,
        "the clock is back near real time: {now}"
    );
    assert_eq!(
        flaky_after,
        [500, 500, 200],
        "flaky starts at its first step"
    );
    assert_eq!(
        with_seed_profile.status,
        200,
        "{}",
        with_seed_profile.text()
    );
    assert_eq!(with_seed_profile.header("x-profile-id"), Some(SEED_PROFILE));
}

#[tokio::test]
async fn a_scenario_added_at_run_time_survives_a_reset() {
    let app = spawn_app().await;
    let added = app
        .post("/_mock/scenarios")
        .json(&json!({"name": "teapot", "steps": [{"status": 503, "message": "brewing"}]}))
        .send()
        .await;

    app.post("/_mock/reset").send().await;
    let shown = app.get("/_mock/scenarios/teapot").send().await;

    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(shown.status, 200, "{}", shown.text());
}

#[tokio::test]
async fn a_key_minted_before_a_reset_stays_dead_when_new_organizations_are_minted() {
    let app = spawn_app().await;
    let before = mint(&app, &json!({})).await;
    let stale_key = key_of(&before, "admin");

    app.post("/_mock/reset").send().await;
    // Another test goes on working after the reset: one profile, then its own organization.
    let created = app.create(ADMIN, &minimal_body()).await;
    let after = mint(&app, &json!({})).await;
    let stale = app.create(&stale_key, &minimal_body()).await;

    assert_eq!(created.status, 200, "{}", created.text());
    stale.assert_error(401, "AUTH_002");
    assert_ne!(key_of(&after, "admin"), stale_key);
    assert_ne!(
        after["organization"]["id"], before["organization"]["id"],
        "ids stay unique within a run"
    );
}

#[tokio::test]
async fn request_and_profile_ids_stay_unique_across_a_reset() {
    let app = spawn_app().await;
    let mut request_ids = std::collections::HashSet::new();
    let mut profile_ids = std::collections::HashSet::new();
    let mut record = |reply: &Reply| {
        let request_id = reply.header("x-request-id").unwrap_or_default().to_owned();
        assert!(
            request_ids.insert(request_id.clone()),
            "request id {request_id} seen twice"
        );
        if let Some(id) = reply.json()["data"]["id"].as_str() {
            assert!(
                profile_ids.insert(id.to_owned()),
                "profile id {id} seen twice"
            );
        }
    };

    for _ in 0..3 {
        record(&app.create(ADMIN, &minimal_body()).await);
    }
    record(&app.post("/_mock/reset").send().await);
    for _ in 0..3 {
        record(&app.create(ADMIN, &minimal_body()).await);
    }
}

// ---------------------------------------------------------------------------------------
// Minted organizations
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_minted_organization_has_a_waba_an_admin_key_and_a_developer_key() {
    let app = spawn_app().await;

    let minted = mint(&app, &json!({})).await;
    let named = mint(&app, &json!({"name": "Parallel Test 7"})).await;

    let org = &minted["organization"];
    assert!(
        uuid::Uuid::parse_str(org["id"].as_str().unwrap_or_default()).is_ok(),
        "{org}"
    );
    assert!(org["name"].as_str().is_some_and(|n| !n.is_empty()), "{org}");
    assert!(
        org["email"].as_str().is_some_and(|e| e.contains('@')),
        "{org}"
    );
    assert!(
        org["waba_id"].as_str().is_some_and(|w| !w.is_empty()),
        "{org}"
    );
    let admin = key_of(&minted, "admin");
    let developer = key_of(&minted, "developer");
    assert_ne!(admin, developer);
    assert_eq!(named["organization"]["name"], "Parallel Test 7");
    assert_ne!(named["organization"]["id"], org["id"]);
    assert_ne!(key_of(&named, "admin"), admin);
}

#[tokio::test]
async fn a_minted_admin_key_creates_profiles_in_its_own_organization() {
    let app = spawn_app().await;
    let minted = mint(&app, &json!({})).await;
    let org = &minted["organization"];

    let created = app.create(&key_of(&minted, "admin"), &minimal_body()).await;
    let by_developer = app
        .create(&key_of(&minted, "developer"), &minimal_body())
        .await;

    assert_eq!(created.status, 200, "{}", created.text());
    let data = &created.json()["data"];
    assert_eq!(data["organization_id"], org["id"]);
    assert_eq!(data["email"], org["email"]);
    assert_eq!(
        data["waba_id"], org["waba_id"],
        "the profile inherits the WABA"
    );
    by_developer.assert_error(403, "AUTH_004");
}

#[tokio::test]
async fn an_organization_minted_without_a_waba_gets_the_422() {
    let app = spawn_app().await;
    let minted = mint(&app, &json!({"waba": false})).await;

    let reply = app.create(&key_of(&minted, "admin"), &minimal_body()).await;

    assert_eq!(minted["organization"]["waba_id"], Value::Null);
    reply.assert_error(422, "VALIDATION_001");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Organization does not have a WhatsApp Business Account configured"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn two_minted_organizations_using_the_same_idempotency_key_both_create() {
    let app = spawn_app().await;
    let one = mint(&app, &json!({})).await;
    let two = mint(&app, &json!({})).await;

    let first = app
        .create_with_key(&key_of(&one, "admin"), "shared", &minimal_body())
        .await;
    let second = app
        .create_with_key(&key_of(&two, "admin"), "shared", &minimal_body())
        .await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(second.status, 200, "{}", second.text());
    assert_eq!(second.header("idempotent-replayed"), None);
    assert_ne!(first.json()["data"]["id"], second.json()["data"]["id"]);
    assert_eq!(
        first.json()["data"]["organization_id"],
        one["organization"]["id"]
    );
    assert_eq!(
        second.json()["data"]["organization_id"],
        two["organization"]["id"]
    );
}

#[tokio::test]
async fn scenario_counters_are_kept_per_minted_organization() {
    let app = spawn_app().await;
    let one = key_of(&mint(&app, &json!({})).await, "admin");
    let two = key_of(&mint(&app, &json!({})).await, "admin");
    let flaky = json!({"name": "mock:flaky"});

    let (mut seen_one, mut seen_two) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        seen_one.push(app.create(&one, &flaky).await.status);
        seen_two.push(app.create(&two, &flaky).await.status);
    }

    assert_eq!(seen_one, [500, 500, 200]);
    assert_eq!(seen_two, [500, 500, 200]);
}

#[tokio::test]
async fn an_organization_minted_with_a_scenario_has_its_keys_bound_to_it() {
    let app = spawn_app().await;
    let minted = mint(&app, &json!({"scenario": "internal-error"})).await;

    let reply = app.create(&key_of(&minted, "admin"), &minimal_body()).await;
    let fixture = app.create(ADMIN, &minimal_body()).await;

    reply.assert_error(500, "INTERNAL_001");
    assert_eq!(fixture.status, 200, "other keys are unaffected");
}

#[tokio::test]
async fn minting_with_an_unknown_scenario_is_400_naming_the_scenario_field() {
    let app = spawn_app().await;

    let reply = app
        .post("/_mock/organizations")
        .json(&json!({"scenario": "no-such-scenario"}))
        .send()
        .await;
    let fixtures = app.get("/_mock/fixtures").send().await;

    reply.assert_error(400, "VALIDATION_001");
    assert!(!reply.details("scenario").is_empty(), "{}", reply.text());
    assert_eq!(
        fixtures.json()["data"]["organizations"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "nothing was minted"
    );
}

// ---------------------------------------------------------------------------------------
// Fixtures and the clock
// ---------------------------------------------------------------------------------------

fn organization<'a>(fixtures: &'a Value, id: &str) -> &'a Value {
    fixtures["data"]["organizations"]
        .as_array()
        .and_then(|orgs| orgs.iter().find(|o| o["id"] == id))
        .unwrap_or_else(|| panic!("no organization {id} in {fixtures}"))
}

#[tokio::test]
async fn fixtures_list_the_three_organizations_with_their_keys_and_the_seed_profile() {
    let app = spawn_app().await;

    let reply = app.get("/_mock/fixtures").send().await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(
        body["data"]["organizations"].as_array().map(Vec::len),
        Some(3),
        "{body}"
    );
    let acme = organization(&body, ACME_ORG);
    assert_eq!(acme["name"], "Acme Corp");
    assert_eq!(acme["waba_id"], ACME_WABA);
    let admin = acme["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["key"] == ADMIN))
        .unwrap_or_else(|| panic!("no {ADMIN} among Acme's keys: {acme}"));
    assert_eq!(admin["role"], "admin");
    assert!(acme["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|k| k["key"] == PROFILE_KEY && k["profile_id"] == SEED_PROFILE));
    assert_eq!(acme["seed_profiles"], json!([SEED_PROFILE]));
    let globex = organization(&body, GLOBEX_ORG);
    assert_eq!(globex["waba_id"], Value::Null);
    assert!(globex["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|k| k["key"] == NO_WABA_ADMIN));
    let initech = organization(&body, "880e8400-e29b-41d4-a716-446655440020");
    assert_eq!(initech["exists"], false);
    assert!(initech["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|k| k["key"] == GONE_ORG_ADMIN));
}

#[tokio::test]
async fn fixtures_include_organizations_minted_at_run_time() {
    let app = spawn_app().await;
    let minted = mint(&app, &json!({"name": "Minted Co"})).await;
    let id = minted["organization"]["id"].as_str().unwrap_or_default();

    let body = app.get("/_mock/fixtures").send().await.json();

    assert_eq!(
        body["data"]["organizations"].as_array().map(Vec::len),
        Some(4),
        "{body}"
    );
    let listed = organization(&body, id);
    assert_eq!(listed["name"], "Minted Co");
    let keys: Vec<&str> = listed["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["key"].as_str())
        .collect();
    assert!(
        keys.contains(&key_of(&minted, "admin").as_str()),
        "{listed}"
    );
    assert!(
        keys.contains(&key_of(&minted, "developer").as_str()),
        "{listed}"
    );
}

#[tokio::test]
async fn the_clock_reads_now_and_moves_with_the_control_api() {
    let app = spawn_app().await;

    let read = app.get("/_mock/clock").send().await;
    app.advance_clock("1h").await;
    let moved = app.get("/_mock/clock").send().await;

    assert_eq!(read.status, 200, "{}", read.text());
    let now = &read.json()["data"]["now"];
    let text = now.as_str().unwrap_or_default();
    assert_eq!(text.len(), 33, "seven fractional digits and +00:00: {text}");
    assert!(text.ends_with("+00:00"), "{text}");
    let drift = parse_time(now).with_timezone(&Utc) - Utc::now();
    assert!(drift.num_seconds().abs() < 60, "{text}");
    let step = parse_time(&moved.json()["data"]["now"]) - parse_time(now);
    assert!(
        step >= Duration::hours(1) && step < Duration::hours(1) + Duration::minutes(1),
        "{step}"
    );
}

// ---------------------------------------------------------------------------------------
// --seed
// ---------------------------------------------------------------------------------------

/// The ids a fixed sequence of requests gets: request ids, profile ids and brand ids.
async fn id_trail(app: &TestApp) -> Vec<String> {
    let mut trail = Vec::new();
    let replies = [
        app.create(ADMIN, &minimal_body()).await,
        app.create(ADMIN, &seed_body()).await,
        app.create_with_key(ADMIN, "seeded", &seed_body()).await,
        app.create(NO_WABA_ADMIN, &minimal_body()).await,
    ];
    for reply in &replies {
        let body = reply.json();
        let header = reply.header("x-request-id").unwrap_or_default();
        assert_eq!(body["meta"]["request_id"], header);
        trail.push(header.to_owned());
        for id in [&body["data"]["id"], &body["data"]["brand"]["id"]] {
            if let Some(id) = id.as_str() {
                trail.push(id.to_owned());
            }
        }
    }
    assert_eq!(replies[1].status, 200, "{}", replies[1].text());
    trail
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_twice_and_another_seed_other_ones() {
    let first = spawn_app_with(with_seed(42)).await;
    let second = spawn_app_with(with_seed(42)).await;
    let other = spawn_app_with(with_seed(43)).await;

    let a = id_trail(&first).await;
    let b = id_trail(&second).await;
    let c = id_trail(&other).await;

    assert_eq!(a.len(), 2 + 3 + 3 + 1, "{a:?}");
    assert_eq!(a, b, "the same seed repeats every id");
    let unique: std::collections::HashSet<&String> = a.iter().collect();
    assert_eq!(unique.len(), a.len(), "ids are unique within a run: {a:?}");
    for (x, y) in a.iter().zip(&c) {
        assert_ne!(x, y, "another seed gives other ids");
    }
}

#[tokio::test]
async fn the_seed_flag_makes_the_binary_repeat_its_ids() {
    let first = Binary::start(&["--seed", "42"]);
    let second = Binary::start(&["--seed", "42"]);

    let a = id_trail(&first.app()).await;
    let b = id_trail(&second.app()).await;

    assert_eq!(a, b);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_but_the_token_is_not() {
    let app = spawn_app_with(with_admin(Admin::Token("Secret-t".into()))).await;

    let lower_scheme = app
        .get("/_mock/fixtures")
        .header("authorization", "bearer Secret-t")
        .send()
        .await;
    let other_case_token = app
        .get("/_mock/fixtures")
        .header("authorization", "Bearer secret-t")
        .send()
        .await;

    assert_eq!(lower_scheme.status, 200, "{}", lower_scheme.text());
    other_case_token.assert_error(401, "AUTH_001");
}

#[tokio::test]
async fn unknown_control_paths_are_not_journaled_either() {
    let app = spawn_app().await;
    app.create(ADMIN, &minimal_body()).await;

    let unknown = app.get("/_mock/nothing-here").send().await;
    let wrong_method = app.request(Method::PUT, "/_mock/reset").send().await;
    let entries = journal(&app, "").await;

    unknown.assert_error(404, "ROUTE_NOT_FOUND");
    wrong_method.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["path"], "/v3/profiles");
}
