//! The wall clock, in Unix milliseconds: the one notion of "now" that
//! the loop reads once per round and hands to every command (`Ctx::now_ms`),
//! and that the persistence files are stamped with.
//!
//! Commands that change data never read the clock themselves; they take
//! the time their caller gives them. That is what lets a replayed log
//! record run at the time it was recorded, and a fuzz target run with a
//! clock of its own. (`TIME` and `INFO`'s uptime report the real clock.)

use std::time::{SystemTime, UNIX_EPOCH};

/// Current Unix time in microseconds, for what shows the real time to
/// the microsecond (`MONITOR` lines).
pub fn unix_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// Current Unix time in milliseconds (0 if the system clock is before 1970).
pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
