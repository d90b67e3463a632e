//! Stream entry IDs: `<ms>-<seq>`, two unsigned 64-bit halves ordered
//! first by milliseconds, then by sequence number.
//!
//! Invariant: the derived ordering (`ms` then `seq`) is the order of the
//! entries in a stream; `MIN` (0-0) and `MAX` are the bounds `-` and `+`.

use std::fmt;

/// A stream entry ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId { ms: u64::MAX, seq: u64::MAX };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next ID, or `None` after the last possible one.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID, or `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The ID as `ms-seq` text.
    pub fn text(self) -> String {
        self.to_string()
    }

    /// Writes the ID as `ms-seq` text into `buf` without allocating;
    /// returns the length written.
    pub fn write_text(self, buf: &mut [u8; 41]) -> usize {
        fn digits(mut n: u64, out: &mut [u8]) -> usize {
            let mut tmp = [0u8; 20];
            let mut len = 0;
            loop {
                tmp[len] = b'0' + (n % 10) as u8;
                len += 1;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            for (dst, src) in out.iter_mut().zip(tmp[..len].iter().rev()) {
                *dst = *src;
            }
            len
        }
        let mut at = digits(self.ms, &mut buf[..]);
        buf[at] = b'-';
        at += 1;
        at + digits(self.seq, &mut buf[at..])
    }

    /// Parses `ms-seq` or `ms` (the sequence then `missing_seq`), as Redis
    /// reads an ID argument; `-` and `+` are the bounds unless `strict`.
    pub fn parse(text: &[u8], missing_seq: u64, strict: bool) -> Option<StreamId> {
        match text {
            b"-" if !strict => return Some(StreamId::MIN),
            b"+" if !strict => return Some(StreamId::MAX),
            _ => {}
        }
        if text.len() > 127 {
            return None;
        }
        match text.iter().position(|&b| b == b'-') {
            Some(dash) => Some(StreamId::new(parse_u64(&text[..dash])?, parse_u64(&text[dash + 1..])?)),
            None => Some(StreamId::new(parse_u64(text)?, missing_seq)),
        }
    }
}

/// An unsigned decimal as Redis's `string2ull` reads it: digits only (no
/// sign, no spaces), at most `u64::MAX`.
fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_orders() {
        assert_eq!(StreamId::parse(b"5-3", 0, true), Some(StreamId::new(5, 3)));
        assert_eq!(StreamId::parse(b"5", 9, true), Some(StreamId::new(5, 9)));
        assert_eq!(StreamId::parse(b"-", 0, false), Some(StreamId::MIN));
        assert_eq!(StreamId::parse(b"+", 0, true), None);
        assert_eq!(StreamId::parse(b"18446744073709551615-18446744073709551615", 0, true), Some(StreamId::MAX));
        assert_eq!(StreamId::parse(b"18446744073709551616", 0, true), None);
        assert_eq!(StreamId::parse(b"-1", 0, true), None);
        assert_eq!(StreamId::parse(b"1-", 0, true), None);
        assert_eq!(StreamId::parse(b"1-2-3", 0, true), None);
        assert!(StreamId::new(1, 9) < StreamId::new(2, 0));
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        for id in [StreamId::MIN, StreamId::MAX, StreamId::new(1_700_000_000_123, 45), StreamId::new(10, 0)] {
            let mut buf = [0u8; 41];
            let len = id.write_text(&mut buf);
            assert_eq!(&buf[..len], id.text().as_bytes());
        }
    }
}
