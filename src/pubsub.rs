//! Publish/subscribe: who listens to which channel, pattern or shard
//! channel, the messages on their way to them, and Redis keyspace
//! notifications.
//!
//! Shard channels (`SSUBSCRIBE`, `SPUBLISH`) are a registry of their own:
//! they never match patterns, their messages are `smessage`s, and a
//! client's shard subscriptions are counted apart from its channels and
//! patterns (as Redis 7.0 counts them in its confirmations).
//!
//! This module owns the subscription registry and nothing else: it knows
//! no sockets. [`PubSub::publish`] encodes each message in the receiving
//! client's protocol (RESP2 array or RESP3 push) and either appends it to
//! the publishing client's own output buffer (so a RESP3 client that
//! changes a key it watches sees the notification before the reply, as in
//! Redis) or to the [`Outbox`], which the event loop empties into the
//! other connections' output buffers after each command.
//!
//! # Keyspace notifications: the hook for command handlers
//!
//! Every command that changes a key calls, once per change and after the
//! change, **`ctx.notify(class, event, key)`** (`cmd::Ctx::notify`), or
//! `ctx.notify_in(db, class, event, key)` when the key is in another
//! database than the client's. `class` is one of the [`GENERIC`],
//! [`STRING`], [`LIST`], [`SET`], [`HASH`], [`ZSET`] constants below and
//! `event` is Redis's event name (`"lpush"`, `"zadd"`, `"del"`...). That
//! one call does all of Redis's per-key bookkeeping:
//!
//! * publishes `__keyspace@<db>__:<key>` → `event` and
//!   `__keyevent@<db>__:<event>` → `key` when `notify-keyspace-events`
//!   enables the class and someone is subscribed;
//! * marks the key modified for `WATCH` (Redis's `signalModifiedKey`);
//! * marks the key ready for clients blocked on it (`signalKeyAsReady`).
//!
//! With nobody subscribed, watching or blocked, the call is one branch.
//!
//! # Defaults and limits
//!
//! Notifications are on by default: `notify-keyspace-events` starts as
//! `KEA` (printed the way Redis prints it, `AKE`), and `CONFIG SET
//! notify-keyspace-events ""` switches them off. The `n` class (new keys)
//! is accepted but sends no `new` events yet. Patterns follow Redis's glob
//! rules (`store::glob`). A subscriber cannot be slowed down the way a
//! client that only reads its own replies can, so the loop disconnects one
//! whose unsent output passes 32 MiB, or stays over 8 MiB for 60 s.

use std::collections::HashMap;

use crate::protocol::Reply;
use crate::store::glob::glob_match;

/// Notification classes (Redis's `NOTIFY_*`), one bit each.
pub const KEYSPACE: u32 = 1 << 0;
pub const KEYEVENT: u32 = 1 << 1;
pub const GENERIC: u32 = 1 << 2;
pub const STRING: u32 = 1 << 3;
pub const LIST: u32 = 1 << 4;
pub const SET: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const ZSET: u32 = 1 << 7;
pub const EXPIRED: u32 = 1 << 8;
pub const EVICTED: u32 = 1 << 9;
pub const STREAM: u32 = 1 << 10;
pub const KEY_MISS: u32 = 1 << 11;
pub const MODULE: u32 = 1 << 12;
pub const NEW: u32 = 1 << 13;
/// What the `A` alias stands for.
pub const ALL: u32 = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// Parses a `notify-keyspace-events` value (`"KEA"`, `"Elg"`...) into
/// class bits; `None` on an unknown character.
pub fn parse_flags(text: &str) -> Option<u32> {
    let mut flags = 0;
    for c in text.chars() {
        flags |= match c {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            _ => return None,
        };
    }
    Some(flags)
}

/// Prints class bits as Redis prints `notify-keyspace-events` (`KEA` is
/// shown as `AKE`).
pub fn flags_to_string(flags: u32) -> String {
    let mut text = String::new();
    if flags & ALL == ALL {
        text.push('A');
    } else {
        let classes = [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
        ];
        text.extend(classes.iter().filter(|(bit, _)| flags & bit != 0).map(|&(_, c)| c));
    }
    let trailing = [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm'), (NEW, 'n')];
    text.extend(trailing.iter().filter(|(bit, _)| flags & bit != 0).map(|&(_, c)| c));
    text
}

/// Messages for other connections, produced while a command runs: the
/// encoded bytes and, per message, the receiving client and its slice.
#[derive(Default)]
pub struct Outbox {
    pub data: Vec<u8>,
    /// `(client key, start, end)` into `data`.
    pub messages: Vec<(usize, usize, usize)>,
}

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Queues `bytes` for the connection of session `client`.
    pub fn push(&mut self, client: usize, bytes: &[u8]) {
        let start = self.data.len();
        self.data.extend_from_slice(bytes);
        self.messages.push((client, start, self.data.len()));
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.messages.clear();
    }
}

/// The client running the current command and its output buffer:
/// messages for it are written there directly, in order with its replies.
pub struct Own<'a> {
    pub key: usize,
    pub buf: &'a mut Vec<u8>,
}

/// One client's subscriptions, each with the order it was made in.
#[derive(Default)]
struct ClientSubs {
    channels: HashMap<Vec<u8>, u64>,
    patterns: HashMap<Vec<u8>, u64>,
    shards: HashMap<Vec<u8>, u64>,
}

impl ClientSubs {
    fn count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    fn total(&self) -> usize {
        self.count() + self.shards.len()
    }

    fn of(&mut self, kind: Kind) -> &mut HashMap<Vec<u8>, u64> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shards,
        }
    }
}

/// Which kind of subscription a command manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    /// A shard channel (`SSUBSCRIBE`).
    Shard,
}

/// The subscription registry, the outbox, and the notification classes.
pub struct PubSub {
    channels: HashMap<Vec<u8>, Vec<usize>>,
    shard_channels: HashMap<Vec<u8>, Vec<usize>>,
    /// Patterns in the order first subscribed, with their subscribers.
    patterns: Vec<(Vec<u8>, Vec<usize>)>,
    clients: HashMap<usize, ClientSubs>,
    /// Number of (client, channel or pattern) subscriptions.
    total: usize,
    next_seq: u64,
    /// `notify-keyspace-events` as class bits.
    pub flags: u32,
    pub outbox: Outbox,
    /// While the running client's replies are muted (`CLIENT REPLY
    /// OFF|SKIP`): the spans of its buffer that hold pushes for it, which
    /// are sent anyway.
    pub own_pushes: Option<Vec<(usize, usize)>>,
}

impl Default for PubSub {
    fn default() -> Self {
        PubSub {
            channels: HashMap::new(),
            shard_channels: HashMap::new(),
            patterns: Vec::new(),
            clients: HashMap::new(),
            total: 0,
            next_seq: 0,
            flags: KEYSPACE | KEYEVENT | ALL,
            outbox: Outbox::default(),
            own_pushes: None,
        }
    }
}

impl PubSub {
    /// True if anybody is subscribed to anything.
    #[inline]
    pub fn active(&self) -> bool {
        self.total != 0
    }

    /// Notes a push the running client wrote into its own buffer, from
    /// `from` to `to`, in case its replies are muted.
    #[inline]
    pub fn own_push(&mut self, from: usize, to: usize) {
        if let Some(spans) = &mut self.own_pushes {
            spans.push((from, to));
        }
    }

    /// Channels plus patterns `client` is subscribed to.
    pub fn count_of(&self, client: usize) -> usize {
        self.clients.get(&client).map_or(0, ClientSubs::count)
    }

    /// Shard channels `client` is subscribed to.
    pub fn shard_count_of(&self, client: usize) -> usize {
        self.clients.get(&client).map_or(0, |subs| subs.shards.len())
    }

    /// Every subscription of `client`, shard channels included: while it
    /// is not zero, a RESP2 client is in subscribed mode.
    pub fn total_of(&self, client: usize) -> usize {
        self.clients.get(&client).map_or(0, ClientSubs::total)
    }

    /// Subscribes; returns false if `client` already was.
    pub fn subscribe(&mut self, client: usize, kind: Kind, name: &[u8]) -> bool {
        let set = self.clients.entry(client).or_default().of(kind);
        if set.contains_key(name) {
            return false;
        }
        set.insert(name.to_vec(), self.next_seq);
        self.next_seq += 1;
        self.total += 1;
        match kind {
            Kind::Channel => self.channels.entry(name.to_vec()).or_default().push(client),
            Kind::Shard => self.shard_channels.entry(name.to_vec()).or_default().push(client),
            Kind::Pattern => match self.patterns.iter_mut().find(|(p, _)| p == name) {
                Some((_, listeners)) => listeners.push(client),
                None => self.patterns.push((name.to_vec(), vec![client])),
            },
        }
        true
    }

    /// Unsubscribes; returns false if `client` was not subscribed.
    pub fn unsubscribe(&mut self, client: usize, kind: Kind, name: &[u8]) -> bool {
        let Some(subs) = self.clients.get_mut(&client) else { return false };
        if subs.of(kind).remove(name).is_none() {
            return false;
        }
        if subs.total() == 0 {
            self.clients.remove(&client);
        }
        self.total -= 1;
        match kind {
            Kind::Channel | Kind::Shard => {
                let registry = if kind == Kind::Channel { &mut self.channels } else { &mut self.shard_channels };
                if let Some(listeners) = registry.get_mut(name) {
                    listeners.retain(|&c| c != client);
                    if listeners.is_empty() {
                        registry.remove(name);
                    }
                }
            }
            Kind::Pattern => {
                if let Some(at) = self.patterns.iter().position(|(p, _)| p == name) {
                    self.patterns[at].1.retain(|&c| c != client);
                    if self.patterns[at].1.is_empty() {
                        self.patterns.remove(at);
                    }
                }
            }
        }
        true
    }

    /// The channels or patterns of `client`, in subscription order.
    pub fn subscriptions_of(&self, client: usize, kind: Kind) -> Vec<Vec<u8>> {
        let Some(subs) = self.clients.get(&client) else { return Vec::new() };
        let set = match kind {
            Kind::Channel => &subs.channels,
            Kind::Pattern => &subs.patterns,
            Kind::Shard => &subs.shards,
        };
        let mut names: Vec<(&Vec<u8>, u64)> = set.iter().map(|(n, &s)| (n, s)).collect();
        names.sort_by_key(|&(_, seq)| seq);
        names.into_iter().map(|(n, _)| n.clone()).collect()
    }

    /// Drops every subscription of `client` (disconnect, `RESET`).
    pub fn remove_client(&mut self, client: usize) {
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for name in self.subscriptions_of(client, kind) {
                self.unsubscribe(client, kind, &name);
            }
        }
    }

    /// Active channels, optionally only those matching `pattern`.
    pub fn channel_names(&self, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.channels.keys().map(Vec::as_slice).filter(|c| pattern.is_none_or(|p| glob_match(p, c))).collect()
    }

    /// Subscribers of one channel (patterns not counted).
    pub fn channel_subscribers(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    /// Active shard channels, optionally only those matching `pattern`.
    pub fn shard_channel_names(&self, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        self.shard_channels.keys().map(Vec::as_slice).filter(|c| pattern.is_none_or(|p| glob_match(p, c))).collect()
    }

    /// Subscribers of one shard channel.
    pub fn shard_channel_subscribers(&self, channel: &[u8]) -> usize {
        self.shard_channels.get(channel).map_or(0, Vec::len)
    }

    /// Delivers `message` on shard channel `channel` as an `smessage` to
    /// its subscribers (patterns never match shard channels); as
    /// [`PubSub::publish`] otherwise. Returns the receivers.
    pub fn publish_shard(
        &mut self,
        channel: &[u8],
        message: &[u8],
        resp3_of: impl Fn(usize) -> bool,
        own: &mut Own<'_>,
    ) -> usize {
        let Some(listeners) = self.shard_channels.get(channel) else { return 0 };
        for &client in listeners {
            let buf = if client == own.key { &mut *own.buf } else { &mut self.outbox.data };
            let start = buf.len();
            let mut out = Reply::new(buf, resp3_of(client));
            out.push(3);
            out.bulk(b"smessage");
            out.bulk(channel);
            out.bulk(message);
            if client != own.key {
                self.outbox.messages.push((client, start, self.outbox.data.len()));
            } else if let Some(spans) = &mut self.own_pushes {
                spans.push((start, own.buf.len()));
            }
        }
        listeners.len()
    }

    /// Distinct patterns anybody is subscribed to.
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Delivers `message` on `channel` to every subscriber and matching
    /// pattern. `resp3_of` tells a client's protocol; a message for the
    /// client running the command goes straight into its buffer (`own`),
    /// the others into the outbox. Returns the receivers.
    pub fn publish(
        &mut self,
        channel: &[u8],
        message: &[u8],
        resp3_of: impl Fn(usize) -> bool,
        own: &mut Own<'_>,
    ) -> usize {
        let mut receivers = 0;
        if let Some(listeners) = self.channels.get(channel) {
            for &client in listeners {
                let buf = if client == own.key { &mut *own.buf } else { &mut self.outbox.data };
                let start = buf.len();
                let mut out = Reply::new(buf, resp3_of(client));
                out.push(3);
                out.bulk(b"message");
                out.bulk(channel);
                out.bulk(message);
                if client != own.key {
                    self.outbox.messages.push((client, start, self.outbox.data.len()));
                } else if let Some(spans) = &mut self.own_pushes {
                    spans.push((start, own.buf.len()));
                }
                receivers += 1;
            }
        }
        for (pattern, listeners) in &self.patterns {
            if !glob_match(pattern, channel) {
                continue;
            }
            for &client in listeners {
                let buf = if client == own.key { &mut *own.buf } else { &mut self.outbox.data };
                let start = buf.len();
                let mut out = Reply::new(buf, resp3_of(client));
                out.push(4);
                out.bulk(b"pmessage");
                out.bulk(pattern);
                out.bulk(channel);
                out.bulk(message);
                if client != own.key {
                    self.outbox.messages.push((client, start, self.outbox.data.len()));
                } else if let Some(spans) = &mut self.own_pushes {
                    spans.push((start, own.buf.len()));
                }
                receivers += 1;
            }
        }
        receivers
    }

    /// Publishes a keyspace notification (Redis's `notifyKeyspaceEvent`)
    /// if `class` is enabled. Call only when [`PubSub::active`].
    pub fn notify_keyspace(
        &mut self,
        class: u32,
        event: &str,
        key: &[u8],
        db: usize,
        resp3_of: impl Fn(usize) -> bool,
        own: &mut Own<'_>,
    ) {
        if self.flags & class == 0 {
            return;
        }
        if self.flags & KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            self.publish(&channel, event.as_bytes(), &resp3_of, own);
        }
        if self.flags & KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{event}");
            self.publish(channel.as_bytes(), key, &resp3_of, own);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_like_redis() {
        assert_eq!(parse_flags("KEA"), Some(KEYSPACE | KEYEVENT | ALL));
        assert_eq!(parse_flags(""), Some(0));
        assert_eq!(parse_flags("El"), Some(KEYEVENT | LIST));
        assert_eq!(parse_flags("Kn"), Some(KEYSPACE | NEW));
        assert_eq!(parse_flags("Q"), None);
        assert_eq!(ALL & KEY_MISS, 0);
    }

    #[test]
    fn subscribe_publish_unsubscribe() {
        let mut ps = PubSub::default();
        assert!(!ps.active());
        assert!(ps.subscribe(1, Kind::Channel, b"news"));
        assert!(!ps.subscribe(1, Kind::Channel, b"news"));
        assert!(ps.subscribe(2, Kind::Pattern, b"n*"));
        assert_eq!(ps.count_of(1), 1);
        let mut buf = Vec::new();
        assert_eq!(ps.publish(b"news", b"hi", |_| false, &mut Own { key: 1, buf: &mut buf }), 2);
        assert_eq!(buf, b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
        assert_eq!(ps.outbox.messages.len(), 1);
        let (client, start, end) = ps.outbox.messages[0];
        assert_eq!(client, 2);
        assert_eq!(&ps.outbox.data[start..end], b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n");
        assert!(ps.subscribe(1, Kind::Shard, b"news"));
        assert_eq!((ps.count_of(1), ps.shard_count_of(1), ps.total_of(1)), (1, 1, 2));
        ps.outbox.clear();
        let mut buf = Vec::new();
        assert_eq!(ps.publish_shard(b"news", b"s", |_| true, &mut Own { key: 3, buf: &mut buf }), 1);
        assert_eq!(&ps.outbox.data[..], b">3\r\n$8\r\nsmessage\r\n$4\r\nnews\r\n$1\r\ns\r\n");
        assert_eq!(ps.shard_channel_names(None), [b"news"]);
        ps.remove_client(1);
        ps.remove_client(2);
        assert!(!ps.active());
        assert_eq!(ps.shard_channel_subscribers(b"news"), 0);
        assert_eq!(ps.pattern_count(), 0);
        assert!(ps.channel_names(None).is_empty());
    }
}
