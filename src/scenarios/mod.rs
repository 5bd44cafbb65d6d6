//! Scripted scenarios (CONTRACT §7): which scenario a request gets, and which of its steps.
//!
//! Selection, first hit wins: the `x-mock-scenario` header, then a scenario bound to the API
//! key, then the first scenario whose `match` holds for the request, else none. Step counters
//! are kept per (scenario, organization), so tests running in parallel in their own
//! organizations never move each other's scripts.

pub mod model;

use std::sync::{Arc, RwLock};

use dashmap::DashMap;
use http::Method;
use uuid::Uuid;

use crate::error::{catalog, ApiError, Operation};
use crate::files::JsonFiles;
use crate::pipeline::Context;
use crate::response::{self, Reply};

pub use model::{Action, After, Answer, AnswerBody, BodyView, Scenario, Step};

pub const HEADER: http::HeaderName = http::HeaderName::from_static("x-mock-scenario");

/// The shipped library, compiled in. A test checks that this list matches `scenarios/`.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "conflict.json",
        include_str!("../../scenarios/conflict.json"),
    ),
    (
        "connection-closed.json",
        include_str!("../../scenarios/connection-closed.json"),
    ),
    (
        "create-then-drop.json",
        include_str!("../../scenarios/create-then-drop.json"),
    ),
    ("flaky.json", include_str!("../../scenarios/flaky.json")),
    (
        "forbidden.json",
        include_str!("../../scenarios/forbidden.json"),
    ),
    (
        "internal-error.json",
        include_str!("../../scenarios/internal-error.json"),
    ),
    (
        "not-found.json",
        include_str!("../../scenarios/not-found.json"),
    ),
    (
        "organization-not-found.json",
        include_str!("../../scenarios/organization-not-found.json"),
    ),
    (
        "rate-limited-once.json",
        include_str!("../../scenarios/rate-limited-once.json"),
    ),
    (
        "rate-limited.json",
        include_str!("../../scenarios/rate-limited.json"),
    ),
    ("slow.json", include_str!("../../scenarios/slow.json")),
    (
        "truncated.json",
        include_str!("../../scenarios/truncated.json"),
    ),
    (
        "unauthorized.json",
        include_str!("../../scenarios/unauthorized.json"),
    ),
    (
        "unavailable.json",
        include_str!("../../scenarios/unavailable.json"),
    ),
    (
        "unprocessable.json",
        include_str!("../../scenarios/unprocessable.json"),
    ),
    (
        "validation-error.json",
        include_str!("../../scenarios/validation-error.json"),
    ),
];

pub fn embedded() -> JsonFiles {
    JsonFiles::embedded(EMBEDDED)
}

/// Checks every file; the error names the file and the problem.
pub fn load(files: &JsonFiles) -> Result<Vec<Scenario>, String> {
    let mut scenarios: Vec<Scenario> = Vec::with_capacity(files.0.len());
    for (name, text) in &files.0 {
        let scenario = model::parse(text).map_err(|e| format!("scenario file {name}: {e}"))?;
        if scenarios.iter().any(|s| s.name == scenario.name) {
            return Err(format!(
                "scenario file {name}: the name '{}' is taken by another file",
                scenario.name
            ));
        }
        scenarios.push(scenario);
    }
    Ok(scenarios)
}

/// What a request was scripted to do: the scenario and the step it reached (`None`: the
/// scenario's steps are used up and it lets requests proceed).
pub struct Scripted {
    pub scenario: Arc<Scenario>,
    pub step: Option<usize>,
}

impl Scripted {
    pub fn step(&self) -> Option<&Step> {
        self.step.map(|i| &self.scenario.steps[i])
    }
}

/// What a body read without a document must look out for: the string values that would let
/// a scenario's body conditions hold. A body none of whose string values [`may_match`]
/// selects no scenario by its body ([`BodyView::Screened`]).
///
/// [`may_match`]: Screen::may_match
#[derive(Debug, Default)]
pub struct Screen {
    /// `false` when some condition holds on something other than a string (`exists`, a
    /// number): then every body must be read as a document.
    usable: bool,
    /// Whole values, and prefixes, that a condition waits for.
    equals: Vec<String>,
    prefixes: Vec<String>,
    /// The first bytes of all of them, one bit each: most values are cleared by one test.
    first_bytes: [u64; 4],
}

impl Screen {
    fn of(scenarios: &[Arc<Scenario>]) -> Screen {
        let mut screen = Screen {
            usable: true,
            ..Screen::default()
        };
        for matcher in scenarios.iter().filter_map(|s| s.matcher.as_ref()) {
            let Some(needles) = matcher.needles() else {
                return Screen::default();
            };
            for needle in needles {
                let (list, text) = match needle {
                    model::Needle::Equals(text) => (&mut screen.equals, text),
                    model::Needle::Prefix(text) => (&mut screen.prefixes, text),
                };
                // An empty needle would have to be looked for in every value.
                let Some(&first) = text.as_bytes().first() else {
                    return Screen::default();
                };
                screen.first_bytes[usize::from(first >> 6)] |= 1 << (first & 63);
                list.push(text.to_owned());
            }
        }
        screen
    }

    /// Whether bodies may be read without a document at all.
    pub fn is_usable(&self) -> bool {
        self.usable
    }

    /// Whether a body condition could hold on a body with this string value.
    pub fn may_match(&self, value: &str) -> bool {
        let Some(&first) = value.as_bytes().first() else {
            return false;
        };
        self.first_bytes[usize::from(first >> 6)] & (1 << (first & 63)) != 0
            && (self.equals.iter().any(|e| e == value)
                || self.prefixes.iter().any(|p| value.starts_with(p.as_str())))
    }
}

/// The scenarios in their order of precedence, and their screen.
#[derive(Debug)]
struct Library {
    list: Arc<Vec<Arc<Scenario>>>,
    screen: Screen,
}

impl Library {
    fn new(list: Vec<Arc<Scenario>>) -> Library {
        Library {
            screen: Screen::of(&list),
            list: Arc::new(list),
        }
    }
}

#[derive(Debug)]
pub struct Scenarios {
    /// Read by every request and replaced only through the control API, so readers take a
    /// read lock just long enough to clone the `Arc` of the current list, or to read a create
    /// body against the screen.
    library: RwLock<Library>,
    /// Steps used so far per (scenario, organization).
    counters: DashMap<(Arc<str>, Uuid), u64>,
}

impl Scenarios {
    pub fn new(scenarios: Vec<Scenario>) -> Scenarios {
        Scenarios {
            library: RwLock::new(Library::new(scenarios.into_iter().map(Arc::new).collect())),
            counters: DashMap::new(),
        }
    }

    pub fn all(&self) -> Arc<Vec<Arc<Scenario>>> {
        Arc::clone(&self.library().list)
    }

    fn library(&self) -> std::sync::RwLockReadGuard<'_, Library> {
        self.library.read().unwrap_or_else(|e| e.into_inner())
    }

    /// `read` with the current [`Screen`], under the lock that keeps it current.
    pub fn with_screen<T>(&self, read: impl FnOnce(&Screen) -> T) -> T {
        read(&self.library().screen)
    }

    pub fn get(&self, name: &str) -> Option<Arc<Scenario>> {
        self.all().iter().find(|s| &*s.name == name).cloned()
    }

    /// Adds a scenario or replaces the one of the same name (whose counters start again);
    /// answers whether one was replaced.
    pub fn upsert(&self, scenario: Scenario) -> bool {
        let mut library = self.library.write().unwrap_or_else(|e| e.into_inner());
        let mut next: Vec<Arc<Scenario>> = library.list.iter().cloned().collect();
        let name = Arc::clone(&scenario.name);
        let replaced = match next.iter().position(|s| s.name == name) {
            Some(at) => {
                next[at] = Arc::new(scenario);
                true
            }
            None => {
                next.push(Arc::new(scenario));
                false
            }
        };
        *library = Library::new(next);
        drop(library);
        self.counters.retain(|(scenario, _), _| *scenario != name);
        replaced
    }

    /// Removes a scenario; answers whether there was one.
    pub fn remove(&self, name: &str) -> bool {
        let mut library = self.library.write().unwrap_or_else(|e| e.into_inner());
        let before = library.list.len();
        let next: Vec<Arc<Scenario>> = library
            .list
            .iter()
            .filter(|s| &*s.name != name)
            .cloned()
            .collect();
        let removed = next.len() != before;
        *library = Library::new(next);
        drop(library);
        self.counters.retain(|(scenario, _), _| &**scenario != name);
        removed
    }

    pub fn reset_counters(&self) {
        self.counters.clear();
        self.counters.shrink_to_fit();
    }

    /// Chooses the request's scenario, if any, and advances its counter for `organization`.
    pub fn select(
        &self,
        header: Option<&str>,
        bound: Option<&str>,
        method: &Method,
        path: &str,
        body: BodyView<'_, '_>,
        organization: Uuid,
    ) -> Result<Option<Scripted>, ApiError> {
        let all = self.all();
        let chosen = if let Some(name) = header {
            let found = all.iter().find(|s| &*s.name == name);
            Some(Arc::clone(found.ok_or_else(|| {
                ApiError::ScenarioNotFound {
                    name: name.to_owned(),
                    known: all.iter().map(|s| s.name.to_string()).collect(),
                }
            })?))
        } else if let Some(found) = bound.and_then(|name| all.iter().find(|s| &*s.name == name)) {
            Some(Arc::clone(found))
        } else {
            all.iter()
                .find(|s| {
                    s.matcher
                        .as_ref()
                        .is_some_and(|m| m.matches(method, path, body))
                })
                .cloned()
        };
        Ok(chosen.map(|scenario| {
            let used = {
                let mut count = self
                    .counters
                    .entry((Arc::clone(&scenario.name), organization))
                    .or_insert(0);
                let used = *count;
                *count += 1;
                used
            };
            let step = step_index(used, scenario.steps.len(), scenario.after);
            Scripted { scenario, step }
        }))
    }
}

/// A scripted answer as the client receives it: the error envelope (the catalog's message when
/// the step gives none), the success envelope around `data`, or raw bytes.
pub fn render(ctx: &Context, operation: Operation, answer: &Answer) -> Reply {
    match &answer.body {
        AnswerBody::Error {
            code,
            message,
            details,
        } => {
            let message = match message {
                Some(message) => message.clone(),
                None if code == "INTERNAL_001" => {
                    ApiError::Internal(operation).message(&ctx.request_id)
                }
                None => catalog(code).map(|(_, m)| m.to_owned()).unwrap_or_default(),
            };
            let scripted = ApiError::Scripted {
                status: answer.status,
                code: code.clone(),
                message,
                details: details.clone(),
            };
            response::error(ctx.meta(), &scripted)
        }
        AnswerBody::Success(data) => {
            let mut reply = response::ok(ctx.meta(), data);
            reply.status = answer.status;
            reply
        }
        AnswerBody::Raw(bytes) => response::raw(answer.status, bytes.clone()),
    }
}

/// Which step the `used`-th request gets (0-based), or `None` once the steps are used up and
/// the scenario proceeds.
fn step_index(used: u64, steps: usize, after: After) -> Option<usize> {
    let steps = steps as u64;
    let index = match after {
        _ if used < steps => used,
        After::Repeat => steps - 1,
        After::Cycle => used % steps,
        After::Proceed => return None,
    };
    Some(index as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_embedded_list_matches_the_scenarios_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let on_disk = JsonFiles::from_dir(&dir, "scenarios").unwrap();
        assert_eq!(on_disk.names(), embedded().names());
        assert_eq!(load(&embedded()).unwrap().len(), EMBEDDED.len());
    }

    #[test]
    fn steps_repeat_cycle_or_proceed_after_the_last() {
        let seq = |after| (0..5).map(|n| step_index(n, 2, after)).collect::<Vec<_>>();
        assert_eq!(
            seq(After::Repeat),
            [Some(0), Some(1), Some(1), Some(1), Some(1)]
        );
        assert_eq!(
            seq(After::Cycle),
            [Some(0), Some(1), Some(0), Some(1), Some(0)]
        );
        assert_eq!(seq(After::Proceed), [Some(0), Some(1), None, None, None]);
    }

    #[test]
    fn counters_are_kept_per_organization() {
        let scenarios = Scenarios::new(vec![model::parse(
            r#"{"name": "s", "steps": [{"status": 500}, {"proceed": true}], "after": "proceed"}"#,
        )
        .unwrap()]);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let step = |org| {
            scenarios
                .select(
                    Some("s"),
                    None,
                    &Method::POST,
                    "/v3/profiles",
                    BodyView::Nothing,
                    org,
                )
                .unwrap()
                .unwrap()
                .step
        };
        assert_eq!(
            [step(a), step(b), step(a), step(b), step(a)],
            [Some(0), Some(0), Some(1), Some(1), None]
        );
    }

    #[test]
    fn an_unknown_header_name_lists_the_known_ones() {
        let scenarios = Scenarios::new(load(&embedded()).unwrap());
        let err = scenarios
            .select(
                Some("nope"),
                None,
                &Method::POST,
                "/v3/profiles",
                BodyView::Nothing,
                Uuid::nil(),
            )
            .err()
            .unwrap();
        let ApiError::ScenarioNotFound { known, .. } = err else {
            panic!()
        };
        assert!(known.iter().any(|k| k == "flaky"));
    }
}
