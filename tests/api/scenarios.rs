//! Scripted scenarios (CONTRACT §7): selection and its precedence, step counters per
//! organization, the shipped library reachable from the body alone, transport faults, and
//! how scripted outcomes meet idempotency.

use std::sync::Arc;
use std::time::Duration;

use sent_mock::files::JsonFiles;
use sent_mock::Config;
use serde_json::{json, Value};

use crate::support::*;

fn named(name: &str) -> Value {
    json!({ "name": format!("mock:{name}") })
}

#[tokio::test]
async fn every_status_of_the_catalog_is_reachable_from_the_body_alone() {
    let app = spawn_app().await;
    let cases = [
        ("validation-error", 400, "VALIDATION_001"),
        ("unauthorized", 401, "AUTH_002"),
        ("forbidden", 403, "AUTH_004"),
        ("not-found", 404, "RESOURCE_014"),
        ("organization-not-found", 404, "RESOURCE_005"),
        ("conflict", 409, "CONFLICT_001"),
        ("unprocessable", 422, "VALIDATION_001"),
        ("rate-limited", 429, "BUSINESS_002"),
        ("internal-error", 500, "INTERNAL_001"),
        ("unavailable", 503, "SERVICE_001"),
    ];

    for (name, status, code) in cases {
        let reply = app.create(ADMIN, &named(name)).await;

        reply.assert_error(status, code);
        let body = reply.json();
        assert_eq!(
            body["error"]["doc_url"],
            format!("https://docs.sent.dm/errors/{code}")
        );
        assert_eq!(
            body["meta"]["request_id"],
            reply.header("x-request-id").unwrap()
        );
    }
}

#[tokio::test]
async fn scripted_errors_carry_the_catalog_messages() {
    let app = spawn_app().await;

    let internal = app.create(ADMIN, &named("internal-error")).await;
    let limited = app.create(ADMIN, &named("rate-limited")).await;
    let unprocessable = app.create(ADMIN, &named("unprocessable")).await;
    let validation = app.create(ADMIN, &named("validation-error")).await;

    let id = internal.header("x-request-id").unwrap().to_owned();
    assert_eq!(
        internal.json()["error"]["message"],
        format!("Failed to create profile. Please contact support with request ID: {id}")
    );
    assert_eq!(limited.json()["error"]["message"], "Rate limit exceeded");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(unprocessable.json()["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Organization does not have a WhatsApp Business Account configured."));
    assert_eq!(validation.details("name"), ["Profile name is required"]);
}

#[tokio::test]
async fn the_header_selects_any_scenario_and_an_unknown_name_lists_the_known_ones() {
    let app = spawn_app().await;

    let selected = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-mock-scenario", "unavailable")
        .json(&minimal_body())
        .send()
        .await;
    let unknown = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-mock-scenario", "no-such-thing")
        .json(&minimal_body())
        .send()
        .await;

    selected.assert_error(503, "SERVICE_001");
    unknown.assert_error(400, "SCENARIO_NOT_FOUND");
    let known = unknown.details("x-mock-scenario");
    for name in ["flaky", "slow", "internal-error", "create-then-drop"] {
        assert!(
            known.iter().any(|k| k == name),
            "{name} not listed: {known:?}"
        );
    }
    assert!(unknown.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no-such-thing"));
}

/// The embedded fixtures plus one organization whose key is bound to `internal-error`.
fn with_bound_key() -> Config {
    let mut fixtures = sent_mock::fixtures::embedded();
    fixtures.0.push((
        "bound.json".into(),
        r#"{"organization": {"id": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "name": "Bound", "email": "b@example.com", "waba_id": "7"},
            "keys": [{"key": "sk_test_bound", "role": "admin", "description": "bound", "scenario": "internal-error"}]}"#
            .into(),
    ));
    Config {
        fixtures,
        ..Config::default()
    }
}

#[tokio::test]
async fn header_beats_key_binding_which_beats_the_body_match() {
    let app = spawn_app_with(with_bound_key()).await;

    let by_key = app.create("sk_test_bound", &minimal_body()).await;
    let key_over_body = app.create("sk_test_bound", &named("rate-limited")).await;
    let header_over_key = app
        .post("/v3/profiles")
        .key("sk_test_bound")
        .header("x-mock-scenario", "unavailable")
        .json(&named("rate-limited"))
        .send()
        .await;
    let body_alone = app.create(ADMIN, &named("rate-limited")).await;
    let nothing = app.create(ADMIN, &minimal_body()).await;

    by_key.assert_error(500, "INTERNAL_001");
    key_over_body.assert_error(500, "INTERNAL_001");
    header_over_key.assert_error(503, "SERVICE_001");
    body_alone.assert_error(429, "BUSINESS_002");
    assert_eq!(nothing.status, 200);
}

#[tokio::test]
async fn a_fixture_key_bound_to_an_unknown_scenario_stops_the_start() {
    let mut config = with_bound_key();
    config.fixtures.0.last_mut().unwrap().1 = config
        .fixtures
        .0
        .last()
        .unwrap()
        .1
        .replace("internal-error", "nope");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();

    let err = sent_mock::Server::new(config, listener)
        .err()
        .expect("refused");

    assert!(
        err.contains("sk_test_bound") && err.contains("nope"),
        "{err}"
    );
}

#[tokio::test]
async fn flaky_fails_twice_then_succeeds_with_counters_per_organization() {
    let app = spawn_app().await;
    let globex_body = json!({"name": "mock:flaky", "whatsapp_business_account": {"waba_id": "9", "access_token": "t"}});

    let mut acme = Vec::new();
    let mut globex = Vec::new();
    for _ in 0..3 {
        acme.push(app.create(ADMIN, &named("flaky")).await.status);
        globex.push(app.create(NO_WABA_ADMIN, &globex_body).await.status);
    }
    acme.push(app.create(ADMIN, &named("flaky")).await.status);

    assert_eq!(acme, [500, 500, 200, 500], "flaky cycles in Acme");
    assert_eq!(globex, [500, 500, 200], "Globex has its own counter");
}

#[tokio::test]
async fn flaky_with_an_idempotency_key_succeeds_on_the_third_attempt_and_stores_no_500() {
    let app = spawn_app().await;

    let attempts: Vec<Reply> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(
                app.post("/v3/profiles")
                    .key(ADMIN)
                    .header("Idempotency-Key", "flaky-retry")
                    .json(&named("flaky"))
                    .send()
                    .await,
            );
        }
        out
    };
    let fourth = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "flaky-retry")
        .json(&named("flaky"))
        .send()
        .await;

    attempts[0].assert_error(500, "INTERNAL_001");
    attempts[1].assert_error(500, "INTERNAL_001");
    assert_eq!(
        attempts[1].header("idempotent-replayed"),
        None,
        "a 500 is not stored"
    );
    assert_eq!(attempts[2].status, 200, "{}", attempts[2].text());
    assert_eq!(attempts[2].header("idempotent-replayed"), None);
    assert_eq!(fourth.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        fourth.json()["data"]["id"],
        attempts[2].json()["data"]["id"]
    );
}

#[tokio::test]
async fn a_step_may_ask_for_its_injected_failure_to_be_stored() {
    let app = spawn_app_with_scenarios(&[(
        "sticky.json",
        r#"{"name": "sticky-500", "steps": [{"status": 500, "store": true}, {"proceed": true}], "after": "proceed"}"#,
    )])
    .await;
    let send = || {
        app.post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", "sticky")
            .header("x-mock-scenario", "sticky-500")
            .json(&minimal_body())
            .send()
    };

    let first = send().await;
    let retry = send().await;

    first.assert_error(500, "INTERNAL_001");
    assert_eq!(retry.status, 500);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
}

#[tokio::test]
async fn connection_closed_answers_nothing_and_creates_nothing() {
    let app = spawn_app().await;

    let answer = connection_breaks(&app, &named("connection-closed"), Some("closed-key")).await;
    let retry = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "closed-key")
        .json(&minimal_body())
        .send()
        .await;

    assert_eq!(
        answer, "",
        "the server closed the connection without a byte"
    );
    assert_eq!(retry.status, 200);
    assert_eq!(
        retry.header("idempotent-replayed"),
        None,
        "nothing was stored"
    );
}

#[tokio::test]
async fn truncated_sends_less_than_its_content_length_then_closes() {
    let app = spawn_app().await;

    let answer = connection_breaks(&app, &named("truncated"), None).await;

    let (head, body) = answer.split_once("\r\n\r\n").expect("a head was sent");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .expect("content-length")
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < declared,
        "{} of {declared} bytes",
        body.len()
    );
}

#[tokio::test]
async fn create_then_drop_closes_the_connection_and_the_retry_gets_the_stored_200() {
    let app = spawn_app().await;
    let body = json!({"name": "mock:create-then-drop", "description": "dropped"});

    let answer = connection_breaks(&app, &body, Some("dropped-key")).await;
    let retry = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "dropped-key")
        .json(&body)
        .send()
        .await;

    assert_eq!(answer, "", "no answer reached the client");
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json()["data"]["description"], "dropped");
}

#[tokio::test]
async fn a_second_request_with_the_key_waits_for_the_running_one_and_replays_it() {
    let app = Arc::new(spawn_app_with_scenarios(&[HALF_SECOND]).await);
    let send = |app: Arc<TestApp>| async move {
        app.post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", "in-flight")
            .header("x-mock-scenario", "half-second")
            .json(&minimal_body())
            .send()
            .await
    };

    let first = tokio::spawn(send(Arc::clone(&app)));
    until_running(&app, 1).await;
    let second = send(Arc::clone(&app)).await;
    let first = first.await.unwrap();

    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.status, 200);
    assert_eq!(
        second.header("idempotent-replayed"),
        Some("true"),
        "it waited, then replayed"
    );
    assert_eq!(second.body, first.body);
}

#[tokio::test]
async fn a_request_still_running_past_the_wait_answers_409() {
    let mut scenarios = sent_mock::scenarios::embedded();
    scenarios
        .0
        .push((HALF_SECOND.0.into(), HALF_SECOND.1.into()));
    let app = Arc::new(
        spawn_app_with(Config {
            scenarios,
            idempotency: sent_mock::idempotency::Settings {
                wait: Duration::from_millis(100),
                ..Default::default()
            },
            ..Config::default()
        })
        .await,
    );
    let send = |app: Arc<TestApp>| async move {
        app.post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", "too-slow")
            .header("x-mock-scenario", "half-second")
            .json(&minimal_body())
            .send()
            .await
    };

    let first = tokio::spawn(send(Arc::clone(&app)));
    until_running(&app, 1).await;
    let second = send(Arc::clone(&app)).await;
    let first = first.await.unwrap();

    second.assert_error(409, "CONFLICT_001");
    assert_eq!(
        second.json()["error"]["message"],
        "Concurrent idempotent request in progress"
    );
    assert_eq!(first.status, 200);
}

#[tokio::test]
async fn a_delay_step_holds_the_answer_then_proceeds() {
    let app = spawn_app_with_scenarios(&[HALF_SECOND]).await;
    let started = std::time::Instant::now();

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("x-mock-scenario", "half-second")
        .json(&minimal_body())
        .send()
        .await;

    assert_eq!(reply.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_bad_scenario_file_stops_the_start_naming_the_file_and_the_problem() {
    let dir = std::env::temp_dir().join(format!("sent-mock-bad-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("broken.json"),
        r#"{"name": "broken", "steps": [{"status": 418}]}"#,
    )
    .unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sent-mock"))
        .args(["--port", "0", "--scenarios", dir.to_str().unwrap()])
        .output()
        .unwrap();

    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.json") && stderr.contains("steps[0]"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_scenarios_directory_replaces_the_library() {
    let app = spawn_app_with(Config {
        scenarios: JsonFiles(vec![(
            "only.json".into(),
            r#"{"name": "only", "match": {"body": [{"path": "name", "starts_with": "only:"}]}, "steps": [{"status": 503}]}"#.into(),
        )]),
        ..Config::default()
    })
    .await;

    let matched = app.create(ADMIN, &json!({"name": "only: this one"})).await;
    let library_gone = app.create(ADMIN, &named("internal-error")).await;

    matched.assert_error(503, "SERVICE_001");
    assert_eq!(library_gone.status, 200, "the shipped library was replaced");
}

#[tokio::test]
async fn scenarios_added_at_runtime_match_valid_create_bodies_by_any_condition() {
    // A valid body is read without a document unless a scenario could want it: each
    // scenario below is added after the start and must still see the bodies it matches.
    let app = spawn_app().await;
    let add = |scenario: Value| {
        let app = &app;
        async move {
            let added = app.post("/_mock/scenarios").json(&scenario).send().await;
            assert!(added.status < 300, "{}", added.text());
        }
    };
    add(json!({"name": "by-card", "match": {"body": [
        {"path": "payment_details.card_number", "equals": "4242424242424242"}]},
        "steps": [{"status": 409}], "after": "repeat"}))
    .await;
    let mut card = seed_body();
    card["payment_details"]["card_number"] = json!("4242424242424242");
    app.create(ADMIN, &card)
        .await
        .assert_error(409, "CONFLICT_001");
    assert_eq!(app.create(ADMIN, &seed_body()).await.status, 200);

    add(json!({"name": "by-prefix", "match": {"body": [
        {"path": "brand.contact.name", "starts_with": "Jo"}]},
        "steps": [{"status": 429}], "after": "repeat"}))
    .await;
    app.create(ADMIN, &seed_body())
        .await
        .assert_error(429, "BUSINESS_002");
    let removed = app
        .request(http::Method::DELETE, "/_mock/scenarios/by-prefix")
        .send()
        .await;
    assert!(removed.status < 300, "{}", removed.text());
    assert_eq!(app.create(ADMIN, &seed_body()).await.status, 200);

    // Conditions that hold without a string to look for: a boolean, a member's presence.
    add(json!({"name": "by-flag", "match": {"body": [
        {"path": "sandbox", "equals": true}]},
        "steps": [{"status": 503}], "after": "repeat"}))
    .await;
    let mut sandbox = seed_body();
    sandbox["sandbox"] = json!(true);
    app.create(ADMIN, &sandbox)
        .await
        .assert_error(503, "SERVICE_001");
    add(json!({"name": "by-presence", "match": {"body": [
        {"path": "brand.compliance.notes", "exists": false}]},
        "steps": [{"status": 500}], "after": "repeat"}))
    .await;
    let mut no_notes = seed_body();
    no_notes["brand"]["compliance"]
        .as_object_mut()
        .unwrap()
        .remove("notes");
    app.create(ADMIN, &no_notes)
        .await
        .assert_error(500, "INTERNAL_001");
    assert_eq!(app.create(ADMIN, &seed_body()).await.status, 200);
}
