//! The request as the pipeline sees it: buffered once at the edge into an owned value.
//!
//! After the server has read the body (within its size limit), everything downstream is plain
//! synchronous code over this type, testable without a socket.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Method};

#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The path without the query string.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// When the server started on this request; `x-response-time` counts from here.
    pub received: Instant,
}

impl Request {
    pub fn new(method: Method, path: &str, headers: HeaderMap, body: Bytes) -> Request {
        Request {
            method,
            path: path.to_owned(),
            query: None,
            headers,
            body,
            received: Instant::now(),
        }
    }

    /// A header's value; `Some(Err(()))` when it is present but not visible ASCII, which the
    /// callers treat as an invalid value rather than an absent one. Of a header sent more
    /// than once, the first value, as `HeaderMap::get` gives it.
    ///
    /// Found by walking the headers rather than by `HeaderMap::get`: a request has a handful
    /// of headers (hyper takes at most 100), and comparing each name costs less than hashing
    /// the one asked for, which a pipeline does four or five times per request.
    pub fn header(&self, name: &HeaderName) -> Option<Result<&str, ()>> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.to_str().map_err(|_| ()))
    }

    /// The query's pairs, percent-decoded (`+` is a space).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(name), percent_decode(value))
            })
            .collect()
    }

    /// How many times a header was sent; walked like [`Request::header`].
    pub fn header_count(&self, name: &HeaderName) -> usize {
        self.headers.iter().filter(|(n, _)| *n == name).count()
    }
}

fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes[i] {
            b'%' if i + 2 < bytes.len() => hex(bytes[i + 1]).zip(hex(bytes[i + 2])),
            _ => None,
        };
        match (bytes[i], escaped) {
            (_, Some((high, low))) => {
                out.push(high << 4 | low);
                i += 3;
                continue;
            }
            (b'+', None) => out.push(b' '),
            (other, None) => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `HeaderMap::get` gives: the first of repeated values, an error for a value that is
    /// not visible ASCII, nothing for an absent header; and every value counted.
    #[test]
    fn a_header_reads_as_its_first_value() {
        let idempotency = HeaderName::from_static("idempotency-key");
        let mut headers = HeaderMap::new();
        headers.insert("host", http::HeaderValue::from_static("localhost"));
        headers.append(&idempotency, http::HeaderValue::from_static("first"));
        headers.insert(
            "x-api-key",
            http::HeaderValue::from_bytes(b"k\xe9y").unwrap(),
        );
        headers.append(&idempotency, http::HeaderValue::from_static("second"));
        let req = Request::new(Method::POST, "/v3/profiles", headers, Bytes::new());
        assert_eq!(req.header(&idempotency), Some(Ok("first")));
        assert_eq!(
            req.header(&HeaderName::from_static("x-api-key")),
            Some(Err(()))
        );
        assert_eq!(req.header(&http::header::CONTENT_TYPE), None);
        assert_eq!(req.header_count(&idempotency), 2);
        assert_eq!(req.header_count(&http::header::HOST), 1);
        assert_eq!(req.header_count(&http::header::CONTENT_TYPE), 0);
        assert_eq!(
            req.header(&http::header::HOST),
            req.headers
                .get(http::header::HOST)
                .map(|v| v.to_str().map_err(|_| ()))
        );
    }

    #[test]
    fn query_pairs_are_percent_decoded() {
        let mut req = Request::new(
            Method::GET,
            "/_mock/requests",
            HeaderMap::new(),
            Bytes::new(),
        );
        req.query = Some("path=%2Fv3%2Fprofiles&idempotency_key=a+b&flag&bad=%zz%4".into());
        assert_eq!(
            req.query_pairs(),
            vec![
                ("path".into(), "/v3/profiles".into()),
                ("idempotency_key".into(), "a b".into()),
                ("flag".into(), String::new()),
                ("bad".into(), "%zz%4".into()),
            ]
        );
    }
}
