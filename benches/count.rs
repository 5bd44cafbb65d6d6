//! Instructions per request, counted by callgrind: a measure that does not drift with the
//! machine's load, for before/after comparisons of the pipeline's own work.
//!
//! `cargo bench --bench count -- KIND N` builds 20 000 requests of one kind (`create`,
//! `fresh-key`, `replay` or `get`, as in the `pipeline` bench) and answers the first `N` of
//! them through `pipeline::handle`. The set-up is the same whatever `N` is, so two runs under
//! callgrind give the instructions of one request as their difference over the difference
//! in `N`; `benches/instructions.sh` does exactly that.

use http::Method;
use sent_mock::pipeline;
use sent_mock::request::Request;
use sent_mock::state::App;
use sent_mock::Config;

mod support;
use support::{request, seed_body, SEED_PROFILE};

const BUILT: usize = 20_000;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let kind = args.next().unwrap_or_else(|| "fresh-key".to_owned());
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    // As the binary does.
    sent_mock::memory::tune();
    let body = seed_body(false);
    let make = |i: usize| match kind.as_str() {
        "create" => request(Method::POST, "/v3/profiles", &body, None),
        "fresh-key" => request(
            Method::POST,
            "/v3/profiles",
            &body,
            Some(&format!("bench-{i}")),
        ),
        "replay" => request(Method::POST, "/v3/profiles", &body, Some("bench-replay")),
        "get" => request(Method::GET, SEED_PROFILE, b"", None),
        other => panic!("unknown kind {other}: create, fresh-key, replay or get"),
    };
    let mut requests: Vec<Request> = (0..BUILT).map(make).collect();
    let app = App::new(Config::default()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut statuses = 0u64;
    runtime.block_on(async {
        for req in requests.iter_mut().take(count.min(BUILT)) {
            // As if it had just arrived: `x-response-time` counts from here.
            req.received = std::time::Instant::now();
            let answer = pipeline::handle(&app, req).await;
            statuses += u64::from(answer.response.status().as_u16());
        }
    });
    println!("{kind}: {count} requests, status sum {statuses}");
    // Not dropped: what the answered requests stored (profiles, idempotency records) would be
    // freed here, after a number of requests that differs between the two runs, and its
    // teardown counted as if it were the requests' own work.
    std::mem::forget(app);
}
