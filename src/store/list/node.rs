//! One node of a list: a heap buffer of elements packed back to back, and
//! the element encoding (described in the parent module) that lets a
//! reader walk it from either end.
//!
//! This file owns the bytes; `List` decides when nodes are opened,
//! trimmed, split and merged.
//!
//! # Invariants
//!
//! * `buf[start..end]` holds exactly `count` encoded elements; the bytes
//!   before `start` and from `end` on are free room, so a push at either
//!   end of a node moves no other bytes.
//! * Every element's leading and trailing length agree, so walking
//!   forwards with [`decode_forward`] and backwards with
//!   [`decode_backward`] visits the same elements.

use super::NODE_BYTES;

/// A node whose buffer is at least this large is shrunk when less than a
/// quarter of it is in use.
const SHRINK_MIN: usize = 64;

/// A run of encoded elements, stored in `buf[start..end]`.
#[derive(Clone)]
pub(super) struct Node {
    pub(super) buf: Box<[u8]>,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) count: usize,
}

// ---------------------------------------------------------------------------
// Element encoding.

fn varint_len(mut n: usize) -> usize {
    let mut bytes = 1;
    while n >= 0x80 {
        n >>= 7;
        bytes += 1;
    }
    bytes
}

/// Bytes an element of `len` bytes occupies in a node.
pub(super) fn encoded_len(len: usize) -> usize {
    2 * varint_len(len) + len
}

/// Writes the encoding of `data` into `dst`, which is exactly
/// `encoded_len(data.len())` bytes long.
fn encode(dst: &mut [u8], data: &[u8]) {
    let header = varint_len(data.len());
    let mut n = data.len();
    for i in 0..header {
        let more = if i + 1 < header { 0x80 } else { 0 };
        let byte = (n & 0x7f) as u8 | more;
        n >>= 7;
        dst[i] = byte;
        // The trailer holds the same bytes in reverse order, so that the
        // last byte of the element is the low 7 bits of its length.
        dst[dst.len() - 1 - i] = byte;
    }
    dst[header..header + data.len()].copy_from_slice(data);
}

/// Decodes the element starting at `at`: returns where its bytes start,
/// their length, and where the next element starts.
#[inline]
pub(super) fn decode_forward(buf: &[u8], at: usize) -> (usize, usize, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = at;
    loop {
        let byte = buf[i];
        len |= ((byte & 0x7f) as usize) << shift;
        i += 1;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let header = i - at;
    (i, len, i + len + header)
}

/// Decodes the element ending at `end`: returns where its bytes start,
/// their length, and where the element's encoding starts.
#[inline]
pub(super) fn decode_backward(buf: &[u8], end: usize) -> (usize, usize, usize) {
    let mut len = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i -= 1;
        let byte = buf[i];
        len |= ((byte & 0x7f) as usize) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let header = end - i;
    let data_start = i - len;
    (data_start, len, data_start - header)
}

// ---------------------------------------------------------------------------
// Nodes.

impl Node {
    /// A node holding exactly the given encoded bytes.
    pub(super) fn from_encoded(bytes: &[u8], count: usize) -> Node {
        Node { buf: bytes.into(), start: 0, end: bytes.len(), count }
    }

    /// A node holding one element, with no spare room.
    pub(super) fn single(data: &[u8]) -> Node {
        let mut buf = vec![0u8; encoded_len(data.len())].into_boxed_slice();
        encode(&mut buf, data);
        let end = buf.len();
        Node { buf, start: 0, end, count: 1 }
    }

    #[inline]
    pub(super) fn used(&self) -> usize {
        self.end - self.start
    }

    #[inline]
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub(super) fn first(&self) -> &[u8] {
        let (at, len, _) = decode_forward(&self.buf, self.start);
        &self.buf[at..at + len]
    }

    pub(super) fn last(&self) -> &[u8] {
        let (at, len, _) = decode_backward(&self.buf, self.end);
        &self.buf[at..at + len]
    }

    /// Makes room for `need` more bytes at the front (`front`) or back.
    /// When the buffer must be laid out again, the spare room is split
    /// between both sides, so alternating pushes at both ends of a single
    /// node also stay amortized O(1).
    fn reserve(&mut self, need: usize, front: bool) {
        let free = if front { self.start } else { self.buf.len() - self.end };
        if free >= need {
            return;
        }
        let used = self.used();
        let wanted = used + need;
        let capacity = if wanted <= self.buf.len() {
            self.buf.len()
        } else {
            wanted.max(self.buf.len().saturating_mul(2).min(NODE_BYTES))
        };
        let spare = capacity - wanted;
        let new_start = if front { need + spare / 2 } else { spare / 2 };
        if capacity == self.buf.len() {
            self.buf.copy_within(self.start..self.end, new_start);
        } else {
            let mut buf = vec![0u8; capacity].into_boxed_slice();
            buf[new_start..new_start + used].copy_from_slice(self.bytes());
            self.buf = buf;
        }
        self.start = new_start;
        self.end = new_start + used;
    }

    pub(super) fn push_back(&mut self, data: &[u8]) {
        let size = encoded_len(data.len());
        self.reserve(size, false);
        encode(&mut self.buf[self.end..self.end + size], data);
        self.end += size;
        self.count += 1;
    }

    pub(super) fn push_front(&mut self, data: &[u8]) {
        let size = encoded_len(data.len());
        self.reserve(size, true);
        encode(&mut self.buf[self.start - size..self.start], data);
        self.start -= size;
        self.count += 1;
    }

    /// Drops the first `n` elements (`n < count`).
    pub(super) fn drop_front(&mut self, n: usize) {
        let mut at = self.start;
        for _ in 0..n {
            at = decode_forward(&self.buf, at).2;
        }
        self.start = at;
        self.count -= n;
        self.maybe_shrink();
    }

    /// Drops the last `n` elements (`n < count`).
    pub(super) fn drop_back(&mut self, n: usize) {
        let mut end = self.end;
        for _ in 0..n {
            end = decode_backward(&self.buf, end).2;
        }
        self.end = end;
        self.count -= n;
        self.maybe_shrink();
    }

    /// Gives back memory when most of the buffer is unused.
    fn maybe_shrink(&mut self) {
        if self.buf.len() >= SHRINK_MIN && self.used() * 4 < self.buf.len() {
            let used = self.used();
            let capacity = used * 2;
            let new_start = (capacity - used) / 2;
            let mut buf = vec![0u8; capacity].into_boxed_slice();
            buf[new_start..new_start + used].copy_from_slice(self.bytes());
            self.buf = buf;
            self.start = new_start;
            self.end = new_start + used;
        }
    }

    /// Trims the buffer to the live bytes (for nodes no longer at an end).
    pub(super) fn fit(&mut self) {
        if self.buf.len() != self.used() {
            *self = Node::from_encoded(self.bytes(), self.count);
        }
    }

    /// Offset of the `i`th element (`i < count`), walking from the nearer
    /// end of the node.
    pub(super) fn offset_of(&self, i: usize) -> usize {
        if i <= self.count / 2 {
            let mut at = self.start;
            for _ in 0..i {
                at = decode_forward(&self.buf, at).2;
            }
            at
        } else {
            let mut at = self.end;
            for _ in i..self.count {
                at = decode_backward(&self.buf, at).2;
            }
            at
        }
    }

    /// Replaces the encoded bytes `at..at + old` with the encoding of
    /// `data`, rebuilding the buffer at its exact new size.
    pub(super) fn splice(&mut self, at: usize, old: usize, data: &[u8]) {
        let size = encoded_len(data.len());
        let mut buf = vec![0u8; self.used() - old + size].into_boxed_slice();
        let head = at - self.start;
        buf[..head].copy_from_slice(&self.buf[self.start..at]);
        encode(&mut buf[head..head + size], data);
        buf[head + size..].copy_from_slice(&self.buf[at + old..self.end]);
        self.end = buf.len();
        self.start = 0;
        self.buf = buf;
    }

    /// Splits a node over [`NODE_BYTES`] into nodes of at most that size
    /// (an element larger than that alone in its node).
    pub(super) fn split(self) -> Vec<Node> {
        let mut pieces = Vec::new();
        let (mut piece_start, mut piece_count) = (self.start, 0);
        let mut at = self.start;
        while at < self.end {
            let next = decode_forward(&self.buf, at).2;
            if piece_count > 0 && next - piece_start > NODE_BYTES {
                pieces.push(Node::from_encoded(&self.buf[piece_start..at], piece_count));
                piece_start = at;
                piece_count = 0;
            }
            piece_count += 1;
            at = next;
        }
        pieces.push(Node::from_encoded(&self.buf[piece_start..self.end], piece_count));
        pieces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips_every_length_class() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut buf = vec![0u8; encoded_len(len) + 3];
            encode(&mut buf[3..], &data);
            let (at, l, next) = decode_forward(&buf, 3);
            assert_eq!((&buf[at..at + l], next), (&data[..], buf.len()));
            let (at, l, start) = decode_backward(&buf, buf.len());
            assert_eq!((&buf[at..at + l], start), (&data[..], 3));
        }
    }
}
