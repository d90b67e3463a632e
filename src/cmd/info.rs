//! `INFO`: Redis's exact format (`# Section` headers, `field:value` lines,
//! CRLF), with the fields client libraries and tools read.

use std::fmt::Write;

use super::{CmdResult, Ctx};
use crate::memory;
use crate::protocol::Args;

/// Every section, in the order Redis prints them.
const SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "commandstats",
    "cluster",
    "keyspace",
];

/// Sections left out of a plain `INFO`.
const NOT_DEFAULT: &[&str] = &["commandstats"];

pub fn info(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut wanted: Vec<String> =
        args.iter().skip(1).map(|a| String::from_utf8_lossy(a).to_ascii_lowercase()).collect();
    let everything = wanted.iter().any(|w| w == "all" || w == "everything");
    if everything || wanted.is_empty() || wanted.iter().any(|w| w == "default") {
        let extra = SECTIONS.iter().filter(|s| everything || !NOT_DEFAULT.contains(s));
        wanted.extend(extra.map(|s| s.to_string()));
    }
    let mut text = String::new();

    for &section in SECTIONS {
        if wanted.iter().any(|w| w == section) {
            if !text.is_empty() {
                text.push_str("\r\n");
            }
            write_section(ctx, section, &mut text);
        }
    }
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

fn field(text: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(text, "{name}:{value}\r\n");
}

fn cpu_seconds() -> (f64, f64) {
    // Fields 14 and 15 of /proc/self/stat: user and system time in ticks.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return (0.0, 0.0) };
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12))
}

fn write_section(ctx: &mut Ctx<'_>, section: &str, text: &mut String) {
    let server = &*ctx.server;
    let uptime = server.started.elapsed().as_secs();
    match section {
        "server" => {
            text.push_str("# Server\r\n");
            field(text, "redis_version", crate::REDIS_COMPAT_VERSION);
            field(text, "efis_version", env!("CARGO_PKG_VERSION"));
            field(text, "redis_git_sha1", "00000000");
            field(text, "redis_git_dirty", 0);
            field(text, "redis_build_id", "0");
            field(text, "redis_mode", "standalone");
            field(text, "os", std::env::consts::OS);
            field(text, "arch_bits", usize::BITS);
            field(text, "monotonic_clock", "POSIX clock_gettime");
            field(text, "multiplexing_api", "epoll");
            field(text, "process_id", std::process::id());
            field(text, "process_supervised", "no");
            field(text, "run_id", format!("{:040x}", server.started_ms as u128 * 0x9e37_79b9));
            field(text, "tcp_port", server.port);
            field(text, "server_time_usec", ctx.now_ms * 1000);
            field(text, "uptime_in_seconds", uptime);
            field(text, "uptime_in_days", uptime / 86400);
            field(text, "hz", 10);
            field(text, "configured_hz", 10);
            field(text, "executable", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
            field(text, "config_file", "");
        }
        "clients" => {
            text.push_str("# Clients\r\n");
            field(text, "connected_clients", server.clients.len());
            field(text, "cluster_connections", 0);
            field(text, "maxclients", server.config.maxclients);
            field(text, "client_recent_max_input_buffer", 0);
            field(text, "client_recent_max_output_buffer", 0);
            field(text, "blocked_clients", server.blocked_clients);
            field(text, "tracking_clients", server.tracking.clients());
            field(text, "clients_in_timeout_table", 0);
        }
        "memory" => {
            let used = memory::used_bytes();
            let rss = memory::rss_bytes();
            let peak = memory::peak_bytes();
            text.push_str("# Memory\r\n");
            field(text, "used_memory", used);
            field(text, "used_memory_human", memory::human(used));
            field(text, "used_memory_rss", rss);
            field(text, "used_memory_rss_human", memory::human(rss));
            field(text, "used_memory_peak", peak);
            field(text, "used_memory_peak_human", memory::human(peak));
            field(text, "used_memory_overhead", ctx.store.overhead_bytes());
            field(text, "used_memory_dataset", used.saturating_sub(ctx.store.overhead_bytes()));
            let eval_vm = server.scripts.as_ref().map_or(0, |s| s.used_memory());
            let functions_vm = server.functions.as_ref().map_or(0, |f| f.used_memory());
            field(text, "used_memory_lua", eval_vm);
            field(text, "used_memory_vm_eval", eval_vm);
            field(text, "used_memory_lua_human", memory::human(eval_vm));
            field(text, "used_memory_vm_functions", functions_vm);
            field(text, "used_memory_vm_total", eval_vm + functions_vm);
            field(text, "used_memory_vm_total_human", memory::human(eval_vm + functions_vm));
            field(text, "number_of_cached_scripts", server.scripts.as_ref().map_or(0, |s| s.len()));
            let (libraries, functions) = server.functions.as_ref().map_or((0, 0), |f| f.counts());
            field(text, "number_of_functions", functions);
            field(text, "number_of_libraries", libraries);
            let limit = server.eviction.maxmemory as usize;
            field(text, "maxmemory", limit);
            field(text, "maxmemory_human", memory::human(limit));
            field(text, "maxmemory_policy", server.eviction.policy.name());
            field(
                text,
                "mem_fragmentation_ratio",
                format!("{:.2}", if used > 0 { rss as f64 / used as f64 } else { 0.0 }),
            );
            field(text, "mem_allocator", "libc");
        }
        "persistence" => {
            text.push_str("# Persistence\r\n");
            let p = &server.persist;
            let status = |ok: bool| if ok { "ok" } else { "err" };
            field(text, "loading", 0);
            field(text, "async_loading", 0);
            field(text, "current_cow_peak", 0);
            field(text, "rdb_changes_since_last_save", p.dirty);
            field(text, "rdb_bgsave_in_progress", i32::from(p.in_progress()));
            field(text, "rdb_last_save_time", p.last_save_s);
            field(text, "rdb_last_bgsave_status", status(p.last_save_ok));
            field(text, "rdb_last_bgsave_time_sec", p.last_save_duration_s);
            field(text, "rdb_current_bgsave_time_sec", p.current_duration_s());
            field(text, "rdb_last_snapshot_bytes", p.last_save_bytes);
            field(text, "aof_enabled", 1);
            field(text, "aof_rewrite_in_progress", i32::from(p.in_progress()));
            field(text, "aof_rewrite_scheduled", i32::from(p.requested));
            field(text, "aof_last_rewrite_time_sec", p.last_save_duration_s);
            field(text, "aof_current_rewrite_time_sec", p.current_duration_s());
            field(text, "aof_last_bgrewrite_status", status(p.last_save_ok));
            field(text, "aof_last_write_status", status(p.aof.error.is_none()));
            field(text, "aof_last_fsync_status", status(!p.aof.sync_failing()));
            field(text, "aof_fsync", p.aof.policy().name());
            field(text, "aof_current_size", p.aof.file_size);
            field(text, "aof_current_generation", p.aof.generation());
            field(text, "aof_buffer_length", p.aof.pending());
            field(text, "backup_path", p.dir().display());
        }
        "stats" => {
            let s = &server.stats;
            text.push_str("# Stats\r\n");
            field(text, "total_connections_received", s.connections);
            field(text, "total_commands_processed", s.commands);
            field(text, "instantaneous_ops_per_sec", 0);
            field(text, "total_net_input_bytes", s.net_input_bytes);
            field(text, "total_net_output_bytes", s.net_output_bytes);
            field(text, "rejected_connections", s.rejected_connections);
            field(text, "expired_keys", s.expired_keys);
            field(text, "evicted_keys", server.stats.evicted_keys);
            field(text, "keyspace_hits", s.keyspace_hits);
            field(text, "keyspace_misses", s.keyspace_misses);
            field(text, "pubsub_channels", server.pubsub.channel_names(None).len());
            field(text, "pubsub_patterns", server.pubsub.pattern_count());
            let (keys, items, prefixes) = server.tracking.totals();
            field(text, "tracking_total_keys", keys);
            field(text, "tracking_total_items", items);
            field(text, "tracking_total_prefixes", prefixes);
            field(text, "total_error_replies", 0);
        }
        "replication" => {
            text.push_str("# Replication\r\n");
            field(text, "role", "master");
            field(text, "connected_slaves", 0);
            field(text, "master_failover_state", "no-failover");
            field(text, "master_replid", "0000000000000000000000000000000000000000");
            field(text, "master_repl_offset", 0);
        }
        "cpu" => {
            let (user, sys) = cpu_seconds();
            text.push_str("# CPU\r\n");
            field(text, "used_cpu_sys", format!("{sys:.6}"));
            field(text, "used_cpu_user", format!("{user:.6}"));
        }
        "modules" => text.push_str("# Modules\r\n"),
        "errorstats" => text.push_str("# Errorstats\r\n"),
        "commandstats" => {
            text.push_str("# Commandstats\r\n");
            let mut rows: Vec<(&str, (u64, u64, u64))> = super::table::all()
                .filter_map(|spec| server.stats.per_command.get(spec.id).filter(|s| s.0 > 0).map(|s| (spec.name, *s)))
                .collect();
            rows.sort();
            for (name, (calls, usec, failed)) in rows {
                let per_call = usec as f64 / calls as f64;
                let _ = write!(
                    text,
                    "cmdstat_{name}:calls={calls},usec={usec},usec_per_call={per_call:.2},rejected_calls=0,failed_calls={failed}\r\n"
                );
            }
        }
        "cluster" => {
            text.push_str("# Cluster\r\n");
            field(text, "cluster_enabled", 0);
        }
        "keyspace" => {
            text.push_str("# Keyspace\r\n");
            for index in 0..ctx.store.db_count() {
                let db = ctx.store.db_ref(index);
                if !db.is_empty() {
                    let _ = write!(text, "db{index}:keys={},expires={},avg_ttl=0\r\n", db.len(), db.volatile_len());
                }
            }
        }
        _ => {}
    }
}
