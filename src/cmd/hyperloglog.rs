//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST,
//! on string values in Redis's byte format (`crate::store::hll`), so that
//! `GET`/`SET` and snapshots move them between Efis and Redis unchanged.
//!
//! What is logged replays to the same bytes: PFADD, PFMERGE and the
//! PFDEBUG subcommands that convert to dense are logged as themselves (the
//! encodings change deterministically), except that a PFADD or PFMERGE on
//! a sparse value while `hll-sparse-max-bytes` is not the default (which
//! replay runs with) is logged as the `SET` of the bytes it left. PFCOUNT of one key stores the
//! count it computed in the value's header, as Redis does; that change is
//! logged as the `SETRANGE` of those 8 header bytes, because PFCOUNT is a
//! read-only command and the log holds only writes.

use super::args::{is, parse_i64_opt};
use super::bitmap::edit_raw;
use super::meta::{arg, key};
use super::string::string_of;
use super::table::{CommandSpec, Flags, KEY1, NO_KEYS};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::STRING;
use crate::store::hll::{self, Encoding};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pfadd", -2, Flags::WRITE.or(Flags::DENYOOM).or(Flags::FAST), KEY1, pfadd)
        .acl("hyperloglog")
        .keys(&[key(1, "RW insert")])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(1) to add every element.",
            "Adds the specified elements to the specified HyperLogLog.",
        )
        .args(&[arg::key("key", 0), arg::string("element").optional().multiple()]),
    // Redis's hidden `may_replicate` flag is not shown, so not declared:
    // the header update PFCOUNT may make is logged as a SETRANGE instead.
    CommandSpec::new("pfcount", -2, Flags::READONLY, (1, -1, 1), pfcount)
        .acl("hyperloglog")
        .keys(&[key(1, "RW access")
            .range(-1, 1, 0)
            .note("RW because it may change the internal representation of the key, and propagate to replicas")])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(1) with a very small average constant time when called with a single key. O(N) with N being the \
             number of keys, and much bigger constant times, when called with multiple keys.",
            "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
        )
        .args(&[arg::key("key", 0).multiple()]),
    CommandSpec::new("pfmerge", -2, Flags::WRITE.or(Flags::DENYOOM), (1, -1, 1), pfmerge)
        .acl("hyperloglog")
        .keys(&[key(1, "RW access insert"), key(2, "RO access").range(-1, 1, 0)])
        .doc(
            "hyperloglog",
            "2.8.9",
            "O(N) to merge N HyperLogLogs, but with high constant times.",
            "Merge N different HyperLogLogs into a single one.",
        )
        .args(&[arg::key("destkey", 0), arg::key("sourcekey", 1).multiple()]),
    CommandSpec::new("pfdebug", 3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::ADMIN), (2, 2, 1), pfdebug)
        .acl("hyperloglog")
        .keys(&[key(2, "RW access")])
        .doc("hyperloglog", "2.8.9", "N/A", "Internal commands for debugging HyperLogLog values")
        .syscmd()
        .args(&[arg::string("subcommand"), arg::key("key", 0)]),
    CommandSpec::new("pfselftest", 1, Flags::ADMIN, NO_KEYS, pfselftest)
        .acl("hyperloglog")
        .doc("hyperloglog", "2.8.9", "N/A", "An internal command for testing HyperLogLog values")
        .syscmd(),
];

/// The `CONFIG` parameter that bounds the sparse encoding.
pub const SPARSE_MAX_PARAM: &str = "hll-sparse-max-bytes";

const NOT_HLL: CmdError = CmdError::Static("WRONGTYPE Key is not a valid HyperLogLog string value.");
const CORRUPT: CmdError = CmdError::Static("INVALIDOBJ Corrupted HLL object detected");

/// A `CONFIG SET hll-sparse-max-bytes` value, in bytes: a memory value
/// (`3000`, `3kb`) up to `i64::MAX`, as Redis reads it.
pub fn validate_sparse_max(value: &str) -> Result<u64, &'static str> {
    crate::config::parse_memory(value).filter(|&n| n <= i64::MAX as u64).ok_or("argument must be a memory value")
}

/// The current `hll-sparse-max-bytes`.
fn sparse_max(ctx: &Ctx<'_>) -> usize {
    ctx.server
        .param(SPARSE_MAX_PARAM)
        .and_then(|v| parse_i64_opt(v.as_bytes()))
        .and_then(|v| usize::try_from(v).ok())
        .unwrap_or(hll::DEFAULT_SPARSE_MAX_BYTES)
}

/// Logs the value under `key` as its bytes (a `SET ... KEEPTTL`) in place
/// of the command, when the command worked on a sparse value under a
/// sparse limit other than the default: the setting is not kept across a
/// restart, and replayed under the default the promotion to dense would
/// come at another moment.
fn log_bytes_if_limit_changed(ctx: &mut Ctx<'_>, key: &[u8], limit: usize, was_sparse: bool) -> CmdResult {
    if limit == hll::DEFAULT_SPARSE_MAX_BYTES || !was_sparse {
        return Ok(());
    }
    let db = ctx.store.db(ctx.db_index);
    if let Some(bytes) = string_of(db, key, ctx.now_ms)?.map(<[u8]>::to_vec) {
        ctx.log_as(&[b"SET", key, &bytes, b"KEEPTTL"]);
    }
    Ok(())
}

/// The encoding of the HyperLogLog `value`, or the error Redis gives for
/// a string that is not one.
fn checked(value: &[u8]) -> Result<Encoding, CmdError> {
    hll::encoding_of(value).ok_or(NOT_HLL)
}

fn pfadd(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let limit = sparse_max(ctx);
    let db = ctx.store.db(ctx.db_index);
    let (exists, was_sparse) = match string_of(db, key, now)? {
        Some(value) => (true, checked(value)? == Encoding::Sparse),
        None => (false, true),
    };
    let (mut updated, mut corrupt) = (!exists, false);
    edit_raw(db, key, now, |value| {
        if !exists {
            *value = hll::new_value();
        }
        for element in args.iter().skip(2) {
            match hll::add(value, element, limit) {
                Ok(changed) => updated |= changed,
                Err(hll::Corrupt) => {
                    corrupt = true;
                    return;
                }
            }
        }
        if updated {
            hll::invalidate_cache(value);
        }
    })?;
    if corrupt {
        return Err(CORRUPT);
    }
    if updated {
        ctx.notify(STRING, "pfadd", key);
        log_bytes_if_limit_changed(ctx, key, limit, was_sparse)?;
    }
    ctx.out.int(updated as i64);
    Ok(())
}

fn pfcount(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let db = ctx.store.db(ctx.db_index);
    if args.len() > 2 {
        // The count of the union, in a scratch register array.
        let mut max = vec![0u8; hll::REGISTERS];
        for key in args.iter().skip(1) {
            if let Some(value) = string_of(db, key, now)? {
                checked(value)?;
                hll::merge_into(value, &mut max).map_err(|_| CORRUPT)?;
            }
        }
        ctx.out.int(hll::count_registers(&max) as i64);
        return Ok(());
    }
    let key = args.get(1);
    let Some(value) = string_of(db, key, now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    checked(value)?;
    if let Some(card) = hll::cached(value) {
        ctx.out.int(card as i64);
        return Ok(());
    }
    let card = hll::count(value).map_err(|_| CORRUPT)?;
    edit_raw(db, key, now, |value| hll::store_cache(value, card))?;
    // A change to the value, though PFCOUNT reads: watchers see it, and the
    // log gets the header bytes written.
    ctx.server.touch_watched(ctx.db_index, key);
    ctx.changed();
    ctx.log_as(&[b"SETRANGE", key, b"8", &card.to_le_bytes()]);
    ctx.out.int(card as i64);
    Ok(())
}

fn pfmerge(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (target, now) = (args.get(1), ctx.now_ms);
    let limit = sparse_max(ctx);
    let db = ctx.store.db(ctx.db_index);
    let mut max = vec![0u8; hll::REGISTERS];
    let mut use_dense = false;
    let (mut target_exists, mut target_sparse) = (false, true);
    for (i, key) in args.iter().enumerate().skip(1) {
        if let Some(value) = string_of(db, key, now)? {
            let encoding = checked(value)?;
            use_dense |= encoding == Encoding::Dense;
            hll::merge_into(value, &mut max).map_err(|_| CORRUPT)?;
            if i == 1 {
                (target_exists, target_sparse) = (true, encoding == Encoding::Sparse);
            }
        }
    }
    let mut corrupt = false;
    edit_raw(db, target, now, |value| {
        if !target_exists {
            *value = hll::new_value();
        }
        if use_dense && hll::make_dense(value).is_err() {
            corrupt = true;
            return;
        }
        for (index, &register) in max.iter().enumerate() {
            if register != 0 {
                // The target was read above: it cannot be corrupt here.
                let _ = hll::set_register(value, index, register, limit);
            }
        }
        hll::invalidate_cache(value);
    })?;
    if corrupt {
        return Err(CORRUPT);
    }
    ctx.notify(STRING, "pfadd", target);
    log_bytes_if_limit_changed(ctx, target, limit, target_sparse)?;
    ctx.out.ok();
    Ok(())
}

fn pfdebug(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (sub, key, now) = (args.get(1), args.get(2), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let Some(value) = string_of(db, key, now)? else {
        return Err(CmdError::Static("ERR The specified key does not exist"));
    };
    let encoding = checked(value)?;
    if is(sub, "getreg") || is(sub, "todense") {
        let converted = encoding == Encoding::Sparse;
        if converted {
            let mut corrupt = false;
            edit_raw(db, key, now, |value| corrupt = hll::make_dense(value).is_err())?;
            if corrupt {
                return Err(CORRUPT);
            }
            // Logged as itself, so that replay converts too.
            ctx.changed();
        }
        if is(sub, "todense") {
            ctx.out.int(converted as i64);
            return Ok(());
        }
        let db = ctx.store.db(ctx.db_index);
        let value = string_of(db, key, now)?.unwrap_or(b"");
        ctx.out.array(hll::REGISTERS);
        for register in hll::dense_registers(value) {
            ctx.out.int(register as i64);
        }
    } else if is(sub, "decode") {
        if encoding != Encoding::Sparse {
            return Err(CmdError::Static("ERR HLL encoding is not sparse"));
        }
        ctx.out.bulk(hll::sparse::decode(value).as_bytes());
    } else if is(sub, "encoding") {
        ctx.out.simple(if encoding == Encoding::Dense { "dense" } else { "sparse" });
    } else {
        let name: String = String::from_utf8_lossy(sub).chars().take(128).collect();
        return Err(CmdError::Owned(format!("ERR Unknown PFDEBUG subcommand '{name}'")));
    }
    Ok(())
}

fn pfselftest(ctx: &mut Ctx<'_>, _args: Args<'_>) -> CmdResult {
    let limit = sparse_max(ctx);
    let seed = ctx.now_ms as u64 ^ 0x9e37_79b9_7f4a_7c15;
    match hll::self_test(seed, 10_000_000, limit) {
        Ok(()) => ctx.out.ok(),
        Err(why) => return Err(CmdError::Owned(why)),
    }
    Ok(())
}
