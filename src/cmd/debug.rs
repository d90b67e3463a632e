//! `DEBUG` (the subcommands test suites and tools use) and `LOLWUT`.
//!
//! `DEBUG` is not a container command in Redis 7.0: a subcommand it does
//! not know, or known with the wrong number of arguments, is answered
//! `unknown subcommand or wrong number of arguments for '<sub>'. Try
//! DEBUG HELP.`, and so here. `DEBUG RELOAD` writes a snapshot and loads
//! the data back from `BACKUP_PATH` (the snapshot, then the log after
//! it) into a fresh keyspace, as Redis saves and reloads its RDB file;
//! `DEBUG POPULATE` is the one subcommand that changes data without being
//! a write command, so it logs itself.
//!
//! `DEBUG PANIC-AFTER-WRITE key value` exists only when the server was
//! started with `EFIS_TEST_PANIC=1` (a test knob, see
//! [`crate::config::TEST_KNOBS`]; otherwise it is an unknown subcommand
//! like any other): it sets `key` to `value` without logging it, then
//! panics, as a handler with a bug would. The tests use it to check that
//! such a failure stops writes instead of leaving memory silently ahead
//! of the log (see `cmd::execute`).
//!
//! `LOLWUT` answers Redis's shape: a drawing for `VERSION 5` and
//! `VERSION 6`, in Efis's own design, then a line ending with the Redis
//! version Efis speaks; only that line otherwise.

use super::args::{is, parse_i64, parse_i64_opt};
use super::meta::arg;
use super::replay::Replay;
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::store::glob::glob_match;
use crate::store::{Keyspace, Ttl, Value, ValueRef};

/// The Redis version Efis is compatible with, as `LOLWUT` prints it.
const REDIS_VERSION: &str = "7.0.15";

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("debug", -2, Flags::ADMIN.or(Flags::NOSCRIPT).or(Flags::LOADING).or(Flags::STALE), NO_KEYS, debug)
        .doc("server", "1.0.0", "Depends on subcommand.", "A container for debugging commands")
        .syscmd(),
    CommandSpec::new("lolwut", -1, Flags::READONLY.or(Flags::FAST), NO_KEYS, lolwut)
        .doc("server", "5.0.0", "", "Display some computer art and the Redis version")
        .args(&[arg::integer("version").token("VERSION").optional()]),
];

fn unknown(sub: &[u8]) -> CmdError {
    let sub: String = String::from_utf8_lossy(sub).chars().take(128).collect();
    CmdError::Owned(format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."))
}

/// The number at the start of `text`, as C's `strtod` reads it (0 when
/// there is none).
fn leading_float(text: &[u8]) -> f64 {
    let end = text
        .iter()
        .enumerate()
        .take_while(|&(i, &c)| c.is_ascii_digit() || c == b'.' || (i == 0 && (c == b'-' || c == b'+')))
        .count();
    (1..=end).rev().find_map(|n| std::str::from_utf8(&text[..n]).ok()?.parse::<f64>().ok()).unwrap_or(0.0)
}

/// The integer at the start of `text`, as C's `atoi` reads it.
fn leading_int(text: &[u8]) -> i64 {
    let end = text.iter().enumerate().take_while(|&(i, &c)| c.is_ascii_digit() || (i == 0 && c == b'-')).count();
    (1..=end).rev().find_map(|n| parse_i64_opt(&text[..n])).unwrap_or(0)
}

fn debug(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let argc = args.len();
    if is(sub, "sleep") && argc == 3 {
        let seconds = leading_float(args.get(2));
        if seconds > 0.0 {
            std::thread::sleep(std::time::Duration::from_secs_f64(seconds.min(3600.0)));
        }
        ctx.out.ok();
    } else if is(sub, "populate") && (3..=5).contains(&argc) {
        populate(ctx, args)?;
    } else if is(sub, "panic-after-write") && argc == 4 && ctx.server.config.test_panic {
        let now = ctx.now_ms;
        ctx.store.db(ctx.db_index).set(args.get(2), Value::Str(args.get(3)), Ttl::Clear, now);
        panic!("DEBUG PANIC-AFTER-WRITE: a handler failing after it changed data (EFIS_TEST_PANIC is set)");
    } else if is(sub, "set-active-expire") && argc == 3 {
        ctx.server.active_expire = leading_int(args.get(2)) != 0;
        ctx.out.ok();
    } else if is(sub, "object") && argc == 3 {
        let now = ctx.now_ms;
        let Some(entry) = ctx.store.db(ctx.db_index).get(args.get(2), now) else {
            return Err(CmdError::NoSuchKey);
        };
        let encoding = super::keys::encoding_name(entry);
        let length = match entry.value() {
            ValueRef::Str(bytes) if encoding == "int" => integer_length(bytes),
            ValueRef::Str(bytes) => length_prefix(bytes.len()) + bytes.len(),
            _ => entry.block_size(),
        };
        let text = format!(
            "Value at:{:p} refcount:1 encoding:{encoding} serializedlength:{length} lru:0 lru_seconds_idle:0",
            entry
        );
        ctx.out.simple(&text);
    } else if is(sub, "error") && argc == 3 {
        let text: String = String::from_utf8_lossy(args.get(2))
            .chars()
            .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
            .collect();
        return Err(CmdError::Owned(text));
    } else if is(sub, "reload") {
        reload(ctx, args)?;
    } else if is(sub, "quicklist-packed-threshold") && argc == 3 {
        match memory_value(args.get(2)) {
            Some(size) if size <= (1u64 << 32) - (1 << 20) => ctx.out.ok(),
            _ => {
                return Err(CmdError::Static("ERR argument must be a memory value bigger than 1 and smaller than 4gb"))
            }
        }
    } else if is(sub, "change-repl-id") && argc == 2 {
        // A new history, as Redis's: no replica can continue the old one.
        ctx.server.repl.replid = crate::state::replication::new_replid();
        ctx.server.repl.clear_replid2();
        ctx.out.ok();
    } else if is(sub, "stringmatch-test") && argc == 2 {
        stringmatch_test(ctx.server.random());
        ctx.out.simple("Apparently Redis did not crash: test passed");
    } else if is(sub, "help") && argc == 2 {
        let lines = [
            "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANGE-REPL-ID",
            "    Change the replication IDs of the instance.",
            "ERROR <string>",
            "    Answers <string> as an error reply.",
            "OBJECT <key>",
            "    Shows what Efis knows of the value at <key>.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Creates <count> string keys <prefix>:<n> (values value:<n>, padded to <size>).",
            "QUICKLIST-PACKED-THRESHOLD <size>",
            "    Accepted; Efis's lists have no packed nodes.",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
            "    Writes a snapshot (not with NOSAVE) and loads the data back from disk.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turns the active expiry cycle off or on.",
            "SLEEP <seconds>",
            "    Stops the server for <seconds>.",
            "STRINGMATCH-TEST",
            "    Matches random glob patterns against random strings.",
            "HELP",
            "    Prints this help.",
        ];
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.simple(line);
        }
    } else {
        return Err(unknown(sub));
    }
    Ok(())
}

/// `DEBUG POPULATE count [prefix] [size]`: keys that exist are left alone.
fn populate(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let count = parse_i64(args.get(2))?;
    if count < 0 {
        return Err(CmdError::Static("ERR count must be positive"));
    }
    let prefix = if args.len() >= 4 { args.get(3) } else { b"key" };
    let size = if args.len() == 5 { Some(parse_i64(args.get(4))?.max(0) as usize) } else { None };
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    let mut key = Vec::new();
    let mut value = Vec::new();
    for i in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.extend_from_slice(format!(":{i}").as_bytes());
        if db.contains(&key, now) {
            continue;
        }
        value.clear();
        value.extend_from_slice(format!("value:{i}").as_bytes());
        if let Some(size) = size {
            value.resize(size, 0);
        }
        db.set(&key, Value::Str(&value), Ttl::Clear, now);
    }
    // Not a write command, so it logs itself (it replays the same).
    ctx.changed();
    let logged: Vec<&[u8]> = args.iter().collect();
    ctx.log_as(&logged);
    ctx.out.ok();
    Ok(())
}

/// `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`.
fn reload(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (mut flush, mut save) = (true, true);
    for option in args.iter().skip(2) {
        if is(option, "merge") {
            // Loading over existing keys replaces them: a merge already.
        } else if is(option, "noflush") {
            flush = false;
        } else if is(option, "nosave") {
            save = false;
        } else {
            return Err(CmdError::Static("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
        }
    }
    let now = ctx.now_ms;
    if save {
        if ctx.server.persist.in_progress() {
            return Err(CmdError::Static("ERR Background save already in progress"));
        }
        ctx.server.persist.save_now(ctx.store, now).map_err(|why| CmdError::Owned(format!("ERR {why}")))?;
        ctx.server.stats.snapshots += 1;
    } else if !ctx.server.persist.aof.flush_and_sync() {
        return Err(CmdError::Static("ERR Error trying to load the RDB dump"));
    }
    let dir = ctx.server.persist.dir().to_path_buf();
    let mut fresh = Keyspace::new(ctx.store.db_count());
    let mut replay = Replay::new(&mut fresh, ctx.server);
    let loaded = crate::persist::load::recover(&dir, &mut replay);
    replay.finish();
    if let Err(e) = loaded {
        log::warn!("DEBUG RELOAD could not load {}: {e}", dir.display());
        return Err(CmdError::Static("ERR Error trying to load the RDB dump"));
    }
    if flush {
        for db in 0..ctx.store.db_count() {
            ctx.flushing_db(db);
        }
    } else {
        // Keys in memory but not on disk stay; a key on disk replaces
        // the one in memory (Redis's MERGE).
        for db in 0..ctx.store.db_count() {
            let kept: Vec<Vec<u8>> = ctx
                .store
                .db_ref(db)
                .iter()
                .map(|entry| entry.key().to_vec())
                .filter(|key| fresh.db_ref(db).peek(key, now).is_none())
                .collect();
            for key in kept {
                if let Some(entry) = ctx.store.db(db).remove(&key, now) {
                    fresh.db(db).put_entry(entry, now);
                }
            }
        }
    }
    *ctx.store = fresh;
    log::warn!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
    Ok(())
}

/// Bytes of an RDB length prefix for a string of `len` bytes.
fn length_prefix(len: usize) -> usize {
    match len {
        0..64 => 1,
        64..16384 => 2,
        _ => 5,
    }
}

/// Bytes of an integer stored in Redis's RDB integer encoding.
fn integer_length(text: &[u8]) -> usize {
    match parse_i64_opt(text).unwrap_or(0) {
        -128..=127 => 2,
        -32768..=32767 => 3,
        -2147483648..=2147483647 => 5,
        _ => 1 + text.len(),
    }
}

/// A size with an optional unit (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`,
/// case-insensitive: `k` is 1000, `kb` 1024), as Redis's `memtoull`.
fn memory_value(text: &[u8]) -> Option<u64> {
    let digits = text.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = std::str::from_utf8(&text[digits..]).ok()?.to_ascii_lowercase();
    let factor: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    std::str::from_utf8(&text[..digits]).ok()?.parse::<u64>().ok()?.checked_mul(factor)
}

/// Matches random patterns (with many `*`, `?`, classes and escapes)
/// against random strings; only a crash or a hang would fail it.
fn stringmatch_test(mut seed: u64) {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"*?[]^-\\ab";
    for _ in 0..1000 {
        let pattern: Vec<u8> = (0..next() % 40).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect();
        let subject: Vec<u8> = (0..next() % 40).map(|_| b"ab-["[(next() % 4) as usize]).collect();
        std::hint::black_box(glob_match(&pattern, &subject));
    }
}

/// `LOLWUT [VERSION v] [arguments of that version]`.
fn lolwut(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut version = 7;
    let mut rest = 1;
    if args.len() >= 3 && is(args.get(1), "version") {
        version = parse_i64(args.get(2))?;
        rest = 3;
    }
    let numbers: Vec<&[u8]> = args.iter().skip(rest).collect();
    let mut text = String::new();
    if version == 5 || version == 6 {
        let mut values = Vec::with_capacity(numbers.len());
        for n in &numbers {
            values.push(parse_i64(n)?);
        }
        let pick = |i: usize, default: i64, max: i64| values.get(i).copied().unwrap_or(default).clamp(1, max) as usize;
        if version == 5 {
            text.push_str(&squares(pick(0, 66, 1000), pick(1, 8, 200), pick(2, 12, 200)));
            text.push_str("\nSquares that loosen row by row, as drawn by Efis. ");
        } else {
            text.push_str(&skyline(pick(0, 80, 1000), pick(1, 20, 1000)));
            text.push_str("\nA skyline of towers, as drawn by Efis. ");
        }
    }
    text.push_str(&format!("Redis ver. {REDIS_VERSION}\n"));
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// A grid of square outlines, `per_row` across and `per_column` down in
/// `columns` characters; each row down is shifted a little further.
fn squares(columns: usize, per_row: usize, per_column: usize) -> String {
    let side = (columns / per_row).max(2);
    let mut out = String::new();
    for row in 0..per_column {
        for line in 0..side / 2 {
            let mut text = String::new();
            for col in 0..per_row {
                let shift = (row * (col + 1) * 7 / (per_column + per_row)) % side.max(1);
                let edge = line == 0 || line + 1 == side / 2;
                let mut cell = vec![' '; side];
                for (i, c) in cell.iter_mut().enumerate().take(side - 1) {
                    *c = if edge || i == 0 || i + 2 == side { '#' } else { ' ' };
                }
                cell.rotate_right(shift.min(side - 1) / 2);
                text.extend(cell);
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
    }
    out
}

/// Towers of pseudo-random heights over `columns` characters and `rows`
/// lines.
fn skyline(columns: usize, rows: usize) -> String {
    let height = |column: usize| {
        let block = column / 4;
        let mixed = (block as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58;
        (mixed as usize * rows / 64).max(1)
    };
    let mut out = String::new();
    for line in (0..rows).rev() {
        let text: String = (0..columns)
            .map(|c| {
                if c % 4 != 3 && height(c) > line {
                    if line % 2 == 0 {
                        '#'
                    } else {
                        '='
                    }
                } else {
                    ' '
                }
            })
            .collect();
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{leading_float, leading_int, memory_value};

    #[test]
    fn numbers_as_c_reads_them() {
        assert_eq!(leading_float(b"0.5abc"), 0.5);
        assert_eq!(leading_float(b"abc"), 0.0);
        assert_eq!(leading_float(b"-1"), -1.0);
        assert_eq!(leading_int(b"12x"), 12);
        assert_eq!(leading_int(b"x"), 0);
        assert_eq!(memory_value(b"1kb"), Some(1024));
        assert_eq!(memory_value(b"2M"), Some(2_000_000));
        assert_eq!(memory_value(b"1x"), None);
    }
}
