//! Idempotency-Key (CONTRACT §6): replay, scope, what is stored, concurrency, mismatch,
//! format, expiry on the mock clock, and the store's bound.

use std::sync::Arc;

use sent_mock::idempotency::{MismatchMode, Settings};
use sent_mock::Config;
use serde_json::{json, Value};

use crate::support::*;

impl TestApp {
    pub async fn create_with_key(&self, api_key: &str, idem: &str, body: &Value) -> Reply {
        self.post("/v3/profiles")
            .key(api_key)
            .header("Idempotency-Key", idem)
            .json(body)
            .send()
            .await
    }

    pub async fn advance_clock(&self, by: &str) -> Reply {
        let reply = self
            .post("/_mock/clock")
            .json(&json!({ "advance": by }))
            .send()
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply
    }
}

fn with_settings(settings: Settings) -> Config {
    Config {
        idempotency: settings,
        ..Config::default()
    }
}

/// The stored answer's own headers come back with it: a sandbox create's `x-sandbox`.
#[tokio::test]
async fn a_replayed_sandbox_create_keeps_its_x_sandbox_header() {
    let app = spawn_app().await;
    let mut body = seed_body();
    body["sandbox"] = json!(true);

    let first = app.create_with_key(ADMIN, "sandbox-retry", &body).await;
    let second = app.create_with_key(ADMIN, "sandbox-retry", &body).await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-sandbox"), Some("true"));
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("x-sandbox"), Some("true"));
    assert_eq!(second.body, first.body);
}

#[tokio::test]
async fn a_repeated_key_replays_the_byte_identical_body_with_both_headers() {
    let app = spawn_app().await;

    let first = app.create_with_key(ADMIN, "retry-1", &seed_body()).await;
    let second = app.create_with_key(ADMIN, "retry-1", &seed_body()).await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(second.status, 200);
    assert_eq!(
        second.body, first.body,
        "the replay is byte-identical, meta included"
    );
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    let original = first.header("x-request-id").unwrap();
    assert_eq!(second.header("x-original-request-id"), Some(original));
    let new_id = second.header("x-request-id").unwrap();
    assert_ne!(new_id, original, "the replay has its own request id");
    assert!(new_id.starts_with("req_") && new_id.len() == 14);
}

#[tokio::test]
async fn key_order_whitespace_and_retry_headers_do_not_change_the_fingerprint() {
    let app = spawn_app_with(with_settings(Settings {
        mismatch: MismatchMode::Reject,
        ..Settings::default()
    }))
    .await;

    let first = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "same-request")
        .header("X-Stainless-Retry-Count", "0")
        .header("content-type", "application/json")
        .body(r#"{"name":"Sales","description":"d"}"#)
        .send()
        .await;
    let retry = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("idempotency-key", "same-request")
        .header("X-Stainless-Retry-Count", "1")
        .header("content-type", "application/json")
        .body("{\n  \"description\": \"d\",\n  \"name\": \"Sales\"\n}")
        .send()
        .await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(retry.status, 200, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
}

#[tokio::test]
async fn the_same_key_in_two_organizations_creates_two_profiles() {
    let app = spawn_app().await;
    let body = json!({"name": "Shared", "whatsapp_business_account": {"waba_id": "1", "access_token": "t"}});

    let acme = app.create_with_key(ADMIN, "shared-key", &body).await;
    let globex = app
        .create_with_key(NO_WABA_ADMIN, "shared-key", &body)
        .await;

    assert_eq!(acme.status, 200);
    assert_eq!(globex.status, 200);
    assert_eq!(globex.header("idempotent-replayed"), None);
    assert_ne!(acme.json()["data"]["id"], globex.json()["data"]["id"]);
    assert_eq!(globex.json()["data"]["organization_id"], GLOBEX_ORG);
}

#[tokio::test]
async fn a_400_is_not_stored_so_the_same_key_with_a_valid_body_then_creates() {
    let app = spawn_app().await;

    let refused = app
        .create_with_key(ADMIN, "fix-and-retry", &json!({}))
        .await;
    let refused_again = app
        .create_with_key(ADMIN, "fix-and-retry", &json!({}))
        .await;
    let created = app
        .create_with_key(ADMIN, "fix-and-retry", &minimal_body())
        .await;
    let replayed = app
        .create_with_key(ADMIN, "fix-and-retry", &minimal_body())
        .await;

    refused.assert_error(400, "VALIDATION_001");
    refused_again.assert_error(400, "VALIDATION_001");
    assert_eq!(
        refused_again.header("idempotent-replayed"),
        None,
        "a 400 executes again"
    );
    assert_eq!(created.status, 200, "{}", created.text());
    assert_eq!(created.header("idempotent-replayed"), None);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(replayed.json()["data"]["id"], created.json()["data"]["id"]);
}

#[tokio::test]
async fn auth_failures_are_not_stored() {
    let app = spawn_app().await;

    let forbidden = app
        .create_with_key(DEVELOPER, "role-key", &minimal_body())
        .await;
    let unknown = app
        .create_with_key("sk_test_nobody", "role-key", &minimal_body())
        .await;
    let created = app
        .create_with_key(ADMIN, "role-key", &minimal_body())
        .await;

    forbidden.assert_error(403, "AUTH_004");
    unknown.assert_error(401, "AUTH_002");
    assert_eq!(created.status, 200);
    assert_eq!(created.header("idempotent-replayed"), None);
}

#[tokio::test]
async fn a_422_is_final_and_replayed() {
    let app = spawn_app().await;

    let first = app
        .create_with_key(NO_WABA_ADMIN, "no-waba", &minimal_body())
        .await;
    let second = app
        .create_with_key(NO_WABA_ADMIN, "no-waba", &minimal_body())
        .await;

    first.assert_error(422, "VALIDATION_001");
    assert_eq!(second.status, 422);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body);
}

#[tokio::test]
async fn sixty_four_concurrent_requests_with_one_new_key_create_exactly_one_profile() {
    let app = Arc::new(spawn_app().await);

    let mut tasks = Vec::new();
    for _ in 0..64 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            app.create_with_key(ADMIN, "stampede", &seed_body()).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let (mut fresh, mut replays, mut conflicts) = (0, 0, 0);
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            200 => {
                ids.insert(reply.json()["data"]["id"].as_str().unwrap().to_owned());
                match reply.header("idempotent-replayed") {
                    Some("true") => replays += 1,
                    _ => fresh += 1,
                }
            }
            409 => {
                reply.assert_error(409, "CONFLICT_001");
                conflicts += 1;
            }
            other => panic!("unexpected {other}: {}", reply.text()),
        }
    }

    assert_eq!(ids.len(), 1, "every answer names the same profile");
    assert_eq!(fresh, 1, "exactly one request executed");
    assert_eq!(fresh + replays + conflicts, 64);
}

#[tokio::test]
async fn a_reused_key_with_a_different_body_replays_by_default() {
    let app = spawn_app().await;

    let first = app
        .create_with_key(ADMIN, "reused", &json!({"name": "First"}))
        .await;
    let second = app
        .create_with_key(ADMIN, "reused", &json!({"name": "Second"}))
        .await;

    assert_eq!(second.status, 200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.body, first.body);
    assert_eq!(second.json()["data"]["name"], "First");
}

#[tokio::test]
async fn a_reused_key_with_a_different_body_is_422_in_reject_mode() {
    let app = spawn_app_with(with_settings(Settings {
        mismatch: MismatchMode::Reject,
        ..Settings::default()
    }))
    .await;

    let first = app
        .create_with_key(ADMIN, "reused", &json!({"name": "First"}))
        .await;
    let other_body = app
        .create_with_key(ADMIN, "reused", &json!({"name": "Second"}))
        .await;
    let other_path = app
        .post("/v3/profiles/")
        .key(ADMIN)
        .header("Idempotency-Key", "reused")
        .json(&json!({"name": "First"}))
        .send()
        .await;
    let same = app
        .create_with_key(ADMIN, "reused", &json!({"name": "First"}))
        .await;

    assert_eq!(first.status, 200);
    other_body.assert_error(422, "VALIDATION_001");
    assert_eq!(
        other_body.json()["error"]["message"],
        "Idempotency-Key has already been used with a different request"
    );
    assert_eq!(other_path.status, 200, "a trailing slash is the same route");
    assert_eq!(same.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn malformed_keys_are_400_validation_007_and_nothing_runs() {
    let app = spawn_app().await;
    let too_long = "a".repeat(256);

    for key in ["", too_long.as_str(), "has space", "quoted\"key\"", "clé"] {
        // The body is invalid too: a 400 VALIDATION_007 shows the key was checked first.
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", key)
            .json(&json!({}))
            .send()
            .await;

        reply.assert_error(400, "VALIDATION_007");
        assert_eq!(
            reply.json()["error"]["message"],
            "Invalid Idempotency-Key format"
        );
        assert_eq!(reply.detail_paths(), ["Idempotency-Key"], "{key:?}");
    }
}

#[tokio::test]
async fn a_key_sent_twice_is_400_validation_007() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "one")
        .header("Idempotency-Key", "two")
        .json(&minimal_body())
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_007");
}

#[tokio::test]
async fn a_key_of_exactly_255_allowed_characters_is_accepted_and_stored() {
    let app = spawn_app().await;
    let alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    let key: String = alphabet.chars().cycle().take(255).collect();

    let first = app.create_with_key(ADMIN, &key, &minimal_body()).await;
    let second = app.create_with_key(ADMIN, &key, &minimal_body()).await;

    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn after_24_hours_and_a_second_the_same_key_executes_again() {
    let app = spawn_app().await;

    let first = app.create_with_key(ADMIN, "day-old", &minimal_body()).await;
    app.advance_clock("23h59m").await;
    let within = app.create_with_key(ADMIN, "day-old", &minimal_body()).await;
    app.advance_clock("1m1s").await;
    let after = app.create_with_key(ADMIN, "day-old", &minimal_body()).await;

    assert_eq!(within.header("idempotent-replayed"), Some("true"));
    assert_eq!(after.status, 200);
    assert_eq!(after.header("idempotent-replayed"), None);
    assert_ne!(after.json()["data"]["id"], first.json()["data"]["id"]);
}

#[tokio::test]
async fn a_full_store_refuses_new_keys_with_503_until_the_ttl_passes() {
    let app = spawn_app_with(with_settings(Settings {
        capacity: 10,
        ..Settings::default()
    }))
    .await;
    for i in 0..10 {
        let reply = app
            .create_with_key(ADMIN, &format!("k{i}"), &minimal_body())
            .await;
        assert_eq!(reply.status, 200, "key {i}: {}", reply.text());
    }

    let eleventh = app
        .create_with_key(ADMIN, "k10", &json!({"name": "Eleventh"}))
        .await;
    let stored = app.create_with_key(ADMIN, "k3", &minimal_body()).await;
    let keyless = app.create(ADMIN, &minimal_body()).await;
    app.advance_clock("24h1s").await;
    let later = app
        .create_with_key(ADMIN, "k10", &json!({"name": "Eleventh"}))
        .await;

    eleventh.assert_error(503, "SERVICE_001");
    assert_eq!(
        eleventh.json()["error"]["message"],
        "Cache service temporarily unavailable"
    );
    assert_eq!(
        stored.header("idempotent-replayed"),
        Some("true"),
        "stored keys still replay"
    );
    assert_eq!(keyless.status, 200, "requests without a key are unaffected");
    assert_eq!(later.status, 200, "{}", later.text());
    assert_eq!(later.json()["data"]["name"], "Eleventh");
}

#[tokio::test]
async fn the_clock_moves_forward_or_to_a_set_time() {
    let app = spawn_app().await;

    let before = app.create(ADMIN, &minimal_body()).await.json()["meta"]["timestamp"].clone();
    let advanced = app.advance_clock("25h").await.json()["data"]["now"].clone();
    let created = app.create(ADMIN, &minimal_body()).await.json();
    let set = app
        .post("/_mock/clock")
        .json(&json!({"set": "2030-01-01T00:00:00Z"}))
        .send()
        .await;

    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let moved = parse(&advanced) - parse(&before);
    assert!(
        moved >= chrono::Duration::hours(25) && moved < chrono::Duration::hours(26),
        "{moved}"
    );
    assert!(parse(&created["data"]["created_at"]) >= parse(&advanced));
    assert_eq!(set.status, 200);
    assert!(set.json()["data"]["now"]
        .as_str()
        .unwrap()
        .starts_with("2030-01-01T00:00:0"));
}

#[tokio::test]
async fn a_bad_clock_request_is_400_with_the_problem() {
    let app = spawn_app().await;

    let nonsense = app
        .post("/_mock/clock")
        .json(&json!({"advance": "soon"}))
        .send()
        .await;
    let empty = app.post("/_mock/clock").json(&json!({})).send().await;
    let both = app
        .post("/_mock/clock")
        .json(&json!({"advance": "1h", "set": "2030-01-01T00:00:00Z"}))
        .send()
        .await;

    nonsense.assert_error(400, "VALIDATION_001");
    assert_eq!(nonsense.detail_paths(), ["advance"]);
    empty.assert_error(400, "VALIDATION_001");
    both.assert_error(400, "VALIDATION_001");
}
