//! The one API error type: every way a request can fail, with its status, code and message.
//!
//! Each variant says what the client sees (CONTRACT §3); [`crate::response`] turns it into the
//! envelope. Messages are named constants so that tests and docs quote the same text. Internal
//! causes never reach a message.

use http::StatusCode;

/// Field problems, each under its field path, in the order they were found.
pub type Details = Vec<(String, Vec<String>)>;

pub mod messages {
    pub const VALIDATION_FAILED: &str = "Request validation failed";
    pub const INVALID_GUID: &str = "Invalid GUID format";
    pub const INVALID_IDEMPOTENCY_KEY: &str = "Invalid Idempotency-Key format";
    pub const NOT_AUTHENTICATED: &str = "User is not authenticated";
    pub const INVALID_API_KEY: &str = "Invalid or expired API key";
    pub const FORBIDDEN: &str = "Insufficient permissions for this operation";
    pub const ORGANIZATION_NOT_FOUND: &str = "Organization not found";
    pub const PROFILE_NOT_FOUND: &str = "Profile not found";
    pub const CONCURRENT_IDEMPOTENT_REQUEST: &str = "Concurrent idempotent request in progress";
    pub const RATE_LIMITED: &str = "Rate limit exceeded";
    pub const CACHE_UNAVAILABLE: &str = "Cache service temporarily unavailable";
    pub const NO_WABA: &str = "Organization does not have a WhatsApp Business Account configured. Complete WhatsApp Embedded Signup for your organization first, or provide direct credentials in the 'whatsapp_business_account' field.";
    pub const IDEMPOTENCY_KEY_REUSED: &str =
        "Idempotency-Key has already been used with a different request";
    pub const NOT_READY_TO_COMPLETE: &str =
        "Profile cannot be completed until its prerequisites are met";
    pub const BRAND_SUBMITTED: &str =
        "The profile's brand was submitted to TCR and can no longer be changed";
    pub const UNSUPPORTED_MEDIA_TYPE: &str =
        "Content-Type must be application/json (or another JSON media type)";
}

/// The operation a 500 names: `Failed to <verb> profile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Complete,
    List,
    Retrieve,
}

impl Operation {
    pub fn verb(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Complete => "complete",
            Operation::List => "list",
            Operation::Retrieve => "retrieve",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// 400 `VALIDATION_001` with field problems.
    Validation(Details),
    /// 400 `VALIDATION_003`, details under the offending parameter.
    InvalidGuid { field: &'static str },
    /// 400 `VALIDATION_007`, details under `Idempotency-Key`.
    InvalidIdempotencyKey { problem: &'static str },
    /// 401 `AUTH_001`.
    NotAuthenticated,
    /// 401 `AUTH_002`.
    InvalidApiKey,
    /// 403 `AUTH_004`.
    Forbidden,
    /// 404 `RESOURCE_005`.
    OrganizationNotFound,
    /// 404 `RESOURCE_014`.
    ProfileNotFound,
    /// 404 `ROUTE_NOT_FOUND` (the mock's own code).
    RouteNotFound { method: String, path: String },
    /// 405 `METHOD_NOT_ALLOWED` (the mock's own code), with the `allow` header.
    MethodNotAllowed {
        method: String,
        path: String,
        allow: &'static str,
    },
    /// 409 `CONFLICT_001`.
    ConcurrentIdempotentRequest,
    /// 413 `VALIDATION_001`.
    PayloadTooLarge { limit: usize },
    /// 415 `VALIDATION_001`.
    UnsupportedMediaType,
    /// 408 `REQUEST_TIMEOUT` (the mock's own code): the body did not arrive in time.
    RequestTimeout { after: std::time::Duration },
    /// 414 `URI_TOO_LONG` (the mock's own code).
    UriTooLong { limit: usize },
    /// 422 `VALIDATION_001`, `details: null`, a business rule's message.
    BusinessRule(String),
    /// 422 `VALIDATION_001`, the prerequisites of an operation, each under its field.
    Unprocessable {
        message: &'static str,
        details: Details,
    },
    /// 500 `INTERNAL_001`; the message names the operation and the request id.
    Internal(Operation),
    /// 503 `SERVICE_001`.
    ServiceUnavailable,
    /// 400 `SCENARIO_NOT_FOUND` (the mock's own code): `x-mock-scenario` names no scenario.
    ScenarioNotFound { name: String, known: Vec<String> },
    /// 404 `SCENARIO_NOT_FOUND` (the mock's own code): the control API has no such scenario.
    UnknownScenario { name: String },
    /// An answer a scenario scripted: any status, code, message and details.
    Scripted {
        status: StatusCode,
        code: String,
        message: String,
        details: Option<Details>,
    },
}

impl ApiError {
    /// A 400 with one problem under one field path.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![(path.into(), vec![message.into()])])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_)
            | ApiError::InvalidGuid { .. }
            | ApiError::InvalidIdempotencyKey { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotAuthenticated | ApiError::InvalidApiKey => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::OrganizationNotFound
            | ApiError::ProfileNotFound
            | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::ConcurrentIdempotentRequest => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::BusinessRule(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::ScenarioNotFound { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnknownScenario { .. } => StatusCode::NOT_FOUND,
            ApiError::Scripted { status, .. } => *status,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            ApiError::Validation(_)
            | ApiError::PayloadTooLarge { .. }
            | ApiError::UnsupportedMediaType
            | ApiError::BusinessRule(_)
            | ApiError::Unprocessable { .. } => "VALIDATION_001",
            ApiError::InvalidGuid { .. } => "VALIDATION_003",
            ApiError::InvalidIdempotencyKey { .. } => "VALIDATION_007",
            ApiError::NotAuthenticated => "AUTH_001",
            ApiError::InvalidApiKey => "AUTH_002",
            ApiError::Forbidden => "AUTH_004",
            ApiError::OrganizationNotFound => "RESOURCE_005",
            ApiError::ProfileNotFound => "RESOURCE_014",
            ApiError::RouteNotFound { .. } => "ROUTE_NOT_FOUND",
            ApiError::MethodNotAllowed { .. } => "METHOD_NOT_ALLOWED",
            ApiError::ConcurrentIdempotentRequest => "CONFLICT_001",
            ApiError::RequestTimeout { .. } => "REQUEST_TIMEOUT",
            ApiError::UriTooLong { .. } => "URI_TOO_LONG",
            ApiError::Internal(_) => "INTERNAL_001",
            ApiError::ServiceUnavailable => "SERVICE_001",
            ApiError::ScenarioNotFound { .. } | ApiError::UnknownScenario { .. } => {
                "SCENARIO_NOT_FOUND"
            }
            ApiError::Scripted { code, .. } => code,
        }
    }

    /// The message; `request_id` is needed only by the 500, which quotes it.
    pub fn message(&self, request_id: &str) -> String {
        use messages::*;
        match self {
            ApiError::Validation(_) => VALIDATION_FAILED.into(),
            ApiError::InvalidGuid { .. } => INVALID_GUID.into(),
            ApiError::InvalidIdempotencyKey { .. } => INVALID_IDEMPOTENCY_KEY.into(),
            ApiError::NotAuthenticated => NOT_AUTHENTICATED.into(),
            ApiError::InvalidApiKey => INVALID_API_KEY.into(),
            ApiError::Forbidden => FORBIDDEN.into(),
            ApiError::OrganizationNotFound => ORGANIZATION_NOT_FOUND.into(),
            ApiError::ProfileNotFound => PROFILE_NOT_FOUND.into(),
            ApiError::RouteNotFound { method, path } => {
                format!("No route matches {method} {path}")
            }
            ApiError::MethodNotAllowed {
                method,
                path,
                allow,
            } => {
                format!("Method {method} is not allowed on {path}; allowed: {allow}")
            }
            ApiError::ConcurrentIdempotentRequest => CONCURRENT_IDEMPOTENT_REQUEST.into(),
            ApiError::PayloadTooLarge { limit } => {
                format!("Request body exceeds the limit of {limit} bytes")
            }
            ApiError::UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE.into(),
            ApiError::RequestTimeout { after } => format!(
                "The request body did not arrive within {} ms",
                after.as_millis()
            ),
            ApiError::UriTooLong { limit } => {
                format!("The request target is longer than {limit} bytes")
            }
            ApiError::BusinessRule(message) => message.clone(),
            ApiError::Unprocessable { message, .. } => (*message).into(),
            ApiError::Internal(op) => format!(
                "Failed to {} {}. Please contact support with request ID: {request_id}",
                op.verb(),
                if *op == Operation::List {
                    "profiles"
                } else {
                    "profile"
                }
            ),
            ApiError::ServiceUnavailable => CACHE_UNAVAILABLE.into(),
            ApiError::ScenarioNotFound { name, known } => format!(
                "No scenario is named '{name}'; known scenarios: {}",
                known.join(", ")
            ),
            ApiError::UnknownScenario { name } => format!("No scenario is named '{name}'"),
            ApiError::Scripted { message, .. } => message.clone(),
        }
    }

    pub fn details(&self) -> Option<Details> {
        match self {
            ApiError::Validation(details) | ApiError::Unprocessable { details, .. } => {
                Some(details.clone())
            }
            ApiError::InvalidGuid { field } => Some(vec![(
                (*field).into(),
                vec![format!("{field} must be a valid UUID")],
            )]),
            ApiError::InvalidIdempotencyKey { problem } => {
                Some(vec![("Idempotency-Key".into(), vec![(*problem).into()])])
            }
            ApiError::PayloadTooLarge { limit } => Some(vec![(
                "body".into(),
                vec![format!("body must be at most {limit} bytes")],
            )]),
            ApiError::UnsupportedMediaType => Some(vec![(
                "Content-Type".into(),
                vec!["Content-Type must be application/json".into()],
            )]),
            ApiError::ScenarioNotFound { known, .. } => {
                Some(vec![("x-mock-scenario".into(), known.clone())])
            }
            ApiError::Scripted { details, .. } => details.clone(),
            _ => None,
        }
    }
}

/// The catalog (CONTRACT §3) by code: its status and message. `INTERNAL_001`'s message names
/// the operation and the request id, so it is built by [`ApiError::Internal`] instead.
pub fn catalog(code: &str) -> Option<(StatusCode, &'static str)> {
    use messages::*;
    let entry = match code {
        "VALIDATION_001" => (StatusCode::BAD_REQUEST, VALIDATION_FAILED),
        "VALIDATION_003" => (StatusCode::BAD_REQUEST, INVALID_GUID),
        "VALIDATION_007" => (StatusCode::BAD_REQUEST, INVALID_IDEMPOTENCY_KEY),
        "AUTH_001" => (StatusCode::UNAUTHORIZED, NOT_AUTHENTICATED),
        "AUTH_002" => (StatusCode::UNAUTHORIZED, INVALID_API_KEY),
        "AUTH_004" => (StatusCode::FORBIDDEN, FORBIDDEN),
        "RESOURCE_005" => (StatusCode::NOT_FOUND, ORGANIZATION_NOT_FOUND),
        "RESOURCE_014" => (StatusCode::NOT_FOUND, PROFILE_NOT_FOUND),
        "CONFLICT_001" => (StatusCode::CONFLICT, CONCURRENT_IDEMPOTENT_REQUEST),
        "BUSINESS_002" => (StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED),
        "INTERNAL_001" => (StatusCode::INTERNAL_SERVER_ERROR, ""),
        "SERVICE_001" => (StatusCode::SERVICE_UNAVAILABLE, CACHE_UNAVAILABLE),
        _ => return None,
    };
    Some(entry)
}

/// The catalog code a bare status stands for in a scenario step (`{"status": 429}`).
pub fn code_for_status(status: StatusCode) -> Option<&'static str> {
    Some(match status.as_u16() {
        400 | 422 => "VALIDATION_001",
        401 => "AUTH_002",
        403 => "AUTH_004",
        404 => "RESOURCE_014",
        409 => "CONFLICT_001",
        429 => "BUSINESS_002",
        500 => "INTERNAL_001",
        503 => "SERVICE_001",
        _ => return None,
    })
}
