//! The request pipeline: one request in, one response out, through the stages in the order
//! the contract fixes (CONTRACT §5.1). Each stage either passes typed values on or ends the
//! request with an [`ApiError`]; no stage calls back into an earlier one.

use bytes::Bytes;
use http::HeaderValue;

use crate::auth::{self, Caller, Need};
use crate::body;
use crate::clock::Timestamp;
use crate::control;
use crate::error::{messages, ApiError};
use crate::idempotency::{self, Begin, Fingerprint, IdempotencyKey, MismatchMode, Scope, Stored};
use crate::ids::RequestId;
use crate::json::Json;
use crate::profiles::create;
use crate::request::Request;
use crate::response::{
    self, Meta, Reply, IDEMPOTENT_REPLAYED, X_ORIGINAL_REQUEST_ID, X_PROFILE_ID,
};
use crate::route::{self, Route};
use crate::state::App;

/// What one request knows about itself: its id and its one reading of the clock.
#[derive(Debug)]
pub struct Context {
    pub request_id: RequestId,
    pub now: Timestamp,
}

impl Context {
    pub fn new(app: &App) -> Context {
        Context {
            request_id: app.ids.request_id(),
            now: app.clock.now(),
        }
    }

    pub fn meta(&self) -> Meta<'_> {
        Meta {
            request_id: &self.request_id,
            timestamp: self.now,
        }
    }
}

/// Answers one buffered request.
pub async fn handle(app: &App, req: &Request) -> http::Response<Bytes> {
    let ctx = Context::new(app);
    let reply = respond(app, &ctx, req)
        .await
        .unwrap_or_else(|err| response::error(ctx.meta(), &err));
    response::finish(reply, &ctx.request_id, req.received)
}

/// Answers a request whose body could not be buffered (over the limit, or cut short). The
/// connection closes after the answer: what is left of the body is never read.
pub fn reject(app: &App, err: &ApiError, req: &Request) -> http::Response<Bytes> {
    let ctx = Context::new(app);
    let mut reply = response::error(ctx.meta(), err);
    reply.close = true;
    response::finish(reply, &ctx.request_id, req.received)
}

async fn respond(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
    let route = route::resolve(&req.method, &req.path)?;
    let Some(need) = need(route) else {
        return match route {
            Route::Control(control) => control::handle(app, ctx, control, req),
            _ => unreachable!("every API route needs a caller"),
        };
    };
    let caller = auth::authenticate(
        &app.directory,
        &app.profiles,
        app.config.any_api_key,
        req,
        need,
    )?;
    let key = idempotency::key_of(req)?;
    let body = Some(body::object(req));
    let mut reply = match key {
        None => execute(app, ctx, &caller, route, body),
        Some(key) => idempotent(app, ctx, &caller, route, req, key, body).await?,
    };
    if let Some(scope) = caller.scope {
        if let Ok(value) = HeaderValue::from_str(&scope.to_string()) {
            reply.headers.insert(X_PROFILE_ID, value);
        }
    }
    Ok(reply)
}

/// What an API route needs of its caller; `None` for the control API, which needs no key.
fn need(route: Route) -> Option<Need> {
    match route {
        Route::CreateProfile => Some(Need::Mutate),
        Route::Control(_) => None,
    }
}

/// Runs a request under its Idempotency-Key (CONTRACT §6): the first one executes and its final
/// answer is stored; later ones replay it, wait for it, or are refused.
async fn idempotent(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: Route,
    req: &Request,
    key: IdempotencyKey,
    body: Option<Result<Json<'_>, ApiError>>,
) -> Result<Reply, ApiError> {
    let parsed = body.as_ref().and_then(|b| b.as_ref().ok());
    let fingerprint = Fingerprint::of(&req.method, &req.path, parsed, &req.body);
    let scope = Scope {
        organization: caller.organization.id,
        key,
    };
    let settings = app.idempotency.settings();
    let deadline = tokio::time::Instant::now() + settings.wait;
    loop {
        match app.idempotency.begin(scope.clone(), fingerprint, ctx.now) {
            Begin::Proceed(flight) => {
                let reply = execute(app, ctx, caller, route, body);
                flight.complete(&reply, &ctx.request_id, ctx.now, false);
                return Ok(reply);
            }
            Begin::Replay(stored) => return Ok(replay(&stored)),
            Begin::Mismatch(stored) => {
                return match settings.mismatch {
                    MismatchMode::Replay => Ok(replay(&stored)),
                    MismatchMode::Reject => Err(ApiError::BusinessRule(
                        messages::IDEMPOTENCY_KEY_REUSED.to_owned(),
                    )),
                }
            }
            Begin::Wait(mut running) => {
                // The channel closes when the running request completes or is abandoned.
                if tokio::time::timeout_at(deadline, running.changed())
                    .await
                    .is_err()
                {
                    return Err(ApiError::ConcurrentIdempotentRequest);
                }
            }
            Begin::Full => return Err(ApiError::ServiceUnavailable),
        }
    }
}

/// A stored answer again: same status and body, the original request id beside the new one.
fn replay(stored: &Stored) -> Reply {
    let mut headers = stored.headers.clone();
    headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    if let Ok(id) = HeaderValue::from_str(&stored.request_id) {
        headers.insert(X_ORIGINAL_REQUEST_ID, id);
    }
    Reply {
        status: stored.status,
        headers,
        body: stored.body.clone(),
        close: false,
    }
}

/// The endpoint itself; its failures become answers here, so that a final one (404, 422) can
/// be stored for replay like a success.
fn execute(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: Route,
    body: Option<Result<Json<'_>, ApiError>>,
) -> Reply {
    let result = match route {
        Route::CreateProfile => body
            .unwrap_or_else(|| Err(missing_body()))
            .and_then(|doc| create::validate(&doc, ctx.now))
            .and_then(|input| {
                create::execute(ctx, &app.profiles, &app.ids, &caller.organization, input)
            }),
        Route::Control(_) => unreachable!("the control API is answered before authentication"),
    };
    result.unwrap_or_else(|err| response::error(ctx.meta(), &err))
}

fn missing_body() -> ApiError {
    ApiError::field("body", "body is required and must be a JSON object")
}
