//! The Redis wire protocol: incremental request parsing (RESP arrays and
//! inline text commands) and reply encoding (RESP2 and RESP3).
//!
//! This module depends on nothing else in Efis: it turns bytes into
//! argument lists and replies into bytes.

mod owned;
mod parser;
mod reply;
pub mod selfcheck;

pub use owned::OwnedArgs;
pub use parser::{Args, Parser, ProtocolError, MAX_BULK_LEN, MAX_INLINE_LEN, MAX_MULTIBULK_LEN};
pub use reply::{format_double, format_i64, Reply};
