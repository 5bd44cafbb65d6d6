//! Routing: the method and path of a request parsed, in one place, into a [`Route`].
//!
//! Paths match case-insensitively and ignore one trailing slash, as the real API's router
//! does. A path that exists with other methods answers 405 with those methods in `allow`.
//! Path parameters are parsed here, into typed values.

use http::Method;

use uuid::Uuid;

use crate::error::{ApiError, Operation};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    ListProfiles,
    CreateProfile,
    RetrieveProfile(PathId),
    UpdateProfile(PathId),
    DeleteProfile(PathId),
    CompleteProfile(PathId),
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

/// A `{profileId}` path segment: a UUID or not. A malformed one is reported by the endpoint,
/// after authentication, because the contract checks the caller first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathId {
    Valid(Uuid),
    Invalid,
}

impl PathId {
    fn parse(segment: &str) -> PathId {
        Uuid::try_parse(segment).map_or(PathId::Invalid, PathId::Valid)
    }

    /// The id, or the 400 `VALIDATION_003` for a malformed one.
    pub fn require(self) -> Result<Uuid, ApiError> {
        match self {
            PathId::Valid(id) => Ok(id),
            PathId::Invalid => Err(ApiError::InvalidGuid { field: "profileId" }),
        }
    }
}

/// What a route does with a request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyUse {
    None,
    /// A JSON object, required.
    Required,
    /// A JSON object if there is a body (DELETE: the SDKs send `{}` or `{"sandbox": true}`).
    Optional,
}

impl Route {
    /// The operation a 500 names.
    pub fn operation(&self) -> Operation {
        match self {
            Route::ListProfiles => Operation::List,
            Route::RetrieveProfile(_) => Operation::Retrieve,
            Route::UpdateProfile(_) => Operation::Update,
            Route::DeleteProfile(_) => Operation::Delete,
            Route::CompleteProfile(_) => Operation::Complete,
            Route::CreateProfile | Route::Control(_) => Operation::Create,
        }
    }

    pub fn body(&self) -> BodyUse {
        match self {
            Route::CreateProfile | Route::UpdateProfile(_) | Route::CompleteProfile(_) => {
                BodyUse::Required
            }
            Route::DeleteProfile(_) => BodyUse::Optional,
            Route::ListProfiles | Route::RetrieveProfile(_) | Route::Control(_) => BodyUse::None,
        }
    }
}

/// Resolves a request line to a route, or to the 404/405 the contract gives unknown ones.
pub fn resolve(method: &Method, path: &str) -> Result<Route, ApiError> {
    let trimmed = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let (segments, count) = segments(trimmed.strip_prefix('/').unwrap_or(trimmed));
    let is = |segment: &str, name: &str| segment.eq_ignore_ascii_case(name);
    let m = method;
    let one = |wanted: Method, route: Route| (*m == wanted).then_some(route);

    let (allow, route): (&'static str, Option<Route>) = match &segments[..count] {
        [v3, profiles] if is(v3, "v3") && is(profiles, "profiles") => (
            "GET, POST",
            match *m {
                Method::GET => Some(Route::ListProfiles),
                Method::POST => Some(Route::CreateProfile),
                _ => None,
            },
        ),
        [v3, profiles, id] if is(v3, "v3") && is(profiles, "profiles") => {
            let id = PathId::parse(id);
            (
                "GET, PATCH, DELETE",
                match *m {
                    Method::GET => Some(Route::RetrieveProfile(id)),
                    Method::PATCH => Some(Route::UpdateProfile(id)),
                    Method::DELETE => Some(Route::DeleteProfile(id)),
                    _ => None,
                },
            )
        }
        [v3, profiles, id, complete]
            if is(v3, "v3") && is(profiles, "profiles") && is(complete, "complete") =>
        {
            let id = PathId::parse(id);
            ("POST", one(Method::POST, Route::CompleteProfile(id)))
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

/// The first five of `path`'s segments, as `path.split('/')` gives them, and how many there
/// are of those five. No route has more than four segments: a fifth only says "none of
/// them", so the segments fit in an array instead of a vector allocated per request. Split
/// by hand: a path is short, and the searcher `split` sets up costs more than the bytes it
/// looks at.
fn segments(path: &str) -> ([&str; 5], usize) {
    let mut segments = [""; 5];
    let mut count = 0;
    let mut rest = path;
    while count < segments.len() {
        let end = rest.bytes().position(|b| b == b'/');
        segments[count] = &rest[..end.unwrap_or(rest.len())];
        count += 1;
        match end {
            Some(end) => rest = &rest[end + 1..],
            None => break,
        }
    }
    (segments, count)
}

/// Whether a path is under `/_mock/`, the control API's prefix.
pub fn is_control(path: &str) -> bool {
    // The first segment, compared in place: on every request, a split would set up a
    // searcher longer than the path.
    let first = path.trim_start_matches('/').as_bytes();
    first.len() >= 5
        && first[..5].eq_ignore_ascii_case(b"_mock")
        && matches!(first.get(5), None | Some(b'/'))
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
            Err(ApiError::MethodNotAllowed {
                allow: "GET, POST",
                ..
            })
        ));
        assert!(matches!(
            resolve(&Method::GET, "/v3/profiles/x/complete"),
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
    fn paths_split_into_the_segments_split_gives() {
        for path in [
            "",
            "v3",
            "v3/profiles",
            "v3//profiles",
            "v3/profiles/",
            "/",
            "//",
            "a/b/c/d/e/f/g",
        ] {
            let (found, count) = segments(path);
            let expected: Vec<&str> = path.split('/').take(5).collect();
            assert_eq!(&found[..count], expected.as_slice(), "{path}");
        }
    }

    #[test]
    fn control_paths_are_told_by_their_first_segment_in_any_case() {
        for path in [
            "/_mock",
            "/_mock/",
            "/_MOCK/health",
            "//_mock/requests",
            "/_Mock/x/y",
        ] {
            assert!(is_control(path), "{path}");
        }
        for path in [
            "/",
            "",
            "/_moc",
            "/_mockery",
            "/_mocks/health",
            "/v3/_mock",
            "/x_mock",
        ] {
            assert!(!is_control(path), "{path}");
        }
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

#[cfg(test)]
mod profile_routes {
    use super::*;

    #[test]
    fn profile_ids_are_parsed_in_the_path() {
        let id = "770e8400-e29b-41d4-a716-446655440001";
        let parsed = PathId::Valid(Uuid::parse_str(id).unwrap());
        assert_eq!(
            resolve(&Method::GET, &format!("/v3/profiles/{id}")),
            Ok(Route::RetrieveProfile(parsed))
        );
        assert_eq!(
            resolve(&Method::PATCH, &format!("/v3/profiles/{id}/")),
            Ok(Route::UpdateProfile(parsed))
        );
        assert_eq!(
            resolve(&Method::POST, &format!("/v3/profiles/{id}/complete")),
            Ok(Route::CompleteProfile(parsed))
        );
        assert_eq!(
            resolve(&Method::DELETE, "/v3/profiles/nope"),
            Ok(Route::DeleteProfile(PathId::Invalid))
        );
        assert_eq!(
            PathId::Invalid.require(),
            Err(ApiError::InvalidGuid { field: "profileId" })
        );
    }
}
