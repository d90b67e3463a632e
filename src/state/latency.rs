//! The latency monitor (`LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR`) and
//! the per-command latency histograms (`LATENCY HISTOGRAM`).
//!
//! Both are fed by the timing that feeds `INFO commandstats` and the slow
//! log ([`super::stats::Stats::record_command`]). A command whose run
//! took at least `latency-monitor-threshold` milliseconds (0, the
//! default, turns the monitor off) adds a sample to the event `command`,
//! or `fast-command` for a command flagged fast, as Redis names them.
//!
//! Invariants, as in Redis's `latency.c`: an event keeps its last
//! [`HISTORY_LEN`] samples, at most one per second (a second sample in
//! the same second only raises that second's value), and the largest
//! latency ever seen; a histogram counts every call of its command, in
//! buckets that double from 1 microsecond.

use std::collections::BTreeMap;

/// Samples an event keeps.
pub const HISTORY_LEN: usize = 160;
/// Buckets of a histogram, each twice as wide as the one before: the
/// first ends at 1032 ns, the last at about 74 minutes.
const BUCKETS: usize = 33;

/// One second's worst latency of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub time_s: i64,
    pub latency_ms: u64,
}

/// The recent history of one event.
#[derive(Debug, Clone, Default)]
pub struct Event {
    /// Oldest first, at most [`HISTORY_LEN`].
    pub samples: Vec<Sample>,
    pub max_ms: u64,
}

impl Event {
    pub fn latest(&self) -> Option<Sample> {
        self.samples.last().copied()
    }

    /// Average, smallest and largest of the samples kept, and the mean
    /// gap in seconds between two of them.
    pub fn summary(&self) -> (u64, u64, u64, i64) {
        let count = self.samples.len().max(1) as u64;
        let sum: u64 = self.samples.iter().map(|s| s.latency_ms).sum();
        let min = self.samples.iter().map(|s| s.latency_ms).min().unwrap_or(0);
        let max = self.samples.iter().map(|s| s.latency_ms).max().unwrap_or(0);
        let span = match (self.samples.first(), self.samples.last()) {
            (Some(first), Some(last)) if self.samples.len() > 1 => {
                (last.time_s - first.time_s) / (self.samples.len() as i64 - 1)
            }
            _ => 0,
        };
        (sum / count, min, max, span)
    }
}

/// Calls of one command by duration.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub calls: u64,
    /// `buckets[i]`: calls that took less than `1032 × 2^i` nanoseconds
    /// and, but for the first, at least half that. These are the steps in
    /// which Redis reads its histograms back (from 1024 ns, doubling, each
    /// step up to the end of its range of equivalent values at two
    /// significant digits: `1024 × 2^i × 129/128`), reported in whole
    /// microseconds: 1, 2, 4, 8, 16, 33, 66, 132, ...
    buckets: [u64; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram { calls: 0, buckets: [0; BUCKETS] }
    }
}

impl Histogram {
    fn record(&mut self, micros: u64) {
        self.calls += 1;
        let steps = micros.saturating_mul(1000) / 1032;
        let bucket = (64 - steps.leading_zeros() as usize).min(BUCKETS - 1);
        self.buckets[bucket] += 1;
    }

    /// `(upper bound in µs, calls up to it)` for each bucket that adds
    /// calls, cumulative, as Redis reports `histogram_usec`.
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut total = 0;
        let mut out = Vec::new();
        for (i, &count) in self.buckets.iter().enumerate() {
            if count > 0 {
                total += count;
                out.push((bucket_bound_us(i), total));
            }
        }
        out
    }

    /// The smallest bucket bound below which `percent` of the calls fall.
    pub fn percentile(&self, percent: f64) -> u64 {
        let wanted = ((percent / 100.0) * self.calls as f64).ceil().max(1.0) as u64;
        let mut total = 0;
        for (i, &count) in self.buckets.iter().enumerate() {
            total += count;
            if total >= wanted {
                return bucket_bound_us(i);
            }
        }
        0
    }
}

/// Where bucket `i` ends, in whole microseconds.
fn bucket_bound_us(i: usize) -> u64 {
    ((1032u64 << i) - 1) / 1000
}

/// Every event's history and every command's histogram.
#[derive(Debug)]
pub struct LatencyMonitor {
    /// `latency-monitor-threshold`, milliseconds; 0 = off.
    pub threshold_ms: u64,
    /// `latency-tracking`: whether the histograms count calls.
    pub tracking: bool,
    pub events: BTreeMap<&'static str, Event>,
    /// By command id, as `Stats::per_command`.
    pub histograms: Vec<Histogram>,
}

impl Default for LatencyMonitor {
    fn default() -> LatencyMonitor {
        LatencyMonitor { threshold_ms: 0, tracking: true, events: BTreeMap::new(), histograms: Vec::new() }
    }
}

impl LatencyMonitor {
    /// Counts one call of command `command_id` that took `micros`, and
    /// samples it when it reached the threshold.
    #[inline]
    pub fn record(&mut self, command_id: usize, fast: bool, micros: u64, now_ms: i64) {
        if self.tracking {
            if self.histograms.len() <= command_id {
                self.histograms.resize(command_id + 1, Histogram::default());
            }
            self.histograms[command_id].record(micros);
        }
        let millis = micros / 1000;
        if self.threshold_ms > 0 && millis >= self.threshold_ms {
            self.add_sample(if fast { "fast-command" } else { "command" }, millis, now_ms / 1000);
        }
    }

    #[cold]
    pub fn add_sample(&mut self, event: &'static str, latency_ms: u64, time_s: i64) {
        let history = self.events.entry(event).or_default();
        history.max_ms = history.max_ms.max(latency_ms);
        if let Some(last) = history.samples.last_mut() {
            if last.time_s == time_s {
                last.latency_ms = last.latency_ms.max(latency_ms);
                return;
            }
        }
        if history.samples.len() == HISTORY_LEN {
            history.samples.remove(0);
        }
        history.samples.push(Sample { time_s, latency_ms });
    }

    /// Forgets the named events (all of them when `names` is empty);
    /// returns how many were known.
    pub fn reset(&mut self, names: &[&[u8]]) -> usize {
        if names.is_empty() {
            let count = self.events.len();
            self.events.clear();
            return count;
        }
        let before = self.events.len();
        self.events.retain(|name, _| !names.contains(&name.as_bytes()));
        before - self.events.len()
    }

    /// Forgets every histogram (`CONFIG RESETSTAT`).
    pub fn reset_histograms(&mut self) {
        self.histograms.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeping_the_worst() {
        let mut monitor = LatencyMonitor { threshold_ms: 100, ..LatencyMonitor::default() };
        monitor.record(3, false, 99_999, 1_000);
        assert!(monitor.events.is_empty());
        monitor.record(3, false, 150_000, 1_000);
        monitor.record(3, false, 120_000, 1_500);
        monitor.record(3, false, 300_000, 1_900);
        monitor.record(4, true, 200_000, 2_000);
        let command = &monitor.events["command"];
        assert_eq!(command.samples, vec![Sample { time_s: 1, latency_ms: 300 }]);
        assert_eq!(monitor.events["fast-command"].max_ms, 200);
        for second in 0..200 {
            monitor.add_sample("command", 100, 10 + second);
        }
        assert_eq!(monitor.events["command"].samples.len(), HISTORY_LEN);
        assert_eq!(monitor.events["command"].max_ms, 300);
        assert_eq!(monitor.reset(&[b"command", b"nothing"]), 1);
        assert_eq!(monitor.histograms[3].calls, 4);
        assert_eq!(monitor.histograms[3].cumulative(), vec![(135_266, 2), (270_532, 3), (541_065, 4)]);
        assert_eq!(monitor.histograms[3].percentile(50.0), 135_266);
        let mut quick = Histogram::default();
        for micros in [0, 1, 2, 3, 1000] {
            quick.record(micros);
        }
        assert_eq!(quick.cumulative(), vec![(1, 2), (2, 3), (4, 4), (1056, 5)]);
    }
}
