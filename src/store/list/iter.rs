//! Iterating a list in place: [`Iter`] walks the elements from either
//! end without copying them (`LRANGE` starts it at an index), and
//! [`EndIter`] starts from a chosen end and goes inwards (the pops of
//! several elements, `LPOS`).
//!
//! An iterator borrows the list, so the list cannot change under it, and
//! it counts the elements it has left, so the front and back cursors never
//! cross.

use std::collections::VecDeque;

use super::node::{decode_backward, decode_forward, Node};
use super::{End, List};

impl List {
    /// Every element, head to tail (reversible with `.rev()`).
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from(0)
    }

    /// The elements from `index` to the tail.
    pub fn iter_from(&self, index: usize) -> Iter<'_> {
        if index >= self.len {
            return Iter { nodes: &self.nodes, front: (0, 0), back: (0, 0), remaining: 0 };
        }
        let (node, i) = self.locate(index);
        let last = self.nodes.len() - 1;
        Iter {
            nodes: &self.nodes,
            front: (node, self.nodes[node].offset_of(i)),
            back: (last, self.nodes[last].end),
            remaining: self.len - index,
        }
    }

    /// The elements starting at `end`, going inwards.
    pub fn iter_from_end(&self, end: End) -> EndIter<'_> {
        EndIter { inner: self.iter(), reverse: end == End::Right }
    }
}

/// A double-ended iterator over a list's elements, borrowing them in place.
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    /// Node index and offset of the next element from the front.
    front: (usize, usize),
    /// Node index and end offset of the next element from the back.
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let mut node = &self.nodes[self.front.0];
        if self.front.1 >= node.end {
            self.front.0 += 1;
            node = &self.nodes[self.front.0];
            self.front.1 = node.start;
        }
        let (at, len, next) = decode_forward(&node.buf, self.front.1);
        self.front.1 = next;
        self.remaining -= 1;
        Some(&node.buf[at..at + len])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let mut node = &self.nodes[self.back.0];
        if self.back.1 <= node.start {
            self.back.0 -= 1;
            node = &self.nodes[self.back.0];
            self.back.1 = node.end;
        }
        let (at, len, previous) = decode_backward(&node.buf, self.back.1);
        self.back.1 = previous;
        self.remaining -= 1;
        Some(&node.buf[at..at + len])
    }
}

impl ExactSizeIterator for Iter<'_> {}

/// Elements from one end of a list inwards (see [`List::iter_from_end`]).
pub struct EndIter<'a> {
    inner: Iter<'a>,
    reverse: bool,
}

impl<'a> Iterator for EndIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.reverse {
            self.inner.next_back()
        } else {
            self.inner.next()
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for EndIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_iterators() {
        let list: List = [&b"a"[..], b"b", b"c"].into_iter().collect();
        let left: Vec<&[u8]> = list.iter_from_end(End::Left).collect();
        let right: Vec<&[u8]> = list.iter_from_end(End::Right).collect();
        assert_eq!(left, [&b"a"[..], b"b", b"c"]);
        assert_eq!(right, [&b"c"[..], b"b", b"a"]);
        assert_eq!(list.iter_from_end(End::Right).len(), 3);
        assert_eq!(list.iter_from(5).count(), 0);
    }
}
