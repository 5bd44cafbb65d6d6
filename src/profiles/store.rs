//! The profiles the mock keeps, in memory.
//!
//! Each profile is kept as the `ProfileDetail` JSON it was last answered with, beside the few
//! fields lookups need. The JSON is a slice of that response's body, so a create's answer, its
//! idempotency record and the stored profile share one allocation, and a read writes the bytes
//! out without serializing anything. The map is a DashMap from id to an immutable
//! `Arc<StoredProfile>`: readers clone the `Arc` and release the shard at once, writers replace
//! the whole value, so no guard outlives a call. Deleted profiles stay (soft delete) and are
//! filtered out by the lookups that must not see them.

use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use uuid::Uuid;

use crate::clock::Timestamp;

use super::model::Profile;

#[derive(Debug)]
pub struct StoredProfile {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub created_at: Timestamp,
    pub deleted: bool,
    /// The profile's `ProfileDetail` JSON.
    pub json: Bytes,
}

impl StoredProfile {
    /// `json` must be `profile` as JSON (a slice of the response that answered it).
    pub fn new(profile: &Profile, json: Bytes) -> StoredProfile {
        StoredProfile {
            id: profile.id,
            organization_id: profile.organization_id,
            created_at: profile.created_at,
            deleted: profile.deleted_at.is_some(),
            json,
        }
    }

    /// Renders `profile` on its own (fixtures, updates that answer something else).
    pub fn render(profile: &Profile) -> StoredProfile {
        // A profile is plain data with string keys: serializing it cannot fail.
        let json = serde_json::to_vec(profile).expect("a profile serializes");
        StoredProfile::new(profile, Bytes::from(json))
    }
}

#[derive(Debug, Default)]
pub struct ProfileStore {
    profiles: DashMap<Uuid, Arc<StoredProfile>>,
}

impl ProfileStore {
    pub fn insert(&self, profile: StoredProfile) {
        self.profiles.insert(profile.id, Arc::new(profile));
    }

    /// A live (not deleted) profile of organization `org`.
    pub fn live(&self, org: Uuid, id: Uuid) -> Option<Arc<StoredProfile>> {
        self.profiles
            .get(&id)
            .map(|entry| Arc::clone(entry.value()))
            .filter(|p| p.organization_id == org && !p.deleted)
    }

    /// Forgets every profile (the control API's reset, before the fixtures go back in).
    pub fn clear(&self) {
        self.profiles.clear();
        self.profiles.shrink_to_fit();
    }
}
