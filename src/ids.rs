//! The id source: profile and brand uuids and request ids.
//!
//! Ids come from a counter pushed through bijections, so they are unique within a run without
//! any lookup, look random, and are the same from run to run when a seed is given (for snapshot
//! tests). Without a seed the starting point is random.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use uuid::Uuid;

/// `req_` plus ten characters of `[A-Za-z0-9]`, held inline: every request has one, and
/// making it costs no allocation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId([u8; 14]);

impl RequestId {
    pub fn as_str(&self) -> &str {
        // Only `Ids::request_id` makes one, from ASCII letters and digits.
        std::str::from_utf8(&self.0).unwrap_or("req_")
    }
}

impl std::ops::Deref for RequestId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 62^10: the number of distinct request id suffixes.
const REQUEST_ID_SPACE: u128 = 839_299_365_868_340_224;
/// Multiplying by it permutes `0..REQUEST_ID_SPACE`.
const REQUEST_ID_STRIDE: u128 = 0x0B8F_3A6D_2C51_E7F3;
// 62^10 = 2^10 * 31^10, so a stride that is odd and not a multiple of 31 is coprime to it.
const _: () = assert!(
    REQUEST_ID_SPACE == 62u128.pow(10)
        && REQUEST_ID_STRIDE < REQUEST_ID_SPACE
        && REQUEST_ID_STRIDE % 2 == 1
        && REQUEST_ID_STRIDE % 31 != 0
);

#[derive(Debug)]
pub struct Ids {
    seed: u64,
    uuids: AtomicU64,
    requests: AtomicU64,
}

impl Ids {
    pub fn new(seed: Option<u64>) -> Self {
        let seed = seed.unwrap_or_else(|| {
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish()
        });
        Ids {
            seed,
            uuids: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        }
    }

    /// A version 4 uuid. The first 64 random bits are a bijection of the counter, placed
    /// around the version and variant bits, so two calls never collide.
    pub fn uuid(&self) -> Uuid {
        let n = self.uuids.fetch_add(1, Ordering::Relaxed);
        let unique = mix(self.seed.wrapping_add(n)).to_be_bytes();
        let filler = self.mint().filler(u64::from_be_bytes(unique)).to_be_bytes();
        let mut bytes = [0u8; 16];
        bytes[0..6].copy_from_slice(&unique[0..6]);
        bytes[6] = 0x40 | (filler[0] & 0x0f);
        bytes[7] = unique[6];
        bytes[8] = 0x80 | (filler[1] & 0x3f);
        bytes[9] = unique[7];
        bytes[10..16].copy_from_slice(&filler[2..8]);
        Uuid::from_bytes(bytes)
    }

    /// How far the uuids have gone, for the state file.
    pub fn progress(&self) -> Progress {
        Progress {
            seed: self.seed,
            next: self.uuids.load(Ordering::Relaxed),
        }
    }

    /// Goes on from where a run saved with [`Ids::progress`] stopped, if it had the same seed
    /// (a `--seed` restarted with its state file): otherwise its uuids would come again and
    /// overwrite the saved profiles. Another seed's uuids are another sequence: nothing to do.
    pub fn resume(&self, saved: Progress) {
        if saved.seed == self.seed {
            self.uuids.fetch_max(saved.next, Ordering::Relaxed);
        }
    }

    /// What tells this source's uuids from others, and their order.
    pub fn mint(&self) -> Mint {
        Mint { seed: self.seed }
    }

    pub fn request_id(&self) -> RequestId {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) as u128;
        // Below 62^10 < 2^60 after the one 128-bit reduction: the digits come from u64
        // arithmetic, which is a single instruction where u128 division is a library call.
        let mut value = ((n * REQUEST_ID_STRIDE + self.seed as u128) % REQUEST_ID_SPACE) as u64;
        let mut out = [0u8; 14];
        out[..4].copy_from_slice(b"req_");
        for slot in out[4..].iter_mut().rev() {
            *slot = ALPHABET[(value % 62) as usize];
            value /= 62;
        }
        RequestId(out)
    }
}

/// Where an [`Ids`] is in its sequence of uuids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    seed: u64,
    next: u64,
}

/// Recognises the uuids an [`Ids`] made, and tells their order: the profile map lays
/// profiles out in that order (see `profiles::store`).
#[derive(Clone, Copy, Debug)]
pub struct Mint {
    seed: u64,
}

impl Mint {
    /// The 64 bits that fill a uuid's last bytes after its unique ones.
    fn filler(self, unique: u64) -> u64 {
        mix(unique ^ self.seed.rotate_left(32))
    }

    /// For a uuid this source made, its place in the sequence of uuids it made (the counter
    /// plus the seed; consecutive uuids have consecutive places) and the 64 random-looking
    /// bits its last bytes were filled from; `None` for any other uuid (a fixture's id written
    /// by hand, an id from a state file of another run), or with a chance of 2^-48 for one
    /// that only looks made here.
    pub fn sequence(self, id: &Uuid) -> Option<(u64, u64)> {
        let b = id.as_bytes();
        let unique = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[7], b[9]]);
        let filler = self.filler(unique).to_be_bytes();
        (filler[2..8] == b[10..16]).then(|| (unmix(unique), u64::from_be_bytes(filler)))
    }
}

/// The inverse of [`mix`].
fn unmix(mut z: u64) -> u64 {
    z = z ^ (z >> 31) ^ (z >> 62);
    z = z.wrapping_mul(inverse(0x94D0_49BB_1331_11EB));
    z = z ^ (z >> 27) ^ (z >> 54);
    z = z.wrapping_mul(inverse(0xBF58_476D_1CE4_E5B9));
    z = z ^ (z >> 30) ^ (z >> 60);
    z.wrapping_sub(0x9E37_79B9_7F4A_7C15)
}

/// The inverse of an odd `a` modulo 2^64 (Newton's iteration, each step doubling the bits).
const fn inverse(a: u64) -> u64 {
    let mut x = a;
    let mut i = 0;
    while i < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        i += 1;
    }
    x
}

/// splitmix64's finaliser: a bijection on u64 that scatters neighbouring inputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuids_are_version_4_and_unique() {
        let ids = Ids::new(None);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = ids.uuid();
            assert_eq!(id.get_version_num(), 4);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn request_ids_have_the_documented_shape_and_are_unique() {
        let ids = Ids::new(None);
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = ids.request_id();
            assert_eq!(id.len(), 14);
            assert!(id.starts_with("req_"));
            assert!(id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn a_mint_knows_its_own_uuids_and_their_order() {
        for x in [0u64, 1, 2, 12345, u64::MAX, 0x9E37_79B9_7F4A_7C15] {
            assert_eq!(unmix(mix(x)), x);
        }
        let ids = Ids::new(Some(99));
        let other = Ids::new(Some(100));
        for n in 0..1000 {
            let (place, _) = ids.mint().sequence(&ids.uuid()).unwrap();
            assert_eq!(place, 99 + n);
            assert_eq!(ids.mint().sequence(&other.uuid()), None);
        }
        let by_hand = Uuid::parse_str("3fa85f64-5717-4562-b3fc-2c963f66afa6").unwrap();
        assert_eq!(ids.mint().sequence(&by_hand), None);
    }

    #[test]
    fn a_seed_repeats_the_same_sequence() {
        let (a, b) = (Ids::new(Some(7)), Ids::new(Some(7)));
        for _ in 0..100 {
            assert_eq!(a.uuid(), b.uuid());
            assert_eq!(a.request_id(), b.request_id());
        }
        assert_ne!(Ids::new(Some(8)).uuid(), Ids::new(Some(7)).uuid());
    }
}
