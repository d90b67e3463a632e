//! Exact decimal addition for `INCRBYFLOAT` and `HINCRBYFLOAT`.
//!
//! Redis adds in `long double` and prints the sum with 17 decimals,
//! trailing zeros removed, so `0.1 + 0.2` gives `0.3`. Binary `f64`
//! arithmetic would give `0.30000000000000004`. Adding the decimal texts
//! exactly and rounding to 17 decimals gives Redis's answers for every
//! operand a person types, without `long double`.

/// A decimal number: `digits × 10^-scale`, digits most significant first.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    scale: usize,
}

/// Decimal places Redis prints (`%.17Lf`).
const PLACES: usize = 17;
/// Magnitudes beyond `long double` range count as infinite.
const MAX_INTEGER_DIGITS: usize = 4932;

fn parse(text: &[u8]) -> Option<Decimal> {
    let (negative, rest) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.iter().position(|&c| c == b'e' || c == b'E') {
        Some(e) => {
            let exp_text = std::str::from_utf8(&rest[e + 1..]).ok()?;
            (&rest[..e], exp_text.parse::<i64>().ok()?)
        }
        None => (rest, 0),
    };
    if !(-5000..=5000).contains(&exponent) {
        return None;
    }
    let (int_part, frac_part) = match mantissa.iter().position(|&c| c == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut digits = Vec::with_capacity(int_part.len() + frac_part.len());
    for &c in int_part.iter().chain(frac_part) {
        if !c.is_ascii_digit() {
            return None;
        }
        digits.push(c - b'0');
    }
    let mut scale = frac_part.len() as i64 - exponent;
    if scale < 0 {
        digits.extend(std::iter::repeat_n(0, (-scale) as usize));
        scale = 0;
    }
    Some(Decimal { negative, digits, scale: scale as usize })
}

/// Digits of `d` scaled to `scale` fractional places (`scale >= d.scale`).
fn widened(d: &Decimal, scale: usize) -> Vec<u8> {
    let mut digits = d.digits.clone();
    digits.extend(std::iter::repeat_n(0, scale - d.scale));
    digits
}

fn strip_leading_zeros(digits: &mut Vec<u8>) {
    let first = digits.iter().position(|&d| d != 0).unwrap_or(digits.len());
    digits.drain(..first);
}

fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len().max(b.len()) + 1);
    let (mut i, mut j, mut carry) = (a.len(), b.len(), 0u8);
    while i > 0 || j > 0 || carry > 0 {
        let x = if i > 0 { a[i - 1] } else { 0 };
        let y = if j > 0 { b[j - 1] } else { 0 };
        let s = x + y + carry;
        out.push(s % 10);
        carry = s / 10;
        i = i.saturating_sub(1);
        j = j.saturating_sub(1);
    }
    out.reverse();
    out
}

/// `a - b` for magnitudes with `a >= b`.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let (mut i, mut j, mut borrow) = (a.len(), b.len(), 0i8);
    while i > 0 {
        let x = a[i - 1] as i8;
        let y = if j > 0 { b[j - 1] as i8 } else { 0 };
        let mut d = x - y - borrow;
        borrow = 0;
        if d < 0 {
            d += 10;
            borrow = 1;
        }
        out.push(d as u8);
        i -= 1;
        j = j.saturating_sub(1);
    }
    out.reverse();
    out
}

fn add(a: &Decimal, b: &Decimal) -> Decimal {
    let scale = a.scale.max(b.scale);
    let mut x = widened(a, scale);
    let mut y = widened(b, scale);
    strip_leading_zeros(&mut x);
    strip_leading_zeros(&mut y);
    if a.negative == b.negative {
        return Decimal { negative: a.negative, digits: add_magnitudes(&x, &y), scale };
    }
    match compare(&x, &y) {
        std::cmp::Ordering::Less => Decimal { negative: b.negative, digits: sub_magnitudes(&y, &x), scale },
        _ => Decimal { negative: a.negative, digits: sub_magnitudes(&x, &y), scale },
    }
}

/// Rounds to 17 places (half away from zero) and prints without trailing
/// zeros; `None` if the magnitude is beyond `long double`.
fn render(d: &Decimal) -> Option<String> {
    let mut digits = d.digits.clone();
    let mut scale = d.scale;
    if scale > PLACES {
        let cut = scale - PLACES;
        if digits.len() < cut {
            digits = vec![0];
        } else {
            let round_up = digits[digits.len() - cut] >= 5;
            digits.truncate(digits.len() - cut);
            if round_up {
                digits = add_magnitudes(&digits, &[1]);
            }
        }
        scale = PLACES;
    }
    while digits.len() <= scale {
        digits.insert(0, 0);
    }
    let split = digits.len() - scale;
    let mut int_part: Vec<u8> = digits[..split].to_vec();
    strip_leading_zeros(&mut int_part);
    if int_part.len() > MAX_INTEGER_DIGITS {
        return None;
    }
    let mut frac: Vec<u8> = digits[split..].to_vec();
    while frac.last() == Some(&0) {
        frac.pop();
    }
    let mut text = String::new();
    let zero = int_part.is_empty() && frac.is_empty();
    if d.negative && !zero {
        text.push('-');
    }
    if int_part.is_empty() {
        text.push('0');
    }
    text.extend(int_part.iter().map(|&c| (b'0' + c) as char));
    if !frac.is_empty() {
        text.push('.');
        text.extend(frac.iter().map(|&c| (b'0' + c) as char));
    }
    Some(text)
}

/// The text of `current + delta` as Redis prints it, or `None` when either
/// operand is not a plain decimal number or the sum is out of range.
pub fn add_texts(current: &[u8], delta: &[u8]) -> Option<String> {
    let sum = add(&parse(current)?, &parse(delta)?);
    render(&sum)
}

#[cfg(test)]
mod tests {
    use super::add_texts;

    fn sum(a: &str, b: &str) -> String {
        add_texts(a.as_bytes(), b.as_bytes()).unwrap()
    }

    #[test]
    fn sums_as_redis_prints_them() {
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("10.50", "0.1"), "10.6");
        assert_eq!(sum("0", "1e-20"), "0");
        assert_eq!(sum("5.0e3", "2.0e2"), "5200");
        assert_eq!(sum("3", "-3"), "0");
        assert_eq!(sum("-1.5", "1"), "-0.5");
        assert_eq!(sum("1", "-1.25"), "-0.25");
        assert_eq!(sum("0.000000000000000015", "0"), "0.00000000000000002");
        assert_eq!(sum(".5", "5."), "5.5");
        assert!(add_texts(b"abc", b"1").is_none());
        assert!(add_texts(b"1e5000", b"1").is_none());
    }
}
