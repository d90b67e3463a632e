//! Packed keyspace entries: one heap block per key.
//!
//! Memory per key is the point of this module. A key, its expiry time and
//! a short string value live together in a single allocation, so a
//! `SET key:00000001 <16 bytes>` costs one block of about 31 bytes plus one
//! 8-byte slot in the hash table — no separate key object, value object or
//! expiry table entry. Layout of a block (byte offsets, no padding):
//!
//! ```text
//! [0]        flags: bits 0-2 the value kind, bit 3 "has expiry",
//!            bit 4 "has access bits", bits 5-7 access bits 16-18
//! [1..3]     access bits 0-15, LE, only in keyspace entries
//!            (`super::access`: the LRU time or the LFU counter that
//!            eviction and `OBJECT` read); members of collections, which
//!            are entries too, have none
//! [..]       key length, LEB128 varint
//! [..+8]     expiry, absolute Unix milliseconds, i64 LE (only if flagged)
//! [..]       key bytes
//! [..]       value: Str    -> LEB128 length + bytes, inline
//!                   others -> an 8-byte pointer to the boxed structure
//! ```
//!
//! Strings grown by `APPEND`/`SETRANGE` move to `BigStr`, a boxed `Vec`
//! with amortised growth, so repeated appends stay linear. Collections are
//! boxed (`List`, `Set`, `ZSet`, `Hash`, `Stream`); their own modules own their
//! layouts.
//!
//! A `SET` that keeps the length of a string (with an expiry in both the
//! old and the new value, or in neither) overwrites the value in place
//! ([`Entry::overwrite_str`]): nothing is allocated or freed, and while a
//! snapshot child runs such a write dirties one page instead of three.
//!
//! All unsafe code of the keyspace is here, behind a safe API: an [`Entry`]
//! owns its block and frees it (and its boxed value) on drop.

use std::alloc::{alloc, dealloc, handle_alloc_error, Layout};
use std::ptr::NonNull;

use super::stream::Stream;
use super::types::{Hash, List, Set, ZSet};

const KIND_MASK: u8 = 0b0111;
const HAS_EXPIRE: u8 = 0b1000;
const HAS_ACCESS: u8 = 0b1_0000;
const ACCESS_HIGH_SHIFT: u32 = 5;
/// The flags byte, and the low 16 access bits if there are any.
const fn header_len(flags: u8) -> usize {
    if flags & HAS_ACCESS != 0 {
        3
    } else {
        1
    }
}
const ALIGN: usize = 8;

/// The type of value an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Str = 0,
    BigStr = 1,
    List = 2,
    Set = 3,
    ZSet = 4,
    Hash = 5,
    Stream = 6,
}

impl Kind {
    fn from_flags(flags: u8) -> Kind {
        match flags & KIND_MASK {
            0 => Kind::Str,
            1 => Kind::BigStr,
            2 => Kind::List,
            3 => Kind::Set,
            4 => Kind::ZSet,
            6 => Kind::Stream,
            _ => Kind::Hash,
        }
    }

    /// The name `TYPE` answers.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Str | Kind::BigStr => "string",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Hash => "hash",
            Kind::Stream => "stream",
        }
    }

    fn is_boxed(self) -> bool {
        !matches!(self, Kind::Str)
    }
}

/// A value to store in a new entry.
pub enum Value<'a> {
    /// Stored inline, copied from a borrowed slice.
    Str(&'a [u8]),
    /// Stored inline, copied from an owned buffer.
    StrOwned(Vec<u8>),
    /// Stored boxed, with room to grow.
    BigStr(Vec<u8>),
    List(Box<List>),
    Set(Box<Set>),
    ZSet(Box<ZSet>),
    Hash(Box<Hash>),
    Stream(Box<Stream>),
}

/// Read access to an entry's value.
pub enum ValueRef<'a> {
    Str(&'a [u8]),
    List(&'a List),
    Set(&'a Set),
    ZSet(&'a ZSet),
    Hash(&'a Hash),
    Stream(&'a Stream),
}

/// Write access to an entry's value. Inline strings are read-only: a new
/// string value replaces the entry.
pub enum ValueMut<'a> {
    Str(&'a [u8]),
    BigStr(&'a mut Vec<u8>),
    List(&'a mut List),
    Set(&'a mut Set),
    ZSet(&'a mut ZSet),
    Hash(&'a mut Hash),
    Stream(&'a mut Stream),
}

/// An owned, packed keyspace entry.
pub struct Entry {
    ptr: NonNull<u8>,
}

// The block is owned exclusively, like a `Box`.
unsafe impl Send for Entry {}

/// Offsets inside a block, decoded from its header.
struct Offsets {
    flags: u8,
    key_start: usize,
    key_len: usize,
    expire_at: Option<usize>,
    value_start: usize,
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Writes `v` as LEB128 at `dst`, returning the bytes written.
unsafe fn write_varint(dst: *mut u8, mut v: usize) -> usize {
    let mut i = 0;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            *dst.add(i) = byte;
            return i + 1;
        }
        *dst.add(i) = byte | 0x80;
        i += 1;
    }
}

/// Reads a LEB128 value at `src`, returning it and its length.
unsafe fn read_varint(src: *const u8) -> (usize, usize) {
    let mut value = 0usize;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let byte = *src.add(i);
        value |= ((byte & 0x7f) as usize) << shift;
        i += 1;
        if byte & 0x80 == 0 {
            return (value, i);
        }
        shift += 7;
    }
}

impl Entry {
    /// A new entry for `key` holding `value`, expiring at `expire_ms`,
    /// without access bits: a member of a collection.
    pub fn new(key: &[u8], value: Value<'_>, expire_ms: Option<i64>) -> Entry {
        Self::with_access(key, value, expire_ms, None)
    }

    /// A new keyspace entry, with access bits `access`.
    pub fn new_key(key: &[u8], value: Value<'_>, expire_ms: Option<i64>, access: u32) -> Entry {
        Self::with_access(key, value, expire_ms, Some(access))
    }

    fn with_access(key: &[u8], value: Value<'_>, expire_ms: Option<i64>, access: Option<u32>) -> Entry {
        let boxed =
            |kind: Kind, address: usize| unsafe { Self::build(key, expire_ms, kind, &address.to_ne_bytes(), access) };
        match value {
            Value::Str(s) => unsafe { Self::build(key, expire_ms, Kind::Str, s, access) },
            Value::StrOwned(s) => unsafe { Self::build(key, expire_ms, Kind::Str, &s, access) },
            Value::BigStr(v) => boxed(Kind::BigStr, Box::into_raw(Box::new(v)) as usize),
            Value::List(b) => boxed(Kind::List, Box::into_raw(b) as usize),
            Value::Set(b) => boxed(Kind::Set, Box::into_raw(b) as usize),
            Value::ZSet(b) => boxed(Kind::ZSet, Box::into_raw(b) as usize),
            Value::Hash(b) => boxed(Kind::Hash, Box::into_raw(b) as usize),
            Value::Stream(b) => boxed(Kind::Stream, Box::into_raw(b) as usize),
        }
    }

    /// Allocates and fills a block. For boxed kinds `value_section` is the
    /// pointer's bytes; for `Str` it is the string itself.
    unsafe fn build(
        key: &[u8],
        expire_ms: Option<i64>,
        kind: Kind,
        value_section: &[u8],
        access: Option<u32>,
    ) -> Entry {
        let flags = kind as u8
            | if expire_ms.is_some() { HAS_EXPIRE } else { 0 }
            | if access.is_some() { HAS_ACCESS } else { 0 };
        let header = header_len(flags);
        let value_size = if kind.is_boxed() { 8 } else { varint_len(value_section.len()) + value_section.len() };
        let size = header + varint_len(key.len()) + if expire_ms.is_some() { 8 } else { 0 } + key.len() + value_size;
        let layout = Layout::from_size_align_unchecked(size, ALIGN);
        let ptr = alloc(layout);
        if ptr.is_null() {
            handle_alloc_error(layout);
        }
        *ptr = flags;
        let mut at = header;
        at += write_varint(ptr.add(at), key.len());
        if let Some(ms) = expire_ms {
            std::ptr::copy_nonoverlapping(ms.to_le_bytes().as_ptr(), ptr.add(at), 8);
            at += 8;
        }
        std::ptr::copy_nonoverlapping(key.as_ptr(), ptr.add(at), key.len());
        at += key.len();
        if !kind.is_boxed() {
            at += write_varint(ptr.add(at), value_section.len());
        }
        std::ptr::copy_nonoverlapping(value_section.as_ptr(), ptr.add(at), value_section.len());
        debug_assert_eq!(at + value_section.len(), size);
        let mut entry = Entry { ptr: NonNull::new_unchecked(ptr) };
        if let Some(bits) = access {
            entry.set_access(bits);
        }
        entry
    }

    #[inline]
    fn offsets(&self) -> Offsets {
        unsafe {
            let p = self.ptr.as_ptr();
            let flags = *p;
            let header = header_len(flags);
            let (key_len, n) = read_varint(p.add(header));
            let mut at = header + n;
            let expire_at = if flags & HAS_EXPIRE != 0 {
                at += 8;
                Some(at - 8)
            } else {
                None
            };
            Offsets { flags, key_start: at, key_len, expire_at, value_start: at + key_len }
        }
    }

    /// Overwrites an inline string value in place, when the new value has
    /// the same length and the expiry is present in both or neither: the
    /// block keeps its size and layout, so nothing is allocated or freed
    /// (and, during a snapshot, one page is copied instead of three).
    /// Returns false, changing nothing, otherwise.
    pub fn overwrite_str(&mut self, value: &[u8], expire_ms: Option<i64>) -> bool {
        let o = self.offsets();
        if Kind::from_flags(o.flags) != Kind::Str || o.expire_at.is_some() != expire_ms.is_some() {
            return false;
        }
        // SAFETY: the offsets come from this block's own header; the value
        // keeps its length, so every write stays inside the block, and
        // `value` cannot alias the block (`&mut self` is exclusive).
        unsafe {
            let p = self.ptr.as_ptr();
            let (len, n) = read_varint(p.add(o.value_start));
            if len != value.len() {
                return false;
            }
            std::ptr::copy_nonoverlapping(value.as_ptr(), p.add(o.value_start + n), len);
            if let (Some(at), Some(ms)) = (o.expire_at, expire_ms) {
                std::ptr::copy_nonoverlapping(ms.to_le_bytes().as_ptr(), p.add(at), 8);
            }
        }
        true
    }

    /// Total size of the block.
    fn size(&self) -> usize {
        let o = self.offsets();
        if Kind::from_flags(o.flags).is_boxed() {
            o.value_start + 8
        } else {
            let (len, n) = unsafe { read_varint(self.ptr.as_ptr().add(o.value_start)) };
            o.value_start + n + len
        }
    }

    /// Bytes this entry occupies in its block (not counting boxed values).
    pub fn block_size(&self) -> usize {
        self.size()
    }

    #[inline]
    pub fn key(&self) -> &[u8] {
        let o = self.offsets();
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(o.key_start), o.key_len) }
    }

    #[inline]
    pub fn kind(&self) -> Kind {
        Kind::from_flags(unsafe { *self.ptr.as_ptr() })
    }

    /// The access bits (`super::access` says what they mean); 0 for an
    /// entry that has none.
    #[inline]
    pub fn access(&self) -> u32 {
        // SAFETY: a block with HAS_ACCESS starts with a 3-byte header.
        unsafe {
            let p = self.ptr.as_ptr();
            if *p & HAS_ACCESS == 0 {
                return 0;
            }
            ((*p >> ACCESS_HIGH_SHIFT) as u32) << 16 | u16::from_le_bytes([*p.add(1), *p.add(2)]) as u32
        }
    }

    /// True for a keyspace entry (one made by [`Entry::new_key`]).
    #[inline]
    pub fn has_access_bits(&self) -> bool {
        unsafe { *self.ptr.as_ptr() & HAS_ACCESS != 0 }
    }

    /// Replaces the access bits (only the low `access::BITS` are kept);
    /// does nothing to an entry that has none.
    #[inline]
    pub fn set_access(&mut self, bits: u32) {
        // SAFETY: as in `access`; `&mut self` makes the write exclusive.
        unsafe {
            let p = self.ptr.as_ptr();
            if *p & HAS_ACCESS == 0 {
                return;
            }
            *p = (*p & (KIND_MASK | HAS_EXPIRE | HAS_ACCESS)) | (((bits >> 16) as u8 & 0x07) << ACCESS_HIGH_SHIFT);
            let low = (bits as u16).to_le_bytes();
            *p.add(1) = low[0];
            *p.add(2) = low[1];
        }
    }

    #[inline]
    pub fn has_expire(&self) -> bool {
        unsafe { *self.ptr.as_ptr() & HAS_EXPIRE != 0 }
    }

    /// Absolute expiry time in Unix milliseconds, if any.
    #[inline]
    pub fn expire(&self) -> Option<i64> {
        let o = self.offsets();
        o.expire_at.map(|at| unsafe {
            let mut bytes = [0u8; 8];
            std::ptr::copy_nonoverlapping(self.ptr.as_ptr().add(at), bytes.as_mut_ptr(), 8);
            i64::from_le_bytes(bytes)
        })
    }

    /// The boxed value's address (only for boxed kinds).
    fn boxed_ptr(&self, o: &Offsets) -> usize {
        unsafe { (self.ptr.as_ptr().add(o.value_start) as *const usize).read_unaligned() }
    }

    #[inline]
    pub fn value(&self) -> ValueRef<'_> {
        let o = self.offsets();
        unsafe {
            match Kind::from_flags(o.flags) {
                Kind::Str => {
                    let (len, n) = read_varint(self.ptr.as_ptr().add(o.value_start));
                    ValueRef::Str(std::slice::from_raw_parts(self.ptr.as_ptr().add(o.value_start + n), len))
                }
                Kind::BigStr => ValueRef::Str(&*(self.boxed_ptr(&o) as *const Vec<u8>)),
                Kind::List => ValueRef::List(&*(self.boxed_ptr(&o) as *const List)),
                Kind::Set => ValueRef::Set(&*(self.boxed_ptr(&o) as *const Set)),
                Kind::ZSet => ValueRef::ZSet(&*(self.boxed_ptr(&o) as *const ZSet)),
                Kind::Hash => ValueRef::Hash(&*(self.boxed_ptr(&o) as *const Hash)),
                Kind::Stream => ValueRef::Stream(&*(self.boxed_ptr(&o) as *const Stream)),
            }
        }
    }

    #[inline]
    pub fn value_mut(&mut self) -> ValueMut<'_> {
        let o = self.offsets();
        unsafe {
            match Kind::from_flags(o.flags) {
                Kind::Str => {
                    let (len, n) = read_varint(self.ptr.as_ptr().add(o.value_start));
                    ValueMut::Str(std::slice::from_raw_parts(self.ptr.as_ptr().add(o.value_start + n), len))
                }
                Kind::BigStr => ValueMut::BigStr(&mut *(self.boxed_ptr(&o) as *mut Vec<u8>)),
                Kind::List => ValueMut::List(&mut *(self.boxed_ptr(&o) as *mut List)),
                Kind::Set => ValueMut::Set(&mut *(self.boxed_ptr(&o) as *mut Set)),
                Kind::ZSet => ValueMut::ZSet(&mut *(self.boxed_ptr(&o) as *mut ZSet)),
                Kind::Hash => ValueMut::Hash(&mut *(self.boxed_ptr(&o) as *mut Hash)),
                Kind::Stream => ValueMut::Stream(&mut *(self.boxed_ptr(&o) as *mut Stream)),
            }
        }
    }

    /// A deep copy of the value, for `COPY`.
    pub fn clone_value(&self) -> Value<'static> {
        match self.value() {
            ValueRef::Str(s) if self.kind() == Kind::BigStr => Value::BigStr(s.to_vec()),
            ValueRef::Str(s) => Value::StrOwned(s.to_vec()),
            ValueRef::List(l) => Value::List(Box::new(l.clone())),
            ValueRef::Set(s) => Value::Set(Box::new(s.clone())),
            ValueRef::ZSet(z) => Value::ZSet(Box::new(z.clone())),
            ValueRef::Hash(h) => Value::Hash(Box::new(h.clone())),
            ValueRef::Stream(s) => Value::Stream(Box::new(s.clone())),
        }
    }

    /// The same value under another key and/or expiry, moved (not copied)
    /// into a new block.
    pub fn rebuild(self, key: &[u8], expire_ms: Option<i64>) -> Entry {
        let o = self.offsets();
        let kind = Kind::from_flags(o.flags);
        let size = self.size();
        let entry = unsafe {
            let p = self.ptr.as_ptr();
            let section = if kind.is_boxed() {
                std::slice::from_raw_parts(p.add(o.value_start), 8)
            } else {
                let (len, n) = read_varint(p.add(o.value_start));
                std::slice::from_raw_parts(p.add(o.value_start + n), len)
            };
            let access = (o.flags & HAS_ACCESS != 0).then(|| self.access());
            Self::build(key, expire_ms, kind, section, access)
        };
        // The boxed value (if any) now belongs to the new block: free only
        // the old block.
        unsafe { dealloc(self.ptr.as_ptr(), Layout::from_size_align_unchecked(size, ALIGN)) };
        std::mem::forget(self);
        entry
    }

    /// The same key under a new expiry.
    pub fn with_expire(self, expire_ms: Option<i64>) -> Entry {
        if self.expire() == expire_ms {
            return self;
        }
        let key = self.key().to_vec();
        self.rebuild(&key, expire_ms)
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let o = self.offsets();
        let size = self.size();
        unsafe {
            let boxed = if Kind::from_flags(o.flags).is_boxed() { self.boxed_ptr(&o) } else { 0 };
            match Kind::from_flags(o.flags) {
                Kind::Str => {}
                Kind::BigStr => drop(Box::from_raw(boxed as *mut Vec<u8>)),
                Kind::List => drop(Box::from_raw(boxed as *mut List)),
                Kind::Set => drop(Box::from_raw(boxed as *mut Set)),
                Kind::ZSet => drop(Box::from_raw(boxed as *mut ZSet)),
                Kind::Hash => drop(Box::from_raw(boxed as *mut Hash)),
                Kind::Stream => drop(Box::from_raw(boxed as *mut Stream)),
            }
            dealloc(self.ptr.as_ptr(), Layout::from_size_align_unchecked(size, ALIGN));
        }
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry").field("key", &String::from_utf8_lossy(self.key())).field("kind", &self.kind()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_and_unpacks() {
        let e = Entry::new(b"key:00000001", Value::Str(b"0123456789abcdef"), None);
        assert_eq!(e.key(), b"key:00000001");
        assert_eq!(e.expire(), None);
        assert_eq!(e.block_size(), 1 + 1 + 12 + 1 + 16);
        assert!(matches!(e.value(), ValueRef::Str(b"0123456789abcdef")));
        let e = e.with_expire(Some(1_700_000_000_123));
        assert_eq!(e.expire(), Some(1_700_000_000_123));
        assert_eq!(e.key(), b"key:00000001");
        assert!(matches!(e.value(), ValueRef::Str(b"0123456789abcdef")));
        let mut e = e.rebuild(b"other", None);
        assert_eq!(e.key(), b"other");
        e.set_access(0x5_BCDE);
        assert_eq!(e.access(), 0, "a member has no access bits");
        let mut e = Entry::new_key(b"key:1", Value::Str(b"0123456789abcdef"), None, 7);
        assert_eq!((e.block_size(), e.access()), (3 + 1 + 5 + 1 + 16, 7));
        e.set_access(0x5_BCDE);
        assert_eq!(e.access(), 0x5_BCDE);
        assert_eq!(e.kind(), Kind::Str);
        let e = e.with_expire(Some(9));
        assert_eq!((e.access(), e.expire(), e.has_expire()), (0x5_BCDE, Some(9), true));
        let e = e.rebuild(b"moved", None);
        assert_eq!((e.access(), e.key(), e.kind()), (0x5_BCDE, &b"moved"[..], Kind::Str));
        assert_eq!(e.expire(), None);
    }

    #[test]
    fn long_keys_and_boxed_values() {
        let key = vec![7u8; 300];
        let mut e = Entry::new(&key, Value::BigStr(b"abc".to_vec()), Some(-5));
        if let ValueMut::BigStr(v) = e.value_mut() {
            v.extend_from_slice(b"def");
        }
        assert_eq!(e.key(), &key[..]);
        assert_eq!(e.expire(), Some(-5));
        assert!(matches!(e.value(), ValueRef::Str(b"abcdef")));
        let copy = Entry::new(b"k", e.clone_value(), None);
        drop(e);
        assert!(matches!(copy.value(), ValueRef::Str(b"abcdef")));
        let big = vec![1u8; 100_000];
        let e = Entry::new(b"", Value::StrOwned(big.clone()), None);
        assert!(matches!(e.value(), ValueRef::Str(v) if v == &big[..]));
    }
}
