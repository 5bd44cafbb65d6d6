//! Builds every HTTP response: the envelope (CONTRACT §2) and the headers every response
//! carries (§1).
//!
//! Endpoints hand over data or an [`ApiError`]; only this module knows the envelope's key order,
//! the `doc_url` form and the common headers, so no response can miss one.

use std::ops::Range;
use std::sync::LazyLock;
use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::clock::Timestamp;
use crate::error::{ApiError, Details};
use crate::render::WriteJson;

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub const API_VERSION: &str = "v3";
const DOC_URL_PREFIX: &str = "https://docs.sent.dm/errors/";

/// What one request is answered with, before the common headers are added.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Headers beyond the common ones (`allow`, `x-sandbox`, a scenario's, ...), in the
    /// order they were set. They are put in the response's map once, when it is finished,
    /// where a later one replaces an earlier one of the same name and any common one.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// For a replay, the id of the request it repeats: the answer says `idempotent-replayed`
    /// and names it in `x-original-request-id`.
    pub replay_of: Option<HeaderValue>,
    /// `None` for a 204, which carries neither body nor content type.
    pub body: Option<Bytes>,
    /// Close the connection after this answer (a body that was not read, for example).
    pub close: bool,
    /// A scripted transport fault instead of a clean answer.
    pub fault: Option<Fault>,
}

impl Reply {
    /// Says that the request was a sandbox one: it was checked, but nothing was kept.
    pub fn mark_sandbox(&mut self) {
        self.headers
            .push((X_SANDBOX, HeaderValue::from_static("true")));
    }
}

/// How a scripted answer goes wrong on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The connection closes and nothing is answered.
    Close,
    /// The head and half the body are sent, then the connection closes.
    Truncate,
}

/// The `meta` of an envelope: the request's id and its one reading of the clock.
#[derive(Clone, Copy, Debug)]
pub struct Meta<'a> {
    pub request_id: &'a str,
    pub timestamp: Timestamp,
}

impl WriteJson for Meta<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        crate::write_object!(out, {
            "request_id": *self.request_id,
            "timestamp": self.timestamp,
            "version": *API_VERSION,
        });
    }
}

/// The `error` of the error envelope. Both envelopes are written around their middle by
/// hand, with the one `meta` writer.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    details: Option<DetailsMap<'a>>,
    doc_url: String,
}

/// Details as the wire shows them: an object from field path to a list of messages.
struct DetailsMap<'a>(&'a Details);

impl Serialize for DetailsMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (path, messages) in self.0 {
            map.serialize_entry(path, messages)?;
        }
        map.end()
    }
}

/// 200 with `data` in the success envelope.
pub fn ok<D: Serialize>(meta: Meta<'_>, data: &D) -> Reply {
    ok_raw(meta, |body| write_json(body, data))
}

/// 200 with `data` in the success envelope, and the bytes of `data` inside the body: they
/// share the body's allocation, so a store can keep them without a copy.
pub fn ok_with_data<D: WriteJson>(meta: Meta<'_>, data: &D) -> (Reply, Bytes) {
    let (mut body, range) = success(meta, |body| data.write_json(body));
    // These bytes are kept, often 100 000 times over: give back the unused capacity.
    body.shrink_to_fit();
    let body = Bytes::from(body);
    let data = body.slice(range);
    (with_body(StatusCode::OK, body), data)
}

/// 200 with `data` written by `write_data`, for data that is already JSON text.
pub fn ok_raw(meta: Meta<'_>, write_data: impl FnOnce(&mut Vec<u8>)) -> Reply {
    let (body, _) = success(meta, write_data);
    with_body(StatusCode::OK, Bytes::from(body))
}

/// The success envelope, and where `data` is in it.
fn success(meta: Meta<'_>, write_data: impl FnOnce(&mut Vec<u8>)) -> (Vec<u8>, Range<usize>) {
    let mut body = Vec::with_capacity(2560);
    body.extend_from_slice(b"{\"success\":true,\"data\":");
    let start = body.len();
    write_data(&mut body);
    let end = body.len();
    body.extend_from_slice(b",\"error\":null,\"meta\":");
    meta.write_json(&mut body);
    body.push(b'}');
    (body, start..end)
}

/// `body` as it is, under `status` (a scenario's raw answer).
pub fn raw(status: StatusCode, body: Bytes) -> Reply {
    with_body(status, body)
}

fn with_body(status: StatusCode, body: Bytes) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        replay_of: None,
        body: Some(body),
        close: false,
        fault: None,
    }
}

fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Serializing the mock's own types into a Vec cannot fail: every map key is a string.
    serde_json::to_writer(out, value).expect("response data serializes");
}

/// 204 without a body.
pub fn no_content() -> Reply {
    Reply {
        status: StatusCode::NO_CONTENT,
        headers: Vec::new(),
        replay_of: None,
        body: None,
        close: false,
        fault: None,
    }
}

/// The error envelope for `err`, with the headers its status needs.
pub fn error(meta: Meta<'_>, err: &ApiError) -> Reply {
    let code = err.code();
    let message = err.message(meta.request_id);
    let details = err.details();
    let error = ErrorBody {
        code,
        message: &message,
        details: details.as_ref().map(DetailsMap),
        doc_url: format!("{DOC_URL_PREFIX}{code}"),
    };
    let mut body = Vec::with_capacity(512);
    body.extend_from_slice(b"{\"success\":false,\"data\":null,\"error\":");
    write_json(&mut body, &error);
    body.extend_from_slice(b",\"meta\":");
    meta.write_json(&mut body);
    body.push(b'}');
    let mut reply = with_body(err.status(), Bytes::from(body));
    if let ApiError::MethodNotAllowed { allow, .. } = err {
        reply.headers.push((ALLOW, HeaderValue::from_static(allow)));
    }
    reply
}

/// The finished response: the reply plus the headers every response carries.
pub fn finish(reply: Reply, request_id: &str, received: Instant) -> http::Response<Bytes> {
    let Reply {
        status,
        headers,
        replay_of,
        body,
        close,
        fault: _,
    } = reply;
    let has_body = body.is_some();
    let mut response = http::Response::new(body.unwrap_or_default());
    *response.status_mut() = status;
    let out = response.headers_mut();
    *out = common_headers(has_body, request_id, received, replay_of);
    if close {
        out.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    for (name, value) in headers {
        out.insert(name, value);
    }
    response
}

/// The common headers in the order they are sent, a replay's two included; the values that
/// differ from one response to the next are placeholders, which [`common_headers`] writes
/// over.
fn template(has_body: bool, replay: bool) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(8);
    if has_body {
        map.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    }
    map.insert(X_REQUEST_ID, HeaderValue::from_static(""));
    map.insert(X_API_VERSION, HeaderValue::from_static(API_VERSION));
    map.insert(X_RESPONSE_TIME, HeaderValue::from_static(""));
    if replay {
        map.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        map.insert(X_ORIGINAL_REQUEST_ID, HeaderValue::from_static(""));
    }
    map
}

/// The common headers of one response: a copy of a map built once, with this response's
/// values written in place by position. Building the map afresh hashed every name again and,
/// for a replay, grew its table.
fn common_headers(
    has_body: bool,
    request_id: &str,
    received: Instant,
    replay_of: Option<HeaderValue>,
) -> HeaderMap {
    static TEMPLATES: LazyLock<[HeaderMap; 4]> = LazyLock::new(|| {
        [(false, false), (true, false), (false, true), (true, true)]
            .map(|(has_body, replay)| template(has_body, replay))
    });
    let replay = replay_of.is_some();
    let mut map = TEMPLATES[usize::from(has_body) | usize::from(replay) << 1].clone();
    let id = HeaderValue::from_str(request_id).ok();
    let valid = id.is_some();
    // After `content-type`, when there is one: x-request-id, x-api-version, x-response-time,
    // then a replay's idempotent-replayed and x-original-request-id.
    let mut values = map.values_mut().skip(usize::from(has_body));
    if let (Some(slot), Some(id)) = (values.next(), id) {
        *slot = id;
    }
    if let Some(slot) = values.nth(1) {
        *slot = response_time(received.elapsed().as_millis());
    }
    if let (Some(slot), Some(original)) = (values.nth(1), replay_of) {
        *slot = original;
    }
    if !valid {
        map.remove(X_REQUEST_ID);
    }
    map
}

/// `x-response-time`: most answers take under 10 ms, and those need no allocation.
fn response_time(millis: u128) -> HeaderValue {
    const FAST: [&str; 10] = [
        "0ms", "1ms", "2ms", "3ms", "4ms", "5ms", "6ms", "7ms", "8ms", "9ms",
    ];
    match FAST.get(millis as usize) {
        Some(text) => HeaderValue::from_static(text),
        None => {
            HeaderValue::from_str(&format!("{millis}ms")).unwrap_or(HeaderValue::from_static("0ms"))
        }
    }
}

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_API_VERSION: HeaderName = HeaderName::from_static("x-api-version");
pub const X_RESPONSE_TIME: HeaderName = HeaderName::from_static("x-response-time");
pub const X_SANDBOX: HeaderName = HeaderName::from_static("x-sandbox");
pub const X_PROFILE_ID: HeaderName = HeaderName::from_static("x-profile-id");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
pub const X_ORIGINAL_REQUEST_ID: HeaderName = HeaderName::from_static("x-original-request-id");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn names_and_values(response: &http::Response<Bytes>) -> Vec<(String, String)> {
        response
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn finished_responses_carry_the_common_headers_in_order_then_their_own() {
        let received = Instant::now();
        let mut reply = with_body(StatusCode::OK, Bytes::from_static(b"{}"));
        reply
            .headers
            .push((X_SANDBOX, HeaderValue::from_static("true")));
        // A reply's own header of a common name replaces the common one.
        reply
            .headers
            .push((X_API_VERSION, HeaderValue::from_static("v9")));
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            names_and_values(&finish(reply, "req_7X9zKp2jDw", received)),
            pairs(&[
                ("content-type", JSON_CONTENT_TYPE),
                ("x-request-id", "req_7X9zKp2jDw"),
                ("x-api-version", "v9"),
                ("x-response-time", "0ms"),
                ("x-sandbox", "true"),
            ])
        );
        let mut replay = with_body(StatusCode::OK, Bytes::from_static(b"{}"));
        replay.replay_of = Some(HeaderValue::from_static("req_first00001"));
        replay
            .headers
            .push((X_SANDBOX, HeaderValue::from_static("true")));
        assert_eq!(
            names_and_values(&finish(replay, "req_again00001", received)),
            pairs(&[
                ("content-type", JSON_CONTENT_TYPE),
                ("x-request-id", "req_again00001"),
                ("x-api-version", "v3"),
                ("x-response-time", "0ms"),
                ("idempotent-replayed", "true"),
                ("x-original-request-id", "req_first00001"),
                ("x-sandbox", "true"),
            ])
        );
        let mut empty = no_content();
        empty.close = true;
        assert_eq!(
            names_and_values(&finish(empty, "req_second0001", received)),
            pairs(&[
                ("x-request-id", "req_second0001"),
                ("x-api-version", "v3"),
                ("x-response-time", "0ms"),
                ("connection", "close"),
            ])
        );
        // An id that cannot be a header value is left out rather than sent empty.
        let mut left = names_and_values(&finish(no_content(), "req_\n", received));
        left.sort();
        assert_eq!(
            left,
            pairs(&[("x-api-version", "v3"), ("x-response-time", "0ms")])
        );
    }

    #[test]
    fn error_envelopes_keep_the_documented_key_order() {
        let meta = Meta {
            request_id: "req_7X9zKp2jDw",
            timestamp: Clock::default().now(),
        };
        let reply = error(meta, &ApiError::field("name", "Profile name is required"));
        let text = String::from_utf8(reply.body.unwrap().to_vec()).unwrap();
        let order = [
            "\"success\":false",
            "\"data\":null",
            "\"error\":{\"code\":\"VALIDATION_001\"",
            "\"message\":\"Request validation failed\"",
            "\"details\":{\"name\":[\"Profile name is required\"]}",
            "\"doc_url\":\"https://docs.sent.dm/errors/VALIDATION_001\"",
            "\"meta\":{\"request_id\":\"req_7X9zKp2jDw\"",
            "\"version\":\"v3\"",
        ];
        let mut from = 0;
        for part in order {
            let at = text[from..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} missing after {from} in {text}"));
            from += at + part.len();
        }
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    }
}
