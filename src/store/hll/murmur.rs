//! MurmurHash64A, Austin Appleby's 64-bit MurmurHash2, as Redis computes
//! it for HyperLogLog (endian-neutral: words are read little-endian on
//! every machine), and what an element contributes to a HyperLogLog: its
//! register and the length of its run of zero bits.

use super::{REGISTERS, REGISTER_INDEX_BITS};

/// The seed Redis hashes HyperLogLog elements with.
pub const HLL_SEED: u64 = 0xadc8_3b19;

const MULTIPLIER: u64 = 0xc6a4_a793_5bd1_e995;
const SHIFT: u32 = 47;

/// MurmurHash64A of `data` with `seed`. Redis passes the length as a C
/// `int`, so only the low 32 bits of it take part, sign-extended.
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    let length = data.len() as i32 as i64 as u64;
    let mut hash = seed ^ length.wrapping_mul(MULTIPLIER);
    let mut words = data.chunks_exact(8);
    for word in &mut words {
        let mut k = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        k = k.wrapping_mul(MULTIPLIER);
        k ^= k >> SHIFT;
        k = k.wrapping_mul(MULTIPLIER);
        hash ^= k;
        hash = hash.wrapping_mul(MULTIPLIER);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &byte) in tail.iter().enumerate() {
            hash ^= (byte as u64) << (8 * i);
        }
        hash = hash.wrapping_mul(MULTIPLIER);
    }
    hash ^= hash >> SHIFT;
    hash = hash.wrapping_mul(MULTIPLIER);
    hash ^= hash >> SHIFT;
    hash
}

/// The register `element` falls in, and the value it offers that register:
/// one more than the number of zero bits above the register index bits,
/// counted from the low end (1 to 51).
pub fn register_and_run(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, HLL_SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    // A bit above the 50 used ones ends the run at 51 at most.
    let rest = (hash >> REGISTER_INDEX_BITS) | (1 << (64 - REGISTER_INDEX_BITS));
    (index, rest.trailing_zeros() as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // The empty input hashes to a mix of the seed alone.
        let mut expected = HLL_SEED;
        expected ^= expected >> SHIFT;
        expected = expected.wrapping_mul(MULTIPLIER);
        expected ^= expected >> SHIFT;
        assert_eq!(murmur64a(b"", HLL_SEED), expected);
        // Different tails give different hashes, and the result is stable.
        assert_ne!(murmur64a(b"a", HLL_SEED), murmur64a(b"b", HLL_SEED));
        assert_eq!(murmur64a(b"hello world", 0), murmur64a(b"hello world", 0));
    }

    #[test]
    fn runs_stay_in_range() {
        for i in 0..10_000u32 {
            let (index, run) = register_and_run(&i.to_le_bytes());
            assert!(index < REGISTERS);
            assert!((1..=51).contains(&run));
        }
    }
}
