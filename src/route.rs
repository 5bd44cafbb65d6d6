//! Routing: the method and path of a request parsed, in one place, into a [`Route`].
//!
//! Paths match case-insensitively and ignore one trailing slash, as the real API's router
//! does.

use crate::error::ApiError;
use http::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    CreateProfile,
    /// The mock's own control API under `/_mock/` (CONTRACT §9).
    Control(Control),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `POST /_mock/clock`.
    Clock,
}

/// Resolves a request line to a route, or to the 404/405 the contract gives unknown ones.
pub fn resolve(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut segments = trimmed.strip_prefix('/').unwrap_or(trimmed).split('/');
    let first = segments.next().unwrap_or("");
    let rest: Vec<&str> = segments.collect();
    let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);

    let (allow, route) = match (first.to_ascii_lowercase().as_str(), rest.as_slice()) {
        ("v3", [profiles]) if is(profiles, "profiles") => (
            "POST",
            route_for(method, &[(Method::POST, Route::CreateProfile)]),
        ),
        ("_mock", [clock]) if is(clock, "clock") => (
            "POST",
            route_for(method, &[(Method::POST, Route::Control(Control::Clock))]),
        ),
        _ => return Err(not_found(method, path)),
    };
    route.ok_or_else(|| ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allow,
    })
}

fn route_for(method: &Method, table: &[(Method, Route)]) -> Option<Route> {
    table.iter().find(|(m, _)| m == method).map(|(_, r)| *r)
}

fn not_found(method: &Method, path: &str) -> ApiError {
    ApiError::RouteNotFound {
        method: method.to_string(),
        path: path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_matches_with_any_case_and_a_trailing_slash() {
        for path in ["/v3/profiles", "/v3/profiles/", "/V3/Profiles"] {
            assert_eq!(
                resolve(&Method::POST, path),
                Ok(Route::CreateProfile),
                "{path}"
            );
        }
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405_with_allow() {
        assert!(matches!(
            resolve(&Method::GET, "/_stainless_unknown_path"),
            Err(ApiError::RouteNotFound { .. })
        ));
        assert!(matches!(
            resolve(&Method::POST, "/"),
            Err(ApiError::RouteNotFound { .. })
        ));
        assert!(matches!(
            resolve(&Method::PUT, "/v3/profiles"),
            Err(ApiError::MethodNotAllowed { allow: "POST", .. })
        ));
    }
}
