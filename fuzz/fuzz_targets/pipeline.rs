//! Bytes in, response out: the whole request pipeline (routing, authentication, idempotency,
//! body parsing, scenarios, validation, every endpoint) under arbitrary input.
//!
//! The first bytes choose the method, the path, a few headers (API key, Idempotency-Key,
//! x-profile-id, x-mock-scenario, content type); the rest is the body. Every answer must be a
//! well-formed envelope (or a 204), carry the common headers, and never echo the sentinel
//! card number when the body carries it as a card number.
#![no_main]

use std::cell::RefCell;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use sent_mock::request::Request;
use sent_mock::state::App;
use sent_mock::json::{self, Json};
use sent_mock::{pipeline, Config};

const PATHS: [&str; 8] = [
    "/v3/profiles",
    "/v3/profiles/770e8400-e29b-41d4-a716-446655440001",
    "/v3/profiles/770e8400-e29b-41d4-a716-446655440001/complete",
    "/v3/profiles/not-a-uuid",
    "/_mock/scenarios",
    "/_mock/clock",
    "/_mock/organizations",
    "/nowhere",
];
const METHODS: [Method; 5] = [Method::POST, Method::GET, Method::PATCH, Method::DELETE, Method::PUT];
const KEYS: [&str; 4] = ["sk_test_acme_admin", "sk_test_acme_developer", "sk_test_globex_admin", "nope"];
const SENTINEL: &[u8] = b"4000056655665556";

/// How many inputs one state serves before it is replaced: the control API lets inputs add
/// scenarios and organizations, and a state that only grows would slow every later input.
const INPUTS_PER_STATE: u32 = 5_000;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Whether the body puts the sentinel somewhere it is no secret (a name, a scenario's
/// answer, a number), decoded as the server decodes it.
fn taints(body: &[u8]) -> bool {
    fn walk(value: &Json<'_>, secret: bool) -> bool {
        match value {
            Json::String(text) => !secret && contains(text.as_bytes(), SENTINEL),
            Json::Number(n) => !secret && contains(format!("{n:?}").as_bytes(), SENTINEL),
            Json::Array(items) => items.iter().any(|item| walk(item, secret)),
            Json::Object(members) => members.iter().any(|(key, value)| {
                let is_secret = secret
                    || matches!(key.as_ref(), "card_number" | "cvc" | "expiry" | "access_token" | "payment_details");
                contains(key.as_bytes(), SENTINEL) || walk(value, is_secret)
            }),
            Json::Null | Json::Bool(_) => false,
        }
    }
    match json::parse(body) {
        Ok(doc) => walk(&doc, false),
        // A body that does not parse is stored nowhere; one that merely holds the bytes is
        // answered with a position, never with its text.
        Err(_) => false,
    }
}

struct World {
    runtime: tokio::runtime::Runtime,
    app: App,
    served: u32,
    /// An input of this state put the sentinel where it is no secret (a profile's name): a
    /// later answer may show it legitimately.
    tainted: bool,
}

impl World {
    fn new() -> World {
        World {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap(),
            app: App::new(Config::default()).unwrap(),
            served: 0,
            tainted: false,
        }
    }
}

thread_local! {
    static WORLD: RefCell<World> = RefCell::new(World::new());
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let (head, body) = data.split_at(3);
    let method = METHODS[head[0] as usize % METHODS.len()].clone();
    let path = PATHS[(head[0] as usize / METHODS.len()) % PATHS.len()];
    let flags = head[1];
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static(KEYS[head[2] as usize % KEYS.len()]));
    if flags & 1 != 0 {
        headers.insert("content-type", HeaderValue::from_static("application/json"));
    }
    if flags & 2 != 0 {
        headers.insert("idempotency-key", HeaderValue::from_static("fuzz-key"));
    }
    if flags & 4 != 0 {
        headers.insert(
            "x-profile-id",
            HeaderValue::from_static("770e8400-e29b-41d4-a716-446655440001"),
        );
    }
    if flags & 8 != 0 {
        // Scenarios without delays or faults, so that every input answers at once.
        let name = ["internal-error", "rate-limited", "unavailable", "validation-error"][(flags >> 4) as usize % 4];
        headers.insert("x-mock-scenario", HeaderValue::from_static(name));
    }
    let request = Request::new(method, path, headers, Bytes::copy_from_slice(body));

    let (answer, tainted) = WORLD.with_borrow_mut(|world| {
        world.served += 1;
        if world.served > INPUTS_PER_STATE {
            *world = World::new();
        }
        world.tainted |= taints(body);
        let answer = world.runtime.block_on(pipeline::handle(&world.app, &request));
        (answer, world.tainted)
    });

    let response = answer.response;
    assert!(response.headers().contains_key("x-request-id"));
    assert_eq!(response.headers()["x-api-version"], "v3");
    let status = response.status().as_u16();
    assert!((200..600).contains(&status));
    let bytes = response.body();
    if status != 204 {
        let envelope: serde_json::Value =
            serde_json::from_slice(bytes).expect("every answer is JSON");
        assert!(envelope.get("success").is_some() && envelope.get("meta").is_some());
    }
    // A card number may be echoed only where an input put it outside a card field (in a
    // profile's name, say): there it is not a secret.
    if !tainted {
        assert!(
            !contains(bytes, SENTINEL),
            "the sentinel card number was echoed"
        );
    }
});
