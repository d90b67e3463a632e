//! What a command means for connections other than the caller's:
//! published messages copied into their receivers' output buffers (with
//! Redis's output limits for subscribers), blocked clients whose keys
//! were written served by running their command again, and the queue of
//! connections to write at the end of the loop round.

use std::time::{Duration, Instant};

use log::warn;
use slab::Slab;

use super::conn::Conn;
use crate::cmd::{self, Caller, Ctx};
use crate::protocol::Reply;
use crate::state::ServerState;
use crate::store::Keyspace;

/// Unsent output at which a pub/sub client is disconnected at once.
const PUBSUB_HARD_LIMIT: usize = 32 * 1024 * 1024;
/// Unsent output a pub/sub client may keep for [`PUBSUB_SOFT_SECONDS`].
const PUBSUB_SOFT_LIMIT: usize = 8 * 1024 * 1024;
const PUBSUB_SOFT_SECONDS: Duration = Duration::from_secs(60);

/// Queues a connection for the end-of-round write if it has output.
pub(super) fn queue_write(conns: &mut Slab<Conn>, write_queue: &mut Vec<usize>, key: usize) {
    if let Some(conn) = conns.get_mut(key) {
        if !conn.write_queued && conn.pending_output() > 0 {
            conn.write_queued = true;
            write_queue.push(key);
        }
    }
}

/// Moves published messages into their receivers' output buffers. A
/// subscriber whose unsent output passes [`PUBSUB_HARD_LIMIT`], or stays
/// over [`PUBSUB_SOFT_LIMIT`] for [`PUBSUB_SOFT_SECONDS`], is disconnected
/// (Redis's `client-output-buffer-limit pubsub`): it does not send, so
/// pausing its reads would not slow it down.
pub(super) fn deliver_outbox(conns: &mut Slab<Conn>, state: &mut ServerState, write_queue: &mut Vec<usize>) {
    let mut outbox = std::mem::take(&mut state.pubsub.outbox);
    for &(client, start, end) in &outbox.messages {
        let Some(conn) = conns.get_mut(client) else { continue };
        if conn.closing {
            continue;
        }
        conn.wbuf.extend_from_slice(&outbox.data[start..end]);
        let pending = conn.pending_output();
        let over_soft = if pending > PUBSUB_SOFT_LIMIT {
            let since = *conn.soft_limit_since.get_or_insert_with(Instant::now);
            since.elapsed() >= PUBSUB_SOFT_SECONDS
        } else {
            conn.soft_limit_since = None;
            false
        };
        if pending > PUBSUB_HARD_LIMIT || over_soft {
            let session = &mut state.clients[client];
            warn!(
                "client id={} addr={} closed for overcoming of output buffer limits ({pending} bytes pending)",
                session.id, session.addr
            );
            conn.closing = true;
            conn.wbuf = Vec::new();
            conn.wpos = 0;
            session.killed = true;
            state.kill_pending = true;
            continue;
        }
        queue_write(conns, write_queue, client);
    }
    outbox.clear();
    state.pubsub.outbox = outbox;
}

/// Re-runs the commands of clients blocked on keys that were written,
/// oldest waiter first, until each key runs dry. Serving one may make
/// other keys ready (`BLMOVE` into a key someone waits on): repeat until
/// nothing is ready.
pub(super) fn serve_ready(
    conns: &mut Slab<Conn>,
    store: &mut Keyspace,
    state: &mut ServerState,
    now_ms: i64,
    write_queue: &mut Vec<usize>,
    resume: &mut Vec<usize>,
) {
    while state.blocking.has_ready() {
        for (db, key) in state.blocking.take_ready() {
            for waiter in state.blocking.waiters_of(db, &key) {
                let Some(blocked) = state.blocking.get(waiter) else { continue };
                // A key that is gone serves nobody, except an XREADGROUP,
                // which is told that its stream went away.
                if !store.db(db).contains(&key, now_ms) {
                    match cmd::when_key_gone(blocked.command.args()) {
                        cmd::WhenKeyGone::Run => {}
                        cmd::WhenKeyGone::Skip => continue,
                        cmd::WhenKeyGone::Stop => break,
                    }
                }
                let (command, db_index) = (blocked.command.clone(), blocked.db);
                let Some(conn) = conns.get_mut(waiter) else { continue };
                let resp3 = state.clients[waiter].resp3;
                let mut ctx = Ctx {
                    store,
                    server: state,
                    client_key: waiter,
                    db_index,
                    out: Reply::new(&mut conn.wbuf, resp3),
                    now_ms,
                    caller: Caller::Wakeup,
                    unserved: false,
                    busy: None,
                };
                cmd::execute(&mut ctx, command.args());
                let served = !ctx.unserved;
                // The waiter's reply and the writer's both wait for the log.
                conn.aof_hold = state.persist.aof.appended();
                if served {
                    state.unblock(waiter);
                    queue_write(conns, write_queue, waiter);
                    resume.push(waiter);
                }
                if !state.pubsub.outbox.is_empty() {
                    deliver_outbox(conns, state, write_queue);
                }
            }
        }
    }
}
