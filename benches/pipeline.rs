//! In-process micro-benchmarks of the request pipeline, without sockets: parse, validate,
//! the one pass that does both for a create body, render, fingerprint, journal redaction,
//! and whole requests through `pipeline::handle`.
//! A regression in the mock's own work shows here even when the network figures are noisy.
//!
//! Run with `cargo bench --bench pipeline` (add a name to run one group, e.g. `-- handle`).

use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::Method;
use sent_mock::clock::Clock;
use sent_mock::directory::Organization;
use sent_mock::idempotency::{self, RawPrint};
use sent_mock::ids::Ids;
use sent_mock::pipeline::{self, Context};
use sent_mock::profiles::{create, one_pass};
use sent_mock::request::Request;
use sent_mock::state::App;
use sent_mock::{journal, json, response, Config};

mod support;
use support::{request, seed_body, SEED_PROFILE};

fn organization() -> Organization {
    Organization {
        id: uuid::Uuid::nil(),
        name: "Acme Corp".into(),
        email: "team@acme.com".into(),
        waba_id: Some("102290129340398".into()),
        exists: true,
    }
}

fn stages(c: &mut Criterion) {
    let body = seed_body(false);
    let clock = Clock::default();
    let ids = Ids::new(Some(1));
    let org = organization();
    let doc = json::parse(&body).unwrap();
    let now = clock.now();

    let mut group = c.benchmark_group("stage");
    group.bench_function("parse", |b| {
        b.iter(|| json::parse(black_box(&body)).unwrap())
    });
    group.bench_function("validate", |b| {
        b.iter(|| create::validate(black_box(&doc), now).unwrap())
    });
    group.bench_function("one-pass", |b| {
        b.iter(|| one_pass::read(black_box(&body), now, |_| false).unwrap())
    });
    group.bench_function("build+render", |b| {
        b.iter(|| {
            let input = create::validate(&doc, now).unwrap();
            let profile = create::build(input, &org, &ids, now);
            let meta = response::Meta {
                request_id: "req_7X9zKp2jDw",
                timestamp: now,
            };
            response::ok_with_data(meta, &profile)
        })
    });
    group.bench_function("fingerprints", |b| {
        b.iter(|| {
            let raw = RawPrint::of(&Method::POST, "/v3/profiles", black_box(&body));
            let canonical =
                idempotency::canonical(&Method::POST, "/v3/profiles", Some(&doc), &body);
            (raw, canonical)
        })
    });
    group.bench_function("journal-redaction", |b| {
        b.iter(|| journal::redact_body(black_box(&body), &doc))
    });
    group.bench_function("context", |b| {
        let app = App::new(Config::default()).unwrap();
        b.iter(|| Context::new(&app))
    });
    group.finish();
}

/// Whole requests through the pipeline. The stores are emptied every `BATCH` requests,
/// outside the timed part, so that memory stays flat however many iterations run.
fn handle(c: &mut Criterion) {
    const BATCH: u64 = 20_000;
    // As the binary does.
    sent_mock::memory::tune();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let body = seed_body(false);
    let mut group = c.benchmark_group("handle");

    let mut run = |name: &str, make: &dyn Fn(u64) -> Request, config: Config| {
        let app = App::new(config).unwrap();
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                let mut done = 0;
                while done < iterations {
                    app.reset();
                    let batch = BATCH.min(iterations - done);
                    let requests: Vec<Request> = (done..done + batch).map(make).collect();
                    let started = Instant::now();
                    runtime.block_on(async {
                        for req in &requests {
                            black_box(pipeline::handle(&app, req).await);
                        }
                    });
                    spent += started.elapsed();
                    done += batch;
                }
                spent
            })
        });
    };

    run(
        "create",
        &|_| request(Method::POST, "/v3/profiles", &body, None),
        Config::default(),
    );
    run(
        "create+fresh-key",
        &|i| {
            request(
                Method::POST,
                "/v3/profiles",
                &body,
                Some(&format!("bench-{i}")),
            )
        },
        Config::default(),
    );
    run(
        "replay",
        &|_| request(Method::POST, "/v3/profiles", &body, Some("bench-replay")),
        Config::default(),
    );
    run(
        "get",
        &|_| request(Method::GET, SEED_PROFILE, b"", None),
        Config::default(),
    );
    group.finish();
}

criterion_group!(benches, stages, handle);
criterion_main!(benches);
