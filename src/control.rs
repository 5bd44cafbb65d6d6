//! The control API (`/_mock/…`, CONTRACT §9): not part of Sent's API, for tests and local
//! development. It needs no API key; `--admin-token` puts it behind a bearer token (health
//! stays open for `curl --retry`) and `--no-admin` switches it off. Answers use the same
//! envelope as the API, so that one client reads both.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::body;
use crate::clock::{parse_duration, Timestamp};
use crate::config::Admin;
use crate::directory::{ApiKey, Grant, Organization, Role};
use crate::error::ApiError;
use crate::journal::{Entry, Filter};
use crate::pipeline::Context;
use crate::request::Request;
use crate::response::{self, Reply};
use crate::route::Control;
use crate::scenarios::model;
use crate::state::App;
use crate::validate::{Object, Problems, Read};

/// Whether the control API answers this request at all, and to whom.
pub fn admit(app: &App, control: &Control, req: &Request) -> Result<(), ApiError> {
    match &app.config.admin {
        Admin::Open => Ok(()),
        Admin::Off => Err(ApiError::RouteNotFound {
            method: req.method.to_string(),
            path: req.path.clone(),
        }),
        Admin::Token(_) if *control == Control::Health => Ok(()),
        Admin::Token(token) => {
            // The scheme's name is case-insensitive (RFC 9110), the token is not.
            let presented = req
                .header(&http::header::AUTHORIZATION)
                .and_then(Result::ok)
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token.trim());
            if presented == Some(token.as_str()) {
                Ok(())
            } else {
                Err(ApiError::NotAuthenticated)
            }
        }
    }
}

pub fn handle(
    app: &App,
    ctx: &Context,
    control: Control,
    req: &Request,
) -> Result<Reply, ApiError> {
    let meta = ctx.meta();
    match control {
        Control::Health => Ok(response::ok(
            meta,
            &json!({
                "status": "ok",
                "connections": app.counters.connections(),
                "requests_in_flight": app.counters.requests(),
                "idempotency": {
                    "records": app.idempotency.len(),
                    "running": app.idempotency.running(),
                },
                "profiles": app.profiles.len(),
            }),
        )),
        Control::Reset => {
            app.reset();
            Ok(response::ok(meta, &json!({"reset": true})))
        }
        Control::ListScenarios => {
            let all = app.scenarios.all();
            let sources: Vec<&Value> = all.iter().map(|s| &s.source).collect();
            Ok(response::ok(meta, &json!({ "scenarios": sources })))
        }
        Control::GetScenario(name) => {
            let scenario = app
                .scenarios
                .get(&name)
                .ok_or(ApiError::UnknownScenario { name })?;
            Ok(response::ok(meta, &json!({ "scenario": scenario.source })))
        }
        Control::PutScenario => put_scenario(app, ctx, req),
        Control::RemoveScenario(name) => {
            if app.scenarios.remove(&name) {
                Ok(response::no_content())
            } else {
                Err(ApiError::UnknownScenario { name })
            }
        }
        Control::Requests => {
            let filter = filter(req)?;
            #[derive(Serialize)]
            struct Requests<'a> {
                requests: Vec<&'a Entry>,
            }
            let entries = app.journal.list(&filter);
            let requests = entries.iter().map(|e| &**e).collect();
            Ok(response::ok(meta, &Requests { requests }))
        }
        Control::ReadClock => Ok(response::ok(
            meta,
            &ClockState {
                now: app.clock.now(),
            },
        )),
        Control::MoveClock => move_clock(app, ctx, req),
        Control::MintOrganization => mint_organization(app, ctx, req),
        Control::Fixtures => Ok(response::ok(meta, &fixtures(app))),
    }
}

/// `POST /_mock/scenarios`: the body is one scenario, checked like a file.
fn put_scenario(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
    body::object(req)?;
    let source: Value = serde_json::from_slice(&req.body)
        .map_err(|e| ApiError::field("body", format!("body must be valid JSON: {e}")))?;
    let scenario = model::from_value(source).map_err(|problem| ApiError::field("body", problem))?;
    let name = scenario.name.to_string();
    let replaced = app.scenarios.upsert(scenario);
    let source = app.scenarios.get(&name).map(|s| s.source.clone());
    Ok(response::ok(
        ctx.meta(),
        &json!({ "scenario": source, "replaced": replaced }),
    ))
}

/// The journal's filters from the query: `path` (a prefix), `idempotency_key`,
/// `organization_id`, `api_key` and `limit`.
fn filter(req: &Request) -> Result<Filter, ApiError> {
    let mut filter = Filter::default();
    for (name, value) in req.query_pairs() {
        match name.as_str() {
            "path" => filter.path = Some(value),
            "idempotency_key" | "key" => filter.idempotency_key = Some(value),
            "api_key" => filter.api_key = Some(value),
            "organization_id" => {
                filter.organization_id = Some(Uuid::try_parse(&value).map_err(|_| {
                    ApiError::field("organization_id", "organization_id must be a UUID")
                })?)
            }
            "limit" => {
                filter.limit = Some(value.parse().map_err(|_| {
                    ApiError::field("limit", "limit must be a whole number")
                })?)
            }
            other => {
                return Err(ApiError::field(
                    other,
                    format!("{other} is not a filter; use path, idempotency_key, organization_id, api_key or limit"),
                ))
            }
        }
    }
    Ok(filter)
}

#[derive(Serialize)]
struct ClockState {
    now: Timestamp,
}

/// `POST /_mock/clock` with `{"advance": "25h"}` or `{"set": "<RFC 3339>"}`: moves the mock
/// clock, which every timestamp and every expiry reads, and answers the new time.
fn move_clock(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
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
    let now = match problems.finish(step)? {
        Some(Move::Advance(by)) => app.clock.advance(by),
        Some(Move::Set(to)) => app.clock.set(to),
        None => app.clock.now(),
    };
    Ok(response::ok(ctx.meta(), &ClockState { now }))
}

/// `POST /_mock/organizations` with `{"name"?, "waba"?: bool, "scenario"?}`: a fresh tenant
/// with an admin and a developer key, so that parallel tests never share profiles,
/// idempotency keys or scenario counters.
fn mint_organization(app: &App, ctx: &Context, req: &Request) -> Result<Reply, ApiError> {
    let doc = if req.body.is_empty() {
        crate::json::Json::Object(Vec::new())
    } else {
        body::object(req)?
    };
    let obj = Object::root(&doc);
    let mut problems = Problems::default();
    let name = obj.string(&mut problems, "name").value().map(str::to_owned);
    let waba = obj.bool(&mut problems, "waba").value().unwrap_or(true);
    let scenario = match obj.string(&mut problems, "scenario") {
        Read::Value(name) if app.scenarios.get(name).is_none() => {
            problems.add(
                "scenario",
                format!("scenario: no scenario is named '{name}'"),
            );
            None
        }
        read => read.value().map(str::to_owned),
    };
    problems.finish(())?;

    let id = app.ids.uuid();
    let short = id.simple().to_string();
    let org = Organization {
        id,
        name: name.unwrap_or_else(|| format!("Test Organization {}", &short[..8])),
        email: format!("org-{}@mock.sent.dm", &short[..8]),
        waba_id: waba.then(|| format!("1{:014}", id.as_u128() % 100_000_000_000_000)),
        exists: true,
    };
    let mut keys = Vec::new();
    for (role, suffix) in [(Role::Admin, "admin"), (Role::Developer, "developer")] {
        let token = app.ids.uuid().simple().to_string();
        keys.push(ApiKey {
            key: format!("sk_test_{}_{suffix}", &token[..20]),
            organization_id: id,
            grant: Grant::Organization(role),
            description: format!("{} of {} (minted)", suffix, org.name),
            scenario: scenario.clone(),
        });
    }
    app.directory.add_organization(org.clone());
    for key in &keys {
        app.directory.add_key(key.clone());
    }
    Ok(response::ok(
        ctx.meta(),
        &json!({
            "organization": org,
            "keys": keys.iter().map(key_view).collect::<Vec<_>>(),
        }),
    ))
}

fn key_view(key: &ApiKey) -> Value {
    let (role, profile_id) = key.grant.fields();
    json!({
        "key": key.key,
        "role": role,
        "profile_id": profile_id,
        "description": key.description,
        "scenario": key.scenario,
    })
}

/// `GET /_mock/fixtures`: every organization the mock knows (minted ones included), its keys
/// (they are test keys) and its seed profiles.
fn fixtures(app: &App) -> Value {
    let keys = app.directory.keys();
    let organizations: Vec<Value> = app
        .directory
        .organizations()
        .iter()
        .map(|org| {
            let seeds: Vec<Uuid> = app
                .fixtures
                .profiles
                .iter()
                .filter(|p| p.organization_id == org.id)
                .map(|p| p.id)
                .collect();
            json!({
                "id": org.id,
                "name": org.name,
                "email": org.email,
                "waba_id": org.waba_id,
                "exists": org.exists,
                "default": app.directory.default_organization() == Some(org.id),
                "keys": keys.iter().filter(|k| k.organization_id == org.id).map(|k| key_view(k)).collect::<Vec<_>>(),
                "seed_profiles": seeds,
            })
        })
        .collect();
    json!({ "organizations": organizations })
}
