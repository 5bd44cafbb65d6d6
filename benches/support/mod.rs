//! What the in-process benchmarks share: the seed body and requests as the server builds them.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method};
use sent_mock::request::Request;

/// The seed profile of the embedded fixtures.
pub const SEED_PROFILE: &str = "/v3/profiles/770e8400-e29b-41d4-a716-446655440001";

/// The seed page's create body (the same as the wrk benchmark's), expiry in the future.
pub fn seed_body(sandbox: bool) -> Vec<u8> {
    let text = include_str!("../../tests/data/create-request.json")
        .replace("\"09/27\"", "\"09/49\"")
        .replace("\"sandbox\":false", &format!("\"sandbox\":{sandbox}"));
    text.into_bytes()
}

/// A request of the Acme admin, with the headers a client sends.
pub fn request(method: Method, path: &str, body: &[u8], key: Option<&str>) -> Request {
    let mut headers = HeaderMap::new();
    headers.insert("x-api-key", HeaderValue::from_static("sk_test_acme_admin"));
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("host", HeaderValue::from_static("127.0.0.1:4010"));
    headers.insert("user-agent", HeaderValue::from_static("bench"));
    if let Some(key) = key {
        headers.insert("idempotency-key", HeaderValue::from_str(key).unwrap());
    }
    Request::new(method, path, headers, Bytes::copy_from_slice(body))
}
