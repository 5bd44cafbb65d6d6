//! Reading a request body as the JSON object an endpoint expects (CONTRACT §5.2).
//!
//! The media type must be JSON, the bytes one JSON value, the value an object. Every failure
//! is a 400 `VALIDATION_001` with its reason under `body` (a 415 for a foreign media type), and
//! no reason repeats the body's text.

use http::header::CONTENT_TYPE;

use crate::error::ApiError;
use crate::json::{self, Json};
use crate::request::Request;

/// The body as a JSON object, or the error the contract gives for it.
pub fn object(req: &Request) -> Result<Json<'_>, ApiError> {
    match req.header(&CONTENT_TYPE) {
        Some(Ok(media)) if is_json(media) => {}
        Some(_) => return Err(ApiError::UnsupportedMediaType),
        None if req.body.is_empty() => {}
        None => return Err(ApiError::UnsupportedMediaType),
    }
    if req.body.is_empty() {
        return Err(missing());
    }
    match json::parse(&req.body) {
        Ok(doc @ Json::Object(_)) => Ok(doc),
        Ok(other) => Err(problem(format!(
            "body must be a JSON object, not {} {}",
            article(other.kind()),
            other.kind()
        ))),
        Err(err) => Err(problem(format!("body must be valid JSON: {err}"))),
    }
}

/// Whether the request says its body is JSON, as [`object`] requires.
pub fn is_json_request(req: &Request) -> bool {
    matches!(req.header(&CONTENT_TYPE), Some(Ok(media)) if is_json(media))
}

/// The 400 for a request that needs a body and has none.
pub fn missing() -> ApiError {
    problem("body is required and must be a JSON object")
}

fn problem(message: impl Into<String>) -> ApiError {
    ApiError::field("body", message)
}

fn article(kind: &str) -> &'static str {
    if kind.starts_with(['a', 'o']) {
        "an"
    } else {
        "a"
    }
}

/// `application/json` or any `+json` type (`application/vnd.api+json`), parameters ignored.
fn is_json(media: &str) -> bool {
    let essence = media.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype.len() > 5
                && subtype.is_char_boundary(subtype.len() - 5)
                && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_media_types_are_recognised_with_parameters_and_suffixes() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.api+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "json",
            "application/jsonx",
            "application/+json",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }
}
