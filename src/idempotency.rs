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
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Duration;
use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use http::{HeaderName, HeaderValue, StatusCode};
use tokio::sync::watch;
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::hash::Fx;
use crate::journal::Redaction;
use crate::json::{Json, Number};
use crate::memory;
use crate::request::Request;
use crate::response::Reply;

pub const HEADER: http::HeaderName = http::HeaderName::from_static("idempotency-key");
const MAX_LEN: usize = 255;

/// A key that passed the format check: 1–255 characters of `[A-Za-z0-9_-]`. Shared, not
/// copied, by the map, the request in flight and the expiry queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(Arc<str>);

impl IdempotencyKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The request's key, if it sent one; a malformed key is the 400 `VALIDATION_007`.
pub fn key_of(req: &Request) -> Result<Option<IdempotencyKey>, ApiError> {
    let invalid = |problem| Err(ApiError::InvalidIdempotencyKey { problem });
    match req.header_count(&HEADER) {
        0 => return Ok(None),
        1 => {}
        _ => return invalid("Idempotency-Key must be sent once"),
    }
    let Some(Ok(value)) = req.header(&HEADER) else {
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
    Ok(Some(IdempotencyKey(Arc::from(value))))
}

/// Keys are scoped per organization: two organizations may use the same key.
///
/// A scope carries its hash, computed once by [`IdempotencyStore::scope`] with the store's
/// keyed SipHash (clients choose the keys, so the hash must not be one they can aim at): the
/// map's look-ups, and the rehash of a shard as the map grows, read it instead of hashing
/// the key again, and a different hash settles most comparisons before the key's bytes.
#[derive(Clone, Debug)]
pub struct Scope {
    hash: u64,
    pub organization: Uuid,
    pub key: IdempotencyKey,
}

impl PartialEq for Scope {
    fn eq(&self, other: &Scope) -> bool {
        self.hash == other.hash && self.organization == other.organization && self.key == other.key
    }
}

impl Eq for Scope {}

impl Hash for Scope {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// The map's hasher: a [`Scope`]'s hash is already computed, so it passes through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        // Only `Scope` is hashed with it, and it writes one u64; this keeps any other use sound.
        let mut fx = Fx::default();
        fx.write_u64(self.0);
        fx.write(bytes);
        self.0 = fx.finish();
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What identifies "the same request": method, route path and body, never headers (retries
/// change some). Two fingerprints serve: the raw one, over the body's bytes, costs one pass
/// and settles the usual retry (the same bytes again) without parsing anything; the
/// canonical one, over the parsed document, ignores key order and whitespace and settles the
/// rest. Either is 64 bits: two different requests share one with a chance of 2^-64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawPrint(u64);

impl RawPrint {
    pub fn of(method: &http::Method, path: &str, body: &[u8]) -> RawPrint {
        let mut h = Fx::default();
        request_line(&mut h, method, path);
        h.write(body);
        RawPrint(h.finish())
    }
}

/// The canonical fingerprint; `body` is the parsed document, or `None` when the body did not
/// parse (then its bytes stand for it).
pub fn canonical(method: &http::Method, path: &str, body: Option<&Json<'_>>, raw: &[u8]) -> u64 {
    let mut h = Fx::default();
    request_line(&mut h, method, path);
    match body {
        Some(doc) => h.write_u64(canonical_hash(doc)),
        None => {
            h.write_u8(0xff);
            h.write(raw);
        }
    }
    h.finish()
}

fn request_line(h: &mut Fx, method: &http::Method, path: &str) {
    h.write(method.as_str().as_bytes());
    h.write_u8(b' ');
    // The router ignores case and one trailing slash, so the fingerprint does too.
    for b in path.trim_end_matches('/').bytes() {
        h.write_u8(b.to_ascii_lowercase());
    }
    h.write_u8(b'\n');
}

/// A hash of a document that ignores the order of object members: each member hashes on its
/// own and the members' hashes are added, which commutes. Everything else (scalars, array
/// items in order) feeds the hasher of the member it is in, so that only members pay for a
/// hasher of their own.
fn canonical_hash(doc: &Json<'_>) -> u64 {
    let mut h = Fx::default();
    canonical_into(&mut h, doc);
    h.finish()
}

fn canonical_into(h: &mut Fx, doc: &Json<'_>) {
    match doc {
        Json::Null => h.write_u8(0),
        Json::Bool(b) => h.write_u8(1 + u8::from(*b)),
        Json::Number(Number::Unsigned(v)) => {
            h.write_u8(3);
            h.write_u64(*v);
        }
        Json::Number(Number::Signed(v)) => {
            h.write_u8(4);
            h.write_u64(*v as u64);
        }
        Json::Number(Number::Float(v)) => {
            h.write_u8(5);
            h.write_u64(v.to_bits());
        }
        Json::String(text) => {
            h.write_u8(6);
            h.write(text.as_bytes());
        }
        Json::Array(items) => {
            h.write_u8(7);
            h.write_u64(items.len() as u64);
            for item in items {
                canonical_into(h, item);
            }
        }
        Json::Object(members) => {
            let mut sum = 0u64;
            for (key, value) in members {
                let mut member = Fx::default();
                member.write(key.as_bytes());
                canonical_into(&mut member, value);
                sum = sum.wrapping_add(member.finish());
            }
            h.write_u8(8);
            h.write_u64(members.len() as u64);
            h.write_u64(sum);
        }
    }
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
    /// The answer's own headers (a scenario's, `x-sandbox`), most often none: a slice, where
    /// an empty `HeaderMap` would take 96 bytes of every one of 100 000 records.
    pub headers: Box<[(HeaderName, HeaderValue)]>,
    pub body: Option<Bytes>,
    /// The first request's id, as the `x-original-request-id` a replay sends.
    pub request_id: http::HeaderValue,
    /// The request's canonical fingerprint, for a retry whose bytes differ; `None` under
    /// `--idempotency-mismatch replay`, which answers such a retry without comparing.
    pub canonical: Option<u64>,
    /// Where the request body's secrets are, so that a retry with the same bytes, answered
    /// without parsing its body, is journaled redacted all the same.
    pub redaction: Option<Redaction>,
}

#[derive(Debug)]
enum Slot {
    Running {
        raw: RawPrint,
        token: u64,
        /// Made by the first request that waits for this one: most keys never have one, and
        /// a channel per request was an allocation and a wake-up call each. Dropped with the
        /// slot when the request completes or is abandoned, and waiters see the channel close.
        waiters: Option<watch::Sender<()>>,
    },
    Done {
        raw: RawPrint,
        expires_at: Timestamp,
        stored: Arc<Stored>,
    },
}

/// The outcome of [`IdempotencyStore::begin`].
#[derive(Debug)]
pub enum Begin {
    /// First use of the key: execute, then hand the answer to `complete`.
    Proceed(InFlight),
    /// The key holds a final answer for a request with these very bytes.
    Replay(Arc<Stored>),
    /// The key holds a final answer for a request with other bytes: the same request if
    /// the canonical fingerprints agree, else a different one.
    Compare(Arc<Stored>),
    /// A request with the key is running; wait for the channel to close, then begin again.
    Wait(watch::Receiver<()>),
    /// The store is full of unexpired keys: 503, nothing executed.
    Full,
}

#[derive(Debug)]
pub struct IdempotencyStore {
    slots: DashMap<Scope, Slot, BuildHasherDefault<PassThrough>>,
    /// Keys the scopes' SipHash, per process.
    hasher: RandomState,
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
            slots: DashMap::with_hasher_and_shard_amount(
                BuildHasherDefault::default(),
                crate::profiles::store::SHARDS,
            ),
            hasher: RandomState::new(),
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

    /// Keys whose request is still running.
    pub fn running(&self) -> usize {
        self.slots
            .iter()
            .filter(|slot| matches!(slot.value(), Slot::Running { .. }))
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The scope of `key` in `organization`, its hash computed once for every look-up.
    pub fn scope(&self, organization: Uuid, key: IdempotencyKey) -> Scope {
        let hash = self.hasher.hash_one((organization, &*key.0));
        Scope {
            hash,
            organization,
            key,
        }
    }

    /// Asks the caches for the place where `scope` is, or would go: in a store of many
    /// thousand keys it is far from anything the request touched, and `begin` spent most of
    /// its time waiting for it. Called while other work is left before `begin` (the body's
    /// fingerprint), so that the memory arrives meanwhile.
    pub fn prefetch(&self, scope: &Scope) {
        fn size_of_pointee<T>(_: *const T) -> usize {
            std::mem::size_of::<T>()
        }
        let shards = self.slots.shards();
        let Some(table) = shards[self.slots.determine_shard(scope.hash as usize)].try_read() else {
            return;
        };
        // hashbrown's layout: one control byte per slot from `data_end` up, the slots
        // themselves from `data_end` down; the probe starts at the hash's low bits.
        let at = scope.hash as usize & (table.buckets() - 1);
        let end = table.data_end().as_ptr();
        memory::prefetch(end.cast::<u8>().wrapping_add(at), 16);
        let slot = end.wrapping_sub(at + 1);
        memory::prefetch(slot.cast(), size_of_pointee(slot));
    }

    /// One look-up under the shard's lock decides, and takes the key if it is free.
    pub fn begin(self: &Arc<Self>, scope: &Scope, raw: RawPrint, now: Timestamp) -> Begin {
        let mut swept = false;
        loop {
            match self.slots.entry(scope.clone()) {
                Entry::Occupied(mut occupied) => {
                    // An expired answer the sweep has not reached: the key is free again, and
                    // its place in the store is reused.
                    if matches!(occupied.get(), Slot::Done { expires_at, .. } if *expires_at <= now)
                    {
                        let (flight, slot) = self.start(scope.clone(), raw);
                        occupied.insert(slot);
                        return Begin::Proceed(flight);
                    }
                    return self.decide(occupied.get_mut(), raw);
                }
                Entry::Vacant(vacant) => {
                    if self.used.fetch_add(1, Ordering::Relaxed) < self.settings.capacity {
                        let (flight, slot) = self.start(scope.clone(), raw);
                        vacant.insert(slot);
                        return Begin::Proceed(flight);
                    }
                    self.used.fetch_sub(1, Ordering::Relaxed);
                    // Full: sweep expired keys, with the shard's lock released, and look again.
                    drop(vacant);
                    if swept {
                        return Begin::Full;
                    }
                    self.sweep(now);
                    swept = true;
                }
            }
        }
    }

    fn decide(&self, slot: &mut Slot, raw: RawPrint) -> Begin {
        match slot {
            Slot::Running { waiters, .. } => {
                let sender = waiters.get_or_insert_with(|| watch::channel(()).0);
                Begin::Wait(sender.subscribe())
            }
            Slot::Done {
                raw: stored_raw,
                stored,
                ..
            } => {
                if *stored_raw == raw {
                    Begin::Replay(Arc::clone(stored))
                } else {
                    Begin::Compare(Arc::clone(stored))
                }
            }
        }
    }

    fn start(self: &Arc<Self>, scope: Scope, raw: RawPrint) -> (InFlight, Slot) {
        let token = self.tokens.fetch_add(1, Ordering::Relaxed);
        let flight = InFlight {
            store: Arc::clone(self),
            scope: Some(scope),
            token,
        };
        let slot = Slot::Running {
            raw,
            token,
            waiters: None,
        };
        (flight, slot)
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
        // Not ours any more, if a reset cleared the key and another request took it.
        let ours = |slot: &Slot| matches!(slot, Slot::Running { token: t, .. } if *t == token);
        let Some((stored, now)) = outcome else {
            if self.slots.remove_if(&scope, |_, slot| ours(slot)).is_some() {
                self.used.fetch_sub(1, Ordering::Relaxed);
            }
            return;
        };
        let expires_at = Timestamp(now.0 + ttl_of(&self.settings));
        {
            let Some(mut slot) = self.slots.get_mut(&scope) else {
                return;
            };
            let raw = match &*slot {
                Slot::Running { raw, .. } if ours(&slot) => *raw,
                _ => return,
            };
            *slot = Slot::Done {
                raw,
                expires_at,
                stored,
            };
        }
        self.expiries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back((expires_at, scope));
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
}

impl InFlight {
    /// Stores the answer for replay if it is final, else releases the key; `store` overrides
    /// the rule either way (a scenario's step may ask for its injected failure to be stored).
    pub fn complete(mut self, done: Completion<'_>) {
        let Some(scope) = self.scope.take() else {
            return;
        };
        let outcome = done
            .store
            .unwrap_or_else(|| is_final(done.reply.status))
            .then(|| {
                let stored = Stored {
                    status: done.reply.status,
                    headers: done.reply.headers.as_slice().into(),
                    body: done.reply.body.clone(),
                    request_id: http::HeaderValue::from_str(done.request_id)
                        .unwrap_or_else(|_| http::HeaderValue::from_static("")),
                    canonical: done.canonical,
                    redaction: done.redaction,
                };
                (Arc::new(stored), done.now)
            });
        self.store.finish(scope, self.token, outcome);
    }
}

/// What a finished request leaves for its retries.
pub struct Completion<'a> {
    pub reply: &'a Reply,
    pub request_id: &'a str,
    pub now: Timestamp,
    /// A scenario's override of the storing rule; `None` stores final answers.
    pub store: Option<bool>,
    pub canonical: Option<u64>,
    pub redaction: Option<Redaction>,
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
    use http::HeaderMap;

    fn scope(store: &IdempotencyStore, key: &str) -> Scope {
        store.scope(Uuid::nil(), IdempotencyKey(Arc::from(key)))
    }

    fn reply(status: u16) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Vec::new(),
            replay_of: None,
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

    const PRINT: RawPrint = RawPrint(12);

    fn done(reply: &Reply, now: Timestamp, store: Option<bool>) -> Completion<'_> {
        Completion {
            reply,
            request_id: "req_0000000000",
            now,
            store,
            canonical: Some(7),
            redaction: None,
        }
    }

    #[test]
    fn an_abandoned_request_releases_its_key() {
        let store = store(10);
        let now = Clock::default().now();
        let Begin::Proceed(flight) = store.begin(&scope(&store, "k"), PRINT, now) else {
            panic!()
        };
        assert!(matches!(
            store.begin(&scope(&store, "k"), PRINT, now),
            Begin::Wait(_)
        ));

        drop(flight);

        assert!(matches!(
            store.begin(&scope(&store, "k"), PRINT, now),
            Begin::Proceed(_)
        ));
        assert_eq!(store.len(), 0, "the second flight was dropped too");
    }

    #[tokio::test]
    async fn waiters_wake_when_the_running_request_completes() {
        let store = store(10);
        let now = Clock::default().now();
        let Begin::Proceed(flight) = store.begin(&scope(&store, "k"), PRINT, now) else {
            panic!()
        };
        let Begin::Wait(mut running) = store.begin(&scope(&store, "k"), PRINT, now) else {
            panic!()
        };

        flight.complete(done(&reply(200), now, None));

        assert!(running.changed().await.is_err(), "the channel closed");
        assert!(matches!(
            store.begin(&scope(&store, "k"), PRINT, now),
            Begin::Replay(_)
        ));
        assert!(matches!(
            store.begin(&scope(&store, "k"), RawPrint(34), now),
            Begin::Compare(_)
        ));
    }

    /// The channel the waiters share is made by the first of them and goes with the running
    /// request's slot, so an abandoned request wakes them as a completed one does.
    #[tokio::test]
    async fn waiters_wake_when_the_running_request_is_abandoned() {
        let store = store(10);
        let now = Clock::default().now();
        let Begin::Proceed(flight) = store.begin(&scope(&store, "k"), PRINT, now) else {
            panic!()
        };
        let waits = [(); 2].map(|_| match store.begin(&scope(&store, "k"), PRINT, now) {
            Begin::Wait(running) => running,
            _ => panic!("a second request with the key waits"),
        });

        drop(flight);

        for mut running in waits {
            assert!(running.changed().await.is_err(), "the channel closed");
        }
        assert!(matches!(
            store.begin(&scope(&store, "k"), PRINT, now),
            Begin::Proceed(_)
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
            let Begin::Proceed(flight) = store.begin(&scope(&store, &key), PRINT, now) else {
                panic!()
            };
            flight.complete(done(&reply(status), now, None));
            let replayed = matches!(
                store.begin(&scope(&store, &key), PRINT, now),
                Begin::Replay(_)
            );
            assert_eq!(replayed, stored, "{status}");
        }
        let Begin::Proceed(flight) = store.begin(&scope(&store, "forced"), PRINT, now) else {
            panic!()
        };
        flight.complete(done(&reply(500), now, Some(true)));
        assert!(matches!(
            store.begin(&scope(&store, "forced"), PRINT, now),
            Begin::Replay(_)
        ));
        let Begin::Proceed(flight) = store.begin(&scope(&store, "never"), PRINT, now) else {
            panic!()
        };
        flight.complete(done(&reply(200), now, Some(false)));
        assert!(matches!(
            store.begin(&scope(&store, "never"), PRINT, now),
            Begin::Proceed(_)
        ));
    }

    #[test]
    fn the_sweep_drops_expired_answers_and_frees_capacity() {
        let store = store(2);
        let clock = Clock::default();
        for key in ["a", "b"] {
            let Begin::Proceed(flight) = store.begin(&scope(&store, key), PRINT, clock.now())
            else {
                panic!()
            };
            flight.complete(done(&reply(200), clock.now(), None));
        }
        assert!(matches!(
            store.begin(&scope(&store, "c"), PRINT, clock.now()),
            Begin::Full
        ));

        let later = clock.advance(chrono::Duration::hours(25));

        assert_eq!(store.sweep(later), 2);
        assert!(store.is_empty());
        assert!(matches!(
            store.begin(&scope(&store, "c"), PRINT, later),
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

    #[test]
    fn the_canonical_fingerprint_ignores_key_order_and_whitespace_but_not_values() {
        let post = http::Method::POST;
        let print = |body: &[u8]| {
            let doc = crate::json::parse(body).unwrap();
            canonical(&post, "/v3/profiles", Some(&doc), body)
        };
        let a = print(br#"{"name":"x","brand":{"a":1,"b":[1,2]}}"#);
        assert_eq!(
            a,
            print(b"{ \"brand\": {\"b\": [1, 2], \"a\": 1}, \"name\": \"x\" }")
        );
        assert_ne!(a, print(br#"{"name":"y","brand":{"a":1,"b":[1,2]}}"#));
        assert_ne!(a, print(br#"{"name":"x","brand":{"a":1,"b":[2,1]}}"#));
        assert_ne!(a, print(br#"{"name":"x","brand":{"a":"1","b":[1,2]}}"#));
        let doc = crate::json::parse(br#"{"name":"x"}"#).unwrap();
        assert_eq!(
            canonical(&post, "/V3/Profiles/", Some(&doc), b""),
            canonical(&post, "/v3/profiles", Some(&doc), b"")
        );
        assert_ne!(
            canonical(&http::Method::PATCH, "/v3/profiles", Some(&doc), b""),
            canonical(&post, "/v3/profiles", Some(&doc), b"")
        );
        assert_ne!(
            RawPrint::of(&post, "/v3/profiles", b"{}"),
            RawPrint::of(&post, "/v3/profiles", b"{ }")
        );
    }
}
