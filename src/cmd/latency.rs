//! `LATENCY`: the latency monitor's events (`LATEST`, `HISTORY`, `RESET`,
//! `GRAPH`, `DOCTOR`) and the per-command histograms (`HISTOGRAM`).
//!
//! The data lives in `crate::state::latency`; this file only reads it
//! back in Redis 7.0's reply shapes: `LATEST` an array of `[event, time
//! of the latest sample, its latency, the all-time maximum]`, `HISTORY`
//! `[time, latency]` pairs oldest first (empty for an event never seen),
//! `HISTOGRAM` a map from command name to `{calls, histogram_usec}` with
//! cumulative counts per bucket. `GRAPH` and `DOCTOR` are free text in
//! Efis's own words.

use super::args::is;
use super::meta::arg;
use super::table::{all as all_commands, lookup, CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::state::latency::{Event, Histogram};

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("latency", -2, Flags::NONE, NO_KEYS, latency)
    .doc("server", "2.8.13", "Depends on subcommand.", "A container for latency diagnostics commands")
    .subcommands(LATENCY_SUBCOMMANDS)];

/// The flags every `LATENCY` subcommand but `HELP` has.
const ADMIN: Flags = Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE);
/// The tips of the subcommands that report.
const REPORT: &str = "nondeterministic_output request_policy:all_nodes response_policy:special";

/// `LATENCY`'s subcommands.
const LATENCY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("latency|doctor", 2, ADMIN, NO_KEYS, latency).acl("dangerous").tips(REPORT).doc(
        "server",
        "2.8.13",
        "O(1)",
        "Return a human readable latency analysis report.",
    ),
    CommandSpec::new("latency|graph", 3, ADMIN, NO_KEYS, latency)
        .acl("dangerous")
        .tips(REPORT)
        .doc("server", "2.8.13", "O(1)", "Return a latency graph for the event.")
        .args(&[arg::string("event")]),
    CommandSpec::new("latency|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, latency).doc(
        "server",
        "2.8.13",
        "O(1)",
        "Show helpful text about the different subcommands.",
    ),
    CommandSpec::new("latency|histogram", -2, ADMIN, NO_KEYS, latency)
        .acl("dangerous")
        .tips(REPORT)
        .doc(
            "server",
            "7.0.0",
            "O(N) where N is the number of commands with latency information being retrieved.",
            "Return the cumulative distribution of latencies of a subset of commands or all.",
        )
        .args(&[arg::string("command").optional().multiple()]),
    CommandSpec::new("latency|history", 3, ADMIN, NO_KEYS, latency)
        .acl("dangerous")
        .tips(REPORT)
        .doc("server", "2.8.13", "O(1)", "Return timestamp-latency samples for the event.")
        .args(&[arg::string("event")]),
    CommandSpec::new("latency|latest", 2, ADMIN, NO_KEYS, latency).acl("dangerous").tips(REPORT).doc(
        "server",
        "2.8.13",
        "O(1)",
        "Return the latest latency samples for all events.",
    ),
    CommandSpec::new("latency|reset", -2, ADMIN, NO_KEYS, latency)
        .acl("dangerous")
        .tips("request_policy:all_nodes response_policy:all_succeeded")
        .doc("server", "2.8.13", "O(1)", "Reset latency data for one or more events.")
        .args(&[arg::string("event").optional().multiple()]),
];

/// Columns of `LATENCY GRAPH`'s chart.
const GRAPH_COLUMNS: usize = 80;
/// Rows of `LATENCY GRAPH`'s bars.
const GRAPH_ROWS: u64 = 4;

fn latency(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let argc = args.len();
    let now_s = ctx.now_ms / 1000;
    let monitor = &ctx.server.stats.latency;
    if is(sub, "latest") && argc == 2 {
        ctx.out.array(monitor.events.len());
        for (name, event) in &monitor.events {
            let latest = event.latest().expect("an event has a sample");
            ctx.out.array(4);
            ctx.out.bulk(name.as_bytes());
            ctx.out.int(latest.time_s);
            ctx.out.int(latest.latency_ms as i64);
            ctx.out.int(event.max_ms as i64);
        }
    } else if is(sub, "history") && argc == 3 {
        let samples = event_named(&monitor.events, args.get(2)).map(|e| e.samples.clone()).unwrap_or_default();
        ctx.out.array(samples.len());
        for sample in samples {
            ctx.out.array(2);
            ctx.out.int(sample.time_s);
            ctx.out.int(sample.latency_ms as i64);
        }
    } else if is(sub, "graph") && argc == 3 {
        let Some((name, event)) = monitor.events.iter().find(|(name, _)| name.as_bytes() == args.get(2)) else {
            return Err(CmdError::Owned(format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(args.get(2))
            )));
        };
        let text = graph(name, event, now_s);
        ctx.out.verbatim(text.as_bytes());
    } else if is(sub, "doctor") && argc == 2 {
        let text = doctor(&monitor.events, monitor.threshold_ms);
        ctx.out.verbatim(text.as_bytes());
    } else if is(sub, "reset") {
        let names: Vec<&[u8]> = args.iter().skip(2).collect();
        let count = ctx.server.stats.latency.reset(&names);
        ctx.out.int(count as i64);
    } else if is(sub, "histogram") {
        histogram(ctx, args);
    } else if is(sub, "help") && argc == 2 {
        let lines = [
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DOCTOR",
            "    Reads the samples back as a short report.",
            "GRAPH <event>",
            "    Draws the samples of <event> as a bar chart.",
            "HISTORY <event>",
            "    Lists the [time, latency] samples of <event>, oldest first.",
            "LATEST",
            "    Lists every event with its latest sample and its maximum.",
            "RESET [<event> ...]",
            "    Forgets the named events' samples (every event's without a name).",
            "HISTOGRAM [COMMAND ...]",
            "    Lists the calls of the named commands (all commands without a name)",
            "    by how long they took, as cumulative counts per microsecond bound.",
            "HELP",
            "    Prints this help.",
        ];
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.simple(line);
        }
    } else if ["latest", "history", "graph", "doctor", "help"].iter().any(|s| is(sub, s)) {
        return Err(subcommand_arity("latency", sub));
    } else {
        return Err(unknown_subcommand("latency", sub));
    }
    Ok(())
}

fn event_named<'a>(events: &'a std::collections::BTreeMap<&'static str, Event>, name: &[u8]) -> Option<&'a Event> {
    events.iter().find(|(n, _)| n.as_bytes() == name).map(|(_, e)| e)
}

/// `LATENCY HISTOGRAM [command ...]`: the named commands that were called
/// (names Efis does not know are skipped), or every called command.
fn histogram(ctx: &mut Ctx<'_>, args: Args<'_>) {
    let histograms = &ctx.server.stats.latency.histograms;
    let called = |spec: &CommandSpec| histograms.get(spec.id).filter(|h| h.calls > 0);
    let mut chosen: Vec<(&'static str, &Histogram)> = Vec::new();
    if args.len() == 2 {
        let mut specs: Vec<&CommandSpec> = all_commands().collect();
        specs.sort_by_key(|spec| spec.id);
        specs.dedup_by_key(|spec| spec.id);
        chosen.extend(specs.into_iter().filter_map(|spec| called(spec).map(|h| (spec.name, h))));
    } else {
        for name in args.iter().skip(2) {
            if let Some(spec) = lookup(name) {
                if let Some(h) = called(spec) {
                    if !chosen.iter().any(|(n, _)| *n == spec.name) {
                        chosen.push((spec.name, h));
                    }
                }
            }
        }
    }
    let chosen: Vec<(&'static str, Histogram)> = chosen.into_iter().map(|(name, h)| (name, h.clone())).collect();
    ctx.out.map(chosen.len());
    for (name, histogram) in chosen {
        let (buckets, calls) = (histogram.cumulative(), histogram.calls);
        ctx.out.bulk(name.as_bytes());
        ctx.out.map(2);
        ctx.out.bulk(b"calls");
        ctx.out.int(calls as i64);
        ctx.out.bulk(b"histogram_usec");
        ctx.out.map(buckets.len());
        for (bound, count) in buckets {
            ctx.out.int(bound as i64);
            ctx.out.int(count as i64);
        }
    }
}

/// How long ago `time_s` was, in the largest whole unit: `5s`, `3m`,
/// `2h`, `1d`.
fn ago(now_s: i64, time_s: i64) -> String {
    let elapsed = (now_s - time_s).max(0);
    match elapsed {
        0..60 => format!("{elapsed}s"),
        60..3600 => format!("{}m", elapsed / 60),
        3600..86400 => format!("{}h", elapsed / 3600),
        _ => format!("{}d", elapsed / 86400),
    }
}

/// A header line as Redis writes it, a rule, bars of `GRAPH_ROWS` rows
/// (one column per sample, the newest samples when there are more than
/// the columns), and under each bar how long ago it was, written
/// downwards.
fn graph(name: &str, event: &Event, now_s: i64) -> String {
    let (_, min, max, _) = event.summary();
    let mut text = format!("{name} - high {max} ms, low {min} ms (all time high {} ms)\n", event.max_ms);
    text.push_str(&"-".repeat(GRAPH_COLUMNS));
    text.push('\n');
    let shown = &event.samples[event.samples.len().saturating_sub(GRAPH_COLUMNS)..];
    let height = |latency: u64| {
        if max == min {
            GRAPH_ROWS
        } else {
            1 + (latency - min) * (GRAPH_ROWS - 1) / (max - min)
        }
    };
    for row in (1..=GRAPH_ROWS).rev() {
        let line: String = shown.iter().map(|s| if height(s.latency_ms) >= row { '#' } else { ' ' }).collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    let labels: Vec<Vec<char>> = shown.iter().map(|s| ago(now_s, s.time_s).chars().collect()).collect();
    let depth = labels.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..depth {
        let line: String = labels.iter().map(|label| label.get(row).copied().unwrap_or(' ')).collect();
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// A short report on every event: what was seen, and where to look.
fn doctor(events: &std::collections::BTreeMap<&'static str, Event>, threshold_ms: u64) -> String {
    if threshold_ms == 0 && events.is_empty() {
        return "The latency monitor is off, so there is nothing to report. Turn it on with \
                \"CONFIG SET latency-monitor-threshold <milliseconds>\": commands that take at least \
                that long are then sampled.\n"
            .to_string();
    }
    if events.is_empty() {
        return format!(
            "No command has taken {threshold_ms} ms or more since the server started (or since LATENCY RESET).\n"
        );
    }
    let mut text = String::from("Latency spikes were sampled for these events:\n\n");
    for (i, (name, event)) in events.iter().enumerate() {
        let (average, min, max, gap) = event.summary();
        text.push_str(&format!(
            "{}. {name}: {} samples (at most one a second), average {average} ms, low {min} ms, high {max} ms, \
             all time high {} ms; mean gap between samples {gap} s.\n",
            i + 1,
            event.samples.len(),
            event.max_ms,
        ));
    }
    text.push_str(
        "\nWhat to look at:\n\n- \"command\" counts slow commands: SLOWLOG GET names them. Commands over whole \
         collections (KEYS, SMEMBERS, LRANGE 0 -1, SORT, ...) on large values are the usual cause.\n\
         - \"fast-command\" counts commands of O(1) or O(log N) cost that still took long: the machine \
         itself (swapping, a busy neighbour, a slow disk under APPENDFSYNC always) is the usual cause.\n",
    );
    text
}
