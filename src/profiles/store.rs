//! The profiles the mock keeps, in memory.
//!
//! A DashMap from profile id to an immutable `Arc<Profile>`: readers clone the `Arc` and
//! release the shard at once, writers replace the whole value, so no guard outlives a call.
//! Deleted profiles stay (soft delete) and are filtered out by the lookups that must not see
//! them.

use std::sync::Arc;

use dashmap::DashMap;
use uuid::Uuid;

use super::model::Profile;

#[derive(Debug, Default)]
pub struct ProfileStore {
    profiles: DashMap<Uuid, Arc<Profile>>,
}

impl ProfileStore {
    pub fn insert(&self, profile: Profile) {
        self.profiles.insert(profile.id, Arc::new(profile));
    }

    /// A live (not deleted) profile of organization `org`.
    pub fn live(&self, org: Uuid, id: Uuid) -> Option<Arc<Profile>> {
        self.profiles
            .get(&id)
            .map(|entry| Arc::clone(entry.value()))
            .filter(|p| p.organization_id == org && p.deleted_at.is_none())
    }
}
