//! Redis's `long double` arithmetic for `INCRBYFLOAT` and `HINCRBYFLOAT`,
//! done exactly in software.
//!
//! Redis 7.0 on x86-64 reads both operands with `strtold` into the x87
//! 80-bit extended format (a 64-bit mantissa with an explicit top bit, a
//! 15-bit exponent, subnormals down to 2^-16445), adds them there with
//! round-to-nearest-even, and prints the sum with `"%.17Lf"` before
//! trimming trailing zeros (`ld2string` in `util.c`). Rust has no such
//! type, so this module keeps a value as `mantissa × 2^exponent` and does
//! each of the three steps exactly on unsigned big integers:
//!
//! * [`parse`]: decimal or hexadecimal text → the nearest representable
//!   value (ties to even), with `strtold`'s grammar and Redis's `string2ld`
//!   checks (no leading space, nothing left over, no NUL byte, no NaN, no
//!   overflow, no nonzero text that rounds to zero, at most 5119 bytes);
//! * [`LongDouble::add`]: the exact sum, rounded once;
//! * [`LongDouble::human_text`]: the exact decimal expansion rounded to 17
//!   places as glibc's `printf` rounds it (half to even).
//!
//! Invariant: a finite value has `mantissa < 2^64` and either
//! `mantissa >= 2^63` or `exponent == MIN_EXPONENT` (a subnormal or zero),
//! so equal values have equal representations.

use std::cmp::Ordering;

/// Weight (as a power of two) of a subnormal's lowest bit.
const MIN_EXPONENT: i64 = -16445;
/// Power of two of the top bit of the largest finite value.
const MAX_TOP_BIT: i64 = 16383;
/// Redis refuses operands this long or longer (`MAX_LONG_DOUBLE_CHARS`).
const MAX_TEXT: usize = 5 * 1024;
/// Decimal places `"%.17Lf"` prints.
const PLACES: u32 = 17;

/// An x87 extended-precision value that is not a NaN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LongDouble {
    /// `(-1)^negative × mantissa × 2^exponent`.
    Finite {
        negative: bool,
        mantissa: u64,
        exponent: i64,
    },
    Infinite {
        negative: bool,
    },
}

impl LongDouble {
    /// Positive zero, the value of a missing counter.
    pub const ZERO: LongDouble = LongDouble::Finite { negative: false, mantissa: 0, exponent: MIN_EXPONENT };

    pub fn is_finite(&self) -> bool {
        matches!(self, LongDouble::Finite { .. })
    }

    /// The sum rounded to the nearest value (ties to even), or `None` when
    /// it is infinite or NaN.
    pub fn add(self, other: LongDouble) -> Option<LongDouble> {
        let (
            LongDouble::Finite { negative: na, mantissa: ma, exponent: ea },
            LongDouble::Finite { negative: nb, mantissa: mb, exponent: eb },
        ) = (self, other)
        else {
            return None;
        };
        let low = ea.min(eb);
        let a = Big::from_u64(ma).shl((ea - low) as u64);
        let b = Big::from_u64(mb).shl((eb - low) as u64);
        let (negative, magnitude) = if na == nb {
            (na, a.add(&b))
        } else {
            match a.cmp(&b) {
                Ordering::Greater => (na, a.sub(&b)),
                Ordering::Less => (nb, b.sub(&a)),
                Ordering::Equal => (false, Big::zero()),
            }
        };
        // Round to nearest gives -0 only for (-0) + (-0).
        let negative = if magnitude.is_zero() { na && nb } else { negative };
        let (mantissa, exponent) = round(&magnitude, low, false)?;
        Some(LongDouble::Finite { negative, mantissa, exponent })
    }

    /// The value as Redis prints a float counter: `"%.17Lf"`, trailing
    /// zeros and a trailing point removed, `-0` as `0`. An infinity prints
    /// as `inf` or `-inf` (Redis never stores one).
    pub fn human_text(self) -> String {
        let (negative, mantissa, exponent) = match self {
            LongDouble::Infinite { negative } => return if negative { "-inf" } else { "inf" }.to_string(),
            LongDouble::Finite { negative, mantissa, exponent } => (negative, mantissa, exponent),
        };
        let mut scaled = Big::from_u64(mantissa);
        for _ in 0..PLACES {
            scaled.mul_small(10, 0);
        }
        let units = if exponent >= 0 {
            scaled.shl(exponent as u64)
        } else {
            let dropped = exponent.unsigned_abs();
            let mut kept = scaled.shr(dropped);
            let half = scaled.bit(dropped - 1);
            let rest = scaled.any_below(dropped - 1);
            if half && (rest || kept.bit(0)) {
                kept.mul_small(1, 1);
            }
            kept
        };
        let mut digits = units.to_decimal();
        while digits.len() <= PLACES as usize {
            digits.insert(0, b'0');
        }
        let point = digits.len() - PLACES as usize;
        let mut text = String::with_capacity(digits.len() + 2);
        if negative {
            text.push('-');
        }
        text.push_str(std::str::from_utf8(&digits[..point]).expect("ascii digits"));
        let fraction = std::str::from_utf8(&digits[point..]).expect("ascii digits").trim_end_matches('0');
        if !fraction.is_empty() {
            text.push('.');
            text.push_str(fraction);
        }
        if text == "-0" {
            text.remove(0);
        }
        text
    }
}

/// Reads `text` as Redis's `string2ld` does, or `None` if Redis would
/// answer "not a valid float" for it.
pub fn parse(text: &[u8]) -> Option<LongDouble> {
    // `strtold` would stop at a NUL byte, and Redis wants all of the text.
    if text.is_empty() || text.len() >= MAX_TEXT || is_c_space(text[0]) || text.contains(&0) {
        return None;
    }
    let (negative, body) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(LongDouble::Infinite { negative });
    }
    let exact = if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
        parse_hexadecimal(&body[2..])?
    } else {
        parse_decimal(body)?
    };
    if exact.value.is_zero() {
        return Some(LongDouble::Finite { negative, mantissa: 0, exponent: MIN_EXPONENT });
    }
    let (mantissa, exponent) = round(&exact.value, exact.exponent, exact.inexact)?;
    // A nonzero text that rounds to zero is an underflow Redis refuses.
    (mantissa != 0).then_some(LongDouble::Finite { negative, mantissa, exponent })
}

/// A magnitude read from text: `value × 2^exponent`, plus a little more
/// (less than one unit of `value`'s last bit) when `inexact`.
struct Exact {
    value: Big,
    exponent: i64,
    inexact: bool,
}

impl Exact {
    const ZERO: Exact = Exact { value: Big(Vec::new()), exponent: 0, inexact: false };
}

fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Where the run of bytes satisfying `accept` that starts at `start` ends.
fn run_of(text: &[u8], start: usize, accept: impl Fn(u8) -> bool) -> usize {
    text[start..].iter().position(|&c| !accept(c)).map_or(text.len(), |n| start + n)
}

/// An optional sign and decimal digits, all of `text`; saturates far
/// beyond any exponent that matters.
fn parse_exponent(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| (acc * 10 + i64::from(d - b'0')).min(1_000_000_000));
    Some(if negative { -value } else { value })
}

/// Splits `digits[.digits][marker[sign]digits]` (at least one digit, with
/// `is_digit` deciding what a digit is) into the digits before and after
/// the point and the exponent's value; `None` if anything is left over.
fn split_number(body: &[u8], is_digit: fn(&u8) -> bool, marker: u8) -> Option<(&[u8], &[u8], i64)> {
    let int_end = run_of(body, 0, |c| is_digit(&c));
    let (frac_start, frac_end) = if body.get(int_end) == Some(&b'.') {
        (int_end + 1, run_of(body, int_end + 1, |c| is_digit(&c)))
    } else {
        (int_end, int_end)
    };
    if int_end == 0 && frac_end == frac_start {
        return None;
    }
    let exponent = match body.get(frac_end) {
        None => 0,
        Some(&c) if c | 0x20 == marker => parse_exponent(&body[frac_end + 1..])?,
        Some(_) => return None,
    };
    Some((&body[..int_end], &body[frac_start..frac_end], exponent))
}

/// Decimal text: the exact value when it is a whole number, otherwise a
/// quotient with 67 or more bits and whether a remainder was left.
fn parse_decimal(body: &[u8]) -> Option<Exact> {
    let (whole, fraction, exponent) = split_number(body, u8::is_ascii_digit, b'e')?;
    let digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let Some(first) = digits.iter().position(|&d| d != b'0') else { return Some(Exact::ZERO) };
    let last = digits.iter().rposition(|&d| d != b'0').expect("a nonzero digit");
    let exponent = exponent - fraction.len() as i64 + (digits.len() - 1 - last) as i64;
    let significant = &digits[first..=last];
    let count = significant.len() as i64;
    // At or past 10^4934 is beyond the largest value (about 1.19e4932);
    // below 10^-4952 is under half the smallest subnormal (about 3.6e-4951).
    if count + exponent > 4934 || count + exponent < -4952 {
        return None;
    }
    let mut value = Big::zero();
    for &d in significant {
        value.mul_small(10, u32::from(d - b'0'));
    }
    if exponent >= 0 {
        let value = value.mul(&Big::power_of_ten(exponent as u32));
        return Some(Exact { value, exponent: 0, inexact: false });
    }
    let mut denominator = Big::power_of_ten(exponent.unsigned_abs() as u32);
    // Scale so the quotient has 68 or 69 bits: more than the 64 kept and
    // the rounding bit, so the remainder only ever breaks a tie.
    let shift = 68 + denominator.bits() as i64 - value.bits() as i64;
    if shift >= 0 {
        value = value.shl(shift as u64);
    } else {
        denominator = denominator.shl(shift.unsigned_abs());
    }
    let mut quotient = 0u128;
    for bit in (0..72u64).rev() {
        let step = denominator.shl(bit);
        if value.cmp(&step) != Ordering::Less {
            value = value.sub(&step);
            quotient |= 1 << bit;
        }
    }
    let quotient = Big::from_u64(quotient as u64).add(&Big::from_u64((quotient >> 64) as u64).shl(64));
    Some(Exact { value: quotient, exponent: -shift, inexact: !value.is_zero() })
}

/// Hexadecimal text after `0x`: always exact (`p` gives a power of two).
fn parse_hexadecimal(body: &[u8]) -> Option<Exact> {
    let (whole, fraction, exponent) = split_number(body, u8::is_ascii_hexdigit, b'p')?;
    let exponent = exponent - 4 * fraction.len() as i64;
    let mut value = Big::zero();
    for &c in whole.iter().chain(fraction) {
        value.mul_small(16, (c as char).to_digit(16).expect("hex digit"));
    }
    if !value.is_zero() {
        let top = value.bits() as i64 - 1 + exponent;
        if !(MIN_EXPONENT - 2..=MAX_TOP_BIT + 1).contains(&top) {
            return None;
        }
    }
    Some(Exact { value, exponent, inexact: false })
}

/// Rounds `value × 2^exponent` (plus a little more when `inexact`) to the
/// nearest extended value, ties to even; `None` on overflow.
fn round(value: &Big, exponent: i64, inexact: bool) -> Option<(u64, i64)> {
    if value.is_zero() {
        return Some((0, MIN_EXPONENT));
    }
    let top = value.bits() as i64 - 1 + exponent;
    if top > MAX_TOP_BIT + 1 {
        return None;
    }
    let ulp = (top - 63).max(MIN_EXPONENT);
    let (mantissa, ulp) = if ulp <= exponent {
        debug_assert!(!inexact, "an inexact magnitude carries bits below its last place");
        (value.low_u64() << (exponent - ulp), ulp)
    } else {
        let dropped = (ulp - exponent) as u64;
        let kept = value.shr(dropped).low_u64();
        let half = value.bit(dropped - 1);
        let rest = inexact || value.any_below(dropped - 1);
        if !(half && (rest || kept & 1 == 1)) {
            (kept, ulp)
        } else if kept == u64::MAX {
            (1 << 63, ulp + 1)
        } else {
            (kept + 1, ulp)
        }
    };
    if mantissa == 0 {
        return Some((0, MIN_EXPONENT));
    }
    let top = 63 - i64::from(mantissa.leading_zeros()) + ulp;
    (top <= MAX_TOP_BIT).then_some((mantissa, ulp))
}

/// An unsigned integer of any size: 32-bit limbs, least significant
/// first, no zero limb at the top (zero has no limbs).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Big(Vec<u32>);

impl Big {
    fn zero() -> Big {
        Big(Vec::new())
    }

    fn from_u64(value: u64) -> Big {
        let mut big = Big(vec![value as u32, (value >> 32) as u32]);
        big.trim();
        big
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    fn bits(&self) -> u64 {
        match self.0.last() {
            None => 0,
            Some(&top) => 32 * self.0.len() as u64 - u64::from(top.leading_zeros()),
        }
    }

    fn bit(&self, index: u64) -> bool {
        let limb = (index / 32) as usize;
        self.0.get(limb).is_some_and(|&l| (l >> (index % 32)) & 1 == 1)
    }

    /// Whether any bit below `index` is set.
    fn any_below(&self, index: u64) -> bool {
        let whole = ((index / 32) as usize).min(self.0.len());
        if self.0[..whole].iter().any(|&l| l != 0) {
            return true;
        }
        let part = index % 32;
        part > 0 && self.0.get(whole).is_some_and(|&l| l & ((1 << part) - 1) != 0)
    }

    fn low_u64(&self) -> u64 {
        let limb = |i: usize| u64::from(self.0.get(i).copied().unwrap_or(0));
        limb(0) | limb(1) << 32
    }

    /// `self × factor + addend`, in place.
    fn mul_small(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// `self / divisor` in place; returns the remainder.
    fn div_small(&mut self, divisor: u32) -> u32 {
        let mut remainder = 0u64;
        for limb in self.0.iter_mut().rev() {
            let current = remainder << 32 | u64::from(*limb);
            *limb = (current / u64::from(divisor)) as u32;
            remainder = current % u64::from(divisor);
        }
        self.trim();
        remainder as u32
    }

    fn shl(&self, count: u64) -> Big {
        if self.is_zero() {
            return Big::zero();
        }
        let (limbs, bits) = ((count / 32) as usize, (count % 32) as u32);
        let mut out = vec![0u32; limbs];
        out.reserve(self.0.len() + 1);
        let mut carry = 0u32;
        for &limb in &self.0 {
            out.push(if bits == 0 { limb } else { limb << bits | carry });
            carry = if bits == 0 { 0 } else { limb >> (32 - bits) };
        }
        out.push(carry);
        let mut big = Big(out);
        big.trim();
        big
    }

    /// `self >> count`, rounding down.
    fn shr(&self, count: u64) -> Big {
        let (limbs, bits) = ((count / 32) as usize, (count % 32) as u32);
        if limbs >= self.0.len() {
            return Big::zero();
        }
        let source = &self.0[limbs..];
        let mut out = Vec::with_capacity(source.len());
        for (i, &limb) in source.iter().enumerate() {
            let high = source.get(i + 1).copied().unwrap_or(0);
            out.push(if bits == 0 { limb } else { limb >> bits | high << (32 - bits) });
        }
        let mut big = Big(out);
        big.trim();
        big
    }

    fn add(&self, other: &Big) -> Big {
        let (long, short) = if self.0.len() >= other.0.len() { (self, other) } else { (other, self) };
        let mut out = Vec::with_capacity(long.0.len() + 1);
        let mut carry = 0u64;
        for (i, &limb) in long.0.iter().enumerate() {
            let sum = u64::from(limb) + u64::from(short.0.get(i).copied().unwrap_or(0)) + carry;
            out.push(sum as u32);
            carry = sum >> 32;
        }
        out.push(carry as u32);
        let mut big = Big(out);
        big.trim();
        big
    }

    /// `self - other`, for `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        debug_assert!(self.cmp(other) != Ordering::Less);
        let mut out = Vec::with_capacity(self.0.len());
        let mut borrow = 0i64;
        for (i, &limb) in self.0.iter().enumerate() {
            let mut difference = i64::from(limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = 0;
            if difference < 0 {
                difference += 1 << 32;
                borrow = 1;
            }
            out.push(difference as u32);
        }
        let mut big = Big(out);
        big.trim();
        big
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let product = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = product as u32;
                carry = product >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        let mut big = Big(out);
        big.trim();
        big
    }

    fn power_of_ten(exponent: u32) -> Big {
        let mut big = Big::from_u64(1);
        let mut left = exponent;
        while left > 0 {
            let step = left.min(9);
            big.mul_small(10u32.pow(step), 0);
            left -= step;
        }
        big
    }

    fn cmp(&self, other: &Big) -> Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// Decimal digits (ASCII), `"0"` for zero.
    fn to_decimal(&self) -> Vec<u8> {
        let mut rest = self.clone();
        let mut chunks = Vec::new();
        while !rest.is_zero() {
            chunks.push(rest.div_small(1_000_000_000));
        }
        let mut text = chunks.pop().map_or_else(|| "0".to_string(), |top| top.to_string());
        for chunk in chunks.iter().rev() {
            text.push_str(&format!("{chunk:09}"));
        }
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, LongDouble};

    fn sum(a: &str, b: &str) -> String {
        parse(a.as_bytes()).unwrap().add(parse(b.as_bytes()).unwrap()).unwrap().human_text()
    }

    #[test]
    fn sums_as_redis_prints_them() {
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("10.50", "0.1"), "10.6");
        assert_eq!(sum("0", "1e-20"), "0");
        assert_eq!(sum("5.0e3", "2.0e2"), "5200");
        assert_eq!(sum("3", "-3"), "0");
        assert_eq!(sum("-1.5", "1"), "-0.5");
        assert_eq!(sum("0x1p-18", "0"), "0.00000381469726562");
        assert_eq!(sum("0x3p-18", "0"), "0.00001144409179688");
        assert_eq!(sum("1e20", "0"), "100000000000000000000");
        assert_eq!(sum("18446744073709551615", "0"), "18446744073709551615");
        assert_eq!(sum("18446744073709551617", "0"), "18446744073709551616");
        assert_eq!(sum("-0", "-0"), "0");
    }

    #[test]
    fn refuses_what_redis_refuses() {
        for bad in ["", " 1", "1 ", "abc", "nan", "-nan", "1e", "0x", "0x1p", "1e5000", "1e-5000", "1.2.3", "--1", "+"]
        {
            assert!(parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
        assert_eq!(parse(b"inf"), Some(LongDouble::Infinite { negative: false }));
        assert_eq!(parse(b"-Infinity"), Some(LongDouble::Infinite { negative: true }));
        assert!(parse(b"1e4932").is_some());
        assert!(parse(b"1e-4950").is_some());
        assert!(parse(&[b'1'; 5120]).is_none());
        let long_fraction: Vec<u8> = [b'0', b'.'].into_iter().chain([b'1'; 5117]).collect();
        assert!(parse(&long_fraction).is_some());
        assert!(parse(b"inf").unwrap().add(LongDouble::ZERO).is_none());
        assert!(parse(b"1e4932").unwrap().add(parse(b"1e4932").unwrap()).is_none());
    }
}
