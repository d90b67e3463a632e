//! One client connection's I/O state: the socket, the read buffer with its
//! incremental parser, and the output buffer. The session state commands
//! see lives in `state::Client` under the same slab key.
//!
//! A connection accepted on the TLS port also holds a rustls session;
//! its reads and writes go through `super::tls` into and out of the same
//! two buffers, and a plain connection's path is unchanged.

use std::fs::File;
use std::io::{self, Read, Write};

use mio::net::TcpStream;

use super::tls::{self, TlsSession};
use crate::protocol::Parser;

/// Smallest free space offered to each `read` call.
pub(super) const READ_CHUNK: usize = 16 * 1024;
/// Largest read buffer kept around while idle.
const IDLE_READ_BUFFER: usize = 64 * 1024;
/// Largest output buffer kept around once drained.
const IDLE_WRITE_BUFFER: usize = 64 * 1024;
/// Bytes of a file read into the output buffer at a time.
const FILE_CHUNK: usize = 256 * 1024;
/// Bytes of a file one [`Conn::flush`] sends at most, so that a fast
/// reader does not hold the loop (the loop calls again next round).
const FILE_BUDGET: usize = 8 * 1024 * 1024;

/// A file being sent after the output buffer, a chunk at a time as the
/// socket drains (an RDB transfer): the loop never holds all of it.
pub struct FileSource {
    pub file: File,
    /// Bytes still to send.
    pub left: u64,
    /// A CRLF follows the file (a bulk string's end).
    pub crlf: bool,
}

/// What a read attempt found.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// New bytes are in the buffer; the socket may have more.
    More,
    /// New bytes (possibly none) and the socket is drained for now.
    Drained,
    /// The peer closed its side.
    Closed,
}

pub struct Conn {
    pub stream: TcpStream,
    /// Read buffer; only `rbuf[..rlen]` holds data (the rest is zeroed
    /// spare room, so reads need no unsafe code).
    pub rbuf: Vec<u8>,
    pub rlen: usize,
    pub parser: Parser,
    /// Replies not yet written; `wbuf[wpos..]` is pending.
    pub wbuf: Vec<u8>,
    pub wpos: usize,
    /// Close once the pending output is written (protocol error, QUIT, EOF).
    pub closing: bool,
    /// Reading stopped because the client does not read its replies.
    pub read_paused: bool,
    /// The peer half-closed: no more input will come.
    pub eof: bool,
    /// Listed in the loop's queue of connections to write.
    pub write_queued: bool,
    /// The parser's last answer was a command (its argument spans still
    /// point into `rbuf`): compacting must wait for the next answer.
    pub holds_command: bool,
    /// That command waits for `CLIENT PAUSE` to end: it runs before the
    /// parser is asked for the next one.
    pub postponed: bool,
    /// Since when a pub/sub client's unsent output is over the soft limit.
    pub soft_limit_since: Option<std::time::Instant>,
    /// The log offset that must be durable before this connection's
    /// output may be sent (its last change's record).
    pub aof_hold: u64,
    /// The rustls session of a connection accepted on the TLS port.
    pub tls: Option<Box<TlsSession>>,
    /// A file to send once the output buffer is written.
    pub source: Option<FileSource>,
    /// The file of `source` was sent in full (the loop then lets the
    /// client go on).
    pub source_done: bool,
}

/// A connection's read buffer, output buffer and parser, out of the
/// connection while the command they hold runs: the arguments borrow the
/// read buffer and the reply goes to the output buffer, and meanwhile the
/// connection table is free for a long script to serve other clients.
pub struct CommandIo {
    pub rbuf: Vec<u8>,
    pub wbuf: Vec<u8>,
    pub parser: Parser,
}

impl Conn {
    pub fn new(stream: TcpStream, tls: Option<Box<TlsSession>>) -> Conn {
        Conn {
            stream,
            rbuf: Vec::new(),
            rlen: 0,
            parser: Parser::new(),
            wbuf: Vec::new(),
            wpos: 0,
            closing: false,
            read_paused: false,
            postponed: false,
            eof: false,
            write_queued: false,
            holds_command: false,
            soft_limit_since: None,
            aof_hold: 0,
            tls,
            source: None,
            source_done: false,
        }
    }

    /// Bytes of replies waiting to be written (on a TLS connection, one
    /// more while rustls holds records to send).
    #[inline]
    pub fn pending_output(&self) -> usize {
        self.wbuf.len() - self.wpos + self.tls.as_deref().map_or(0, tls::unsent)
    }

    /// One `read` call into the buffer's spare room.
    pub fn read_once(&mut self) -> io::Result<(ReadOutcome, usize)> {
        let wanted = self.parser.bytes_wanted(self.rlen).max(READ_CHUNK);
        if self.rbuf.len() - self.rlen < READ_CHUNK {
            // Grow to fit a large bulk string being received in one step,
            // but never by more than 64 MiB at a time.
            let grow = wanted.clamp(READ_CHUNK, 64 * 1024 * 1024);
            self.rbuf.resize(self.rlen + grow, 0);
        }
        if self.tls.is_some() {
            return tls::read_once(self);
        }
        loop {
            match self.stream.read(&mut self.rbuf[self.rlen..]) {
                Ok(0) => return Ok((ReadOutcome::Closed, 0)),
                Ok(n) => {
                    let room = self.rbuf.len() - self.rlen;
                    self.rlen += n;
                    // A short read means the socket had no more for now;
                    // with edge-triggered readiness, later data raises a
                    // new event.
                    let outcome = if n < room { ReadOutcome::Drained } else { ReadOutcome::More };
                    return Ok((outcome, n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((ReadOutcome::Drained, 0)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes the buffers and the parser out while the parsed command
    /// runs (see [`CommandIo`]).
    pub fn take_io(&mut self) -> CommandIo {
        CommandIo {
            rbuf: std::mem::take(&mut self.rbuf),
            wbuf: std::mem::take(&mut self.wbuf),
            parser: std::mem::take(&mut self.parser),
        }
    }

    /// Puts back what [`Conn::take_io`] took.
    pub fn restore_io(&mut self, io: CommandIo) {
        self.rbuf = io.rbuf;
        self.wbuf = io.wbuf;
        self.parser = io.parser;
    }

    /// Drops the bytes the parser no longer needs from the read buffer.
    pub fn compact_input(&mut self) {
        let done = self.parser.consumed();
        if done == 0 {
            return;
        }
        self.rbuf.copy_within(done..self.rlen, 0);
        self.rlen -= done;
        self.parser.shift(done);
        if self.rlen == 0 && self.rbuf.len() > IDLE_READ_BUFFER {
            self.rbuf = Vec::new();
        }
    }

    /// Writes as much pending output as the socket takes, then as much of
    /// the file being sent (up to a budget per call). Returns the bytes
    /// written.
    pub fn flush(&mut self) -> io::Result<usize> {
        let mut written = self.flush_buffer()?;
        let mut budget = FILE_BUDGET;
        while self.source.is_some() && self.pending_output() == 0 && budget > 0 {
            budget = budget.saturating_sub(self.refill()?);
            written += self.flush_buffer()?;
        }
        Ok(written)
    }

    /// Moves the next chunk of the file being sent into the output
    /// buffer; returns its size.
    fn refill(&mut self) -> io::Result<usize> {
        let Some(source) = self.source.as_mut() else { return Ok(0) };
        let want = (source.left as usize).min(FILE_CHUNK);
        let start = self.wbuf.len();
        self.wbuf.resize(start + want, 0);
        let mut filled = 0;
        while filled < want {
            match source.file.read(&mut self.wbuf[start + filled..]) {
                Ok(0) => {
                    self.wbuf.truncate(start + filled);
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the file being sent shrank"));
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.wbuf.truncate(start + filled);
                    return Err(e);
                }
            }
        }
        source.left -= want as u64;
        if source.left == 0 {
            if source.crlf {
                self.wbuf.extend_from_slice(b"\r\n");
            }
            self.source = None;
            self.source_done = true;
        }
        Ok(want)
    }

    /// Writes as much of the output buffer as the socket takes.
    fn flush_buffer(&mut self) -> io::Result<usize> {
        if self.tls.is_some() {
            let taken = tls::flush(self)?;
            self.settle_output();
            return Ok(taken);
        }
        let mut written = 0;
        while self.wpos < self.wbuf.len() {
            match self.stream.write(&self.wbuf[self.wpos..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.wpos += n;
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        self.settle_output();
        Ok(written)
    }

    /// Resets the output buffer once drained (shrinking a large one), or
    /// drops a large written prefix.
    #[inline]
    fn settle_output(&mut self) {
        if self.wpos == self.wbuf.len() {
            self.wbuf.clear();
            self.wpos = 0;
            if self.wbuf.capacity() > IDLE_WRITE_BUFFER {
                self.wbuf = Vec::new();
            }
        } else if self.wpos > 1024 * 1024 && self.wpos * 2 > self.wbuf.len() {
            self.wbuf.drain(..self.wpos);
            self.wpos = 0;
        }
    }
}
