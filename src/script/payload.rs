//! The `FUNCTION DUMP` payload, in Redis's format so that payloads move
//! between Efis and Redis: for each library the RDB opcode of a function
//! library (245) and its code as an RDB string, then the RDB version
//! (2 bytes, little-endian) and a CRC-64 (Jones polynomial, reflected,
//! little-endian) of everything before it.
//!
//! Efis writes the code uncompressed; it reads the LZF-compressed strings
//! Redis writes too. A payload that is damaged anywhere is refused whole.

/// RDB opcode of a function library.
const OPCODE_FUNCTION: u8 = 245;
/// RDB version Efis writes (Redis 7.0's) and the newest it reads.
const RDB_VERSION: u16 = 10;

/// The payload of these libraries' codes.
pub fn encode(codes: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION);
        write_length(&mut out, code.len() as u64);
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The libraries' codes in a payload, or Redis's error.
pub fn decode(payload: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let wrong = || "ERR DUMP payload version or checksum are wrong".to_string();
    if payload.len() < 10 {
        return Err(wrong());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..10].try_into().map_err(|_| wrong())?);
    if version > RDB_VERSION || crc64(&payload[..payload.len() - 8]) != crc {
        return Err(wrong());
    }
    let invalid = || "ERR given payload is not a valid function dump".to_string();
    let mut reader = Reader { data: body, pos: 0 };
    let mut codes = Vec::new();
    while reader.pos < body.len() {
        if reader.byte().ok_or_else(invalid)? != OPCODE_FUNCTION {
            return Err("ERR given type is not a function".to_string());
        }
        codes.push(reader.string().ok_or_else(invalid)?);
    }
    Ok(codes)
}

fn write_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

struct Reader<'d> {
    data: &'d [u8],
    pos: usize,
}

/// An RDB length, or one of the special string encodings.
enum Length {
    Plain(u64),
    Encoded(u8),
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let byte = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(byte)
    }

    fn take(&mut self, len: u64) -> Option<&[u8]> {
        let len = usize::try_from(len).ok()?;
        let end = self.pos.checked_add(len)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn length(&mut self) -> Option<Length> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3f)),
            1 => Length::Plain((u64::from(first & 0x3f) << 8) | u64::from(self.byte()?)),
            2 if first == 0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.take(4)?.try_into().ok()?))),
            2 if first == 0x81 => Length::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            3 => Length::Encoded(first & 0x3f),
            _ => return None,
        })
    }

    fn plain_length(&mut self) -> Option<u64> {
        match self.length()? {
            Length::Plain(len) => Some(len),
            Length::Encoded(_) => None,
        }
    }

    /// An RDB string: plain, an integer, or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.length()? {
            Length::Plain(len) => Some(self.take(len)?.to_vec()),
            Length::Encoded(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Length::Encoded(1) => Some(i16::from_le_bytes(self.take(2)?.try_into().ok()?).to_string().into_bytes()),
            Length::Encoded(2) => Some(i32::from_le_bytes(self.take(4)?.try_into().ok()?).to_string().into_bytes()),
            Length::Encoded(3) => {
                let compressed_len = self.plain_length()?;
                let len = self.plain_length()?;
                let compressed = self.take(compressed_len)?;
                lzf_decompress(compressed, usize::try_from(len).ok()?)
            }
            Length::Encoded(_) => None,
        }
    }
}

/// LZF decompression into exactly `len` bytes; `None` for damaged input.
fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    if len > 512 * 1024 * 1024 {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut i = 0;
    while i < input.len() {
        let control = usize::from(input[i]);
        i += 1;
        if control < 32 {
            let run = control + 1;
            out.extend_from_slice(input.get(i..i + run)?);
            i += run;
        } else {
            let mut run = control >> 5;
            if run == 7 {
                run += usize::from(*input.get(i)?);
                i += 1;
            }
            let back = ((control & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..run + 2 {
                let byte = out[start + k];
                out.push(byte);
            }
        }
        if out.len() > len {
            return None;
        }
    }
    (out.len() == len).then_some(out)
}

/// CRC-64 with the Jones polynomial, reflected, as Redis checksums RDB
/// data.
pub fn crc64(data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    static TABLE: std::sync::OnceLock<[u64; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u64; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut crc = i as u64;
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
            }
            *slot = crc;
        }
        table
    });
    data.iter().fold(0u64, |crc, &b| table[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_the_reference_check_value() {
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn a_payload_round_trips_and_damage_is_refused() {
        let codes: Vec<&[u8]> = vec![b"#!lua name=a\nx", &[b'y'; 300]];
        let payload = encode(&codes);
        assert_eq!(decode(&payload).unwrap(), vec![codes[0].to_vec(), codes[1].to_vec()]);
        for cut in 0..payload.len() {
            assert!(decode(&payload[..cut]).is_err());
        }
        let mut flipped = payload.clone();
        flipped[3] ^= 1;
        assert!(decode(&flipped).is_err());
    }

    #[test]
    fn a_payload_redis_wrote_is_read() {
        let redis = b"\xf5@B#!lua name=a\nredis.register_function('f', function() return 1 end)\n\x00\xe3\xd1\xb9\x83\x19\xf4\xe3\x84";
        let codes = decode(redis).unwrap();
        assert_eq!(codes, vec![b"#!lua name=a\nredis.register_function('f', function() return 1 end)".to_vec()]);
    }
}
