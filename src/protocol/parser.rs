//! Incremental request parser.
//!
//! A connection appends whatever it reads to its read buffer and calls
//! [`Parser::next`] until it answers `Ok(false)` (need more bytes). The
//! parser remembers how far it got inside a partially received command, so
//! a command split across many reads is parsed in time proportional to its
//! size, and many commands in one read (pipelining) are parsed one by one
//! without copying: RESP arguments are `(start, end)` spans into the read
//! buffer. Inline commands (text lines as `nc` sends them) are unescaped
//! into a small scratch buffer owned by the parser instead.
//!
//! Limits, each a [`ProtocolError`] that closes the connection: bulk
//! strings over 512 MiB, arrays over 1,048,576 elements, inline lines over
//! 64 KiB, malformed or negative lengths.

use memchr::memchr;

/// Largest bulk string accepted (Redis's `proto-max-bulk-len`).
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Largest number of elements in a request array.
pub const MAX_MULTIBULK_LEN: usize = 1024 * 1024;
/// Longest inline command line, and longest `*`/`$` header line.
pub const MAX_INLINE_LEN: usize = 64 * 1024;

/// A protocol violation. The text is sent as `-ERR Protocol error: <text>`
/// and the connection is closed once the reply is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl ProtocolError {
    fn new(text: &str) -> Self {
        ProtocolError(text.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between commands.
    Idle,
    /// Inside a RESP array: `remaining` bulk strings still to read.
    Array { remaining: usize },
    /// Inside a RESP array, waiting for a bulk payload of `len` bytes.
    Bulk { remaining: usize, len: usize },
}

/// Incremental parser state of one connection.
#[derive(Debug)]
pub struct Parser {
    state: State,
    /// Offset in the read buffer where parsing resumes.
    pos: usize,
    /// Offset where the command being parsed starts.
    command_start: usize,
    /// Argument spans of the command being parsed (into the read buffer, or
    /// into `inline` when `is_inline`).
    spans: Vec<(usize, usize)>,
    inline: Vec<u8>,
    is_inline: bool,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

/// The arguments of one parsed command, borrowed from the read buffer (or
/// the inline scratch buffer). `args.get(0)` is the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    base: &'a [u8],
    spans: &'a [(usize, usize)],
    /// The whole command as received, when it came as a RESP array
    /// ([`Args::wire_form`]).
    wire: Option<&'a [u8]>,
}

impl<'a> Args<'a> {
    /// Arguments backed by `base`, one `(start, end)` span each.
    pub fn new(base: &'a [u8], spans: &'a [(usize, usize)]) -> Self {
        Args { base, spans, wire: None }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i`; panics when out of range (arity is checked before any
    /// handler runs).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let (start, end) = self.spans[i];
        &self.base[start..end]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + Clone + 'a {
        let base = self.base;
        self.spans.iter().map(move |&(s, e)| &base[s..e])
    }

    /// The first `count` arguments.
    pub fn head(&self, count: usize) -> Args<'a> {
        Args { base: self.base, spans: &self.spans[..count.min(self.spans.len())], wire: None }
    }

    /// The arguments from index `from` on.
    pub fn tail(&self, from: usize) -> Args<'a> {
        Args { base: self.base, spans: &self.spans[from.min(self.spans.len())..], wire: None }
    }

    /// The bytes these arguments arrived as, when they are exactly the
    /// RESP array of bulk strings that encodes them (`*<n>\r\n`, then
    /// `$<length>\r\n<argument>\r\n` each, no leading zeros): a whole
    /// command a client sent the usual way, which a primary can stream as
    /// it is, in one copy. `None` for an inline command, part of a command
    /// ([`Args::head`], [`Args::tail`]) or arguments made elsewhere.
    #[inline]
    pub fn wire_form(&self) -> Option<&'a [u8]> {
        // The parser checked the syntax of every header; a length header
        // can only be written longer than the canonical way (a sign, a
        // leading zero), so the bytes are canonical when the sizes agree.
        let received = self.wire?;
        let mut canonical = canonical_line_len(self.spans.len());
        for &(start, end) in self.spans {
            canonical += canonical_line_len(end - start) + (end - start) + 2;
        }
        (canonical == received.len()).then_some(received)
    }
}

/// Bytes of `<prefix><n>\r\n` written the canonical way.
#[inline]
fn canonical_line_len(n: usize) -> usize {
    let digits = match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        _ => n.ilog10() as usize + 1,
    };
    digits + 3
}

impl Parser {
    pub fn new() -> Self {
        Parser { state: State::Idle, pos: 0, command_start: 0, spans: Vec::new(), inline: Vec::new(), is_inline: false }
    }

    /// Parses the next complete command from `buf` (the connection's read
    /// buffer, of which the first [`Parser::consumed`] bytes are already
    /// handled). `Ok(true)`: a command is ready in [`Parser::args`];
    /// `Ok(false)`: more bytes are needed.
    pub fn next(&mut self, buf: &[u8]) -> Result<bool, ProtocolError> {
        loop {
            match self.state {
                State::Idle => {
                    self.spans.clear();
                    self.is_inline = false;
                    self.command_start = self.pos;
                    if self.pos >= buf.len() {
                        return Ok(false);
                    }
                    if buf[self.pos] == b'*' {
                        let Some((value, next)) = header_line(buf, self.pos, "too big mbulk count string")? else {
                            return Ok(false);
                        };
                        let count =
                            parse_length(value).ok_or_else(|| ProtocolError::new("invalid multibulk length"))?;
                        self.pos = next;
                        match count {
                            // `*0` and `*-1` are empty requests: ignored.
                            n if n <= 0 => continue,
                            n if n as usize > MAX_MULTIBULK_LEN => {
                                return Err(ProtocolError::new("invalid multibulk length"));
                            }
                            n => {
                                // Reserve for small arrays only: a huge
                                // header must not allocate before its
                                // elements arrive.
                                self.spans.reserve((n as usize).min(1024));
                                self.state = State::Array { remaining: n as usize };
                            }
                        }
                    } else {
                        return self.parse_inline(buf);
                    }
                }
                State::Array { remaining: 0 } => {
                    self.state = State::Idle;
                    return Ok(true);
                }
                State::Array { remaining } => {
                    if self.pos >= buf.len() {
                        return Ok(false);
                    }
                    if buf[self.pos] != b'$' {
                        let got = buf[self.pos] as char;
                        return Err(ProtocolError(format!("expected '$', got '{got}'")));
                    }
                    let Some((value, next)) = header_line(buf, self.pos, "too big bulk count string")? else {
                        return Ok(false);
                    };
                    let len = match parse_length(value) {
                        Some(n) if n >= 0 && n as usize <= MAX_BULK_LEN => n as usize,
                        _ => return Err(ProtocolError::new("invalid bulk length")),
                    };
                    self.pos = next;
                    self.state = State::Bulk { remaining, len };
                }
                State::Bulk { remaining, len } => {
                    let end = self.pos + len;
                    if buf.len() < end + 2 {
                        return Ok(false);
                    }
                    if &buf[end..end + 2] != b"\r\n" {
                        return Err(ProtocolError::new("expected CRLF after bulk string"));
                    }
                    self.spans.push((self.pos, end));
                    self.pos = end + 2;
                    self.state = State::Array { remaining: remaining - 1 };
                }
            }
        }
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<bool, ProtocolError> {
        let rest = &buf[self.pos..];
        let Some(nl) = memchr(b'\n', rest) else {
            if rest.len() > MAX_INLINE_LEN {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(false);
        };
        if nl > MAX_INLINE_LEN {
            return Err(ProtocolError::new("too big inline request"));
        }
        let mut line = &rest[..nl];
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        self.pos += nl + 1;
        self.inline.clear();
        self.spans.clear();
        split_inline(line, &mut self.inline, &mut self.spans)?;
        self.is_inline = true;
        // An empty line is no command: the caller asks again.
        Ok(!self.spans.is_empty() || self.next(buf)?)
    }

    /// The arguments of the command last reported complete by `next`.
    pub fn args<'a>(&'a self, buf: &'a [u8]) -> Args<'a> {
        let base = if self.is_inline { &self.inline[..] } else { buf };
        let whole = !self.is_inline && self.state == State::Idle;
        let wire = whole.then(|| &buf[self.command_start..self.pos]);
        Args { base, spans: &self.spans, wire }
    }

    /// Bytes at the front of the read buffer that no pending command needs
    /// any more; the caller may drop them and must then call
    /// [`Parser::shift`] with the same count.
    pub fn consumed(&self) -> usize {
        match self.state {
            State::Idle => self.pos,
            _ => self.command_start,
        }
    }

    /// Tells the parser that the first `n` bytes of the buffer were removed.
    pub fn shift(&mut self, n: usize) {
        self.pos -= n;
        // Between commands the start offset is stale; inside one it is at
        // least `n` (`consumed` never passes it).
        self.command_start = self.command_start.saturating_sub(n);
        if !self.is_inline {
            for span in &mut self.spans {
                span.0 -= n;
                span.1 -= n;
            }
        }
    }

    /// Bytes the read buffer must hold to finish the bulk string being
    /// received, so the caller can reserve it in one step.
    pub fn bytes_wanted(&self, buf_len: usize) -> usize {
        match self.state {
            State::Bulk { len, .. } => (self.pos + len + 2).saturating_sub(buf_len),
            _ => 0,
        }
    }

    /// True while a command is partly received.
    pub fn in_command(&self) -> bool {
        self.state != State::Idle
    }
}

/// Reads the `*N` / `$N` header line at `pos`. Returns the text after the
/// type byte and the offset after the line end, `None` if the line is not
/// complete yet.
fn header_line<'a>(buf: &'a [u8], pos: usize, too_big: &str) -> Result<Option<(&'a [u8], usize)>, ProtocolError> {
    let rest = &buf[pos..];
    match memchr(b'\r', rest) {
        Some(cr) if cr > MAX_INLINE_LEN => Err(ProtocolError::new(too_big)),
        Some(cr) if cr + 1 < rest.len() => {
            if rest[cr + 1] != b'\n' {
                return Err(ProtocolError::new("expected CRLF after length"));
            }
            Ok(Some((&rest[1..cr], pos + cr + 2)))
        }
        Some(_) => Ok(None),
        None if rest.len() > MAX_INLINE_LEN => Err(ProtocolError::new(too_big)),
        None => Ok(None),
    }
}

/// Parses a decimal length (optional leading `-`), rejecting anything else.
fn parse_length(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + (d - b'0') as i64;
    }
    Some(if negative { -value } else { value })
}

/// Splits an inline line into arguments with Redis's quoting rules:
/// `"..."` understands `\n \r \t \b \a \" \\ \xHH`, `'...'` only `\'`; a
/// closing quote must be followed by a space or the end of the line. As
/// in Redis, a NUL byte ends the line.
fn split_inline(line: &[u8], out: &mut Vec<u8>, spans: &mut Vec<(usize, usize)>) -> Result<(), ProtocolError> {
    let line = &line[..memchr(0, line).unwrap_or(line.len())];
    let unbalanced = || ProtocolError::new("unbalanced quotes in request");
    let mut i = 0;
    loop {
        while i < line.len() && is_c_space(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            return Ok(());
        }
        let start = out.len();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            if in_double {
                let Some(&c) = line.get(i) else { return Err(unbalanced()) };
                if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' && is_hex_pair(line[i + 2], line[i + 3]) {
                    out.push(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3]));
                    i += 4;
                } else if c == b'\\' && i + 1 < line.len() {
                    out.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if line.get(i + 1).is_some_and(|&c| !is_c_space(c)) {
                        return Err(unbalanced());
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if in_single {
                let Some(&c) = line.get(i) else { return Err(unbalanced()) };
                if c == b'\\' && line.get(i + 1) == Some(&b'\'') {
                    out.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if line.get(i + 1).is_some_and(|&c| !is_c_space(c)) {
                        return Err(unbalanced());
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(&c) if ends_unquoted(c) => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(&c) => out.push(c),
                }
                i += 1;
            }
        }
        spans.push((start, out.len()));
    }
}

/// C's `isspace`: what separates inline arguments.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// What ends an unquoted inline argument (a vertical tab or form feed
/// inside one is kept, as Redis keeps it).
fn ends_unquoted(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_hex_pair(a: u8, b: u8) -> bool {
    a.is_ascii_hexdigit() && b.is_ascii_hexdigit()
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        while parser.next(input)? {
            out.push(parser.args(input).iter().map(|a| a.to_vec()).collect());
        }
        Ok(out)
    }

    /// Feeds `input` in pieces of `chunk` bytes, compacting like a
    /// connection does.
    fn parse_chunked(input: &[u8], chunk: usize) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut parser = Parser::new();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            buf.extend_from_slice(piece);
            while parser.next(&buf)? {
                out.push(parser.args(&buf).iter().map(|a| a.to_vec()).collect());
            }
            let done = parser.consumed();
            buf.drain(..done);
            parser.shift(done);
        }
        Ok(out)
    }

    #[test]
    fn resp_and_inline_in_any_chunking() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhe\r\no\r\nGET a\r\n\r\n*0\r\nPING\n*1\r\n$4\r\nPING\r\n";
        let whole = parse_all(input).unwrap();
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0][2], b"he\r\no");
        for chunk in 1..input.len() {
            assert_eq!(parse_chunked(input, chunk).unwrap(), whole, "chunk {chunk}");
        }
    }

    #[test]
    fn inline_quoting() {
        let got = parse_all(b"set \"a b\" 'c d' \"\\x41\\n\" x\n").unwrap();
        assert_eq!(got[0], vec![b"set".to_vec(), b"a b".to_vec(), b"c d".to_vec(), b"A\n".to_vec(), b"x".to_vec()]);
        assert!(parse_all(b"set \"a\n").is_err());
        assert!(parse_all(b"set \"a\"b\n").is_err());
        // Vertical tab and form feed separate arguments only where they
        // lead; inside an argument they are kept. NUL ends the line.
        let got = parse_all(b"ECHO \x0bx a\x0cb c\0d\n").unwrap();
        assert_eq!(got[0], vec![b"ECHO".to_vec(), b"x".to_vec(), b"a\x0cb".to_vec(), b"c".to_vec()]);
    }

    /// The wire form of each command in `input`, as the parser gives it.
    fn wire_forms(input: &[u8]) -> Vec<Option<Vec<u8>>> {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        while parser.next(input).unwrap() {
            out.push(parser.args(input).wire_form().map(<[u8]>::to_vec));
        }
        out
    }

    #[test]
    fn the_wire_form_is_exactly_a_canonical_command() {
        let set = b"*3\r\n$3\r\nSET\r\n$12\r\nkey:00000001\r\n$0\r\n\r\n".to_vec();
        let big = [b"*2\r\n$4\r\nECHO\r\n$1000\r\n".to_vec(), vec![b'\n'; 1000], b"\r\n".to_vec()].concat();
        let mut input = set.clone();
        input.extend_from_slice(b"SET a b\r\n");
        input.extend_from_slice(&big);
        // Leading zeros are read as the same length, but are not the
        // canonical form.
        input.extend_from_slice(b"*1\r\n$04\r\nPING\r\n*01\r\n$4\r\nPING\r\n");
        assert_eq!(wire_forms(&input), vec![Some(set.clone()), None, Some(big), None, None]);
        // Part of a command is not a command.
        let mut parser = Parser::new();
        assert!(parser.next(&set).unwrap());
        let args = parser.args(&set);
        assert!(args.head(2).wire_form().is_none());
        assert!(args.tail(1).wire_form().is_none());
        // Arguments laid out otherwise.
        let spans = [(0, 3), (3, 4)];
        assert!(Args::new(b"GETa", &spans).wire_form().is_none());
    }

    #[test]
    fn limits() {
        assert!(parse_all(b"*abc\r\n").is_err());
        assert!(parse_all(b"*1\r\n$-5\r\n").is_err());
        assert!(parse_all(b"*1\r\n$600000000\r\n").is_err());
        assert!(parse_all(b"*2000000\r\n").is_err());
        assert_eq!(parse_all(b"*1\r\n+foo\r\n").unwrap_err().0, "expected '$', got '+'");
        assert!(parse_all(&vec![b'a'; MAX_INLINE_LEN + 2]).is_err());
    }
}
