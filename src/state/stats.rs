//! Counters for `INFO stats` and `INFO commandstats`, and the slow log.
//!
//! Only commands that clients sent are timed and counted (also those a
//! transaction or a woken blocked client runs); records replayed at
//! start-up are not, as in Redis. A command is known here by its index in
//! the command table (`CommandSpec::id`), so this module needs nothing of
//! the table itself.

use std::collections::VecDeque;
use std::time::Duration;

use crate::protocol::Args;

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
    #[inline]
    pub fn record_command(&mut self, command_id: usize, elapsed: Duration, args: Args<'_>, now_ms: i64) {
        self.commands += 1;
        if self.per_command.len() <= command_id {
            self.per_command.resize(command_id + 1, (0, 0, 0));
        }
        let micros = elapsed.as_micros() as u64;
        let slot = &mut self.per_command[command_id];
        slot.0 += 1;
        slot.1 += micros;
        if self.slowlog_threshold_us >= 0 && micros >= self.slowlog_threshold_us as u64 && self.slowlog_max_len > 0 {
            self.slowlog_next_id += 1;
            let kept: Vec<Vec<u8>> = args.iter().take(32).map(|a| a[..a.len().min(128)].to_vec()).collect();
            self.slowlog.push_front(SlowEntry {
                id: self.slowlog_next_id - 1,
                time_s: now_ms / 1000,
                micros,
                args: kept,
                client_addr: String::new(),
                client_name: Vec::new(),
            });
            self.slowlog.truncate(self.slowlog_max_len);
        }
    }
}
