//! LZF, the compression of RDB strings (`liblzf`'s format, as Redis
//! writes it): a sequence of literal runs (`000LLLLL` then L+1 bytes) and
//! back references (`LLLooooo oooooooo`, length L+2, with L = 7 meaning
//! an extra length byte follows, reaching back offset+1 bytes).
//!
//! [`decompress`] checks every length and offset against its buffers and
//! the expected output size, so hostile input gives an error, never a
//! read or write out of bounds. [`compress`] is a small greedy compressor
//! with a hash of 3-byte prefixes; its output decompresses with any LZF
//! decoder, Redis's included.

/// Why compressed data was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LzfError;

/// Decompresses `input` into exactly `expected_len` bytes.
pub fn decompress(input: &[u8], expected_len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(expected_len.min(input.len().saturating_mul(64)));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            if ip + run > input.len() || out.len() + run > expected_len {
                return Err(LzfError);
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip).ok_or(LzfError)? as usize;
                ip += 1;
            }
            let low = *input.get(ip).ok_or(LzfError)? as usize;
            ip += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let len = len + 2;
            if back > out.len() || out.len() + len > expected_len {
                return Err(LzfError);
            }
            let start = out.len() - back;
            for i in 0..len {
                let byte = out[start + i];
                out.push(byte);
            }
        }
    }
    if out.len() != expected_len {
        return Err(LzfError);
    }
    Ok(out)
}

const HASH_BITS: u32 = 14;
const MAX_OFFSET: usize = 1 << 13;
const MAX_REF: usize = 264;

/// Compresses `input`; `None` if the result would not be shorter.
pub fn compress(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() < 4 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut table = vec![usize::MAX; 1 << HASH_BITS];
    let mut literal_start = 0;
    let mut ip = 0;
    let flush_literals = |out: &mut Vec<u8>, from: usize, to: usize| {
        for chunk in input[from..to].chunks(32) {
            out.push((chunk.len() - 1) as u8);
            out.extend_from_slice(chunk);
        }
    };
    while ip + 2 < input.len() {
        let prefix = u32::from_le_bytes([input[ip], input[ip + 1], input[ip + 2], 0]);
        let slot = (prefix.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize;
        let candidate = table[slot];
        table[slot] = ip;
        if candidate != usize::MAX
            && ip - candidate <= MAX_OFFSET
            && input[candidate..candidate + 3] == input[ip..ip + 3]
        {
            let mut len = 3;
            while ip + len < input.len() && len < MAX_REF && input[candidate + len] == input[ip + len] {
                len += 1;
            }
            flush_literals(&mut out, literal_start, ip);
            let offset = ip - candidate - 1;
            let code = len - 2;
            if code < 7 {
                out.push(((code << 5) | (offset >> 8)) as u8);
            } else {
                out.push(((7 << 5) | (offset >> 8)) as u8);
                out.push((code - 7) as u8);
            }
            out.push((offset & 0xff) as u8);
            ip += len;
            literal_start = ip;
            if out.len() >= input.len() {
                return None;
            }
        } else {
            ip += 1;
        }
    }
    flush_literals(&mut out, literal_start, input.len());
    (out.len() < input.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let samples: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"hello hello hello hello hello world world world".repeat(40),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
        ];
        for sample in samples {
            let packed = compress(&sample).expect("compressible");
            assert!(packed.len() < sample.len());
            assert_eq!(decompress(&packed, sample.len()).unwrap(), sample);
        }
        assert_eq!(compress(b"abc"), None);
    }

    #[test]
    fn refuses_hostile_input() {
        assert_eq!(decompress(&[0x20, 0x05], 10), Err(LzfError));
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError));
        assert_eq!(decompress(&[0x00, b'a'], 2), Err(LzfError));
        assert_eq!(decompress(&[0x00, b'a', 0xe0], 20), Err(LzfError));
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x00], 4), Ok(b"aaaa".to_vec()));
        assert_eq!(decompress(&[0x00, b'a', 0x20, 0x00], 3), Err(LzfError));
    }
}
