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
    /// callers treat as an invalid value rather than an absent one.
    pub fn header(&self, name: &HeaderName) -> Option<Result<&str, ()>> {
        self.headers
            .get(name)
            .map(|value| value.to_str().map_err(|_| ()))
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

    /// How many times a header was sent.
    pub fn header_count(&self, name: &HeaderName) -> usize {
        self.headers.get_all(name).iter().count()
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
