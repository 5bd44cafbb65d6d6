//! A scenario as written in a file (JSON) and as the mock runs it, with the checks that turn
//! the one into the other. A file that fails a check is refused with the problem named.
//!
//! ```json
//! {"name": "flaky", "description": "fails twice with 500, then succeeds",
//!  "match": {"method": "POST", "path": "/v3/profiles",
//!            "body": [{"path": "name", "equals": "mock:flaky"}]},
//!  "steps": [{"status": 500}, {"status": 500}, {"proceed": true}],
//!  "after": "cycle"}
//! ```

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::clock::parse_duration;
use crate::error::{catalog, code_for_status, Details};
use crate::json::{Json, Number};

/// A checked scenario.
#[derive(Debug)]
pub struct Scenario {
    pub name: Arc<str>,
    pub description: String,
    pub matcher: Option<Matcher>,
    pub steps: Vec<Step>,
    pub after: After,
    /// The scenario as it was given, for the control API's listing.
    pub source: Value,
}

/// What happens once every step has been used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum After {
    /// The last step again, for ever.
    Repeat,
    /// From the first step again.
    Cycle,
    /// Normal behaviour from then on.
    Proceed,
}

#[derive(Debug)]
pub struct Step {
    pub delay: Option<Duration>,
    pub action: Action,
    /// Headers added to whatever the step answers.
    pub headers: HeaderMap,
    /// Store the answer for idempotent replay even if it is not final (`Some(true)`), or never
    /// (`Some(false)`); `None` follows the contract's rule.
    pub store: Option<bool>,
}

#[derive(Debug)]
pub enum Action {
    /// Let the request run normally.
    Proceed,
    /// Answer this instead.
    Answer(Answer),
    /// Close the connection without answering; nothing runs.
    Close,
    /// Send this answer's head and half its body, then close; nothing runs.
    Truncate(Answer),
    /// Run normally, store the outcome for idempotent replay, then close without answering.
    DropAfterRun,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: AnswerBody,
}

#[derive(Debug)]
pub enum AnswerBody {
    /// The error envelope; `message: None` takes the catalog's message for the code.
    Error {
        code: String,
        message: Option<String>,
        details: Option<Details>,
    },
    /// The success envelope around `data`.
    Success(Value),
    /// These bytes, as they are.
    Raw(Bytes),
}

/// When a scenario applies on its own, from the request alone.
#[derive(Debug)]
pub struct Matcher {
    method: Option<Method>,
    /// Path segments; `{…}` matches any one segment.
    path: Option<Vec<String>>,
    body: Vec<Condition>,
}

#[derive(Debug)]
struct Condition {
    path: Vec<PathPart>,
    test: Test,
}

#[derive(Debug, PartialEq)]
enum PathPart {
    Member(String),
    Index(usize),
}

#[derive(Debug)]
enum Test {
    Equals(Value),
    Exists(bool),
    StartsWith(String),
}

/// What body conditions see of a request's body.
#[derive(Clone, Copy)]
pub enum BodyView<'a, 'j> {
    /// No body: only `exists: false` holds.
    Nothing,
    /// The body as a document.
    Document(&'a Json<'j>),
    /// A body read without a document, after [`Matcher::needles`] were looked for in each
    /// of its string values and none was there: no condition holds.
    Screened,
}

/// A string a body condition waits for: the whole of a string value, or its start.
pub enum Needle<'s> {
    Equals(&'s str),
    Prefix(&'s str),
}

impl Matcher {
    /// The strings this matcher's body conditions wait for, when every one of them holds only
    /// on a string value (`equals` a string, `starts_with`); `None` when one could hold
    /// otherwise (`exists`, `equals` of another type), and only a document can tell.
    pub fn needles(&self) -> Option<Vec<Needle<'_>>> {
        self.body
            .iter()
            .map(|condition| match &condition.test {
                Test::Equals(Value::String(text)) => Some(Needle::Equals(text)),
                Test::StartsWith(prefix) => Some(Needle::Prefix(prefix)),
                Test::Equals(_) | Test::Exists(_) => None,
            })
            .collect()
    }

    pub fn matches(&self, method: &Method, path: &str, body: BodyView<'_, '_>) -> bool {
        if self.method.as_ref().is_some_and(|m| m != method) {
            return false;
        }
        if let Some(pattern) = &self.path {
            // Segment by segment, without collecting them: every request is matched against
            // every scenario.
            let mut segments = path.trim_matches('/').split('/');
            let same = pattern.iter().all(|want| {
                segments
                    .next()
                    .is_some_and(|got| want.starts_with('{') || want.eq_ignore_ascii_case(got))
            }) && segments.next().is_none();
            if !same {
                return false;
            }
        }
        self.body.iter().all(|condition| condition.holds(body))
    }
}

impl Condition {
    fn holds(&self, body: BodyView<'_, '_>) -> bool {
        let body = match body {
            BodyView::Nothing => None,
            BodyView::Document(doc) => Some(doc),
            BodyView::Screened => return false,
        };
        let found = body.and_then(|doc| {
            self.path
                .iter()
                .try_fold(doc, |node, part| match (part, node) {
                    (PathPart::Member(name), _) => node.get(name),
                    (PathPart::Index(i), Json::Array(items)) => items.get(*i),
                    _ => None,
                })
        });
        match &self.test {
            Test::Exists(wanted) => found.is_some() == *wanted,
            Test::StartsWith(prefix) => found
                .and_then(Json::as_str)
                .is_some_and(|s| s.starts_with(prefix.as_str())),
            Test::Equals(expected) => found.is_some_and(|node| equals(node, expected)),
        }
    }
}

fn equals(node: &Json<'_>, expected: &Value) -> bool {
    match (node, expected) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Number(n), Value::Number(m)) => match n {
            Number::Unsigned(v) => m.as_u64() == Some(*v),
            Number::Signed(v) => m.as_i64() == Some(*v),
            Number::Float(v) => m.as_f64() == Some(*v),
        },
        (Json::Array(items), Value::Array(wanted)) => {
            items.len() == wanted.len() && items.iter().zip(wanted).all(|(a, b)| equals(a, b))
        }
        (Json::Object(members), Value::Object(wanted)) => {
            members.len() == wanted.len()
                && members
                    .iter()
                    .all(|(k, v)| wanted.get(k.as_ref()).is_some_and(|w| equals(v, w)))
        }
        _ => false,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "match", default)]
    matcher: Option<MatchFile>,
    steps: Vec<StepFile>,
    #[serde(default = "repeat")]
    after: After,
}

fn repeat() -> After {
    After::Repeat
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchFile {
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    body: Vec<ConditionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionFile {
    path: String,
    #[serde(default)]
    equals: Option<Value>,
    #[serde(default)]
    exists: Option<bool>,
    #[serde(default)]
    starts_with: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    #[serde(default)]
    delay: Option<String>,
    #[serde(default)]
    proceed: Option<bool>,
    #[serde(default)]
    fault: Option<Fault>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    details: Option<Value>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    raw_body: Option<String>,
    #[serde(default)]
    store: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fault {
    Close,
    Truncate,
    /// Run normally, store the outcome, then close (for a create: create-then-drop).
    DropAfterCreate,
}

/// Checks one scenario given as JSON text; the error says what is wrong and where.
pub fn parse(text: &str) -> Result<Scenario, String> {
    let source: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    from_value(source)
}

/// Checks one scenario given as a JSON value (a file's content or a control API body).
pub fn from_value(source: Value) -> Result<Scenario, String> {
    let file: ScenarioFile = serde_json::from_value(source.clone()).map_err(|e| e.to_string())?;
    check_name(&file.name)?;
    if file.steps.is_empty() {
        return Err("steps: give at least one step".into());
    }
    let steps = file
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, step)| check_step(step).map_err(|e| format!("steps[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let matcher = file
        .matcher
        .map(check_match)
        .transpose()
        .map_err(|e| format!("match: {e}"))?;
    Ok(Scenario {
        name: Arc::from(file.name),
        description: file.description,
        matcher,
        steps,
        after: file.after,
        source,
    })
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err("name: 1–64 characters of letters, digits, '-', '_', '.' or ':'".into())
    }
}

fn check_step(step: StepFile) -> Result<Step, String> {
    let delay = step
        .delay
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| format!("delay: {e}"))?;
    let mut headers = HeaderMap::new();
    for (name, value) in &step.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("headers: '{name}' is not a header name"))?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Err(format!("headers: {name} must be a string or a number")),
        };
        let value = HeaderValue::from_str(&text)
            .map_err(|_| format!("headers: {name} has a value that cannot be sent"))?;
        headers.insert(name, value);
    }
    let answer_given = step.status.is_some()
        || step.code.is_some()
        || step.message.is_some()
        || step.details.is_some()
        || step.data.is_some()
        || step.body.is_some()
        || step.raw_body.is_some();
    let action = match (step.proceed, step.fault) {
        (Some(true), None) if !answer_given => Action::Proceed,
        (Some(true), None) => return Err("a proceeding step answers nothing of its own: drop status, code, message, details, data, body and raw_body".into()),
        (Some(true), Some(_)) => return Err("give one of proceed, fault and status".into()),
        (Some(false), _) => return Err("proceed: only true is meaningful; leave it out instead".into()),
        (None, Some(Fault::Truncate)) => Action::Truncate(check_answer(&step, StatusCode::OK)?),
        (None, Some(fault)) if answer_given => {
            return Err(format!("fault {fault:?} answers nothing: drop the answer fields"))
        }
        (None, Some(Fault::Close)) => Action::Close,
        (None, Some(Fault::DropAfterCreate)) => Action::DropAfterRun,
        (None, None) if step.status.is_some() => Action::Answer(check_answer(&step, StatusCode::OK)?),
        (None, None) => return Err("give one of proceed: true, fault, or status".into()),
    };
    Ok(Step {
        delay,
        action,
        headers,
        store: step.store,
    })
}

fn check_answer(step: &StepFile, default_status: StatusCode) -> Result<Answer, String> {
    let status = match step.status {
        Some(code) => StatusCode::from_u16(code)
            .ok()
            .filter(|s| (200..=599).contains(&s.as_u16()))
            .ok_or_else(|| format!("status: {code} is not a status between 200 and 599"))?,
        None => default_status,
    };
    let bodies = [
        step.data.is_some(),
        step.body.is_some(),
        step.raw_body.is_some(),
    ]
    .iter()
    .filter(|given| **given)
    .count();
    if bodies > 1 {
        return Err("give at most one of data, body and raw_body".into());
    }
    let body = if let Some(body) = &step.body {
        AnswerBody::Raw(Bytes::from(
            serde_json::to_vec(body).map_err(|e| e.to_string())?,
        ))
    } else if let Some(raw) = &step.raw_body {
        AnswerBody::Raw(Bytes::from(raw.clone()))
    } else if status.is_success() && step.code.is_none() {
        AnswerBody::Success(step.data.clone().unwrap_or(Value::Null))
    } else {
        if step.data.is_some() {
            return Err(
                "data belongs to a success answer; an error answer has code and message".into(),
            );
        }
        let code = match &step.code {
            Some(code) => code.clone(),
            None => code_for_status(status)
                .ok_or_else(|| {
                    format!("status {status}: give a code (no catalog code stands for it)")
                })?
                .to_owned(),
        };
        if step.message.is_none() && catalog(&code).is_none() {
            return Err(format!("code {code} is not in the catalog: give a message"));
        }
        let details = step.details.as_ref().map(check_details).transpose()?;
        AnswerBody::Error {
            code,
            message: step.message.clone(),
            details,
        }
    };
    Ok(Answer { status, body })
}

fn check_details(details: &Value) -> Result<Details, String> {
    let Value::Object(map) = details else {
        return Err("details: an object from field path to a list of messages".into());
    };
    map.iter()
        .map(|(path, messages)| {
            let list = match messages {
                Value::String(one) => vec![one.clone()],
                Value::Array(items) => items
                    .iter()
                    .map(|m| m.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("details.{path}: messages must be strings"))?,
                _ => return Err(format!("details.{path}: a list of messages")),
            };
            Ok((path.clone(), list))
        })
        .collect()
}

fn check_match(file: MatchFile) -> Result<Matcher, String> {
    let method = file
        .method
        .map(|m| {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                .map_err(|_| format!("method: '{m}' is not a method"))
        })
        .transpose()?;
    let path = file.path.map(|p| {
        p.trim_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let body = file
        .body
        .into_iter()
        .enumerate()
        .map(|(i, c)| check_condition(c).map_err(|e| format!("body[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    if method.is_none() && path.is_none() && body.is_empty() {
        return Err("give at least one of method, path and body".into());
    }
    Ok(Matcher { method, path, body })
}

fn check_condition(file: ConditionFile) -> Result<Condition, String> {
    let path = parse_path(&file.path)?;
    let test = match (file.equals, file.exists, file.starts_with) {
        (Some(value), None, None) => Test::Equals(value),
        (None, Some(exists), None) => Test::Exists(exists),
        (None, None, Some(prefix)) => Test::StartsWith(prefix),
        _ => return Err("give exactly one of equals, exists and starts_with".into()),
    };
    Ok(Condition { path, test })
}

/// `brand.compliance.destinationCountries[0].id` → members and indices.
fn parse_path(text: &str) -> Result<Vec<PathPart>, String> {
    let bad =
        || format!("path: '{text}' is not a path such as name or brand.contact.name or list[0].id");
    let mut parts = Vec::new();
    for piece in text.split('.') {
        let (member, mut rest) = match piece.find('[') {
            Some(at) => (&piece[..at], &piece[at..]),
            None => (piece, ""),
        };
        if member.is_empty() && (parts.is_empty() || rest.is_empty()) {
            return Err(bad());
        }
        if !member.is_empty() {
            parts.push(PathPart::Member(member.to_owned()));
        }
        while !rest.is_empty() {
            let close = rest.find(']').ok_or_else(bad)?;
            let index = rest[1..close].parse().map_err(|_| bad())?;
            parts.push(PathPart::Index(index));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return Err(bad());
            }
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn paths_parse_into_members_and_indices() {
        assert_eq!(
            parse_path("brand.compliance.destinationCountries[0].id").unwrap(),
            vec![
                PathPart::Member("brand".into()),
                PathPart::Member("compliance".into()),
                PathPart::Member("destinationCountries".into()),
                PathPart::Index(0),
                PathPart::Member("id".into()),
            ]
        );
        for bad in ["", ".a", "a..b", "a[x]", "a[0", "a[0]b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn body_conditions_test_equality_existence_and_prefixes() {
        let scenario = parse(
            r#"{"name": "t", "steps": [{"status": 500}],
                "match": {"method": "post", "path": "/v3/profiles/{id}",
                          "body": [{"path": "name", "starts_with": "mock:"},
                                   {"path": "brand.list[1]", "equals": 2},
                                   {"path": "gone", "exists": false}]}}"#,
        )
        .unwrap();
        let matcher = scenario.matcher.unwrap();
        let doc = json::parse(br#"{"name": "mock:x", "brand": {"list": [1, 2]}}"#).unwrap();
        let seen = BodyView::Document(&doc);
        assert!(matcher.matches(&Method::POST, "/v3/profiles/abc", seen));
        assert!(!matcher.matches(&Method::PATCH, "/v3/profiles/abc", seen));
        assert!(!matcher.matches(&Method::POST, "/v3/profiles", seen));
        let other = json::parse(br#"{"name": "real", "brand": {"list": [1, 2]}}"#).unwrap();
        let other = BodyView::Document(&other);
        assert!(!matcher.matches(&Method::POST, "/v3/profiles/abc", other));
        // The `exists` and the number have no string to look for.
        assert!(matcher.needles().is_none());
    }

    #[test]
    fn steps_default_their_code_and_refuse_contradictions() {
        let scenario =
            parse(r#"{"name": "t", "steps": [{"status": 429, "headers": {"retry-after": 1}}]}"#)
                .unwrap();
        let Action::Answer(answer) = &scenario.steps[0].action else {
            panic!()
        };
        assert!(matches!(&answer.body, AnswerBody::Error { code, .. } if code == "BUSINESS_002"));
        assert_eq!(scenario.steps[0].headers["retry-after"], "1");
        for (bad, problem) in [
            (r#"{"name": "t", "steps": []}"#, "at least one step"),
            (
                r#"{"name": "t", "steps": [{"status": 418}]}"#,
                "give a code",
            ),
            (
                r#"{"name": "t", "steps": [{"proceed": true, "status": 500}]}"#,
                "answers nothing",
            ),
            (
                r#"{"name": "t", "steps": [{"fault": "close", "status": 500}]}"#,
                "answers nothing",
            ),
            (
                r#"{"name": "t", "steps": [{"status": 500, "delay": "soon"}]}"#,
                "delay",
            ),
            (
                r#"{"name": "t", "steps": [{"status": 500, "code": "MINE"}]}"#,
                "give a message",
            ),
            (
                r#"{"name": "bad name", "steps": [{"status": 500}]}"#,
                "name",
            ),
            (
                r#"{"name": "t", "steps": [{"fault": "explode"}]}"#,
                "unknown variant",
            ),
            (
                r#"{"name": "t", "steps": [{"status": 500}], "after": "sometimes"}"#,
                "unknown variant",
            ),
            (
                r#"{"name": "t", "steps": [{"status": 500}], "extra": 1}"#,
                "unknown field",
            ),
        ] {
            let err = parse(bad).unwrap_err();
            assert!(err.contains(problem), "{bad}: {err}");
        }
    }
}
