//! Configuration: every setting with its environment variable, flag,
//! default and validation. A flag wins over the environment; a bad value
//! is a [`ConfigError`] that `main` reports in one line before exiting
//! with code 2.

use crate::store::eviction::Policy;
use crate::tls::{AuthClients, TlsSettings};
use std::path::PathBuf;

/// How the append-only file is synced to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendFsync {
    Always,
    EverySec,
    No,
}

impl AppendFsync {
    pub fn name(self) -> &'static str {
        match self {
            AppendFsync::Always => "always",
            AppendFsync::EverySec => "everysec",
            AppendFsync::No => "no",
        }
    }

    pub fn parse(text: &str) -> Option<AppendFsync> {
        match text.to_ascii_lowercase().as_str() {
            "always" => Some(AppendFsync::Always),
            "everysec" => Some(AppendFsync::EverySec),
            "no" => Some(AppendFsync::No),
            _ => None,
        }
    }
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: Vec<String>,
    pub backup_path: PathBuf,
    pub backup_interval: u64,
    pub backup_keep: usize,
    pub appendfsync: AppendFsync,
    pub requirepass: Option<String>,
    /// The ACL file (`ACLFILE`): users loaded at start, written by `ACL SAVE`.
    pub aclfile: Option<String>,
    /// Protected mode (`PROTECTED_MODE`): while the `default` user needs
    /// no password, only loopback clients are served.
    pub protected_mode: bool,
    pub maxclients: usize,
    pub databases: usize,
    pub log_level: log::LevelFilter,
    /// The memory limit in bytes; 0 is none.
    pub maxmemory: u64,
    pub maxmemory_policy: Policy,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    /// Redis's `hash-max-listpack-entries`: the most fields a hash keeps
    /// in its small packed form.
    pub hash_max_listpack_entries: usize,
    /// Redis's `hash-max-listpack-value`: the longest field or value a
    /// hash keeps in its small packed form.
    pub hash_max_listpack_value: usize,
    /// Redis's `set-max-intset-entries`: the most members a set of
    /// integers keeps in its small sorted form.
    pub set_max_intset_entries: usize,
    /// The TLS port; 0 is none. `port` 0 with a TLS port serves TLS only.
    pub tls_port: u16,
    pub tls: TlsSettings,
    /// `tls-replication`: a replica's link to its primary speaks TLS.
    pub tls_replication: bool,
    /// The largest log frame, in bytes: the format's limit (4 GiB; the
    /// default `usize::MAX` means that limit), which only a test lowers, with `EFIS_TEST_MAX_LOG_FRAME` (not a setting:
    /// see [`TEST_KNOBS`]).
    pub max_log_frame: usize,
    /// `EFIS_TEST_PANIC=1`: `DEBUG PANIC-AFTER-WRITE` exists, a command
    /// that changes a key and then panics, so that tests can see what a
    /// failing handler does (see [`TEST_KNOBS`]).
    pub test_panic: bool,
    /// `REPLICAOF host port`: follow this primary from the start.
    pub replicaof: Option<(String, u16)>,
    /// `masterauth` / `masteruser`: how a replica authenticates to its
    /// primary.
    pub masterauth: Option<String>,
    pub masteruser: Option<String>,
}

/// Environment variables read only by the tests' runs, never shown in
/// `--help`: each makes the server behave as a test needs and nothing
/// else (the fault-injection library of `tests/faults` has its own).
/// They are named `EFIS_TEST_*` so that no deployment sets one by chance.
pub const TEST_KNOBS: &[&str] = &["EFIS_TEST_MAX_LOG_FRAME", "EFIS_TEST_PANIC"];

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 6379,
            bind: vec!["127.0.0.1".to_string()],
            backup_path: PathBuf::from("./data"),
            backup_interval: 600,
            backup_keep: 3,
            appendfsync: AppendFsync::EverySec,
            requirepass: None,
            aclfile: None,
            protected_mode: true,
            maxclients: 10000,
            databases: 16,
            log_level: log::LevelFilter::Info,
            maxmemory: 0,
            maxmemory_policy: Policy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            tls_port: 0,
            tls: TlsSettings::default(),
            tls_replication: false,
            max_log_frame: usize::MAX,
            test_panic: false,
            replicaof: None,
            masterauth: None,
            masteruser: None,
        }
    }
}

/// One setting's names and help text.
pub struct Setting {
    pub env: &'static str,
    pub flag: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// Every setting, in `--help` order.
pub const SETTINGS: &[Setting] = &[
    Setting { env: "PORT", flag: "--port", default: "6379", help: "TCP port to listen on; 0 = none (TLS only)" },
    Setting {
        env: "BIND",
        flag: "--bind",
        default: "127.0.0.1",
        help: "address(es) to listen on, comma or space separated",
    },
    Setting {
        env: "BACKUP_PATH",
        flag: "--backup-path",
        default: "./data",
        help: "directory for the append-only file and snapshots (created if missing)",
    },
    Setting {
        env: "BACKUP_INTERVAL",
        flag: "--backup-interval",
        default: "600",
        help: "seconds between compactions into a snapshot; 0 = never on a timer",
    },
    Setting { env: "BACKUP_KEEP", flag: "--backup-keep", default: "3", help: "number of snapshots kept" },
    Setting {
        env: "APPENDFSYNC",
        flag: "--appendfsync",
        default: "everysec",
        help: "always (fsync before replying), everysec, or no",
    },
    Setting {
        env: "REQUIREPASS",
        flag: "--requirepass",
        default: "(none)",
        help: "password clients must give with AUTH or HELLO AUTH",
    },
    Setting {
        env: "ACLFILE",
        flag: "--aclfile",
        default: "(none)",
        help: "file of ACL users (user <name> <rules>), loaded at start, written by ACL SAVE",
    },
    Setting {
        env: "PROTECTED_MODE",
        flag: "--protected-mode",
        default: "yes",
        help: "yes: while the default user has no password, refuse clients not on the loopback interface",
    },
    Setting {
        env: "REPLICAOF",
        flag: "--replicaof",
        default: "(none)",
        help: "\"host port\": start as a replica of that primary (REPLICAOF)",
    },
    Setting {
        env: "MASTERAUTH",
        flag: "--masterauth",
        default: "(none)",
        help: "password a replica gives its primary (AUTH)",
    },
    Setting {
        env: "MASTERUSER",
        flag: "--masteruser",
        default: "(none)",
        help: "user a replica authenticates as to its primary, with MASTERAUTH",
    },
    Setting { env: "MAXCLIENTS", flag: "--maxclients", default: "10000", help: "maximum number of connected clients" },
    Setting { env: "DATABASES", flag: "--databases", default: "16", help: "number of logical databases" },
    Setting { env: "LOG_LEVEL", flag: "--log-level", default: "info", help: "error, warn, info, debug or trace" },
    Setting {
        env: "MAXMEMORY",
        flag: "--maxmemory",
        default: "0",
        help: "memory limit (bytes, or 100mb, 1gb...); 0 = no limit",
    },
    Setting {
        env: "MAXMEMORY_POLICY",
        flag: "--maxmemory-policy",
        default: "noeviction",
        help: "what goes at the limit: noeviction, allkeys-lru|lfu|random, volatile-lru|lfu|random|ttl",
    },
    Setting {
        env: "MAXMEMORY_SAMPLES",
        flag: "--maxmemory-samples",
        default: "5",
        help: "keys sampled per eviction round and database",
    },
    Setting {
        env: "MAXMEMORY_EVICTION_TENACITY",
        flag: "--maxmemory-eviction-tenacity",
        default: "10",
        help: "how long one command may spend evicting (0-100; 10 = 500 us, 100 = unbounded)",
    },
    Setting { env: "LFU_LOG_FACTOR", flag: "--lfu-log-factor", default: "10", help: "how slowly LFU counters grow" },
    Setting {
        env: "LFU_DECAY_TIME",
        flag: "--lfu-decay-time",
        default: "1",
        help: "minutes per LFU counter decrement; 0 = no decay",
    },
    Setting {
        env: "HASH_MAX_LISTPACK_ENTRIES",
        flag: "--hash-max-listpack-entries",
        default: "512",
        help: "most fields of a hash kept in its small form",
    },
    Setting {
        env: "HASH_MAX_LISTPACK_VALUE",
        flag: "--hash-max-listpack-value",
        default: "64",
        help: "longest field or value of a hash kept in its small form",
    },
    Setting {
        env: "SET_MAX_INTSET_ENTRIES",
        flag: "--set-max-intset-entries",
        default: "512",
        help: "most members of an integer set kept in its small form",
    },
    Setting { env: "TLS_PORT", flag: "--tls-port", default: "0", help: "TLS port to listen on; 0 = no TLS" },
    Setting {
        env: "TLS_CERT_FILE",
        flag: "--tls-cert-file",
        default: "(none)",
        help: "the server's certificate chain (PEM)",
    },
    Setting { env: "TLS_KEY_FILE", flag: "--tls-key-file", default: "(none)", help: "the server's private key (PEM)" },
    Setting {
        env: "TLS_CA_CERT_FILE",
        flag: "--tls-ca-cert-file",
        default: "(none)",
        help: "CA certificates that sign client certificates (PEM)",
    },
    Setting {
        env: "TLS_AUTH_CLIENTS",
        flag: "--tls-auth-clients",
        default: "yes",
        help: "client certificates: yes (required), optional, or no",
    },
    Setting {
        env: "TLS_PROTOCOLS",
        flag: "--tls-protocols",
        default: "(both)",
        help: "TLS versions offered: \"TLSv1.2 TLSv1.3\" or one of them",
    },
    Setting {
        env: "TLS_REPLICATION",
        flag: "--tls-replication",
        default: "no",
        help: "yes: a replica speaks TLS to its primary's TLS port (TLS_CA_CERT_FILE checks it)",
    },
];

/// A memory size as Redis reads one: a number of bytes with an optional
/// unit, `k`/`m`/`g` in thousands and `kb`/`mb`/`gb` in 1024s, any case.
pub fn parse_memory(text: &str) -> Option<u64> {
    let lower = text.trim().to_ascii_lowercase();
    let digits_end = lower.find(|c: char| !c.is_ascii_digit()).unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(digits_end);
    let scale = memory_unit(unit)?;
    if digits.is_empty() {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(scale)
}

/// The multiplier of a memory unit as Redis reads it (lower case): none
/// or `b` bytes, `k`/`m`/`g` thousands, `kb`/`mb`/`gb` 1024s.
pub fn memory_unit(unit: &str) -> Option<u64> {
    Some(match unit {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    })
}

/// A setting with a value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn invalid(setting: &Setting, value: &str, why: &str) -> ConfigError {
    ConfigError(format!("invalid {} ({}) value '{}': {}", setting.env, setting.flag, value, why))
}

impl Config {
    /// Builds the configuration from the environment and command-line
    /// flags (`--port 7000` or `--port=7000`); flags win.
    pub fn from_sources(env: impl Fn(&str) -> Option<String>, flags: &[String]) -> Result<Config, ConfigError> {
        let mut values: Vec<Option<String>> = SETTINGS.iter().map(|s| env(s.env)).collect();
        let mut i = 0;
        while i < flags.len() {
            let arg = &flags[i];
            let (name, inline_value) = match arg.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (arg.as_str(), None),
            };
            let Some(index) = SETTINGS.iter().position(|s| s.flag == name) else {
                return Err(ConfigError(format!("unknown option '{arg}' (see --help)")));
            };
            let value = match inline_value {
                Some(v) => v,
                None => {
                    i += 1;
                    flags.get(i).cloned().ok_or_else(|| ConfigError(format!("option {name} needs a value")))?
                }
            };
            values[index] = Some(value);
            i += 1;
        }
        let mut config = Config::default();
        for (setting, value) in SETTINGS.iter().zip(values) {
            if let Some(value) = value {
                config.apply(setting, &value)?;
            }
        }
        if let Some(bytes) = env(TEST_KNOBS[0]).and_then(|v| v.parse::<usize>().ok()) {
            config.max_log_frame = bytes.min(config.max_log_frame);
        }
        config.test_panic = env(TEST_KNOBS[1]).is_some_and(|v| v == "1");
        config.check_ports()?;
        Ok(config)
    }

    /// The port settings together: something to listen on, not one port
    /// twice, and a certificate and key for a TLS port.
    fn check_ports(&self) -> Result<(), ConfigError> {
        let setting = |env: &str| SETTINGS.iter().find(|s| s.env == env).expect("a setting");
        if self.port == 0 && self.tls_port == 0 {
            return Err(invalid(setting("PORT"), "0", "no port left to listen on (TLS_PORT is 0 too)"));
        }
        if self.port == self.tls_port {
            return Err(invalid(setting("TLS_PORT"), &self.tls_port.to_string(), "the same as PORT"));
        }
        if self.tls_port != 0 && self.tls.cert_file.is_none() {
            return Err(ConfigError("TLS_PORT (--tls-port) needs TLS_CERT_FILE (--tls-cert-file)".into()));
        }
        if self.tls_port != 0 && self.tls.key_file.is_none() {
            return Err(ConfigError("TLS_PORT (--tls-port) needs TLS_KEY_FILE (--tls-key-file)".into()));
        }
        Ok(())
    }

    fn apply(&mut self, setting: &Setting, value: &str) -> Result<(), ConfigError> {
        let number = |max: u64| -> Result<u64, ConfigError> {
            let n: u64 = value.trim().parse().map_err(|_| invalid(setting, value, "not a number"))?;
            if n > max {
                return Err(invalid(setting, value, &format!("must be at most {max}")));
            }
            Ok(n)
        };
        match setting.env {
            "PORT" => self.port = number(65535)? as u16,
            "TLS_PORT" => self.tls_port = number(65535)? as u16,
            "TLS_CERT_FILE" => self.tls.cert_file = (!value.is_empty()).then(|| PathBuf::from(value)),
            "TLS_KEY_FILE" => self.tls.key_file = (!value.is_empty()).then(|| PathBuf::from(value)),
            "TLS_CA_CERT_FILE" => self.tls.ca_cert_file = (!value.is_empty()).then(|| PathBuf::from(value)),
            "TLS_AUTH_CLIENTS" => {
                self.tls.auth_clients =
                    AuthClients::parse(value).ok_or_else(|| invalid(setting, value, "expected yes, no or optional"))?
            }
            "TLS_PROTOCOLS" => {
                crate::tls::parse_protocols(value).map_err(|why| invalid(setting, value, &why))?;
                self.tls.protocols = value.to_string();
            }
            "TLS_REPLICATION" => {
                self.tls_replication = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(invalid(setting, value, "expected yes or no")),
                }
            }
            "BIND" => {
                let addresses: Vec<String> =
                    value.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect();
                if addresses.is_empty() {
                    return Err(invalid(setting, value, "no address given"));
                }
                for address in &addresses {
                    if address.parse::<std::net::IpAddr>().is_err() && address != "localhost" {
                        return Err(invalid(setting, value, "not an IP address"));
                    }
                }
                self.bind = addresses;
            }
            "BACKUP_PATH" => {
                if value.is_empty() {
                    return Err(invalid(setting, value, "empty path"));
                }
                self.backup_path = PathBuf::from(value);
            }
            "BACKUP_INTERVAL" => self.backup_interval = number(u32::MAX as u64)?,
            "BACKUP_KEEP" => {
                let keep = number(10_000)?;
                if keep == 0 {
                    return Err(invalid(setting, value, "must be at least 1"));
                }
                self.backup_keep = keep as usize;
            }
            "APPENDFSYNC" => {
                self.appendfsync = AppendFsync::parse(value)
                    .ok_or_else(|| invalid(setting, value, "expected always, everysec or no"))?
            }
            "REQUIREPASS" => self.requirepass = (!value.is_empty()).then(|| value.to_string()),
            "REPLICAOF" => {
                self.replicaof = if value.trim().is_empty() {
                    None
                } else {
                    let (host, port) = value
                        .trim()
                        .split_once([' ', ':'])
                        .ok_or_else(|| invalid(setting, value, "expected \"host port\""))?;
                    let port: u16 = port.trim().parse().map_err(|_| invalid(setting, value, "bad port"))?;
                    Some((host.to_string(), port))
                }
            }
            "MASTERAUTH" => self.masterauth = (!value.is_empty()).then(|| value.to_string()),
            "MASTERUSER" => self.masteruser = (!value.is_empty()).then(|| value.to_string()),
            "ACLFILE" => self.aclfile = (!value.is_empty()).then(|| value.to_string()),
            "PROTECTED_MODE" => {
                self.protected_mode = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(invalid(setting, value, "expected yes or no")),
                }
            }
            "MAXCLIENTS" => {
                let n = number(1_000_000)?;
                if n == 0 {
                    return Err(invalid(setting, value, "must be at least 1"));
                }
                self.maxclients = n as usize;
            }
            "DATABASES" => {
                let n = number(1_000_000)?;
                if n == 0 {
                    return Err(invalid(setting, value, "must be at least 1"));
                }
                self.databases = n as usize;
            }
            "LOG_LEVEL" => {
                self.log_level = match value.to_ascii_lowercase().as_str() {
                    "error" => log::LevelFilter::Error,
                    "warn" | "warning" => log::LevelFilter::Warn,
                    "info" | "notice" => log::LevelFilter::Info,
                    "debug" | "verbose" => log::LevelFilter::Debug,
                    "trace" => log::LevelFilter::Trace,
                    _ => return Err(invalid(setting, value, "expected error, warn, info, debug or trace")),
                }
            }
            "MAXMEMORY" => {
                self.maxmemory = parse_memory(value).ok_or_else(|| invalid(setting, value, "not a memory size"))?
            }
            "MAXMEMORY_POLICY" => {
                self.maxmemory_policy = Policy::parse(value).ok_or_else(|| {
                    let names: Vec<&str> = Policy::names().collect();
                    invalid(setting, value, &format!("expected one of {}", names.join(", ")))
                })?
            }
            "MAXMEMORY_SAMPLES" => {
                let n = number(i32::MAX as u64)?;
                if n == 0 {
                    return Err(invalid(setting, value, "must be at least 1"));
                }
                self.maxmemory_samples = n as u32;
            }
            "MAXMEMORY_EVICTION_TENACITY" => self.maxmemory_eviction_tenacity = number(100)? as u32,
            "LFU_LOG_FACTOR" => self.lfu_log_factor = number(i32::MAX as u64)? as u32,
            "LFU_DECAY_TIME" => self.lfu_decay_time = number(i32::MAX as u64)? as u32,
            "HASH_MAX_LISTPACK_ENTRIES" => self.hash_max_listpack_entries = number(i64::MAX as u64)? as usize,
            "HASH_MAX_LISTPACK_VALUE" => self.hash_max_listpack_value = number(i64::MAX as u64)? as usize,
            "SET_MAX_INTSET_ENTRIES" => self.set_max_intset_entries = number(i64::MAX as u64)? as usize,
            other => unreachable!("setting {other} has no parser"),
        }
        Ok(())
    }

    /// The `--help` text: usage, the binary's subcommands (name, one-line
    /// summary) and every setting with its default.
    pub fn help(subcommands: &[(&str, &str)]) -> String {
        let mut text = format!(
            "efis {} - an in-memory data store that speaks the Redis protocol\n\n\
             Usage: efis [SETTINGS]          run the server\n\
             \x20      efis SUBCOMMAND [ARGS]   run a tool (efis SUBCOMMAND --help for its usage)\n\
             \x20      efis --help | --version\n\n\
             Subcommands:\n",
            env!("CARGO_PKG_VERSION")
        );
        for (name, summary) in subcommands {
            text.push_str(&format!("  {name:<8} {summary}\n"));
        }
        text.push_str(
            "\nSettings (environment variable, flag, default); a flag wins over the environment,\n\
             and a flag's value may follow it or be joined with '=' (--port=7000):\n",
        );
        let env_width = SETTINGS.iter().map(|s| s.env.len()).max().unwrap_or(0);
        let flag_width = SETTINGS.iter().map(|s| s.flag.len()).max().unwrap_or(0);
        for s in SETTINGS {
            text.push_str(&format!("  {:<env_width$}  {:<flag_width$}  {:<9}  {}\n", s.env, s.flag, s.default, s.help));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(env: &[(&str, &str)], flags: &[&str]) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let flags: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
        Config::from_sources(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()), &flags)
    }

    #[test]
    fn flags_win_over_env() {
        let c = parse(&[("PORT", "7000")], &["--port", "7001"]).unwrap();
        assert_eq!(c.port, 7001);
        let c = parse(&[("PORT", "7000")], &["--port=7002"]).unwrap();
        assert_eq!(c.port, 7002);
        assert_eq!(parse(&[("PORT", "7000")], &[]).unwrap().port, 7000);
    }

    #[test]
    fn memory_sizes_read_as_redis_reads_them() {
        assert_eq!(parse_memory("0"), Some(0));
        assert_eq!(parse_memory("100mb"), Some(100 << 20));
        assert_eq!(parse_memory("1GB"), Some(1 << 30));
        assert_eq!(parse_memory("3k"), Some(3000));
        assert_eq!(parse_memory("12b"), Some(12));
        for bad in ["", "mb", "-1", "1.5mb", "1tb", "99999999999999999999"] {
            assert_eq!(parse_memory(bad), None, "{bad}");
        }
        let c = parse(&[("MAXMEMORY", "24mb")], &["--maxmemory-policy", "ALLKEYS-LFU"]).unwrap();
        assert_eq!((c.maxmemory, c.maxmemory_policy), (24 << 20, Policy::AllKeysLfu));
        assert!(parse(&[], &["--maxmemory-policy", "lru"]).is_err());
        assert!(parse(&[], &["--maxmemory-samples", "0"]).is_err());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = parse(&[("PORT", "99999")], &[]).unwrap_err();
        assert!(e.0.contains("PORT") && e.0.contains("99999"), "{e}");
        assert!(parse(&[("BACKUP_INTERVAL", "abc")], &[]).unwrap_err().0.contains("BACKUP_INTERVAL"));
        assert!(parse(&[], &["--appendfsync", "sometimes"]).is_err());
        assert!(parse(&[], &["--nope"]).is_err());
    }

    #[test]
    fn tls_settings_and_ports() {
        let files = [("TLS_CERT_FILE", "c.pem"), ("TLS_KEY_FILE", "k.pem")];
        let c = parse(&files, &["--tls-port", "6380", "--tls-auth-clients", "OPTIONAL"]).unwrap();
        assert_eq!((c.port, c.tls_port, c.tls.auth_clients), (6379, 6380, AuthClients::Optional));
        assert_eq!(c.tls.cert_file, Some(PathBuf::from("c.pem")));
        // PORT=0 with a TLS port serves TLS only; with neither, nothing.
        assert_eq!(parse(&files, &["--port", "0", "--tls-port=6380"]).unwrap().port, 0);
        assert!(parse(&[("PORT", "0")], &[]).unwrap_err().0.contains("PORT"));
        assert!(parse(&files, &["--tls-port", "6379"]).unwrap_err().0.contains("TLS_PORT"));
        assert!(parse(&[], &["--tls-port", "6380"]).unwrap_err().0.contains("TLS_CERT_FILE"));
        assert!(parse(&[("TLS_CERT_FILE", "c.pem")], &["--tls-port", "6380"]).unwrap_err().0.contains("TLS_KEY_FILE"));
        assert!(parse(&[], &["--tls-auth-clients", "maybe"]).is_err());
        assert!(parse(&[], &["--tls-protocols", "TLSv1.1"]).unwrap_err().0.contains("TLS_PROTOCOLS"));
        assert_eq!(parse(&[], &["--tls-protocols", "TLSv1.3"]).unwrap().tls.protocols, "TLSv1.3");
        assert!(parse(&[], &["--tls-replication", "yes"]).unwrap().tls_replication);
    }
}
