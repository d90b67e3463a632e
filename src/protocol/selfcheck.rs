//! Self-checks of the request parser on arbitrary input.
//!
//! This module exists for the fuzz targets in `fuzz/` and for the corpus
//! replay test (`tests/it/fuzz_corpus.rs`), so that every input fuzzing
//! ever saved is checked again by `cargo test` through the same code. The
//! server never calls it. Each function panics when the parser misbehaves.
//!
//! * [`check_chunked_equals_whole`] (fuzz target `resp`): arbitrary bytes
//!   fed to the parser in reads of varying sizes must give the same
//!   commands, and the same error at the same place, as the bytes parsed
//!   in one piece.
//! * [`check_inline`] (fuzz target `inline`): one inline command line
//!   parses to one argument list, to nothing or to a protocol error, the
//!   same whether it ends in `\n` or `\r\n`, and a line without quotes
//!   splits exactly at ASCII whitespace.
//!
//! The seeds in `fuzz/corpus/<target>/seed-*` are real `redis-benchmark`
//! and `redis-cli` traffic and the test suite's malformed inputs; every
//! crash case is kept in `fuzz/regressions/<target>/`, and the corpus test
//! replays both (and any local `fuzz/artifacts/`) on every `cargo test`.

use super::parser::{Parser, ProtocolError, MAX_INLINE_LEN};

/// The commands parsed from a byte stream, and what ended it.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    commands: Vec<Vec<Vec<u8>>>,
    /// The protocol error that stopped parsing, if any.
    error: Option<ProtocolError>,
    /// Bytes received but not yet part of a complete command, and whether
    /// the parser is inside a command (when there was no error).
    pending: usize,
    in_command: bool,
}

impl Outcome {
    fn new() -> Self {
        Outcome { commands: Vec::new(), error: None, pending: 0, in_command: false }
    }
}

/// Takes the command `parser` just reported complete out of `buf`.
fn take_command(parser: &Parser, buf: &[u8]) -> Vec<Vec<u8>> {
    let args = parser.args(buf);
    let command: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
    assert!(!command.is_empty(), "the parser reported a command without arguments");
    command
}

/// Parses `input` held in one buffer, as if it arrived in a single read.
fn parse_whole(input: &[u8]) -> Outcome {
    let mut parser = Parser::new();
    let mut out = Outcome::new();
    loop {
        match parser.next(input) {
            Ok(true) => out.commands.push(take_command(&parser, input)),
            Ok(false) => break,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    }
    out.pending = input.len() - parser.consumed();
    out.in_command = parser.in_command();
    out
}

/// One read of a simulated connection.
#[derive(Clone, Copy)]
struct Read {
    /// Bytes received.
    len: usize,
    /// The connection handles at most one command before it stops (as a
    /// client that blocks or must pause does), keeping the rest of its
    /// buffer, and the command it holds, for the next round.
    pause: bool,
}

/// Parses `input` arriving in the reads of `plan` (repeated until the input
/// is used up), handling the buffer as `server::conn` does: commands are
/// taken until the parser needs more bytes, then the handled bytes are
/// dropped from the front of the buffer and the parser is told with
/// `shift`. A round that stops while the parser still holds a command
/// keeps the buffer as it is.
fn parse_in_reads(input: &[u8], plan: &[Read]) -> Outcome {
    let mut parser = Parser::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Outcome::new();
    let mut fed = 0;
    let mut round = 0;
    loop {
        let read = plan[round % plan.len()];
        round += 1;
        let last = fed == input.len();
        if !last {
            let end = (fed + read.len.max(1)).min(input.len());
            buf.extend_from_slice(&input[fed..end]);
            fed = end;
        }
        // After the last read, the connection drains everything it holds.
        let budget = if read.pause && !last { 1 } else { usize::MAX };
        let mut taken = 0;
        let mut holds_command = false;
        while taken < budget {
            match parser.next(&buf) {
                Ok(true) => {
                    out.commands.push(take_command(&parser, &buf));
                    taken += 1;
                    holds_command = true;
                }
                Ok(false) => {
                    holds_command = false;
                    break;
                }
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            }
        }
        if !holds_command {
            let done = parser.consumed();
            assert!(done <= buf.len(), "consumed() = {done} is past the end of a {}-byte buffer", buf.len());
            buf.drain(..done);
            parser.shift(done);
        }
        if last && !holds_command {
            break;
        }
    }
    out.pending = buf.len() - parser.consumed();
    out.in_command = parser.in_command();
    out
}

/// Checks that parsing a byte stream in pieces gives the same commands,
/// the same error and the same unfinished remainder as parsing it whole.
///
/// Input format: the first byte's low three bits give a count `n` (0 to
/// 7); the next `n` bytes describe the reads, repeated in turn: read size
/// `(b & 0x7f) + 1`, and when `b & 0x80` the connection handles at most
/// one command after that read. With `n = 0` the reads are 1, 2, 3, … bytes.
/// The rest is the byte stream. It is also checked one byte per read.
pub fn check_chunked_equals_whole(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else { return };
    let n = ((head & 7) as usize).min(rest.len());
    let (plan_bytes, input) = rest.split_at(n);
    let plan: Vec<Read> = if plan_bytes.is_empty() {
        (1..=16).map(|len| Read { len, pause: false }).collect()
    } else {
        plan_bytes.iter().map(|&b| Read { len: (b & 0x7f) as usize + 1, pause: b & 0x80 != 0 }).collect()
    };
    let whole = parse_whole(input);
    let chunked = parse_in_reads(input, &plan);
    assert_eq!(chunked, whole, "reads of {:?} bytes differ from the whole input", plan_sizes(&plan));
    let bytewise = parse_in_reads(input, &[Read { len: 1, pause: false }]);
    assert_eq!(bytewise, whole, "one byte per read differs from the whole input");
}

fn plan_sizes(plan: &[Read]) -> Vec<String> {
    plan.iter().map(|r| format!("{}{}", r.len, if r.pause { "p" } else { "" })).collect()
}

/// Checks one inline command line: `data` up to its first newline (a
/// space is put before a leading `*`, which would start a RESP array).
///
/// The line, ended by `\n`, must parse to exactly one non-empty argument
/// list, to nothing (a blank line), or to a protocol error; without its
/// newline it must not be complete yet; ended by `\r\n` it must parse the
/// same as ended by `\n`; and a line without quotes must split exactly at
/// ASCII whitespace.
pub fn check_inline(data: &[u8]) {
    let line = match memchr::memchr(b'\n', data) {
        Some(nl) => &data[..nl],
        None => data,
    };
    let mut owned = Vec::with_capacity(line.len() + 3);
    if line.first() == Some(&b'*') {
        owned.push(b' ');
    }
    owned.extend_from_slice(line);
    let line = owned.clone();

    owned.push(b'\n');
    let lf = parse_whole(&owned);
    assert!(lf.commands.len() <= 1, "one line gave {} commands", lf.commands.len());
    assert!(!lf.in_command && lf.pending == 0, "a complete line left the parser waiting");
    if lf.error.is_none() && line.len() <= MAX_INLINE_LEN {
        if let Some(model) = split_unquoted(&line) {
            let expected: Vec<Vec<Vec<u8>>> = if model.is_empty() { vec![] } else { vec![model] };
            assert_eq!(lf.commands, expected, "an unquoted line split differently from ASCII whitespace");
        }
    }

    if line.len() <= MAX_INLINE_LEN {
        let mut parser = Parser::new();
        assert_eq!(parser.next(&line), Ok(false), "a line without its newline was taken as complete");
    }

    if line.last() != Some(&b'\r') {
        let mut crlf = line.clone();
        crlf.extend_from_slice(b"\r\n");
        let crlf = parse_whole(&crlf);
        assert_eq!(crlf.commands, lf.commands, "CRLF and LF line ends parse differently");
        assert_eq!(crlf.error.is_some(), lf.error.is_some(), "CRLF and LF line ends parse differently");
    }
}

/// The arguments of a line with no quote characters (backslashes are then
/// literal), split by Redis's rules. `None` if it has quotes.
fn split_unquoted(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    if line.iter().any(|&c| c == b'"' || c == b'\'') {
        return None;
    }
    // Redis's rules: a NUL ends the line; space, tab, CR and LF end an
    // argument; vertical tab and form feed are skipped only before one.
    let line = &line[..line.iter().position(|&c| c == 0).unwrap_or(line.len())];
    let pieces = line.split(|&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
    let trimmed = pieces.map(|p| &p[p.iter().position(|&c| c != 0x0b && c != 0x0c).unwrap_or(p.len())..]);
    Some(trimmed.filter(|a| !a.is_empty()).map(|a| a.to_vec()).collect())
}
