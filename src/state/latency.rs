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
//! latency ever seen; a histogram counts every call of its command in
//! the steps of Redis's HDR histograms (two significant digits, 1 ns to
//! 1 s), read back in doubling steps by `LATENCY HISTOGRAM` and as
//! percentiles by `INFO latencystats`.

use std::collections::BTreeMap;

/// Samples an event keeps.
pub const HISTORY_LEN: usize = 160;
/// Recorded durations are clamped to 1 ns ..= 1 s, as Redis clamps them.
const MAX_NANOS: u64 = 1_000_000_000;
/// Half the sub-buckets of a power-of-two range, as a power of two: 128
/// sub-buckets per range keep two significant decimal digits.
const HALF_MAGNITUDE: u32 = 7;
/// Counters for values up to [`MAX_NANOS`]: ranges 0..=22 of 128 each,
/// plus the first range's lower half.
const COUNTERS: usize = (23 + 1) << HALF_MAGNITUDE;

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

/// Calls of one command by duration, in nanoseconds, kept as Redis's
/// HDR histograms keep them (two significant digits): below 256 ns each
/// value has its counter; above, each power-of-two range `[2^k, 2^(k+1))`
/// is cut into 128 equal steps.
///
/// The counters (24 KiB) are allocated at a command's first call.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    pub calls: u64,
    counts: Vec<u64>,
}

/// The counter of a value.
fn counter_of(nanos: u64) -> usize {
    let range = (64 - (nanos | 0xff).leading_zeros()) - (HALF_MAGNITUDE + 1);
    let step = (nanos >> range) as usize;
    (((range as usize) + 1) << HALF_MAGNITUDE) + step - (1 << HALF_MAGNITUDE)
}

/// The smallest value a counter stands for, and how many values it covers.
fn values_of(counter: usize) -> (u64, u64) {
    let half = 1usize << HALF_MAGNITUDE;
    let (range, step) = match (counter >> HALF_MAGNITUDE).checked_sub(1) {
        Some(range) => (range as u32, (counter & (half - 1)) + half),
        None => (0, counter),
    };
    ((step as u64) << range, 1u64 << range)
}

/// The largest value counted with `nanos` (HDR's highest equivalent value).
fn highest_equivalent(nanos: u64) -> u64 {
    let (lowest, width) = values_of(counter_of(nanos));
    lowest + width - 1
}

impl Histogram {
    fn record(&mut self, micros: u64) {
        self.calls += 1;
        if self.counts.is_empty() {
            self.counts = vec![0; COUNTERS];
        }
        let nanos = micros.saturating_mul(1000).clamp(1, MAX_NANOS);
        self.counts[counter_of(nanos)] += 1;
    }

    /// `(bound in µs, calls up to it)`, cumulative, at 1024 ns and each
    /// doubling after it, where the count grows: Redis's `histogram_usec`
    /// (a bound is the last value its step counts: 1, 2, 4, 8, 16, 33,
    /// 66, 132, ... µs).
    pub fn cumulative(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut total, mut counter) = (0, 0);
        let mut step = 1024u64;
        while total < self.calls && counter < self.counts.len() {
            let last = counter_of(step.min(MAX_NANOS)).min(self.counts.len() - 1);
            let before = total;
            while counter <= last {
                total += self.counts[counter];
                counter += 1;
            }
            if total > before {
                out.push((highest_equivalent(step) / 1000, total));
            }
            step *= 2;
        }
        out
    }

    /// The duration in microseconds below which `percent` of the calls
    /// fall, as Redis computes it for `INFO latencystats`.
    pub fn percentile(&self, percent: f64) -> f64 {
        let wanted = (((percent.min(100.0) / 100.0) * self.calls as f64) + 0.5) as u64;
        let wanted = wanted.max(1);
        let mut total = 0;
        for (counter, &count) in self.counts.iter().enumerate() {
            total += count;
            if total >= wanted {
                let (lowest, width) = values_of(counter);
                return (lowest + width - 1) as f64 / 1000.0;
            }
        }
        0.0
    }
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
        let mut quick = Histogram::default();
        for micros in [0, 1, 2, 3, 1000] {
            quick.record(micros);
        }
        assert_eq!(quick.cumulative(), vec![(1, 2), (2, 3), (4, 4), (1056, 5)]);
        // HDR's steps: 3 µs is counted as 2992..=3007 ns.
        assert_eq!(quick.percentile(50.0), 2.007);
        assert_eq!(quick.percentile(100.0), 1003.519);
        assert_eq!(highest_equivalent(3000), 3007);
        assert_eq!(highest_equivalent(255), 255);
        for nanos in [1, 255, 256, 257, 1000, 65_536, MAX_NANOS] {
            let (lowest, width) = values_of(counter_of(nanos));
            assert!(lowest <= nanos && nanos < lowest + width, "{nanos}");
        }
    }
}
