//! Redis's RDB format, as an import and export format beside Efis's own
//! snapshots: the value codec that `DUMP`/`RESTORE` payloads and RDB
//! files share.
//!
//! * [`read`]: one value of any RDB type Redis 1.0 to 7.0 wrote (plain
//!   and packed encodings: ziplist, listpack, intset, quicklist 1 and 2,
//!   zipmap, skiplist sets), decoded straight into the store's own types;
//! * [`write`](mod@write): a value as Redis 7.0 (RDB version 10) loads it;
//! * [`packed`]: the packed blobs (listpack, ziplist, intset, zipmap);
//! * [`lzf`], [`crc64`]: string compression and the checksum;
//! * [`selfcheck`]: the checks the fuzz targets run on untrusted input;
//! * [`dump`]: `DUMP` payloads (value, RDB version, CRC64);
//! * [`file`](mod@file): whole RDB files (`dump.rdb`): read into a keyspace, written
//!   from one; [`import`]: a `dump.rdb` turned into Efis's first snapshot.
//!
//! # Invariants
//!
//! * Input is untrusted: every length is checked against the bytes left
//!   before anything is allocated for it, every packed blob is walked in
//!   full, and a value is built completely (duplicates, empty collections
//!   and impossible scores refused) before anyone sees it. An error is a
//!   value of [`RdbError`], never a panic.
//! * The numbers below are Redis's, frozen by its file format.

pub mod crc64;
pub mod dump;
pub mod file;
#[cfg(test)]
mod file_tests;
pub mod import;
pub mod lzf;
#[cfg(test)]
mod old_forms_tests;
pub mod packed;
pub mod read;
pub mod selfcheck;
pub mod stream;
pub mod write;

use std::fmt;

/// The RDB version this build writes (Redis 7.0's) and the newest it
/// reads.
pub const RDB_VERSION: u16 = 10;

/// Value types.
pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
pub const TYPE_MODULE_PRE_GA: u8 = 6;
pub const TYPE_MODULE_2: u8 = 7;
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Redis 7.2's (RDB 11) forms, read too.
pub const TYPE_SET_LISTPACK: u8 = 20;
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

/// Quicklist 2 node containers.
pub const CONTAINER_PLAIN: u64 = 1;
pub const CONTAINER_PACKED: u64 = 2;

/// Why an RDB value or file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbError {
    /// The input ended inside a value.
    Truncated,
    /// The input is inconsistent; the text names what.
    Corrupt(&'static str),
    /// A type this build cannot hold (a module's, or a stream here).
    Unsupported(u8),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Truncated => write!(f, "unexpected end of data"),
            RdbError::Corrupt(what) => write!(f, "bad {what}"),
            RdbError::Unsupported(kind) if *kind == TYPE_MODULE_2 || *kind == TYPE_MODULE_PRE_GA => {
                write!(f, "module data types are not supported")
            }
            RdbError::Unsupported(kind) => write!(f, "value type {kind} is not supported"),
        }
    }
}

impl std::error::Error for RdbError {}
