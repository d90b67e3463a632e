//! Expiry commands: EXPIRE family (NX XX GT LT), TTL/PTTL,
//! EXPIRETIME/PEXPIRETIME, PERSIST. Times are absolute Unix milliseconds
//! inside the keyspace; relative arguments are converted here.

use super::args::{is, parse_i64};
use super::meta::{arg, key};
use super::string::{to_expire_ms, TimeUnit};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::GENERIC;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("expire", -3, Flags::WRITE.or(Flags::FAST), KEY1, expire)
        .acl("keyspace")
        .keys(&[key(1, "RW update")])
        .doc("generic", "1.0.0", "O(1)", "Set a key's time to live in seconds")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            arg::key("key", 0),
            arg::integer("seconds"),
            arg::oneof(
                "condition",
                &[arg::token("nx", "NX"), arg::token("xx", "XX"), arg::token("gt", "GT"), arg::token("lt", "LT")],
            )
            .since("7.0.0")
            .optional(),
        ]),
    CommandSpec::new("pexpire", -3, Flags::WRITE.or(Flags::FAST), KEY1, pexpire)
        .acl("keyspace")
        .keys(&[key(1, "RW update")])
        .doc("generic", "2.6.0", "O(1)", "Set a key's time to live in milliseconds")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            arg::key("key", 0),
            arg::integer("milliseconds"),
            arg::oneof(
                "condition",
                &[arg::token("nx", "NX"), arg::token("xx", "XX"), arg::token("gt", "GT"), arg::token("lt", "LT")],
            )
            .since("7.0.0")
            .optional(),
        ]),
    CommandSpec::new("expireat", -3, Flags::WRITE.or(Flags::FAST), KEY1, expireat)
        .acl("keyspace")
        .keys(&[key(1, "RW update")])
        .doc("generic", "1.2.0", "O(1)", "Set the expiration for a key as a UNIX timestamp")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            arg::key("key", 0),
            arg::unix_time("unix-time-seconds"),
            arg::oneof(
                "condition",
                &[arg::token("nx", "NX"), arg::token("xx", "XX"), arg::token("gt", "GT"), arg::token("lt", "LT")],
            )
            .since("7.0.0")
            .optional(),
        ]),
    CommandSpec::new("pexpireat", -3, Flags::WRITE.or(Flags::FAST), KEY1, pexpireat)
        .acl("keyspace")
        .keys(&[key(1, "RW update")])
        .doc("generic", "2.6.0", "O(1)", "Set the expiration for a key as a UNIX timestamp specified in milliseconds")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args(&[
            arg::key("key", 0),
            arg::unix_time("unix-time-milliseconds"),
            arg::oneof(
                "condition",
                &[arg::token("nx", "NX"), arg::token("xx", "XX"), arg::token("gt", "GT"), arg::token("lt", "LT")],
            )
            .since("7.0.0")
            .optional(),
        ]),
    CommandSpec::new("ttl", 2, Flags::READONLY.or(Flags::FAST), KEY1, ttl)
        .acl("keyspace")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc("generic", "1.0.0", "O(1)", "Get the time to live for a key in seconds")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("pttl", 2, Flags::READONLY.or(Flags::FAST), KEY1, pttl)
        .acl("keyspace")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc("generic", "2.6.0", "O(1)", "Get the time to live for a key in milliseconds")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("expiretime", 2, Flags::READONLY.or(Flags::FAST), KEY1, expiretime)
        .acl("keyspace")
        .keys(&[key(1, "RO access")])
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("pexpiretime", 2, Flags::READONLY.or(Flags::FAST), KEY1, pexpiretime)
        .acl("keyspace")
        .keys(&[key(1, "RO access")])
        .doc("generic", "7.0.0", "O(1)", "Get the expiration Unix timestamp for a key in milliseconds")
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("persist", 2, Flags::WRITE.or(Flags::FAST), KEY1, persist)
        .acl("keyspace")
        .keys(&[key(1, "RW update")])
        .doc("generic", "2.2.0", "O(1)", "Remove the expiration from a key")
        .args(&[arg::key("key", 0)]),
];

fn expire_generic(ctx: &mut Ctx<'_>, args: Args<'_>, unit: TimeUnit, absolute: bool, command: &str) -> CmdResult {
    let key = args.get(1);
    let amount = parse_i64(args.get(2))?;
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in args.iter().skip(3) {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(CmdError::Owned(format!("ERR Unsupported option {}", String::from_utf8_lossy(opt))));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(CmdError::Static("ERR NX and XX, GT or LT options at the same time are not compatible"));
    }
    if gt && lt {
        return Err(CmdError::Static("ERR GT and LT options at the same time are not compatible"));
    }
    let now = ctx.now_ms;
    let when = to_expire_ms(amount, unit, absolute, now)
        .ok_or_else(|| CmdError::Owned(format!("ERR invalid expire time in '{command}' command")))?;
    let db = ctx.store.db(ctx.db_index);
    let Some(entry) = db.get(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = entry.expire();
    let refused = (nx && current.is_some())
        || (xx && current.is_none())
        || (gt && current.is_none_or(|c| when <= c))
        || (lt && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    if when <= now {
        db.remove(key, now);
        ctx.notify(GENERIC, "del", key);
        ctx.log_as(&[b"DEL", key]);
    } else {
        db.set_expire(key, Some(when), now);
        ctx.notify(GENERIC, "expire", key);
        let mut digits = [0u8; 20];
        ctx.log_as(&[b"PEXPIREAT", key, crate::protocol::format_i64(when, &mut digits)]);
    }
    ctx.out.int(1);
    Ok(())
}

fn expire(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Seconds, false, "expire")
}

fn pexpire(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Millis, false, "pexpire")
}

fn expireat(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Seconds, true, "expireat")
}

fn pexpireat(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    expire_generic(ctx, args, TimeUnit::Millis, true, "pexpireat")
}

/// The expiry state of `key`: `Err(-2)` absent, `Err(-1)` no expiry,
/// `Ok(t)` expires at `t`.
fn expiry_of(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<i64, i64> {
    let now = ctx.now_ms;
    match ctx.store.db(ctx.db_index).get(key, now) {
        None => Err(-2),
        Some(entry) => entry.expire().ok_or(-1),
    }
}

fn ttl(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let reply = expiry_of(ctx, args.get(1)).map_or_else(|code| code, |t| (t - now + 500) / 1000);
    ctx.out.int(reply);
    Ok(())
}

fn pttl(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    let reply = expiry_of(ctx, args.get(1)).map_or_else(|code| code, |t| t - now);
    ctx.out.int(reply);
    Ok(())
}

fn expiretime(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let reply = expiry_of(ctx, args.get(1)).map_or_else(|code| code, |t| (t + 500) / 1000);
    ctx.out.int(reply);
    Ok(())
}

fn pexpiretime(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let reply = expiry_of(ctx, args.get(1)).unwrap_or_else(|code| code);
    ctx.out.int(reply);
    Ok(())
}

fn persist(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (key, now) = (args.get(1), ctx.now_ms);
    let db = ctx.store.db(ctx.db_index);
    let had = db.get(key, now).is_some_and(|e| e.has_expire());
    if had {
        db.set_expire(key, None, now);
        ctx.notify(GENERIC, "persist", key);
    }
    ctx.out.int(had as i64);
    Ok(())
}
