//! Argument parsing helpers shared by every command family: Redis's strict
//! integer and float rules and case-insensitive keywords.

use super::CmdError;

/// Parses a decimal i64 exactly as Redis does: optional `-`, no `+`, no
/// spaces, no leading zeros.
pub fn parse_i64(text: &[u8]) -> Result<i64, CmdError> {
    parse_i64_opt(text).ok_or(CmdError::NotInteger)
}

pub fn parse_i64_opt(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    if text == b"0" {
        return Some(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !(b'1'..=b'9').contains(&digits[0]) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            None
        } else {
            Some((value as i64).wrapping_neg())
        }
    } else {
        i64::try_from(value).ok()
    }
}

/// Parses a float as Redis's `string2ld`/`strtod` callers do: no leading
/// or trailing space, `inf`/`-inf` accepted, NaN rejected.
pub fn parse_f64(text: &[u8]) -> Option<f64> {
    if text.is_empty()
        || text.len() > 5000
        || text[0].is_ascii_whitespace()
        || text[text.len() - 1].is_ascii_whitespace()
    {
        return None;
    }
    let s = std::str::from_utf8(text).ok()?;
    // Letters other than an exponent's `e` only ever spell an infinity;
    // Rust would also accept "nan" and "infinity" in any case, and rejects
    // C's hexadecimal floats, which Redis users do not send.
    let value = if text.iter().any(|&b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') {
        let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
        if !unsigned.eq_ignore_ascii_case("inf") && !unsigned.eq_ignore_ascii_case("infinity") {
            return None;
        }
        if s.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else {
        s.parse::<f64>().ok()?
    };
    (!value.is_nan()).then_some(value)
}

/// Case-insensitive keyword comparison.
#[inline]
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// Parses a non-negative count.
pub fn parse_count(text: &[u8]) -> Result<usize, CmdError> {
    let n = parse_i64(text)?;
    usize::try_from(n).map_err(|_| CmdError::Static("ERR value is out of range, must be positive"))
}

/// The `[LIMIT limit]` option that closes `SINTERCARD` and `ZINTERCARD`,
/// from argument `from` on: 0 (no limit) when absent.
pub fn parse_card_limit(args: crate::protocol::Args<'_>, from: usize) -> Result<usize, CmdError> {
    let mut limit = 0usize;
    let mut i = from;
    while i < args.len() {
        if is(args.get(i), "limit") && i + 1 < args.len() {
            limit = parse_i64_opt(args.get(i + 1))
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(CmdError::Static("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_redis() {
        assert_eq!(parse_i64_opt(b"0"), Some(0));
        assert_eq!(parse_i64_opt(b"-12"), Some(-12));
        assert_eq!(parse_i64_opt(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64_opt(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64_opt(b"9223372036854775808"), None);
        assert_eq!(parse_i64_opt(b"+1"), None);
        assert_eq!(parse_i64_opt(b"01"), None);
        assert_eq!(parse_i64_opt(b"-0"), None);
        assert_eq!(parse_i64_opt(b" 1"), None);
        assert_eq!(parse_i64_opt(b""), None);
    }

    #[test]
    fn floats() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"abc"), None);
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"-INF"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b"--inf"), None);
        assert_eq!(parse_f64(b"infx"), None);
        assert_eq!(parse_f64(b"0x10"), None);
    }
}
