//! Webhook callbacks (CONTRACT §8.5): after a profile is completed, the mock POSTs the
//! outcome to the caller's `webHookUrl`, shortly after and in the background, retrying with
//! backoff while the receiver fails. Every attempt is recorded in the journal.
//!
//! Callbacks go out over plain HTTP only (the mock carries no TLS client); an `https` URL is
//! recorded as not delivered.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::journal::{self, Entry, Kind};
use crate::profiles::model::ProfileStatus;
use crate::state::App;

/// A callback to send.
#[derive(Clone, Debug)]
pub struct Callback {
    pub url: String,
    pub profile_id: Uuid,
    pub organization_id: Uuid,
    pub status: ProfileStatus,
    /// The request that completed the profile.
    pub request_id: crate::ids::RequestId,
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// How long after the completion the first attempt goes out.
    pub delay: Duration,
    /// How many attempts at most.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles for each one after.
    pub backoff: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            delay: Duration::from_millis(500),
            attempts: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

/// How long one attempt may take before it counts as failed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The HTTP client the callbacks go out with, shared by all of them.
#[derive(Clone, Debug)]
pub struct Sender {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

#[derive(Serialize)]
struct Payload<'a> {
    event: &'static str,
    profile_id: Uuid,
    organization_id: Uuid,
    status: ProfileStatus,
    timestamp: Timestamp,
    request_id: &'a str,
}

/// Sends `callback` in the background.
pub fn schedule(app: &App, callback: Callback) {
    tokio::spawn(deliver(app.clone(), callback));
}

async fn deliver(app: App, callback: Callback) {
    let settings = app.config.callbacks.clone();
    tokio::time::sleep(settings.delay).await;
    let payload = Payload {
        event: "profile.completed",
        profile_id: callback.profile_id,
        organization_id: callback.organization_id,
        status: callback.status,
        timestamp: app.clock.now(),
        request_id: &callback.request_id,
    };
    // A payload of plain values always serializes.
    let body = Bytes::from(serde_json::to_vec(&payload).unwrap_or_default());
    if !callback.url.to_ascii_lowercase().starts_with("http://") {
        record(
            &app,
            &callback,
            &body,
            None,
            "not delivered: the mock sends callbacks over plain http only".into(),
        );
        return;
    }
    let mut wait = settings.backoff;
    for attempt in 1..=settings.attempts.max(1) {
        let outcome = attempt_once(&app.callbacks, &callback.url, body.clone()).await;
        let delivered = matches!(outcome, Ok(status) if (200..300).contains(&status));
        let note = match &outcome {
            Ok(_) if delivered => format!("attempt {attempt}: delivered"),
            Ok(status) => format!("attempt {attempt}: the receiver answered {status}"),
            Err(problem) => format!("attempt {attempt}: {problem}"),
        };
        record(&app, &callback, &body, outcome.ok(), note);
        if delivered {
            return;
        }
        if attempt < settings.attempts {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    tracing::warn!(url = %callback.url, attempts = settings.attempts, "webhook callback not delivered");
}

async fn attempt_once(sender: &Sender, url: &str, body: Bytes) -> Result<u16, String> {
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(
            http::header::USER_AGENT,
            concat!("sent-mock/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(body))
        .map_err(|e| format!("bad URL: {e}"))?;
    let exchange = async {
        let response = sender
            .client
            .request(request)
            .await
            .map_err(|e| format!("could not connect: {e}"))?;
        let status = response.status().as_u16();
        // Read the answer to its end so that the connection can be reused.
        let _ = response.into_body().collect().await;
        Ok(status)
    };
    tokio::time::timeout(ATTEMPT_TIMEOUT, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())))
}

fn record(app: &App, callback: &Callback, body: &Bytes, status: Option<u16>, note: String) {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    app.journal.record(|e| {
        e.seq = app.journal.next_seq();
        e.kind = Kind::Callback;
        e.at = app.clock.now();
        Entry::set(&mut e.request_id, &callback.request_id);
        Entry::set(&mut e.method, "POST");
        Entry::set(&mut e.path, &callback.url);
        e.query = None;
        journal::write_headers(&headers, &mut e.headers);
        // Shown lossily when the journal is read, like a request's body.
        Entry::set_bytes(e.body_buffer(), body);
        e.body_bytes = body.len();
        e.status = status;
        e.note = Some(note);
        e.scenario = None;
        e.replayed = false;
        e.organization_id = Some(callback.organization_id);
        e.idempotency_key = None;
        e.api_key_hash = None;
    });
}
