//! Builds every HTTP response: the envelope (CONTRACT §2) and the headers every response
//! carries (§1).
//!
//! Endpoints hand over data or an [`ApiError`]; only this module knows the envelope's key order,
//! the `doc_url` form and the common headers, so no response can miss one.

use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::clock::Timestamp;
use crate::error::{ApiError, Details};

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
pub const API_VERSION: &str = "v3";
const DOC_URL_PREFIX: &str = "https://docs.sent.dm/errors/";

/// What one request is answered with, before the common headers are added.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Headers beyond the common ones (`allow`, `x-sandbox`, replay headers, ...).
    pub headers: HeaderMap,
    /// `None` for a 204, which carries neither body nor content type.
    pub body: Option<Bytes>,
    /// Close the connection after this answer (a body that was not read, for example).
    pub close: bool,
}

/// The `meta` of an envelope: the request's id and its one reading of the clock.
#[derive(Clone, Copy, Debug)]
pub struct Meta<'a> {
    pub request_id: &'a str,
    pub timestamp: Timestamp,
}

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("request_id", self.request_id)?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        map.serialize_entry("version", API_VERSION)?;
        map.end()
    }
}

#[derive(Serialize)]
struct Envelope<'a, D: Serialize> {
    success: bool,
    data: Option<&'a D>,
    error: Option<ErrorBody<'a>>,
    meta: Meta<'a>,
}

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
    let envelope = Envelope {
        success: true,
        data: Some(data),
        error: None,
        meta,
    };
    json(StatusCode::OK, &envelope)
}

/// 204 without a body.
pub fn no_content() -> Reply {
    Reply {
        status: StatusCode::NO_CONTENT,
        headers: HeaderMap::new(),
        body: None,
        close: false,
    }
}

/// The error envelope for `err`, with the headers its status needs.
pub fn error(meta: Meta<'_>, err: &ApiError) -> Reply {
    let code = err.code();
    let message = err.message(meta.request_id);
    let details = err.details();
    let envelope: Envelope<'_, ()> = Envelope {
        success: false,
        data: None,
        error: Some(ErrorBody {
            code,
            message: &message,
            details: details.as_ref().map(DetailsMap),
            doc_url: format!("{DOC_URL_PREFIX}{code}"),
        }),
        meta,
    };
    let mut reply = json(err.status(), &envelope);
    if let ApiError::MethodNotAllowed { allow, .. } = err {
        reply.headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    reply
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    let mut body = Vec::with_capacity(1024);
    // Serializing these types into a Vec cannot fail: every map key is a string.
    serde_json::to_writer(&mut body, value).expect("envelope serializes");
    Reply {
        status,
        headers: HeaderMap::new(),
        body: Some(Bytes::from(body)),
        close: false,
    }
}

/// The finished response: the reply plus the headers every response carries.
pub fn finish(reply: Reply, request_id: &str, received: Instant) -> http::Response<Bytes> {
    let Reply {
        status,
        headers,
        body,
        close,
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
    let elapsed = received.elapsed().as_millis();
    if let Ok(took) = HeaderValue::from_str(&format!("{elapsed}ms")) {
        out.insert(X_RESPONSE_TIME, took);
    }
    if close {
        out.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    for (name, value) in headers.iter() {
        out.insert(name.clone(), value.clone());
    }
    response
}

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
pub const X_API_VERSION: HeaderName = HeaderName::from_static("x-api-version");
pub const X_RESPONSE_TIME: HeaderName = HeaderName::from_static("x-response-time");
pub const X_SANDBOX: HeaderName = HeaderName::from_static("x-sandbox");
pub const X_PROFILE_ID: HeaderName = HeaderName::from_static("x-profile-id");

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
