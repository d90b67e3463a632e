//! Replication state: this server's replication ID and offset, the
//! backlog, the replicas attached to it, the clients waiting in `WAIT`,
//! and, on a replica, where its primary is and how the link to it
//! stands. The sockets are the loop's (`server::replication` for the
//! primary side, `server::replica_link` for a replica's link); this
//! module holds what commands read and change.
//!
//! # The stream and its offsets
//!
//! The replication stream is one sequence of bytes: the records of every
//! change as RESP commands (see `persist::aof`, "The replication
//! stream"), plus the `PING`s and `REPLCONF GETACK`s the primary adds.
//! [`Replication::offset`] (`master_repl_offset`) counts its bytes since
//! the replication ID began; the byte after offset `n` is at position
//! `n + 1`, which is what a replica asks for in `PSYNC <replid> <n + 1>`.
//!
//! Bytes enter through [`Replication::absorb`]: into the backlog (the last
//! `repl-backlog-size` bytes, kept so that a replica that lost its link
//! can continue where it was) and into the outgoing buffer, which the
//! loop hands to every attached replica at the end of the round. A
//! replica attached in the middle of a round gets only what follows its
//! attachment ([`Replica::from`]): what came before is in the RDB file or
//! the backlog bytes it was sent.
//!
//! A replica that resynchronizes in full gets the stream after the
//! offset at which a child process forked to write its file
//! ([`FullSync`]): until that file is sent, the stream's bytes wait in
//! the replica's [`Replica::held`] buffer, and they follow the file.
//! Only an online replica counts for `WAIT`, `min-replicas-to-write`,
//! `FAILOVER` and `ROLE`, as in Redis.
//!
//! On a replica the stream is its primary's, byte for byte: what it
//! applies is absorbed as it was received, so that its own replicas and
//! its backlog hold the same bytes at the same offsets as its primary's
//! (which is what lets a promoted replica's replicas continue).
//!
//! # Invariants
//!
//! * The tap of the log (`persist::aof::StreamTap`) is set exactly while
//!   this server is a primary with a backlog.
//! * `backlog` holds the stream bytes at positions `offset - len + 1` to
//!   `offset`.
//! * Every replica in [`Replication::replicas`] is a live session.
//! * A replica's `held` bytes are empty unless it waits for or receives
//!   its file; at most one file is being written, and every replica in
//!   [`FullSync::WaitFile`] waits for that one.

use std::collections::VecDeque;

/// Replication ID of a primary that was never a replica's: 40 hex digits.
pub fn new_replid() -> String {
    let mut bytes = [0u8; 20];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if random.is_err() {
        let seed = crate::clock::unix_ms() as u64 ^ u64::from(std::process::id()).rotate_left(32);
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32 * 7) >> 24) as u8;
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The replication ID of "no ID" (`master_replid2` when there is none).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// Where a replica's full resynchronization stands (Redis's
/// `SLAVE_STATE_*`; `INFO replication` shows [`FullSync::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FullSync {
    /// Waits for the next child to fork: it has no offset yet and is sent
    /// nothing.
    WaitStart,
    /// Got `+FULLRESYNC <replid> <from>`; the child writes its file.
    WaitFile,
    /// Its file is being sent.
    SendFile,
    /// Gets the stream as it comes (also after `+CONTINUE`).
    Online,
}

impl FullSync {
    pub fn name(self) -> &'static str {
        match self {
            FullSync::WaitStart | FullSync::WaitFile => "wait_bgsave",
            FullSync::SendFile => "send_bulk",
            FullSync::Online => "online",
        }
    }
}

/// One attached replica, as its primary sees it.
#[derive(Debug, Clone)]
pub struct Replica {
    /// Its session key.
    pub client: usize,
    pub ip: String,
    /// The port it listens on (`REPLCONF listening-port`).
    pub port: u16,
    /// The offset it last acknowledged (`REPLCONF ACK`).
    pub ack_offset: u64,
    pub ack_ms: i64,
    /// It gets the stream bytes after this position.
    pub from: u64,
    /// Since when its unsent output is over the soft limit (Unix ms).
    pub soft_since: Option<i64>,
    pub sync: FullSync,
    /// The stream after `from`, kept while its file is written and sent
    /// (it counts toward its output limit).
    pub held: Vec<u8>,
}

impl Replica {
    pub fn online(&self) -> bool {
        self.sync == FullSync::Online
    }
}

/// A client blocked in `WAIT`.
#[derive(Debug, Clone, Copy)]
pub struct Waiter {
    pub client: usize,
    /// The offset replicas must acknowledge.
    pub target: u64,
    pub needed: usize,
    /// Unix ms; `None` waits for ever.
    pub deadline_ms: Option<i64>,
}

/// How a replica's link to its primary stands (`ROLE`'s words).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// To connect (first time, or again after a loss).
    Connect,
    Connecting,
    /// Exchanging the handshake commands.
    Handshake,
    /// Receiving the RDB file of a full resynchronization.
    Sync,
    /// Applying the stream.
    Connected,
}

impl LinkState {
    pub fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// A replica loading its primary's file, for `INFO persistence`'s
/// `loading_*` fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loading {
    /// Unix seconds.
    pub start_s: i64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// The `used-mem` the file announces (0: not said).
    pub rdb_used_mem: u64,
}

/// A replica's primary and its link.
#[derive(Debug, Clone)]
pub struct PrimaryLink {
    pub host: String,
    pub port: u16,
    pub state: LinkState,
    /// Last time anything was read from the primary (Unix ms).
    pub last_io_ms: i64,
    /// When the link went down (Unix ms), for `master_link_down_since_seconds`.
    pub down_since_ms: i64,
    /// The last attempt to connect (Unix ms): one a second.
    pub last_attempt_ms: i64,
    /// Bytes of the stream read (`slave_read_repl_offset`).
    pub read_offset: u64,
    /// Set by `REPLICAOF`: the loop drops any link and connects anew.
    pub restart: bool,
    /// Bytes of the RDB file received so far, and expected (0: unknown).
    pub sync_read: u64,
    pub sync_size: u64,
}

/// Where a coordinated `FAILOVER` stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverState {
    /// Writes are paused until the target replica has everything.
    WaitForSync,
    /// This server follows the target and asks it, in its `PSYNC`, to
    /// take over (`PSYNC <replid> <offset> FAILOVER`).
    InProgress,
}

/// A coordinated `FAILOVER` under way.
#[derive(Debug, Clone)]
pub struct Failover {
    pub state: FailoverState,
    /// The replica to hand over to, once known (`TO host port`, or the
    /// first replica that catches up).
    pub target: Option<(String, u16)>,
    /// `TIMEOUT`: when waiting ends (Unix ms).
    pub end_ms: Option<i64>,
    /// `FORCE`: at the timeout, hand over anyway.
    pub force: bool,
}

impl Failover {
    /// `master_failover_state`.
    pub fn state_name(failover: Option<&Failover>) -> &'static str {
        match failover.map(|f| f.state) {
            None => "no-failover",
            Some(FailoverState::WaitForSync) => "waiting-for-sync",
            Some(FailoverState::InProgress) => "failover-in-progress",
        }
    }
}

/// Every replication detail of this server.
#[derive(Debug)]
pub struct Replication {
    pub replid: String,
    pub replid2: String,
    /// The first offset (position) at which `replid2` no longer holds.
    pub second_offset: i64,
    /// `master_repl_offset`: stream bytes up to now.
    pub offset: u64,
    backlog: Option<VecDeque<u8>>,
    /// `repl-backlog-size`.
    pub backlog_size: usize,
    pub replicas: Vec<Replica>,
    outgoing: Vec<u8>,
    pub waiters: Vec<Waiter>,
    /// Ask replicas for their offset at the end of this round.
    pub getack_wanted: bool,
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    pub last_ping_ms: i64,
    /// The last newline sent to the replicas waiting for their file (a
    /// keep-alive, once a second, as Redis sends it).
    pub last_newline_ms: i64,
    /// `Some` on a replica.
    pub primary: Option<PrimaryLink>,
    /// `client-output-buffer-limit replica`: hard and soft limits in
    /// bytes (0: none) and the seconds the soft one may be exceeded.
    pub output_limit: (u64, u64, i64),
    /// A coordinated `FAILOVER` under way.
    pub failover: Option<Failover>,
    /// `min-replicas-to-write` and `min-replicas-max-lag` (seconds).
    pub min_replicas: (usize, i64),
    /// Bytes read from the primary and sent to replicas, stream and
    /// files (`total_net_repl_input_bytes`, `total_net_repl_output_bytes`).
    pub input_bytes: u64,
    pub output_bytes: u64,
    /// Set by `REPLICAOF host port` on a primary: the loop releases the
    /// blocked clients (Redis's `-UNBLOCKED ... (master -> replica?)`).
    pub demoted: bool,
}

impl Default for Replication {
    fn default() -> Self {
        Replication {
            replid: new_replid(),
            replid2: NO_REPLID.to_string(),
            second_offset: -1,
            offset: 0,
            backlog: None,
            backlog_size: 1024 * 1024,
            replicas: Vec::new(),
            outgoing: Vec::new(),
            waiters: Vec::new(),
            getack_wanted: false,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            last_ping_ms: 0,
            last_newline_ms: 0,
            primary: None,
            output_limit: (256 << 20, 64 << 20, 60),
            failover: None,
            min_replicas: (0, 10),
            input_bytes: 0,
            output_bytes: 0,
            demoted: false,
        }
    }
}

impl Replication {
    /// Whether a backlog exists (`repl_backlog_active`).
    pub fn backlog_active(&self) -> bool {
        self.backlog.is_some()
    }

    /// Bytes in the backlog (`repl_backlog_histlen`).
    pub fn backlog_len(&self) -> usize {
        self.backlog.as_ref().map_or(0, VecDeque::len)
    }

    /// Position of the backlog's first byte (`repl_backlog_first_byte_offset`).
    pub fn backlog_first(&self) -> u64 {
        match &self.backlog {
            Some(backlog) => self.offset + 1 - backlog.len() as u64,
            None => 0,
        }
    }

    /// Makes an empty backlog that starts after the current offset, if
    /// there is none.
    pub fn ensure_backlog(&mut self) {
        if self.backlog.is_none() {
            self.backlog = Some(VecDeque::new());
        }
    }

    /// Drops the backlog's content: the stream starts again at `offset`.
    pub fn reset_backlog(&mut self, offset: u64) {
        self.offset = offset;
        self.outgoing.clear();
        self.backlog = Some(VecDeque::new());
    }

    /// Drops the backlog: the history it held is gone, nobody may
    /// continue it (a replica beginning a full resynchronization).
    pub fn drop_backlog(&mut self) {
        self.outgoing.clear();
        self.backlog = None;
    }

    /// `repl-backlog-size`, applied at once.
    pub fn set_backlog_size(&mut self, size: usize) {
        self.backlog_size = size.max(16 * 1024);
        if let Some(backlog) = &mut self.backlog {
            let excess = backlog.len().saturating_sub(self.backlog_size);
            backlog.drain(..excess);
        }
    }

    /// Appends stream bytes: the offset advances, the backlog keeps them,
    /// and the replicas will get them at the end of the round.
    pub fn absorb(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.offset += bytes.len() as u64;
        if let Some(backlog) = &mut self.backlog {
            backlog.extend(bytes);
            let excess = backlog.len().saturating_sub(self.backlog_size);
            backlog.drain(..excess);
        }
        if !self.replicas.is_empty() {
            self.outgoing.extend_from_slice(bytes);
        }
    }

    /// Takes the bytes not yet handed to the replicas, with the position
    /// of the byte before the first of them.
    pub fn take_outgoing(&mut self) -> (u64, Vec<u8>) {
        // Sized like this round's, so the next one does not grow step by step.
        let capacity = self.outgoing.len();
        let bytes = std::mem::replace(&mut self.outgoing, Vec::with_capacity(capacity));
        (self.offset - bytes.len() as u64, bytes)
    }

    /// The backlog's bytes from position `from` on, if it still holds
    /// them all (`PSYNC <replid> <from>`).
    pub fn backlog_from(&self, from: u64) -> Option<Vec<u8>> {
        let backlog = self.backlog.as_ref()?;
        let first = self.offset + 1 - backlog.len() as u64;
        if from < first || from > self.offset + 1 {
            return None;
        }
        Some(backlog.range((from - first) as usize..).copied().collect())
    }

    /// Whether `PSYNC replid from` may continue this stream.
    pub fn can_continue(&self, replid: &str, from: u64) -> bool {
        let same_history = replid == self.replid || (replid == self.replid2 && (from as i64) <= self.second_offset);
        same_history && self.backlog_from(from).is_some()
    }

    /// A new history: the current ID becomes `replid2`, valid up to the
    /// current offset (a replica promoted, `REPLICAOF NO ONE`).
    pub fn shift_replid(&mut self, new_id: String) {
        self.replid2 = std::mem::replace(&mut self.replid, new_id);
        self.second_offset = self.offset as i64 + 1;
    }

    /// Forgets `replid2` (a full resynchronization started a new history).
    pub fn clear_replid2(&mut self) {
        self.replid2 = NO_REPLID.to_string();
        self.second_offset = -1;
    }

    /// The replica whose session is `client`.
    pub fn replica_mut(&mut self, client: usize) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.client == client)
    }

    /// Online replicas that acknowledged at least `offset`.
    pub fn acked(&self, offset: u64) -> usize {
        self.replicas.iter().filter(|r| r.online() && r.ack_offset >= offset).count()
    }

    /// A session is gone: it is no replica nor waiter any more.
    pub fn forget(&mut self, client: usize) {
        self.replicas.retain(|r| r.client != client);
        self.waiters.retain(|w| w.client != client);
    }

    /// Reads the replica class of a `client-output-buffer-limit` value
    /// (`normal 0 0 0 replica 256mb 64mb 60 pubsub ...`), if it has one.
    pub fn set_output_limit(&mut self, value: &str) {
        let words: Vec<&str> = value.split_whitespace().collect();
        for group in words.chunks(4) {
            if let [class, hard, soft, seconds] = group {
                if class.eq_ignore_ascii_case("replica") || class.eq_ignore_ascii_case("slave") {
                    let parsed = (
                        crate::config::parse_memory(hard),
                        crate::config::parse_memory(soft),
                        seconds.parse::<i64>().ok(),
                    );
                    if let (Some(hard), Some(soft), Some(seconds)) = parsed {
                        self.output_limit = (hard, soft, seconds);
                    }
                }
            }
        }
    }

    /// Whether a replica with `pending` unsent bytes at `now_ms` passed
    /// its output limit (and must be disconnected), as Redis decides it.
    pub fn over_output_limit(&mut self, index: usize, pending: u64, now_ms: i64) -> bool {
        let (hard, soft, seconds) = self.output_limit;
        let replica = &mut self.replicas[index];
        if hard > 0 && pending >= hard {
            return true;
        }
        if soft > 0 && pending >= soft {
            let since = *replica.soft_since.get_or_insert(now_ms);
            return now_ms - since > seconds * 1000;
        }
        replica.soft_since = None;
        false
    }

    /// Whether writes may run as far as `min-replicas-to-write` is
    /// concerned: enough replicas acknowledged within
    /// `min-replicas-max-lag` seconds (always, on a replica or with either
    /// setting 0).
    pub fn enough_good_replicas(&self, now_ms: i64) -> bool {
        let (needed, max_lag) = self.min_replicas;
        if needed == 0 || max_lag == 0 || self.is_replica() {
            return true;
        }
        let good = self.replicas.iter().filter(|r| r.online() && (now_ms - r.ack_ms) / 1000 <= max_lag).count();
        good >= needed
    }

    /// Whether this server is a replica.
    pub fn is_replica(&self) -> bool {
        self.primary.is_some()
    }
}

impl super::ServerState {
    /// Moves what the log's tap gathered into the stream (see the module
    /// doc): the offset advances past every change made so far.
    pub fn absorb_tap(&mut self) {
        if let Some(tap) = &mut self.persist.aof.tap {
            if !tap.buf.is_empty() {
                let bytes = tap.take();
                self.repl.absorb(&bytes);
            }
        }
    }

    /// The offset the stream reaches once what the log's tap holds is
    /// absorbed.
    pub fn stream_end(&self) -> u64 {
        self.repl.offset + self.persist.aof.tap.as_ref().map_or(0, |t| t.buf.len() as u64)
    }

    /// A primary with a backlog taps its log; a replica does not (it
    /// passes its primary's stream on as it is).
    pub fn set_stream_tap(&mut self, on: bool) {
        if !on {
            self.persist.aof.tap = None;
        } else if self.persist.aof.tap.is_none() {
            self.persist.aof.tap = Some(crate::persist::aof::StreamTap::default());
        }
    }

    /// Adds a command of the primary's own to the stream (`PING`,
    /// `REPLCONF GETACK *`), after everything logged so far.
    pub fn stream_command(&mut self, args: &[&[u8]]) {
        self.absorb_tap();
        let mut bytes = Vec::new();
        crate::persist::aof::encode_command(&mut bytes, args);
        self.repl.absorb(&bytes);
    }

    /// Disconnects every replica (they connect again and continue, or
    /// resynchronize).
    pub fn drop_replicas(&mut self) {
        for replica in std::mem::take(&mut self.repl.replicas) {
            if let Some(client) = self.clients.get_mut(replica.client) {
                client.killed = true;
                self.kill_pending = true;
            }
        }
    }
}
