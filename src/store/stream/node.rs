//! A packed node of stream entries: the idea of Redis's listpack under a
//! radix-tree key, in Efis's own format.
//!
//! A node holds up to [`MAX_ENTRIES`] consecutive entries (or about
//! [`MAX_BYTES`] bytes) in one byte buffer. Its *master ID* (the first
//! entry's ID, also its key in the stream's index) and *master fields*
//! (the first entry's field names) are stored once; each entry stores its
//! ID as a delta from the master and, when its field names are the
//! master's (the common case: every `XADD` of one producer sends the same
//! fields), only its values.
//!
//! ```text
//! buf    = fields-count:varint { len:varint bytes }*        master fields
//!          entry*
//! entry  = flags:u8 ms-delta:varint seq:varint body
//!   flags bit 0: deleted (a tombstone, skipped by every reader)
//!   flags bit 1: same fields as the master: body = { len:varint value }*
//!                otherwise body = count:varint { len field len value }*
//!   seq is relative to the master's seq when ms-delta is 0, else absolute
//! ```
//!
//! `XADD s * f1 v1 f2 v2 f3 v3` costs 13 bytes in a node (flags, two
//! one-byte ID deltas, three one-byte lengths and six value bytes) plus
//! the node's share of the index. Invariants: entries are in increasing ID
//! order; `live` counts the entries not flagged deleted; a node with no
//! live entry is removed from the stream by its owner.

use super::id::StreamId;

/// Entries per node before a new node is started (Redis's
/// `stream-node-max-entries` default).
pub const MAX_ENTRIES: u32 = 100;
/// Bytes per node before a new node is started (Redis's
/// `stream-node-max-bytes` default).
pub const MAX_BYTES: usize = 4096;

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 2;

/// One packed node.
#[derive(Clone, Debug)]
pub struct Node {
    master: StreamId,
    buf: Vec<u8>,
    /// Number of master field names.
    master_fields: u32,
    /// Where the entries start in `buf`.
    entries_at: u32,
    /// Entries in the buffer, deleted ones included.
    total: u32,
    /// Entries not deleted.
    live: u32,
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn get_varint(buf: &[u8], at: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = buf[*at];
        *at += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

fn get_bytes<'a>(buf: &'a [u8], at: &mut usize) -> &'a [u8] {
    let len = get_varint(buf, at) as usize;
    let bytes = &buf[*at..*at + len];
    *at += len;
    bytes
}

fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// One decoded entry, borrowing from its node.
pub struct EntryView<'a> {
    pub id: StreamId,
    /// Field-value pairs, in the order they were added.
    pub fields: Vec<(&'a [u8], &'a [u8])>,
    /// Byte offset of the entry's flags in its node.
    offset: usize,
}

impl Node {
    /// Bytes reserved for the packed entries.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// A node whose first entry is `id` with `fields`.
    pub fn new(id: StreamId, fields: &[(&[u8], &[u8])]) -> Node {
        let mut buf = Vec::with_capacity(64);
        put_varint(&mut buf, fields.len() as u64);
        for (field, _) in fields {
            put_bytes(&mut buf, field);
        }
        let entries_at = buf.len() as u32;
        let mut node = Node { master: id, buf, master_fields: fields.len() as u32, entries_at, total: 0, live: 0 };
        node.push(id, fields);
        node
    }

    pub fn master(&self) -> StreamId {
        self.master
    }

    pub fn live(&self) -> u32 {
        self.live
    }

    /// True if another entry should start a new node.
    pub fn is_full(&self) -> bool {
        self.total >= MAX_ENTRIES || self.buf.len() >= MAX_BYTES
    }

    /// Gives back the buffer's spare room (a node that is full stays so).
    pub fn seal(&mut self) {
        self.buf.shrink_to_fit();
    }

    fn same_as_master(&self, fields: &[(&[u8], &[u8])]) -> bool {
        if fields.len() != self.master_fields as usize {
            return false;
        }
        let mut at = 0;
        get_varint(&self.buf, &mut at);
        fields.iter().all(|(field, _)| get_bytes(&self.buf, &mut at) == *field)
    }

    /// Appends an entry; `id` must be greater than every ID in the node.
    pub fn push(&mut self, id: StreamId, fields: &[(&[u8], &[u8])]) {
        let same = self.same_as_master(fields);
        self.buf.push(if same { SAME_FIELDS } else { 0 });
        let ms_delta = id.ms - self.master.ms;
        put_varint(&mut self.buf, ms_delta);
        put_varint(&mut self.buf, if ms_delta == 0 { id.seq - self.master.seq } else { id.seq });
        if same {
            for (_, value) in fields {
                put_bytes(&mut self.buf, value);
            }
        } else {
            put_varint(&mut self.buf, fields.len() as u64);
            for (field, value) in fields {
                put_bytes(&mut self.buf, field);
                put_bytes(&mut self.buf, value);
            }
        }
        self.total += 1;
        self.live += 1;
    }

    /// Decodes the header of the entry at `at` (its flags and ID), moving
    /// `at` to its body.
    fn header_at(&self, at: &mut usize) -> (u8, StreamId) {
        let buf = &self.buf;
        let flags = buf[*at];
        *at += 1;
        let ms_delta = get_varint(buf, at);
        let seq = get_varint(buf, at);
        let id = if ms_delta == 0 {
            StreamId::new(self.master.ms, self.master.seq + seq)
        } else {
            StreamId::new(self.master.ms + ms_delta, seq)
        };
        (flags, id)
    }

    /// Moves `at` past the body of an entry with `flags`.
    fn skip_body(&self, flags: u8, at: &mut usize) {
        let strings = if flags & SAME_FIELDS != 0 { self.master_fields as u64 } else { get_varint(&self.buf, at) * 2 };
        for _ in 0..strings {
            let len = get_varint(&self.buf, at) as usize;
            *at += len;
        }
    }

    /// Decodes the entry at `at`, moving `at` past it: `(deleted, entry)`.
    fn decode_at(&self, at: &mut usize) -> (bool, EntryView<'_>) {
        let buf = &self.buf;
        let offset = *at;
        let (flags, id) = self.header_at(at);
        let mut fields = Vec::new();
        if flags & SAME_FIELDS != 0 {
            fields.reserve(self.master_fields as usize);
            let mut names = 0;
            get_varint(buf, &mut names);
            for _ in 0..self.master_fields {
                let field = get_bytes(buf, &mut names);
                fields.push((field, get_bytes(buf, at)));
            }
        } else {
            let count = get_varint(buf, at);
            for _ in 0..count {
                let field = get_bytes(buf, at);
                fields.push((field, get_bytes(buf, at)));
            }
        }
        (flags & DELETED != 0, EntryView { id, fields, offset })
    }

    /// The live entries, oldest first.
    pub fn entries(&self) -> Vec<EntryView<'_>> {
        let mut out = Vec::with_capacity(self.live as usize);
        let mut at = self.entries_at as usize;
        for _ in 0..self.total {
            let (deleted, entry) = self.decode_at(&mut at);
            if !deleted {
                out.push(entry);
            }
        }
        out
    }

    /// Calls `f` on each live entry from the first with an ID of at least
    /// `from`, oldest first, while it returns true. Returns false if `f`
    /// stopped.
    pub fn scan_forward<'a>(&'a self, from: StreamId, mut f: impl FnMut(&EntryView<'a>) -> bool) -> bool {
        let mut at = self.entries_at as usize;
        for _ in 0..self.total {
            let mut body = at;
            let (flags, id) = self.header_at(&mut body);
            if flags & DELETED != 0 || id < from {
                self.skip_body(flags, &mut body);
                at = body;
                continue;
            }
            let (_, entry) = self.decode_at(&mut at);
            if !f(&entry) {
                return false;
            }
        }
        true
    }

    /// The live entry with ID `id`.
    pub fn find(&self, id: StreamId) -> Option<EntryView<'_>> {
        let mut found = None;
        self.scan_forward(id, |entry| {
            if entry.id == id {
                found = Some(EntryView { id: entry.id, fields: entry.fields.clone(), offset: entry.offset });
            }
            false
        });
        found
    }

    /// Flags the entry with ID `id` as deleted; false if there is no such
    /// live entry.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(offset) = self.find(id).map(|entry| entry.offset) else { return false };
        self.buf[offset] |= DELETED;
        self.live -= 1;
        true
    }

    /// The ID of the node's last entry, deleted or not (what Redis's
    /// trimming by minimum ID looks at).
    pub fn last_written(&self) -> StreamId {
        let mut at = self.entries_at as usize;
        let mut last = self.master;
        for _ in 0..self.total {
            let (flags, id) = self.header_at(&mut at);
            self.skip_body(flags, &mut at);
            last = id;
        }
        last
    }

    /// The first and last live IDs.
    pub fn edges(&self) -> Option<(StreamId, StreamId)> {
        let entries = self.entries();
        Some((entries.first()?.id, entries.last()?.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_entries_with_and_without_master_fields() {
        let mut node = Node::new(StreamId::new(100, 0), &[(b"f1", b"v1"), (b"f2", b"v2")]);
        node.push(StreamId::new(100, 1), &[(b"f1", b"a"), (b"f2", b"b")]);
        node.push(StreamId::new(105, 7), &[(b"other", b"")]);
        let entries = node.entries();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].id, StreamId::new(100, 1));
        assert_eq!(entries[1].fields, vec![(&b"f1"[..], &b"a"[..]), (&b"f2"[..], &b"b"[..])]);
        assert_eq!(entries[2].id, StreamId::new(105, 7));
        assert_eq!(entries[2].fields, vec![(&b"other"[..], &b""[..])]);
        assert!(node.delete(StreamId::new(100, 1)));
        assert!(!node.delete(StreamId::new(100, 1)));
        assert_eq!(node.live(), 2);
        assert_eq!(node.edges(), Some((StreamId::new(100, 0), StreamId::new(105, 7))));
        // Same fields as the master: flags, two deltas, values only.
        let before = node.buf.len();
        node.push(StreamId::new(106, 0), &[(b"f1", b"x"), (b"f2", b"y")]);
        assert_eq!(node.buf.len() - before, 1 + 1 + 1 + 2 + 2);
    }
}
