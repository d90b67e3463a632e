//! `INFO`'s sections and field names against a redis-server started
//! beside the server under test: per section, Efis prints Redis 7.0's
//! fields less [`NOT_IN_EFIS`] plus [`ONLY_IN_EFIS`], in Redis's section
//! order; and after the same commands on both, the counters exporters
//! read (`total_error_replies`, `errorstat_*`, `cmdstat_*` with
//! `rejected_calls` and `failed_calls`, `latency_percentiles_usec_*`)
//! move the same way.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::wire::Wire;
use crate::common::{is_redis, Server};

/// Redis fields Efis leaves out, each with why it means nothing here.
const NOT_IN_EFIS: &[(&str, &str)] = &[
    ("atomicvar_api", "no C atomics layer: Rust's atomics"),
    ("gcc_version", "built by rustc, not gcc"),
    ("used_memory_scripts_eval", "script tables are not measured apart from the Lua heap (used_memory_vm_eval)"),
    ("used_memory_functions", "function tables are not measured apart from the Lua heap (used_memory_vm_functions)"),
    ("used_memory_scripts", "the sum of the two above"),
    ("used_memory_scripts_human", "the sum of the two above"),
    ("active_defrag_running", "no active defragmenter"),
    ("active_defrag_hits", "no active defragmenter"),
    ("active_defrag_misses", "no active defragmenter"),
    ("active_defrag_key_hits", "no active defragmenter"),
    ("active_defrag_key_misses", "no active defragmenter"),
    ("total_active_defrag_time", "no active defragmenter"),
    ("current_active_defrag_time", "no active defragmenter"),
    ("module_fork_in_progress", "no modules"),
    ("module_fork_last_cow_size", "no modules"),
    ("migrate_cached_sockets", "no MIGRATE"),
    ("slave_expires_tracked_keys", "no writable replicas"),
    ("dump_payload_sanitizations", "no DUMP/RESTORE payloads"),
    ("io_threaded_reads_processed", "no I/O threads"),
    ("io_threaded_writes_processed", "no I/O threads"),
];

/// Efis's own fields (Redis prints the `aof_*` ones too, but only with
/// `appendonly yes`, which the reference runs without).
const ONLY_IN_EFIS: &[&str] = &[
    "efis_version",
    "rdb_last_snapshot_bytes",
    "aof_last_fsync_status",
    "aof_fsync",
    "aof_current_size",
    "aof_current_generation",
    "aof_buffer_length",
    "backup_path",
    "writes_refused_reason",
];

/// Fields named after a command, an error or a database.
fn is_per_item(name: &str) -> bool {
    ["cmdstat_", "errorstat_", "latency_percentiles_usec_"].iter().any(|p| name.starts_with(p))
        || (name.starts_with("db") && name[2..].chars().all(|c| c.is_ascii_digit()))
}

/// Sections in order, each with its `(field, value)` lines.
fn sections(w: &mut Wire) -> Vec<(String, Vec<(String, String)>)> {
    let reply = w.call(&["INFO", "everything"]);
    let text = String::from_utf8_lossy(&reply).to_string();
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.split("\r\n").skip(1) {
        if let Some(name) = line.strip_prefix("# ") {
            out.push((name.to_string(), Vec::new()));
        } else if let Some((field, value)) = line.split_once(':') {
            out.last_mut().expect("a section first").1.push((field.to_string(), value.to_string()));
        }
    }
    out
}

fn value(sections: &[(String, Vec<(String, String)>)], name: &str) -> Option<String> {
    sections.iter().flat_map(|(_, fields)| fields).find(|(f, _)| f == name).map(|(_, v)| v.clone())
}

/// The same commands on both servers: successes, failures, rejections,
/// errors inside scripts (each counted once, against the command that
/// failed and the script) and transactions.
fn exercise(w: &mut Wire) {
    w.call(&["SET", "s", "x"]);
    w.call(&["GET", "s"]);
    w.call(&["INCR", "s"]);
    w.call(&["LPUSH", "s", "x"]);
    w.call(&["GET"]);
    w.call(&["NOSUCHCOMMAND"]);
    for script in [
        "return redis.call('incr','s')",
        "return redis.pcall('incr','s')",
        "redis.pcall('incr','s') return 1",
        "return redis.call('nosuch')",
        "error('x')",
    ] {
        w.call(&["EVAL", script, "0"]);
    }
    for command in [&["MULTI"][..], &["INCR", "s"], &["GET"], &["EXEC"], &["MULTI"], &["INCR", "s"], &["EXEC"]] {
        w.call(command);
    }
}

#[test]
fn info_fields_match_redis() {
    let Some(reference) = Server::start_reference() else { return };
    let server = Server::start();
    let mut ours = Wire::open(&server);
    let mut theirs = Wire::open(&reference);
    for w in [&mut ours, &mut theirs] {
        w.call(&["CONFIG", "RESETSTAT"]);
        exercise(w);
    }
    let (ours, theirs) = (sections(&mut ours), sections(&mut theirs));
    let names = |s: &[(String, Vec<(String, String)>)]| s.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&theirs), "sections");
    let excluded: BTreeSet<&str> = NOT_IN_EFIS.iter().map(|(name, _)| *name).collect();
    for ((section, our_fields), (_, their_fields)) in ours.iter().zip(&theirs) {
        let fixed = |fields: &[(String, String)]| -> Vec<String> {
            fields.iter().map(|(f, _)| f.clone()).filter(|f| !is_per_item(f)).collect()
        };
        let (got, reference_fields) = (fixed(our_fields), fixed(their_fields));
        let want: Vec<String> = if is_redis() {
            reference_fields
        } else {
            let mut want: Vec<String> =
                reference_fields.into_iter().filter(|f| !excluded.contains(f.as_str())).collect();
            want.extend(got.iter().filter(|f| ONLY_IN_EFIS.contains(&f.as_str())).cloned());
            want
        };
        let (got_set, want_set): (BTreeSet<_>, BTreeSet<_>) = (got.iter().collect(), want.iter().collect());
        assert_eq!(got_set, want_set, "fields of # {section}");
    }
    // The counters moved alike.
    for name in ["total_error_replies", "errorstat_ERR", "errorstat_WRONGTYPE", "errorstat_EXECABORT"] {
        assert_eq!(value(&ours, name), value(&theirs, name), "{name}");
    }
    let calls = |s: &[(String, Vec<(String, String)>)], name: &str| -> BTreeMap<String, String> {
        let line = value(s, name).unwrap_or_else(|| panic!("{name} missing"));
        line.split(',')
            .map(|kv| kv.split_once('=').expect("k=v"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    for name in ["cmdstat_get", "cmdstat_set", "cmdstat_incr", "cmdstat_lpush", "cmdstat_eval", "cmdstat_exec"] {
        let (a, b) = (calls(&ours, name), calls(&theirs, name));
        for key in ["calls", "rejected_calls", "failed_calls"] {
            assert_eq!(a.get(key), b.get(key), "{name} {key}");
        }
    }
    for name in ["latency_percentiles_usec_set", "latency_percentiles_usec_get"] {
        let line = value(&ours, name).unwrap_or_else(|| panic!("{name} missing"));
        let keys: Vec<&str> = line.split(',').map(|kv| kv.split_once('=').expect("k=v").0).collect();
        assert_eq!(keys, ["p50", "p99", "p99.9"], "{line}");
        assert!(value(&theirs, name).is_some(), "{name} in redis");
    }
}
