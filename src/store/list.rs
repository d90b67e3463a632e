//! List values.

use std::collections::VecDeque;

/// A list: O(1) push and pop at both ends.
#[derive(Debug, Clone, Default)]
pub struct List {
    pub items: VecDeque<Vec<u8>>,
}

impl List {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "listpack"
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
