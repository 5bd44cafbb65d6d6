//! Memory soak of the idempotency store: a million creates with unique keys against the
//! release binary, then the clock moved past the TTL.
//!
//! Prints idle RSS, peak RSS (with the store at its cap), the count of 503s, and RSS after the
//! sweep. Run with `cargo bench --bench soak`; environment knobs:
//! `SOAK_REQUESTS` (1000000), `SOAK_CONNECTIONS` (32), `SOAK_SANDBOX` (unset: real creates,
//! which keep their profiles; `1`: sandbox creates, which keep nothing but the idempotency
//! records), `SOAK_ARGS` (extra flags for the server), `SOAK_BIN` (another build to compare).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn post(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    path: &str,
    key: Option<&str>,
    body: Bytes,
) -> u16 {
    let mut request = http::Request::post(path)
        .header("host", "localhost")
        .header("x-api-key", "sk_test_acme_admin")
        .header("content-type", "application/json");
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = sender
        .send_request(request.body(Full::new(body)).unwrap())
        .await
        .expect("response");
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await;
    status
}

async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(connection);
    sender
}

#[tokio::main]
async fn main() {
    let requests: u64 = env_or("SOAK_REQUESTS", 1_000_000);
    let connections: u64 = env_or("SOAK_CONNECTIONS", 32);
    let sandbox = std::env::var("SOAK_SANDBOX").is_ok_and(|v| v == "1");
    let extra = std::env::var("SOAK_ARGS").unwrap_or_default();
    let mut body: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/create-request.json")).unwrap();
    body["payment_details"]["expiry"] = serde_json::json!("09/49");
    body["sandbox"] = serde_json::json!(sandbox);
    let body = Bytes::from(serde_json::to_vec(&body).unwrap());

    let binary =
        std::env::var("SOAK_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_sent-mock").into());
    let mut child = Command::new(binary)
        .args(["--port", "0"])
        .args(extra.split_whitespace())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sent-mock");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let addr: SocketAddr = banner
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .expect("address in banner");
    std::thread::spawn(move || for _ in lines {});
    tokio::time::sleep(Duration::from_millis(200)).await;
    let idle = rss_kib(pid, "VmRSS:");

    let next = Arc::new(AtomicU64::new(0));
    let (ok, unavailable, other) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (next, ok, unavailable, other, body) = (
            next.clone(),
            ok.clone(),
            unavailable.clone(),
            other.clone(),
            body.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut sender = connect(addr).await;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let key = format!("soak-{i}");
                match post(&mut sender, "/v3/profiles", Some(&key), body.clone()).await {
                    200 => ok.fetch_add(1, Ordering::Relaxed),
                    503 => unavailable.fetch_add(1, Ordering::Relaxed),
                    _ => other.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();
    let peak = rss_kib(pid, "VmHWM:");
    let loaded = rss_kib(pid, "VmRSS:");

    let mut sender = connect(addr).await;
    let clock = Bytes::from_static(br#"{"advance": "24h1s"}"#);
    assert_eq!(post(&mut sender, "/_mock/clock", None, clock).await, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let swept = rss_kib(pid, "VmRSS:");
    let fresh = post(
        &mut sender,
        "/v3/profiles",
        Some("after-the-ttl"),
        body.clone(),
    )
    .await;

    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "soak: {requests} creates with unique keys, {connections} connections, sandbox={sandbox}"
    );
    println!(
        "  elapsed                 {:.1} s ({:.0} req/s)",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  200 / 503 / other       {} / {} / {}",
        ok.load(Ordering::Relaxed),
        unavailable.load(Ordering::Relaxed),
        other.load(Ordering::Relaxed)
    );
    println!("  RSS idle                {:.1} MiB", mib(idle));
    println!("  RSS peak (VmHWM)        {:.1} MiB", mib(peak));
    println!("  RSS after the load      {:.1} MiB", mib(loaded));
    println!("  RSS after TTL + sweep   {:.1} MiB", mib(swept));
    println!("  a new key after the TTL {fresh}");
    let _ = child.kill();
    let _ = child.wait();
}
