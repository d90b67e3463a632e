//! What ACL rules name: every command and subcommand with its bit number
//! and categories, as the command table (in `cmd`, above this layer)
//! describes them. `cmd` builds the one [`Catalog`] at start and hands it
//! to every rule change and check.
//!
//! Invariants: bits are dense, `0..entries.len()`; a container's
//! subcommands follow it; `categories` uses [`CATEGORIES`]' order as bit
//! order (bit `i` = category `i`).

use std::collections::HashMap;

/// Redis 7.0's ACL categories, in its order (`ACL CAT`, rule
/// descriptions).
pub const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The bit of a category name (any case), if it is one.
pub fn category_bit(name: &str) -> Option<u32> {
    CATEGORIES.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|i| 1 << i)
}

/// One command or subcommand.
pub struct CatalogEntry {
    /// `get`, `config|get`.
    pub name: String,
    /// Bit set over [`CATEGORIES`].
    pub categories: u32,
    /// The bits of its subcommands (a container's).
    pub children: Vec<usize>,
    /// The bit of its container (a subcommand's).
    pub parent: Option<usize>,
}

/// Every command and subcommand, by bit.
#[derive(Default)]
pub struct Catalog {
    pub entries: Vec<CatalogEntry>,
    by_name: HashMap<String, usize>,
}

impl Catalog {
    /// Adds a command (`parent` None) or a subcommand; returns its bit.
    pub fn add(&mut self, name: &str, categories: u32, parent: Option<usize>) -> usize {
        let bit = self.entries.len();
        self.entries.push(CatalogEntry { name: name.to_string(), categories, children: Vec::new(), parent });
        if let Some(parent) = parent {
            self.entries[parent].children.push(bit);
        }
        self.by_name.insert(name.to_ascii_lowercase(), bit);
        bit
    }

    /// The bit of `get` or `config|get`, any case.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// Words of a command bit set.
    pub fn words(&self) -> usize {
        self.entries.len().div_ceil(64)
    }

    /// The full names in `category`, top-level commands each followed by
    /// their subcommands (`ACL CAT <category>`).
    pub fn in_category(&self, category: u32) -> Vec<&str> {
        self.entries.iter().filter(|e| e.categories & category != 0).map(|e| e.name.as_str()).collect()
    }
}
