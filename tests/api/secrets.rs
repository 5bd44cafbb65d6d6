//! Secrets (CONTRACT §5.6): card data and access tokens are never returned or logged.

use serde_json::{json, Value};

use crate::support::*;

async fn exercise(app: &TestApp) -> Vec<Reply> {
    let mut replies = vec![app.create(ADMIN, &sentinel_body()).await];
    // A refused card and a refused token, so that error paths are covered too.
    let mut refused = sentinel_body();
    refused["payment_details"]["card_number"] = json!("4000000000000002");
    refused["whatsapp_business_account"]["waba_id"] = json!("");
    replies.push(app.create(ADMIN, &refused).await);
    let mut wrong_type = sentinel_body();
    wrong_type["payment_details"]["card_number"] = json!(4000056655665556u64);
    replies.push(app.create(ADMIN, &wrong_type).await);
    replies
}

#[tokio::test]
async fn no_response_echoes_a_card_number_cvc_or_access_token() {
    let app = spawn_app().await;

    let replies = exercise(&app).await;

    assert_eq!(replies[0].status, 200, "{}", replies[0].text());
    assert_eq!(replies[1].status, 400);
    assert_eq!(replies[2].status, 400);
    for reply in &replies {
        assert_no_sentinel(&reply.text(), "a response body", &[]);
        for (name, value) in &reply.headers {
            assert_no_sentinel(value.to_str().unwrap_or(""), name.as_str(), &[]);
        }
    }
}

#[tokio::test]
async fn no_log_line_shows_a_secret_in_text_or_json_logs() {
    for format in ["text", "json"] {
        let binary = Binary::start(&["--log-format", format]);
        let app = binary.app();

        let replies = exercise(&app).await;

        assert_eq!(replies[0].status, 200);
        let request_id = replies[0].header("x-request-id").unwrap();
        // The last request's line, so that every earlier one has come through as well.
        let last = replies.last().unwrap().header("x-request-id").unwrap();
        let logs = binary.logs_once_they_show(last).await;
        assert!(
            logs.contains(request_id),
            "the request was logged ({format}): {logs}"
        );
        assert_no_sentinel(&logs, &format!("the {format} log"), &[]);
        assert!(
            !logs.contains(ADMIN),
            "the API key was logged ({format}): {logs}"
        );
        if format == "json" {
            for line in logs.lines() {
                serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            }
        }
    }
}
