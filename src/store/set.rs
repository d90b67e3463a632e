//! Set values.

use std::collections::HashSet;

/// A set of binary-safe members.
#[derive(Debug, Clone, Default)]
pub struct Set {
    pub members: HashSet<Vec<u8>>,
}

impl Set {
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "hashtable"
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}
