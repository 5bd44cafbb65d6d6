//! A fast, non-cryptographic hasher for what no client can aim at: the idempotency
//! fingerprints (a client crafting a collision only hurts itself), the profile map, whose
//! keys are ids the process made, and the directory, whose entries the fixtures and the
//! control API make. Maps keyed by what clients choose use a keyed SipHash.

use std::hash::Hasher;

/// The rustc "Fx" mix, eight bytes at a time (inputs of up to 16 bytes, most of what is hashed,
/// in one folded multiply), with a final avalanche (splitmix64's), so that nearby inputs land
/// far apart.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fx(u64);

impl Fx {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    const L: u64 = 0x2d35_8dcc_aa6c_78a5;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let len = bytes.len();
        // Most of what is hashed is a key or a short value. Up to 16 bytes, two loads that
        // may overlap cover the input, and with its length they tell every input apart: one
        // multiply, no loop.
        if len <= 16 {
            let (a, b) = match len {
                8..=16 => (load8(bytes, 0), load8(bytes, len - 8)),
                4..=7 => (load4(bytes, 0), load4(bytes, len - 4)),
                1..=3 => (
                    u64::from(bytes[0]) | u64::from(bytes[len / 2]) << 8,
                    u64::from(bytes[len - 1]),
                ),
                _ => (0, 0),
            };
            self.0 = fold(self.0 ^ a ^ Self::K, b ^ (len as u64) << 56 ^ Self::L);
            return;
        }
        // Long input (a body) runs four independent lanes over 32-byte blocks: one lane's
        // multiply waits on the one before it, four keep the multiplier busy.
        let mut blocks = bytes.chunks_exact(32);
        if len >= 64 {
            let mut lanes = [self.0, self.0 ^ 1, self.0 ^ 2, self.0 ^ 3];
            for block in &mut blocks {
                for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                    *lane = (lane.rotate_left(26) ^ load8(word, 0)).wrapping_mul(Self::K);
                }
            }
            for lane in lanes {
                self.mix(lane);
            }
        }
        let tail = if len >= 64 { blocks.remainder() } else { bytes };
        let mut chunks = tail.chunks_exact(8);
        for chunk in &mut chunks {
            self.mix(load8(chunk, 0));
        }
        // The last eight bytes of the input, which overlap what came before when the tail
        // is shorter: still one load, and with the length the input is told apart.
        let last = load8(bytes, len - 8);
        let rest = chunks.remainder().len();
        self.mix(last >> (8 * (8 - rest) % 64) ^ (len as u64) << 56);
    }

    fn write_u8(&mut self, byte: u8) {
        self.mix(u64::from(byte));
    }

    fn write_u64(&mut self, word: u64) {
        self.mix(word);
    }

    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Eight bytes of `bytes` from `at`, little-endian; the caller knows they are there.
#[inline(always)]
fn load8(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

#[inline(always)]
fn load4(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(word))
}

/// The full 128-bit product of `a` and `b`, folded to 64 bits: every input bit reaches
/// many output bits in one multiply.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ (product >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn hash(bytes: &[u8]) -> u64 {
        let mut h = Fx::default();
        h.write(bytes);
        h.finish()
    }

    #[test]
    fn inputs_that_differ_in_one_byte_or_in_length_hash_apart() {
        // Every length through the short, the middle and the long paths, and each input
        // again with every one of its bytes changed: none may share a hash.
        let base: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        let mut seen = HashSet::new();
        let mut inputs = 0;
        for len in 0..base.len() {
            assert!(seen.insert(hash(&base[..len])), "length {len}");
            inputs += 1;
            for at in 0..len {
                let mut changed = base[..len].to_vec();
                changed[at] ^= 0x20;
                assert!(seen.insert(hash(&changed)), "length {len}, byte {at}");
                inputs += 1;
            }
        }
        assert_eq!(seen.len(), inputs);
        // Zero bytes count: an input of zeros is not the empty input, nor a shorter one.
        let zeros: HashSet<u64> = (0..40).map(|n| hash(&vec![0; n])).collect();
        assert_eq!(zeros.len(), 40);
    }
}
