//! The ACL log (`ACL LOG`): the latest denials and failed
//! authentications, newest first, similar ones grouped with a count as
//! Redis groups them (same reason, context, object and user within 60 s,
//! among the 10 newest).
//!
//! Invariant: at most `max_len` entries (`acllog-max-len`, 128).

use std::collections::VecDeque;

/// What was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    /// `toplevel`, `multi`, `lua`.
    pub context: &'static str,
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    pub time_ms: i64,
    pub client_info: String,
}

pub struct AclLog {
    pub entries: VecDeque<Entry>,
    pub max_len: usize,
}

impl Default for AclLog {
    fn default() -> Self {
        AclLog { entries: VecDeque::new(), max_len: 128 }
    }
}

const GROUPING_MS: i64 = 60_000;

impl AclLog {
    pub fn add(&mut self, entry: Entry) {
        let similar = self.entries.iter().take(10).position(|e| {
            e.reason == entry.reason
                && e.context == entry.context
                && (e.time_ms - entry.time_ms).abs() <= GROUPING_MS
                && e.object == entry.object
                && e.username == entry.username
        });
        if let Some(at) = similar {
            let mut found = self.entries.remove(at).expect("position is in range");
            found.count += 1;
            found.time_ms = entry.time_ms;
            found.client_info = entry.client_info;
            self.entries.push_front(found);
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(self.max_len);
    }
}
