//! Where a long fresh-key flood's slowest requests come from, without sockets: each create
//! with a new `Idempotency-Key` is timed alone through `pipeline::handle`, and the run prints
//! the quantiles, how many requests took over each threshold, and the slowest ones by their
//! place in the run.
//!
//! `cargo bench --bench stalls -- N` (700 000 by default, about what a 10-second wrk run of
//! `run.sh` sends). A wait that the stores' growth causes comes back at the same places run
//! after run (the maps' shards double together); one that the host causes (a page it is slow
//! to back) lands anywhere. Times are wall-clock and move with the machine: compare two
//! builds by alternating them, never by one run each.

use http::Method;
use sent_mock::pipeline;
use sent_mock::state::App;
use sent_mock::Config;

// Shared with the benches that read the seed profile too.
#[allow(dead_code)]
mod support;
use support::{request, seed_body};

/// Requests built at a time, outside the timed part, so the run never holds them all.
const BATCH: usize = 1000;

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(700_000);
    // As the binary does.
    sent_mock::memory::tune();
    let body = seed_body(false);
    let mut config = Config::default();
    // As run.sh starts the server: every key of the flood is kept.
    config.idempotency.capacity = usize::MAX;
    let app = App::new(config).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut took: Vec<u64> = Vec::with_capacity(count);
    runtime.block_on(async {
        for first in (0..count).step_by(BATCH) {
            let mut batch: Vec<_> = (first..(first + BATCH).min(count))
                .map(|i| {
                    let key = format!("stall-{i}");
                    request(Method::POST, "/v3/profiles", &body, Some(&key))
                })
                .collect();
            for req in &mut batch {
                let start = std::time::Instant::now();
                req.received = start;
                let answer = pipeline::handle(&app, req).await;
                took.push(start.elapsed().as_nanos() as u64);
                assert_eq!(answer.response.status(), 200, "request {}", took.len());
            }
        }
    });
    report(&took);
    // Not dropped: freeing the flood's records would only add to the run's time.
    std::mem::forget(app);
}

fn report(took: &[u64]) {
    let mut sorted = took.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize] as f64 / 1e3;
    let mean = took.iter().sum::<u64>() as f64 / took.len() as f64 / 1e3;
    println!(
        "{} creates, fresh keys, µs: mean {mean:.1}, p50 {:.1}, p90 {:.1}, p99 {:.1}, p99.9 {:.1}, max {:.1}",
        took.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(0.999),
        at(1.0),
    );
    for micros in [20, 50, 100, 200, 1000] {
        let over: Vec<u64> = took
            .iter()
            .copied()
            .filter(|&t| t > micros * 1000)
            .collect();
        println!(
            "over {micros:>4} µs: {:>6} requests, {:>7.1} ms in all",
            over.len(),
            over.iter().sum::<u64>() as f64 / 1e6
        );
    }
    let mut slowest: Vec<(u64, usize)> = took.iter().copied().zip(0..).collect();
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    let places: Vec<String> = slowest
        .iter()
        .take(16)
        .map(|(t, i)| format!("#{i} {:.0}", *t as f64 / 1e3))
        .collect();
    println!("slowest (place, µs): {}", places.join(", "));
}
