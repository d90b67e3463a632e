//! Serving everyone else while a script runs long.
//!
//! A script runs inside one client's command, with the keyspace borrowed,
//! so the loop cannot get back to its own work until the script returns.
//! [`Busy`] is the part of the loop a script can call into meanwhile
//! (through `state::busy::BusyLoop`): it polls, accepts, reads what other
//! clients send and answers each command `-BUSY`, `SCRIPT KILL` /
//! `FUNCTION KILL` with a kill request (or `-UNKILLABLE` once the script
//! has written), `FUNCTION STATS` with what runs, and `SHUTDOWN NOSAVE` by
//! stopping the server without logging what the script did.
//!
//! It works on the connections themselves: the running command's buffers
//! are out of its connection while it runs (see `Server::process_input`),
//! so every other connection is the loop's as usual. A client that is
//! blocked, or the running one, is left alone; connections it could not
//! finish with are handed back for the loop to look at again.

use std::io;
use std::time::{Duration, Instant};

use log::{info, warn};
use mio::net::TcpListener;
use mio::{Events, Poll};
use slab::Slab;

use super::conn::{Conn, ReadOutcome};
use crate::protocol::Args;
use crate::state::busy::{BusyLoop, BusyRequest, Running};
use crate::state::ServerState;

/// Least time between two polls while a script runs.
const POLL_EVERY: Duration = Duration::from_millis(1);

const BUSY_SCRIPT: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
const BUSY_FUNCTION: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";
const UNKILLABLE: &[u8] = b"-UNKILLABLE Sorry the script already executed write commands against the dataset. You can \
either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n";

/// The loop's stand-in while a script runs (see the module doc).
pub struct Busy<'s> {
    poll: &'s mut Poll,
    listeners: &'s [TcpListener],
    listener_token_base: usize,
    conns: &'s mut Slab<Conn>,
    running: usize,
    now_ms: i64,
    events: Option<Events>,
    last_poll: Option<Instant>,
    /// Connections to look at again once the script has returned.
    look_again: Vec<usize>,
}

impl<'s> Busy<'s> {
    pub fn new(
        poll: &'s mut Poll,
        listeners: &'s [TcpListener],
        listener_token_base: usize,
        conns: &'s mut Slab<Conn>,
        running: usize,
        now_ms: i64,
    ) -> Self {
        Busy {
            poll,
            listeners,
            listener_token_base,
            conns,
            running,
            now_ms,
            events: None,
            last_poll: None,
            look_again: Vec::new(),
        }
    }

    /// Connections the loop must look at again (readiness passed over,
    /// output left to write, a peer gone).
    pub fn finish(self) -> Vec<usize> {
        self.look_again
    }

    fn accept_all(&mut self, index: usize, state: &mut ServerState) {
        loop {
            match self.listeners[index].accept() {
                Ok((stream, peer)) => {
                    if let Some(key) = super::admit(self.poll, self.conns, state, self.now_ms, stream, peer) {
                        self.look_again.push(key);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
    }

    /// Reads what client `key` sent and answers every whole command.
    fn serve(&mut self, key: usize, state: &mut ServerState, running: Running<'_>) -> BusyRequest {
        let Some(conn) = self.conns.get_mut(key) else { return BusyRequest::None };
        let waiting_elsewhere = state.clients.get(key).is_none_or(|c| c.blocked || c.primary_link);
        if key == self.running || waiting_elsewhere || conn.closing || conn.read_paused {
            self.look_again.push(key);
            return BusyRequest::None;
        }
        loop {
            match conn.read_once() {
                Ok((ReadOutcome::More, _)) => continue,
                Ok((ReadOutcome::Drained, _)) => break,
                Ok((ReadOutcome::Closed, _)) => {
                    conn.eof = true;
                    break;
                }
                Err(_) => {
                    conn.eof = true;
                    break;
                }
            }
        }
        let resp3 = state.clients[key].resp3;
        let mut request = BusyRequest::None;
        loop {
            match conn.parser.next(&conn.rbuf[..conn.rlen]) {
                Ok(true) => {}
                Ok(false) => break,
                Err(_) => {
                    conn.eof = true;
                    break;
                }
            }
            let args = conn.parser.args(&conn.rbuf);
            match busy_reply(args, state, running) {
                Reply::Text(text) => conn.wbuf.extend_from_slice(text),
                Reply::Stats => function_stats(&mut conn.wbuf, running, resp3),
                Reply::Kill => {
                    conn.wbuf.extend_from_slice(b"+OK\r\n");
                    request = BusyRequest::Kill;
                }
            }
        }
        conn.holds_command = false;
        conn.compact_input();
        if conn.aof_hold <= state.persist.aof.durable {
            let _ = conn.flush();
        }
        if conn.eof || conn.pending_output() > 0 {
            self.look_again.push(key);
        }
        request
    }
}

enum Reply {
    Text(&'static [u8]),
    Kill,
    /// `FUNCTION STATS`, which answers while a script runs.
    Stats,
}

/// `FUNCTION STATS` while a script runs: what runs, and for how long.
fn function_stats(out: &mut Vec<u8>, running: Running<'_>, resp3: bool) {
    let mut reply = crate::protocol::Reply::new(out, resp3);
    reply.map(2);
    reply.bulk(b"running_script");
    reply.map(3);
    reply.bulk(b"name");
    reply.bulk(running.name.as_bytes());
    reply.bulk(b"command");
    reply.array(running.command.len());
    for arg in running.command.iter() {
        reply.bulk(arg);
    }
    reply.bulk(b"duration_ms");
    reply.int(running.elapsed_ms as i64);
    reply.bulk(b"engines");
    reply.map(1);
    reply.bulk(b"LUA");
    reply.map(2);
    reply.bulk(b"libraries_count");
    reply.int(running.function_counts.0 as i64);
    reply.bulk(b"functions_count");
    reply.int(running.function_counts.1 as i64);
}

/// The answer to one command sent while a script runs.
fn busy_reply(args: Args<'_>, state: &mut ServerState, running: Running<'_>) -> Reply {
    let name = args.get(0);
    let sub = if args.len() > 1 { args.get(1) } else { b"" };
    let busy = if running.function { BUSY_FUNCTION } else { BUSY_SCRIPT };
    let kill = sub.eq_ignore_ascii_case(b"kill") && args.len() == 2;
    let (script_kill, function_kill) =
        (kill && name.eq_ignore_ascii_case(b"script"), kill && name.eq_ignore_ascii_case(b"function"));
    if script_kill || function_kill {
        return if running.wrote {
            Reply::Text(UNKILLABLE)
        } else if function_kill == running.function {
            Reply::Kill
        } else {
            Reply::Text(busy)
        };
    }
    if running.function
        && name.eq_ignore_ascii_case(b"function")
        && sub.eq_ignore_ascii_case(b"stats")
        && args.len() == 2
    {
        return Reply::Stats;
    }
    if name.eq_ignore_ascii_case(b"shutdown") && args.len() == 2 && sub.eq_ignore_ascii_case(b"nosave") {
        stop_now(state);
    }
    Reply::Text(busy)
}

/// `SHUTDOWN NOSAVE` during a script: the server stops at once, and what
/// this loop round logged but had not written (the script's changes
/// among it; none of it acknowledged) is dropped, so no half of the
/// script is ever replayed.
fn stop_now(state: &mut ServerState) -> ! {
    warn!("SHUTDOWN NOSAVE while a script runs: stopping now, without the script's changes");
    crate::systemd::notify_stopping();
    state.persist.aof.discard_unwritten();
    state.persist.abort_running();
    if !state.persist.aof.flush_and_sync() {
        warn!("the append-only file could not be synced before exit");
    }
    info!("bye");
    std::process::exit(0);
}

impl BusyLoop for Busy<'_> {
    fn serve_others(&mut self, state: &mut ServerState, running: Running<'_>) -> BusyRequest {
        if self.last_poll.is_some_and(|at| at.elapsed() < POLL_EVERY) {
            return BusyRequest::None;
        }
        let first_time = self.last_poll.is_none();
        self.last_poll = Some(Instant::now());
        let mut request = BusyRequest::None;
        if first_time {
            // Readiness the loop took before the script began is not
            // announced again: look at every client once.
            let keys: Vec<usize> = self.conns.iter().map(|(key, _)| key).filter(|&key| key != self.running).collect();
            for key in keys {
                if self.serve(key, state, running) == BusyRequest::Kill {
                    request = BusyRequest::Kill;
                }
            }
        }
        let mut events = self.events.take().unwrap_or_else(|| Events::with_capacity(256));
        if self.poll.poll(&mut events, Some(Duration::ZERO)).is_ok() {
            let listeners = self.listeners.len();
            for event in events.iter() {
                let token = event.token().0;
                if token > self.listener_token_base - listeners && token <= self.listener_token_base {
                    self.accept_all(self.listener_token_base - token, state);
                } else if self.serve(token, state, running) == BusyRequest::Kill {
                    request = BusyRequest::Kill;
                }
            }
        }
        self.events = Some(events);
        request
    }
}
