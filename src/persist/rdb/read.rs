//! Reading RDB values: the cursor over untrusted bytes ([`Reader`]:
//! lengths, encoded strings, doubles, times) and [`read_value`], which
//! decodes one value of a given type into the store's own form.
//!
//! Every length is checked against the bytes left before it is used, a
//! collection's element count may not exceed the bytes that could hold
//! it, and a value with duplicate members, no elements, or a NaN score is
//! refused, as Redis refuses them when it validates a payload.

use std::borrow::Cow;

use super::packed::{read_intset, read_listpack, read_ziplist, read_zipmap, Elem};
use super::*;
use crate::store::entry::Value;
use crate::store::list::End;
use crate::store::types::{Hash, List, Set, ZSet};

/// A cursor over RDB bytes.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A length field, or the special string encoding it announces.
pub enum Length {
    Len(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn byte(&mut self) -> Result<u8, RdbError> {
        let byte = *self.data.get(self.pos).ok_or(RdbError::Truncated)?;
        self.pos += 1;
        Ok(byte)
    }

    pub fn bytes(&mut self, len: usize) -> Result<&'a [u8], RdbError> {
        if len > self.remaining() {
            return Err(RdbError::Truncated);
        }
        let bytes = &self.data[self.pos..self.pos + len];
        self.pos += len;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        Ok(self.bytes(N)?.try_into().expect("N bytes"))
    }

    pub fn length_or_encoding(&mut self) -> Result<Length, RdbError> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Length::Len((first & 0x3f) as u64),
            1 => Length::Len(((first & 0x3f) as u64) << 8 | self.byte()? as u64),
            2 => match first {
                0x80 => Length::Len(u32::from_be_bytes(self.array()?) as u64),
                0x81 => Length::Len(u64::from_be_bytes(self.array()?)),
                _ => return Err(RdbError::Corrupt("length")),
            },
            _ => Length::Encoded(first & 0x3f),
        })
    }

    pub fn length(&mut self) -> Result<u64, RdbError> {
        match self.length_or_encoding()? {
            Length::Len(len) => Ok(len),
            Length::Encoded(_) => Err(RdbError::Corrupt("length")),
        }
    }

    /// A count of things each at least `min_bytes` long, which the bytes
    /// left must be able to hold.
    pub fn count(&mut self, min_bytes: usize) -> Result<usize, RdbError> {
        let len = self.length()?;
        if len > (self.remaining() / min_bytes.max(1)) as u64 {
            return Err(RdbError::Truncated);
        }
        Ok(len as usize)
    }

    /// An RDB string: raw, an integer, or LZF-compressed.
    pub fn string(&mut self) -> Result<Cow<'a, [u8]>, RdbError> {
        match self.length_or_encoding()? {
            Length::Len(len) => {
                let len = usize::try_from(len).map_err(|_| RdbError::Truncated)?;
                Ok(Cow::Borrowed(self.bytes(len)?))
            }
            Length::Encoded(0) => Ok(Cow::Owned((self.byte()? as i8).to_string().into_bytes())),
            Length::Encoded(1) => Ok(Cow::Owned(i16::from_le_bytes(self.array()?).to_string().into_bytes())),
            Length::Encoded(2) => Ok(Cow::Owned(i32::from_le_bytes(self.array()?).to_string().into_bytes())),
            Length::Encoded(3) => {
                let compressed = self.length()?;
                let len = self.length()?;
                if compressed > self.remaining() as u64 || len > u32::MAX as u64 * 4 {
                    return Err(RdbError::Truncated);
                }
                let input = self.bytes(compressed as usize)?;
                lzf::decompress(input, len as usize).map(Cow::Owned).map_err(|_| RdbError::Corrupt("compressed string"))
            }
            Length::Encoded(_) => Err(RdbError::Corrupt("string encoding")),
        }
    }

    /// A score as text with a one-byte length (zset version 1): 253 is
    /// NaN, 254 +inf, 255 -inf.
    pub fn text_double(&mut self) -> Result<f64, RdbError> {
        match self.byte()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            len => {
                let text = self.bytes(len as usize)?;
                parse_double(text).ok_or(RdbError::Corrupt("score"))
            }
        }
    }

    pub fn binary_double(&mut self) -> Result<f64, RdbError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A time in milliseconds: 8 bytes little-endian.
    pub fn millis(&mut self) -> Result<i64, RdbError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A time in seconds: 4 bytes little-endian.
    pub fn seconds(&mut self) -> Result<i32, RdbError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
}

fn parse_double(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.trim_end_matches('\0').parse().ok()
}

fn elem_score(elem: &Elem<'_>) -> Result<f64, RdbError> {
    let score = match elem {
        Elem::Int(n) => *n as f64,
        Elem::Bytes(text) => parse_double(text).ok_or(RdbError::Corrupt("score"))?,
    };
    if score.is_nan() {
        return Err(RdbError::Corrupt("score"));
    }
    Ok(score)
}

/// Reads one value of RDB type `kind`.
pub fn read_value(kind: u8, r: &mut Reader<'_>) -> Result<Value<'static>, RdbError> {
    match kind {
        TYPE_STRING => Ok(Value::StrOwned(r.string()?.into_owned())),
        TYPE_LIST | TYPE_LIST_ZIPLIST | TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => read_list(kind, r),
        TYPE_SET | TYPE_SET_INTSET | TYPE_SET_LISTPACK => read_set(kind, r),
        TYPE_ZSET | TYPE_ZSET_2 | TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => read_zset(kind, r),
        TYPE_HASH | TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => read_hash(kind, r),
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 | TYPE_STREAM_LISTPACKS_3 => {
            Ok(Value::Stream(Box::new(super::stream::read_stream(kind, r)?)))
        }
        other => Err(RdbError::Unsupported(other)),
    }
}

fn read_list(kind: u8, r: &mut Reader<'_>) -> Result<Value<'static>, RdbError> {
    let mut list = List::new();
    let mut push_elem = |elem: Elem<'_>| {
        match elem {
            Elem::Bytes(bytes) => list.push(End::Right, bytes),
            Elem::Int(n) => list.push(End::Right, n.to_string().as_bytes()),
        }
        Ok(())
    };
    match kind {
        TYPE_LIST => {
            for _ in 0..r.count(1)? {
                push_elem(Elem::Bytes(&r.string()?))?;
            }
        }
        TYPE_LIST_ZIPLIST => {
            read_ziplist(&r.string()?, &mut push_elem)?;
        }
        TYPE_LIST_QUICKLIST => {
            for _ in 0..r.count(1)? {
                read_ziplist(&r.string()?, &mut push_elem)?;
            }
        }
        _ => {
            for _ in 0..r.count(2)? {
                match r.length()? {
                    CONTAINER_PLAIN => push_elem(Elem::Bytes(&r.string()?))?,
                    CONTAINER_PACKED => {
                        read_listpack(&r.string()?, &mut push_elem)?;
                    }
                    _ => return Err(RdbError::Corrupt("quicklist container")),
                }
            }
        }
    }
    if list.is_empty() {
        return Err(RdbError::Corrupt("empty list"));
    }
    Ok(Value::List(Box::new(list)))
}

fn read_set(kind: u8, r: &mut Reader<'_>) -> Result<Value<'static>, RdbError> {
    let mut set = Set::new();
    let mut add =
        |member: &[u8]| if set.insert(member) { Ok(()) } else { Err(RdbError::Corrupt("duplicate set member")) };
    match kind {
        TYPE_SET => {
            let count = r.count(1)?;
            for _ in 0..count {
                add(&r.string()?)?;
            }
        }
        TYPE_SET_INTSET => {
            read_intset(&r.string()?, |n| add(n.to_string().as_bytes()))?;
        }
        _ => {
            read_listpack(&r.string()?, |elem| add(&elem.to_vec()))?;
        }
    }
    if set.is_empty() {
        return Err(RdbError::Corrupt("empty set"));
    }
    Ok(Value::Set(Box::new(set)))
}

fn read_zset(kind: u8, r: &mut Reader<'_>) -> Result<Value<'static>, RdbError> {
    let mut zset = ZSet::new();
    let mut add = |member: &[u8], score: f64| {
        if score.is_nan() {
            return Err(RdbError::Corrupt("score"));
        }
        match zset.insert(member, score) {
            None => Ok(()),
            Some(_) => Err(RdbError::Corrupt("duplicate sorted set member")),
        }
    };
    match kind {
        TYPE_ZSET | TYPE_ZSET_2 => {
            for _ in 0..r.count(2)? {
                let member = r.string()?;
                let score = if kind == TYPE_ZSET { r.text_double()? } else { r.binary_double()? };
                add(&member, score)?;
            }
        }
        _ => {
            let blob = r.string()?;
            let mut pending: Option<Vec<u8>> = None;
            let mut each = |elem: Elem<'_>| match pending.take() {
                None => {
                    pending = Some(elem.to_vec());
                    Ok(())
                }
                Some(member) => add(&member, elem_score(&elem)?),
            };
            if kind == TYPE_ZSET_ZIPLIST {
                read_ziplist(&blob, &mut each)?;
            } else {
                read_listpack(&blob, &mut each)?;
            }
            if pending.is_some() {
                return Err(RdbError::Corrupt("sorted set without a score"));
            }
        }
    }
    if zset.is_empty() {
        return Err(RdbError::Corrupt("empty sorted set"));
    }
    Ok(Value::ZSet(Box::new(zset)))
}

fn read_hash(kind: u8, r: &mut Reader<'_>) -> Result<Value<'static>, RdbError> {
    let mut hash = Hash::new();
    let mut add = |field: &[u8], value: &[u8]| {
        if hash.insert(field, value) {
            Ok(())
        } else {
            Err(RdbError::Corrupt("duplicate hash field"))
        }
    };
    match kind {
        TYPE_HASH => {
            for _ in 0..r.count(2)? {
                let field = r.string()?;
                let value = r.string()?;
                add(&field, &value)?;
            }
        }
        TYPE_HASH_ZIPMAP => {
            read_zipmap(&r.string()?, &mut add)?;
        }
        _ => {
            let blob = r.string()?;
            let mut pending: Option<Vec<u8>> = None;
            let mut each = |elem: Elem<'_>| match pending.take() {
                None => {
                    pending = Some(elem.to_vec());
                    Ok(())
                }
                Some(field) => add(&field, &elem.to_vec()),
            };
            if kind == TYPE_HASH_ZIPLIST {
                read_ziplist(&blob, &mut each)?;
            } else {
                read_listpack(&blob, &mut each)?;
            }
            if pending.is_some() {
                return Err(RdbError::Corrupt("hash field without a value"));
            }
        }
    }
    if hash.is_empty() {
        return Err(RdbError::Corrupt("empty hash"));
    }
    Ok(Value::Hash(Box::new(hash)))
}
