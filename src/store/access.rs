//! Per-key access tracking for eviction and `OBJECT IDLETIME|FREQ`: what
//! the 19 access bits of every keyspace entry ([`super::entry`]) mean,
//! and how a read or write updates them.
//!
//! The bits hold one of two things, by the eviction policy in force
//! ([`Tracking::lfu`]), as Redis's 24-bit `lru` field does:
//!
//! * LRU: the time of the last access in seconds, modulo 2^19 (about 6
//!   days; an idle time is the distance from now, so a key idle longer
//!   than that reads as idle for less, as Redis's clock wraps after 194
//!   days).
//! * LFU: an 8-bit logarithmic access counter (low byte) and, above it,
//!   the minute of its last decrement modulo 2^11 (about 34 hours). A
//!   new key starts at [`LFU_INITIAL`]; each access first takes one off
//!   the counter per `lfu-decay-time` minutes since the last decrement,
//!   then adds one with probability `1 / ((counter - 5) * factor + 1)`
//!   (`factor` is `lfu-log-factor`), so reaching 255 takes about a
//!   million accesses at the default factor of 10.
//!
//! Switching between the two reinterprets the bits of existing keys
//! until they are next touched, as in Redis. Nothing here allocates or
//! fails; the random numbers come from the caller.

/// How many bits of an entry hold access data.
pub const BITS: u32 = 19;
const MASK: u32 = (1 << BITS) - 1;
/// The LFU counter of a new key: high enough that a key just written is
/// not the first to go (Redis's `LFU_INIT_VAL`).
pub const LFU_INITIAL: u8 = 5;
const MINUTES_MASK: u32 = (1 << (BITS - 8)) - 1;

/// What accesses record, as the eviction settings say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tracking {
    /// LFU counters rather than LRU times.
    pub lfu: bool,
    /// `lfu-log-factor`: how slowly the counter grows.
    pub lfu_log_factor: u32,
    /// `lfu-decay-time`: minutes per decrement; 0 never decays.
    pub lfu_decay_minutes: u32,
    /// While a snapshot child shares the heap, reads do not write access
    /// bits (each write would copy a page), as in Redis.
    pub frozen: bool,
}

impl Default for Tracking {
    fn default() -> Tracking {
        Tracking { lfu: false, lfu_log_factor: 10, lfu_decay_minutes: 1, frozen: false }
    }
}

/// The LRU clock: seconds, modulo 2^19.
#[inline]
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 1000) as u32) & MASK
}

fn minutes(now_ms: i64) -> u32 {
    ((now_ms.max(0) / 60_000) as u32) & MINUTES_MASK
}

/// Seconds since the access recorded in LRU `bits`.
pub fn idle_seconds(bits: u32, now_ms: i64) -> u64 {
    (lru_clock(now_ms).wrapping_sub(bits) & MASK) as u64
}

fn lfu_parts(bits: u32) -> (u32, u8) {
    ((bits >> 8) & MINUTES_MASK, bits as u8)
}

fn lfu_bits(minute: u32, counter: u8) -> u32 {
    ((minute & MINUTES_MASK) << 8) | counter as u32
}

/// The LFU counter of `bits` with the decay due by now applied (what
/// `OBJECT FREQ` answers, and what eviction compares).
pub fn lfu_counter(bits: u32, now_ms: i64, decay_minutes: u32) -> u8 {
    let (minute, counter) = lfu_parts(bits);
    if decay_minutes == 0 {
        return counter;
    }
    let elapsed = minutes(now_ms).wrapping_sub(minute) & MINUTES_MASK;
    let periods = elapsed / decay_minutes;
    counter.saturating_sub(periods.min(255) as u8)
}

/// The bits a key gets when it is created.
#[inline]
pub fn initial(tracking: Tracking, now_ms: i64) -> u32 {
    if tracking.lfu {
        lfu_bits(minutes(now_ms), LFU_INITIAL)
    } else {
        lru_clock(now_ms)
    }
}

/// LRU bits for a key last accessed `idle_seconds` ago (`RESTORE ...
/// IDLETIME`, an RDB's idle opcode).
pub fn idle_for(now_ms: i64, idle_seconds: u64) -> u32 {
    lru_clock(now_ms).wrapping_sub((idle_seconds & MASK as u64) as u32) & MASK
}

/// LFU bits holding `counter` as of now (`RESTORE ... FREQ`, an RDB's
/// frequency opcode).
pub fn with_counter(now_ms: i64, counter: u8) -> u32 {
    lfu_bits(minutes(now_ms), counter)
}

/// The bits after one access at `now_ms`; `random` is a uniformly drawn
/// number (only LFU uses it).
#[inline]
pub fn touched(bits: u32, tracking: Tracking, now_ms: i64, random: u64) -> u32 {
    if !tracking.lfu {
        return lru_clock(now_ms);
    }
    let mut counter = lfu_counter(bits, now_ms, tracking.lfu_decay_minutes);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INITIAL) as f64;
        let chance = 1.0 / (base * tracking.lfu_log_factor as f64 + 1.0);
        let draw = (random >> 11) as f64 / (1u64 << 53) as f64;
        if draw < chance {
            counter += 1;
        }
    }
    lfu_bits(minutes(now_ms), counter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_idle_time_wraps_with_the_clock() {
        let bits = lru_clock(5_000);
        assert_eq!(idle_seconds(bits, 65_999), 60);
        let late = (MASK as i64 + 3) * 1000;
        assert_eq!(idle_seconds(lru_clock(late - 10_000), late), 10);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let tracking = Tracking { lfu: true, ..Tracking::default() };
        let mut bits = initial(tracking, 0);
        assert_eq!(lfu_counter(bits, 0, 1), LFU_INITIAL);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..1000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bits = touched(bits, tracking, 0, state);
        }
        let counter = lfu_counter(bits, 0, 1);
        assert!((15..40).contains(&counter), "{counter}");
        assert_eq!(lfu_counter(bits, 3 * 60_000, 1), counter - 3);
        assert_eq!(lfu_counter(bits, 3 * 60_000, 0), counter);
        assert_eq!(lfu_counter(bits, 600 * 60_000, 1), 0);
    }
}
