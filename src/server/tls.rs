//! One TLS connection's record I/O in the event loop: a rustls session
//! beside the connection's non-blocking socket; a server session for a
//! client accepted on the TLS port, a client session for a replica's link
//! to its primary (`tls-replication yes`).
//!
//! Reading feeds the socket's bytes to rustls (`read_tls`), lets it
//! decrypt (`process_new_packets`) and drains the plaintext into the
//! connection's own read buffer, where the parser reads it as it reads a
//! plain connection's; writing moves the pending replies of the output
//! buffer into rustls (`writer`) and sends the records it makes
//! (`write_tls`) until the socket would block. The handshake runs through
//! the same two steps: what rustls has to send counts as pending output
//! ([`unsent`]), so the loop writes it as it writes replies.
//!
//! A peer that is not speaking TLS (a plain-text client on the TLS port)
//! or fails the handshake (no certificate where one is required, one the
//! CA did not sign) makes `process_new_packets` fail: rustls's alert is
//! sent if the socket takes it, and the read fails, which closes only
//! that connection with a debug log line.
//!
//! # Invariants
//!
//! * Every plaintext byte rustls has decrypted is moved to the read
//!   buffer before the next `read_tls` (rustls refuses to read on while
//!   its plaintext buffer is full).
//! * Plain connections never come here: [`Conn`] takes this path only
//!   when it holds a session.

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;

use log::debug;
use mio::net::TcpStream;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

use super::conn::{Conn, ReadOutcome, READ_CHUNK};

/// The rustls side of a TLS connection.
pub struct TlsSession {
    session: Connection,
    /// The peer's address, for the log line of a failed handshake.
    peer: SocketAddr,
}

impl TlsSession {
    /// A session for a connection just accepted on the TLS port, with the
    /// configuration in force now (a later `CONFIG SET tls-cert-file`
    /// does not change it).
    pub fn new(config: Arc<ServerConfig>, peer: SocketAddr) -> Result<TlsSession, rustls::Error> {
        Ok(TlsSession { session: Connection::Server(ServerConnection::new(config)?), peer })
    }

    /// A session for a connection this server opens to `host` (a
    /// replica's link to its primary), checking its certificate for that
    /// name or address.
    pub fn client(config: Arc<ClientConfig>, host: &str, peer: SocketAddr) -> Result<TlsSession, String> {
        let name = ServerName::try_from(host.to_string()).map_err(|e| format!("{host}: {e}"))?;
        let session = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        Ok(TlsSession { session: Connection::Client(session), peer })
    }
}

/// Whether rustls holds records (handshake messages, encrypted replies,
/// an alert) not yet written to the socket: 1 if so, for the pending
/// output count.
#[inline]
pub fn unsent(tls: &TlsSession) -> usize {
    tls.session.wants_write() as usize
}

/// The socket as `read_tls` sees it, noting whether a read came back
/// short: then the socket is drained for now, as for a plain connection.
struct ShortReadProbe<'a> {
    stream: &'a mut TcpStream,
    short: bool,
}

impl Read for ShortReadProbe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

/// One `read_tls` from the socket, then every plaintext byte it yields
/// into the read buffer. Returns what the read found and the plaintext
/// bytes added; a TLS error (a bad handshake, a plain-text peer) is an
/// `InvalidData` error.
pub(super) fn read_once(conn: &mut Conn) -> io::Result<(ReadOutcome, usize)> {
    let Conn { stream, tls, rbuf, rlen, .. } = conn;
    let TlsSession { session, peer } = &mut **tls.as_mut().expect("a TLS connection");
    let mut probe = ShortReadProbe { stream, short: false };
    let mut outcome = loop {
        match session.read_tls(&mut probe) {
            Ok(0) => break ReadOutcome::Closed,
            Ok(_) if probe.short => break ReadOutcome::Drained,
            Ok(_) => break ReadOutcome::More,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break ReadOutcome::Drained,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if let Err(e) = session.process_new_packets() {
        if session.is_handshaking() {
            debug!("TLS handshake with {peer} failed: {e}");
        }
        // Tell the peer why, if the socket takes it now.
        let _ = session.write_tls(stream);
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {e}")));
    }
    let mut added = 0;
    loop {
        if rbuf.len() == *rlen {
            rbuf.resize(*rlen + READ_CHUNK, 0);
        }
        match session.reader().read(&mut rbuf[*rlen..]) {
            Ok(0) => {
                // The peer's close_notify: no more input will come.
                outcome = ReadOutcome::Closed;
                break;
            }
            Ok(n) => {
                *rlen += n;
                added += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                outcome = ReadOutcome::Closed;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((outcome, added))
}

/// Moves pending replies into rustls and writes its records until the
/// socket would block or nothing is left. Returns the plaintext bytes
/// taken from the output buffer.
pub(super) fn flush(conn: &mut Conn) -> io::Result<usize> {
    let Conn { stream, tls, wbuf, wpos, .. } = conn;
    let session = &mut tls.as_mut().expect("a TLS connection").session;
    let mut taken = 0;
    loop {
        let mut moved = 0;
        if *wpos < wbuf.len() {
            // rustls takes up to its buffer limit, then waits for its
            // records to be written.
            moved = session.writer().write(&wbuf[*wpos..])?;
            *wpos += moved;
            taken += moved;
        }
        if !session.wants_write() {
            if moved == 0 {
                break;
            }
            continue;
        }
        match session.write_tls(stream) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(taken)
}

/// Sends close_notify before the connection is dropped, if the socket
/// takes it now.
pub(super) fn say_goodbye(conn: &mut Conn) {
    if let Some(tls) = conn.tls.as_mut() {
        tls.session.send_close_notify();
        let _ = tls.session.write_tls(&mut conn.stream);
    }
}
