//! Writing RDB values as Redis 7.0 (RDB version 10) loads them: strings
//! (integers in their short encoding, long ones LZF-compressed when that
//! saves space), lists as quicklist 2 of listpacks of about 8 KiB, sets,
//! sorted sets (binary scores) and hashes in their plain forms (Redis
//! converts small ones to its packed forms as it loads them), streams as
//! listpacks version 2 with their groups.

use super::packed::{canonical_int, ListpackWriter};
use super::*;
use crate::store::entry::ValueRef;

/// Bytes of packed elements per list node, as Redis's default
/// `list-max-listpack-size -2`.
const LIST_NODE_BYTES: usize = 8192;
/// Strings this long or longer are tried with LZF, as Redis does.
const COMPRESS_MIN: usize = 21;

pub fn write_length(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// An RDB string: an integer encoding when the bytes are a canonical
/// 32-bit integer, LZF when that is shorter, else raw.
pub fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 11 {
        if let Some(n) = canonical_int(bytes) {
            if let Ok(small) = i8::try_from(n) {
                out.extend_from_slice(&[0xc0, small as u8]);
                return;
            } else if let Ok(small) = i16::try_from(n) {
                out.push(0xc1);
                out.extend_from_slice(&small.to_le_bytes());
                return;
            } else if let Ok(small) = i32::try_from(n) {
                out.push(0xc2);
                out.extend_from_slice(&small.to_le_bytes());
                return;
            }
        }
    }
    if bytes.len() >= COMPRESS_MIN {
        if let Some(packed) = lzf::compress(bytes) {
            out.push(0xc3);
            write_length(out, packed.len() as u64);
            write_length(out, bytes.len() as u64);
            out.extend_from_slice(&packed);
            return;
        }
    }
    write_length(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The RDB type [`write_value`] writes for `value`.
pub fn value_type(value: &ValueRef<'_>) -> u8 {
    match value {
        ValueRef::Str(_) => TYPE_STRING,
        ValueRef::List(_) => TYPE_LIST_QUICKLIST_2,
        ValueRef::Set(_) => TYPE_SET,
        ValueRef::ZSet(_) => TYPE_ZSET_2,
        ValueRef::Hash(_) => TYPE_HASH,
        ValueRef::Stream(_) => TYPE_STREAM_LISTPACKS_2,
    }
}

/// Writes `value`'s body (its type byte is [`value_type`]).
pub fn write_value(out: &mut Vec<u8>, value: &ValueRef<'_>) {
    match value {
        ValueRef::Str(bytes) => write_string(out, bytes),
        ValueRef::List(list) => {
            let mut nodes: Vec<Vec<u8>> = Vec::new();
            let mut node = ListpackWriter::new();
            for element in list.iter() {
                if !node.is_empty() && node.bytes() + element.len() > LIST_NODE_BYTES {
                    nodes.push(std::mem::take(&mut node).finish());
                }
                node.push(element);
            }
            if !node.is_empty() {
                nodes.push(node.finish());
            }
            write_length(out, nodes.len() as u64);
            for node in nodes {
                write_length(out, CONTAINER_PACKED);
                write_string(out, &node);
            }
        }
        ValueRef::Set(set) => {
            write_length(out, set.len() as u64);
            for member in set.iter() {
                write_string(out, &member);
            }
        }
        ValueRef::ZSet(zset) => {
            write_length(out, zset.len() as u64);
            // Highest first, as Redis writes them, so its loader appends.
            for (member, score) in zset.range(zset.len().saturating_sub(1), zset.len(), true) {
                write_string(out, member);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        ValueRef::Hash(hash) => {
            write_length(out, hash.len() as u64);
            for (field, value) in hash.iter() {
                write_string(out, field);
                write_string(out, value);
            }
        }
        ValueRef::Stream(stream) => super::stream::write_stream(out, stream),
    }
}

#[cfg(test)]
mod tests {
    use super::super::read::{read_value, Reader};
    use super::*;
    use crate::store::entry::{Entry, Value};
    use crate::store::list::End;
    use crate::store::types::{Hash, List, Set, ZSet};

    fn round_trip(value: Value<'_>) -> Entry {
        let entry = Entry::new(b"k", value, None);
        let mut out = Vec::new();
        let kind = value_type(&entry.value());
        write_value(&mut out, &entry.value());
        let mut reader = Reader::new(&out);
        let back = read_value(kind, &mut reader).expect("reads back");
        assert_eq!(reader.remaining(), 0);
        Entry::new(b"k", back, None)
    }

    #[test]
    fn strings_in_every_encoding() {
        let long = b"abcabcabcabcabcabcabcabcabcabcabcabc".repeat(10);
        for sample in [&b""[..], b"0", b"-128", b"300", b"-70000", b"2147483648", b"012", b"hello", &long] {
            let back = round_trip(Value::Str(sample));
            assert!(matches!(back.value(), ValueRef::Str(s) if s == sample));
        }
    }

    #[test]
    fn collections() {
        let mut list = List::new();
        for i in 0..3000 {
            list.push(End::Right, format!("element-{i}").as_bytes());
        }
        let back = round_trip(Value::List(Box::new(list)));
        let ValueRef::List(list) = back.value() else { panic!() };
        assert_eq!(list.len(), 3000);
        assert_eq!(list.get(2999), Some(&b"element-2999"[..]));

        let set = Set::from_members([&b"1"[..], b"2", b"x"]);
        let back = round_trip(Value::Set(Box::new(set)));
        let ValueRef::Set(set) = back.value() else { panic!() };
        assert!(set.contains(b"x") && set.contains(b"2") && set.len() == 3);

        let mut zset = ZSet::new();
        zset.insert(b"a", 1.5);
        zset.insert(b"b", f64::NEG_INFINITY);
        let back = round_trip(Value::ZSet(Box::new(zset)));
        let ValueRef::ZSet(zset) = back.value() else { panic!() };
        assert_eq!(zset.score(b"b"), Some(f64::NEG_INFINITY));

        let mut hash = Hash::new();
        hash.insert(b"f", b"v");
        hash.insert(b"n", b"12");
        let back = round_trip(Value::Hash(Box::new(hash)));
        let ValueRef::Hash(hash) = back.value() else { panic!() };
        assert_eq!(hash.get(b"n"), Some(&b"12"[..]));
    }
}
