//! Sorted-set values.

use std::collections::HashMap;

/// A sorted set: members with scores.
#[derive(Debug, Clone, Default)]
pub struct ZSet {
    pub scores: HashMap<Vec<u8>, f64>,
}

impl ZSet {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "skiplist"
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}
