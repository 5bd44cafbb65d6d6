//! The rest of the resource (CONTRACT §8): list, retrieve, delete and complete, the webhook
//! callback, and the state file.

use std::time::Duration;

use http::Method;
use sent_mock::Config;
use serde_json::{json, Value};

use crate::support::*;

impl TestApp {
    pub async fn list(&self, key: &str) -> Reply {
        self.get("/v3/profiles").key(key).send().await
    }

    pub async fn retrieve(&self, key: &str, id: &str) -> Reply {
        self.get(&format!("/v3/profiles/{id}"))
            .key(key)
            .send()
            .await
    }

    pub async fn delete(&self, key: &str, id: &str) -> Reply {
        self.request(Method::DELETE, &format!("/v3/profiles/{id}"))
            .key(key)
            .header("accept", "*/*")
            .json(&json!({}))
            .send()
            .await
    }

    pub async fn complete(&self, key: &str, id: &str, body: &Value) -> Reply {
        self.post(&format!("/v3/profiles/{id}/complete"))
            .key(key)
            .json(body)
            .send()
            .await
    }

    /// Creates a profile and answers its id.
    pub async fn created(&self, key: &str, body: &Value) -> String {
        let reply = self.create(key, body).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        reply.json()["data"]["id"].as_str().unwrap().to_owned()
    }
}

fn listed_ids(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"]["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A profile that can be completed at once: billed through its organization, inheriting
/// its brand.
fn completable() -> Value {
    json!({"name": "Ready", "billing_model": "organization"})
}

fn quick_callbacks() -> Config {
    Config {
        callbacks: sent_mock::callbacks::Settings {
            delay: Duration::from_millis(20),
            attempts: 3,
            backoff: Duration::from_millis(20),
        },
        ..Config::default()
    }
}

#[tokio::test]
async fn the_list_holds_the_organizations_live_profiles_newest_first() {
    let app = spawn_app().await;
    let first = app.created(ADMIN, &json!({"name": "First"})).await;
    let second = app.created(ADMIN, &json!({"name": "Second"})).await;
    app.created(NO_WABA_ADMIN, &json!({"name": "Elsewhere", "whatsapp_business_account": {"waba_id": "1", "access_token": "t"}}))
        .await;

    let ids = listed_ids(&app.list(DEVELOPER).await);

    assert_eq!(ids, [second, first, SEED_PROFILE.to_owned()]);
}

#[tokio::test]
async fn a_profile_key_or_x_profile_id_sees_just_that_profile() {
    let app = spawn_app().await;
    let other = app.created(ADMIN, &minimal_body()).await;

    let by_profile_key = listed_ids(&app.list(PROFILE_KEY).await);
    let narrowed = app
        .get("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", &other)
        .send()
        .await;
    let own = app.retrieve(PROFILE_KEY, SEED_PROFILE).await;
    let not_own = app.retrieve(PROFILE_KEY, &other).await;

    assert_eq!(by_profile_key, [SEED_PROFILE]);
    assert_eq!(listed_ids(&narrowed), std::slice::from_ref(&other));
    assert_eq!(narrowed.header("x-profile-id"), Some(other.as_str()));
    assert_eq!(own.status, 200);
    not_own.assert_error(404, "RESOURCE_014");
}

#[tokio::test]
async fn reads_take_any_key_of_the_organization_and_ignore_idempotency_keys() {
    let app = spawn_app().await;

    for key in [ADMIN, OWNER_UUID, DEVELOPER, BILLING] {
        let reply = app
            .get("/v3/profiles")
            .key(key)
            .header("Idempotency-Key", "not a valid key")
            .send()
            .await;
        assert_eq!(reply.status, 200, "{key}: {}", reply.text());
        assert_eq!(reply.header("idempotent-replayed"), None);
    }
}

#[tokio::test]
async fn retrieve_answers_the_profile_as_created() {
    let app = spawn_app().await;
    let created = app.create(ADMIN, &seed_body()).await.json();
    let id = created["data"]["id"].as_str().unwrap();

    let reply = app.retrieve(DEVELOPER, id).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["data"], created["data"]);
    assert_ne!(
        reply.json()["meta"]["request_id"],
        created["meta"]["request_id"]
    );
}

#[tokio::test]
async fn retrieve_is_404_for_unknown_and_other_organizations_profiles_and_400_for_a_bad_id() {
    let app = spawn_app().await;

    let unknown = app
        .retrieve(ADMIN, "770e8400-e29b-41d4-a716-000000000000")
        .await;
    let other_org = app.retrieve(NO_WABA_ADMIN, SEED_PROFILE).await;
    let bad = app.retrieve(ADMIN, "not-a-uuid").await;

    unknown.assert_error(404, "RESOURCE_014");
    assert_eq!(unknown.json()["error"]["message"], "Profile not found");
    other_org.assert_error(404, "RESOURCE_014");
    bad.assert_error(400, "VALIDATION_003");
    assert_eq!(bad.detail_paths(), ["profileId"]);
}

#[tokio::test]
async fn a_profile_created_in_the_sandbox_is_404_on_get_and_not_listed() {
    let app = spawn_app().await;
    let mut body = seed_body();
    body["sandbox"] = json!(true);

    let created = app.create(ADMIN, &body).await;
    let id = created.json()["data"]["id"].as_str().unwrap().to_owned();

    assert_eq!(created.header("x-sandbox"), Some("true"));
    app.retrieve(ADMIN, &id)
        .await
        .assert_error(404, "RESOURCE_014");
    assert!(!listed_ids(&app.list(ADMIN).await).contains(&id));
}

#[tokio::test]
async fn delete_answers_204_without_a_body_and_the_profile_is_gone() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &minimal_body()).await;

    let deleted = app.delete(ADMIN, &id).await;
    let again = app.delete(ADMIN, &id).await;

    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    assert_eq!(deleted.header("content-type"), None);
    assert!(deleted.header("x-request-id").is_some());
    app.retrieve(ADMIN, &id)
        .await
        .assert_error(404, "RESOURCE_014");
    assert!(!listed_ids(&app.list(ADMIN).await).contains(&id));
    again.assert_error(404, "RESOURCE_014");
}

#[tokio::test]
async fn delete_takes_no_body_or_an_empty_object() {
    let app = spawn_app().await;
    let first = app.created(ADMIN, &minimal_body()).await;
    let second = app.created(ADMIN, &minimal_body()).await;

    let without_body = app
        .request(Method::DELETE, &format!("/v3/profiles/{first}"))
        .key(ADMIN)
        .send()
        .await;
    let with_empty_object = app.delete(ADMIN, &second).await;

    assert_eq!(without_body.status, 204, "{}", without_body.text());
    assert_eq!(with_empty_object.status, 204);
}

#[tokio::test]
async fn a_sandbox_delete_answers_204_with_x_sandbox_and_deletes_nothing() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &minimal_body()).await;

    let reply = app
        .request(Method::DELETE, &format!("/v3/profiles/{id}"))
        .key(ADMIN)
        .json(&json!({"sandbox": true}))
        .send()
        .await;

    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("x-sandbox"), Some("true"));
    assert_eq!(app.retrieve(ADMIN, &id).await.status, 200);
}

#[tokio::test]
async fn delete_needs_an_admin_and_the_organizations_own_profile() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &minimal_body()).await;

    app.delete(DEVELOPER, &id)
        .await
        .assert_error(403, "AUTH_004");
    app.delete(PROFILE_KEY, SEED_PROFILE)
        .await
        .assert_error(403, "AUTH_004");
    app.delete(NO_WABA_ADMIN, &id)
        .await
        .assert_error(404, "RESOURCE_014");
    app.delete(ADMIN, "nope")
        .await
        .assert_error(400, "VALIDATION_003");
    assert_eq!(app.retrieve(ADMIN, &id).await.status, 200);
}

#[tokio::test]
async fn a_deleted_profile_is_404_as_x_profile_id() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &minimal_body()).await;
    app.delete(ADMIN, &id).await;

    let reply = app
        .get("/v3/profiles")
        .key(ADMIN)
        .header("x-profile-id", &id)
        .send()
        .await;

    reply.assert_error(404, "RESOURCE_014");
}

#[tokio::test]
async fn a_delete_with_an_idempotency_key_is_replayed() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &minimal_body()).await;
    let send = || {
        app.request(Method::DELETE, &format!("/v3/profiles/{id}"))
            .key(ADMIN)
            .header("Idempotency-Key", "delete-once")
            .json(&json!({}))
            .send()
    };

    let first = send().await;
    let retry = send().await;

    assert_eq!(first.status, 204);
    assert_eq!(retry.status, 204, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn complete_reports_every_unmet_prerequisite_with_422() {
    let app = spawn_app().await;
    let id = app
        .created(
            ADMIN,
            &json!({"name": "Not ready", "inherit_tcr_brand": false}),
        )
        .await;

    let reply = app
        .complete(
            ADMIN,
            &id,
            &json!({"webHookUrl": "http://127.0.0.1:9/hook"}),
        )
        .await;

    reply.assert_error(422, "VALIDATION_001");
    let mut paths = reply.detail_paths();
    paths.sort();
    assert_eq!(paths, ["billing_contact", "brand"]);
    assert_eq!(
        app.retrieve(ADMIN, &id).await.json()["data"]["status"],
        "incomplete"
    );
}

#[tokio::test]
async fn complete_needs_an_absolute_http_webhook_url() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &completable()).await;

    let missing = app.complete(ADMIN, &id, &json!({})).await;
    let relative = app
        .complete(ADMIN, &id, &json!({"webHookUrl": "/hook"}))
        .await;
    let snake = app
        .complete(ADMIN, &id, &json!({"web_hook_url": "http://x.example/h"}))
        .await;

    missing.assert_error(400, "VALIDATION_001");
    assert_eq!(missing.details("webHookUrl"), ["webHookUrl is required"]);
    relative.assert_error(400, "VALIDATION_001");
    snake.assert_error(400, "VALIDATION_001");
}

#[tokio::test]
async fn complete_moves_the_status_on_and_the_callback_reaches_the_webhook() {
    let app = spawn_app_with(quick_callbacks()).await;
    let hook = spawn_hook(vec![]).await;
    let id = app.created(ADMIN, &completable()).await;

    let reply = app
        .complete(ADMIN, &id, &json!({"webHookUrl": hook.url}))
        .await;
    let received = hook.wait_for(1).await;

    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["data"]["status"], "completed");
    assert!(reply.json()["data"]["message"].is_string());
    assert_eq!(
        app.retrieve(ADMIN, &id).await.json()["data"]["status"],
        "completed"
    );
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["profile_id"], id);
    assert_eq!(received[0]["status"], "completed");
    assert_eq!(received[0]["organization_id"], ACME_ORG);
    assert!(received[0]["timestamp"]
        .as_str()
        .unwrap()
        .ends_with("+00:00"));
}

#[tokio::test]
async fn a_profile_applying_for_tcr_with_its_own_brand_is_submitted() {
    let app = spawn_app_with(quick_callbacks()).await;
    let hook = spawn_hook(vec![]).await;
    let id = app.created(ADMIN, &seed_body()).await;

    let reply = app
        .complete(ADMIN, &id, &json!({"webHookUrl": hook.url}))
        .await;
    let profile = app.retrieve(ADMIN, &id).await.json();

    assert_eq!(reply.json()["data"]["status"], "submitted");
    assert_eq!(profile["data"]["status"], "submitted");
    assert_eq!(profile["data"]["brand"]["submitted_to_tcr"], true);
    assert!(profile["data"]["brand"]["submitted_at"].is_string());
    assert_eq!(hook.wait_for(1).await[0]["status"], "submitted");
}

#[tokio::test]
async fn completing_a_completed_profile_answers_200_and_changes_nothing() {
    let app = spawn_app_with(quick_callbacks()).await;
    let hook = spawn_hook(vec![]).await;
    let id = app.created(ADMIN, &completable()).await;
    app.complete(ADMIN, &id, &json!({"webHookUrl": hook.url}))
        .await;
    hook.wait_for(1).await;
    let before = app.retrieve(ADMIN, &id).await.json()["data"].clone();

    let again = app
        .complete(ADMIN, &id, &json!({"webHookUrl": hook.url}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_eq!(again.status, 200);
    assert_eq!(again.json()["data"]["status"], "completed");
    assert_eq!(app.retrieve(ADMIN, &id).await.json()["data"], before);
    assert_eq!(hook.received.lock().unwrap().len(), 1, "no second callback");
}

#[tokio::test]
async fn a_sandbox_complete_answers_but_changes_nothing_and_calls_nobody() {
    let app = spawn_app_with(quick_callbacks()).await;
    let hook = spawn_hook(vec![]).await;
    let id = app.created(ADMIN, &completable()).await;

    let reply = app
        .complete(
            ADMIN,
            &id,
            &json!({"webHookUrl": hook.url, "sandbox": true}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-sandbox"), Some("true"));
    assert_eq!(reply.json()["data"]["status"], "completed");
    assert_eq!(
        app.retrieve(ADMIN, &id).await.json()["data"]["status"],
        "incomplete"
    );
    assert!(hook.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_and_every_attempt_is_journaled() {
    let app = spawn_app_with(quick_callbacks()).await;
    let hook = spawn_hook(vec![500, 503]).await;
    let id = app.created(ADMIN, &completable()).await;

    let reply = app
        .complete(ADMIN, &id, &json!({"webHookUrl": hook.url}))
        .await;
    let received = hook.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let journal = app.get("/_mock/requests?path=http://").send().await.json();

    assert_eq!(received.len(), 3, "two failures, then delivered");
    assert!(received.iter().all(|body| body["profile_id"] == id));
    let attempts = journal["data"]["requests"].as_array().unwrap();
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(503), &json!(200)]);
    assert!(attempts
        .iter()
        .all(|a| a["kind"] == "callback" && a["path"] == hook.url.as_str()));
    assert!(attempts
        .iter()
        .all(|a| a["request_id"] == reply.header("x-request-id").unwrap()));
    assert!(
        attempts
            .iter()
            .all(|a| a["headers"] == json!({"content-type": "application/json"})),
        "{attempts:#?}"
    );
}

#[tokio::test]
async fn the_500_message_names_the_operation() {
    let app = spawn_app().await;
    let id = app.created(ADMIN, &completable()).await;
    let scripted = |method: Method, path: String| {
        app.request(method, &path)
            .key(ADMIN)
            .header("x-mock-scenario", "internal-error")
    };

    let cases = [
        (
            scripted(Method::GET, "/v3/profiles".into()).send().await,
            "Failed to list profiles.",
        ),
        (
            scripted(Method::GET, format!("/v3/profiles/{id}"))
                .send()
                .await,
            "Failed to retrieve profile.",
        ),
        (
            scripted(Method::DELETE, format!("/v3/profiles/{id}"))
                .send()
                .await,
            "Failed to delete profile.",
        ),
        (
            scripted(Method::POST, format!("/v3/profiles/{id}/complete"))
                .json(&json!({"webHookUrl": "http://127.0.0.1:9/h"}))
                .send()
                .await,
            "Failed to complete profile.",
        ),
    ];

    for (reply, start) in cases {
        reply.assert_error(500, "INTERNAL_001");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.starts_with(start), "{message}");
        assert!(
            message.ends_with(reply.header("x-request-id").unwrap()),
            "{message}"
        );
    }
    assert_eq!(
        app.retrieve(ADMIN, &id).await.status,
        200,
        "the scripted delete deleted nothing"
    );
}

#[tokio::test]
async fn the_state_file_keeps_profiles_and_minted_organizations_across_a_restart() {
    let path = std::env::temp_dir().join(format!("sent-mock-state-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let args = ["--state-file", path.to_str().unwrap()];
    let (kept, deleted, minted_key, minted_profile);
    {
        let mut binary = Binary::start(&args);
        let app = binary.app();
        let mut body = seed_body();
        body["payment_details"]["card_number"] = json!("4000056655665556");
        body["whatsapp_business_account"]["access_token"] = json!("EAAstateSENTINEL");
        kept = app.created(ADMIN, &body).await;
        deleted = app.created(ADMIN, &minimal_body()).await;
        assert_eq!(app.delete(ADMIN, &deleted).await.status, 204);
        let minted = app
            .post("/_mock/organizations")
            .json(&json!({}))
            .send()
            .await
            .json();
        minted_key = minted["data"]["keys"][0]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        minted_profile = app.created(&minted_key, &minimal_body()).await;
        let pid = binary.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        let status = binary.child.wait().unwrap();
        assert!(status.success());
    }
    let saved = std::fs::read_to_string(&path).expect("the state file was written");
    for secret in ["4000056655665556", "EAAstateSENTINEL", "sk_test_acme_admin"] {
        assert!(!saved.contains(secret), "{secret} in the state file");
    }

    let binary = Binary::start(&args);
    let app = binary.app();

    let restored = app.retrieve(ADMIN, &kept).await;
    assert_eq!(restored.status, 200, "{}", restored.text());
    assert_eq!(
        restored.json()["data"]["brand"]["contact"]["name"],
        "John Smith"
    );
    app.retrieve(ADMIN, &deleted)
        .await
        .assert_error(404, "RESOURCE_014");
    assert_eq!(app.retrieve(&minted_key, &minted_profile).await.status, 200);
    assert!(listed_ids(&app.list(ADMIN).await).contains(&SEED_PROFILE.to_owned()));
    drop(binary);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_seeded_restart_with_its_state_file_makes_new_ids_not_the_saved_ones_again() {
    let path = std::env::temp_dir().join(format!(
        "sent-mock-seeded-state-{}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let args = ["--seed", "5", "--state-file", path.to_str().unwrap()];
    let mut ids = Vec::new();
    for run in ["first", "second"] {
        let mut binary = Binary::start(&args);
        let app = binary.app();
        let mut body = minimal_body();
        body["name"] = json!(format!("Made in the {run} run"));
        ids.push(app.created(ADMIN, &body).await);
        for (id, made_in) in ids.iter().zip(["first", "second"]) {
            let read = app.retrieve(ADMIN, id).await;
            assert_eq!(read.status, 200, "{}", read.text());
            assert_eq!(
                read.json()["data"]["name"],
                format!("Made in the {made_in} run")
            );
        }
        let pid = binary.child.id().to_string();
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(binary.child.wait().unwrap().success());
    }
    assert_ne!(ids[0], ids[1]);
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_bad_state_file_stops_the_start() {
    let path =
        std::env::temp_dir().join(format!("sent-mock-bad-state-{}.json", std::process::id()));
    std::fs::write(&path, "{not json").unwrap();

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sent-mock"))
        .args(["--port", "0", "--state-file", path.to_str().unwrap()])
        .output()
        .unwrap();

    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("state file"));
    let _ = std::fs::remove_file(&path);
}
