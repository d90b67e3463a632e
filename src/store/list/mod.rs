//! List values: a deque of packed nodes.
//!
//! This module owns the in-memory layout of a list and every operation on
//! it; it knows nothing of commands or the wire protocol (`cmd::list` does
//! the argument parsing and replies).
//!
//! # Layout, and why
//!
//! A list is a [`VecDeque`] of *nodes*; a node is one heap buffer holding up
//! to about [`NODE_BYTES`] of elements packed back to back, each encoded as
//!
//! ```text
//! [length, LEB128] [bytes] [length, LEB128 written backwards]
//! ```
//!
//! The leading length lets a reader walk forwards, the trailing one lets it
//! walk backwards, so both ends of a node (and of the list) are reachable in
//! O(1). An element of up to 127 bytes costs its bytes plus 2; the node
//! itself (40 bytes of bookkeeping plus one allocation) is shared by a few
//! hundred small elements. The obvious alternative, `VecDeque<Box<[u8]>>`,
//! costs a 16-byte fat pointer plus a separate allocation (8 to 16 bytes of
//! allocator overhead and rounding) per element: about 30 bytes instead of
//! 2 on top of each element, and a pointer chase per element when reading
//! ranges. Redis's quicklist of listpacks makes the same trade.
//!
//! A node's live bytes sit inside its buffer with free room allowed on
//! both sides (`start..end`), so pushing or popping at either end of a node
//! moves no other bytes; when one side runs out of room the node is laid
//! out again (growing by doubling up to [`NODE_BYTES`]), which is O(1)
//! amortized. When a new end node is opened, the node it replaces at that
//! end is trimmed to its exact size, so interior nodes waste nothing.
//! An element larger than [`NODE_BYTES`] gets a node of its own.
//!
//! # Complexity (n elements, m of them touched)
//!
//! | operation | cost |
//! | --- | --- |
//! | push / pop at either end | O(1) amortized (per element) |
//! | remove m elements from an end | O(m / elements per node + node size) |
//! | element at index i (get, set, start of a range) | O(min(i, n - i) / elements per node + node size) |
//! | iterate m elements from a position | O(m) after the seek above |
//! | insert next to a pivot, remove matches | O(n) |
//!
//! "Node size" is bounded by [`NODE_BYTES`], so it is a constant factor
//! (a `memmove` of at most a few KiB).
//!
//! # Invariants
//!
//! * No node is empty; `len` is the sum of the nodes' `count`s.
//! * A node holding more than one element has at most [`NODE_BYTES`] of
//!   encoded bytes.

mod iter;
mod node;

use std::collections::VecDeque;

pub use iter::{EndIter, Iter};
use node::{decode_forward, encoded_len, Node};

/// Soft limit on the encoded bytes of a node: pushes open a new node rather
/// than grow one past this, and edits in the middle split nodes above it.
pub const NODE_BYTES: usize = 4096;

/// One end of a list: `Left` is the head (index 0), `Right` the tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Left,
    Right,
}

/// A list of binary-safe elements with O(1) push and pop at both ends.
#[derive(Clone, Default)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoding name `OBJECT ENCODING` reports (Redis 7.0 reports
    /// `quicklist` for every list, which is also what this layout is).
    pub fn encoding_name(&self) -> &'static str {
        "quicklist"
    }

    /// The element at `end`.
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        match end {
            End::Left => self.nodes.front().map(Node::first),
            End::Right => self.nodes.back().map(Node::last),
        }
    }

    /// Adds an element at `end`. O(1) amortized.
    pub fn push(&mut self, end: End, data: &[u8]) {
        let size = encoded_len(data.len());
        let node = match end {
            End::Left => self.nodes.front_mut(),
            End::Right => self.nodes.back_mut(),
        };
        match node {
            Some(node) if node.used() + size <= NODE_BYTES => match end {
                End::Left => node.push_front(data),
                End::Right => node.push_back(data),
            },
            Some(node) => {
                // The current end node is full: it becomes an interior
                // node, so give back its spare room.
                node.fit();
                self.push_node(end, Node::single(data));
            }
            None => self.push_node(end, Node::single(data)),
        }
        self.len += 1;
    }

    fn push_node(&mut self, end: End, node: Node) {
        if self.nodes.capacity() == 0 {
            // Most lists are small: start with room for one node instead of
            // the deque's default minimum.
            self.nodes.reserve_exact(1);
        }
        match end {
            End::Left => self.nodes.push_front(node),
            End::Right => self.nodes.push_back(node),
        }
    }

    /// Removes and returns the element at `end`. The element is copied out;
    /// callers that only need to read it use [`List::peek`] and
    /// [`List::remove_end`].
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let value = self.peek(end)?.to_vec();
        self.remove_end(end, 1);
        Some(value)
    }

    /// Removes up to `n` elements from `end`; returns how many were
    /// removed. Whole nodes are dropped without looking at their elements.
    pub fn remove_end(&mut self, end: End, n: usize) -> usize {
        let n = n.min(self.len);
        let mut left = n;
        while left > 0 {
            let node = match end {
                End::Left => self.nodes.front_mut(),
                End::Right => self.nodes.back_mut(),
            };
            let Some(node) = node else { break };
            if node.count <= left {
                left -= node.count;
                match end {
                    End::Left => self.nodes.pop_front(),
                    End::Right => self.nodes.pop_back(),
                };
            } else {
                match end {
                    End::Left => node.drop_front(left),
                    End::Right => node.drop_back(left),
                }
                left = 0;
            }
        }
        self.len -= n;
        self.release_if_empty();
        n
    }

    fn release_if_empty(&mut self) {
        if self.len == 0 {
            self.nodes = VecDeque::new();
        }
    }

    /// The node holding element `index` (`index < len`), and the element's
    /// position inside that node; walks from the nearer end of the list.
    fn locate(&self, index: usize) -> (usize, usize) {
        debug_assert!(index < self.len);
        if index < self.len / 2 {
            let mut skipped = 0;
            for (i, node) in self.nodes.iter().enumerate() {
                if index < skipped + node.count {
                    return (i, index - skipped);
                }
                skipped += node.count;
            }
        } else {
            let mut after = self.len;
            for (i, node) in self.nodes.iter().enumerate().rev() {
                after -= node.count;
                if index >= after {
                    return (i, index - after);
                }
            }
        }
        unreachable!("index below len is inside some node")
    }

    /// The element at `index` (0 is the head).
    pub fn get(&self, index: usize) -> Option<&[u8]> {
        if index >= self.len {
            return None;
        }
        let (node, i) = self.locate(index);
        let node = &self.nodes[node];
        let (at, len, _) = decode_forward(&node.buf, node.offset_of(i));
        Some(&node.buf[at..at + len])
    }

    /// Replaces the element at `index`; false if `index` is out of range.
    pub fn set(&mut self, index: usize, data: &[u8]) -> bool {
        if index >= self.len {
            return false;
        }
        let (node_index, i) = self.locate(index);
        let node = &mut self.nodes[node_index];
        let at = node.offset_of(i);
        let old = decode_forward(&node.buf, at).2 - at;
        node.splice(at, old, data);
        self.split_if_large(node_index);
        true
    }

    /// Inserts `data` before (or after, with `after`) the first element
    /// equal to `pivot`. Returns false, changing nothing, if there is none.
    pub fn insert_by_pivot(&mut self, pivot: &[u8], data: &[u8], after: bool) -> bool {
        for node_index in 0..self.nodes.len() {
            let node = &mut self.nodes[node_index];
            let mut at = node.start;
            while at < node.end {
                let (data_at, len, next) = decode_forward(&node.buf, at);
                if &node.buf[data_at..data_at + len] == pivot {
                    let position = if after { next } else { at };
                    node.splice(position, 0, data);
                    node.count += 1;
                    self.len += 1;
                    self.split_if_large(node_index);
                    return true;
                }
                at = next;
            }
        }
        false
    }

    fn split_if_large(&mut self, node_index: usize) {
        let node = &self.nodes[node_index];
        if node.count < 2 || node.used() <= NODE_BYTES {
            return;
        }
        let Some(node) = self.nodes.remove(node_index) else { return };
        for (k, piece) in node.split().into_iter().enumerate() {
            self.nodes.insert(node_index + k, piece);
        }
    }

    /// Removes elements equal to `value`: the first `limit` from `from`
    /// (every match when `limit` is 0). Returns how many were removed. One
    /// pass, compacting nodes in place, plus one counting pass when
    /// removing a limited number from the tail.
    pub fn remove_matches(&mut self, value: &[u8], limit: usize, from: End) -> usize {
        let limit = if limit == 0 { usize::MAX } else { limit };
        // Removing from the tail = removing from the head after skipping
        // all but the last `limit` matches.
        let mut skip = 0;
        if from == End::Right && limit != usize::MAX {
            skip = self.iter().filter(|e| *e == value).count().saturating_sub(limit);
        }
        let mut removed = 0;
        for node in self.nodes.iter_mut() {
            if removed == limit {
                break;
            }
            let (mut read, mut write) = (node.start, node.start);
            let before = removed;
            while read < node.end {
                let (data_at, len, next) = decode_forward(&node.buf, read);
                let matches = &node.buf[data_at..data_at + len] == value;
                let drop = matches && removed < limit && {
                    if skip > 0 {
                        skip -= 1;
                        false
                    } else {
                        true
                    }
                };
                if drop {
                    removed += 1;
                } else {
                    if write != read {
                        node.buf.copy_within(read..next, write);
                    }
                    write += next - read;
                }
                read = next;
            }
            node.end = write;
            node.count -= removed - before;
        }
        if removed > 0 {
            self.len -= removed;
            self.compact();
        }
        removed
    }

    /// Drops empty nodes and merges neighbours that fit in one node
    /// together, after removals in the middle. O(bytes of the list).
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.nodes);
        let mut merged: VecDeque<Node> = VecDeque::with_capacity(old.len());
        for mut node in old.into_iter().filter(|n| n.count > 0) {
            match merged.back_mut() {
                Some(last) if last.used() + node.used() <= NODE_BYTES => {
                    let mut bytes = Vec::with_capacity(last.used() + node.used());
                    bytes.extend_from_slice(last.bytes());
                    bytes.extend_from_slice(node.bytes());
                    *last = Node::from_encoded(&bytes, last.count + node.count);
                }
                _ => {
                    node.fit();
                    merged.push_back(node);
                }
            }
        }
        merged.shrink_to_fit();
        self.nodes = merged;
        self.release_if_empty();
    }
}

impl std::fmt::Debug for List {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter().map(|e| e.escape_ascii().to_string())).finish()
    }
}

impl<'a> FromIterator<&'a [u8]> for List {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(elements: I) -> List {
        let mut list = List::new();
        for element in elements {
            list.push(End::Right, element);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(list: &List) -> Vec<Vec<u8>> {
        list.iter().map(<[u8]>::to_vec).collect()
    }

    /// Checks the invariants and that every access path agrees with `model`.
    fn check(list: &List, model: &VecDeque<Vec<u8>>) {
        assert_eq!(list.len(), model.len());
        assert_eq!(list.nodes.iter().map(|n| n.count).sum::<usize>(), model.len());
        for node in &list.nodes {
            assert!(node.count > 0, "empty node");
            assert!(node.count == 1 || node.used() <= NODE_BYTES, "oversized node");
        }
        let forward: Vec<Vec<u8>> = collect(list);
        assert_eq!(forward, model.iter().cloned().collect::<Vec<_>>());
        let backward: Vec<Vec<u8>> = list.iter().rev().map(<[u8]>::to_vec).collect();
        assert_eq!(backward, model.iter().rev().cloned().collect::<Vec<_>>());
        for (i, want) in model.iter().enumerate().step_by(7) {
            assert_eq!(list.get(i), Some(&want[..]));
            let from: Vec<Vec<u8>> = list.iter_from(i).take(3).map(<[u8]>::to_vec).collect();
            let want_from: Vec<Vec<u8>> = model.iter().skip(i).take(3).cloned().collect();
            assert_eq!(from, want_from);
        }
        assert_eq!(list.get(model.len()), None);
        assert_eq!(list.peek(End::Left), model.front().map(|v| &v[..]));
        assert_eq!(list.peek(End::Right), model.back().map(|v| &v[..]));
    }

    #[test]
    fn pushes_and_pops_at_both_ends() {
        let mut list = List::new();
        let mut model = VecDeque::new();
        for i in 0..5_000u32 {
            let value = i.to_string().into_bytes();
            if i % 3 == 0 {
                list.push(End::Left, &value);
                model.push_front(value);
            } else {
                list.push(End::Right, &value);
                model.push_back(value);
            }
        }
        check(&list, &model);
        assert!(list.nodes.len() > 5, "many nodes expected");
        for i in 0..4_000 {
            let (got, want) = if i % 2 == 0 {
                (list.pop(End::Left), model.pop_front())
            } else {
                (list.pop(End::Right), model.pop_back())
            };
            assert_eq!(got, want);
        }
        check(&list, &model);
        assert_eq!(list.remove_end(End::Left, usize::MAX), 1_000);
        assert!(list.is_empty());
        assert_eq!(list.nodes.capacity(), 0);
        assert_eq!(list.pop(End::Right), None);
    }

    #[test]
    fn big_elements_live_alone() {
        let big = vec![b'x'; NODE_BYTES * 3];
        let mut list: List = [&b"a"[..], &big, b"b"].into_iter().collect();
        list.push(End::Left, &big);
        let model: VecDeque<Vec<u8>> = [big.clone(), b"a".to_vec(), big.clone(), b"b".to_vec()].into();
        check(&list, &model);
        // Setting a big element in the middle of a packed node splits it.
        let mut small: List = (0..100).map(|_| &b"small"[..]).collect();
        assert!(small.set(50, &big));
        let mut model: VecDeque<Vec<u8>> = (0..100).map(|_| b"small".to_vec()).collect();
        model[50] = big.clone();
        check(&small, &model);
    }

    #[test]
    fn set_insert_remove_trim() {
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for i in 0..3_000u32 {
            let value = format!("v{}", i % 10).into_bytes();
            list.push(End::Right, &value);
            model.push_back(value);
        }
        assert!(list.set(1_234, b"changed, and longer than before"));
        model[1_234] = b"changed, and longer than before".to_vec();
        assert!(!list.set(3_000, b"x"));
        check(&list, &model);

        assert!(list.insert_by_pivot(b"v3", b"before", false));
        model.insert(3, b"before".to_vec());
        assert!(list.insert_by_pivot(b"v9", b"after", true));
        model.insert(11, b"after".to_vec());
        assert!(!list.insert_by_pivot(b"missing", b"x", true));
        check(&list, &model);

        // Limited removals from each end, then all.
        assert_eq!(list.remove_matches(b"v5", 3, End::Left), 3);
        for _ in 0..3 {
            let at = model.iter().position(|e| e == b"v5").unwrap();
            model.remove(at);
        }
        assert_eq!(list.remove_matches(b"v6", 2, End::Right), 2);
        for _ in 0..2 {
            let at = model.iter().rposition(|e| e == b"v6").unwrap();
            model.remove(at);
        }
        check(&list, &model);
        let removed = list.remove_matches(b"v7", 0, End::Left);
        assert_eq!(removed, model.iter().filter(|e| *e == b"v7").count());
        model.retain(|e| e != b"v7");
        check(&list, &model);

        // Trimming from both ends.
        list.remove_end(End::Left, 100);
        list.remove_end(End::Right, 1_000);
        model.drain(..100);
        model.truncate(model.len() - 1_000);
        check(&list, &model);

        // Removing everything leaves no nodes.
        for v in 0..10 {
            list.remove_matches(format!("v{v}").as_bytes(), 0, End::Right);
        }
        list.remove_matches(b"changed, and longer than before", 0, End::Left);
        list.remove_matches(b"before", 0, End::Left);
        list.remove_matches(b"after", 0, End::Left);
        assert!(list.is_empty(), "{list:?}");
        assert!(list.nodes.is_empty());
    }

    #[test]
    fn random_operations_match_a_vecdeque() {
        // A small deterministic generator keeps this test free of extra
        // dependencies.
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut list = List::new();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        for step in 0..20_000 {
            let r = next();
            let size = match r % 50 {
                0 => 5_000,
                1..=5 => 200,
                _ => (r >> 8) as usize % 12,
            };
            let value: Vec<u8> = (0..size).map(|i| b'a' + ((i + (r >> 20) as usize) % 3) as u8).collect();
            match (r >> 32) % 10 {
                0..=2 => {
                    list.push(End::Left, &value);
                    model.push_front(value);
                }
                3..=5 => {
                    list.push(End::Right, &value);
                    model.push_back(value);
                }
                6 => assert_eq!(list.pop(End::Left), model.pop_front()),
                7 => assert_eq!(list.pop(End::Right), model.pop_back()),
                8 if !model.is_empty() => {
                    let i = (r >> 40) as usize % model.len();
                    assert!(list.set(i, &value));
                    model[i] = value;
                }
                _ if !model.is_empty() => {
                    let pivot = model[(r >> 40) as usize % model.len()].clone();
                    let at = model.iter().position(|e| *e == pivot).unwrap();
                    let after = r & 1 == 1;
                    assert!(list.insert_by_pivot(&pivot, &value, after));
                    model.insert(at + after as usize, value);
                }
                _ => {}
            }
            if step % 997 == 0 {
                check(&list, &model);
            }
        }
        check(&list, &model);
    }
}
