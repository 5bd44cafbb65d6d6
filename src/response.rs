//! Builds every HTTP response: the envelope (CONTRACT §2) and the headers every response
//! carries (§1).
//!
//! Endpoints hand over data or an [`ApiError`]; only this module knows the envelope's key order,
//! the `doc_url` form and the common headers, so no response can miss one.

use std::ops::Range;
use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use http::StatusCode;
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
    /// Headers beyond the common ones (`allow`, `x-sandbox`, replay headers, ...), in the
    /// order they were set. They are put in the response's map once, when it is finished,
    /// where a later one replaces an earlier one of the same name and any common one.
    pub headers: Vec<(HeaderName, HeaderValue)>,
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
        body,
        close,
        fault: _,
    } = reply;
    let has_body = body.is_some();
    let mut response = http::Response::new(body.unwrap_or_default());
    *response.status_mut() = status;
    let out = response.headers_mut();
    out.reserve(6 + headers.len());
    if has_body {
        out.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    }
    if let Ok(id) = HeaderValue::from_str(request_id) {
        out.insert(X_REQUEST_ID, id);
    }
    out.insert(X_API_VERSION, HeaderValue::from_static(API_VERSION));
    out.insert(
        X_RESPONSE_TIME,
        response_time(received.elapsed().as_millis()),
    );
    if close {
        out.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    for (name, value) in headers {
        out.insert(name, value);
    }
    response
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
