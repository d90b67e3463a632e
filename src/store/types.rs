//! The collection value types, re-exported from their own modules.

pub use super::hash_type::Hash;
pub use super::list::List;
pub use super::set::Set;
pub use super::zset::ZSet;
