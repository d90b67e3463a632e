//! The sparse encoding: after the header, a run-length code of the 16384
//! registers in three opcodes (Redis's format, byte for byte):
//!
//! * `00xxxxxx` ZERO: 1 to 64 registers at 0;
//! * `01xxxxxx yyyyyyyy` XZERO: 1 to 16384 registers at 0 (14 bits);
//! * `1vvvvvxx` VAL: 1 to 4 registers at value 1 to 32.
//!
//! A valid code covers exactly 16384 registers. [`set`] rewrites the code
//! in place as Redis's `hllSparseSet` does (split the opcode covering the
//! register, then merge equal neighbouring VALs), so that the same
//! elements added in the same order give the same bytes as Redis; it asks
//! for promotion to the dense encoding when a value exceeds 32 or the
//! value would grow past the sparse size limit.

use super::{dense, Corrupt, HEADER_LEN, REGISTERS};

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
const ZERO_MAX_LEN: usize = 64;
/// The most registers one XZERO opcode covers.
pub const XZERO_MAX_LEN: usize = 16384;

/// One decoded opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Zero(usize),
    XZero(usize),
    Val(u8, usize),
}

impl Op {
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    fn encoded_len(self) -> usize {
        if matches!(self, Op::XZero(_)) {
            2
        } else {
            1
        }
    }
}

/// The opcode at `at` (an XZERO cut short at the end reads its second
/// byte as 0).
#[inline]
fn op_at(code: &[u8], at: usize) -> Op {
    let byte = code[at];
    if byte & 0xc0 == 0 {
        Op::Zero((byte & 0x3f) as usize + 1)
    } else if byte & 0x80 != 0 {
        Op::Val(((byte >> 2) & 0x1f) + 1, (byte & 3) as usize + 1)
    } else {
        let low = code.get(at + 1).copied().unwrap_or(0) as usize;
        Op::XZero((((byte & 0x3f) as usize) << 8 | low) + 1)
    }
}

fn val_byte(value: u8, len: usize) -> u8 {
    0x80 | (value - 1) << 2 | (len - 1) as u8
}

/// Appends the opcodes for `len` registers at 0 (`len` at most 16384).
fn push_zeros(out: &mut Vec<u8>, len: usize) {
    if len > ZERO_MAX_LEN {
        let n = len - 1;
        out.push(0x40 | (n >> 8) as u8);
        out.push((n & 0xff) as u8);
    } else {
        out.push((len - 1) as u8);
    }
}

/// The code of an empty HyperLogLog: XZERO opcodes covering every register.
pub fn empty_code(out: &mut Vec<u8>) {
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        push_zeros(out, run);
        left -= run;
    }
}

/// Walks the code after the header, calling `visit(first_register, op)`;
/// returns the number of registers covered.
fn walk(value: &[u8], mut visit: impl FnMut(usize, Op) -> bool) -> usize {
    let mut at = HEADER_LEN;
    let mut index = 0usize;
    while at < value.len() {
        let op = op_at(value, at);
        if !visit(index, op) {
            break;
        }
        index += op.span();
        at += op.encoded_len();
    }
    index
}

/// The dense form of a sparse value: the header kept (with its cached
/// cardinality), the encoding byte set to dense.
pub fn to_dense(value: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut dense_value = vec![0u8; super::DENSE_LEN];
    dense_value[..HEADER_LEN].copy_from_slice(&value[..HEADER_LEN]);
    dense_value[4] = super::ENCODING_DENSE;
    let registers = &mut dense_value[HEADER_LEN..];
    let mut overflow = false;
    let covered = walk(value, |first, op| {
        if let Op::Val(v, len) = op {
            if first + len > REGISTERS {
                overflow = true;
                return false;
            }
            for index in first..first + len {
                dense::put(registers, index, v);
            }
        }
        true
    });
    if overflow || covered != REGISTERS {
        return Err(Corrupt);
    }
    Ok(dense_value)
}

/// Adds the registers to `histogram`; `Err` if the code does not cover
/// exactly 16384 registers.
pub fn histogram(value: &[u8], histogram: &mut [u32; 64]) -> Result<(), Corrupt> {
    let covered = walk(value, |_, op| {
        match op {
            // A corrupt code may cover more than fits: it is refused below.
            Op::Zero(n) | Op::XZero(n) => histogram[0] = histogram[0].wrapping_add(n as u32),
            Op::Val(v, n) => histogram[v as usize] = histogram[v as usize].wrapping_add(n as u32),
        }
        true
    });
    if covered == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Raises each of `max` (one byte per register) to the register's value.
pub fn merge_into(value: &[u8], max: &mut [u8]) -> Result<(), Corrupt> {
    let mut overflow = false;
    let covered = walk(value, |first, op| {
        if let Op::Val(v, len) = op {
            if first + len > REGISTERS {
                overflow = true;
                return false;
            }
            for slot in &mut max[first..first + len] {
                *slot = (*slot).max(v);
            }
        }
        true
    });
    if overflow || covered != REGISTERS {
        Err(Corrupt)
    } else {
        Ok(())
    }
}

/// The opcodes as `PFDEBUG DECODE` prints them (`z:3 Z:100 v:2,1`).
pub fn decode(value: &[u8]) -> String {
    let mut parts = Vec::new();
    walk(value, |_, op| {
        parts.push(match op {
            Op::Zero(n) => format!("z:{n}"),
            Op::XZero(n) => format!("Z:{n}"),
            Op::Val(v, n) => format!("v:{v},{n}"),
        });
        true
    });
    parts.join(" ")
}

/// What [`set`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOutcome {
    /// The register already held as much.
    Unchanged,
    /// The code was rewritten.
    Changed,
    /// The value needs the dense encoding (too large for a VAL, or the
    /// code would outgrow `max_bytes`).
    Promote,
}

/// Raises register `index` to `count` in the sparse `value` (header
/// included), rewriting the code in place. The cached cardinality is not
/// touched; the caller invalidates it.
pub fn set(value: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<SetOutcome, Corrupt> {
    if count > VAL_MAX_VALUE {
        return Ok(SetOutcome::Promote);
    }
    // Find the opcode covering the register.
    let end = value.len();
    let (mut at, mut first, mut span) = (HEADER_LEN, 0usize, 0usize);
    let mut previous: Option<usize> = None;
    let mut op = Op::Zero(0);
    while at < end {
        op = op_at(value, at);
        span = op.span();
        if index < first + span {
            break;
        }
        previous = Some(at);
        at += op.encoded_len();
        first += span;
    }
    if span == 0 || at >= end {
        return Err(Corrupt);
    }
    let last = first + span - 1;
    let simple = match op {
        Op::Val(old, _) if old >= count => return Ok(SetOutcome::Unchanged),
        Op::Val(_, 1) | Op::Zero(1) => true,
        _ => false,
    };
    if simple {
        value[at] = val_byte(count, 1);
    } else {
        // Split the opcode around the register: at most XZERO-VAL-XZERO.
        let mut sequence = Vec::with_capacity(5);
        match op {
            Op::Val(old, _) => {
                if index != first {
                    sequence.push(val_byte(old, index - first));
                }
                sequence.push(val_byte(count, 1));
                if index != last {
                    sequence.push(val_byte(old, last - index));
                }
            }
            _ => {
                if index != first {
                    push_zeros(&mut sequence, index - first);
                }
                sequence.push(val_byte(count, 1));
                if index != last {
                    push_zeros(&mut sequence, last - index);
                }
            }
        }
        let old_len = op.encoded_len();
        if sequence.len() > old_len && value.len() + sequence.len() - old_len > max_bytes {
            return Ok(SetOutcome::Promote);
        }
        let replaced_end = (at + old_len).min(value.len());
        value.splice(at..replaced_end, sequence);
    }
    merge_neighbours(value, previous.unwrap_or(HEADER_LEN));
    Ok(SetOutcome::Changed)
}

/// Merges adjacent VAL opcodes of equal value whose lengths fit one VAL,
/// looking at up to five opcodes from `at` (Redis's step 4).
fn merge_neighbours(value: &mut Vec<u8>, mut at: usize) {
    let mut budget = 5;
    while at < value.len() && budget > 0 {
        budget -= 1;
        match op_at(value, at) {
            Op::XZero(_) => at += 2,
            Op::Zero(_) => at += 1,
            Op::Val(v1, len1) => {
                if let Some(Op::Val(v2, len2)) = (at + 1 < value.len()).then(|| op_at(value, at + 1)) {
                    if v1 == v2 && len1 + len2 <= VAL_MAX_LEN {
                        value[at + 1] = val_byte(v1, len1 + len2);
                        value.remove(at);
                        continue;
                    }
                }
                at += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Vec<u8> {
        let mut value = vec![0u8; HEADER_LEN];
        empty_code(&mut value);
        value
    }

    fn registers(value: &[u8]) -> Vec<u8> {
        let mut max = vec![0u8; REGISTERS];
        merge_into(value, &mut max).expect("valid");
        max
    }

    #[test]
    fn splits_and_merges_like_a_plain_array() {
        let mut value = empty();
        let mut expected = vec![0u8; REGISTERS];
        let mut seed = 42u64;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // Clustered indexes make neighbouring VALs to merge.
            let index = ((seed >> 33) as usize % 300) * 7 % REGISTERS;
            let count = ((seed >> 20) % 32) as u8 + 1;
            let outcome = set(&mut value, index, count, usize::MAX).expect("valid");
            let changed = count > expected[index];
            assert_eq!(outcome, if changed { SetOutcome::Changed } else { SetOutcome::Unchanged });
            expected[index] = expected[index].max(count);
        }
        assert_eq!(registers(&value), expected);
        let dense_value = to_dense(&value).expect("valid");
        for (index, &v) in expected.iter().enumerate() {
            assert_eq!(dense::get(&dense_value[HEADER_LEN..], index), v);
        }
    }

    #[test]
    fn empty_code_and_decode() {
        let value = empty();
        assert_eq!(value.len(), HEADER_LEN + 2);
        assert_eq!(decode(&value), "Z:16384");
        let mut value = value;
        set(&mut value, 100, 3, 3000).expect("valid");
        set(&mut value, 101, 3, 3000).expect("valid");
        assert_eq!(decode(&value), "Z:100 v:3,2 Z:16282");
        assert_eq!(set(&mut value, 5, 33, 3000), Ok(SetOutcome::Promote));
        let limit = value.len();
        assert_eq!(set(&mut value, 5000, 2, limit), Ok(SetOutcome::Promote));
    }

    /// Arbitrary bytes as a code: every operation answers, none panics.
    #[test]
    fn arbitrary_codes_never_panic() {
        let mut seed = 0x1234_5678u64;
        for round in 0..3000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = (seed >> 40) as usize % 40;
            let mut value = vec![0u8; HEADER_LEN];
            for _ in 0..len {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                value.push((seed >> 56) as u8);
            }
            if round % 3 == 0 {
                empty_code(&mut value);
            }
            let _ = histogram(&value, &mut [0; 64]);
            let _ = to_dense(&value);
            let _ = merge_into(&value, &mut vec![0u8; REGISTERS]);
            let _ = decode(&value);
            let index = (seed >> 8) as usize % REGISTERS;
            let _ = set(&mut value, index, (seed % 40) as u8 + 1, 3000);
        }
    }

    #[test]
    fn corrupt_codes_are_refused() {
        let mut value = empty();
        value.truncate(HEADER_LEN + 1);
        value[HEADER_LEN] = 0x10; // ZERO of 17 registers only
        assert_eq!(histogram(&value, &mut [0; 64]), Err(Corrupt));
        assert!(to_dense(&value).is_err());
        assert_eq!(set(&mut value, 1000, 1, 3000), Err(Corrupt));
    }
}
