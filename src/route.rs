//! Routing: the method and path of a request parsed, in one place, into a [`Route`].
//!
//! Paths match case-insensitively and ignore one trailing slash, as the real API's router
//! does. A path that exists with other methods answers 405 with those methods in `allow`.

use http::Method;

use crate::error::{ApiError, Operation};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    CreateProfile,
    /// The mock's own control API under `/_mock/` (CONTRACT §9).
    Control(Control),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// `GET /_mock/health`
    Health,
    /// `POST /_mock/reset`
    Reset,
    /// `GET /_mock/scenarios`
    ListScenarios,
    /// `POST /_mock/scenarios`: add or replace one.
    PutScenario,
    /// `GET /_mock/scenarios/{name}`
    GetScenario(String),
    /// `DELETE /_mock/scenarios/{name}`
    RemoveScenario(String),
    /// `GET /_mock/requests`
    Requests,
    /// `GET /_mock/clock`
    ReadClock,
    /// `POST /_mock/clock`
    MoveClock,
    /// `POST /_mock/organizations`
    MintOrganization,
    /// `GET /_mock/fixtures`
    Fixtures,
}

impl Route {
    /// The operation a scripted 500 names.
    pub fn operation(&self) -> Operation {
        match self {
            Route::CreateProfile | Route::Control(_) => Operation::Create,
        }
    }

    /// Whether the request carries a JSON body the route reads.
    pub fn has_body(&self) -> bool {
        matches!(self, Route::CreateProfile)
    }
}

/// Resolves a request line to a route, or to the 404/405 the contract gives unknown ones.
pub fn resolve(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let segments: Vec<&str> = trimmed
        .strip_prefix('/')
        .unwrap_or(trimmed)
        .split('/')
        .collect();
    let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
    let m = method;
    let one = |wanted: Method, route: Route| (*m == wanted).then_some(route);

    let (allow, route): (&'static str, Option<Route>) = match segments.as_slice() {
        [v3, profiles] if is(v3, "v3") && is(profiles, "profiles") => {
            ("POST", one(Method::POST, Route::CreateProfile))
        }
        [mock, rest @ ..] if is(mock, "_mock") => {
            let control = |route: Control| Route::Control(route);
            match rest {
                [name] if is(name, "health") => ("GET", one(Method::GET, control(Control::Health))),
                [name] if is(name, "reset") => ("POST", one(Method::POST, control(Control::Reset))),
                [name] if is(name, "scenarios") => (
                    "GET, POST",
                    match *m {
                        Method::GET => Some(control(Control::ListScenarios)),
                        Method::POST => Some(control(Control::PutScenario)),
                        _ => None,
                    },
                ),
                [name, scenario] if is(name, "scenarios") => (
                    "GET, DELETE",
                    match *m {
                        Method::GET => Some(control(Control::GetScenario((*scenario).to_owned()))),
                        Method::DELETE => {
                            Some(control(Control::RemoveScenario((*scenario).to_owned())))
                        }
                        _ => None,
                    },
                ),
                [name] if is(name, "requests") => {
                    ("GET", one(Method::GET, control(Control::Requests)))
                }
                [name] if is(name, "clock") => (
                    "GET, POST",
                    match *m {
                        Method::GET => Some(control(Control::ReadClock)),
                        Method::POST => Some(control(Control::MoveClock)),
                        _ => None,
                    },
                ),
                [name] if is(name, "organizations") => (
                    "POST",
                    one(Method::POST, control(Control::MintOrganization)),
                ),
                [name] if is(name, "fixtures") => {
                    ("GET", one(Method::GET, control(Control::Fixtures)))
                }
                _ => return Err(not_found(method, path)),
            }
        }
        _ => return Err(not_found(method, path)),
    };
    route.ok_or_else(|| ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_owned(),
        allow,
    })
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
        assert!(matches!(
            resolve(&Method::PUT, "/_mock/scenarios/x"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, DELETE",
                ..
            })
        ));
    }

    #[test]
    fn control_routes_carry_their_parameters() {
        assert_eq!(
            resolve(&Method::DELETE, "/_mock/scenarios/flaky"),
            Ok(Route::Control(Control::RemoveScenario("flaky".into())))
        );
        assert_eq!(
            resolve(&Method::GET, "/_mock/health"),
            Ok(Route::Control(Control::Health))
        );
    }
}
