//! `DUMP` payloads: `type value rdb-version:u16le crc64:u64le`, the CRC
//! covering everything before it (Redis's serialization, so payloads move
//! both ways between Efis and Redis).
//!
//! [`decode`] checks the footer first (version at most
//! [`RDB_VERSION`], checksum), then decodes the whole value and requires
//! it to fill the payload exactly; only a complete, valid value comes out.

use super::crc64::crc64;
use super::read::{read_value, Reader};
use super::write::{value_type, write_value};
use super::*;
use crate::store::entry::{Value, ValueRef};

/// Why a payload was refused, as `RESTORE` tells the two apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, a newer RDB version, or a checksum mismatch.
    VersionOrChecksum,
    /// The value inside is malformed.
    BadData(RdbError),
}

/// The payload `DUMP` answers for `value`.
pub fn encode(value: &ValueRef<'_>) -> Vec<u8> {
    let mut out = vec![value_type(value)];
    write_value(&mut out, value);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The value a payload holds, checked through.
pub fn decode(payload: &[u8]) -> Result<Value<'static>, PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::VersionOrChecksum);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::VersionOrChecksum);
    }
    let crc = u64::from_le_bytes(footer[2..].try_into().expect("8 bytes"));
    if crc64(0, &payload[..payload.len() - 8]) != crc {
        return Err(PayloadError::VersionOrChecksum);
    }
    let mut reader = Reader::new(body);
    let kind = reader.byte().map_err(PayloadError::BadData)?;
    let value = read_value(kind, &mut reader).map_err(PayloadError::BadData)?;
    if reader.remaining() != 0 {
        return Err(PayloadError::BadData(RdbError::Corrupt("trailing bytes")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entry::Entry;

    #[test]
    fn decodes_what_it_encodes_and_refuses_damage() {
        let entry = Entry::new(b"k", Value::Str(b"hello world"), None);
        let payload = encode(&entry.value());
        assert!(matches!(decode(&payload), Ok(Value::StrOwned(v)) if v == b"hello world"));
        for cut in 0..payload.len() {
            assert!(decode(&payload[..cut]).is_err());
        }
        let mut flipped = payload.clone();
        flipped[2] ^= 1;
        assert_eq!(decode(&flipped).err(), Some(PayloadError::VersionOrChecksum));
        let mut newer = payload.clone();
        let at = newer.len() - 10;
        newer[at] = 11;
        assert_eq!(decode(&newer).err(), Some(PayloadError::VersionOrChecksum));
    }

    #[test]
    fn reads_a_payload_made_by_redis() {
        // DUMP of the string "hello" by redis-server 7.0.
        let payload = [0x00, 0x05, b'h', b'e', b'l', b'l', b'o', 0x0a, 0x00];
        let mut full = payload.to_vec();
        full.extend_from_slice(&crc64(0, &full).to_le_bytes());
        assert!(matches!(decode(&full), Ok(Value::StrOwned(v)) if v == b"hello"));
    }
}
