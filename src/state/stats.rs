//! Counters for `INFO stats` and `INFO commandstats`, the slow log, and
//! the latency monitor's feed (`super::latency`).
//!
//! Only commands that clients sent are timed and counted (also those a
//! transaction or a woken blocked client runs); records replayed at
//! start-up are not, as in Redis. A command is known here by its index in
//! the command table (`CommandSpec::id`), so this module needs nothing of
//! the table itself.

use std::collections::{BTreeMap, VecDeque};
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

/// One command's line of `INFO commandstats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CommandStats {
    pub calls: u64,
    pub usec: u64,
    /// Calls that ran and answered an error.
    pub failed: u64,
    /// Calls refused before they ran (arity, authentication, `MISCONF`).
    pub rejected: u64,
}

/// Error replies count by their first word, as Redis's `errorstats`;
/// past this many kinds, new kinds are not counted (as in Redis).
const ERROR_KINDS: usize = 128;

/// Samples of the instantaneous rates: one per tick, averaged over this
/// many (Redis: 16 samples, one per 100 ms).
const RATE_SAMPLES: usize = 16;

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
    /// Per command id.
    pub per_command: Vec<CommandStats>,
    /// Error replies sent to clients, and by their first word.
    pub total_error_replies: u64,
    pub errors: BTreeMap<String, u64>,
    /// `read` and `write` calls on client sockets.
    pub reads_processed: u64,
    pub writes_processed: u64,
    /// Per tick: (time ms, commands, input bytes, output bytes), newest
    /// last, for the `instantaneous_*` fields.
    pub rate_samples: VecDeque<(i64, u64, u64, u64)>,
    /// Bytes allocated once the server was ready (`used_memory_startup`).
    pub startup_memory: usize,
    /// Keys loaded at start-up (`rdb_last_load_keys_loaded`).
    pub loaded_keys: usize,
    /// Snapshots written (`rdb_saves`, `aof_rewrites`).
    pub snapshots: u64,
    /// Time the active expiry cycle has taken, and how often it stopped
    /// at its time budget.
    pub expire_cycle_us: u64,
    pub expire_cycle_cap_reached: u64,
    pub slowlog: VecDeque<SlowEntry>,
    pub slowlog_next_id: u64,
    /// Commands slower than this many microseconds are logged; negative
    /// disables the log.
    pub slowlog_threshold_us: i64,
    pub slowlog_max_len: usize,
    /// `LATENCY`'s events and histograms, fed with the same timings.
    pub latency: super::latency::LatencyMonitor,
}

/// What the statistics need to know of a command that ran.
#[derive(Debug, Clone, Copy)]
pub struct Ran {
    /// Its statistics slot (the container's, for a subcommand).
    pub command_id: usize,
    /// Flagged `fast`: its latency samples are `fast-command` events.
    pub fast: bool,
    /// Its name, if it may go to the slow log (its entry has no
    /// `skip_slowlog`): the log redacts secrets by it.
    pub slow_log: Option<&'static str>,
}

impl Stats {
    /// Counts and times one command, and keeps it in the slow log if it
    /// was slow and may go there (`Ran::slow_log` names it; secrets
    /// are redacted).
    #[inline]
    pub fn record_command(
        &mut self,
        ran: Ran,
        elapsed: Duration,
        args: Args<'_>,
        now_ms: i64,
        client: Option<&Client>,
    ) {
        let Ran { command_id, fast, slow_log } = ran;
        self.commands += 1;
        let micros = elapsed.as_micros() as u64;
        let slot = self.command_slot(command_id);
        slot.calls += 1;
        slot.usec += micros;
        // Sampled at the time the command ended, as Redis does.
        self.latency.record(command_id, fast, micros, now_ms + (micros / 1000) as i64);
        let Some(name) = slow_log else { return };
        if self.slowlog_threshold_us >= 0 && micros >= self.slowlog_threshold_us as u64 && self.slowlog_max_len > 0 {
            self.log_slow(micros, args, now_ms, client, super::redact::Redaction::of(name, args));
        }
    }

    fn command_slot(&mut self, command_id: usize) -> &mut CommandStats {
        if self.per_command.len() <= command_id {
            self.per_command.resize(command_id + 1, CommandStats::default());
        }
        &mut self.per_command[command_id]
    }

    /// Counts an error reply (`text` without its `-`): by its first word
    /// when one ends within 32 bytes, else as `ERR`, as Redis counts them;
    /// and against the command, as failed (it ran) or rejected (it did
    /// not), when there is one.
    #[cold]
    pub fn count_error(&mut self, text: &str, command: Option<(usize, bool)>) {
        self.total_error_replies += 1;
        let head = &text.as_bytes()[..text.len().min(31)];
        let kind = match head.iter().position(|&c| c == b' ') {
            Some(end) => &text[..end],
            None => "ERR",
        };
        if let Some(count) = self.errors.get_mut(kind) {
            *count += 1;
        } else if self.errors.len() < ERROR_KINDS {
            self.errors.insert(kind.to_string(), 1);
        }
        if let Some((command_id, rejected)) = command {
            let slot = self.command_slot(command_id);
            if rejected {
                slot.rejected += 1;
            } else {
                slot.failed += 1;
            }
        }
    }

    /// Counts a call that failed with an error already counted.
    pub fn count_failed_call(&mut self, command_id: usize) {
        self.command_slot(command_id).failed += 1;
    }

    /// Takes one sample of the counters behind the instantaneous rates.
    pub fn sample_rates(&mut self, now_ms: i64) {
        if self.rate_samples.len() == RATE_SAMPLES + 1 {
            self.rate_samples.pop_front();
        }
        self.rate_samples.push_back((now_ms, self.commands, self.net_input_bytes, self.net_output_bytes));
    }

    /// Commands per second, input and output KiB per second, over the
    /// last samples.
    pub fn rates(&self) -> (u64, f64, f64) {
        let (Some(first), Some(last)) = (self.rate_samples.front(), self.rate_samples.back()) else {
            return (0, 0.0, 0.0);
        };
        let seconds = (last.0 - first.0) as f64 / 1000.0;
        if seconds <= 0.0 {
            return (0, 0.0, 0.0);
        }
        let per_second = |a: u64, b: u64| (b - a) as f64 / seconds;
        (
            per_second(first.1, last.1).round() as u64,
            per_second(first.2, last.2) / 1024.0,
            per_second(first.3, last.3) / 1024.0,
        )
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
