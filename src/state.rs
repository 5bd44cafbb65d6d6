//! The application state: one cheap-to-clone handle over everything a request may touch.
//!
//! Each store picks its own lock: DashMaps where many requests read and write by key (keys,
//! organizations, profiles, idempotency records, scenario counters), a read-mostly `RwLock`
//! for the scenario list, a mutex for the journal's ring, an atomic for the clock's offset. The handle itself is an `Arc`,
//! so every connection task holds the same state.

use std::ops::Deref;
use std::sync::Arc;

use crate::callbacks::Sender;
use crate::clock::Clock;
use crate::config::Config;
use crate::counters::Counters;
use crate::directory::Directory;
use crate::fixtures::{self, Fixtures};
use crate::idempotency::IdempotencyStore;
use crate::ids::Ids;
use crate::journal::Journal;
use crate::memory;
use crate::persist;
use crate::profiles::store::ProfileStore;
use crate::scenarios::{self, Scenarios};

#[derive(Clone, Debug)]
pub struct App(Arc<State>);

#[derive(Debug)]
pub struct State {
    pub config: Config,
    pub clock: Clock,
    pub ids: Ids,
    /// The checked fixtures as loaded at start.
    pub fixtures: Fixtures,
    pub directory: Directory,
    pub profiles: ProfileStore,
    /// Behind its own `Arc`: a request in flight holds the store to release its key.
    pub idempotency: Arc<IdempotencyStore>,
    pub scenarios: Scenarios,
    pub journal: Journal,
    pub callbacks: Sender,
    pub counters: Counters,
}

impl App {
    /// Checks the fixtures and builds the state; the error names the bad file and problem.
    pub fn new(config: Config) -> Result<App, String> {
        let clock = Clock::default();
        let ids = Ids::new(config.seed);
        let scenarios = scenarios::load(&config.scenarios)?;
        let fixtures = fixtures::load(&config.fixtures, &ids, clock.now())?;
        for key in &fixtures.keys {
            if let Some(name) = &key.scenario {
                if !scenarios.iter().any(|s| &*s.name == name) {
                    return Err(format!(
                        "fixtures: key {} is bound to scenario '{name}', which no scenario file defines",
                        key.key
                    ));
                }
            }
        }
        let app = App(Arc::new(State {
            idempotency: Arc::new(IdempotencyStore::new(config.idempotency.clone())),
            scenarios: Scenarios::new(scenarios),
            journal: Journal::new(config.journal_size),
            callbacks: Sender::default(),
            counters: Counters::default(),
            directory: Directory::new(fixtures.default_organization),
            profiles: ProfileStore::new(ids.mint()),
            config,
            clock,
            ids,
            fixtures,
        }));
        app.load_fixtures();
        if let Some(path) = &app.config.state_file {
            let loaded = persist::load(&app, path)?;
            tracing::info!(loaded, path = %path.display(), "state file loaded");
        }
        Ok(app)
    }

    fn load_fixtures(&self) {
        self.directory
            .reset(&self.fixtures.organizations, &self.fixtures.keys);
        self.profiles.clear();
        for profile in &self.fixtures.profiles {
            self.profiles.insert(profile.clone());
        }
    }

    /// Back to the fixtures (the control API's reset): minted organizations, runtime profiles,
    /// idempotency records, scenario counters and the journal go, and the clock is back on
    /// system time. Scenarios added at run time stay: they are configuration. The id sequences
    /// go on: an id or a minted key from before the reset must never come back.
    pub fn reset(&self) {
        self.load_fixtures();
        self.idempotency.clear();
        self.scenarios.reset_counters();
        self.journal.clear();
        self.clock.reset();
        memory::release();
    }
}

impl Deref for App {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}
