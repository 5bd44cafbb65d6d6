//! The request pipeline: one request in, one answer out, through the stages in the order
//! the contract fixes (CONTRACT §5.1):
//!
//! route → authenticate → Idempotency-Key format → replay (or wait) → parse the body →
//! scenario → validate → business rules → apply → answer → store for replay → journal.
//!
//! A create body that nothing needs as a document is parsed and validated in one pass
//! (`profiles::one_pass`); any other body, and any body that pass gives up on, is parsed into
//! a document and validated from it. The stages are the same either way.
//!
//! Each stage either passes typed values on or ends the request with an [`ApiError`]; no stage
//! calls back into an earlier one. The only awaits are the waits the contract asks for: a
//! request waiting for another with its key, and a scenario's delay, both with no lock held.

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderValue;
use uuid::Uuid;

use crate::auth::{self, Caller, Need};
use crate::body;
use crate::callbacks;
use crate::clock::Timestamp;
use crate::control;
use crate::error::{messages, ApiError};
use crate::idempotency::{self, Begin, Completion, IdempotencyKey, MismatchMode, RawPrint, Stored};
use crate::ids::RequestId;
use crate::journal::{self, Entry, Kind, Redaction};
use crate::json::Json;
use crate::profiles::create::CreateProfile;
use crate::profiles::one_pass::{self, OnePass};
use crate::profiles::{complete, create, delete, list, retrieve, update};
use crate::request::Request;
use crate::response::{self, Fault, Meta, Reply, X_PROFILE_ID};
use crate::route::{self, BodyUse, Route};
use crate::scenarios::{self, Action, BodyView};
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

/// A request's body as the stages after parsing read it.
enum Body<'r> {
    /// Any body, as a JSON document.
    Document(Json<'r>),
    /// A create body read in one pass: already valid. Boxed: it is larger than a document,
    /// and the body waits in the request's future through a scenario's delay.
    Create(Box<CreateProfile<'r>>),
}

impl<'r> Body<'r> {
    /// The document, which a body read in one pass has not: only a create reads one, and the
    /// stages that need a document (a retry's comparison under `reject`, a scenario's body
    /// condition) keep it from doing so.
    fn document(&self) -> Option<&Json<'r>> {
        match self {
            Body::Document(doc) => Some(doc),
            Body::Create(_) => None,
        }
    }

    /// What scenarios' body conditions see of it.
    fn view(&self) -> BodyView<'_, 'r> {
        match self {
            Body::Document(doc) => BodyView::Document(doc),
            Body::Create(_) => BodyView::Screened,
        }
    }
}

/// The finished response, and the transport fault a scenario asked for, if any.
pub struct Answer {
    pub response: http::Response<Bytes>,
    pub fault: Option<Fault>,
}

/// What the journal learns about a request on its way through.
#[derive(Default)]
struct Trace<'r> {
    /// Control API requests are not journaled: the journal is what clients sent the API.
    control: bool,
    /// The `x-api-key` header, read once: authentication checks it, and the journal keeps a
    /// keyed hash of it.
    api_key: Option<Result<&'r str, ()>>,
    organization_id: Option<Uuid>,
    idempotency_key: Option<IdempotencyKey>,
    scenario: Option<Arc<str>>,
    replayed: bool,
    /// Where the body's secrets are: the journal writes the body with them overwritten, and
    /// the idempotency record keeps the plan for retries with the same bytes.
    redaction: Option<Redaction>,
    /// The redacted body's text, for the rare body whose secrets have no place in its bytes
    /// (a number, an escaped string) and which is therefore written out again.
    body: Option<String>,
}

impl<'r> Trace<'r> {
    fn of(req: &'r Request) -> Trace<'r> {
        Trace {
            api_key: req.header(&auth::API_KEY_HEADER),
            ..Trace::default()
        }
    }
}

/// Answers one buffered request.
pub async fn handle(app: &App, req: &Request) -> Answer {
    let ctx = Context::new(app);
    let mut trace = Trace::of(req);
    let reply = respond(app, &ctx, req, &mut trace)
        .await
        .unwrap_or_else(|err| response::error(ctx.meta(), &err));
    finish(app, &ctx, req, trace, reply)
}

/// Answers a request whose body could not be buffered (over the limit, or cut short). The
/// connection closes after the answer: what is left of the body is never read.
pub fn reject(app: &App, err: &ApiError, req: &Request) -> Answer {
    let ctx = Context::new(app);
    let mut reply = response::error(ctx.meta(), err);
    reply.close = true;
    finish(app, &ctx, req, Trace::of(req), reply)
}

fn finish(app: &App, ctx: &Context, req: &Request, trace: Trace<'_>, reply: Reply) -> Answer {
    let fault = reply.fault;
    if !trace.control && app.journal.is_enabled() {
        record(app, ctx, req, trace, &reply);
    }
    Answer {
        response: response::finish(reply, &ctx.request_id, req.received),
        fault,
    }
}

async fn respond(
    app: &App,
    ctx: &Context,
    req: &Request,
    trace: &mut Trace<'_>,
) -> Result<Reply, ApiError> {
    // The control API's paths, known or not, are not part of what clients sent the API.
    trace.control = route::is_control(&req.path);
    let route = route::resolve(&req.method, &req.path)?;
    let need = match route {
        Route::Control(control) => {
            control::admit(app, &control, req)?;
            return control::handle(app, ctx, control, req);
        }
        Route::ListProfiles | Route::RetrieveProfile(_) => Need::Read,
        Route::CreateProfile
        | Route::UpdateProfile(_)
        | Route::DeleteProfile(_)
        | Route::CompleteProfile(_) => Need::Mutate,
    };
    let caller = auth::authenticate(
        &app.directory,
        &app.profiles,
        app.config.any_api_key,
        trace.api_key,
        req,
        need,
    )?;
    trace.organization_id = Some(caller.organization.id);
    // Reads ignore the header: replaying a read would only hide changes.
    let key = match need {
        Need::Read => None,
        Need::Mutate => idempotency::key_of(req)?,
    };
    trace.idempotency_key.clone_from(&key);
    let mut reply = match key {
        None => {
            let body = parse_body(app, ctx, &route, req, trace);
            run(app, ctx, &caller, &route, req, body, trace).await.reply
        }
        Some(key) => idempotent(app, ctx, &caller, &route, req, key, trace).await?,
    };
    if let Some(scope) = caller.scope {
        if let Ok(value) = HeaderValue::from_str(&scope.to_string()) {
            reply.headers.push((X_PROFILE_ID, value));
        }
    }
    Ok(reply)
}

/// The body as the route reads it; the trace learns where its secrets are, for the journal.
fn parse_body<'r>(
    app: &App,
    ctx: &Context,
    route: &Route,
    req: &'r Request,
    trace: &mut Trace<'_>,
) -> Option<Result<Body<'r>, ApiError>> {
    if let Some(read) = read_in_one_pass(app, ctx, route, req) {
        if app.journal.is_enabled() {
            trace.redaction = Some(Redaction::of_spans(read.secrets));
        }
        return Some(Ok(Body::Create(Box::new(read.input))));
    }
    let body = match route.body() {
        BodyUse::Required => Some(body::object(req)),
        BodyUse::Optional if !req.body.is_empty() => Some(body::object(req)),
        BodyUse::Optional | BodyUse::None => None,
    };
    if let (Some(Ok(doc)), true) = (&body, app.journal.is_enabled()) {
        trace.redaction = Redaction::plan(&req.body, doc);
        if trace.redaction.is_none() {
            trace.body = Some(journal::redact_body(&req.body, doc));
        }
    }
    body.map(|read| read.map(Body::Document))
}

/// A create body read without a document, where nothing needs one: its media type is JSON,
/// no scenario's body condition waits for one of its strings, and no retry will be compared
/// with it (`reject` fingerprints the document). `None` for every other body, and for one the
/// pass gives up on.
fn read_in_one_pass<'r>(
    app: &App,
    ctx: &Context,
    route: &Route,
    req: &'r Request,
) -> Option<OnePass<'r>> {
    if !matches!(route, Route::CreateProfile)
        || app.idempotency.settings().mismatch != MismatchMode::Replay
        || !body::is_json_request(req)
    {
        return None;
    }
    app.scenarios.with_screen(|screen| {
        screen
            .is_usable()
            .then(|| one_pass::read(&req.body, ctx.now, |value| screen.may_match(value)))
            .flatten()
    })
}

/// Runs a request under its Idempotency-Key (CONTRACT §6): the first one executes and its final
/// answer is stored; later ones replay it, wait for it, or are refused. A retry with the very
/// same bytes is answered before its body is even parsed (the contract's order: replay, then
/// parse).
async fn idempotent(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: &Route,
    req: &Request,
    key: IdempotencyKey,
    trace: &mut Trace<'_>,
) -> Result<Reply, ApiError> {
    let scope = app.idempotency.scope(caller.organization.id, key);
    // The key's place in the store comes from memory while the body is fingerprinted.
    app.idempotency.prefetch(&scope);
    let raw = RawPrint::of(&req.method, &req.path, &req.body);
    let canonical_of = |body: &Option<Result<Body<'_>, ApiError>>| {
        let parsed = body
            .as_ref()
            .and_then(|b| b.as_ref().ok())
            .and_then(Body::document);
        idempotency::canonical(&req.method, &req.path, parsed, &req.body)
    };
    let settings = app.idempotency.settings();
    // Read the clock only if a wait happens: almost no request waits.
    let mut deadline = None;
    let flight = loop {
        match app.idempotency.begin(&scope, raw, ctx.now) {
            Begin::Proceed(flight) => break flight,
            Begin::Replay(stored) => {
                // The same bytes as the stored request: its redaction plan fits them.
                trace.redaction = stored.redaction.clone();
                trace.replayed = true;
                return Ok(replay(&stored));
            }
            Begin::Compare(stored) => {
                let body = parse_body(app, ctx, route, req, trace);
                if settings.mismatch == MismatchMode::Replay
                    || Some(canonical_of(&body)) == stored.canonical
                {
                    trace.replayed = true;
                    return Ok(replay(&stored));
                }
                return Err(ApiError::BusinessRule(
                    messages::IDEMPOTENCY_KEY_REUSED.to_owned(),
                ));
            }
            Begin::Wait(mut running) => {
                let deadline =
                    *deadline.get_or_insert_with(|| tokio::time::Instant::now() + settings.wait);
                // The channel closes when the running request completes or is abandoned.
                // Boxed, like a scenario's delay: waits are rare, and a timer inline would
                // make every request's future larger (see `server::run_to_the_end`).
                if Box::pin(tokio::time::timeout_at(deadline, running.changed()))
                    .await
                    .is_err()
                {
                    return Err(ApiError::ConcurrentIdempotentRequest);
                }
            }
            Begin::Full => return Err(ApiError::ServiceUnavailable),
        }
    };
    let body = parse_body(app, ctx, route, req, trace);
    // Only `reject` compares a retry with other bytes to the stored request. Under `replay`,
    // the default, such a retry gets the stored answer whatever it says (the mode is fixed
    // at start-up), so the fingerprint, a walk of the whole document, is not computed.
    let canonical = match settings.mismatch {
        MismatchMode::Reject => Some(canonical_of(&body)),
        MismatchMode::Replay => None,
    };
    let ran = run(app, ctx, caller, route, req, body, trace).await;
    flight.complete(Completion {
        reply: &ran.reply,
        request_id: &ctx.request_id,
        now: ctx.now,
        store: ran.store,
        canonical,
        redaction: trace.redaction.clone(),
    });
    Ok(ran.reply)
}

/// A stored answer again: same status and body, the original request id beside the new one.
fn replay(stored: &Stored) -> Reply {
    Reply {
        status: stored.status,
        headers: stored.headers.to_vec(),
        replay_of: Some(stored.request_id.clone()),
        body: stored.body.clone(),
        close: false,
        fault: None,
    }
}

/// A request's answer, and whether a scenario overrides the rule for storing it.
struct Ran {
    reply: Reply,
    store: Option<bool>,
}

/// The scenario stage, then the endpoint: what a request does once it may run.
async fn run(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: &Route,
    req: &Request,
    body: Option<Result<Body<'_>, ApiError>>,
    trace: &mut Trace<'_>,
) -> Ran {
    let answer = |err: ApiError| Ran {
        reply: response::error(ctx.meta(), &err),
        store: None,
    };
    let body = match body.transpose() {
        Ok(body) => body,
        Err(err) => return answer(err),
    };
    let header = req
        .header(&scenarios::HEADER)
        .map(|value| value.unwrap_or("\u{fffd}"));
    let scripted = match app.scenarios.select(
        header,
        caller.scenario.as_deref(),
        &req.method,
        &req.path,
        body.as_ref().map_or(BodyView::Nothing, Body::view),
        caller.organization.id,
    ) {
        Ok(scripted) => scripted,
        Err(err) => return answer(err),
    };
    let Some(scripted) = scripted else {
        return Ran {
            reply: execute(app, ctx, caller, route, body),
            store: None,
        };
    };
    trace.scenario = Some(Arc::clone(&scripted.scenario.name));
    let Some(step) = scripted.step() else {
        return Ran {
            reply: execute(app, ctx, caller, route, body),
            store: None,
        };
    };
    if let Some(delay) = step.delay {
        Box::pin(tokio::time::sleep(delay)).await;
    }
    let operation = route.operation();
    let (mut reply, store) = match &step.action {
        Action::Proceed => (execute(app, ctx, caller, route, body), step.store),
        Action::Answer(scripted) => (scenarios::render(ctx, operation, scripted), step.store),
        Action::Truncate(scripted) => {
            let mut reply = scenarios::render(ctx, operation, scripted);
            reply.fault = Some(Fault::Truncate);
            // Nothing ran, so a retry must run.
            (reply, Some(false))
        }
        Action::Close => {
            let mut reply = response::no_content();
            reply.fault = Some(Fault::Close);
            (reply, Some(false))
        }
        Action::DropAfterRun => {
            let mut reply = execute(app, ctx, caller, route, body);
            reply.fault = Some(Fault::Close);
            (reply, step.store)
        }
    };
    reply.headers.extend(
        step.headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone())),
    );
    Ran { reply, store }
}

/// The endpoint itself; its failures become answers here, so that a final one (404, 422) can
/// be stored for replay like a success.
fn execute(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: &Route,
    body: Option<Body<'_>>,
) -> Reply {
    let result = endpoint(app, ctx, caller, route, body);
    result.unwrap_or_else(|err| response::error(ctx.meta(), &err))
}

fn endpoint(
    app: &App,
    ctx: &Context,
    caller: &Caller,
    route: &Route,
    body: Option<Body<'_>>,
) -> Result<Reply, ApiError> {
    let profiles = &app.profiles;
    let org = &caller.organization;
    match route {
        Route::ListProfiles => list::execute(ctx, profiles, caller),
        Route::CreateProfile => match body {
            Some(Body::Create(input)) => create::execute(ctx, profiles, &app.ids, org, *input),
            Some(Body::Document(doc)) => {
                let input = create::validate(&doc, ctx.now)?;
                create::execute(ctx, profiles, &app.ids, org, input)
            }
            None => Err(body::missing()),
        },
        Route::RetrieveProfile(id) => retrieve::execute(ctx, profiles, caller, id.require()?),
        Route::UpdateProfile(id) => {
            let id = id.require()?;
            update::execute(
                ctx,
                profiles,
                &app.ids,
                caller,
                id,
                body.as_ref()
                    .and_then(Body::document)
                    .ok_or_else(body::missing)?,
            )
        }
        Route::DeleteProfile(id) => {
            let id = id.require()?;
            let input = delete::validate(body.as_ref().and_then(Body::document))?;
            delete::execute(ctx, profiles, caller, id, input)
        }
        Route::CompleteProfile(id) => {
            let id = id.require()?;
            let input = complete::validate(
                body.as_ref()
                    .and_then(Body::document)
                    .ok_or_else(body::missing)?,
            )?;
            let (reply, callback) = complete::execute(ctx, profiles, caller, id, input)?;
            if let Some(callback) = callback {
                callbacks::schedule(app, callback);
            }
            Ok(reply)
        }
        Route::Control(_) => unreachable!("the control API is answered before authentication"),
    }
}

/// One journal entry for a request that reached the API (or failed on the way).
fn record(app: &App, ctx: &Context, req: &Request, trace: Trace<'_>, reply: &Reply) {
    let (status, note) = match reply.fault {
        Some(Fault::Close) => (None, Some("connection closed without an answer".to_owned())),
        Some(Fault::Truncate) => (
            Some(reply.status.as_u16()),
            Some("answer truncated, then the connection closed".to_owned()),
        ),
        None => (Some(reply.status.as_u16()), None),
    };
    let api_key_hash = trace
        .api_key
        .and_then(Result::ok)
        .map(|key| app.journal.hash_key(key));
    app.journal.record(|e| {
        e.seq = app.journal.next_seq();
        e.kind = Kind::Request;
        e.at = ctx.now;
        Entry::set(&mut e.request_id, &ctx.request_id);
        Entry::set(&mut e.method, req.method.as_str());
        Entry::set(&mut e.path, &req.path);
        Entry::set_option(&mut e.query, req.query.as_deref());
        journal::write_headers(&req.headers, &mut e.headers);
        match (trace.body, &trace.redaction) {
            (Some(text), _) => e.body = Some(text.into_bytes()),
            (None, Some(plan)) => plan.apply_into(&req.body, e.body_buffer()),
            (None, None) => e.body = None,
        }
        e.body_bytes = req.body.len();
        e.status = status;
        e.note = note;
        Entry::set_option(&mut e.scenario, trace.scenario.as_deref());
        e.replayed = trace.replayed;
        e.organization_id = trace.organization_id;
        Entry::set_option(
            &mut e.idempotency_key,
            trace.idempotency_key.as_ref().map(IdempotencyKey::as_str),
        );
        e.api_key_hash = api_key_hash;
    });
}
