//! `INFO`: Redis's exact format (`# Section` headers, `field:value` lines,
//! CRLF), with Redis 7.0's sections and fields in Redis's order, less
//! those that describe machinery Efis does not have (see
//! `tests/it/info_fields.rs` for the list and the reasons), plus a few of
//! Efis's own (`efis_version`, the log's `aof_*` fields, `backup_path`).
//! A field of a feature Efis lacks but whose zero is the truth for Efis
//! (no lazy freeing, no replication buffers beside the backlog) is
//! printed as 0, since exporters and dashboards read them. The
//! `replication` section is `replicaof::info_section`'s.

use std::fmt::Write;

use super::{CmdResult, Ctx};
use crate::memory;
use crate::protocol::Args;
use crate::state::CommandStats;

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
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

/// Sections left out of a plain `INFO`.
const NOT_DEFAULT: &[&str] = &["commandstats", "latencystats"];

/// Percentiles of `INFO latencystats` (Redis's default
/// `latency-tracking-info-percentiles`).
const PERCENTILES: [(&str, f64); 3] = [("50", 50.0), ("99", 99.0), ("99.9", 99.9)];

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

/// User and system CPU seconds of a process or thread (`/proc/.../stat`
/// fields 14 and 15), and of its waited-for children (16 and 17).
fn cpu_seconds(stat_file: &str) -> (f64, f64, f64, f64) {
    let Ok(stat) = std::fs::read_to_string(stat_file) else { return (0.0, 0.0, 0.0, 0.0) };
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / 100.0;
    (tick(11), tick(12), tick(13), tick(14))
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn total_system_memory() -> usize {
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else { return 0 };
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<usize>().ok()).unwrap_or(0) * 1024
}

/// `part` as a percentage of `whole`, as Redis prints it (`12.34%`).
fn percent(part: usize, whole: usize) -> String {
    format!("{:.2}%", if whole > 0 { part as f64 * 100.0 / whole as f64 } else { 0.0 })
}

/// `a / b` with two decimals (0 when `b` is 0).
fn ratio(a: usize, b: usize) -> String {
    format!("{:.2}", if b > 0 { a as f64 / b as f64 } else { 0.0 })
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
            // Redis's LRU clock: seconds, 24 bits.
            field(text, "lru_clock", (ctx.now_ms / 1000) & 0xff_ffff);
            field(text, "executable", std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default());
            field(text, "config_file", "");
            field(text, "io_threads_active", 0);
        }
        "clients" => {
            text.push_str("# Clients\r\n");
            field(text, "connected_clients", server.clients.len());
            field(text, "cluster_connections", 0);
            field(text, "maxclients", server.config.maxclients);
            let largest = |size: fn(&crate::state::Client) -> usize| server.clients.iter().map(|(_, c)| size(c)).max();
            field(text, "client_recent_max_input_buffer", largest(|c| c.query_buffer).unwrap_or(0));
            field(text, "client_recent_max_output_buffer", largest(|c| c.output_buffer).unwrap_or(0));
            field(text, "blocked_clients", server.blocked_clients);
            field(text, "tracking_clients", server.tracking.clients());
            field(text, "clients_in_timeout_table", 0);
        }
        "memory" => {
            let used = memory::used_bytes();
            let rss = memory::rss_bytes();
            let peak = memory::peak_bytes();
            let startup = server.stats.startup_memory.min(used);
            let overhead = ctx.store.overhead_bytes();
            let dataset = used.saturating_sub(overhead);
            let system = total_system_memory();
            let clients: usize =
                server.clients.iter().map(|(_, c)| c.query_buffer + c.query_free + c.output_capacity).sum();
            let log_buffer = server.persist.aof.pending();
            text.push_str("# Memory\r\n");
            field(text, "used_memory", used);
            field(text, "used_memory_human", memory::human(used));
            field(text, "used_memory_rss", rss);
            field(text, "used_memory_rss_human", memory::human(rss));
            field(text, "used_memory_peak", peak);
            field(text, "used_memory_peak_human", memory::human(peak));
            field(text, "used_memory_peak_perc", percent(used, peak));
            field(text, "used_memory_overhead", overhead);
            field(text, "used_memory_startup", startup);
            field(text, "used_memory_dataset", dataset);
            field(text, "used_memory_dataset_perc", percent(dataset, used - startup));
            // Efis counts its own allocations; the allocator's view is the
            // same bytes, resident as the process is.
            field(text, "allocator_allocated", used);
            field(text, "allocator_active", used);
            field(text, "allocator_resident", rss);
            field(text, "total_system_memory", system);
            field(text, "total_system_memory_human", memory::human(system));
            let eval_vm = server.scripts.as_ref().map_or(0, |s| s.used_memory());
            let functions_vm = server.functions.as_ref().map_or(0, |f| f.used_memory());
            field(text, "used_memory_lua", eval_vm);
            field(text, "used_memory_vm_eval", eval_vm);
            field(text, "used_memory_lua_human", memory::human(eval_vm));
            field(text, "number_of_cached_scripts", server.scripts.as_ref().map_or(0, |s| s.len()));
            let (libraries, functions) = server.functions.as_ref().map_or((0, 0), |f| f.counts());
            field(text, "number_of_functions", functions);
            field(text, "number_of_libraries", libraries);
            field(text, "used_memory_vm_functions", functions_vm);
            field(text, "used_memory_vm_total", eval_vm + functions_vm);
            field(text, "used_memory_vm_total_human", memory::human(eval_vm + functions_vm));
            let limit = server.eviction.maxmemory as usize;
            field(text, "maxmemory", limit);
            field(text, "maxmemory_human", memory::human(limit));
            field(text, "maxmemory_policy", server.eviction.policy.name());
            field(text, "allocator_frag_ratio", "1.00");
            field(text, "allocator_frag_bytes", 0);
            field(text, "allocator_rss_ratio", ratio(rss, used));
            field(text, "allocator_rss_bytes", rss as i64 - used as i64);
            field(text, "rss_overhead_ratio", "1.00");
            field(text, "rss_overhead_bytes", 0);
            field(text, "mem_fragmentation_ratio", ratio(rss, used));
            field(text, "mem_fragmentation_bytes", rss as i64 - used as i64);
            field(text, "mem_not_counted_for_evict", log_buffer);
            field(text, "mem_replication_backlog", server.repl.backlog_len());
            field(text, "mem_total_replication_buffers", 0);
            field(text, "mem_clients_slaves", 0);
            field(text, "mem_clients_normal", clients);
            field(text, "mem_cluster_links", 0);
            field(text, "mem_aof_buffer", log_buffer);
            field(text, "mem_allocator", "libc");
            // Efis frees at once, also for UNLINK and FLUSHALL ASYNC.
            field(text, "lazyfree_pending_objects", 0);
            field(text, "lazyfreed_objects", 0);
        }
        "persistence" => {
            text.push_str("# Persistence\r\n");
            let p = &server.persist;
            let s = &server.stats;
            let status = |ok: bool| if ok { "ok" } else { "err" };
            field(text, "loading", i32::from(server.loading.is_some()));
            field(text, "async_loading", 0);
            field(text, "current_cow_peak", 0);
            field(text, "current_cow_size", 0);
            field(text, "current_cow_size_age", 0);
            field(text, "current_fork_perc", "0.00");
            field(text, "current_save_keys_processed", 0);
            field(text, "current_save_keys_total", 0);
            field(text, "rdb_changes_since_last_save", p.dirty);
            field(text, "rdb_bgsave_in_progress", i32::from(p.in_progress()));
            field(text, "rdb_last_save_time", p.last_save_s);
            field(text, "rdb_last_bgsave_status", status(p.last_save_ok));
            field(text, "rdb_last_bgsave_time_sec", p.last_save_duration_s);
            field(text, "rdb_current_bgsave_time_sec", p.current_duration_s());
            field(text, "rdb_saves", s.snapshots);
            field(text, "rdb_last_cow_size", 0);
            field(text, "rdb_last_load_keys_expired", 0);
            field(text, "rdb_last_load_keys_loaded", s.loaded_keys);
            field(text, "rdb_last_snapshot_bytes", p.last_save_bytes);
            field(text, "aof_enabled", 1);
            field(text, "aof_rewrite_in_progress", i32::from(p.in_progress()));
            field(text, "aof_rewrite_scheduled", i32::from(p.requested));
            field(text, "aof_last_rewrite_time_sec", p.last_save_duration_s);
            field(text, "aof_current_rewrite_time_sec", p.current_duration_s());
            // A log whose sync failed needs a rewrite that has not happened.
            let sync_failure = p.aof.sync_failure(p.snapshot_generation).is_some();
            field(text, "aof_last_bgrewrite_status", status(p.last_save_ok && !sync_failure));
            // A snapshot is Efis's log rewrite.
            field(text, "aof_rewrites", s.snapshots);
            field(text, "aof_rewrites_consecutive_failures", 0);
            let log_ok = p.aof.error.is_none() && !sync_failure && p.halted_reason().is_none();
            field(text, "aof_last_write_status", status(log_ok));
            field(text, "aof_last_cow_size", 0);
            field(text, "aof_last_fsync_status", status(!sync_failure));
            field(text, "aof_fsync", p.aof.policy().name());
            field(text, "aof_current_size", p.aof.file_size);
            field(text, "aof_current_generation", p.aof.generation());
            field(text, "aof_buffer_length", p.aof.pending());
            field(text, "backup_path", p.dir().display());
            // Why write commands get -MISCONF (empty while they are served).
            let refused = p.refusing_writes().map(|e| e.trim_start_matches("MISCONF ").to_string());
            field(text, "writes_refused_reason", refused.unwrap_or_default());
            if let Some(loading) = &server.loading {
                loading_fields(text, loading, ctx.now_ms / 1000);
            }
        }
        "stats" => {
            let s = &server.stats;
            let (ops, input_kbps, output_kbps) = s.rates();
            text.push_str("# Stats\r\n");
            field(text, "total_connections_received", s.connections);
            field(text, "total_commands_processed", s.commands);
            field(text, "instantaneous_ops_per_sec", ops);
            field(text, "total_net_input_bytes", s.net_input_bytes);
            field(text, "total_net_output_bytes", s.net_output_bytes);
            field(text, "total_net_repl_input_bytes", server.repl.input_bytes);
            field(text, "total_net_repl_output_bytes", server.repl.output_bytes);
            field(text, "instantaneous_input_kbps", format!("{input_kbps:.2}"));
            field(text, "instantaneous_output_kbps", format!("{output_kbps:.2}"));
            field(text, "instantaneous_input_repl_kbps", "0.00");
            field(text, "instantaneous_output_repl_kbps", "0.00");
            field(text, "rejected_connections", s.rejected_connections);
            field(text, "sync_full", server.repl.sync_full);
            field(text, "sync_partial_ok", server.repl.sync_partial_ok);
            field(text, "sync_partial_err", server.repl.sync_partial_err);
            field(text, "expired_keys", s.expired_keys);
            field(text, "expired_stale_perc", "0.00");
            field(text, "expired_time_cap_reached_count", s.expire_cycle_cap_reached);
            field(text, "expire_cycle_cpu_milliseconds", s.expire_cycle_us / 1000);
            field(text, "evicted_keys", server.stats.evicted_keys);
            field(text, "evicted_clients", 0);
            field(text, "total_eviction_exceeded_time", 0);
            field(text, "current_eviction_exceeded_time", 0);
            field(text, "keyspace_hits", s.keyspace_hits);
            field(text, "keyspace_misses", s.keyspace_misses);
            field(text, "pubsub_channels", server.pubsub.channel_names(None).len());
            field(text, "pubsub_patterns", server.pubsub.pattern_count());
            field(text, "pubsubshard_channels", 0);
            field(text, "latest_fork_usec", 0);
            field(text, "total_forks", 0);
            let (keys, items, prefixes) = server.tracking.totals();
            field(text, "tracking_total_keys", keys);
            field(text, "tracking_total_items", items);
            field(text, "tracking_total_prefixes", prefixes);
            field(text, "unexpected_error_replies", 0);
            field(text, "total_error_replies", s.total_error_replies);
            field(text, "total_reads_processed", s.reads_processed);
            field(text, "total_writes_processed", s.writes_processed);
            field(text, "reply_buffer_shrinks", 0);
            field(text, "reply_buffer_expands", 0);
        }
        "replication" => {
            text.push_str("# Replication\r\n");
            super::replicaof::info_section(server, text, ctx.now_ms);
        }
        "cpu" => {
            let (user, sys, children_user, children_sys) = cpu_seconds("/proc/self/stat");
            let (main_user, main_sys, _, _) = cpu_seconds("/proc/thread-self/stat");
            text.push_str("# CPU\r\n");
            field(text, "used_cpu_sys", format!("{sys:.6}"));
            field(text, "used_cpu_user", format!("{user:.6}"));
            field(text, "used_cpu_sys_children", format!("{children_sys:.6}"));
            field(text, "used_cpu_user_children", format!("{children_user:.6}"));
            field(text, "used_cpu_sys_main_thread", format!("{main_sys:.6}"));
            field(text, "used_cpu_user_main_thread", format!("{main_user:.6}"));
        }
        "modules" => text.push_str("# Modules\r\n"),
        "errorstats" => {
            text.push_str("# Errorstats\r\n");
            for (kind, count) in &server.stats.errors {
                let _ = write!(text, "errorstat_{kind}:count={count}\r\n");
            }
        }
        "commandstats" => {
            text.push_str("# Commandstats\r\n");
            let mut rows: Vec<(&str, CommandStats)> = super::table::all()
                .filter_map(|spec| {
                    let row = server.stats.per_command.get(spec.id)?;
                    (row.calls + row.failed + row.rejected > 0).then_some((spec.name, *row))
                })
                .collect();
            rows.sort();
            rows.dedup();
            for (name, row) in rows {
                let per_call = if row.calls > 0 { row.usec as f64 / row.calls as f64 } else { 0.0 };
                let _ = write!(
                    text,
                    "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
                    row.calls, row.usec, row.rejected, row.failed
                );
            }
        }
        "latencystats" => {
            text.push_str("# Latencystats\r\n");
            let histograms = &server.stats.latency.histograms;
            let mut rows: Vec<(&str, usize)> = super::table::all()
                .filter(|spec| histograms.get(spec.id).is_some_and(|h| h.calls > 0))
                .map(|spec| (spec.name, spec.id))
                .collect();
            rows.sort();
            rows.dedup();
            for (name, id) in rows {
                let _ = write!(text, "latency_percentiles_usec_{name}:");
                for (i, (label, percentile)) in PERCENTILES.iter().enumerate() {
                    let separator = if i + 1 < PERCENTILES.len() { "," } else { "" };
                    let _ = write!(text, "p{label}={:.3}{separator}", histograms[id].percentile(*percentile));
                }
                text.push_str("\r\n");
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

/// Redis's `loading_*` fields: progress of a replica loading its
/// primary's file, and Redis's estimate of the seconds left.
fn loading_fields(text: &mut String, loading: &crate::state::replication::Loading, now_s: i64) {
    let elapsed = (now_s - loading.start_s).max(0);
    let left = loading.total_bytes.saturating_sub(loading.loaded_bytes);
    let eta = if elapsed == 0 { 1 } else { (elapsed as u64 * left / (loading.loaded_bytes + 1)) as i64 };
    let percent = loading.loaded_bytes as f64 / (loading.total_bytes as f64 + 1.0) * 100.0;
    field(text, "loading_start_time", loading.start_s);
    field(text, "loading_total_bytes", loading.total_bytes);
    field(text, "loading_rdb_used_mem", loading.rdb_used_mem);
    field(text, "loading_loaded_bytes", loading.loaded_bytes);
    field(text, "loading_loaded_perc", format!("{percent:.2}"));
    field(text, "loading_eta_seconds", eta);
}
