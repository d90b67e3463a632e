//! The memory limit's state: the settings in force (`maxmemory`,
//! `maxmemory-policy`, `maxmemory-samples`,
//! `maxmemory-eviction-tenacity`, `lfu-log-factor`, `lfu-decay-time`),
//! the candidate pool that lives across evictions, and whether the
//! server was over its limit when the current command started.
//!
//! Performing evictions is the command layer's (`cmd::evict`): it needs
//! the log and the key events. What is compared with the limit is
//! `cmd::evict::counted_memory`: the allocator's count of live heap
//! bytes (`crate::memory`), every client buffer included (Redis leaves
//! replicas' and monitors' output out).

use std::time::Duration;

use crate::config::Config;
use crate::store::eviction::{Policy, Pool};
use crate::store::Tracking;

/// The memory limit and its policy.
pub struct Eviction {
    /// Bytes; 0 is no limit.
    pub maxmemory: u64,
    pub policy: Policy,
    pub samples: usize,
    pub tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_minutes: u32,
    pub pool: Pool,
    /// Memory was over the limit (and could not be brought under it)
    /// when the running command started: what a script's write is
    /// refused on, as Redis decides once per script.
    pub over_limit: bool,
    /// The last round stopped on its time budget with memory still over
    /// the limit: the timer goes on evicting.
    pub unfinished: bool,
}

impl Eviction {
    pub fn new(config: &Config) -> Eviction {
        Eviction {
            maxmemory: config.maxmemory,
            policy: config.maxmemory_policy,
            samples: config.maxmemory_samples as usize,
            tenacity: config.maxmemory_eviction_tenacity,
            lfu_log_factor: config.lfu_log_factor,
            lfu_decay_minutes: config.lfu_decay_time,
            pool: Pool::default(),
            over_limit: false,
            unfinished: false,
        }
    }

    /// What key accesses must record for this policy.
    pub fn tracking(&self, frozen: bool) -> Tracking {
        Tracking {
            lfu: self.policy.uses_lfu(),
            lfu_log_factor: self.lfu_log_factor,
            lfu_decay_minutes: self.lfu_decay_minutes,
            frozen,
        }
    }

    /// How long one round of evictions may run before it leaves the rest
    /// to the timer: Redis's curve, 500 µs at the default tenacity of 10,
    /// growing 15% a step above it, unbounded at 100.
    pub fn time_budget(&self) -> Option<Duration> {
        let tenacity = self.tenacity.min(100);
        if tenacity == 100 {
            return None;
        }
        if tenacity <= 10 {
            return Some(Duration::from_micros(50 * tenacity as u64));
        }
        let micros = 500.0 * 1.15f64.powi(tenacity as i32 - 10);
        Some(Duration::from_micros(micros as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_budgets_follow_redis() {
        let mut eviction = Eviction::new(&Config::default());
        assert_eq!(eviction.time_budget(), Some(Duration::from_micros(500)));
        eviction.tenacity = 0;
        assert_eq!(eviction.time_budget(), Some(Duration::ZERO));
        eviction.tenacity = 20;
        assert_eq!(eviction.time_budget(), Some(Duration::from_micros(2022)));
        eviction.tenacity = 100;
        assert_eq!(eviction.time_budget(), None);
    }
}
