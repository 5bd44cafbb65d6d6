//! The request pipeline: one request in, one response out, through the stages in the order
//! the contract fixes (CONTRACT §5.1). Each stage either passes typed values on or ends the
//! request with an [`ApiError`]; no stage calls back into an earlier one.

use bytes::Bytes;
use http::HeaderValue;

use crate::auth::{self, Caller, Need};
use crate::body;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::ids::RequestId;
use crate::profiles::create;
use crate::request::Request;
use crate::response::{self, Meta, Reply, X_PROFILE_ID};
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
    let reply = respond(app, &ctx, req).unwrap_or_else(|err| response::error(ctx.meta(), &err));
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

fn respond(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
    let route = route::resolve(&req.method, &req.path)?;
    let caller = auth::authenticate(
        &app.directory,
        &app.profiles,
        app.config.any_api_key,
        req,
        need(route),
    )?;
    let mut reply = execute(app, ctx, &caller, route, req)
        .unwrap_or_else(|err| response::error(ctx.meta(), &err));
    if let Some(scope) = caller.scope {
        if let Ok(value) = HeaderValue::from_str(&scope.to_string()) {
            reply.headers.insert(X_PROFILE_ID, value);
        }
    }
    Ok(reply)
}

fn need(route: Route) -> Need {
    match route {
        Route::CreateProfile => Need::Mutate,
    }
}

fn execute(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: Route,
    req: &Request,
) -> Result<Reply, ApiError> {
    match route {
        Route::CreateProfile => {
            let doc = body::object(req)?;
            let input = create::validate(&doc, ctx.now)?;
            create::execute(ctx, &app.profiles, &app.ids, &caller.organization, input)
        }
    }
}
