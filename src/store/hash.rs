//! The keyspace's hash function: a seeded multiply-fold hash over 8-byte
//! words. It is fast on the short keys that dominate real workloads and
//! seeded per process (from the standard library's random state) so that
//! nobody can precompute colliding keys for a given server. Each table
//! derives its own seed from the process's (see `store::table`), so the
//! order of one table says nothing about another's.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const MUL_A: u64 = 0x9e37_79b9_7f4a_7c15;
const MUL_B: u64 = 0xd6e8_feb8_6659_fd93;

fn fold_multiply(a: u64, b: u64) -> u64 {
    let product = (a as u128).wrapping_mul(b as u128);
    (product as u64) ^ ((product >> 64) as u64)
}

/// The process-wide random seed.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(std::process::id() as u64);
        hasher.finish() | 1
    })
}

/// Hashes `data` with the process seed.
#[inline]
pub fn hash_bytes(data: &[u8]) -> u64 {
    hash_with_seed(seed(), data)
}

/// Hashes `data` with an explicit seed (tests and fuzzing use fixed seeds).
#[inline]
pub fn hash_with_seed(seed: u64, data: &[u8]) -> u64 {
    let mut state = seed ^ (data.len() as u64).wrapping_mul(MUL_A);
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap());
        state = fold_multiply(state ^ word, MUL_B);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        state = fold_multiply(state ^ u64::from_le_bytes(last), MUL_B);
    }
    fold_multiply(state ^ MUL_A, MUL_B ^ seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differs_on_small_changes() {
        let a = hash_with_seed(1, b"key:00000001");
        let b = hash_with_seed(1, b"key:00000002");
        let c = hash_with_seed(1, b"key:0000000");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_ne!(hash_with_seed(1, b""), hash_with_seed(1, b"\0"));
    }
}
