//! The transport and the body (CONTRACT §1, §3, §5.2): routes, methods, media types, JSON,
//! size limits, keep-alive and h2c.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::*;

#[tokio::test]
async fn an_unknown_route_is_404_route_not_found_naming_method_and_path() {
    let app = spawn_app().await;

    let reply = app.get("/_stainless_unknown_path").key(ADMIN).send().await;

    reply.assert_error(404, "ROUTE_NOT_FOUND");
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("GET") && message.contains("/_stainless_unknown_path"),
        "{message}"
    );
}

#[tokio::test]
async fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;

    let reply = app
        .request(http::Method::PUT, "/v3/profiles")
        .key(ADMIN)
        .send()
        .await;

    reply.assert_error(405, "METHOD_NOT_ALLOWED");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_before_it_is_read() {
    let app = spawn_app_with(sent_mock::Config {
        max_body: 1024,
        ..Default::default()
    })
    .await;
    let big = json!({"name": "x".repeat(2000)});

    let reply = app.create(ADMIN, &big).await;

    reply.assert_error(413, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["body"]);
}

#[tokio::test]
async fn a_chunked_body_growing_past_the_limit_is_413_and_the_connection_closes() {
    let app = spawn_app_with(sent_mock::Config {
        max_body: 1024,
        ..Default::default()
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
    for _ in 0..4 {
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }

    let answer = read_until_quiet(&mut stream, Duration::from_secs(2)).await;

    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("\"VALIDATION_001\""), "{answer}");
}

#[tokio::test]
async fn a_body_sent_in_pieces_is_read_whole_and_in_order() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Each piece after a pause, so that the server reads them one by one.
    for piece in [r#"{"name": "#, r#""In three "#, r#"pieces"}"#] {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let chunk = format!("{:x}\r\n{piece}\r\n", piece.len());
        stream.write_all(chunk.as_bytes()).await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();

    let answer = read_until_quiet(&mut stream, Duration::from_secs(2)).await;

    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""name":"In three pieces""#), "{answer}");
}

#[tokio::test]
async fn a_non_json_content_type_is_415_in_the_envelope() {
    let app = spawn_app().await;

    for media in ["text/plain", "application/x-www-form-urlencoded"] {
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("content-type", media)
            .body(r#"{"name": "x"}"#)
            .send()
            .await;

        reply.assert_error(415, "VALIDATION_001");
    }
}

#[tokio::test]
async fn a_body_without_a_content_type_is_415() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .body(r#"{"name": "x"}"#)
        .send()
        .await;

    reply.assert_error(415, "VALIDATION_001");
}

#[tokio::test]
async fn json_media_types_with_parameters_or_suffixes_are_processed() {
    let app = spawn_app().await;

    for media in [
        "application/json; charset=utf-8",
        "application/vnd.api+json",
    ] {
        let reply = app
            .post("/v3/profiles")
            .key(ADMIN)
            .header("content-type", media)
            .body(r#"{"name": "x"}"#)
            .send()
            .await;

        assert_eq!(reply.status, 200, "{media}: {}", reply.text());
    }
}

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column_under_body() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("content-type", "application/json")
        .body("{\n  \"name\": \"Sales\",\n  \"secret_value\": 4242x\n}")
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_001");
    let problem = &reply.details("body")[0];
    assert!(problem.contains("line 3 column"), "{problem}");
    assert!(
        !problem.contains("4242") && !problem.contains("Sales"),
        "input echoed: {problem}"
    );
}

#[tokio::test]
async fn a_missing_body_is_400_under_body() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("content-type", "application/json")
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_001");
    assert_eq!(reply.detail_paths(), ["body"]);
}

#[tokio::test]
async fn a_json_array_body_is_400_saying_an_object_is_needed() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .json(&json!([{"name": "x"}]))
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_001");
    assert!(
        reply.details("body")[0].contains("must be a JSON object"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn duplicate_keys_are_400_never_last_one_wins() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("content-type", "application/json")
        .body(r#"{"name": "first", "name": "second"}"#)
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_001");
    assert!(
        reply.details("body")[0].contains("duplicate key `name`"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn trailing_bytes_after_the_json_value_are_400() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .key(ADMIN)
        .header("content-type", "application/json")
        .body(r#"{"name": "x"} {"name": "y"}"#)
        .send()
        .await;

    reply.assert_error(400, "VALIDATION_001");
}

#[tokio::test]
async fn one_keep_alive_connection_serves_many_requests() {
    let app = spawn_app().await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let body = r#"{"name": "Sales Team"}"#;
    let request = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );

    for _ in 0..3 {
        stream.write_all(request.as_bytes()).await.unwrap();
    }
    let answers = read_until_quiet(&mut stream, Duration::from_millis(500)).await;

    assert_eq!(answers.matches("HTTP/1.1 200 OK").count(), 3, "{answers}");
}

#[tokio::test]
async fn h2c_with_prior_knowledge_is_served_on_the_same_port() {
    let app = spawn_app().await;
    let client = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http::<Full<Bytes>>();
    let request = http::Request::post(app.url("/v3/profiles"))
        .header("x-api-key", ADMIN)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(r#"{"name": "Over h2c"}"#)))
        .unwrap();

    let response = client.request(request).await.unwrap();

    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["data"]["name"], "Over h2c");
}

#[tokio::test]
async fn header_names_match_case_insensitively() {
    let app = spawn_app().await;

    let reply = app
        .post("/v3/profiles")
        .header("X-API-KEY", ADMIN)
        .header("Content-Type", "application/json")
        .body(r#"{"name": "x"}"#)
        .send()
        .await;

    assert_eq!(reply.status, 200, "{}", reply.text());
}
