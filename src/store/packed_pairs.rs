//! The small form of a hash (Redis's `listpack` encoding): every field and
//! value in one contiguous heap buffer, in insertion order.
//!
//! # Layout
//!
//! The buffer is a run of pairs, each `field length` (LEB128 varint),
//! `field bytes`, `value length` (varint), `value bytes`. Nothing else: no
//! header, no end mark, and the buffer is always exactly as long as its
//! contents (a boxed slice, reallocated on every change, as Redis's
//! listpack is). A 10-field hash of 7-byte fields and values therefore
//! costs 160 bytes of buffer plus the allocator's rounding.
//!
//! # Invariants
//!
//! * Fields are distinct; pairs stay in the order they were first set:
//!   overwriting a value keeps its place, removing a pair closes the gap,
//!   a new field is appended at the end (so `HDEL` then `HSET` of the same
//!   field moves it to the end, as in Redis).
//! * `len` is the number of pairs in the buffer.
//!
//! Every operation but `len` walks the buffer: O(n) in the number of
//! pairs, which the thresholds in [`super::limits`] keep small.

/// Insertion-ordered field/value pairs in one buffer.
#[derive(Clone, Default)]
pub struct PackedPairs {
    bytes: Box<[u8]>,
    len: u32,
}

fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn push_varint(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `at`; returns its value and the offset after it.
fn read_varint(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let byte = bytes[at];
        at += 1;
        value |= ((byte & 0x7f) as usize) << shift;
        if byte < 0x80 {
            return (value, at);
        }
        shift += 7;
    }
}

/// Where one pair lies in the buffer.
struct PairSpan {
    start: usize,
    field: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

impl PairSpan {
    fn end(&self) -> usize {
        self.value.end
    }
}

fn span_at(bytes: &[u8], start: usize) -> PairSpan {
    let (field_len, field_at) = read_varint(bytes, start);
    let field = field_at..field_at + field_len;
    let (value_len, value_at) = read_varint(bytes, field.end);
    PairSpan { start, field, value: value_at..value_at + value_len }
}

fn encode_pair(out: &mut Vec<u8>, field: &[u8], value: &[u8]) {
    push_varint(out, field.len());
    out.extend_from_slice(field);
    push_varint(out, value.len());
    out.extend_from_slice(value);
}

impl PackedPairs {
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Heap bytes of the buffer.
    pub fn buffer_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn spans(&self) -> impl Iterator<Item = PairSpan> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            if at >= self.bytes.len() {
                return None;
            }
            let span = span_at(&self.bytes, at);
            at = span.end();
            Some(span)
        })
    }

    fn find(&self, field: &[u8]) -> Option<PairSpan> {
        self.spans().find(|span| &self.bytes[span.field.clone()] == field)
    }

    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.find(field).map(|span| &self.bytes[span.value])
    }

    /// Sets `field` to `value` (in place if present, else appended); true
    /// if the field is new. Appending grows the buffer in place where the
    /// allocator can; a value of the same length is overwritten in place.
    pub fn insert(&mut self, field: &[u8], value: &[u8]) -> bool {
        let found = self.find(field);
        if let Some(span) = &found {
            if span.value.len() == value.len() {
                self.bytes[span.value.clone()].copy_from_slice(value);
                return false;
            }
        }
        let pair_size = varint_len(field.len()) + field.len() + varint_len(value.len()) + value.len();
        let created = found.is_none();
        let mut bytes = std::mem::take(&mut self.bytes).into_vec();
        match found {
            Some(span) => {
                let mut pair = Vec::with_capacity(pair_size);
                encode_pair(&mut pair, field, value);
                bytes.splice(span.start..span.end(), pair);
            }
            None => {
                bytes.reserve_exact(pair_size);
                encode_pair(&mut bytes, field, value);
                self.len += 1;
            }
        }
        self.bytes = bytes.into_boxed_slice();
        created
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        let Some(span) = self.find(field) else { return false };
        let mut bytes = std::mem::take(&mut self.bytes).into_vec();
        bytes.drain(span.start..span.end());
        self.bytes = bytes.into_boxed_slice();
        self.len -= 1;
        true
    }

    /// Every pair, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans().map(|span| (&self.bytes[span.field], &self.bytes[span.value]))
    }

    /// The pair at position `index` (`index < len`).
    pub fn nth(&self, index: usize) -> Option<(&[u8], &[u8])> {
        self.iter().nth(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order() {
        let mut p = PackedPairs::default();
        assert!(p.insert(b"b", b"1"));
        assert!(p.insert(b"a", &[b'x'; 300]));
        assert!(p.insert(b"", b""));
        assert!(!p.insert(b"b", b"22"));
        let fields: Vec<&[u8]> = p.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [&b"b"[..], b"a", b""]);
        assert_eq!(p.get(b"b"), Some(&b"22"[..]));
        assert_eq!(p.get(b"a").map(<[u8]>::len), Some(300));
        assert!(p.remove(b"b"));
        assert!(!p.remove(b"b"));
        assert!(p.insert(b"b", b"3"));
        let fields: Vec<&[u8]> = p.iter().map(|(f, _)| f).collect();
        assert_eq!(fields, [&b"a"[..], b"", b"b"]);
        assert_eq!(p.len(), 3);
        assert_eq!(p.nth(2), Some((&b"b"[..], &b"3"[..])));
        assert_eq!(p.buffer_bytes(), 304 + 2 + 4);
    }

    #[test]
    fn matches_an_ordered_model() {
        let mut state = 7u64;
        let mut next = move |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut p = PackedPairs::default();
        let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        for _ in 0..5_000 {
            let field = format!("f{}", next(40)).into_bytes();
            if next(3) == 0 {
                let was = model.iter().position(|(f, _)| *f == field);
                assert_eq!(p.remove(&field), was.is_some());
                if let Some(at) = was {
                    model.remove(at);
                }
            } else {
                let value = vec![b'v'; next(200) as usize];
                let created = p.insert(&field, &value);
                match model.iter_mut().find(|(f, _)| *f == field) {
                    Some(pair) => {
                        assert!(!created);
                        pair.1 = value;
                    }
                    None => {
                        assert!(created);
                        model.push((field, value));
                    }
                }
            }
            assert_eq!(p.len(), model.len());
            let got: Vec<(&[u8], &[u8])> = p.iter().collect();
            let want: Vec<(&[u8], &[u8])> = model.iter().map(|(f, v)| (&f[..], &v[..])).collect();
            assert_eq!(got, want);
        }
    }
}
