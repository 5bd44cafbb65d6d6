//! The request as the pipeline sees it: buffered once at the edge into an owned value.
//!
//! After the server has read the body (within its size limit), everything downstream is plain
//! synchronous code over this type, testable without a socket.

use std::time::Instant;

use bytes::Bytes;
use http::{HeaderMap, Method};

#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The path without the query string.
    pub path: String,
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
            headers,
            body,
            received: Instant::now(),
        }
    }

    /// A header's value; `Some(Err(()))` when it is present but not visible ASCII, which the
    /// callers treat as an invalid value rather than an absent one.
    pub fn header(&self, name: &str) -> Option<Result<&str, ()>> {
        self.headers
            .get(name)
            .map(|value| value.to_str().map_err(|_| ()))
    }

    /// How many times a header was sent.
    pub fn header_count(&self, name: &str) -> usize {
        self.headers.get_all(name).iter().count()
    }
}
