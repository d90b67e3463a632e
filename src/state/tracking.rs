//! Client-side caching (`CLIENT TRACKING`): which clients may hold which
//! keys, and the invalidation messages that tell them a key changed.
//!
//! As in Redis 7.0, keys are tracked by name across databases. In the
//! default mode the keys a tracking client reads are remembered in
//! the registry's table (key → ids of the clients that read it); the first
//! change to such a key sends each of them an invalidation and forgets
//! the key, until someone reads it again. In `BCAST` mode nothing is
//! remembered: every change to a key under one of the client's prefixes
//! is collected, and [`Tracking::broadcast`] sends the collected keys once
//! per loop round. `FLUSHDB`/`FLUSHALL` send every tracking client a null
//! ("everything").
//!
//! An invalidation is a RESP3 push `invalidate [keys]` on the client's
//! own connection, or, with `REDIRECT id`, a message on the
//! `__redis__:invalidate` channel to that client (a push if it speaks
//! RESP3); a RESP2 client without redirection gets nothing, as in Redis.
//! Messages go into the pub/sub outbox, so the writer's own invalidation
//! follows its reply. With nobody tracking, [`Tracking::any`] is false and
//! no command does any tracking work.
//!
//! Invariants: `clients` holds exactly the sessions with tracking on; a
//! key in `table` has at least one id; ids of clients gone are dropped
//! lazily, when their key is next invalidated.

use std::collections::HashMap;

use slab::Slab;

use super::session::Client;
use crate::protocol::Reply;
use crate::pubsub::Outbox;

/// The name of the channel redirected invalidations are published on.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// One client's tracking options (`CLIENT TRACKING ON ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Client id invalidations are redirected to; 0 for none.
    pub redirect: u64,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// `BCAST` prefixes (none means every key).
    pub prefixes: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct Tracker {
    id: u64,
    options: Options,
    /// `CLIENT CACHING YES|NO` given for the next command.
    caching: bool,
    /// The redirection target disconnected.
    broken_redirect: bool,
}

/// Changed keys under one `BCAST` prefix waiting for the end of the
/// loop round, each with the session that changed it last.
#[derive(Default)]
struct Prefix {
    prefix: Vec<u8>,
    /// Session keys of the clients following this prefix.
    clients: Vec<usize>,
    pending: Vec<(Vec<u8>, usize)>,
}

/// The tracking registry.
#[derive(Default)]
pub struct Tracking {
    clients: HashMap<usize, Tracker>,
    /// Key → ids of the clients that may cache it.
    table: HashMap<Vec<u8>, Vec<u64>>,
    prefixes: Vec<Prefix>,
}

impl Tracking {
    /// True if some client has tracking on.
    #[inline]
    pub fn any(&self) -> bool {
        !self.clients.is_empty()
    }

    pub fn options(&self, client: usize) -> Option<&Options> {
        self.clients.get(&client).map(|t| &t.options)
    }

    /// Turns tracking on for session `client` (id `id`); the caller
    /// checked the options.
    pub fn enable(&mut self, client: usize, id: u64, options: Options) {
        self.leave_prefixes(client);
        if options.bcast {
            let wanted = if options.prefixes.is_empty() { vec![Vec::new()] } else { options.prefixes.clone() };
            for prefix in wanted {
                match self.prefixes.iter_mut().find(|p| p.prefix == prefix) {
                    Some(p) => p.clients.push(client),
                    None => self.prefixes.push(Prefix { prefix, clients: vec![client], pending: Vec::new() }),
                }
            }
        }
        self.clients.insert(client, Tracker { id, options, caching: false, broken_redirect: false });
    }

    /// Turns tracking off (also on disconnect and `RESET`).
    pub fn disable(&mut self, client: usize) {
        self.leave_prefixes(client);
        self.clients.remove(&client);
    }

    fn leave_prefixes(&mut self, client: usize) {
        for p in &mut self.prefixes {
            p.clients.retain(|&c| c != client);
        }
        self.prefixes.retain(|p| !p.clients.is_empty());
    }

    /// `CLIENT CACHING YES|NO`: marks the next command.
    pub fn set_caching(&mut self, client: usize) {
        if let Some(t) = self.clients.get_mut(&client) {
            t.caching = true;
        }
    }

    /// After a command outside a transaction (and after `EXEC`): a
    /// `CLIENT CACHING` mark lasts for one command (`CLIENT` commands
    /// themselves keep it).
    pub fn command_done(&mut self, client: usize, was_client_command: bool) {
        if was_client_command {
            return;
        }
        if let Some(t) = self.clients.get_mut(&client) {
            t.caching = false;
        }
    }

    /// `CLIENT TRACKINGINFO`: flags, redirect id (-1 when off), prefixes.
    pub fn info(&self, client: usize) -> (Vec<&'static str>, i64, Vec<Vec<u8>>) {
        let Some(t) = self.clients.get(&client) else { return (vec!["off"], -1, Vec::new()) };
        let o = &t.options;
        let mut flags = vec!["on"];
        let marks = [
            (o.bcast, "bcast"),
            (o.optin, "optin"),
            (o.optin && t.caching, "caching-yes"),
            (o.optout, "optout"),
            (o.optout && t.caching, "caching-no"),
            (o.noloop, "noloop"),
            (t.broken_redirect, "broken_redirect"),
        ];
        flags.extend(marks.iter().filter(|(on, _)| *on).map(|&(_, name)| name));
        (flags, o.redirect as i64, o.prefixes.clone())
    }

    /// Remembers the keys a read-only command of `client` read, if it
    /// tracks them (default mode; `OPTIN` only after `CACHING YES`,
    /// `OPTOUT` unless after `CACHING NO`).
    pub fn remember<'a>(&mut self, client: usize, keys: impl Iterator<Item = &'a [u8]>) {
        let Some(t) = self.clients.get(&client) else { return };
        let o = &t.options;
        if o.bcast || (o.optin && !t.caching) || (o.optout && t.caching) {
            return;
        }
        let id = t.id;
        for key in keys {
            let ids = self.table.entry(key.to_vec()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }

    /// Key `key` changed (written, expired, evicted) by session `writer`
    /// (`usize::MAX` for none): invalidations for the clients that may
    /// cache it, into `outbox`.
    pub fn invalidate(&mut self, key: &[u8], writer: usize, clients: &Slab<Client>, outbox: &mut Outbox) {
        for p in &mut self.prefixes {
            if key.starts_with(&p.prefix) {
                match p.pending.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = writer,
                    None => p.pending.push((key.to_vec(), writer)),
                }
            }
        }
        let Some(ids) = self.table.remove(key) else { return };
        for id in ids {
            let Some((&session, tracker)) = self.clients.iter_mut().find(|(_, t)| t.id == id) else { continue };
            if tracker.options.bcast || (tracker.options.noloop && session == writer) {
                continue;
            }
            send(session, tracker, &key_array(&[key]), clients, outbox);
        }
    }

    /// `FLUSHDB`/`FLUSHALL`: every tracking client is told that all keys
    /// are invalid, and nothing stays remembered.
    pub fn flushed(&mut self, clients: &Slab<Client>, outbox: &mut Outbox) {
        for (&session, tracker) in self.clients.iter_mut() {
            // The null is the tracking client's own protocol's, wherever it goes.
            let mut null = Vec::new();
            Reply::new(&mut null, clients.get(session).is_some_and(|c| c.resp3)).null();
            send(session, tracker, &null, clients, outbox);
        }
        self.table.clear();
    }

    /// End of a loop round: the keys changed under each `BCAST` prefix go
    /// to its clients, one message per client and prefix (without the
    /// keys a `NOLOOP` client changed itself).
    pub fn broadcast(&mut self, clients: &Slab<Client>, outbox: &mut Outbox) {
        for p in &mut self.prefixes {
            if p.pending.is_empty() {
                continue;
            }
            let pending = std::mem::take(&mut p.pending);
            for &session in &p.clients {
                let Some(tracker) = self.clients.get_mut(&session) else { continue };
                let noloop = tracker.options.noloop;
                let keys: Vec<&[u8]> =
                    pending.iter().filter(|(_, w)| !noloop || *w != session).map(|(k, _)| k.as_slice()).collect();
                if keys.is_empty() {
                    continue;
                }
                send(session, tracker, &key_array(&keys), clients, outbox);
            }
        }
    }

    /// True if a `BCAST` prefix has changed keys waiting.
    pub fn has_pending(&self) -> bool {
        self.prefixes.iter().any(|p| !p.pending.is_empty())
    }

    /// Keys remembered, (key, client) pairs, prefixes: `INFO stats`'s
    /// `tracking_total_keys`, `_items`, `_prefixes`.
    pub fn totals(&self) -> (usize, usize, usize) {
        (self.table.len(), self.table.values().map(Vec::len).sum(), self.prefixes.len())
    }

    /// Number of clients with tracking on (`INFO clients`).
    pub fn clients(&self) -> usize {
        self.clients.len()
    }
}

/// The keys of an invalidation, as the array it carries.
fn key_array(keys: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut reply = Reply::new(&mut out, false);
    reply.array(keys.len());
    for key in keys {
        reply.bulk(key);
    }
    out
}

/// The session an invalidation for `tracker` goes to, with its session:
/// the client itself, or its redirection target if it still exists.
fn redirect_target<'c>(session: usize, tracker: &Tracker, clients: &'c Slab<Client>) -> Option<(usize, &'c Client)> {
    if tracker.options.redirect == 0 {
        return clients.get(session).map(|c| (session, c));
    }
    clients.iter().find(|(_, c)| c.id == tracker.options.redirect)
}

/// Sends one invalidation whose value part (an array of keys, or a null)
/// is `value`, as `sendTrackingMessage` does.
fn send(session: usize, tracker: &mut Tracker, value: &[u8], clients: &Slab<Client>, outbox: &mut Outbox) {
    let redirected = tracker.options.redirect != 0;
    let Some((target, client)) = redirect_target(session, tracker, clients) else {
        tracker.broken_redirect = true;
        if clients.get(session).is_some_and(|c| c.resp3) {
            let mut text = Vec::new();
            let mut reply = Reply::new(&mut text, true);
            reply.push(2);
            reply.bulk(b"tracking-redir-broken");
            reply.int(tracker.options.redirect as i64);
            outbox.push(session, &text);
        }
        return;
    };
    let mut message = Vec::with_capacity(value.len() + 48);
    let mut reply = Reply::new(&mut message, client.resp3);
    if client.resp3 {
        reply.push(2);
        reply.bulk(b"invalidate");
    } else if redirected && client.subscriptions > 0 {
        reply.array(3);
        reply.bulk(b"message");
        reply.bulk(CHANNEL);
    } else {
        return;
    }
    message.extend_from_slice(value);
    outbox.push(target, &message);
}
