//! The request journal (CONTRACT §9): a bounded record of what clients sent and what they got,
//! for tests that check afterwards what the client did.
//!
//! Secrets never enter it. Request bodies are kept only as parsed JSON re-written with every
//! card field, `payment_details` member and access token replaced by `[REDACTED]`; a body
//! that is not JSON is kept as its size alone, since its secrets cannot be found. The API key
//! and any `authorization` header read `[REDACTED]`; to filter by API key the journal keeps a
//! keyed hash of it, never the key.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use std::borrow::Cow;

use http::{HeaderMap, HeaderName};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use uuid::Uuid;

use crate::clock::Timestamp;
use crate::json::Json;
use crate::memory;
use crate::render;
use crate::secret::REDACTED;

/// Headers whose values are credentials.
const SECRET_HEADERS: [HeaderName; 2] = [
    HeaderName::from_static("x-api-key"),
    http::header::AUTHORIZATION,
];

/// What a body member's name says about its value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Secrecy {
    /// Nothing: the value is kept (its own members may still be secret).
    Open,
    /// The value is a secret wherever the member appears in a body.
    Member,
    /// The value and everything in it are secret.
    Object,
}

impl Secrecy {
    /// A `match` on the name: compiled to a test of its length first, and no name of a secret
    /// has the length of most others, so most names are cleared by one comparison.
    fn of(name: &str) -> Secrecy {
        match name {
            "access_token" | "card_number" | "cvc" | "expiry" => Secrecy::Member,
            "payment_details" => Secrecy::Object,
            _ => Secrecy::Open,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A request a client sent to the API.
    #[default]
    Request,
    /// A webhook callback the mock sent.
    Callback,
}

/// One journal entry. Entries are recycled: when the journal is full, the oldest one's
/// buffers are written over for the newest, so that at steady state a request allocates
/// nothing here (buffers over a kilobyte take glibc's slow path, and every request has one).
#[derive(Debug, Default, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub kind: Kind,
    pub at: Timestamp,
    pub request_id: String,
    pub method: String,
    /// The path, or for a callback the URL called.
    pub path: String,
    pub query: Option<String>,
    /// The request's headers as [`write_headers`] writes them, credentials replaced by
    /// `[REDACTED]`; shown as a JSON object.
    #[serde(serialize_with = "header_lines")]
    pub headers: Vec<u8>,
    /// The body as redacted JSON text.
    #[serde(serialize_with = "raw_json")]
    pub body: Option<Vec<u8>>,
    pub body_bytes: usize,
    /// The status answered (or, for a callback, received); `None` when the connection was
    /// closed without an answer.
    pub status: Option<u16>,
    /// A transport fault or a callback error, in words.
    pub note: Option<String>,
    pub scenario: Option<String>,
    pub replayed: bool,
    pub organization_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    #[serde(skip)]
    pub api_key_hash: Option<u64>,
}

/// A recycled buffer much larger than what it now holds is given back rather than kept, so
/// that one burst of big bodies does not pin its memory for the journal's lifetime.
const KEEP_SLACK: usize = 4096;

/// Whether a recycled buffer of `capacity` bytes is kept to write `len` bytes over.
fn keeps(capacity: usize, len: usize) -> bool {
    capacity <= KEEP_SLACK || capacity <= 4 * len
}

impl Entry {
    /// Writes `text` over a recycled string.
    pub fn set(field: &mut String, text: &str) {
        field.clear();
        if !keeps(field.capacity(), text.len()) {
            *field = String::new();
        }
        field.push_str(text);
    }

    /// Writes `bytes` over a recycled buffer.
    pub fn set_bytes(field: &mut Vec<u8>, bytes: &[u8]) {
        field.clear();
        if !keeps(field.capacity(), bytes.len()) {
            *field = Vec::new();
        }
        field.extend_from_slice(bytes);
    }

    /// Writes `text` over a recycled optional string.
    pub fn set_option(field: &mut Option<String>, text: Option<&str>) {
        match text {
            None => *field = None,
            Some(text) => Entry::set(field.get_or_insert_with(String::new), text),
        }
    }

    /// The buffer of the optional `body`, emptied for writing.
    pub fn body_buffer(&mut self) -> &mut Vec<u8> {
        let body = self.body.get_or_insert_with(Vec::new);
        Entry::set_bytes(body, b"");
        body
    }
}

/// JSON text the journal wrote, as itself. Its bytes are read as UTF-8 only here: a header
/// value that was not (HTTP allows other bytes) reads with U+FFFD in its place, which is what
/// converting each value before escaping it gave, since escapes are all ASCII.
fn raw_json_text<S: Serializer>(text: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let text = String::from_utf8_lossy(text);
    match serde_json::from_str::<&serde_json::value::RawValue>(&text) {
        Ok(raw) => raw.serialize(s),
        Err(_) => s.serialize_none(),
    }
}

fn header_lines<S: Serializer>(lines: &[u8], s: S) -> Result<S::Ok, S::Error> {
    raw_json_text(&headers_json(lines), s)
}

fn raw_json<S: Serializer>(body: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match body {
        Some(text) => raw_json_text(text, s),
        None => s.serialize_none(),
    }
}

/// Filters of `GET /_mock/requests`.
#[derive(Debug, Default)]
pub struct Filter {
    pub path: Option<String>,
    pub idempotency_key: Option<String>,
    pub organization_id: Option<Uuid>,
    pub api_key: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug)]
pub struct Journal {
    /// Appended by every request, read rarely: one short critical section per request.
    entries: Mutex<VecDeque<Arc<Entry>>>,
    capacity: usize,
    seq: AtomicU64,
    key_hasher: RandomState,
}

impl Journal {
    pub fn new(capacity: usize) -> Journal {
        Journal {
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity,
            seq: AtomicU64::new(0),
            key_hasher: RandomState::new(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn hash_key(&self, key: &str) -> u64 {
        self.key_hasher.hash_one(key)
    }

    /// Appends one entry, which `fill` writes: every field, over whatever a recycled entry
    /// held before (see [`Entry::set`]).
    pub fn record(&self, fill: impl FnOnce(&mut Entry)) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = if entries.len() >= self.capacity {
            entries.pop_front()
        } else {
            None
        };
        // Written in place, without moving the entry. A reader may still hold the oldest
        // one: then it keeps it, and a new one is made.
        let mut entry = oldest
            .filter(|oldest| Arc::strong_count(oldest) == 1)
            .unwrap_or_default();
        match Arc::get_mut(&mut entry) {
            Some(recycled) => fill(recycled),
            None => {
                let mut fresh = Entry::default();
                fill(&mut fresh);
                entry = Arc::new(fresh);
            }
        }
        entries.push_back(entry);
        if entries.len() >= self.capacity {
            warm(&entries);
        }
    }

    /// Matching entries, oldest first; `limit` keeps the newest of them.
    pub fn list(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let key_hash = filter.api_key.as_deref().map(|k| self.hash_key(k));
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<Arc<Entry>> = entries
            .iter()
            .filter(|e| filter.path.as_deref().is_none_or(|p| e.path.starts_with(p)))
            .filter(|e| {
                filter
                    .idempotency_key
                    .as_deref()
                    .is_none_or(|k| e.idempotency_key.as_deref() == Some(k))
            })
            .filter(|e| {
                filter
                    .organization_id
                    .is_none_or(|o| e.organization_id == Some(o))
            })
            .filter(|e| key_hash.is_none_or(|h| e.api_key_hash == Some(h)))
            .cloned()
            .collect();
        if let Some(limit) = filter.limit {
            let skip = found.len().saturating_sub(limit);
            found.drain(..skip);
        }
        found
    }

    pub fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.clear();
        entries.shrink_to(self.capacity.min(1024));
    }
}

/// How much of each of the next entry's buffers [`warm`] asks for.
const WARM_BUFFER: usize = 4096;

/// Asks the caches for what the next requests will write over, while this one is answered:
/// the oldest entry, a thousand requests cold, cost its writer a miss on every line.
///
/// The next entry's own lines were asked for one request ago, so its buffers' addresses can
/// be read now without waiting; the entry after it is asked for, for the next request to do
/// the same. The buffers are asked for whole, up to [`WARM_BUFFER`] bytes: the writes that
/// refill them (a seed-sized body is 23 lines) otherwise waited at the journal's unlock, a
/// full barrier.
fn warm(entries: &VecDeque<Arc<Entry>>) {
    if let Some(next) = entries.front() {
        for buffer in [
            next.headers.as_slice(),
            next.body.as_deref().unwrap_or_default(),
        ] {
            memory::prefetch(buffer.as_ptr(), buffer.len().min(WARM_BUFFER));
        }
    }
    if let Some(after) = entries.get(1) {
        // From the two reference counts before the entry, through its last field (were the
        // layout another, the hint would only be wasted).
        let start = Arc::as_ptr(after).cast::<u8>().wrapping_sub(16);
        memory::prefetch(start, std::mem::size_of::<Entry>() + 16);
    }
}

/// A header value as the journal shows it.
fn shown(value: &http::HeaderValue, secret: bool) -> &[u8] {
    match secret {
        true => REDACTED.as_bytes(),
        false => value.as_bytes(),
    }
}

/// Writes request headers as the journal keeps them: a `name:value` line per value, in the
/// order they came, credentials redacted. Written out rather than kept as a `HeaderMap`, whose
/// values would hold on to the connection's whole read buffer for as long as the entry lives;
/// written as lines rather than as JSON, because they are escaped when the journal is read
/// ([`headers_json`]), not on every request. No line is ambiguous: a name never holds a
/// colon, and a value never holds a line feed (`HeaderValue` refuses control characters).
pub fn write_headers(headers: &HeaderMap, out: &mut Vec<u8>) {
    Entry::set_bytes(out, b"");
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(b':');
        out.extend_from_slice(shown(value, SECRET_HEADERS.contains(name)));
        out.push(b'\n');
    }
}

/// The header lines [`write_headers`] wrote, as a JSON object's text: a header sent more than
/// once has its values joined with ", " (they come one after the other).
fn headers_json(lines: &[u8]) -> Vec<u8> {
    let mut pairs = lines
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| match line.iter().position(|&b| b == b':') {
            Some(colon) => (&line[..colon], &line[colon + 1..]),
            None => (line, &[][..]),
        })
        .peekable();
    let mut text = Vec::with_capacity(lines.len() + 64);
    text.push(b'{');
    while let Some((name, value)) = pairs.next() {
        if text.len() > 1 {
            text.push(b',');
        }
        render::bytes(&mut text, name);
        text.push(b':');
        let mut joined = Cow::Borrowed(value);
        while let Some((_, more)) = pairs.next_if(|(next, _)| *next == name) {
            let joined = joined.to_mut();
            joined.extend_from_slice(b", ");
            joined.extend_from_slice(more);
        }
        render::bytes(&mut text, &joined);
    }
    text.push(b'}');
    text
}

/// A parsed body as JSON text with every secret value replaced by `[REDACTED]`.
pub fn redact_body(raw: &[u8], doc: &Json<'_>) -> String {
    match Redaction::plan(raw, doc) {
        Some(plan) => plan.apply(raw),
        None => serde_json::to_string(&Redacted { doc, all: false }).unwrap_or_default(),
    }
}

/// Where the secrets of a body are, as byte ranges of its text.
///
/// The usual case is cheap: the parser borrowed every string without escapes from the body,
/// so a secret string's place is known, and the journal keeps the body's text with those
/// places overwritten. The plan is small, so an idempotency record keeps it: a retry with the
/// same bytes is journaled by applying it, without parsing the body again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redaction(Arc<[(u32, u32)]>);

impl Redaction {
    /// The plan for `raw`, or `None` when a secret is not a string borrowed from `raw` (a
    /// number, an escaped string), whose place is unknown.
    pub fn plan(raw: &[u8], doc: &Json<'_>) -> Option<Redaction> {
        // Room for the secrets of a body with its payment details and access token, in one go.
        let mut spans = Vec::with_capacity(8);
        secret_spans(raw, doc, false, &mut spans).then(|| {
            Redaction(
                spans
                    .into_iter()
                    .map(|(start, end)| (start as u32, end as u32))
                    .collect(),
            )
        })
    }

    /// The plan for secrets already found in the body's bytes, as start and end offsets, in
    /// the order [`Redaction::plan`] would list them.
    pub fn of_spans(spans: Vec<(u32, u32)>) -> Redaction {
        Redaction(spans.into())
    }

    /// `raw` with the planned ranges overwritten by `[REDACTED]`.
    pub fn apply(&self, raw: &[u8]) -> String {
        let mut out = Vec::new();
        self.apply_into(raw, &mut out);
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Appends `raw`, with the planned ranges overwritten by `[REDACTED]`, to `out`.
    pub fn apply_into(&self, raw: &[u8], out: &mut Vec<u8>) {
        // The plan was made on these very bytes, which parsed as JSON: only whole string
        // contents are replaced, and the text stays UTF-8. Other bytes (a plan applied to the
        // wrong body, which is a bug) would give text the journal's reader shows as `null`,
        // not a panic: ranges out of order or past the end stop the overwriting.
        out.reserve(raw.len() + self.0.len() * REDACTED.len());
        let mut from = 0;
        for &(start, end) in self.0.iter() {
            let (start, end) = (start as usize, end as usize);
            let (Some(before), true) = (raw.get(from..start), end <= raw.len()) else {
                break;
            };
            out.extend_from_slice(before);
            out.extend_from_slice(REDACTED.as_bytes());
            from = end;
        }
        out.extend_from_slice(raw.get(from..).unwrap_or(&[]));
    }
}

/// Collects the byte ranges of `raw` holding secret values, in order; `false` when a secret
/// is not a string borrowed from `raw`, so that its place is unknown.
fn secret_spans(raw: &[u8], doc: &Json<'_>, all: bool, spans: &mut Vec<(usize, usize)>) -> bool {
    match doc {
        Json::Object(members) => members.iter().all(|(key, value)| {
            let secrecy = Secrecy::of(key);
            let secret_object = secrecy == Secrecy::Object;
            let secret = all || secrecy != Secrecy::Open;
            match value {
                Json::Object(_) | Json::Array(_) => {
                    secret_spans(raw, value, all || secret_object, spans)
                }
                _ if !secret => true,
                Json::String(Cow::Borrowed(text)) => match offset_in(raw, text) {
                    Some(start) => {
                        spans.push((start, start + text.len()));
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        }),
        Json::Array(items) => items.iter().all(|item| secret_spans(raw, item, all, spans)),
        Json::String(_) if all => false,
        _ => true,
    }
}

/// Where `text` starts inside `raw`, if it is a slice of it.
fn offset_in(raw: &[u8], text: &str) -> Option<usize> {
    let start = (text.as_ptr() as usize).checked_sub(raw.as_ptr() as usize)?;
    (start + text.len() <= raw.len()).then_some(start)
}

struct Redacted<'d, 'a> {
    doc: &'d Json<'a>,
    /// Inside a member whose every value is secret.
    all: bool,
}

impl Serialize for Redacted<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.doc {
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    let key = key.as_ref();
                    let secrecy = Secrecy::of(key);
                    let secret_object = secrecy == Secrecy::Object;
                    if (self.all || secrecy != Secrecy::Open)
                        && !matches!(value, Json::Object(_) | Json::Array(_))
                    {
                        map.serialize_entry(key, REDACTED)?;
                    } else {
                        let all = self.all || secret_object;
                        map.serialize_entry(key, &Redacted { doc: value, all })?;
                    }
                }
                map.end()
            }
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Redacted {
                        doc: item,
                        all: self.all,
                    })?;
                }
                seq.end()
            }
            _ if self.all => s.serialize_str(REDACTED),
            other => other.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn headers_are_written_in_order_repeated_ones_joined_credentials_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.append("accept", "text/plain".parse().unwrap());
        headers.append("x-api-key", "sk_live_one".parse().unwrap());
        headers.append("accept", "application/json".parse().unwrap());
        headers.append("x-api-key", "sk_live_two".parse().unwrap());
        headers.insert("x-trace", "a\"b".parse().unwrap());
        headers.insert("host", "127.0.0.1:4010".parse().unwrap());
        let mut out = b"left over from a recycled entry".to_vec();
        write_headers(&headers, &mut out);
        assert_eq!(
            String::from_utf8(headers_json(&out)).unwrap(),
            r#"{"content-type":"application/json","accept":"text/plain, application/json","x-api-key":"[REDACTED], [REDACTED]","x-trace":"a\"b","host":"127.0.0.1:4010"}"#
        );
        write_headers(&HeaderMap::new(), &mut out);
        assert_eq!(headers_json(&out), b"{}");
    }

    #[test]
    fn secrets_are_redacted_wherever_they_are() {
        let raw: &[u8] = br#"{"name": "x", "payment_details": {"card_number": "4242424242424242", "expiry": "09/27",
                 "cvc": "123", "zip_code": "10001", "extra": [1, {"n": "5555"}]},
                 "whatsapp_business_account": {"waba_id": "1", "access_token": "EAAsecret"},
                 "nested": [{"card_number": 4242}]}"#;
        let doc = json::parse(raw).unwrap();
        let text = redact_body(raw, &doc);
        for secret in ["4242", "09/27", "123", "10001", "5555", "EAAsecret"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains(r#""waba_id":"1""#), "{text}");
        assert!(text.contains(r#""name":"x""#), "{text}");
        let raw = br#"{"payment_details": "4242424242424242"}"#;
        let payment_scalar = json::parse(raw).unwrap();
        assert_eq!(
            redact_body(raw, &payment_scalar),
            r#"{"payment_details": "[REDACTED]"}"#
        );
    }

    #[test]
    fn plain_string_secrets_are_overwritten_in_place_and_others_rewrite_the_body() {
        let raw =
            br#"{ "name" : "x", "whatsapp_business_account": {"access_token": "EAAsecret"} }"#;
        let doc = json::parse(raw).unwrap();
        assert_eq!(
            redact_body(raw, &doc),
            r#"{ "name" : "x", "whatsapp_business_account": {"access_token": "[REDACTED]"} }"#
        );
        let escaped = br#"{"name": "x", "payment_details": {"cvc": "1\u00323"}}"#;
        let doc = json::parse(escaped).unwrap();
        assert_eq!(
            redact_body(escaped, &doc),
            r#"{"name":"x","payment_details":{"cvc":"[REDACTED]"}}"#
        );
    }

    #[test]
    fn the_journal_keeps_the_newest_entries_within_its_bound() {
        let journal = Journal::new(3);
        for i in 0..5 {
            journal.record(entry(i));
        }
        let seqs: Vec<u64> = journal
            .list(&Filter::default())
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [2, 3, 4]);
        let limited = journal.list(&Filter {
            limit: Some(1),
            ..Filter::default()
        });
        assert_eq!(limited[0].seq, 4);
    }

    fn entry(seq: u64) -> impl FnOnce(&mut Entry) {
        move |e| {
            *e = Entry {
                seq,
                headers: Vec::new(),
                status: Some(200),
                ..Entry::default()
            }
        }
    }
}
