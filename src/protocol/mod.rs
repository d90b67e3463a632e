//! The Redis wire protocol: incremental request parsing (RESP arrays and
//! inline text commands) and reply encoding (RESP2 and RESP3).
//!
//! This module depends on nothing else in Efis (never on `server`,
//! `state` or `cmd`): it turns bytes into argument lists and replies into
//! bytes.
//!
//! * [`Parser`]: requests, parsed incrementally from a connection's read
//!   buffer. RESP arguments are spans into that buffer, not copies;
//!   inline lines (as `nc` sends them) are split with Redis's quoting
//!   rules. Every limit is a [`ProtocolError`] that closes only that
//!   connection: a bulk string over [`MAX_BULK_LEN`] (512 MiB), an array
//!   header over [`MAX_MULTIBULK_LEN`] (1,048,576 elements: Redis has no
//!   such limit; it keeps a hostile header from reserving memory), an
//!   inline line over [`MAX_INLINE_LEN`] (64 KiB), a non-numeric or
//!   negative length, a bulk string not followed by CRLF. (The 1 GiB limit
//!   on a connection's query buffer is the loop's.)
//! * [`Reply`]: replies, encoded straight into a connection's output
//!   buffer in RESP2 or RESP3, formatted in place. Numbers are printed as
//!   Redis prints them: [`format_double`] gives `%.17g` (`ZSCORE` of `0.1`
//!   is `0.10000000000000001`), `inf` and `-inf`.
//! * [`selfcheck`]: the parser's checks for the fuzz targets `resp` and
//!   `inline`, and for the test that replays their corpora.

mod owned;
mod parser;
mod reply;
pub mod selfcheck;

pub use owned::OwnedArgs;
pub use parser::{Args, Parser, ProtocolError, MAX_BULK_LEN, MAX_INLINE_LEN, MAX_MULTIBULK_LEN};
pub use reply::{format_double, format_i64, Reply};
