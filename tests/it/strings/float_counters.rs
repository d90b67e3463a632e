//! `INCRBYFLOAT` and `HINCRBYFLOAT` give Redis's `long double` numbers:
//! operands read as x87 80-bit values (correctly rounded, subnormals,
//! hexadecimal text), the sum rounded once, printed with 17 decimals
//! (ties to even) and trailing zeros trimmed.
//!
//! A table of cases worked out on Redis 7.0.15 runs in both test modes;
//! a generated run (many operands of mixed magnitude, sign, length,
//! exponent and form) sends the same commands to the server under test
//! and to a redis-server started beside it, and compares every reply.

use std::net::TcpStream;
use std::time::Duration;

use super::*;
use crate::common::wire::encode;
use crate::common::{read_reply, send};

const NAN_OR_INF: &str = "-ERR increment would produce NaN or Infinity\r\n";

/// `INCRBYFLOAT` of a fresh key by `operand`.
fn from_zero(w: &mut Wire, operand: &str) -> Vec<u8> {
    w.call(&["DEL", "t"]);
    w.call(&["INCRBYFLOAT", "t", operand])
}

/// Checks that `INCRBYFLOAT` of a fresh key by `operand` answers `want`.
#[track_caller]
fn from_zero_is(w: &mut Wire, operand: &str, want: impl AsRef<[u8]>) {
    let got = from_zero(w, operand);
    let message = format!("INCRBYFLOAT t {operand:?} -> got \"{}\", want \"{}\"", show(&got), show(want.as_ref()));
    w.check(got == want.as_ref(), message);
}

#[test]
fn incrbyfloat_rounds_as_long_double() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    // The sum of two operands is exactly zero in long double; a decimal
    // adder would leave 0.00000000000000001 after the first reply's text.
    w.is(&["INCRBYFLOAT", "x", "0.024390243902439025"], bulk("0.02439024390243902"));
    w.is(&["INCRBYFLOAT", "x", "-0.024390243902439025"], bulk("0"));
    let cases = [
        // 2^-18 and 3 × 2^-18 end in a 5 at the 18th place: ties to even.
        ("0x1p-18", "0.00000381469726562"),
        ("0x3p-18", "0.00001144409179688"),
        ("0.000000000000000015", "0.00000000000000002"),
        ("0.000000000000000025", "0.00000000000000002"),
        ("0.000000000000000005", "0"),
        ("9.999999999999999999e-18", "0.00000000000000001"),
        // 64 bits of mantissa, not 53.
        ("123456789012345678901234567890", "123456789012345678899921813504"),
        ("18446744073709551615", "18446744073709551615"),
        ("18446744073709551617", "18446744073709551616"),
        ("0x1.00000000000000011p64", "18446744073709551618"),
        ("0x1.000000000000000081p64", "18446744073709551616"),
        ("0x.8", "0.5"),
        ("0X1P3", "8"),
        ("-0x10", "-16"),
        ("1.e5", "100000"),
        ("-1e-20", "0"),
        // Subnormals: the smallest is about 3.6e-4951, half of it 1.82e-4951.
        ("1e-4950", "0"),
        ("1.8226e-4951", "0"),
        ("0x1p-16445", "0"),
        ("0x1.8p-16446", "0"),
    ];
    for (operand, sum) in cases {
        from_zero_is(&mut w, operand, bulk(sum));
    }
    // The largest values print in full.
    let big = from_zero(&mut w, "1e4932");
    w.check(big.starts_with(b"$4933\r\n100000000000000000000601894938796389"), "1e4932 in full");
    w.check(big.ends_with(b"41086538418113791886622720\r\n"), "1e4932's last digits");
    let top = from_zero(&mut w, "0x1p16383");
    w.check(top.starts_with(b"$4932\r\n594865747678615882542879663314"), "2^16383 in full");
    let max = from_zero(&mut w, "1.18973149535723176502e4932");
    w.check(max.starts_with(b"$4933\r\n1189731495357231765021263853"), "the largest value in full");
    for refused in ["1.18973149535723176508e4932", "0x1p16384", "1e5000", "1.8e-4951", "1.82255e-4951", "0x1p-16446"] {
        from_zero_is(&mut w, refused, NOT_FLOAT);
    }
    for refused in ["1e", "1e+", ".e5", "0x", "0x1p", "infinit", "1_0", "-nan", "0x1.8p", "1\u{0}"] {
        from_zero_is(&mut w, refused, NOT_FLOAT);
    }
    for infinite in ["Infinity", "-INF", "inf"] {
        from_zero_is(&mut w, infinite, NAN_OR_INF);
    }
    // A sum past the largest value is infinite.
    w.is(&["SET", "huge", "1e4932"], OK);
    w.is(&["INCRBYFLOAT", "huge", "1e4932"], NAN_OR_INF);
    w.is(&["INCRBYFLOAT", "huge", "-1e4932"], bulk("0"));
    // Operands of 5120 bytes or more are refused, shorter ones read.
    let long_fraction = format!("0.{}", "1".repeat(5117));
    from_zero_is(&mut w, &long_fraction, bulk("0.11111111111111111"));
    let too_long = format!("0.{}", "1".repeat(5118));
    from_zero_is(&mut w, &too_long, NOT_FLOAT);
}

#[test]
fn hincrbyfloat_rounds_as_long_double() {
    let server = Server::start();
    let mut w = Wire::open(&server);
    w.is(&["HSET", "h", "s", "abc", "i", "5", "big", "1e4932", "nul", "1\u{0}"], ":4\r\n");
    w.is(&["HINCRBYFLOAT", "h", "s", "1"], "-ERR hash value is not a float\r\n");
    w.is(&["HINCRBYFLOAT", "h", "nul", "1"], "-ERR hash value is not a float\r\n");
    w.is(&["HINCRBYFLOAT", "h", "i", "0.5"], bulk("5.5"));
    w.is(&["HINCRBYFLOAT", "h", "i", "inf"], "-ERR value is NaN or Infinity\r\n");
    w.is(&["HINCRBYFLOAT", "h", "i", "nan"], NOT_FLOAT);
    w.is(&["HINCRBYFLOAT", "h", "i", "1e5000"], NOT_FLOAT);
    w.is(&["HINCRBYFLOAT", "h", "big", "1e4932"], NAN_OR_INF);
    w.is(&["HINCRBYFLOAT", "h", "new", "0.024390243902439025"], bulk("0.02439024390243902"));
    w.is(&["HINCRBYFLOAT", "h", "new", "-0.024390243902439025"], bulk("0"));
    w.is(&["HINCRBYFLOAT", "h", "tie", "0x1p-18"], bulk("0.00000381469726562"));
}

/// A small deterministic generator (splitmix64), so a failing run can be
/// repeated.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    /// Between `low` and `high` characters drawn from `alphabet`.
    fn digits(&mut self, low: i64, high: i64, alphabet: &[u8]) -> String {
        let count = self.range(low, high);
        (0..count).map(|_| alphabet[self.next() as usize % alphabet.len()] as char).collect()
    }

    /// An operand in one of several forms.
    fn operand(&mut self) -> String {
        let sign = ["", "-", "", "+"][self.range(0, 3) as usize];
        let decimal = b"0123456789";
        let body = match self.range(0, 9) {
            0..=2 => {
                let digits = self.digits(1, 25, decimal);
                let point = self.range(0, digits.len() as i64) as usize;
                format!("{}.{}", &digits[..point], &digits[point..])
            }
            3..=5 => {
                let digits = self.digits(1, 22, decimal);
                format!("{}.{}e{}", &digits[..1], &digits[1..], self.range(-30, 30))
            }
            6 => self.digits(1, 22, decimal),
            7 => format!("0.{}{}", "0".repeat(self.range(0, 20) as usize), self.digits(1, 20, decimal)),
            8 => format!("{}e{}", self.digits(1, 60, decimal), self.range(-4990, 4940)),
            _ => format!("0x{}p{}", self.digits(1, 20, b"0123456789abcdef"), self.range(-16500, 16400)),
        };
        format!("{sign}{body}")
    }
}

/// Sends `commands` pipelined in batches and returns the raw replies.
fn replies(stream: &mut TcpStream, commands: &[Vec<String>]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(commands.len());
    for batch in commands.chunks(200) {
        let bytes: Vec<u8> = batch.iter().flat_map(|c| encode(c)).collect();
        send(stream, &bytes);
        out.extend(batch.iter().map(|_| read_reply(stream)));
    }
    out
}

#[test]
fn float_counters_match_redis_on_generated_operands() {
    let Some(reference) = Server::start_reference() else { return };
    let server = Server::start();
    let mut generator = Generator(0x1e57_f10a7);
    let mut commands = Vec::new();
    for i in 0..6000 {
        let key = format!("k{}", i % 7);
        match generator.range(0, 19) {
            0 => commands.push(vec!["DEL".to_string(), key.clone(), format!("h{key}")]),
            1 => commands.push(vec!["SET".to_string(), key.clone(), generator.operand()]),
            _ => {}
        }
        let operand = generator.operand();
        if generator.range(0, 4) == 0 {
            commands.push(vec!["HINCRBYFLOAT".to_string(), format!("h{key}"), "f".to_string(), operand]);
        } else {
            commands.push(vec!["INCRBYFLOAT".to_string(), key, operand]);
        }
    }
    let mut streams = [server.raw(), reference.raw()];
    for stream in &mut streams {
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    }
    let [ours, theirs] = streams.each_mut().map(|stream| replies(stream, &commands));
    let differences: Vec<String> = commands
        .iter()
        .zip(ours.iter().zip(&theirs))
        .filter(|(_, (a, b))| a != b)
        .map(|(command, (a, b))| format!("{command:?}: got {}, redis {}", show(a), show(b)))
        .collect();
    let floats = theirs.iter().filter(|r| r.starts_with(b"$")).count();
    assert!(floats > commands.len() / 2, "too few sums to compare: {floats}");
    assert!(
        differences.is_empty(),
        "{} of {} replies differ:\n{}",
        differences.len(),
        commands.len(),
        differences[..differences.len().min(20)].join("\n")
    );
}
