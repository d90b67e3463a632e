//! A replica's link to its primary: the outgoing connection, the
//! handshake, the full resynchronization and the stream.
//!
//! The link is a connection of the loop like any other (its slab key
//! names a [`Conn`] and a session with `primary_link` set), driven by
//! [`Server::on_link_event`] instead of the client path:
//!
//! 1. connect (without blocking; the connection's first writable event
//!    says it is made); with `tls-replication yes` the connection holds a
//!    rustls client session (`super::tls`), whose handshake runs through
//!    the same reads and writes as everything after it;
//! 2. the handshake, one command and one reply line at a time: `PING`,
//!    `AUTH [masteruser] masterauth` when set, `REPLCONF listening-port`
//!    (`replica-announce-port` when set), `REPLCONF ip-address` when
//!    `replica-announce-ip` is set, `REPLCONF capa eof capa psync2`, then `PSYNC <replid> <offset+1>`
//!    (or `PSYNC ? -1` for a replica that never synchronized);
//! 3. `+CONTINUE [<replid>]`: the stream continues where it was (a new
//!    ID is taken, the old one kept as `replid2`); `+FULLRESYNC <replid>
//!    <offset>`: the RDB file follows, as `$<length>\r\n<bytes>` or, from
//!    a disk-less primary, `$EOF:<40-byte mark>\r\n<bytes><mark>`
//!    (newlines before it are the primary's keep-alives). The file
//!    replaces the dataset a step per round of the loop, which answers
//!    `-LOADING` meanwhile to commands without the `loading` flag, and
//!    the stream waits until a snapshot of the new dataset is written
//!    (see `sync_load`);
//! 4. the stream: each command runs through `cmd::execute` as
//!    `Caller::Primary` in the link's session (replies dropped) and is
//!    logged like any write, so a replica survives its restart; its bytes
//!    then enter this server's own stream as they were received
//!    (`state::replication`), and the offset advances by them.
//!    `REPLCONF GETACK` is answered with `REPLCONF ACK <offset>`, which is
//!    also sent every second (a newline while the file loads).
//!
//! A failure anywhere (refused, closed, a bad reply, `repl-timeout`
//! seconds without a byte) drops the connection; the tick connects again
//! a second later and asks to continue from the offset reached.

use std::io;
use std::net::ToSocketAddrs;

use log::{info, warn};
use mio::net::TcpStream;

use super::tls::TlsSession;
use mio::{Interest, Token};

use super::conn::Conn;
use super::delivery::{deliver_outbox, serve_ready};
use super::sync_load::SyncLoad;
use super::Server;
use crate::cmd::{self, Caller, Ctx};
use crate::persist::aof::encode_command;
use crate::protocol::Reply;
use crate::state::replication::{FailoverState, LinkState};
use crate::state::Client;
use crate::store::Expiry;

/// Where the link is in its exchange with the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Ping,
    Auth,
    Port,
    Ip,
    Capa,
    Psync,
    /// Receiving the RDB file: its form once the header is read.
    Rdb(Option<Payload>),
    /// Loading the file (see `sync_load`); the stream waits.
    Loading,
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    Length(usize),
    Mark([u8; 40]),
}

/// The link's connection and where it stands.
pub(super) struct Link {
    pub key: usize,
    phase: Phase,
    /// What `+FULLRESYNC` announced.
    full: Option<(String, u64)>,
    last_ack_ms: i64,
    /// The file being loaded.
    pub(super) load: Option<Box<SyncLoad>>,
}

/// Why the link is dropped.
type Failure = String;

impl Server {
    /// Acts on `REPLICAOF`: drops a link the settings no longer want and
    /// starts the one they want.
    pub(super) fn link_control(&mut self) {
        let wanted = self.state.repl.primary.as_ref().map(|p| p.restart);
        match wanted {
            None => {
                if self.link.is_some() {
                    self.drop_link("this server is a primary now");
                }
                self.settle_full_sync_on_promotion();
            }
            Some(true) => {
                if self.link.is_some() {
                    self.drop_link("the primary changed");
                }
                if let Some(primary) = &mut self.state.repl.primary {
                    primary.restart = false;
                }
                self.connect_link();
            }
            Some(false) => {}
        }
    }

    /// The link's part of the tick: connects again after a failure,
    /// acknowledges the offset every second, and gives up on a primary
    /// silent for `repl-timeout` seconds.
    pub(super) fn link_tick(&mut self) {
        let Some(primary) = &self.state.repl.primary else { return };
        let now = self.now_ms;
        let timeout_ms = self.state.param("repl-timeout").and_then(|v| v.parse::<i64>().ok()).unwrap_or(60) * 1000;
        let Some(link) = &self.link else {
            // Once a second.
            if primary.state == LinkState::Connect && now - primary.last_attempt_ms >= 1000 {
                self.connect_link();
            }
            return;
        };
        if now - primary.last_io_ms > timeout_ms.max(1000) {
            self.drop_link("timeout: no data from the primary");
            return;
        }
        if link.phase == Phase::Stream && now - link.last_ack_ms >= 1000 {
            self.send_ack();
        } else if link.phase == Phase::Loading && now - link.last_ack_ms >= 1000 {
            self.send_keepalive();
        }
    }

    /// Starts connecting to the primary; on an immediate failure the
    /// tick tries again.
    fn connect_link(&mut self) {
        let Some(primary) = &mut self.state.repl.primary else { return };
        let now = self.now_ms;
        primary.last_attempt_ms = now;
        primary.restart = false;
        let address = (primary.host.as_str(), primary.port).to_socket_addrs().ok().and_then(|mut a| a.next());
        let Some(address) = address else {
            warn!("cannot resolve the primary {}:{}", primary.host, primary.port);
            primary.state = LinkState::Connect;
            return;
        };
        let mut stream = match TcpStream::connect(address) {
            Ok(stream) => stream,
            Err(e) => {
                warn!("cannot connect to the primary {address}: {e}");
                primary.state = LinkState::Connect;
                return;
            }
        };
        primary.state = LinkState::Connecting;
        primary.last_io_ms = now;
        let entry = self.conns.vacant_entry();
        let key = entry.key();
        if let Err(e) = self.poll.registry().register(&mut stream, Token(key), Interest::READABLE | Interest::WRITABLE)
        {
            warn!("cannot register the link to the primary: {e}");
            primary.state = LinkState::Connect;
            return;
        }
        let _ = stream.set_nodelay(true);
        let tls = if self.state.config.tls_replication {
            let session = self
                .state
                .config
                .tls
                .replication_config()
                .and_then(|config| TlsSession::client(config, &primary.host, address));
            match session {
                Ok(session) => Some(Box::new(session)),
                Err(e) => {
                    warn!("cannot speak TLS to the primary {address} (tls-replication yes): {e}");
                    let _ = self.poll.registry().deregister(&mut stream);
                    primary.state = LinkState::Connect;
                    return;
                }
            }
        } else {
            None
        };
        let fd = std::os::unix::io::AsRawFd::as_raw_fd(&stream);
        entry.insert(Conn::new(stream, tls));
        let client = Client {
            id: self.state.next_client_id,
            addr: address.to_string(),
            fd,
            authenticated: true,
            primary_link: true,
            created_ms: now,
            last_command_ms: now,
            ..Client::default()
        };
        self.state.next_client_id += 1;
        let session = self.state.clients.insert(client);
        debug_assert_eq!(session, key, "connection and session slabs move in step");
        self.link = Some(Link { key, phase: Phase::Connecting, full: None, last_ack_ms: now, load: None });
        info!("connecting to the primary {address}");
    }

    /// Closes the link (its session too); the tick connects again.
    pub(super) fn drop_link(&mut self, why: &str) {
        self.abandon_full_sync();
        let Some(link) = self.link.take() else { return };
        warn!("link to the primary lost: {why}");
        self.close(link.key);
        if self.state.repl.failover.as_ref().is_some_and(|f| f.state == FailoverState::InProgress) {
            crate::cmd::replicaof::abort_failover(&mut self.state, why);
        }
    }

    /// The session `key` was closed: if it was the link, the link is down.
    pub(super) fn link_closed(&mut self, key: usize) {
        if self.link.as_ref().is_some_and(|l| l.key == key) {
            self.link = None;
        }
        if self.link.is_none() {
            if let Some(primary) = &mut self.state.repl.primary {
                if primary.state == LinkState::Connected {
                    primary.down_since_ms = self.now_ms;
                }
                primary.state = LinkState::Connect;
            }
        }
    }

    /// Whether `key` is the link's connection.
    pub(super) fn is_link(&self, key: usize) -> bool {
        self.link.as_ref().is_some_and(|l| l.key == key)
    }

    /// A readiness event on the link.
    pub(super) fn on_link_event(&mut self) {
        if let Err(why) = self.drive_link() {
            self.drop_link(&why);
        }
    }

    fn drive_link(&mut self) -> Result<(), Failure> {
        let Some(link) = &self.link else { return Ok(()) };
        let key = link.key;
        if link.phase == Phase::Connecting {
            let conn = &mut self.conns[key];
            if let Ok(Some(e)) | Err(e) = conn.stream.take_error() {
                return Err(format!("cannot connect: {e}"));
            }
            match conn.stream.peer_addr() {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return Ok(()),
                Err(e) => return Err(format!("cannot connect: {e}")),
            }
            if let Some(primary) = &mut self.state.repl.primary {
                primary.state = LinkState::Handshake;
            }
            self.send_to_primary(&[b"PING"], Phase::Ping)?;
        }
        loop {
            let conn = &mut self.conns[key];
            let (outcome, n) = conn.read_once().map_err(|e| format!("read error: {e}"))?;
            self.state.stats.net_input_bytes += n as u64;
            self.state.repl.input_bytes += n as u64;
            if n > 0 {
                if let Some(primary) = &mut self.state.repl.primary {
                    primary.last_io_ms = self.now_ms;
                }
            }
            self.link_input()?;
            if self.link.is_none() {
                return Ok(());
            }
            match outcome {
                super::conn::ReadOutcome::Closed => return Err("the primary closed the connection".into()),
                super::conn::ReadOutcome::Drained => break,
                super::conn::ReadOutcome::More => {}
            }
        }
        self.conns[key].flush().map_err(|e| format!("write error: {e}"))?;
        Ok(())
    }

    /// Writes one command to the primary and moves to `next`.
    fn send_to_primary(&mut self, args: &[&[u8]], next: Phase) -> Result<(), Failure> {
        let Some(link) = &mut self.link else { return Ok(()) };
        link.phase = next;
        let conn = &mut self.conns[link.key];
        encode_command(&mut conn.wbuf, args);
        conn.flush().map_err(|e| format!("write error: {e}"))?;
        Ok(())
    }

    /// `REPLCONF ACK <offset>`.
    fn send_ack(&mut self) {
        let offset = self.state.repl.offset.to_string();
        let Some(link) = &mut self.link else { return };
        link.last_ack_ms = self.now_ms;
        let conn = &mut self.conns[link.key];
        encode_command(&mut conn.wbuf, &[b"REPLCONF", b"ACK", offset.as_bytes()]);
        if let Err(e) = conn.flush() {
            self.drop_link(&format!("write error: {e}"));
        }
    }

    /// A newline, once a second while the file loads: a Redis primary
    /// takes it as a sign of life from a replica that cannot acknowledge
    /// an offset yet (Redis's replicas send the same while they load).
    fn send_keepalive(&mut self) {
        let Some(link) = &mut self.link else { return };
        link.last_ack_ms = self.now_ms;
        let conn = &mut self.conns[link.key];
        conn.wbuf.push(b'\n');
        if let Err(e) = conn.flush() {
            self.drop_link(&format!("write error: {e}"));
        }
    }

    /// Consumes what the link has read, phase by phase.
    fn link_input(&mut self) -> Result<(), Failure> {
        loop {
            let Some(link) = &self.link else { return Ok(()) };
            let key = link.key;
            match link.phase {
                Phase::Connecting | Phase::Loading => return Ok(()),
                Phase::Stream => return self.apply_stream(key),
                Phase::Rdb(payload) => {
                    if !self.receive_rdb(key, payload)? {
                        return Ok(());
                    }
                }
                phase => {
                    let Some(line) = take_line(&mut self.conns[key]) else { return Ok(()) };
                    self.handshake_reply(phase, &line)?;
                }
            }
        }
    }

    /// The reply to a handshake command: sends the next one.
    fn handshake_reply(&mut self, phase: Phase, line: &[u8]) -> Result<(), Failure> {
        let text = String::from_utf8_lossy(line).into_owned();
        let refused = text.starts_with('-');
        match phase {
            Phase::Ping => {
                // An authentication error is expected before AUTH.
                if refused && !text.starts_with("-NOAUTH") && !text.starts_with("-NOPERM") {
                    return Err(format!("the primary answered PING with {text}"));
                }
                let auth = self.state.param("masterauth").filter(|p| !p.is_empty()).map(str::to_string);
                if let Some(password) = auth {
                    let user = self.state.param("masteruser").filter(|u| !u.is_empty()).map(str::to_string);
                    match user {
                        Some(user) => {
                            self.send_to_primary(&[b"AUTH", user.as_bytes(), password.as_bytes()], Phase::Auth)?
                        }
                        None => self.send_to_primary(&[b"AUTH", password.as_bytes()], Phase::Auth)?,
                    }
                    return Ok(());
                }
                self.send_port()
            }
            Phase::Auth => {
                if refused {
                    return Err(format!("the primary refused AUTH: {text}"));
                }
                self.send_port()
            }
            Phase::Port => {
                let announced = self.state.param("replica-announce-ip").filter(|ip| !ip.is_empty()).map(str::to_string);
                match announced {
                    Some(ip) => self.send_to_primary(&[b"REPLCONF", b"ip-address", ip.as_bytes()], Phase::Ip),
                    None => self.send_capa(),
                }
            }
            Phase::Ip => self.send_capa(),
            Phase::Capa => {
                let repl = &self.state.repl;
                let (replid, offset) = if repl.backlog_active() {
                    (repl.replid.clone(), (repl.offset + 1).to_string())
                } else {
                    ("?".to_string(), "-1".to_string())
                };
                let handing_over = repl.failover.as_ref().is_some_and(|f| f.state == FailoverState::InProgress);
                if handing_over {
                    let args: [&[u8]; 4] = [b"PSYNC", replid.as_bytes(), offset.as_bytes(), b"FAILOVER"];
                    return self.send_to_primary(&args, Phase::Psync);
                }
                self.send_to_primary(&[b"PSYNC", replid.as_bytes(), offset.as_bytes()], Phase::Psync)
            }
            Phase::Psync => self.psync_reply(&text),
            _ => Ok(()),
        }
    }

    fn send_capa(&mut self) -> Result<(), Failure> {
        self.send_to_primary(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"], Phase::Capa)
    }

    /// `REPLCONF listening-port`: `replica-announce-port` when set.
    fn send_port(&mut self) -> Result<(), Failure> {
        let announced = self.state.param("replica-announce-port").and_then(|p| p.parse::<u16>().ok());
        let port = announced.filter(|&p| p != 0).unwrap_or(self.state.port).to_string();
        self.send_to_primary(&[b"REPLCONF", b"listening-port", port.as_bytes()], Phase::Port)
    }

    /// `+FULLRESYNC` or `+CONTINUE`.
    fn psync_reply(&mut self, text: &str) -> Result<(), Failure> {
        if self.state.repl.failover.as_ref().is_some_and(|f| f.state == FailoverState::InProgress) {
            if text.starts_with("+FULLRESYNC") || text.starts_with("+CONTINUE") {
                self.state.repl.failover = None;
                self.state.unpause_clients();
                info!("FAILOVER finished: this server is a replica of the new primary");
            } else {
                crate::cmd::replicaof::abort_failover(&mut self.state, "Failover target rejected psync request");
                return Ok(());
            }
        }
        let mut words = text.split_whitespace();
        match words.next() {
            Some("+FULLRESYNC") => {
                let replid = words.next().unwrap_or_default().to_string();
                let offset: u64 = words.next().and_then(|o| o.parse().ok()).unwrap_or(0);
                info!("full resynchronization with the primary: {replid} at offset {offset}");
                if let Some(primary) = &mut self.state.repl.primary {
                    primary.state = LinkState::Sync;
                    primary.sync_read = 0;
                    primary.sync_size = 0;
                }
                if let Some(link) = &mut self.link {
                    link.full = Some((replid, offset));
                    link.phase = Phase::Rdb(None);
                }
                Ok(())
            }
            Some("+CONTINUE") => {
                if let Some(new_id) = words.next() {
                    if new_id != self.state.repl.replid {
                        self.state.repl.shift_replid(new_id.to_string());
                        // Their replicas must learn the new ID.
                        self.state.drop_replicas();
                    }
                }
                info!("partial resynchronization with the primary: continuing at offset {}", self.state.repl.offset);
                self.link_up();
                Ok(())
            }
            _ => Err(format!("the primary answered PSYNC with {text}")),
        }
    }

    /// The link carries the stream from now on; while the snapshot of
    /// a loaded file is pending, the link waits for it (see `sync_load`).
    pub(super) fn link_up(&mut self) {
        if let Some(link) = &mut self.link {
            link.phase = Phase::Stream;
        }
        if self.stream_held() {
            if let Some(primary) = &mut self.state.repl.primary {
                primary.state = LinkState::Sync;
            }
            return;
        }
        let offset = self.state.repl.offset;
        if let Some(primary) = &mut self.state.repl.primary {
            primary.state = LinkState::Connected;
            primary.read_offset = offset;
        }
        self.send_ack();
    }

    /// Gathers the RDB file; true once it is received and its load
    /// begun (see `sync_load`).
    fn receive_rdb(&mut self, key: usize, payload: Option<Payload>) -> Result<bool, Failure> {
        let conn = &mut self.conns[key];
        let payload = match payload {
            Some(payload) => payload,
            None => {
                // Newlines are the primary's keep-alives while it prepares the file.
                let skip = conn.rbuf[..conn.rlen].iter().take_while(|&&b| b == b'\n').count();
                drop_front(conn, skip);
                let Some(line) = take_line(conn) else { return Ok(false) };
                let payload = parse_payload_header(&line)?;
                if let Some(link) = &mut self.link {
                    link.phase = Phase::Rdb(Some(payload));
                }
                if let (Some(primary), Payload::Length(size)) = (&mut self.state.repl.primary, payload) {
                    primary.sync_size = size as u64;
                }
                payload
            }
        };
        let conn = &mut self.conns[key];
        let have = conn.rlen;
        if let Some(primary) = &mut self.state.repl.primary {
            primary.sync_read = have as u64;
        }
        let end = match payload {
            Payload::Length(size) if have >= size => size,
            Payload::Mark(mark) if have >= 40 && conn.rbuf[have - 40..have] == mark => have - 40,
            _ => {
                // Room for the whole file in one step when its size is known.
                if let Payload::Length(size) = payload {
                    if conn.rbuf.len() < size + 16 * 1024 {
                        conn.rbuf.resize(size + 16 * 1024, 0);
                    }
                }
                return Ok(false);
            }
        };
        // The file leaves the buffer without a copy; what follows it (the
        // stream, after a length-prefixed file) stays.
        let skip = if matches!(payload, Payload::Mark(_)) { end + 40 } else { end };
        let mut file = std::mem::take(&mut conn.rbuf);
        conn.rbuf = file[skip..have].to_vec();
        conn.rlen = have - skip;
        file.truncate(end);
        let (replid, offset) = self.link.as_mut().and_then(|l| l.full.take()).unwrap_or_default();
        self.begin_full_sync(file, replid, offset)?;
        Ok(true)
    }

    /// Puts the link in its loading phase with `sync`.
    pub(super) fn set_link_loading(&mut self, sync: Box<SyncLoad>) {
        if let Some(link) = &mut self.link {
            link.phase = Phase::Loading;
            link.load = Some(sync);
        }
    }

    /// Takes the load in progress off the link, with the link's key.
    pub(super) fn take_link_loading(&mut self) -> Option<(usize, Box<SyncLoad>)> {
        let link = self.link.as_mut()?;
        Some((link.key, link.load.take()?))
    }

    /// Whether the link is in its stream phase.
    pub(super) fn link_streaming(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.phase == Phase::Stream)
    }

    /// Runs one command in the link's session, its reply dropped.
    pub(super) fn run_as_primary(&mut self, key: usize, args: &[&[u8]]) {
        let command = crate::protocol::OwnedArgs::from_parts(args);
        self.execute_from_primary(key, command.args());
    }

    fn execute_from_primary(&mut self, key: usize, args: crate::protocol::Args<'_>) {
        let mut discard = Vec::new();
        let db_index = self.state.clients.get(key).map_or(0, |c| c.db);
        let mut ctx = Ctx {
            store: &mut self.store,
            server: &mut self.state,
            client_key: key,
            db_index,
            out: Reply::new(&mut discard, false),
            now_ms: self.now_ms,
            caller: Caller::Primary,
            unserved: false,
            busy: None,
        };
        // The primary's commands see every key it has not deleted.
        ctx.store.set_expiry(Expiry::Ignore);
        cmd::execute(&mut ctx, args);
        self.store.set_expiry(Expiry::Hide);
        if !self.state.pubsub.outbox.is_empty() {
            deliver_outbox(&mut self.conns, &mut self.state, &mut self.write_queue);
        }
        if self.state.blocking.has_ready() {
            serve_ready(
                &mut self.conns,
                &mut self.store,
                &mut self.state,
                self.now_ms,
                &mut self.write_queue,
                &mut self.resume,
            );
        }
    }

    /// Applies every complete command of the stream. The read buffer
    /// and the parser leave the connection while the commands run (an
    /// acknowledgement may be written meanwhile).
    fn apply_stream(&mut self, key: usize) -> Result<(), Failure> {
        if self.stream_held() {
            return Ok(());
        }
        let conn = &mut self.conns[key];
        let (rbuf, mut parser, rlen) = (std::mem::take(&mut conn.rbuf), std::mem::take(&mut conn.parser), conn.rlen);
        let mut result = Ok(());
        loop {
            let before = parser.consumed();
            match parser.next(&rbuf[..rlen]) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    result = Err(format!("protocol error in the primary's stream: {}", e.0));
                    break;
                }
            }
            let after = parser.consumed();
            let args = parser.args(&rbuf);
            let getack = args.len() >= 2
                && args.get(0).eq_ignore_ascii_case(b"replconf")
                && args.get(1).eq_ignore_ascii_case(b"getack");
            if getack {
                self.send_ack();
            } else {
                self.execute_from_primary(key, args);
            }
            self.state.repl.absorb(&rbuf[before..after]);
            if let Some(primary) = &mut self.state.repl.primary {
                primary.read_offset += (after - before) as u64;
            }
            if !self.conns.contains(key) {
                return result;
            }
        }
        let conn = &mut self.conns[key];
        conn.rbuf = rbuf;
        conn.parser = parser;
        if result.is_ok() {
            conn.compact_input();
        }
        result
    }
}

/// Removes the first `n` bytes of the connection's read buffer.
fn drop_front(conn: &mut Conn, n: usize) {
    conn.rbuf.copy_within(n..conn.rlen, 0);
    conn.rlen -= n;
}

/// Takes one `\r\n`-terminated line off the read buffer.
fn take_line(conn: &mut Conn) -> Option<Vec<u8>> {
    let end = conn.rbuf[..conn.rlen].windows(2).position(|w| w == b"\r\n")?;
    let line = conn.rbuf[..end].to_vec();
    drop_front(conn, end + 2);
    Some(line)
}

/// `$<length>` or `$EOF:<mark>`.
fn parse_payload_header(line: &[u8]) -> Result<Payload, Failure> {
    let text = String::from_utf8_lossy(line);
    if let Some(rest) = text.strip_prefix("$EOF:") {
        let mark: [u8; 40] =
            rest.as_bytes().try_into().map_err(|_| format!("bad end-of-file mark in the RDB header {text}"))?;
        return Ok(Payload::Mark(mark));
    }
    if let Some(size) = text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
        return Ok(Payload::Length(size));
    }
    if text.starts_with('-') {
        return Err(format!("the primary aborted the transfer: {text}"));
    }
    Err(format!("bad RDB header from the primary: {text}"))
}
