//! A fast, non-cryptographic hasher for what no client can aim at: the idempotency
//! fingerprints (a client crafting a collision only hurts itself) and the profile map, whose
//! keys are ids the process made. Maps keyed by what clients choose use a keyed SipHash.

use std::hash::Hasher;

/// The rustc "Fx" mix, eight bytes at a time, with a final avalanche (splitmix64's), so that
/// nearby inputs land far apart.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fx(u64);

impl Fx {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        // Long input (a body) runs four independent lanes over 32-byte blocks: one lane's
        // multiply waits on the one before it, four keep the multiplier busy.
        let mut blocks = bytes.chunks_exact(32);
        if bytes.len() >= 64 {
            let mut lanes = [self.0, self.0 ^ 1, self.0 ^ 2, self.0 ^ 3];
            for block in &mut blocks {
                for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(word);
                    *lane =
                        (lane.rotate_left(26) ^ u64::from_le_bytes(bytes)).wrapping_mul(Self::K);
                }
            }
            for lane in lanes {
                self.mix(lane);
            }
        }
        let tail = if bytes.len() >= 64 {
            blocks.remainder()
        } else {
            bytes
        };
        let mut chunks = tail.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
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
