//! Test support: start the real server on `127.0.0.1:0` and talk HTTP to it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use sent_mock::{Config, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub const ADMIN: &str = "sk_test_acme_admin";
pub const OWNER_UUID: &str = "6a0b5e6e-2f0a-4c55-9d0e-7b1f3c2a9e01";
pub const DEVELOPER: &str = "sk_test_acme_developer";
pub const BILLING: &str = "sk_test_acme_billing";
pub const PROFILE_KEY: &str = "sk_test_acme_profile";
pub const NO_WABA_ADMIN: &str = "sk_test_globex_admin";
pub const NO_WABA_ADMIN_UUID: &str = "9b2e4c1a-7d3f-4e8b-a6c5-1f0d2e3b4a59";
pub const GONE_ORG_ADMIN: &str = "sk_test_initech_admin";
pub const ACME_ORG: &str = "550e8400-e29b-41d4-a716-446655440000";
pub const ACME_WABA: &str = "102290129340398";
pub const SEED_PROFILE: &str = "770e8400-e29b-41d4-a716-446655440001";
pub const GLOBEX_ORG: &str = "660e8400-e29b-41d4-a716-446655440010";

/// A running server on a free port, stopped when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

pub async fn spawn_app_with(config: Config) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = Server::new(config, listener).expect("valid config");
    let addr = server.local_addr().expect("local addr");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: client(),
        shutdown: Some(tx),
    }
}

/// A client that keeps no idle connection, so that a test sees the server's connections
/// go back to where they were.
fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn request(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.request(Method::POST, path)
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.request(Method::GET, path)
    }

    /// `POST /v3/profiles` as `key` with a JSON body.
    pub async fn create(&self, key: &str, body: &Value) -> Reply {
        self.post("/v3/profiles").key(key).json(body).send().await
    }

    /// Writes raw bytes on a fresh connection and reads until the server closes it or
    /// `wait` passes without data.
    pub async fn raw(&self, bytes: &[u8], wait: Duration) -> String {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        stream.write_all(bytes).await.expect("write");
        read_until_quiet(&mut stream, wait).await
    }
}

pub async fn read_until_quiet(stream: &mut TcpStream, wait: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A request being built.
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Bytes,
}

impl Call<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(serde_json::to_vec(body).expect("json"))
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    pub async fn send(self) -> Reply {
        let mut builder = http::Request::builder()
            .method(self.method)
            .uri(self.app.url(&self.path));
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let request = builder.body(Full::new(self.body)).expect("request");
        let response = self.app.client.request(request).await.expect("response");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A response as a test sees it.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `error.code` of an error envelope.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// `data.id` of a success envelope; empty when there is none.
    pub fn data_id(&self) -> String {
        self.json()["data"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The messages listed under one path of `error.details`.
    pub fn details(&self, path: &str) -> Vec<String> {
        self.json()["error"]["details"][path]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|m| m.as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The field paths in `error.details`, in order.
    pub fn detail_paths(&self) -> Vec<String> {
        self.json()["error"]["details"]
            .as_object()
            .map(|map| map.keys().cloned().collect())
            .unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.code(), code, "{}", self.text());
    }
}

/// The seed page's full create body, with a card expiry safely in the future.
pub fn seed_body() -> Value {
    let text = include_str!("../data/create-request.json");
    let mut body: Value = serde_json::from_str(text).expect("seed body");
    body["payment_details"]["expiry"] = json!("09/49");
    body
}

/// The smallest valid create body.
pub fn minimal_body() -> Value {
    json!({"name": "Sales Team"})
}

/// The binary itself, started with `args` on a free port; its standard error is kept.
pub struct Binary {
    pub child: Child,
    pub addr: SocketAddr,
    pub stdout: Arc<Mutex<String>>,
    pub stderr: Arc<Mutex<String>>,
}

impl Binary {
    pub fn start(args: &[&str]) -> Binary {
        Binary::spawn(Command::new(env!("CARGO_BIN_EXE_sent-mock")), args)
    }

    /// As [`Binary::start`], the process confined to CPU 0 (`taskset -c 0`, which then runs
    /// the binary in its own place, under the same pid).
    pub fn start_on_one_cpu(args: &[&str]) -> Binary {
        let mut taskset = Command::new("taskset");
        taskset.args(["-c", "0", env!("CARGO_BIN_EXE_sent-mock")]);
        Binary::spawn(taskset, args)
    }

    /// The threads the process has now (`/proc/<pid>/status`).
    pub fn threads(&self) -> usize {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("Threads:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("a Threads line")
    }

    fn spawn(mut command: Command, args: &[&str]) -> Binary {
        use std::io::{BufRead, BufReader, Read};
        let mut child = command
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start sent-mock");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .expect("a banner line")
            .expect("readable banner");
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in banner line: {first}"));
        let stdout = Arc::new(Mutex::new(format!("{first}\n")));
        let banner = Arc::clone(&stdout);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let mut out = banner.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Binary {
            child,
            addr,
            stdout,
            stderr,
        }
    }

    /// A client for this process, with the same calls as an in-process app.
    pub fn app(&self) -> TestApp {
        TestApp {
            addr: self.addr,
            client: client(),
            shutdown: None,
        }
    }

    /// Standard output once it shows `text`, or after 5 s as it stands (see [`shown`]).
    pub async fn printed_once_it_shows(&self, text: &str) -> String {
        shown(&self.stdout, text).await
    }

    /// The log once it shows `text` (a request id, say), or after 5 s as it stands.
    pub async fn logs_once_they_show(&self, text: &str) -> String {
        shown(&self.stderr, text).await
    }
}

/// What a reader thread has copied from one of the server's pipes, once it holds `text`, or
/// after 5 s as it stands: on a busy machine a test that reads at once, or after a fixed
/// pause, can run before the line it looks for has come through.
async fn shown(copied: &Mutex<String>, text: &str) -> String {
    for _ in 0..100 {
        let so_far = copied.lock().unwrap().clone();
        if so_far.contains(text) {
            return so_far;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    copied.lock().unwrap().clone()
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server with the shipped scenarios plus `extra` ones given as (file name, JSON text).
pub async fn spawn_app_with_scenarios(extra: &[(&str, &str)]) -> TestApp {
    let mut scenarios = sent_mock::scenarios::embedded();
    for (name, text) in extra {
        scenarios.0.push(((*name).to_owned(), (*text).to_owned()));
    }
    spawn_app_with(Config {
        scenarios,
        ..Config::default()
    })
    .await
}

/// Whether a request on a fresh connection ends without a complete answer.
pub async fn connection_breaks(
    app: &TestApp,
    body: &Value,
    idempotency_key: Option<&str>,
) -> String {
    let body = serde_json::to_string(body).unwrap();
    let key_header = idempotency_key
        .map(|k| format!("idempotency-key: {k}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST /v3/profiles HTTP/1.1\r\nhost: x\r\nx-api-key: {ADMIN}\r\ncontent-type: application/json\r\n{key_header}content-length: {}\r\n\r\n{body}",
        body.len()
    );
    app.raw(request.as_bytes(), Duration::from_secs(3)).await
}

/// A webhook receiver on `127.0.0.1:0`: answers the listed statuses in turn (then 200) and
/// keeps every body it received.
pub struct Hook {
    pub url: String,
    pub received: Arc<Mutex<Vec<Value>>>,
}

pub async fn spawn_hook(statuses: Vec<u16>) -> Hook {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let statuses = Arc::new(Mutex::new(std::collections::VecDeque::from(statuses)));
    let sink = Arc::clone(&received);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (sink, statuses) = (Arc::clone(&sink), Arc::clone(&statuses));
            tokio::spawn(async move {
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (sink, statuses) = (Arc::clone(&sink), Arc::clone(&statuses));
                    async move {
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        sink.lock()
                            .unwrap()
                            .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                        let status = statuses.lock().unwrap().pop_front().unwrap_or(200);
                        let mut response = hyper::Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Hook { url, received }
}

impl Hook {
    /// The bodies received once `count` have arrived (or after five seconds).
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        for _ in 0..100 {
            if self.received.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received.lock().unwrap().clone()
    }
}

/// What the server holds, from `GET /_mock/health` on a connection of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// Open connections, not counting the one asking.
    pub connections: u64,
    pub profiles: u64,
    pub records: u64,
    pub running: u64,
    /// Requests in flight, not counting the one asking.
    pub in_flight: u64,
}

pub async fn snapshot(app: &TestApp) -> Snapshot {
    let answer = app
        .raw(
            b"GET /_mock/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            Duration::from_secs(2),
        )
        .await;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let health: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("health: {answer}"));
    let data = &health["data"];
    let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("health: {health}"));
    Snapshot {
        connections: n(&data["connections"]) - 1,
        profiles: n(&data["profiles"]),
        records: n(&data["idempotency"]["records"]),
        running: n(&data["idempotency"]["running"]),
        in_flight: n(&data["requests_in_flight"]) - 1,
    }
}

/// Waits (up to 5 s) until `count` idempotent requests are running: a test that sends a
/// second request while the first runs must not guess how long the first takes to arrive.
pub async fn until_running(app: &TestApp, count: u64) {
    for _ in 0..100 {
        if snapshot(app).await.running >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{count} idempotent requests never ran at once");
}

/// The invariant of ROBUSTNESS.md after a row: a normal create still answers; exactly
/// `created` profiles and `stored` idempotency records were added by the row; nothing runs
/// or is in flight; open connections are back to `before`.
pub async fn assert_invariant(app: &TestApp, before: Snapshot, created: u64, stored: u64) {
    let mut now = snapshot(app).await;
    for _ in 0..40 {
        if now.connections <= before.connections && now.in_flight == 0 && now.running == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        now = snapshot(app).await;
    }
    assert!(
        now.connections <= before.connections,
        "connections left open: {now:?} (before {before:?})"
    );
    assert_eq!(now.in_flight, 0, "a request is still in flight: {now:?}");
    assert_eq!(
        now.running, 0,
        "an idempotency key is stuck in flight: {now:?}"
    );
    assert_eq!(
        now.profiles,
        before.profiles + created,
        "profiles: {now:?} (before {before:?})"
    );
    assert_eq!(
        now.records,
        before.records + stored,
        "records: {now:?} (before {before:?})"
    );
    let normal = app
        .post("/v3/profiles")
        .header("x-api-key", ADMIN)
        .header("content-type", "application/json")
        .header("connection", "close")
        .body(r#"{"name": "After the row"}"#)
        .send()
        .await;
    assert_eq!(
        normal.status,
        200,
        "a normal create after the row: {}",
        normal.text()
    );
}

/// The keys of `ProfileDetail`, in the documented order (CONTRACT §5.5).
pub const PROFILE_KEYS: [&str; 25] = [
    "id",
    "organization_id",
    "name",
    "email",
    "icon",
    "description",
    "short_name",
    "status",
    "created_at",
    "updated_at",
    "allow_contact_sharing",
    "allow_template_sharing",
    "inherit_contacts",
    "inherit_templates",
    "inherit_tcr_brand",
    "inherit_tcr_campaign",
    "billing_model",
    "sending_phone_number_profile_id",
    "sending_whatsapp_number_profile_id",
    "sending_phone_number",
    "whatsapp_phone_number",
    "allow_number_change_during_onboarding",
    "waba_id",
    "billing_contact",
    "brand",
];

/// The keys of a JSON object in the order the body wrote them.
pub fn keys_in_order(text: &str, object_start: &str) -> Vec<String> {
    let start = text.find(object_start).expect("object present") + object_start.len();
    let mut depth = 0;
    let mut keys = Vec::new();
    let mut chars = text[start..].char_indices().peekable();
    let mut in_string = false;
    let mut current = String::new();
    let mut expecting_key = true;
    while let Some((_, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_string = false;
                    if depth == 0 && expecting_key {
                        keys.push(std::mem::take(&mut current));
                        expecting_key = false;
                    }
                }
                _ if depth == 0 && expecting_key => current.push(c),
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' if depth == 0 => break,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => expecting_key = true,
            _ => {}
        }
    }
    keys
}

/// A scenario that waits half a second, then lets the request run.
pub const HALF_SECOND: (&str, &str) = (
    "half-second.json",
    r#"{"name": "half-second", "steps": [{"delay": "500ms", "proceed": true}]}"#,
);

/// Sentinel secrets: a body carrying them (`sentinel_body`) goes through a test, and none may
/// come back in an answer, a log line or the journal (`assert_no_sentinel`).
pub const CARD: &str = "4000056655665556";
pub const CVC: &str = "9183";
pub const EXPIRY: &str = "11/48";
pub const TOKEN: &str = "EAASentinelAccessToken0123456789";

/// The seed body with every sentinel where a secret goes.
pub fn sentinel_body() -> Value {
    let mut body = seed_body();
    body["payment_details"] =
        json!({"card_number": CARD, "expiry": EXPIRY, "cvc": CVC, "zip_code": "10001"});
    body["whatsapp_business_account"]["access_token"] = json!(TOKEN);
    body
}

/// Fails if a sentinel (or one of `also`) is in `text`, which `place` names.
pub fn assert_no_sentinel(text: &str, place: &str, also: &[&str]) {
    for secret in [CARD, EXPIRY, TOKEN].iter().chain(also) {
        assert!(!text.contains(secret), "{secret} found in {place}:\n{text}");
    }
    assert!(
        !contains_token(text, CVC),
        "{CVC} found in {place}:\n{text}"
    );
}

/// Whether `needle` occurs in `text` as a token of its own, not inside a longer run of
/// letters and digits: a four-digit CVC also turns up inside ids and timestamps
/// ("…17:40:10.0739125…"), and only a standalone one is a leak.
pub fn contains_token(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}
