//! Server commands: INFO, CONFIG, TIME, LASTSAVE, SAVE/BGSAVE/
//! BGREWRITEAOF, SHUTDOWN, MONITOR, SLOWLOG (DEBUG is in `debug.rs`,
//! LATENCY in `latency.rs`, COMMAND in `introspection.rs`).

use super::args::{is, parse_i64, parse_i64_opt};
use super::meta::arg;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::state::ShutdownRequest;
use crate::store::glob::glob_match;
use crate::store::limits;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("info", -1, Flags::LOADING.or(Flags::STALE), NO_KEYS, super::info::info)
        .acl("dangerous")
        .tips("nondeterministic_output request_policy:all_shards response_policy:special")
        .doc("server", "1.0.0", "O(1)", "Get information and statistics about the server")
        .history(&[("7.0.0", "Added support for taking multiple section arguments.")])
        .args(&[arg::string("section").optional().multiple()]),
    CommandSpec::new("config", -2, Flags::NONE, NO_KEYS, config)
        .doc("server", "2.0.0", "Depends on subcommand.", "A container for server configuration commands")
        .subcommands(CONFIG_SUBCOMMANDS),
    CommandSpec::new("time", 1, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, time)
        .tips("nondeterministic_output")
        .doc("server", "2.6.0", "O(1)", "Return the current server time"),
    CommandSpec::new("lastsave", 1, Flags::LOADING.or(Flags::STALE).or(Flags::FAST), NO_KEYS, lastsave)
        .acl("admin dangerous")
        .tips("nondeterministic_output")
        .doc("server", "1.0.0", "O(1)", "Get the UNIX time stamp of the last successful save to disk"),
    CommandSpec::new(
        "save",
        1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        NO_KEYS,
        save,
    )
    .doc(
        "server",
        "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "Synchronously save the dataset to disk",
    ),
    CommandSpec::new("bgsave", -1, Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING), NO_KEYS, bgsave)
        .doc("server", "1.0.0", "O(1)", "Asynchronously save the dataset to disk")
        .history(&[("3.2.2", "Added the `SCHEDULE` option.")])
        .args(&[arg::token("schedule", "SCHEDULE").since("3.2.2").optional()]),
    CommandSpec::new(
        "bgrewriteaof",
        1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING),
        NO_KEYS,
        bgrewriteaof,
    )
    .doc("server", "1.0.0", "O(1)", "Asynchronously rewrite the append-only file"),
    CommandSpec::new(
        "sync",
        1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::NO_ASYNC_LOADING).or(Flags::NO_MULTI),
        NO_KEYS,
        sync,
    )
    .doc("server", "1.0.0", "", "Internal command used for replication"),
    CommandSpec::new(
        "shutdown",
        -1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE).or(Flags::NO_MULTI).or(Flags::ALLOW_BUSY),
        NO_KEYS,
        shutdown,
    )
    .doc(
        "server",
        "1.0.0",
        "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        "Synchronously save the dataset to disk and then shut down the server",
    )
    .history(&[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")])
    .args(&[
        arg::oneof("nosave_save", &[arg::token("nosave", "NOSAVE"), arg::token("save", "SAVE")]).optional(),
        arg::token("now", "NOW").since("7.0.0").optional(),
        arg::token("force", "FORCE").since("7.0.0").optional(),
        arg::token("abort", "ABORT").since("7.0.0").optional(),
    ]),
    CommandSpec::new(
        "monitor",
        1,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        monitor,
    )
    .doc("server", "1.0.0", "", "Listen for all requests received by the server in real time"),
    CommandSpec::new("slowlog", -2, Flags::NONE, NO_KEYS, slowlog)
        .doc("server", "2.2.12", "Depends on subcommand.", "A container for slow log commands")
        .subcommands(SLOWLOG_SUBCOMMANDS),
];

/// `CONFIG`'s subcommands.
const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "config|get",
        -3,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        config,
    )
    .doc(
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Get the values of configuration parameters",
    )
    .history(&[("7.0.0", "Added the ability to pass multiple pattern parameters in one call")])
    .args(&[arg::block("parameter", &[arg::string("parameter")]).multiple()]),
    CommandSpec::new("config|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, config).doc(
        "server",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new(
        "config|resetstat",
        2,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        config,
    )
    .doc("server", "2.0.0", "O(1)", "Reset the stats returned by INFO"),
    CommandSpec::new(
        "config|rewrite",
        2,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        config,
    )
    .doc("server", "2.8.0", "O(1)", "Rewrite the configuration file with the in memory configuration"),
    CommandSpec::new(
        "config|set",
        -4,
        Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE),
        NO_KEYS,
        config,
    )
    .tips("request_policy:all_nodes response_policy:all_succeeded")
    .doc(
        "server",
        "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Set configuration parameters to the given values",
    )
    .history(&[("7.0.0", "Added the ability to set multiple parameters in one call.")])
    .args(&[arg::block("parameter_value", &[arg::string("parameter"), arg::string("value")]).multiple()]),
];

/// `SLOWLOG`'s subcommands.
const SLOWLOG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("slowlog|get", -2, Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, slowlog)
        .tips("request_policy:all_nodes nondeterministic_output")
        .doc("server", "2.2.12", "O(N) where N is the number of entries returned", "Get the slow log's entries")
        .history(&[("4.0.0", "Added client IP address, port and name to the reply.")])
        .args(&[arg::integer("count").optional()]),
    CommandSpec::new("slowlog|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, slowlog).doc(
        "server",
        "6.2.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("slowlog|len", 2, Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, slowlog)
        .tips("request_policy:all_nodes response_policy:agg_sum nondeterministic_output")
        .doc("server", "2.2.12", "O(1)", "Get the slow log's length"),
    CommandSpec::new("slowlog|reset", 2, Flags::ADMIN.or(Flags::LOADING).or(Flags::STALE), NO_KEYS, slowlog)
        .tips("request_policy:all_nodes response_policy:all_succeeded")
        .doc(
            "server",
            "2.2.12",
            "O(N) where N is the number of entries in the slowlog",
            "Clear all entries from the slow log",
        ),
];

pub(super) fn write_help(ctx: &mut Ctx<'_>, lines: &[&str]) {
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}

fn config(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    if is(sub, "get") {
        if args.len() < 3 {
            return Err(subcommand_arity("config", sub));
        }
        // A name without glob characters is answered as the client spelt
        // it, a pattern with the names it matches; each parameter once.
        let mut found: Vec<(String, String)> = Vec::new();
        for pattern in args.iter().skip(2) {
            let lower = pattern.to_ascii_lowercase();
            let seen = |found: &[(String, String)], name: &str| found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
            if !pattern.iter().any(|b| matches!(b, b'[' | b'*' | b'?')) {
                let name = String::from_utf8_lossy(pattern);
                if let Some(value) = ctx.server.param(&String::from_utf8_lossy(&lower)) {
                    if !seen(&found, &name) {
                        found.push((name.into_owned(), value.to_string()));
                    }
                }
                continue;
            }
            for (name, value) in &ctx.server.params {
                if glob_match(&lower, name.as_bytes()) && !seen(&found, name) {
                    found.push((name.clone(), value.clone()));
                }
            }
        }
        ctx.out.map(found.len());
        for (name, value) in found {
            ctx.out.bulk(name.as_bytes());
            ctx.out.bulk(value.as_bytes());
        }
    } else if is(sub, "set") {
        if args.len() < 4 {
            return Err(subcommand_arity("config", sub));
        }
        if !args.len().is_multiple_of(2) {
            return Err(CmdError::Syntax);
        }
        // Names first, as Redis does: the first unknown, fixed or repeated
        // name fails the command before any value is looked at.
        let mut names: Vec<String> = Vec::new();
        for pair in (2..args.len()).step_by(2) {
            let name = check_param_name(ctx, args.get(pair), &names)?;
            names.push(name);
        }
        let mut changes = Vec::new();
        for (name, pair) in names.into_iter().zip((2..args.len()).step_by(2)) {
            let value = String::from_utf8_lossy(args.get(pair + 1)).to_string();
            validate_param(&name, &value)?;
            changes.push((name, value));
        }
        // New certificates are read before anything is applied.
        let tls = super::tls_params::prepare(ctx, &changes).map_err(|(name, why)| config_set_failed(&name, &why))?;
        for (name, value) in changes {
            apply_param(ctx, &name, &value);
        }
        if tls.is_some() {
            ctx.server.tls = tls;
        }
        ctx.out.ok();
    } else if is(sub, "resetstat") {
        if args.len() != 2 {
            return Err(subcommand_arity("config", sub));
        }
        let stats = &mut ctx.server.stats;
        stats.commands = 0;
        stats.connections = 0;
        stats.rejected_connections = 0;
        stats.expired_keys = 0;
        stats.keyspace_hits = 0;
        stats.keyspace_misses = 0;
        stats.net_input_bytes = 0;
        stats.net_output_bytes = 0;
        stats.per_command.iter_mut().for_each(|slot| *slot = crate::state::CommandStats::default());
        stats.total_error_replies = 0;
        stats.errors.clear();
        stats.reads_processed = 0;
        stats.writes_processed = 0;
        stats.latency.reset_histograms();
        ctx.out.ok();
    } else if is(sub, "rewrite") {
        return Err(CmdError::Static("ERR The server is running without a config file"));
    } else if is(sub, "help") {
        write_help(
            ctx,
            &[
                "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET <pattern>",
                "SET <directive> <value>",
                "RESETSTAT",
                "HELP",
            ],
        );
    } else {
        return Err(unknown_subcommand("config", sub));
    }
    Ok(())
}

/// Parameters fixed at start (settable only by environment or flag).
/// `replicaof` and `slaveof` are listed (empty) as Redis lists them, and
/// are as fixed there.
const IMMUTABLE: &[&str] = &[
    "port",
    "tls-port",
    "bind",
    "backup-path",
    "databases",
    "appendfilename",
    "cluster-enabled",
    "io-threads",
    "replicaof",
    "slaveof",
    "aclfile",
];

/// Parameters Redis refuses as "protected" (with `enable-protected-configs`
/// at its default, `no`).
const PROTECTED: &[&str] = &["dir", "dbfilename"];

/// The error `CONFIG SET` answers about the parameter `given` (spelt as the
/// client wrote it).
fn config_set_failed(given: &str, why: &str) -> CmdError {
    CmdError::Owned(format!("ERR CONFIG SET failed (possibly related to argument '{given}') - {why}"))
}

/// Checks one name of a `CONFIG SET` against the known parameters, the
/// fixed ones and the names `earlier` in the same command; returns it in
/// lower case.
fn check_param_name(ctx: &Ctx<'_>, given: &[u8], earlier: &[String]) -> Result<String, CmdError> {
    let given = String::from_utf8_lossy(given);
    let name = given.to_ascii_lowercase();
    if ctx.server.param(&name).is_none() {
        return Err(CmdError::Owned(format!("ERR Unknown option or number of arguments for CONFIG SET - '{given}'")));
    }
    let refused = if IMMUTABLE.contains(&name.as_str()) {
        Some("can't set immutable config")
    } else if PROTECTED.contains(&name.as_str()) {
        Some("can't set protected config")
    } else if earlier.contains(&name) {
        Some("duplicate parameter")
    } else {
        None
    };
    match refused {
        Some(why) => Err(config_set_failed(&given, why)),
        None => Ok(name),
    }
}

/// Checks a value for the known, settable parameter `name`.
fn validate_param(name: &str, value: &str) -> CmdResult {
    let failed = |why: &str| config_set_failed(name, why);
    if super::evict::PARAMS.contains(&name) {
        return super::evict::validate(name, value).map_err(|why| failed(&why));
    }
    if super::tls_params::PARAMS.contains(&name) {
        return super::tls_params::validate(name, value).map_err(|why| failed(&why));
    }
    if name == super::hyperloglog::SPARSE_MAX_PARAM {
        return super::hyperloglog::validate_sparse_max(value).map(|_| ()).map_err(&failed);
    }
    let numeric = [
        "backup-interval",
        "backup-keep",
        "maxclients",
        "timeout",
        "tcp-keepalive",
        "hz",
        "slowlog-log-slower-than",
        "slowlog-max-len",
        "latency-monitor-threshold",
        "acllog-max-len",
        "busy-reply-threshold",
        "lua-time-limit",
        "proto-max-bulk-len",
        "client-query-buffer-limit",
        "list-max-listpack-size",
        "list-max-ziplist-size",
        "list-compress-depth",
        "set-max-intset-entries",
        "set-max-listpack-entries",
        "set-max-listpack-value",
        "zset-max-listpack-entries",
        "zset-max-ziplist-entries",
        "hash-max-listpack-entries",
        "hash-max-ziplist-entries",
        "repl-ping-replica-period",
        "repl-timeout",
        "replica-priority",
        "min-replicas-to-write",
        "min-replicas-max-lag",
        "replica-announce-port",
        "min-slaves-to-write",
        "min-slaves-max-lag",
    ];
    if numeric.contains(&name) && parse_i64_opt(value.as_bytes()).is_none() {
        return Err(failed("argument couldn't be parsed into an integer"));
    }
    let non_negative = name.starts_with("hash-max-") || name.starts_with("zset-max-") || name.starts_with("set-max-");
    if non_negative && !MEMORY_PARAMS.contains(&name) && parse_i64_opt(value.as_bytes()).is_some_and(|n| n < 0) {
        return Err(failed("argument must be between 0 and 9223372036854775807 inclusive"));
    }
    if MEMORY_PARAMS.contains(&name) {
        match parse_memory_value(value) {
            None => return Err(failed("argument must be a memory value")),
            Some(n) if n > i64::MAX as u128 => {
                return Err(failed("argument must be between 0 and 9223372036854775807 inclusive"))
            }
            Some(_) => {}
        }
    }
    match name {
        "client-output-buffer-limit" => super::replicaof::output_limit_param("", value).map(|_| ()).map_err(failed),
        "latency-monitor-threshold" if value.trim_start().starts_with('-') => {
            Err(failed("argument must be between 0 and 9223372036854775807 inclusive"))
        }
        "appendfsync" if crate::config::AppendFsync::parse(value).is_none() => {
            Err(failed("argument(s) must be one of the following: always, everysec, no"))
        }
        "appendonly"
        | "latency-tracking"
        | "protected-mode"
        | "replica-read-only"
        | "replica-serve-stale-data"
        | "replica-announced"
            if !["yes", "no"].contains(&value.to_ascii_lowercase().as_str()) =>
        {
            Err(failed("argument must be 'yes' or 'no'"))
        }
        "acllog-max-len" if parse_i64_opt(value.as_bytes()).is_some_and(|n| n < 0) => {
            Err(failed("argument must be between 0 and 9223372036854775807 inclusive"))
        }
        "notify-keyspace-events" if crate::pubsub::parse_flags(value).is_none() => {
            Err(failed("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."))
        }
        "loglevel"
            if !["error", "warn", "warning", "info", "notice", "debug", "verbose", "trace"]
                .contains(&value.to_ascii_lowercase().as_str()) =>
        {
            Err(failed("argument(s) must be one of the following: debug, verbose, notice, warning"))
        }
        _ => Ok(()),
    }
}

/// Parameters Redis reads as memory values (`64`, `1k`, `2kb`, `1gb`).
const MEMORY_PARAMS: &[&str] = &[
    "hash-max-listpack-value",
    "hash-max-ziplist-value",
    "zset-max-listpack-value",
    "zset-max-ziplist-value",
    "repl-backlog-size",
];

/// A memory value as Redis reads one: decimal digits and an optional unit
/// (`b`, `k` = 1000, `kb` = 1024, `m`, `mb`, `g`, `gb`, any case); `None`
/// for anything else. Too many digits saturate, so the caller's range
/// check rejects them.
fn parse_memory_value(text: &str) -> Option<u128> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return None;
    }
    let scale = u128::from(crate::config::memory_unit(&unit.to_ascii_lowercase())?);
    let number = digits.parse::<u128>().unwrap_or(u128::MAX / (1 << 30));
    Some(number.saturating_mul(scale))
}

fn apply_param(ctx: &mut Ctx<'_>, name: &str, value: &str) {
    if super::evict::PARAMS.contains(&name) {
        let shown = super::evict::apply(ctx, name, value);
        ctx.server.set_param(name, shown);
        return;
    }
    if super::tls_params::PARAMS.contains(&name) {
        let shown = super::tls_params::apply(ctx, name, value);
        ctx.server.set_param(name, shown);
        return;
    }
    let memory_text;
    let value = match parse_memory_value(value) {
        Some(n) if MEMORY_PARAMS.contains(&name) => {
            memory_text = n.to_string();
            memory_text.as_str()
        }
        _ => value,
    };
    let number = parse_i64_opt(value.as_bytes()).unwrap_or(0);
    match name {
        "slowlog-log-slower-than" => ctx.server.stats.slowlog_threshold_us = number,
        "latency-monitor-threshold" => ctx.server.stats.latency.threshold_ms = number.max(0) as u64,
        "latency-tracking" => ctx.server.stats.latency.tracking = value.eq_ignore_ascii_case("yes"),
        // Two names of one setting, as in Redis.
        "busy-reply-threshold" | "lua-time-limit" => {
            ctx.server.busy_reply_threshold_ms = number.max(0) as u64;
            let text = number.max(0).to_string();
            let other = if name == "lua-time-limit" { "busy-reply-threshold" } else { "lua-time-limit" };
            ctx.server.set_param(other, text);
        }
        "slowlog-max-len" => {
            ctx.server.stats.slowlog_max_len = number.max(0) as usize;
            let len = ctx.server.stats.slowlog_max_len;
            ctx.server.stats.slowlog.truncate(len);
        }
        "hash-max-listpack-entries" | "hash-max-ziplist-entries" => limits::set_hash_max_entries(number as usize),
        "hash-max-listpack-value" | "hash-max-ziplist-value" => limits::set_hash_max_value(number as usize),
        "set-max-intset-entries" => limits::set_set_max_intset_entries(number as usize),
        "maxclients" => ctx.server.config.maxclients = number.max(1) as usize,
        "repl-backlog-size" => ctx.server.repl.set_backlog_size(number.max(0) as usize),
        "min-replicas-to-write" | "min-slaves-to-write" => ctx.server.repl.min_replicas.0 = number.max(0) as usize,
        "min-replicas-max-lag" | "min-slaves-max-lag" => ctx.server.repl.min_replicas.1 = number.max(0),
        // As in Redis, the log is cut to the new length by its next entry.
        "acllog-max-len" => ctx.server.acl.log.max_len = number.max(0) as usize,
        "protected-mode" => ctx.server.config.protected_mode = value.eq_ignore_ascii_case("yes"),
        "requirepass" => {
            ctx.server.config.requirepass = (!value.is_empty()).then(|| value.to_string());
            ctx.server.acl.set_default_password(ctx.server.config.requirepass.as_deref());
        }
        "appendfsync" => {
            if let Some(mode) = crate::config::AppendFsync::parse(value) {
                ctx.server.config.appendfsync = mode;
                ctx.server.persist.aof.set_policy(mode);
            }
        }
        "backup-interval" => {
            ctx.server.config.backup_interval = number.max(0) as u64;
            ctx.server.persist.set_interval(number.max(0) as u64);
        }
        "backup-keep" => {
            ctx.server.config.backup_keep = number.max(1) as usize;
            ctx.server.persist.keep = number.max(1) as usize;
        }
        "loglevel" => {
            if let Ok(config) =
                crate::config::Config::from_sources(|n| (n == "LOG_LEVEL").then(|| value.to_string()), &[])
            {
                log::set_max_level(config.log_level);
            }
        }
        _ => {}
    }
    let stored = match crate::pubsub::parse_flags(value) {
        Some(flags) if name == "notify-keyspace-events" => crate::pubsub::flags_to_string(flags),
        _ if name == super::hyperloglog::SPARSE_MAX_PARAM => {
            super::hyperloglog::validate_sparse_max(value).unwrap_or_default().to_string()
        }
        _ if name == "protected-mode" => value.to_ascii_lowercase(),
        _ if name == "client-output-buffer-limit" => {
            let current = ctx.server.param(name).unwrap_or_default();
            super::replicaof::output_limit_param(current, value).unwrap_or_else(|_| current.to_string())
        }
        _ => value.to_string(),
    };
    if let Some(alias) = param_alias(name) {
        ctx.server.set_param(alias, stored.clone());
    }
    ctx.server.set_param(name, stored);
}

/// Redis 7 renamed the `ziplist` encoding parameters to `listpack`; both
/// names stay valid and denote one setting.
fn param_alias(name: &str) -> Option<&'static str> {
    const PAIRS: &[(&str, &str)] = &[
        ("list-max-ziplist-size", "list-max-listpack-size"),
        ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
        ("zset-max-ziplist-value", "zset-max-listpack-value"),
        ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
        ("hash-max-ziplist-value", "hash-max-listpack-value"),
        ("min-slaves-to-write", "min-replicas-to-write"),
        ("min-slaves-max-lag", "min-replicas-max-lag"),
    ];
    PAIRS.iter().find_map(|&(a, b)| {
        if a == name {
            Some(b)
        } else if b == name {
            Some(a)
        } else {
            None
        }
    })
}

fn time(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

fn lastsave(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    ctx.out.int(ctx.server.persist.last_save_s);
    Ok(())
}

/// `SAVE`: a snapshot written by the loop itself, as Redis does (it
/// blocks every client while it runs).
fn save(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    if ctx.server.persist.in_progress() {
        return Err(CmdError::Static("ERR Background save already in progress"));
    }
    let now = ctx.now_ms;
    match ctx.server.persist.save_now(ctx.store, now) {
        Ok(()) => {
            ctx.server.stats.snapshots += 1;
            ctx.out.ok();
            Ok(())
        }
        Err(why) => Err(CmdError::Owned(format!("ERR snapshot failed: {why}"))),
    }
}

/// `BGSAVE [SCHEDULE]`: the loop starts a snapshot process once this
/// command (and any transaction around it) is done.
fn bgsave(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let schedule = match args.len() {
        1 => false,
        2 if is(args.get(1), "schedule") => true,
        _ => return Err(CmdError::Syntax),
    };
    let persist = &mut ctx.server.persist;
    if persist.in_progress() {
        if !schedule {
            return Err(CmdError::Static("ERR Background save already in progress"));
        }
        persist.requested = true;
        ctx.out.simple("Background saving scheduled");
        return Ok(());
    }
    persist.requested = true;
    ctx.out.simple("Background saving started");
    Ok(())
}

/// `BGREWRITEAOF`: compaction is the rewrite (a snapshot and a new log).
fn bgrewriteaof(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let persist = &mut ctx.server.persist;
    persist.requested = true;
    if persist.in_progress() {
        ctx.out.simple("Background append only file rewriting scheduled");
    } else {
        ctx.out.simple("Background append only file rewriting started");
    }
    Ok(())
}

/// `SYNC`: answers with a fresh snapshot file as one bulk string, once
/// it is written (what `efis backup` uses); after `REPLCONF rdb-only 1`
/// an RDB file instead (`redis-cli --rdb`, see `replication`). Both are
/// written by a child process and sent from the file a chunk at a time
/// as the socket drains. The client waits meanwhile; everyone else is
/// served.
fn sync(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    if ctx.client().wants_rdb {
        super::replication::wait_for_rdb(ctx);
        return Ok(());
    }
    let id = ctx.client().id;
    let key = ctx.client_key;
    let persist = &mut ctx.server.persist;
    persist.waiters.push((key, id));
    // A snapshot already running started before this request, but it is
    // consistent all the same: the waiter gets that one.
    if !persist.in_progress() {
        persist.requested = true;
    }
    ctx.client().blocked = true;
    Ok(())
}

fn shutdown(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut save = None;
    for opt in args.iter().skip(1) {
        if is(opt, "nosave") && save.is_none() {
            save = Some(false);
        } else if is(opt, "save") && save.is_none() {
            save = Some(true);
        } else if is(opt, "now") || is(opt, "force") {
        } else if is(opt, "abort") {
            return Err(CmdError::Static("ERR No shutdown in progress."));
        } else {
            return Err(CmdError::Syntax);
        }
    }
    ctx.server.shutdown = Some(ShutdownRequest { save });
    Ok(())
}

fn monitor(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let key = ctx.client_key;
    if !ctx.server.monitors.contains(&key) {
        ctx.server.monitors.push(key);
    }
    ctx.out.ok();
    Ok(())
}

fn slowlog(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    if is(sub, "get") && args.len() <= 3 {
        let count = if args.len() == 3 {
            let n = parse_i64(args.get(2))?;
            if n < -1 {
                return Err(CmdError::Static("ERR count should be greater than or equal to -1"));
            }
            if n == -1 {
                usize::MAX
            } else {
                n as usize
            }
        } else {
            10
        };
        let entries: Vec<_> = ctx.server.stats.slowlog.iter().take(count).cloned().collect();
        ctx.out.array(entries.len());
        for entry in entries {
            ctx.out.array(6);
            ctx.out.int(entry.id as i64);
            ctx.out.int(entry.time_s);
            ctx.out.int(entry.micros as i64);
            ctx.out.array(entry.args.len());
            for arg in &entry.args {
                ctx.out.bulk(arg);
            }
            ctx.out.bulk(entry.client_addr.as_bytes());
            ctx.out.bulk(&entry.client_name);
        }
    } else if is(sub, "len") && args.len() == 2 {
        ctx.out.int(ctx.server.stats.slowlog.len() as i64);
    } else if is(sub, "reset") && args.len() == 2 {
        ctx.server.stats.slowlog.clear();
        ctx.out.ok();
    } else if is(sub, "help") && args.len() == 2 {
        write_help(
            ctx,
            &[
                "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "GET [<count>]",
                "LEN",
                "RESET",
                "HELP",
            ],
        );
    } else if ["get", "len", "reset", "help"].iter().any(|s| is(sub, s)) {
        return Err(subcommand_arity("slowlog", sub));
    } else {
        return Err(unknown_subcommand("slowlog", sub));
    }
    Ok(())
}
