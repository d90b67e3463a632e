//! The order-statistics treap that keeps a sorted set's members in
//! `(score, member)` order and answers ranks: the `tree` half of
//! [`ZSet`](super::ZSet) (the parent module argues the choice).
//!
//! Nodes live in one `Vec` arena and link to each other by `u32` index,
//! [`NIL`] standing for "no node"; each holds its own copy of the member
//! as a packed entry, so the arena needs no unsafe code and no lifetime
//! ties to the member table.
//!
//! # Invariants
//!
//! * Keys are in binary-search-tree order by [`key_cmp`] and, along every
//!   edge, a parent's priority is at least its child's (a max-heap on
//!   priorities drawn by the treap itself, never from the data).
//! * A linked node's `size` is the number of nodes in its subtree, so the
//!   root's is the set's length; `size == 0` marks a free arena slot, and
//!   free slots are chained through `left` from `free`.
//! * The arena is compacted, keeping the tree's shape, once three
//!   quarters of it are free slots (never below [`COMPACT_MIN`] slots).

use std::cmp::Ordering;

use crate::store::entry::{Entry, Value};

/// A treap node's copy of a member: a packed entry with an empty value,
/// 8 bytes in the node (a boxed slice would take 16).
#[inline]
pub(super) fn member_entry(member: &[u8]) -> Entry {
    Entry::new(member, Value::Str(b""), None)
}

/// `(s, m)` compared with `(score, member)` in sorted-set order.
#[inline]
pub(super) fn key_cmp(s: f64, m: &[u8], score: f64, member: &[u8]) -> Ordering {
    match s.partial_cmp(&score) {
        Some(Ordering::Equal) | None => m.cmp(member),
        Some(order) => order,
    }
}

/// The "no node" index.
const NIL: u32 = u32::MAX;
/// Arenas smaller than this are never compacted.
const COMPACT_MIN: usize = 64;

/// 32 bytes, aligned to 32 so that no node straddles two cache lines: a
/// descent costs one line a level.
#[repr(align(32))]
struct Node {
    score: f64,
    /// None in a free slot, and while the node's own insertion descends.
    member: Option<Entry>,
    left: u32,
    right: u32,
    /// Nodes in this subtree; 0 marks a free arena slot.
    size: u32,
    priority: u32,
}

impl Node {
    #[inline]
    fn member(&self) -> &[u8] {
        self.member.as_ref().map_or(&[], |entry| entry.key())
    }
}

impl Clone for Node {
    fn clone(&self) -> Node {
        Node {
            member: self.member.as_ref().map(|entry| member_entry(entry.key())),
            score: self.score,
            left: self.left,
            right: self.right,
            size: self.size,
            priority: self.priority,
        }
    }
}

/// The order-statistics treap (see the module documentation).
#[derive(Clone)]
pub(super) struct Treap {
    nodes: Vec<Node>,
    root: u32,
    /// Head of the free-slot list, linked through `left`.
    free: u32,
    /// State of the priority generator.
    seed: u64,
}

impl Treap {
    pub(super) fn new() -> Treap {
        // Seeded from the per-process hash seed: priorities cannot be
        // predicted from outside.
        Treap { nodes: Vec::new(), root: NIL, free: NIL, seed: crate::store::hash::hash_bytes(b"zset priorities") }
    }

    /// A treap of `nodes`, which must come in strictly ascending key
    /// order. O(m): built along the right spine instead of by m
    /// insertions.
    pub(super) fn from_sorted(nodes: impl IntoIterator<Item = (f64, Entry)>) -> Treap {
        let mut tree = Treap::new();
        let mut spine: Vec<u32> = Vec::new();
        for (score, member) in nodes {
            let n = tree.alloc(score, Some(member));
            let priority = tree.node(n).priority;
            // Nodes of lower priority on the right spine become n's left
            // subtree; n hangs off the first one above them.
            let mut below = NIL;
            while let Some(&top) = spine.last() {
                if tree.node(top).priority >= priority {
                    break;
                }
                below = top;
                spine.pop();
            }
            tree.node_mut(n).left = below;
            if let Some(&top) = spine.last() {
                tree.node_mut(top).right = n;
            }
            spine.push(n);
        }
        if let Some(&root) = spine.first() {
            tree.root = root;
            tree.fix_sizes(root);
        }
        tree
    }

    #[inline]
    fn node(&self, t: u32) -> &Node {
        &self.nodes[t as usize]
    }

    #[inline]
    fn node_mut(&mut self, t: u32) -> &mut Node {
        &mut self.nodes[t as usize]
    }

    #[inline]
    fn size(&self, t: u32) -> usize {
        if t == NIL {
            0
        } else {
            self.node(t).size as usize
        }
    }

    fn len(&self) -> usize {
        self.size(self.root)
    }

    #[inline]
    fn update(&mut self, t: u32) {
        let node = self.node(t);
        let size = 1 + self.size(node.left) + self.size(node.right);
        // Cannot overflow: `alloc` keeps the node count below u32::MAX.
        self.node_mut(t).size = size as u32;
    }

    /// splitmix64 over a counter.
    fn next_priority(&mut self) -> u32 {
        self.seed = self.seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as u32
    }

    fn alloc(&mut self, score: f64, member: Option<Entry>) -> u32 {
        let priority = self.next_priority();
        let node = Node { score, member, left: NIL, right: NIL, size: 1, priority };
        if self.free != NIL {
            let t = self.free;
            self.free = self.node(t).left;
            *self.node_mut(t) = node;
            t
        } else {
            // A set of 2^32 - 1 members would need well over 100 GiB of
            // memory first; this is a limit of the index type, not a
            // reachable input.
            let t = u32::try_from(self.nodes.len()).ok().filter(|&t| t != NIL).expect("sorted set too large");
            self.nodes.push(node);
            t
        }
    }

    /// Frees a node that is no longer linked; returns its member and score.
    fn release(&mut self, t: u32) -> (Entry, f64) {
        let free = self.free;
        let node = self.node_mut(t);
        let member = node.member.take().expect("a linked node has its member");
        let score = node.score;
        node.left = free;
        node.right = NIL;
        node.size = 0;
        self.free = t;
        (member, score)
    }

    /// Recomputes the sizes of subtree `t` bottom-up; returns its size.
    fn fix_sizes(&mut self, t: u32) -> usize {
        if t == NIL {
            return 0;
        }
        let (left, right) = (self.node(t).left, self.node(t).right);
        let size = 1 + self.fix_sizes(left) + self.fix_sizes(right);
        self.node_mut(t).size = size as u32;
        size
    }

    /// Splits subtree `t` into the nodes for which `before` holds (a prefix
    /// of the order) and the rest.
    fn split_by(&mut self, t: u32, before: &impl Fn(f64, &[u8]) -> bool) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let node = self.node(t);
        if before(node.score, node.member()) {
            let (l, r) = self.split_by(node.right, before);
            self.node_mut(t).right = l;
            self.update(t);
            (t, r)
        } else {
            let (l, r) = self.split_by(node.left, before);
            self.node_mut(t).left = r;
            self.update(t);
            (l, t)
        }
    }

    /// Splits subtree `t` into its first `k` nodes and the rest.
    fn split_rank(&mut self, t: u32, k: usize) -> (u32, u32) {
        if t == NIL {
            return (NIL, NIL);
        }
        let (left, right) = (self.node(t).left, self.node(t).right);
        let left_size = self.size(left);
        if k <= left_size {
            let (l, r) = self.split_rank(left, k);
            self.node_mut(t).left = r;
            self.update(t);
            (l, t)
        } else {
            let (l, r) = self.split_rank(right, k - left_size - 1);
            self.node_mut(t).right = l;
            self.update(t);
            (t, r)
        }
    }

    /// Joins two subtrees where every key of `a` is below every key of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if self.node(a).priority > self.node(b).priority {
            let right = self.merge(self.node(a).right, b);
            self.node_mut(a).right = right;
            self.update(a);
            a
        } else {
            let left = self.merge(a, self.node(b).left);
            self.node_mut(b).left = left;
            self.update(b);
            b
        }
    }

    /// Inserts a key that is not present.
    pub(super) fn insert(&mut self, score: f64, member: Entry) {
        // The member stays out of its node while the descent compares
        // against it, so that the arena can be borrowed mutably meanwhile.
        let n = self.alloc(score, None);
        self.root = self.insert_at(self.root, n, score, member.key());
        self.node_mut(n).member = Some(member);
    }

    fn insert_at(&mut self, t: u32, n: u32, score: f64, member: &[u8]) -> u32 {
        if t == NIL {
            return n;
        }
        if self.node(n).priority > self.node(t).priority {
            let (l, r) = self.split_by(t, &|s, m| key_cmp(s, m, score, member) == Ordering::Less);
            let node = self.node_mut(n);
            node.left = l;
            node.right = r;
            self.update(n);
            return n;
        }
        let node = self.node(t);
        if key_cmp(score, member, node.score, node.member()) == Ordering::Less {
            let child = self.insert_at(node.left, n, score, member);
            self.node_mut(t).left = child;
        } else {
            let child = self.insert_at(node.right, n, score, member);
            self.node_mut(t).right = child;
        }
        // One more node below; counting it rather than summing the
        // children spares a cache miss on the child off the path.
        self.node_mut(t).size += 1;
        t
    }

    /// Removes a key; returns the member's allocation if it was present.
    pub(super) fn remove(&mut self, score: f64, member: &[u8]) -> Option<Entry> {
        let (root, removed) = self.remove_at(self.root, score, member);
        self.root = root;
        removed
    }

    fn remove_at(&mut self, t: u32, score: f64, member: &[u8]) -> (u32, Option<Entry>) {
        if t == NIL {
            return (NIL, None);
        }
        let node = self.node(t);
        match key_cmp(score, member, node.score, node.member()) {
            Ordering::Equal => {
                let joined = self.merge(node.left, node.right);
                let (boxed, _) = self.release(t);
                (joined, Some(boxed))
            }
            Ordering::Less => {
                let (child, removed) = self.remove_at(node.left, score, member);
                let node = self.node_mut(t);
                node.left = child;
                node.size -= removed.is_some() as u32;
                (t, removed)
            }
            Ordering::Greater => {
                let (child, removed) = self.remove_at(node.right, score, member);
                let node = self.node_mut(t);
                node.right = child;
                node.size -= removed.is_some() as u32;
                (t, removed)
            }
        }
    }

    /// The number of nodes for which `before` holds; `before` must hold
    /// for a prefix of the order.
    pub(super) fn count_before(&self, before: impl Fn(f64, &[u8]) -> bool) -> usize {
        let mut t = self.root;
        let mut count = 0;
        while t != NIL {
            let node = self.node(t);
            if before(node.score, node.member()) {
                count += self.size(node.left) + 1;
                t = node.right;
            } else {
                t = node.left;
            }
        }
        count
    }

    /// An iterator over up to `count` nodes from ascending rank `rank`,
    /// upwards or (when `reverse`) downwards.
    pub(super) fn iter_from(&self, rank: usize, count: usize, reverse: bool) -> RangeIter<'_> {
        let len = self.len();
        let available = if rank >= len {
            0
        } else if reverse {
            rank + 1
        } else {
            len - rank
        };
        let remaining = count.min(available);
        let mut stack = Vec::new();
        if remaining > 0 {
            // The stack holds the nodes still to visit on the path: those
            // after the start in the direction of travel.
            let mut t = self.root;
            let mut k = rank;
            while t != NIL {
                let node = self.node(t);
                let left_size = self.size(node.left);
                match k.cmp(&left_size) {
                    Ordering::Less => {
                        if !reverse {
                            stack.push(t);
                        }
                        t = node.left;
                    }
                    Ordering::Equal => {
                        stack.push(t);
                        break;
                    }
                    Ordering::Greater => {
                        if reverse {
                            stack.push(t);
                        }
                        k -= left_size + 1;
                        t = node.right;
                    }
                }
            }
        }
        RangeIter { tree: self, stack, remaining, reverse }
    }

    /// Unlinks the nodes at ranks `[start, end)` and returns their members
    /// and scores in ascending order.
    pub(super) fn remove_ranks(&mut self, start: usize, end: usize) -> Vec<(Entry, f64)> {
        let len = self.len();
        let end = end.min(len);
        if start >= end {
            return Vec::new();
        }
        let (before, rest) = self.split_rank(self.root, start);
        let (middle, after) = self.split_rank(rest, end - start);
        self.root = self.merge(before, after);
        let mut removed = Vec::with_capacity(end - start);
        let mut stack = Vec::new();
        let mut t = middle;
        loop {
            while t != NIL {
                stack.push(t);
                t = self.node(t).left;
            }
            let Some(next) = stack.pop() else { break };
            t = self.node(next).right;
            removed.push(self.release(next));
        }
        removed
    }

    /// Rebuilds the arena without its free slots once they are three
    /// quarters of it, keeping the tree's shape. O(n), so O(1) amortised
    /// over the removals that made the slots free.
    pub(super) fn maybe_compact(&mut self) {
        let live = self.len();
        if self.nodes.len() < COMPACT_MIN || live * 4 >= self.nodes.len() {
            return;
        }
        let mut new_index = vec![NIL; self.nodes.len()];
        let mut nodes = Vec::with_capacity(live);
        for (old, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if node.size > 0 {
                new_index[old] = nodes.len() as u32;
                nodes.push(node);
            }
        }
        let remap = |t: u32| if t == NIL { NIL } else { new_index[t as usize] };
        for node in &mut nodes {
            node.left = remap(node.left);
            node.right = remap(node.right);
        }
        self.root = remap(self.root);
        self.free = NIL;
        self.nodes = nodes;
    }
}

/// Members with scores from a rank, in one direction; see [`ZSet::range`](super::ZSet::range).
pub struct RangeIter<'a> {
    tree: &'a Treap,
    stack: Vec<u32>,
    remaining: usize,
    reverse: bool,
}

impl<'a> RangeIter<'a> {
    /// The next node of the walk.
    fn next_node(&mut self) -> Option<&'a Node> {
        if self.remaining == 0 {
            return None;
        }
        let t = self.stack.pop()?;
        self.remaining -= 1;
        let tree = self.tree;
        let node = tree.node(t);
        if self.remaining > 0 {
            // The next node: the extreme of the subtree on the far side.
            let mut c = if self.reverse { node.left } else { node.right };
            while c != NIL {
                self.stack.push(c);
                let child = tree.node(c);
                c = if self.reverse { child.right } else { child.left };
            }
        }
        Some(node)
    }

    /// The same walk yielding each member unread: a walk that looks at
    /// scores first (a geo search) then touches only the members it keeps.
    pub fn lazily(self) -> LazyRangeIter<'a> {
        LazyRangeIter(self)
    }
}

impl<'a> Iterator for RangeIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_node().map(|node| (node.member(), node.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

/// A member not read yet: reading it touches its own heap block.
#[derive(Clone, Copy)]
pub struct MemberRef<'a>(&'a Node);

impl<'a> MemberRef<'a> {
    pub fn get(self) -> &'a [u8] {
        self.0.member()
    }
}

/// [`RangeIter`] yielding `(unread member, score)`; see [`RangeIter::lazily`].
pub struct LazyRangeIter<'a>(RangeIter<'a>);

impl<'a> Iterator for LazyRangeIter<'a> {
    type Item = (MemberRef<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_node().map(|node| (MemberRef(node), node.score))
    }
}

impl ExactSizeIterator for RangeIter<'_> {}

#[cfg(test)]
impl Treap {
    /// Checks the invariants of the linked nodes (heap order, subtree
    /// sizes, key order); returns the keys in order.
    pub(super) fn checked_inorder(&self) -> Vec<(Vec<u8>, f64)> {
        fn walk(t: &Treap, n: u32, out: &mut Vec<(Vec<u8>, f64)>) -> usize {
            if n == NIL {
                return 0;
            }
            let node = t.node(n);
            for child in [node.left, node.right] {
                if child != NIL {
                    assert!(t.node(child).priority <= node.priority, "heap order");
                }
            }
            let l = walk(t, node.left, out);
            out.push((node.member().to_vec(), node.score));
            let r = walk(t, node.right, out);
            assert_eq!(node.size as usize, l + r + 1, "size");
            l + r + 1
        }
        let mut inorder = Vec::new();
        assert_eq!(walk(self, self.root, &mut inorder), self.len(), "root size");
        for pair in inorder.windows(2) {
            assert_eq!(key_cmp(pair[0].1, &pair[0].0, pair[1].1, &pair[1].0), Ordering::Less, "order");
        }
        inorder
    }

    /// Slots in the arena, free ones included.
    pub(super) fn arena_len(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_half_a_cache_line() {
        assert_eq!(std::mem::size_of::<Node>(), 32);
        assert_eq!(std::mem::align_of::<Node>(), 32);
    }

    #[test]
    fn built_from_sorted_keys_and_compacted() {
        let keys: Vec<(f64, String)> = (0..1000).map(|i| ((i / 10) as f64, format!("{i:04}"))).collect();
        let mut tree = Treap::from_sorted(keys.iter().map(|(s, m)| (*s, member_entry(m.as_bytes()))));
        let inorder = tree.checked_inorder();
        assert_eq!(inorder.len(), 1000);
        assert_eq!(tree.count_before(|s, _| s < 50.0), 500);
        let removed = tree.remove_ranks(10, 990);
        assert_eq!(removed.len(), 980);
        assert_eq!(removed[0].0.key(), b"0010");
        tree.maybe_compact();
        assert_eq!(tree.arena_len(), 20);
        let left: Vec<&[u8]> = tree.iter_from(19, 20, true).map(|(m, _)| m).collect();
        assert_eq!(left.len(), 20);
        assert_eq!(left[0], b"0999");
        tree.checked_inorder();
    }
}
