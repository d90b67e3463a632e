//! Runtime parameters as `CONFIG GET` and `CONFIG SET` see them: Redis's
//! lower-case names with their values as strings, sorted by name. The
//! handlers of `CONFIG SET` validate a value before they store it here;
//! the few parameters that steer behaviour at once (for example
//! `notify-keyspace-events`) are applied by [`ServerState::set_param`].

use super::ServerState;
use crate::config::Config;

impl ServerState {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Sets a known parameter; the caller validated the value.
    pub fn set_param(&mut self, name: &str, value: String) {
        if name == "notify-keyspace-events" {
            if let Some(flags) = crate::pubsub::parse_flags(&value) {
                self.pubsub.flags = flags;
            }
        }
        match self.params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name.to_string(), value)),
        }
    }
}

/// Sets the small-form thresholds the store consults
/// ([`crate::store::limits`]) to the configured ones.
pub(super) fn apply_encoding_limits(config: &Config) {
    crate::store::limits::set_hash_max_entries(config.hash_max_listpack_entries);
    crate::store::limits::set_hash_max_value(config.hash_max_listpack_value);
    crate::store::limits::set_set_max_intset_entries(config.set_max_intset_entries);
}

/// The parameters `CONFIG GET` knows, with their values at start.
pub(super) fn default_params(config: &Config) -> Vec<(String, String)> {
    let dir = config.backup_path.display().to_string();
    let mut params: Vec<(String, String)> = vec![
        ("port", config.port.to_string()),
        ("bind", config.bind.join(" ")),
        ("dir", dir.clone()),
        ("backup-path", dir),
        ("backup-interval", config.backup_interval.to_string()),
        ("backup-keep", config.backup_keep.to_string()),
        ("appendonly", "yes".to_string()),
        ("appendfsync", config.appendfsync.name().to_string()),
        ("appendfilename", "appendonly.aof".to_string()),
        ("dbfilename", "dump.rdb".to_string()),
        ("save", String::new()),
        ("requirepass", config.requirepass.clone().unwrap_or_default()),
        ("aclfile", config.aclfile.clone().unwrap_or_default()),
        ("acllog-max-len", "128".to_string()),
        ("protected-mode", if config.protected_mode { "yes" } else { "no" }.to_string()),
        ("maxclients", config.maxclients.to_string()),
        ("databases", config.databases.to_string()),
        ("loglevel", log_level_name(config.log_level).to_string()),
        ("notify-keyspace-events", "KEA".to_string()),
        ("timeout", "0".to_string()),
        ("tcp-keepalive", "300".to_string()),
        ("hz", "10".to_string()),
        ("maxmemory", config.maxmemory.to_string()),
        ("maxmemory-policy", config.maxmemory_policy.name().to_string()),
        ("maxmemory-samples", config.maxmemory_samples.to_string()),
        ("maxmemory-eviction-tenacity", config.maxmemory_eviction_tenacity.to_string()),
        ("lfu-log-factor", config.lfu_log_factor.to_string()),
        ("lfu-decay-time", config.lfu_decay_time.to_string()),
        ("slowlog-log-slower-than", "10000".to_string()),
        ("slowlog-max-len", "128".to_string()),
        ("latency-monitor-threshold", "0".to_string()),
        ("latency-tracking", "yes".to_string()),
        ("busy-reply-threshold", "5000".to_string()),
        ("lua-time-limit", "5000".to_string()),
        ("proto-max-bulk-len", "536870912".to_string()),
        ("client-query-buffer-limit", "1073741824".to_string()),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".to_string(),
        ),
        ("list-max-listpack-size", "-2".to_string()),
        ("list-max-ziplist-size", "-2".to_string()),
        ("list-compress-depth", "0".to_string()),
        ("set-max-intset-entries", config.set_max_intset_entries.to_string()),
        ("set-max-listpack-entries", "128".to_string()),
        ("set-max-listpack-value", "64".to_string()),
        ("zset-max-listpack-entries", "128".to_string()),
        ("zset-max-listpack-value", "64".to_string()),
        ("zset-max-ziplist-entries", "128".to_string()),
        ("zset-max-ziplist-value", "64".to_string()),
        ("hash-max-listpack-entries", config.hash_max_listpack_entries.to_string()),
        ("hash-max-listpack-value", config.hash_max_listpack_value.to_string()),
        ("hash-max-ziplist-entries", config.hash_max_listpack_entries.to_string()),
        ("hash-max-ziplist-value", config.hash_max_listpack_value.to_string()),
        ("hll-sparse-max-bytes", "3000".to_string()),
        ("lazyfree-lazy-user-del", "no".to_string()),
        ("io-threads", "1".to_string()),
        ("cluster-enabled", "no".to_string()),
        ("tls-port", config.tls_port.to_string()),
        ("tls-cert-file", path_text(&config.tls.cert_file)),
        ("tls-key-file", path_text(&config.tls.key_file)),
        ("tls-ca-cert-file", path_text(&config.tls.ca_cert_file)),
        ("tls-auth-clients", config.tls.auth_clients.name().to_string()),
        ("tls-protocols", config.tls.protocols.clone()),
        ("tls-replication", if config.tls_replication { "yes" } else { "no" }.to_string()),
        ("replicaof", String::new()),
        ("slaveof", String::new()),
        ("masterauth", config.masterauth.clone().unwrap_or_default()),
        ("masteruser", config.masteruser.clone().unwrap_or_default()),
        ("repl-backlog-size", "1048576".to_string()),
        ("repl-backlog-ttl", "3600".to_string()),
        ("repl-ping-replica-period", "10".to_string()),
        ("repl-timeout", "60".to_string()),
        ("repl-diskless-sync", "yes".to_string()),
        ("repl-diskless-sync-delay", "5".to_string()),
        ("repl-diskless-load", "disabled".to_string()),
        ("replica-read-only", "yes".to_string()),
        ("replica-serve-stale-data", "yes".to_string()),
        ("replica-priority", "100".to_string()),
        ("replica-announced", "yes".to_string()),
        ("replica-announce-ip", String::new()),
        ("replica-announce-port", "0".to_string()),
        ("min-replicas-to-write", "0".to_string()),
        ("min-replicas-max-lag", "10".to_string()),
        ("min-slaves-to-write", "0".to_string()),
        ("min-slaves-max-lag", "10".to_string()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    params.sort();
    params
}

fn path_text(path: &Option<std::path::PathBuf>) -> String {
    path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
}

pub fn log_level_name(level: log::LevelFilter) -> &'static str {
    match level {
        log::LevelFilter::Off | log::LevelFilter::Error => "error",
        log::LevelFilter::Warn => "warn",
        log::LevelFilter::Info => "info",
        log::LevelFilter::Debug => "debug",
        log::LevelFilter::Trace => "trace",
    }
}
