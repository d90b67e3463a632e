//! HyperLogLog in Redis's representation, byte for byte: a string value
//! that starts with a 16-byte header (`HYLL`, the encoding, three zero
//! bytes, the cached cardinality as 8 little-endian bytes whose top bit
//! says "stale") followed by 16384 six-bit registers, either packed
//! ([`dense`], 12288 bytes) or run-length coded ([`sparse`]). Elements
//! are hashed with MurmurHash64A ([`murmur`]); the count is Ertl's
//! estimator ([`estimate`]).
//!
//! # Invariants
//!
//! * A value is a HyperLogLog when [`encoding_of`] says so: at least a
//!   header long, the magic, a known encoding, and a dense value exactly
//!   [`DENSE_LEN`] bytes. A sparse code that does not cover 16384
//!   registers is found out only when it is walked, and answers
//!   [`Corrupt`].
//! * Every change goes through the same steps as Redis's (the same
//!   opcode splits and merges, promotion to dense at the same moment),
//!   so the same commands give the same bytes on both servers.
//! * The cached cardinality is valid only while its top bit is clear;
//!   every change to the registers sets that bit ([`invalidate_cache`]).

pub mod dense;
pub mod estimate;
pub mod murmur;
pub mod sparse;

/// Bytes of the header before the registers.
pub const HEADER_LEN: usize = 16;
/// Bits of a hash that choose the register.
pub const REGISTER_INDEX_BITS: u32 = 14;
/// Number of registers.
pub const REGISTERS: usize = 1 << REGISTER_INDEX_BITS;
/// Largest register value (6 bits).
pub const REGISTER_MAX: u8 = 63;
/// Length of a dense value, header included.
pub const DENSE_LEN: usize = HEADER_LEN + REGISTERS * 6 / 8;
/// The encoding byte of a dense value.
pub const ENCODING_DENSE: u8 = 0;
/// The encoding byte of a sparse value.
pub const ENCODING_SPARSE: u8 = 1;
/// Redis's default `hll-sparse-max-bytes`.
pub const DEFAULT_SPARSE_MAX_BYTES: usize = 3000;

/// A HyperLogLog whose registers cannot be read (Redis's `INVALIDOBJ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// The two encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Dense,
    Sparse,
}

/// The encoding of `value` if it is a HyperLogLog, `None` otherwise.
pub fn encoding_of(value: &[u8]) -> Option<Encoding> {
    if value.len() < HEADER_LEN || &value[..4] != b"HYLL" {
        return None;
    }
    match value[4] {
        ENCODING_DENSE if value.len() == DENSE_LEN => Some(Encoding::Dense),
        ENCODING_SPARSE => Some(Encoding::Sparse),
        _ => None,
    }
}

/// A new, empty HyperLogLog: sparse, cached cardinality 0.
pub fn new_value() -> Vec<u8> {
    let mut value = Vec::with_capacity(HEADER_LEN + 2);
    value.extend_from_slice(b"HYLL");
    value.push(ENCODING_SPARSE);
    value.extend_from_slice(&[0; 11]);
    sparse::empty_code(&mut value);
    value
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(value: &mut [u8]) {
    value[15] |= 0x80;
}

/// The cached cardinality, if it is valid.
pub fn cached(value: &[u8]) -> Option<u64> {
    let card = u64::from_le_bytes(value[8..16].try_into().expect("eight bytes"));
    (card >> 63 == 0).then_some(card)
}

/// Stores `card` as the cached cardinality (valid).
pub fn store_cache(value: &mut [u8], card: u64) {
    value[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Raises register `index` to `count` in either encoding, promoting a
/// sparse value to dense when Redis would; true if the register changed.
pub fn set_register(value: &mut Vec<u8>, index: usize, count: u8, sparse_max: usize) -> Result<bool, Corrupt> {
    match encoding_of(value) {
        Some(Encoding::Dense) => Ok(dense::raise(&mut value[HEADER_LEN..], index, count)),
        Some(Encoding::Sparse) => match sparse::set(value, index, count, sparse_max)? {
            sparse::SetOutcome::Unchanged => Ok(false),
            sparse::SetOutcome::Changed => {
                invalidate_cache(value);
                Ok(true)
            }
            sparse::SetOutcome::Promote => {
                *value = sparse::to_dense(value)?;
                Ok(dense::raise(&mut value[HEADER_LEN..], index, count))
            }
        },
        None => Err(Corrupt),
    }
}

/// Adds `element`; true if a register changed (the caller then marks
/// the cache stale, as PFADD does once for all its elements).
pub fn add(value: &mut Vec<u8>, element: &[u8], sparse_max: usize) -> Result<bool, Corrupt> {
    let (index, run) = murmur::register_and_run(element);
    set_register(value, index, run, sparse_max)
}

/// Converts a sparse value to dense in place; true if it was sparse.
pub fn make_dense(value: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if encoding_of(value) != Some(Encoding::Sparse) {
        return Ok(false);
    }
    *value = sparse::to_dense(value)?;
    Ok(true)
}

/// The histogram of the registers' values.
fn histogram(value: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut counts = [0u32; 64];
    match encoding_of(value) {
        Some(Encoding::Dense) => dense::histogram(&value[HEADER_LEN..], &mut counts),
        Some(Encoding::Sparse) => sparse::histogram(value, &mut counts)?,
        None => return Err(Corrupt),
    }
    Ok(counts)
}

/// The estimated cardinality, computed from the registers (the cache is
/// neither read nor written).
pub fn count(value: &[u8]) -> Result<u64, Corrupt> {
    Ok(estimate::cardinality(&histogram(value)?))
}

/// Raises each of `max` (one byte per register, 16384 of them) to the
/// registers of `value`.
pub fn merge_into(value: &[u8], max: &mut [u8]) -> Result<(), Corrupt> {
    match encoding_of(value) {
        Some(Encoding::Dense) => {
            dense::merge_into(&value[HEADER_LEN..], max);
            Ok(())
        }
        Some(Encoding::Sparse) => sparse::merge_into(value, max),
        None => Err(Corrupt),
    }
}

/// The estimated cardinality of registers held one per byte (a union).
pub fn count_registers(max: &[u8]) -> u64 {
    let mut counts = [0u32; 64];
    for &value in max {
        counts[(value & 63) as usize] += 1;
    }
    estimate::cardinality(&counts)
}

/// Every register of a dense value, in order.
pub fn dense_registers(value: &[u8]) -> impl Iterator<Item = u8> + '_ {
    (0..REGISTERS).map(move |index| dense::get(&value[HEADER_LEN..], index))
}

/// Redis's `PFSELFTEST`: register access on random values, then `elements`
/// distinct elements added to a dense and a sparse HyperLogLog side by
/// side, their counts compared with each other and with the truth at
/// every power of ten. `seed` makes the random values.
pub fn self_test(seed: u64, elements: u64, sparse_max: usize) -> Result<(), String> {
    let mut state = seed | 1;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut dense_value = vec![0u8; DENSE_LEN];
    dense_value[..4].copy_from_slice(b"HYLL");
    let mut expected = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (index, slot) in expected.iter_mut().enumerate() {
            *slot = (random() & REGISTER_MAX as u64) as u8;
            dense::put(&mut dense_value[HEADER_LEN..], index, *slot);
        }
        for (index, &value) in expected.iter().enumerate() {
            let got = dense::get(&dense_value[HEADER_LEN..], index);
            if got != value {
                return Err(format!("TESTFAILED Register {index} should be {value} but is {got}"));
            }
        }
    }
    dense_value[HEADER_LEN..].fill(0);
    let mut sparse_value = new_value();
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let salt = random();
    let mut checkpoint = 1u64;
    for j in 1..=elements {
        let element = (j ^ salt).to_ne_bytes();
        let (index, run) = murmur::register_and_run(&element);
        dense::raise(&mut dense_value[HEADER_LEN..], index, run);
        add(&mut sparse_value, &element, sparse_max).map_err(|_| "TESTFAILED corrupted sparse value".to_string())?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < sparse_max / 2 && encoding_of(&sparse_value) != Some(Encoding::Sparse) {
            return Err("TESTFAILED sparse encoding not used".to_string());
        }
        let dense_count = count(&dense_value).map_err(|_| "TESTFAILED corrupted dense value".to_string())?;
        if count(&sparse_value) != Ok(dense_count) {
            return Err("TESTFAILED dense/sparse disagree".to_string());
        }
        let error = checkpoint.abs_diff(dense_count);
        let allowed = if j == 10 { 1 } else { (relative_error * 6.0 * checkpoint as f64).ceil() as u64 };
        if error > allowed {
            return Err(format!("TESTFAILED Too big error. card:{checkpoint} abserr:{error}"));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_value_is_an_empty_sparse_hll() {
        let value = new_value();
        assert_eq!(value.len(), 18);
        assert_eq!(encoding_of(&value), Some(Encoding::Sparse));
        assert_eq!(count(&value), Ok(0));
        assert_eq!(cached(&value), Some(0));
    }

    #[test]
    fn promotion_and_counts_agree_across_encodings() {
        let mut value = new_value();
        let mut dense_value = new_value();
        make_dense(&mut dense_value).expect("valid");
        for i in 0..5000u32 {
            let element = format!("element:{i}");
            add(&mut value, element.as_bytes(), DEFAULT_SPARSE_MAX_BYTES).expect("valid");
            add(&mut dense_value, element.as_bytes(), DEFAULT_SPARSE_MAX_BYTES).expect("valid");
            if i % 500 == 0 {
                assert_eq!(count(&value), count(&dense_value));
            }
        }
        assert_eq!(encoding_of(&value), Some(Encoding::Dense));
        assert_eq!(&value[HEADER_LEN..], &dense_value[HEADER_LEN..]);
        let estimate = count(&value).expect("valid");
        assert!((4800..5200).contains(&estimate), "{estimate}");
    }

    #[test]
    fn cache_bits() {
        let mut value = new_value();
        store_cache(&mut value, 1234);
        assert_eq!(cached(&value), Some(1234));
        invalidate_cache(&mut value);
        assert_eq!(cached(&value), None);
    }

    #[test]
    fn self_test_passes() {
        assert_eq!(self_test(7, 100_000, DEFAULT_SPARSE_MAX_BYTES), Ok(()));
    }
}
