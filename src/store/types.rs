//! The collection value types, re-exported from their own modules, and
//! typed access to a key's value ([`Db::get_as`]).

pub use super::hash_type::Hash;
pub use super::list::List;
pub use super::set::Set;
pub use super::stream::Stream;
pub use super::zset::ZSet;

use super::entry::{ValueMut, ValueRef};
use super::Db;

/// The key holds a value of another type (`WRONGTYPE` to a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongKind;

/// A collection type that can be picked out of an entry's value.
pub trait Collection {
    fn from_value(value: ValueRef<'_>) -> Option<&Self>;
    fn from_value_mut(value: ValueMut<'_>) -> Option<&mut Self>;
}

macro_rules! collection {
    ($type:ident) => {
        impl Collection for $type {
            fn from_value(value: ValueRef<'_>) -> Option<&Self> {
                match value {
                    ValueRef::$type(v) => Some(v),
                    _ => None,
                }
            }
            fn from_value_mut(value: ValueMut<'_>) -> Option<&mut Self> {
                match value {
                    ValueMut::$type(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}

collection!(List);
collection!(Set);
collection!(ZSet);
collection!(Hash);
collection!(Stream);

impl Db {
    /// The collection under `key`: `Ok(None)` if there is no such key,
    /// `Err(WrongKind)` if it holds another type.
    pub fn get_as<T: Collection>(&mut self, key: &[u8], now_ms: i64) -> Result<Option<&T>, WrongKind> {
        match self.get(key, now_ms) {
            None => Ok(None),
            Some(entry) => T::from_value(entry.value()).map(Some).ok_or(WrongKind),
        }
    }

    /// [`Db::get_as`] for changing the collection in place.
    pub fn get_mut_as<T: Collection>(&mut self, key: &[u8], now_ms: i64) -> Result<Option<&mut T>, WrongKind> {
        match self.get_mut(key, now_ms) {
            None => Ok(None),
            Some(entry) => T::from_value_mut(entry.value_mut()).map(Some).ok_or(WrongKind),
        }
    }
}
