//! Idempotency-Key (CONTRACT §6): a 24-hour replay of final outcomes, exactly once under
//! concurrent retries, in a bounded store.
//!
//! A request with a key goes through a two-step protocol. [`IdempotencyStore::begin`] answers
//! with a named outcome: proceed (the caller executes and later hands the answer to
//! [`InFlight::complete`]), replay a stored answer, wait for the request holding the key, or
//! refuse because the store is full. Check-then-insert goes through DashMap's `entry()`, so two
//! requests with one new key never both proceed; no guard is held across an `.await`. If the
//! proceeding request is dropped before it completes (its client went away), the key is
//! released and the waiters wake and try again: nothing stays in flight forever.
//!
//! Expiry uses the mock clock. Entries are queued in completion order, which is expiry order
//! because the time to live is one value, so a sweep pops only what has expired.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Duration;
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use http::{HeaderMap, StatusCode};
use tokio::sync::watch;
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::json::{Json, Number};
use crate::request::Request;
use crate::response::Reply;

pub const HEADER: &str = "idempotency-key";
const MAX_LEN: usize = 255;

/// A key that passed the format check: 1–255 characters of `[A-Za-z0-9_-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The request's key, if it sent one; a malformed key is the 400 `VALIDATION_007`.
pub fn key_of(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let invalid = |problem| Err(ApiError::InvalidIdempotencyKey { problem });
    match req.header_count(HEADER) {
        0 => return Ok(None),
        1 => {}
        _ => return invalid("Idempotency-Key must be sent once"),
    }
    let Some(Ok(value)) = req.header(HEADER) else {
        return invalid(
            "Idempotency-Key must be 1-255 characters: letters, digits, hyphens or underscores",
        );
    };
    if value.is_empty() {
        return invalid("Idempotency-Key must not be empty");
    }
    if value.len() > MAX_LEN {
        return invalid("Idempotency-Key must be at most 255 characters");
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return invalid(
            "Idempotency-Key must contain only letters, digits, hyphens and underscores",
        );
    }
    Ok(Some(IdempotencyKey(value.to_owned())))
}

/// Keys are scoped per organization: two organizations may use the same key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope {
    pub organization: Uuid,
    pub key: IdempotencyKey,
}

/// What identifies "the same request": method, route path and the body's canonical form (key
/// order and whitespace do not matter). Headers are not part of it: retries change some.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint(u64, u64);

impl Fingerprint {
    /// `body` is the parsed document when the body parsed, else the raw bytes are used.
    pub fn of(
        method: &http::Method,
        path: &str,
        body: Option<&Json<'_>>,
        raw: &[u8],
    ) -> Fingerprint {
        let mut halves = [DefaultHasher::new(), DefaultHasher::new()];
        for (i, h) in halves.iter_mut().enumerate() {
            i.hash(h);
            method.as_str().hash(h);
            path.to_ascii_lowercase().trim_end_matches('/').hash(h);
            match body {
                Some(doc) => canonical_hash(doc).hash(h),
                None => raw.hash(h),
            }
        }
        Fingerprint(halves[0].finish(), halves[1].finish())
    }
}

/// A hash of a document that ignores the order of object members: each member hashes on its
/// own and the members' hashes are added, which commutes.
fn canonical_hash(doc: &Json<'_>) -> u64 {
    let mut h = DefaultHasher::new();
    match doc {
        Json::Null => 0u8.hash(&mut h),
        Json::Bool(b) => (1u8, b).hash(&mut h),
        Json::Number(n) => {
            2u8.hash(&mut h);
            match n {
                Number::Unsigned(v) => (0u8, v).hash(&mut h),
                Number::Signed(v) => (1u8, v).hash(&mut h),
                Number::Float(v) => (2u8, v.to_bits()).hash(&mut h),
            }
        }
        Json::String(s) => (3u8, s.as_ref()).hash(&mut h),
        Json::Array(items) => {
            (4u8, items.len()).hash(&mut h);
            for item in items {
                canonical_hash(item).hash(&mut h);
            }
        }
        Json::Object(members) => {
            let mut sum = 0u64;
            for (key, value) in members {
                let mut member = DefaultHasher::new();
                (key.as_ref(), canonical_hash(value)).hash(&mut member);
                sum = sum.wrapping_add(member.finish());
            }
            (5u8, members.len(), sum).hash(&mut h);
        }
    }
    h.finish()
}

/// `--idempotency-mismatch`: what a key reused for a different request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MismatchMode {
    /// The stored answer, as Sent describes it.
    Replay,
    /// 422 `VALIDATION_001`, for suites that want to catch clients reusing keys.
    Reject,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub ttl: std::time::Duration,
    pub wait: std::time::Duration,
    pub capacity: usize,
    pub mismatch: MismatchMode,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            ttl: std::time::Duration::from_secs(24 * 3600),
            wait: std::time::Duration::from_secs(5),
            capacity: 100_000,
            mismatch: MismatchMode::Replay,
        }
    }
}

/// A final answer as it was first sent, replayed byte for byte.
#[derive(Debug)]
pub struct Stored {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
    pub request_id: String,
}

#[derive(Debug)]
enum Slot {
    Running {
        fingerprint: Fingerprint,
        token: u64,
        /// Dropped when the request completes or is abandoned; waiters see the channel close.
        done: watch::Receiver<()>,
    },
    Done {
        fingerprint: Fingerprint,
        expires_at: Timestamp,
        stored: Arc<Stored>,
    },
}

/// The outcome of [`IdempotencyStore::begin`].
#[derive(Debug)]
pub enum Begin {
    /// First use of the key: execute, then hand the answer to `complete`.
    Proceed(InFlight),
    /// The key holds a final answer for this very request.
    Replay(Arc<Stored>),
    /// The key holds a final answer for a different request.
    Mismatch(Arc<Stored>),
    /// A request with the key is running; wait for the channel to close, then begin again.
    Wait(watch::Receiver<()>),
    /// The store is full of unexpired keys: 503, nothing executed.
    Full,
}

#[derive(Debug)]
pub struct IdempotencyStore {
    slots: DashMap<Scope, Slot>,
    /// Slots in use, kept beside the map so that the capacity check is one atomic.
    used: AtomicUsize,
    /// Completed keys in completion order, for the sweep.
    expiries: Mutex<VecDeque<(Timestamp, Scope)>>,
    tokens: AtomicU64,
    settings: Settings,
}

impl IdempotencyStore {
    pub fn new(settings: Settings) -> IdempotencyStore {
        IdempotencyStore {
            slots: DashMap::new(),
            used: AtomicUsize::new(0),
            expiries: Mutex::new(VecDeque::new()),
            tokens: AtomicU64::new(0),
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn len(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn begin(
        self: &Arc<Self>,
        scope: Scope,
        fingerprint: Fingerprint,
        now: Timestamp,
    ) -> Begin {
        if let Some(outcome) = self.existing(&scope, fingerprint, now) {
            return outcome;
        }
        if !self.reserve(now) {
            return Begin::Full;
        }
        match self.slots.entry(scope.clone()) {
            Entry::Occupied(mut occupied) => {
                // Another request took the key between the look-up and here, or the slot
                // expired: give back the reservation and decide on what is there now.
                self.used.fetch_sub(1, Ordering::Relaxed);
                match occupied.get() {
                    Slot::Done { expires_at, .. } if *expires_at <= now => {
                        let (flight, slot) = self.start(scope, fingerprint);
                        occupied.insert(slot);
                        Begin::Proceed(flight)
                    }
                    slot => self.decide(slot, fingerprint),
                }
            }
            Entry::Vacant(vacant) => {
                let (flight, slot) = self.start(scope, fingerprint);
                vacant.insert(slot);
                Begin::Proceed(flight)
            }
        }
    }

    /// The outcome for a key already in the map, if it is there and not expired.
    fn existing(&self, scope: &Scope, fingerprint: Fingerprint, now: Timestamp) -> Option<Begin> {
        let slot = self.slots.get(scope)?;
        match slot.value() {
            Slot::Done { expires_at, .. } if *expires_at <= now => None,
            other => Some(self.decide(other, fingerprint)),
        }
    }

    fn decide(&self, slot: &Slot, fingerprint: Fingerprint) -> Begin {
        match slot {
            Slot::Running { done, .. } => Begin::Wait(done.clone()),
            Slot::Done {
                fingerprint: stored_print,
                stored,
                ..
            } => {
                if *stored_print == fingerprint {
                    Begin::Replay(Arc::clone(stored))
                } else {
                    Begin::Mismatch(Arc::clone(stored))
                }
            }
        }
    }

    fn start(self: &Arc<Self>, scope: Scope, fingerprint: Fingerprint) -> (InFlight, Slot) {
        let token = self.tokens.fetch_add(1, Ordering::Relaxed);
        let (sender, done) = watch::channel(());
        let flight = InFlight {
            store: Arc::clone(self),
            scope: Some(scope),
            token,
            _done: sender,
        };
        (
            flight,
            Slot::Running {
                fingerprint,
                token,
                done,
            },
        )
    }

    /// Takes one unit of capacity, sweeping expired keys first when the store looks full.
    fn reserve(&self, now: Timestamp) -> bool {
        let capacity = self.settings.capacity;
        if self.used.fetch_add(1, Ordering::Relaxed) < capacity {
            return true;
        }
        self.used.fetch_sub(1, Ordering::Relaxed);
        self.sweep(now);
        self.used.fetch_add(1, Ordering::Relaxed) < capacity || {
            self.used.fetch_sub(1, Ordering::Relaxed);
            false
        }
    }

    /// Drops every key whose time is over; returns how many went.
    pub fn sweep(&self, now: Timestamp) -> usize {
        let mut removed = 0;
        loop {
            let next = {
                let mut queue = self.expiries.lock().unwrap_or_else(|e| e.into_inner());
                match queue.front() {
                    Some((expires_at, _)) if *expires_at <= now => queue.pop_front(),
                    _ => None,
                }
            };
            let Some((expires_at, scope)) = next else {
                break;
            };
            // The key may have been taken again since; only its own expired answer goes.
            let gone = self.slots.remove_if(
                &scope,
                |_, slot| matches!(slot, Slot::Done { expires_at: e, .. } if *e == expires_at),
            );
            if gone.is_some() {
                self.used.fetch_sub(1, Ordering::Relaxed);
                removed += 1;
            }
        }
        if removed > 0 {
            self.shrink();
        }
        removed
    }

    /// Gives memory back once the store is far smaller than its tables.
    fn shrink(&self) {
        let used = self.len();
        if self.slots.capacity() > 4 * (used + 64) {
            self.slots.shrink_to_fit();
        }
        let mut queue = self.expiries.lock().unwrap_or_else(|e| e.into_inner());
        if queue.capacity() > 4 * (queue.len() + 64) {
            queue.shrink_to_fit();
        }
    }

    /// Empties the store (the control API's reset).
    pub fn clear(&self) {
        self.slots
            .retain(|_, slot| matches!(slot, Slot::Running { .. }));
        self.used.store(self.slots.len(), Ordering::Relaxed);
        self.expiries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.shrink();
    }

    fn finish(&self, scope: Scope, token: u64, outcome: Option<(Arc<Stored>, Timestamp)>) {
        let Entry::Occupied(mut occupied) = self.slots.entry(scope.clone()) else {
            return;
        };
        let fingerprint = match occupied.get() {
            Slot::Running {
                token: t,
                fingerprint,
                ..
            } if *t == token => *fingerprint,
            // Not ours any more (a reset cleared it and another request took the key).
            _ => return,
        };
        match outcome {
            Some((stored, now)) => {
                let expires_at = Timestamp(now.0 + ttl_of(&self.settings));
                occupied.insert(Slot::Done {
                    fingerprint,
                    expires_at,
                    stored,
                });
                drop(occupied);
                self.expiries
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back((expires_at, scope));
            }
            None => {
                occupied.remove();
                self.used.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

fn ttl_of(settings: &Settings) -> Duration {
    Duration::from_std(settings.ttl).unwrap_or(Duration::MAX)
}

/// Whether an answer is final, so that a retry must get it again (CONTRACT §6): 2xx, 404, 422.
/// Everything else (400, 401, 403, 409, 429, 5xx) lets a retry execute again.
pub fn is_final(status: StatusCode) -> bool {
    status.is_success()
        || status == StatusCode::NOT_FOUND
        || status == StatusCode::UNPROCESSABLE_ENTITY
}

/// The right to execute under a key. Complete it with the answer; dropping it releases the key.
#[derive(Debug)]
pub struct InFlight {
    store: Arc<IdempotencyStore>,
    scope: Option<Scope>,
    token: u64,
    _done: watch::Sender<()>,
}

impl InFlight {
    /// Stores `reply` for replay if it is final, else releases the key; `store` overrides the
    /// rule either way (a scenario's step may ask for its injected failure to be stored).
    pub fn complete(
        mut self,
        reply: &Reply,
        request_id: &str,
        now: Timestamp,
        store: Option<bool>,
    ) {
        let Some(scope) = self.scope.take() else {
            return;
        };
        let outcome = store.unwrap_or_else(|| is_final(reply.status)).then(|| {
            let stored = Stored {
                status: reply.status,
                headers: reply.headers.clone(),
                body: reply.body.clone(),
                request_id: request_id.to_owned(),
            };
            (Arc::new(stored), now)
        });
        self.store.finish(scope, self.token, outcome);
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            self.store.finish(scope, self.token, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn scope(key: &str) -> Scope {
        Scope {
            organization: Uuid::nil(),
            key: IdempotencyKey(key.to_owned()),
        }
    }

    fn reply(status: u16) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Some(Bytes::from_static(b"{}")),
            close: false,
            fault: None,
        }
    }

    fn store(capacity: usize) -> Arc<IdempotencyStore> {
        Arc::new(IdempotencyStore::new(Settings {
            capacity,
            ..Settings::default()
        }))
    }

    const PRINT: Fingerprint = Fingerprint(1, 2);

    #[test]
    fn an_abandoned_request_releases_its_key() {
        let store = store(10);
        let now = Clock::default().now();
        let Begin::Proceed(flight) = store.begin(scope("k"), PRINT, now) else {
            panic!()
        };
        assert!(matches!(
            store.begin(scope("k"), PRINT, now),
            Begin::Wait(_)
        ));

        drop(flight);

        assert!(matches!(
            store.begin(scope("k"), PRINT, now),
            Begin::Proceed(_)
        ));
        assert_eq!(store.len(), 0, "the second flight was dropped too");
    }

    #[tokio::test]
    async fn waiters_wake_when_the_running_request_completes() {
        let store = store(10);
        let now = Clock::default().now();
        let Begin::Proceed(flight) = store.begin(scope("k"), PRINT, now) else {
            panic!()
        };
        let Begin::Wait(mut running) = store.begin(scope("k"), PRINT, now) else {
            panic!()
        };

        flight.complete(&reply(200), "req_0000000000", now, None);

        assert!(running.changed().await.is_err(), "the channel closed");
        assert!(matches!(
            store.begin(scope("k"), PRINT, now),
            Begin::Replay(_)
        ));
        assert!(matches!(
            store.begin(scope("k"), Fingerprint(3, 4), now),
            Begin::Mismatch(_)
        ));
    }

    #[test]
    fn only_final_answers_are_stored_unless_a_step_says_otherwise() {
        let store = store(10);
        let now = Clock::default().now();
        for (status, stored) in [
            (200, true),
            (204, true),
            (404, true),
            (422, true),
            (400, false),
            (401, false),
            (403, false),
            (409, false),
            (429, false),
            (500, false),
            (503, false),
        ] {
            let key = format!("k{status}");
            let Begin::Proceed(flight) = store.begin(scope(&key), PRINT, now) else {
                panic!()
            };
            flight.complete(&reply(status), "req_0000000000", now, None);
            let replayed = matches!(store.begin(scope(&key), PRINT, now), Begin::Replay(_));
            assert_eq!(replayed, stored, "{status}");
        }
        let Begin::Proceed(flight) = store.begin(scope("forced"), PRINT, now) else {
            panic!()
        };
        flight.complete(&reply(500), "req_0000000000", now, Some(true));
        assert!(matches!(
            store.begin(scope("forced"), PRINT, now),
            Begin::Replay(_)
        ));
    }

    #[test]
    fn the_sweep_drops_expired_answers_and_frees_capacity() {
        let store = store(2);
        let clock = Clock::default();
        for key in ["a", "b"] {
            let Begin::Proceed(flight) = store.begin(scope(key), PRINT, clock.now()) else {
                panic!()
            };
            flight.complete(&reply(200), "req_0000000000", clock.now(), None);
        }
        assert!(matches!(
            store.begin(scope("c"), PRINT, clock.now()),
            Begin::Full
        ));

        let later = clock.advance(chrono::Duration::hours(25));

        assert_eq!(store.sweep(later), 2);
        assert!(store.is_empty());
        assert!(matches!(
            store.begin(scope("c"), PRINT, later),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn keys_are_checked_for_length_and_alphabet() {
        let request = |value: &[u8]| {
            let mut headers = HeaderMap::new();
            headers.insert(HEADER, http::HeaderValue::from_bytes(value).unwrap());
            Request::new(http::Method::POST, "/v3/profiles", headers, Bytes::new())
        };
        assert!(key_of(&request(b"abc-DEF_123")).unwrap().is_some());
        assert!(key_of(&request(&[b'a'; 255])).unwrap().is_some());
        for bad in [&b""[..], &[b'a'; 256], b"a b", b"a.b", "é".as_bytes()] {
            assert!(key_of(&request(bad)).is_err(), "{bad:?}");
        }
    }
}
