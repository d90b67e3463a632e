//! Hash values.

use std::collections::HashMap;

/// A hash: fields to values.
#[derive(Debug, Clone, Default)]
pub struct Hash {
    pub fields: HashMap<Vec<u8>, Vec<u8>>,
}

impl Hash {
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// The encoding name `OBJECT ENCODING` reports.
    pub fn encoding_name(&self) -> &'static str {
        "hashtable"
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}
