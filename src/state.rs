//! The application state: one cheap-to-clone handle over everything a request may touch.
//!
//! Each store picks its own lock: DashMaps where many requests read and write by key (keys,
//! organizations, profiles, idempotency records), an atomic for the clock's offset. The handle itself is an `Arc`,
//! so every connection task holds the same state.

use std::ops::Deref;
use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::directory::Directory;
use crate::fixtures::{self, Fixtures};
use crate::idempotency::IdempotencyStore;
use crate::ids::Ids;
use crate::profiles::store::{ProfileStore, StoredProfile};

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
}

impl App {
    /// Checks the fixtures and builds the state; the error names the bad file and problem.
    pub fn new(config: Config) -> Result<App, String> {
        let clock = Clock::default();
        let ids = Ids::new(None);
        let fixtures = fixtures::load(&config.fixtures, &ids, clock.now())?;
        let directory = Directory::new(fixtures.default_organization);
        for org in &fixtures.organizations {
            directory.add_organization(org.clone());
        }
        for key in &fixtures.keys {
            directory.add_key(key.clone());
        }
        let profiles = ProfileStore::default();
        for profile in &fixtures.profiles {
            profiles.insert(StoredProfile::render(profile));
        }
        let idempotency = Arc::new(IdempotencyStore::new(config.idempotency.clone()));
        Ok(App(Arc::new(State {
            idempotency,
            config,
            clock,
            ids,
            fixtures,
            directory,
            profiles,
        })))
    }
}

impl Deref for App {
    type Target = State;

    fn deref(&self) -> &State {
        &self.0
    }
}
