//! ROBUSTNESS.md, the rows about bodies, keys, secrets, concurrency and faults (the wire-level
//! rows are in `wire.rs`). Each row checks the table's invariant afterwards: a normal create
//! still answers, nothing was created, stored or left in flight that the row does not say,
//! and the connections are back where they were.

use std::sync::Arc;
use std::time::Duration;

use sent_mock::idempotency::Settings;
use sent_mock::Config;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::*;

async fn post_raw_body(app: &TestApp, media: &str, body: impl Into<bytes::Bytes>) -> Reply {
    app.post("/v3/profiles")
        .key(ADMIN)
        .header("content-type", media)
        .body(body)
        .send()
        .await
}

async fn post_json_text(app: &TestApp, body: impl Into<bytes::Bytes>) -> Reply {
    post_raw_body(app, "application/json", body).await
}

#[tokio::test]
async fn row_01_malformed_json_is_400_with_line_and_column_and_no_input_echoed() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let reply = post_json_text(&app, "{\"name\": \"SentinelName\",\n \"x\": tru }").await;

    reply.assert_error(400, "VALIDATION_001");
    let problem = reply.details("body").join(" ");
    assert!(problem.contains("line 2 column"), "{problem}");
    assert!(!reply.text().contains("SentinelName"), "{}", reply.text());
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_03_trailing_bytes_after_the_json_value_are_400() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let reply = post_json_text(&app, r#"{"name": "x"}garbage"#).await;

    reply.assert_error(400, "VALIDATION_001");
    assert!(
        reply.details("body")[0].contains("trailing"),
        "{}",
        reply.text()
    );
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_04_a_missing_plain_text_or_form_content_type_is_415() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let missing = app
        .post("/v3/profiles")
        .key(ADMIN)
        .body(r#"{"name": "x"}"#)
        .send()
        .await;
    let text = post_raw_body(&app, "text/plain", r#"{"name": "x"}"#).await;
    let form = post_raw_body(&app, "application/x-www-form-urlencoded", "name=x").await;

    for reply in [missing, text, form] {
        reply.assert_error(415, "VALIDATION_001");
    }
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_05_json_with_a_charset_or_a_json_suffix_is_processed_normally() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let charset = post_raw_body(&app, "application/json; charset=utf-8", r#"{"name": "a"}"#).await;
    let suffix = post_raw_body(&app, "application/vnd.api+json", r#"{"name": "b"}"#).await;

    assert_eq!(charset.status, 200, "{}", charset.text());
    assert_eq!(suffix.status, 200, "{}", suffix.text());
    assert_invariant(&app, before, 2, 0).await;
}

#[tokio::test]
async fn row_06_invalid_utf8_in_a_string_and_a_lone_surrogate_are_400() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let invalid = post_json_text(&app, b"{\"name\": \"abc\xff\xfe\"}".to_vec()).await;
    let surrogate = post_json_text(&app, r#"{"name": "\ud800"}"#).await;

    invalid.assert_error(400, "VALIDATION_001");
    surrogate.assert_error(400, "VALIDATION_001");
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_07_ten_thousand_nested_arrays_are_400_without_a_stack_overflow() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let deep = format!("{{\"name\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));

    let reply = post_json_text(&app, deep).await;

    reply.assert_error(400, "VALIDATION_001");
    assert!(
        reply.details("body")[0].contains("recursion limit"),
        "{}",
        reply.text()
    );
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_08_out_of_range_and_non_numbers_are_400_and_never_echoed() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    for (body, number) in [
        (r#"{"name": 1e400}"#, "1e400"),
        (
            r#"{"name": 123456789012345678901234567890}"#,
            "123456789012345678901234567890",
        ),
        (r#"{"name": NaN}"#, "NaN"),
        (
            r#"{"name": "x", "allow_contact_sharing": -98765432109876543210}"#,
            "98765432109876543210",
        ),
    ] {
        let reply = post_json_text(&app, body).await;

        reply.assert_error(400, "VALIDATION_001");
        assert!(!reply.text().contains(number), "{body}: {}", reply.text());
    }
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_09_duplicate_keys_are_400_never_last_one_wins() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let top = post_json_text(&app, r#"{"name": "a", "name": "b"}"#).await;
    let nested = post_json_text(
        &app,
        r#"{"name": "a", "billing_contact": {"name": "x", "email": "a@b.co", "email": "c@d.co"}}"#,
    )
    .await;

    top.assert_error(400, "VALIDATION_001");
    nested.assert_error(400, "VALIDATION_001");
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_10_unknown_fields_are_accepted_ignored_and_not_echoed() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let reply = app
        .create(
            ADMIN,
            &json!({"name": "x", "favourite_colour": "SentinelUnknown", "nested": {"a": [1, 2]}}),
        )
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(!reply.text().contains("SentinelUnknown"));
    assert!(!reply.text().contains("favourite_colour"));
    assert_invariant(&app, before, 1, 0).await;
}

#[tokio::test]
async fn row_11_a_card_number_or_cvc_of_the_wrong_type_is_400_with_the_path_only() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let mut body = seed_body();
    body["payment_details"]["card_number"] = json!(4000056655665556u64);
    body["payment_details"]["cvc"] = json!([9, 1, 8, 3]);

    let reply = app.create(ADMIN, &body).await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(
        reply.details("payment_details.card_number"),
        ["payment_details.card_number must be a string"]
    );
    assert_eq!(
        reply.details("payment_details.cvc"),
        ["payment_details.cvc must be a string"]
    );
    assert!(!reply.text().contains("4000056655665556") && !contains_token(&reply.text(), "9183"));
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_20_two_pipelined_posts_with_one_key_answer_in_order_the_second_replayed() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let body = r#"{"name": "Pipelined"}"#;
    let one = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\nidempotency-key: pipelined\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(app.addr).await.unwrap();

    stream
        .write_all(format!("{one}{one}").as_bytes())
        .await
        .unwrap();
    let answers = read_until_quiet(&mut stream, Duration::from_millis(500)).await;
    drop(stream);

    let heads: Vec<&str> = answers
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &answers[i..])
        .collect();
    assert_eq!(heads.len(), 2, "{answers}");
    assert!(heads[0].starts_with("HTTP/1.1 200"), "{answers}");
    assert!(heads[1].starts_with("HTTP/1.1 200"), "{answers}");
    let first_head = &heads[0][..heads[0].find("\r\n\r\n").unwrap()];
    let second_head = &heads[1][..heads[1].find("\r\n\r\n").unwrap()];
    assert!(!first_head.contains("idempotent-replayed"), "{first_head}");
    assert!(
        second_head.contains("idempotent-replayed: true"),
        "{second_head}"
    );
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_23_a_missing_or_unknown_api_key_is_401_and_the_key_is_never_logged() {
    let binary = Binary::start(&["--log-format", "json"]);
    let app = binary.app();
    let before = snapshot(&app).await;

    let missing = app.post("/v3/profiles").json(&minimal_body()).send().await;
    let unknown = app
        .create("sk_test_SentinelUnknownKey", &minimal_body())
        .await;

    missing.assert_error(401, "AUTH_001");
    unknown.assert_error(401, "AUTH_002");
    assert!(!unknown.text().contains("SentinelUnknownKey"));
    let logs = binary
        .logs_once_they_show(unknown.header("x-request-id").unwrap())
        .await;
    assert!(
        logs.contains(unknown.header("x-request-id").unwrap()),
        "the request was logged"
    );
    assert!(!logs.contains("SentinelUnknownKey"), "{logs}");
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_24_malformed_idempotency_keys_are_400_and_nothing_runs() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let long = "k".repeat(256);

    for key in ["", long.as_str(), "with space", "ключ", "\"quoted\""] {
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", key)
            .json(&minimal_body())
            .send()
            .await;
        reply.assert_error(400, "VALIDATION_007");
    }
    let twice = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&minimal_body())
        .send()
        .await;
    twice.assert_error(400, "VALIDATION_007");
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_25_a_key_of_exactly_255_allowed_characters_is_200_and_stored() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let key: String = "Ab9_-".chars().cycle().take(255).collect();

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", &key)
        .json(&minimal_body())
        .send()
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_26_refused_cards_are_400_with_field_paths_only() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let cases = [
        ("card_number", json!("4242424242424241"), "4242424242424241"),
        ("card_number", json!("4000000000000002"), "4000000000000002"),
        ("cvc", json!("91"), "\"91\""),
        ("expiry", json!("01/20"), "01/20"),
    ];

    for (field, value, shown) in cases {
        let mut body = seed_body();
        body["payment_details"][field] = value;
        let reply = app.create(ADMIN, &body).await;

        reply.assert_error(400, "VALIDATION_001");
        assert_eq!(reply.detail_paths(), [format!("payment_details.{field}")]);
        assert!(
            !reply.text().contains(shown),
            "{shown} echoed: {}",
            reply.text()
        );
    }
    assert_invariant(&app, before, 0, 0).await;
}

#[tokio::test]
async fn row_27_a_flood_of_unique_keys_past_the_cap_is_503_and_nothing_runs() {
    let app = spawn_app_with(Config {
        idempotency: Settings {
            capacity: 5,
            ..Settings::default()
        },
        ..Config::default()
    })
    .await;
    let before = snapshot(&app).await;

    let mut statuses = Vec::new();
    for i in 0..25 {
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", &format!("flood-{i}"))
            .json(&minimal_body())
            .send()
            .await;
        if reply.status == 503 {
            reply.assert_error(503, "SERVICE_001");
        }
        statuses.push(reply.status);
    }

    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 5);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 20);
    assert_invariant(&app, before, 5, 5).await;
}

#[tokio::test]
async fn row_28_sixty_four_concurrent_requests_with_one_new_key_create_one_profile() {
    let app = Arc::new(spawn_app().await);
    let before = snapshot(&app).await;

    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                app.post("/v3/profiles")
                    .key(ADMIN)
                    .header("Idempotency-Key", "one-for-all")
                    .json(&seed_body())
                    .send()
                    .await
            })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let reply = task.await.unwrap();
        match reply.status {
            200 => {
                ids.insert(reply.json()["data"]["id"].as_str().unwrap().to_owned());
            }
            409 => reply.assert_error(409, "CONFLICT_001"),
            other => panic!("{other}: {}", reply.text()),
        }
    }

    assert_eq!(ids.len(), 1);
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_29_a_client_gone_mid_request_leaves_the_answer_stored_for_its_retry() {
    let app = spawn_app_with_scenarios(&[HALF_SECOND]).await;
    let before = snapshot(&app).await;
    let body = r#"{"name": "Left early"}"#;
    let request = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\nidempotency-key: left-early\r\nx-mock-scenario: half-second\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );

    let answer = app
        .raw(request.as_bytes(), Duration::from_millis(100))
        .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let retry = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "left-early")
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;

    assert_eq!(answer, "");
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_30_a_scripted_500_twice_then_success_with_a_key_creates_one_profile() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;

    let mut statuses = Vec::new();
    for _ in 0..3 {
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", "sdk-retry")
            .header("X-Stainless-Retry-Count", &statuses.len().to_string())
            .json(&json!({"name": "mock:flaky"}))
            .send()
            .await;
        statuses.push(reply.status);
    }

    assert_eq!(statuses, [500, 500, 200]);
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_31_created_then_dropped_the_retry_gets_the_stored_200() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let body = json!({"name": "mock:create-then-drop"});

    let first = connection_breaks(&app, &body, Some("dropped")).await;
    let retry = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("Idempotency-Key", "dropped")
        .json(&body)
        .send()
        .await;

    assert_eq!(first, "");
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_invariant(&app, before, 1, 1).await;
}

#[tokio::test]
async fn row_32_after_the_clock_moves_24_hours_and_a_second_the_key_runs_again() {
    let app = spawn_app().await;
    let before = snapshot(&app).await;
    let send = || {
        app.post("/v3/profiles")
            .key(ADMIN)
            .header("Idempotency-Key", "a-day-old")
            .json(&minimal_body())
            .send()
    };

    let first = send().await;
    let moved = app
        .post("/_mock/clock")
        .json(&json!({"advance": "24h1s"}))
        .send()
        .await;
    let again = send().await;

    assert_eq!(moved.status, 200);
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_ne!(again.json()["data"]["id"], first.json()["data"]["id"]);
    // The second run took the expired record's place.
    assert_invariant(&app, before, 2, 1).await;
}

#[tokio::test]
async fn row_33_sigterm_under_load_finishes_requests_in_flight_refuses_new_ones_and_exits_0() {
    let dir = std::env::temp_dir().join(format!("sent-mock-row33-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("slow.json"),
        r#"{"name": "slow", "steps": [{"delay": "700ms", "proceed": true}]}"#,
    )
    .unwrap();
    let mut binary = Binary::start(&["--scenarios", dir.to_str().unwrap()]);
    let app = Arc::new(binary.app());
    let in_flight: Vec<_> = (0..8)
        .map(|i| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                app.post("/v3/profiles")
                    .key(ADMIN)
                    .header("x-mock-scenario", "slow")
                    .json(&json!({ "name": format!("In flight {i}") }))
                    .send()
                    .await
                    .status
            })
        })
        .collect();
    // And a keep-alive connection left idle after its answer: shutdown must close it.
    let mut idle = TcpStream::connect(binary.addr).await.unwrap();
    idle.write_all(b"GET /_mock/health HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(2), idle.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = binary.child.id().to_string();
    let signalled = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = TcpStream::connect(binary.addr).await;
    let mut statuses = Vec::new();
    for task in in_flight {
        statuses.push(task.await.unwrap());
    }
    let exit = tokio::task::spawn_blocking(move || binary.child.wait().unwrap())
        .await
        .unwrap();
    let exited_after = signalled.elapsed();
    let idle_closed = matches!(idle.read(&mut answer).await, Ok(0) | Err(_));

    assert_eq!(statuses, [200; 8], "requests in flight finished");
    // Answered connections stay open (keep-alive) until shutdown closes them: it must not
    // wait for its 10 s grace period for them.
    assert!(idle_closed, "the idle connection was left open");
    assert!(
        exited_after < Duration::from_secs(5),
        "exited {exited_after:?} after SIGTERM"
    );
    assert!(
        refused.is_err(),
        "a new connection after SIGTERM was accepted"
    );
    assert!(exit.success(), "{exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn row_34_sentinel_secrets_appear_nowhere_across_the_table() {
    // The API keys the row sends, which must not come back either.
    const KEYS: [&str; 2] = [ADMIN, "sk_test_SentinelWrongKey"];
    for format in ["text", "json"] {
        let binary = Binary::start(&["--log-format", format]);
        let app = binary.app();
        let mut answers = Vec::new();

        // The secrets go through every path: created, replayed, refused by field rules, by
        // business rules, by the body parser, by authentication, by a scenario, by a fault.
        let keyed = |key: &'static str| {
            app.post("/v3/profiles")
                .key(ADMIN)
                .header("Idempotency-Key", key)
                .json(&sentinel_body())
        };
        answers.push(keyed("sentinel-1").send().await);
        answers.push(keyed("sentinel-1").send().await);
        let mut invalid = sentinel_body();
        invalid["short_name"] = json!("!");
        answers.push(app.create(ADMIN, &invalid).await);
        answers.push(
            app.create(NO_WABA_ADMIN, &{
                let mut b = sentinel_body();
                b["whatsapp_business_account"] = Value::Null;
                b
            })
            .await,
        );
        let mut wrong_types = sentinel_body();
        wrong_types["payment_details"]["card_number"] = json!(4000056655665556u64);
        wrong_types["payment_details"]["cvc"] = json!(CVC.parse::<u32>().unwrap_or(0));
        answers.push(app.create(ADMIN, &wrong_types).await);
        let broken = serde_json::to_string(&sentinel_body())
            .unwrap()
            .replace("\"sandbox\":false", "\"sandbox\":fals");
        answers.push(post_json_text(&app, broken).await);
        answers.push(
            app.create("sk_test_SentinelWrongKey", &sentinel_body())
                .await,
        );
        let mut scripted = sentinel_body();
        scripted["name"] = json!("mock:internal-error");
        answers.push(app.create(ADMIN, &scripted).await);
        let escaped = serde_json::to_string(&sentinel_body())
            .unwrap()
            .replace(TOKEN, "EAASentinel\\u0041ccessToken0123456789");
        answers.push(post_json_text(&app, escaped).await);
        let mut dropped = sentinel_body();
        dropped["name"] = json!("mock:create-then-drop");
        let _ = connection_breaks(&app, &dropped, Some("sentinel-drop")).await;
        let created_id = answers[0].json()["data"]["id"].as_str().unwrap().to_owned();
        answers.push(
            app.request(http::Method::PATCH, &format!("/v3/profiles/{created_id}"))
                .key(ADMIN)
                .json(&json!({"payment_details": {"card_number": CARD, "expiry": EXPIRY, "cvc": CVC, "zip_code": "1"}}))
                .send()
                .await,
        );
        let journal = app.get("/_mock/requests").send().await;
        let fixtures_and_state = app.get("/v3/profiles").key(ADMIN).send().await;

        assert_eq!(answers[0].status, 200, "{}", answers[0].text());
        assert_eq!(answers[1].header("idempotent-replayed"), Some("true"));
        for (i, reply) in answers.iter().enumerate() {
            assert_no_sentinel(&reply.text(), &format!("answer {i}"), &KEYS);
            for (name, value) in &reply.headers {
                assert_no_sentinel(
                    value.to_str().unwrap_or(""),
                    &format!("header {name} of answer {i}"),
                    &KEYS,
                );
            }
        }
        assert_eq!(journal.status, 200);
        let journal_text = journal.text();
        assert!(journal_text.contains("[REDACTED]"), "{journal_text}");
        assert_no_sentinel(&journal_text, "the journal", &KEYS);
        assert_no_sentinel(&fixtures_and_state.text(), "the profiles listed", &KEYS);
        // The last request's line, so that every earlier one has come through as well.
        let last = fixtures_and_state.header("x-request-id").unwrap();
        let logs = binary.logs_once_they_show(last).await;
        assert!(logs.contains(last), "the last request was logged: {logs}");
        assert!(!logs.contains("panicked"), "{logs}");
        assert_no_sentinel(&logs, &format!("the {format} log (panics included)"), &KEYS);
    }
}
