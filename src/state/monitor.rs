//! `MONITOR`: the line each command a client runs adds to the feed that
//! the loop copies to every monitoring client after the command. A
//! monitoring client's own commands are not shown, as in Redis; nor are
//! commands refused before they ran, and those a transaction queues are
//! shown when `EXEC` runs them. Lines carry the real time, to the
//! microsecond.

use super::redact::Redaction;
use super::ServerState;
use crate::protocol::Args;

impl ServerState {
    /// Appends a `MONITOR` line for a command to the shared feed.
    pub fn monitor_line(&mut self, key: usize, db: usize, args: Args<'_>, hidden: Redaction) {
        if self.monitors.contains(&key) {
            return;
        }
        let addr = self.clients.get(key).map(|c| c.addr.clone()).unwrap_or_default();
        let now_us = crate::clock::unix_us();
        let mut line = format!("+{}.{:06} [{} {}]", now_us / 1_000_000, now_us % 1_000_000, db, addr);
        for (i, arg) in args.iter().enumerate() {
            let arg: &[u8] = if hidden.hides(i) { b"(redacted)" } else { arg };
            line.push_str(" \"");
            for &b in arg {
                match b {
                    b'"' => line.push_str("\\\""),
                    b'\\' => line.push_str("\\\\"),
                    b'\n' => line.push_str("\\n"),
                    b'\r' => line.push_str("\\r"),
                    b'\t' => line.push_str("\\t"),
                    0x20..=0x7e => line.push(b as char),
                    _ => line.push_str(&format!("\\x{b:02x}")),
                }
            }
            line.push('"');
        }
        line.push_str("\r\n");
        self.monitor_feed.extend_from_slice(line.as_bytes());
    }
}
