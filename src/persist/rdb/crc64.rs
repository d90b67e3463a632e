//! CRC-64 with the Jones polynomial, as Redis checksums RDB files and
//! `DUMP` payloads: reflected input and output, polynomial
//! `0xad93d23594c935a9`, initial value 0, no final xor. The check value of
//! `b"123456789"` is `0xe9c6d914c4b8d9ca`.
//!
//! A 256-entry table built at compile time; one table step per byte.

const POLY_REFLECTED: u64 = reflect(0xad93_d235_94c9_35a9);

const fn reflect(mut value: u64) -> u64 {
    let mut out = 0u64;
    let mut i = 0;
    while i < 64 {
        out = (out << 1) | (value & 1);
        value >>= 1;
        i += 1;
    }
    out
}

const TABLE: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut n = 0;
    while n < 256 {
        let mut crc = n as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        table[n] = crc;
        n += 1;
    }
    table
};

/// Continues the checksum `crc` over `bytes` (start with 0).
pub fn crc64(mut crc: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        crc = TABLE[((crc ^ byte as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::crc64;

    #[test]
    fn check_value() {
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        assert_eq!(crc64(0, b""), 0);
    }

    #[test]
    fn continues_across_pieces() {
        let whole = crc64(0, b"hello world");
        assert_eq!(crc64(crc64(0, b"hello "), b"world"), whole);
    }
}
