//! The `FUNCTION DUMP` payload, in Redis's format so that payloads move
//! between Efis and Redis: for each library the RDB opcode of a function
//! library (245) and its code as an RDB string, then the RDB version
//! (2 bytes, little-endian) and a CRC-64 (Jones polynomial, reflected,
//! little-endian) of everything before it.
//!
//! Efis writes the code uncompressed; it reads the LZF-compressed strings
//! Redis writes too (the RDB pieces are `persist::rdb`'s). A payload that
//! is damaged anywhere is refused whole.

use crate::persist::rdb::crc64::crc64;
use crate::persist::rdb::read::Reader;
use crate::persist::rdb::write::write_length;

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
    let crc = crc64(0, &out);
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
    if version > RDB_VERSION || crc64(0, &payload[..payload.len() - 8]) != crc {
        return Err(wrong());
    }
    let invalid = |_| "ERR given payload is not a valid function dump".to_string();
    let mut reader = Reader::new(body);
    let mut codes = Vec::new();
    while reader.remaining() > 0 {
        if reader.byte().map_err(invalid)? != OPCODE_FUNCTION {
            return Err("ERR given type is not a function".to_string());
        }
        codes.push(reader.string().map_err(invalid)?.into_owned());
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

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
