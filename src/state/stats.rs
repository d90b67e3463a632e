//! Counters for `INFO stats` and `INFO commandstats`, and the slow log.
//!
//! Only commands that clients sent are timed and counted (also those a
//! transaction or a woken blocked client runs); records replayed at
//! start-up are not, as in Redis. A command is known here by its index in
//! the command table (`CommandSpec::id`), so this module needs nothing of
//! the table itself.

use std::collections::VecDeque;
use std::time::Duration;

use super::Client;
use crate::protocol::Args;

/// An entry keeps at most this many arguments (the last one saying how
/// many more there were), each cut to [`SLOW_ARG_BYTES`] bytes.
const SLOW_ARGS: usize = 32;
const SLOW_ARG_BYTES: usize = 128;

/// One slow-log entry.
#[derive(Debug, Clone)]
pub struct SlowEntry {
    pub id: u64,
    pub time_s: i64,
    pub micros: u64,
    pub args: Vec<Vec<u8>>,
    pub client_addr: String,
    pub client_name: Vec<u8>,
}

/// Counters for `INFO stats` and `INFO commandstats`.
#[derive(Debug, Default)]
pub struct Stats {
    pub commands: u64,
    pub connections: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    /// Keys removed to stay under `maxmemory`.
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// Per command id: (calls, microseconds, failed calls).
    pub per_command: Vec<(u64, u64, u64)>,
    pub slowlog: VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    /// Commands slower than this many microseconds are logged; negative
    /// disables the log.
    pub slowlog_threshold_us: i64,
    pub slowlog_max_len: usize,
}

impl Stats {
    /// Counts and times one command, and keeps it in the slow log if it
    /// was slow and `slow_log` names it (its entry has no
    /// `skip_slowlog`), secrets redacted.
    #[inline]
    pub fn record_command(
        &mut self,
        command_id: usize,
        elapsed: Duration,
        args: Args<'_>,
        now_ms: i64,
        client: Option<&Client>,
        slow_log: Option<&str>,
    ) {
        self.commands += 1;
        if self.per_command.len() <= command_id {
            self.per_command.resize(command_id + 1, (0, 0, 0));
        }
        let micros = elapsed.as_micros() as u64;
        let slot = &mut self.per_command[command_id];
        slot.0 += 1;
        slot.1 += micros;
        let Some(name) = slow_log else { return };
        if self.slowlog_threshold_us >= 0 && micros >= self.slowlog_threshold_us as u64 && self.slowlog_max_len > 0 {
            self.log_slow(micros, args, now_ms, client, super::redact::Redaction::of(name, args));
        }
    }

    /// Adds a slow-log entry: long argument lists and long arguments are
    /// shortened as Redis does (`... (N more arguments)`, `... (N more
    /// bytes)`).
    #[cold]
    fn log_slow(
        &mut self,
        micros: u64,
        args: Args<'_>,
        now_ms: i64,
        client: Option<&Client>,
        hidden: super::redact::Redaction,
    ) {
        self.slowlog_next_id += 1;
        let shown = args.len().min(SLOW_ARGS);
        let mut kept: Vec<Vec<u8>> = Vec::with_capacity(shown);
        for (i, arg) in args.iter().take(shown).enumerate() {
            let arg: &[u8] = if hidden.hides(i) { b"(redacted)" } else { arg };
            if shown != args.len() && i == shown - 1 {
                kept.push(format!("... ({} more arguments)", args.len() - shown + 1).into_bytes());
            } else if arg.len() > SLOW_ARG_BYTES {
                let mut cut = arg[..SLOW_ARG_BYTES].to_vec();
                cut.extend_from_slice(format!("... ({} more bytes)", arg.len() - SLOW_ARG_BYTES).as_bytes());
                kept.push(cut);
            } else {
                kept.push(arg.to_vec());
            }
        }
        self.slowlog.push_front(SlowEntry {
            id: self.slowlog_next_id - 1,
            time_s: now_ms / 1000,
            micros,
            args: kept,
            client_addr: client.map(|c| c.addr.clone()).unwrap_or_default(),
            client_name: client.map(|c| c.name.clone()).unwrap_or_default(),
        });
        self.slowlog.truncate(self.slowlog_max_len);
    }
}
