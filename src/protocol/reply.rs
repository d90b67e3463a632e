//! Reply encoding, straight into a connection's output buffer.
//!
//! [`Reply`] borrows the output buffer and knows the connection's protocol
//! version: RESP3 types (maps, sets, doubles, nulls, push) fall back to
//! their RESP2 shapes when the client did not ask for `HELLO 3`. Nothing
//! here allocates beyond growing the buffer.

/// Writer of replies into one connection's output buffer.
pub struct Reply<'a> {
    pub buf: &'a mut Vec<u8>,
    pub resp3: bool,
}

impl<'a> Reply<'a> {
    pub fn new(buf: &'a mut Vec<u8>, resp3: bool) -> Self {
        Reply { buf, resp3 }
    }

    /// A reborrow, for handing to a helper function.
    pub fn reborrow(&mut self) -> Reply<'_> {
        Reply { buf: self.buf, resp3: self.resp3 }
    }

    #[inline]
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    #[inline]
    pub fn simple(&mut self, text: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply; `text` starts with its code (`ERR ...`,
    /// `WRONGTYPE ...`). Line breaks inside are replaced by spaces.
    pub fn error(&mut self, text: &str) {
        self.buf.push(b'-');
        self.buf.extend(text.bytes().map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
        self.buf.extend_from_slice(b"\r\n");
    }

    #[inline]
    pub fn int(&mut self, value: i64) {
        self.prefixed_number(b':', value);
    }

    #[inline]
    pub fn bulk(&mut self, data: &[u8]) {
        self.prefixed_number(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string, or the null bulk string for `None`.
    #[inline]
    pub fn bulk_or_null(&mut self, data: Option<&[u8]>) {
        match data {
            Some(data) => self.bulk(data),
            None => self.null(),
        }
    }

    /// A bulk string holding a decimal integer (`INCRBYFLOAT`-style replies,
    /// `CONFIG GET` values).
    pub fn bulk_int(&mut self, value: i64) {
        let mut digits = itoa_buf();
        let text = format_i64(value, &mut digits);
        self.bulk(text);
    }

    /// The null bulk string (`$-1` in RESP2, `_` in RESP3).
    #[inline]
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// The null array (`*-1` in RESP2, `_` in RESP3).
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    #[inline]
    pub fn array(&mut self, len: usize) {
        self.prefixed_number(b'*', len as i64);
    }

    /// A map of `len` pairs (a flat array of `2 * len` in RESP2).
    pub fn map(&mut self, len: usize) {
        if self.resp3 {
            self.prefixed_number(b'%', len as i64);
        } else {
            self.prefixed_number(b'*', 2 * len as i64);
        }
    }

    /// A set of `len` elements (an array in RESP2).
    pub fn set(&mut self, len: usize) {
        self.prefixed_number(if self.resp3 { b'~' } else { b'*' }, len as i64);
    }

    /// An out-of-band push message of `len` elements (an array in RESP2).
    pub fn push(&mut self, len: usize) {
        self.prefixed_number(if self.resp3 { b'>' } else { b'*' }, len as i64);
    }

    /// A double (`,` in RESP3, a bulk string in RESP2), formatted as Redis
    /// formats scores.
    pub fn double(&mut self, value: f64) {
        let mut text = [0u8; 64];
        let len = format_double(value, &mut text);
        if self.resp3 {
            self.buf.push(b',');
            self.buf.extend_from_slice(&text[..len]);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(&text[..len]);
        }
    }

    /// A boolean (`#t`/`#f` in RESP3, `:1`/`:0` in RESP2).
    pub fn boolean(&mut self, value: bool) {
        if self.resp3 {
            self.buf.extend_from_slice(if value { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(value as i64);
        }
    }

    /// A verbatim text (`=` with `txt:` in RESP3, a bulk string in RESP2),
    /// as Redis answers `INFO` and `CLIENT LIST`.
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3 {
            self.prefixed_number(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    #[inline]
    fn prefixed_number(&mut self, prefix: u8, value: i64) {
        // Small lengths are the common case: skip the generic formatter.
        if (0..10).contains(&value) {
            self.buf.extend_from_slice(&[prefix, b'0' + value as u8, b'\r', b'\n']);
            return;
        }
        let mut digits = itoa_buf();
        let text = format_i64(value, &mut digits);
        self.buf.reserve(text.len() + 3);
        self.buf.push(prefix);
        self.buf.extend_from_slice(text);
        self.buf.extend_from_slice(b"\r\n");
    }
}

fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Formats `value` in decimal into `buf`, returning the used tail.
pub fn format_i64(value: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = value.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Formats a double as Redis 7.0 does for scores and double replies: C's
/// `%.17g` (17 significant digits, trailing zeros removed, exponent form
/// below 1e-4 and from 1e17), `inf` and `-inf`. Returns the length
/// written to `out`.
pub fn format_double(value: f64, out: &mut [u8; 64]) -> usize {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(&mut out[..]);
    if value.is_nan() {
        let _ = write!(cursor, "nan");
        return cursor.position() as usize;
    }
    if value.is_infinite() {
        let _ = write!(cursor, "{}", if value > 0.0 { "inf" } else { "-inf" });
        return cursor.position() as usize;
    }
    // 17 significant digits in exponent form tells the decimal exponent
    // after rounding, which decides between the two `%g` styles.
    let _ = write!(cursor, "{value:.16e}");
    let len = cursor.position() as usize;
    let e = out[..len].iter().position(|&c| c == b'e').unwrap_or(len);
    let exponent: i32 = std::str::from_utf8(&out[e + 1..len]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    if !(-4..17).contains(&exponent) {
        // Exponent style: mantissa without trailing zeros, `e±XX`.
        let mut mantissa = out[..e].to_vec();
        trim_fraction(&mut mantissa);
        let mut text = mantissa;
        text.extend_from_slice(format!("e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs()).as_bytes());
        out[..text.len()].copy_from_slice(&text);
        return text.len();
    }
    let decimals = (16 - exponent) as usize;
    let mut cursor = std::io::Cursor::new(&mut out[..]);
    let _ = write!(cursor, "{value:.decimals$}");
    let len = cursor.position() as usize;
    let mut text = out[..len].to_vec();
    trim_fraction(&mut text);
    out[..text.len()].copy_from_slice(&text);
    text.len()
}

/// Drops trailing zeros after a decimal point, and the point itself.
fn trim_fraction(text: &mut Vec<u8>) {
    if text.contains(&b'.') {
        while text.last() == Some(&b'0') {
            text.pop();
        }
        if text.last() == Some(&b'.') {
            text.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: f64) -> String {
        let mut out = [0u8; 64];
        let len = format_double(v, &mut out);
        String::from_utf8(out[..len].to_vec()).unwrap()
    }

    #[test]
    fn doubles_as_redis_prints_them() {
        assert_eq!(show(1.5), "1.5");
        assert_eq!(show(3.0), "3");
        assert_eq!(show(f64::INFINITY), "inf");
        assert_eq!(show(f64::NEG_INFINITY), "-inf");
        assert_eq!(show(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(show(0.1), "0.10000000000000001");
        assert_eq!(show(-0.0), "-0");
        assert_eq!(show(123456789012345678.0), "1.2345678901234568e+17");
        assert_eq!(show(0.0001), "0.0001");
        assert_eq!(show(0.00001), "1.0000000000000001e-05");
        assert_eq!(show(1e20), "1e+20");
        assert_eq!(show(1.5e-7), "1.4999999999999999e-07");
    }

    #[test]
    fn integers() {
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, false);
        r.int(-12345);
        r.int(7);
        r.int(i64::MIN);
        assert_eq!(buf, b":-12345\r\n:7\r\n:-9223372036854775808\r\n");
    }
}
