//! The control API (`/_mock/…`, CONTRACT §9): not part of Sent's API, for tests and local
//! development. Answers use the same envelope as the API so that one client reads both.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::body;
use crate::clock::{parse_duration, Timestamp};
use crate::error::ApiError;
use crate::pipeline::Context;
use crate::request::Request;
use crate::response::{self, Reply};
use crate::route::Control;
use crate::state::App;
use crate::validate::{Object, Problems};

pub fn handle(
    app: &App,
    ctx: &Context,
    control: Control,
    req: &Request,
) -> Result<Reply, ApiError> {
    match control {
        Control::Clock => clock(app, ctx, req),
    }
}

#[derive(Serialize)]
struct ClockState {
    now: Timestamp,
}

/// `POST /_mock/clock` with `{"advance": "25h"}` or `{"set": "<RFC 3339>"}`: moves the mock
/// clock, which every timestamp and every expiry reads, and answers the new time.
fn clock(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
    enum Move {
        Advance(chrono::Duration),
        Set(DateTime<Utc>),
    }
    let doc = body::object(req)?;
    let obj = Object::root(&doc);
    let mut problems = Problems::default();
    let advance = obj.string(&mut problems, "advance").value().map(|text| {
        parse_duration(text)
            .ok()
            .and_then(|d| chrono::Duration::from_std(d).ok())
    });
    let set = obj.string(&mut problems, "set").value().map(|text| {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    });
    let step = match (advance, set) {
        (Some(_), Some(_)) => {
            problems.add("body", "give one of advance and set, not both");
            None
        }
        (Some(Some(by)), None) => Some(Move::Advance(by)),
        (None, Some(Some(to))) => Some(Move::Set(to)),
        (Some(None), None) => {
            problems.add(
                "advance",
                "advance must be a duration such as 25h, 90m, 30s or 24h1s",
            );
            None
        }
        (None, Some(None)) => {
            problems.add(
                "set",
                "set must be an RFC 3339 time such as 2026-03-11T21:50:50Z",
            );
            None
        }
        (None, None) if problems.is_empty() => {
            problems.add(
                "body",
                "give one of advance (e.g. \"25h\") and set (an RFC 3339 time)",
            );
            None
        }
        (None, None) => None,
    };
    let step = problems.finish(step)?;
    let now = match step {
        Some(Move::Advance(by)) => app.clock.advance(by),
        Some(Move::Set(to)) => app.clock.set(to),
        None => app.clock.now(),
    };
    Ok(response::ok(ctx.meta(), &ClockState { now }))
}
