//! Bit-level arithmetic on string values, for the bitmap commands: counting
//! set bits, finding the first 0 or 1, and reading or writing an integer
//! of 1 to 64 bits at any bit offset, with Redis's overflow rules.
//!
//! Bit 0 of a string is the most significant bit of its first byte (as in
//! Redis: `SETBIT k 0 1` makes the byte `0x80`). Bits past the end of a
//! string read as 0. Nothing here grows a string: the caller makes room
//! before it writes.

/// The number of set bits in `bytes`, eight bytes at a time.
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut total = 0u64;
    for word in &mut words {
        let word: [u8; 8] = word.try_into().expect("eight bytes");
        total += u64::from_ne_bytes(word).count_ones() as u64;
    }
    total + words.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>()
}

/// The bits of a byte that fall in the bit range `first..=last` (absolute
/// bit positions), as a mask over the byte at `byte_index`.
fn range_mask(byte_index: u64, first: u64, last: u64) -> u8 {
    let base = byte_index * 8;
    let mut mask = 0xffu8;
    if first > base {
        mask &= 0xff >> (first - base);
    }
    if last < base + 7 {
        mask &= !(0xffu8 >> (last - base + 1));
    }
    mask
}

/// The set bits of `bytes` in the bit range `first..=last`, which must lie
/// within `bytes`.
pub fn count_range(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (first_byte, last_byte) = (first / 8, last / 8);
    let whole = popcount(&bytes[first_byte as usize..=last_byte as usize]);
    let head = bytes[first_byte as usize] & !range_mask(first_byte, first, last);
    let tail =
        if last_byte != first_byte { bytes[last_byte as usize] & !range_mask(last_byte, first, last) } else { 0 };
    whole - head.count_ones() as u64 - tail.count_ones() as u64
}

/// The position of the first bit equal to `bit` in the bit range
/// `first..=last` (within `bytes`), or `None`.
pub fn find_bit(bytes: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    let (first_byte, last_byte) = (first / 8, last / 8);
    // A byte with the sought bits as ones, only those within the range.
    let sought = |index: u64| {
        let byte = bytes[index as usize];
        (if bit { byte } else { !byte }) & range_mask(index, first, last)
    };
    let hit = |index: u64, ones: u8| index * 8 + ones.leading_zeros() as u64;
    let mut index = first_byte;
    let found = sought(index);
    if found != 0 {
        return Some(hit(index, found));
    }
    index += 1;
    // Whole words in the middle: skip those of all-0 (or all-1) bits.
    let skip = if bit { 0u64 } else { u64::MAX };
    while index + 8 <= last_byte {
        let at = index as usize;
        let word = u64::from_be_bytes(bytes[at..at + 8].try_into().expect("eight bytes"));
        if word != skip {
            break;
        }
        index += 8;
    }
    while index <= last_byte {
        let found = sought(index);
        if found != 0 {
            return Some(hit(index, found));
        }
        index += 1;
    }
    None
}

/// The bit at `offset` (0 past the end).
pub fn get_bit(bytes: &[u8], offset: u64) -> bool {
    let byte = offset / 8;
    byte < bytes.len() as u64 && bytes[byte as usize] & (0x80 >> (offset % 8)) != 0
}

/// Sets the bit at `offset`, which must lie within `bytes`.
pub fn set_bit(bytes: &mut [u8], offset: u64, on: bool) {
    let (byte, mask) = ((offset / 8) as usize, 0x80u8 >> (offset % 8));
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
}

/// The unsigned integer of `width` bits (1 to 64) at bit `offset`, most
/// significant bit first; bits past the end read as 0.
pub fn get_unsigned(bytes: &[u8], offset: u64, width: u32) -> u64 {
    (0..width as u64).fold(0u64, |value, i| (value << 1) | get_bit(bytes, offset + i) as u64)
}

/// The two's-complement integer of `width` bits at bit `offset`.
pub fn get_signed(bytes: &[u8], offset: u64, width: u32) -> i64 {
    let raw = get_unsigned(bytes, offset, width);
    if width < 64 && raw & (1 << (width - 1)) != 0 {
        (raw | (u64::MAX << width)) as i64
    } else {
        raw as i64
    }
}

/// Writes the low `width` bits of `value` at bit `offset`; the field must
/// lie within `bytes`.
pub fn set_unsigned(bytes: &mut [u8], offset: u64, width: u32, value: u64) {
    for i in 0..width as u64 {
        let on = value & (1 << (width as u64 - 1 - i)) != 0;
        set_bit(bytes, offset + i, on);
    }
}

/// What `BITFIELD` does when a result does not fit its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (two's complement for signed fields).
    Wrap,
    /// Stop at the field's minimum or maximum.
    Saturate,
    /// Change nothing and answer null.
    Fail,
}

/// `value + increment` in an unsigned field of `width` bits (1 to 63):
/// the stored result, or `None` when it overflows under [`Overflow::Fail`].
/// A `value` beyond the field (a `SET` of a too large or negative number,
/// with increment 0) counts as an overflow upwards, as in Redis.
pub fn unsigned_add(value: u64, increment: i64, width: u32, mode: Overflow) -> Option<u64> {
    let max = (1u64 << width) - 1;
    let max_increment = max.wrapping_sub(value) as i64;
    let min_increment = (value as i64).wrapping_neg();
    let up = value > max || (increment > 0 && increment > max_increment);
    let down = !up && increment < 0 && increment < min_increment;
    if !up && !down {
        return Some(value.wrapping_add(increment as u64));
    }
    match mode {
        Overflow::Wrap => Some(value.wrapping_add(increment as u64) & !(u64::MAX << width)),
        Overflow::Saturate => Some(if up { max } else { 0 }),
        Overflow::Fail => None,
    }
}

/// `value + increment` in a signed field of `width` bits (1 to 64), as
/// [`unsigned_add`] does for unsigned fields.
pub fn signed_add(value: i64, increment: i64, width: u32, mode: Overflow) -> Option<i64> {
    let max = if width == 64 { i64::MAX } else { (1i64 << (width - 1)) - 1 };
    let min = -max - 1;
    let max_increment = (max as u64).wrapping_sub(value as u64) as i64;
    let min_increment = min.wrapping_sub(value);
    let narrow = width != 64;
    let up = value > max
        || (narrow && increment > max_increment)
        || (value >= 0 && increment > 0 && increment > max_increment);
    let down = !up
        && (value < min
            || (narrow && increment < min_increment)
            || (value < 0 && increment < 0 && increment < min_increment));
    if !up && !down {
        return Some(value.wrapping_add(increment));
    }
    match mode {
        Overflow::Wrap => {
            let sum = (value as u64).wrapping_add(increment as u64);
            if !narrow {
                return Some(sum as i64);
            }
            let high = u64::MAX << width;
            let sign = 1u64 << (width - 1);
            Some((if sum & sign != 0 { sum | high } else { sum & !high }) as i64)
        }
        Overflow::Saturate => Some(if up { max } else { min }),
        Overflow::Fail => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_count(bytes: &[u8], first: u64, last: u64) -> u64 {
        (first..=last).filter(|&b| get_bit(bytes, b)).count() as u64
    }

    fn naive_find(bytes: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
        (first..=last).find(|&b| get_bit(bytes, b) == bit)
    }

    #[test]
    fn counting_and_finding_agree_with_bit_by_bit() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        for round in 0..300 {
            let len = 1 + round % 40;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    // Long runs of 0x00 and 0xff exercise the word skip.
                    match seed % 4 {
                        0 => 0,
                        1 => 0xff,
                        _ => seed as u8,
                    }
                })
                .collect();
            let bits = len as u64 * 8;
            let first = seed % bits;
            let last = first + (seed >> 20) % (bits - first);
            assert_eq!(count_range(&bytes, first, last), naive_count(&bytes, first, last));
            assert_eq!(popcount(&bytes), naive_count(&bytes, 0, bits - 1));
            for bit in [false, true] {
                assert_eq!(find_bit(&bytes, bit, first, last), naive_find(&bytes, bit, first, last));
            }
        }
    }

    #[test]
    fn fields_round_trip() {
        let mut bytes = vec![0u8; 16];
        set_unsigned(&mut bytes, 5, 13, 0x1abc);
        assert_eq!(get_unsigned(&bytes, 5, 13), 0x1abc);
        set_unsigned(&mut bytes, 3, 64, u64::MAX - 5);
        assert_eq!(get_signed(&bytes, 3, 64), -6);
        set_unsigned(&mut bytes, 0, 4, 0b1010);
        assert_eq!(get_signed(&bytes, 0, 4), -6);
        assert_eq!(get_unsigned(&bytes, 200, 8), 0);
    }

    #[test]
    fn overflow_rules() {
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Saturate), Some(255));
        assert_eq!(unsigned_add(5, -10, 8, Overflow::Saturate), Some(0));
        assert_eq!(unsigned_add(5, -10, 8, Overflow::Fail), None);
        // A SET of -1 into u8: above the field, saturated to the maximum.
        assert_eq!(unsigned_add(u64::MAX, 0, 8, Overflow::Saturate), Some(255));
        assert_eq!(signed_add(127, 1, 8, Overflow::Wrap), Some(-128));
        assert_eq!(signed_add(-128, -1, 8, Overflow::Saturate), Some(-128));
        assert_eq!(signed_add(i64::MAX, 1, 64, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(signed_add(i64::MIN, -1, 64, Overflow::Saturate), Some(i64::MIN));
        assert_eq!(signed_add(100, 20, 8, Overflow::Fail), Some(120));
        assert_eq!(signed_add(300, 0, 8, Overflow::Wrap), Some(44));
    }
}
