//! The profiles the mock keeps, in memory.
//!
//! Each profile is kept as the `ProfileDetail` JSON it was last answered with, beside the few
//! fields lookups need. The JSON is a slice of that response's body, so a create's answer, its
//! idempotency record and the stored profile share one allocation, and a read writes the bytes
//! out without serializing anything. The map is a DashMap from id to an immutable
//! `Arc<StoredProfile>`: readers clone the `Arc` and release the shard at once, writers replace
//! the whole value, so no guard outlives a call. Deleted profiles stay (soft delete) and are
//! filtered out by the lookups that must not see them.

use std::hash::BuildHasherDefault;
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::hash::Fx;

use super::model::Profile;
use crate::render::WriteJson;

#[derive(Clone, Debug)]
pub struct StoredProfile {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub created_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
    /// The profile's `ProfileDetail` JSON.
    pub json: Bytes,
}

impl StoredProfile {
    /// `json` must be `profile` as JSON (a slice of the response that answered it).
    pub fn new(profile: &Profile<'_>, json: Bytes) -> StoredProfile {
        StoredProfile {
            id: profile.id,
            organization_id: profile.organization_id,
            created_at: profile.created_at,
            deleted_at: profile.deleted_at,
            json,
        }
    }

    /// The profile back as a value, to change it.
    pub fn profile(&self) -> Profile<'static> {
        // The bytes were written from a Profile by this process: they read back.
        let mut profile: Profile<'static> =
            serde_json::from_slice(&self.json).expect("a stored profile reads back");
        profile.deleted_at = self.deleted_at;
        profile
    }

    /// Renders `profile` on its own (fixtures, updates that answer something else).
    pub fn render(profile: &Profile<'_>) -> StoredProfile {
        let mut json = Vec::with_capacity(2048);
        profile.write_json(&mut json);
        StoredProfile::new(profile, Bytes::from(json))
    }
}

/// Shards of the maps that grow with every create (profiles, idempotency records): a map
/// grows by rehashing one shard at a time, and the request that triggers it waits for it,
/// so more shards make the worst wait shorter (a 100 000-entry map rehashes ~1 600 at once).
pub const SHARDS: usize = 64;

#[derive(Debug)]
pub struct ProfileStore {
    /// Hashed with [`Fx`], not SipHash: the keys are ids this process generated (a bijection
    /// of a counter, see `ids`), the fixtures' or the state file's. No client chooses a key
    /// that goes in, and SipHash would cost every insert, and every entry again each time a
    /// shard grows.
    profiles: DashMap<Uuid, Arc<StoredProfile>, BuildHasherDefault<Fx>>,
}

impl Default for ProfileStore {
    fn default() -> ProfileStore {
        ProfileStore {
            profiles: DashMap::with_hasher_and_shard_amount(BuildHasherDefault::default(), SHARDS),
        }
    }
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
            .filter(|p| p.organization_id == org && p.deleted_at.is_none())
    }

    /// A live profile the caller may see: of its organization, and within its narrowing.
    pub fn visible(&self, caller: &Caller, id: Uuid) -> Option<Arc<StoredProfile>> {
        self.live(caller.organization.id, id)
            .filter(|_| caller.sees(id))
    }

    /// Changes a profile the caller may see, atomically: `change` gets the current value
    /// under the shard's lock and answers the new one (`None`: leave it) and a result, or an
    /// error, changing nothing. `change` must not touch this store: it runs under its lock.
    pub fn modify<T>(
        &self,
        caller: &Caller,
        id: Uuid,
        change: impl FnOnce(&StoredProfile) -> Result<(Option<StoredProfile>, T), ApiError>,
    ) -> Result<T, ApiError> {
        let org = caller.organization.id;
        let mut entry = self
            .profiles
            .get_mut(&id)
            .filter(|e| e.organization_id == org && e.deleted_at.is_none() && caller.sees(id))
            .ok_or(ApiError::ProfileNotFound)?;
        let (next, answer) = change(entry.value())?;
        if let Some(next) = next {
            *entry.value_mut() = Arc::new(next);
        }
        Ok(answer)
    }

    /// Organization `org`'s live profiles, newest first.
    pub fn list_live(&self, org: Uuid) -> Vec<Arc<StoredProfile>> {
        let mut found: Vec<Arc<StoredProfile>> = self
            .profiles
            .iter()
            .filter(|e| e.organization_id == org && e.deleted_at.is_none())
            .map(|e| Arc::clone(e.value()))
            .collect();
        found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        found
    }

    /// Every profile, deleted ones included (for the state file).
    pub fn all(&self) -> Vec<Arc<StoredProfile>> {
        let mut all: Vec<_> = self
            .profiles
            .iter()
            .map(|e| Arc::clone(e.value()))
            .collect();
        all.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        all
    }

    /// Profiles kept, deleted ones included.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Forgets every profile (the control API's reset, before the fixtures go back in).
    pub fn clear(&self) {
        self.profiles.clear();
        self.profiles.shrink_to_fit();
    }
}
