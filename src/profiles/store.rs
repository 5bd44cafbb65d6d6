//! The profiles the mock keeps, in memory.
//!
//! Each profile is kept as the `ProfileDetail` JSON it was last answered with, beside the few
//! fields lookups need. The JSON is a slice of that response's body, so a create's answer, its
//! idempotency record and the stored profile share one allocation, and a read writes the bytes
//! out without serializing anything. The map is a DashMap from id to an immutable
//! `Arc<StoredProfile>`: readers clone the `Arc` and release the shard at once, writers replace
//! the whole value, so no guard outlives a call. Deleted profiles stay (soft delete) and are
//! filtered out by the lookups that must not see them.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use bytes::Bytes;
use dashmap::DashMap;
use uuid::Uuid;

use crate::auth::Caller;
use crate::clock::Timestamp;
use crate::error::ApiError;
use crate::hash::Fx;
use crate::ids::Mint;

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
/// so more shards make the worst wait shorter. Keys spread evenly, so the shards fill
/// together and double within a few thousand requests of each other: with 64, a fresh-key
/// flood met 64 waits of ~0.7 ms near 460 000 keys (`benches/stalls.rs`), and every request
/// queued behind one waited too. With 1 024 each wait is a sixteenth, below the noise of a
/// request's own time; the empty shards cost 128 KiB of memory per map.
pub const SHARDS: usize = 1024;

#[derive(Debug)]
pub struct ProfileStore {
    /// Hashed by [`InMintOrder`], not SipHash: the keys are ids this process generated (a
    /// bijection of a counter, see `ids`), the fixtures' or the state file's. No client
    /// chooses a key that goes in, and SipHash would cost every insert, and every entry again
    /// each time a shard grows.
    profiles: DashMap<Uuid, Arc<StoredProfile>, InMintOrder>,
}

impl ProfileStore {
    /// An empty store for the ids `mint` makes.
    pub fn new(mint: Mint) -> ProfileStore {
        ProfileStore {
            profiles: DashMap::with_hasher_and_shard_amount(InMintOrder(mint), SHARDS),
        }
    }

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

/// The profile map's hasher. An id this process made hashes to its place in the order they
/// were made: [`RUN`] consecutive creates go to one shard, each to the slot after the one
/// before, and the next run to the next shard, so an insert finds the shard's lock, its
/// control bytes and its slot in the cache lines the insert before it touched. With random
/// hashes an insert wrote to a random place in a table of many megabytes; with one id per
/// shard in turn, each insert met the lines of a shard last touched [`SHARDS`] creates
/// before, long gone from the cache: either way three misses, ~4 % of a fresh-key create's
/// CPU. A look-up is as direct as before. Any other id (a fixture's id written by hand, one
/// from the state file of another run) hashes with [`Fx`], at random, so that the ids of two
/// runs, each in order, never pile onto the same slots.
#[derive(Clone, Copy, Debug)]
struct InMintOrder(Mint);

impl BuildHasher for InMintOrder {
    type Hasher = MintHasher;

    fn build_hasher(&self) -> MintHasher {
        MintHasher {
            mint: self.0,
            fx: Fx::default(),
            placed: None,
        }
    }
}

struct MintHasher {
    mint: Mint,
    fx: Fx,
    placed: Option<u64>,
}

/// DashMap's shard is the `SHARD_BITS` bits of the hash under its top seven, which hashbrown
/// keeps for its tags; the slot within the shard is what is below.
const SHARD_BITS: u32 = SHARDS.trailing_zeros();
const SLOT_BITS: u32 = 57 - SHARD_BITS;
const _: () = assert!(SHARDS.is_power_of_two());

/// Consecutive ids that go to one shard: enough to fill whole cache lines of slots (24 bytes
/// each) and of control bytes, few enough that the shards still fill evenly.
const RUN: u64 = 64;

impl Hasher for MintHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.fx.write(bytes);
        // A uuid writes its 16 bytes at once; anything else hashes with Fx alone.
        self.placed = <[u8; 16]>::try_from(bytes)
            .ok()
            .and_then(|id| self.mint.sequence(&Uuid::from_bytes(id)))
            .map(|(place, random)| {
                let tag = random & !(u64::MAX >> 7);
                let (run, within) = (place / RUN, place % RUN);
                let shard = run % SHARDS as u64;
                let slot = (run / SHARDS as u64 * RUN + within) & ((1 << SLOT_BITS) - 1);
                tag | shard << SLOT_BITS | slot
            });
    }

    fn finish(&self) -> u64 {
        self.placed.unwrap_or_else(|| self.fx.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Ids;

    fn stored(id: Uuid) -> StoredProfile {
        StoredProfile {
            id,
            organization_id: Uuid::nil(),
            created_at: Timestamp::default(),
            deleted_at: None,
            json: Bytes::new(),
        }
    }

    #[test]
    fn ids_made_in_a_row_fill_a_run_of_slots_of_one_shard_then_go_to_the_next() {
        let ids = Ids::new(Some(7));
        let order = InMintOrder(ids.mint());
        let per_round = RUN as usize * SHARDS;
        let made: Vec<Uuid> = (0..2 * per_round).map(|_| ids.uuid()).collect();
        let hashes: Vec<u64> = made.iter().map(|id| order.hash_one(id)).collect();
        let shard = |h: u64| (h >> SLOT_BITS) % SHARDS as u64;
        let slot = |h: u64| h & ((1 << SLOT_BITS) - 1);
        // The sequence starts anywhere (the seed's place), not on a run's first id.
        let (first, _) = ids.mint().sequence(&made[0]).unwrap();
        for (i, pair) in hashes.windows(2).enumerate() {
            if first.wrapping_add(i as u64 + 1) % RUN == 0 {
                // A run ends: the next id goes to the next shard.
                assert_eq!(shard(pair[1]), (shard(pair[0]) + 1) % SHARDS as u64);
            } else {
                assert_eq!(shard(pair[1]), shard(pair[0]));
                assert_eq!(slot(pair[1]), slot(pair[0]) + 1);
            }
        }
        // A round later, each shard goes on where it stopped: no two ids share a slot.
        for (earlier, later) in hashes.iter().zip(&hashes[per_round..]) {
            assert_eq!(shard(*later), shard(*earlier));
            assert_eq!(slot(*later), slot(*earlier) + RUN);
        }
        // The tags, hashbrown's top seven bits, still vary.
        let tags: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(tags.len() > 64, "{} tags", tags.len());
    }

    #[test]
    fn ids_made_elsewhere_hash_at_random_and_every_id_is_found() {
        let ids = Ids::new(Some(7));
        let elsewhere = Ids::new(Some(8));
        let order = InMintOrder(ids.mint());
        let theirs: Vec<Uuid> = (0..1000).map(|_| elsewhere.uuid()).collect();
        let mut fx = Fx::default();
        fx.write(theirs[0].as_bytes());
        assert_eq!(order.hash_one(theirs[0]), fx.finish());

        let store = ProfileStore::new(ids.mint());
        let ours: Vec<Uuid> = (0..1000).map(|_| ids.uuid()).collect();
        for id in ours.iter().chain(&theirs) {
            store.insert(stored(*id));
        }
        assert_eq!(store.len(), 2000);
        for id in ours.iter().chain(&theirs) {
            assert!(store.live(Uuid::nil(), *id).is_some());
        }
    }
}
