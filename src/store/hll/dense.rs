//! The dense encoding: 16384 registers of 6 bits each packed into 12288
//! bytes after the header, register `i` starting at bit `6 * i` counted
//! from the least significant bit of each byte upwards (Redis's layout:
//! register 0 is the low 6 bits of byte 0, register 1 its top 2 bits and
//! the low 4 of byte 1, and so on).

use super::{REGISTERS, REGISTER_MAX};

/// Register `index` of the packed `registers`.
#[inline]
pub fn get(registers: &[u8], index: usize) -> u8 {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let low = (registers[byte] >> shift) as u16;
    let high = registers.get(byte + 1).map_or(0, |&b| (b as u16) << (8 - shift));
    ((low | high) as u8) & REGISTER_MAX
}

/// Sets register `index` of the packed `registers` to `value` (at most 63).
#[inline]
pub fn put(registers: &mut [u8], index: usize, value: u8) {
    let bit = index * 6;
    let (byte, shift) = (bit / 8, bit % 8);
    let value = value as u16;
    let field = (REGISTER_MAX as u16) << shift;
    registers[byte] = ((registers[byte] as u16 & !field) | (value << shift)) as u8;
    if shift > 2 {
        let spill = (REGISTER_MAX as u16) >> (8 - shift);
        registers[byte + 1] = (registers[byte + 1] as u16 & !spill | (value >> (8 - shift))) as u8;
    }
}

/// Raises register `index` to `value` if it is lower; true if it changed.
#[inline]
pub fn raise(registers: &mut [u8], index: usize, value: u8) -> bool {
    if value > get(registers, index) {
        put(registers, index, value);
        true
    } else {
        false
    }
}

/// Adds the packed registers to `histogram` (how many registers hold each
/// value), four registers (three bytes) at a time.
pub fn histogram(registers: &[u8], histogram: &mut [u32; 64]) {
    for group in registers[..REGISTERS * 6 / 8].chunks_exact(3) {
        let word = group[0] as u32 | (group[1] as u32) << 8 | (group[2] as u32) << 16;
        histogram[(word & 63) as usize] += 1;
        histogram[(word >> 6 & 63) as usize] += 1;
        histogram[(word >> 12 & 63) as usize] += 1;
        histogram[(word >> 18 & 63) as usize] += 1;
    }
}

/// Raises each of `max` (one byte per register) to the packed register.
pub fn merge_into(registers: &[u8], max: &mut [u8]) {
    for (index, slot) in max.iter_mut().enumerate() {
        let value = get(registers, index);
        if value > *slot {
            *slot = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_keep_their_neighbours() {
        let mut registers = vec![0u8; REGISTERS * 6 / 8];
        let mut expected = vec![0u8; REGISTERS];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3 {
            for (index, slot) in expected.iter_mut().enumerate() {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *slot = (seed & 63) as u8;
                put(&mut registers, index, *slot);
            }
            for (index, &value) in expected.iter().enumerate() {
                assert_eq!(get(&registers, index), value, "register {index}");
            }
            let mut counts = [0u32; 64];
            histogram(&registers, &mut counts);
            for value in 0..64u8 {
                assert_eq!(counts[value as usize], expected.iter().filter(|&&v| v == value).count() as u32);
            }
        }
    }
}
