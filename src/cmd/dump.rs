//! `DUMP` and `RESTORE`: a value in Redis's serialization (an RDB value,
//! the RDB version and a CRC-64, see `persist::rdb::dump`), so payloads
//! move both ways between Efis and Redis.
//!
//! `RESTORE` checks its arguments in Redis's order (options, an existing
//! key without `REPLACE`, the TTL, the footer, the value) and decodes the
//! whole value before it touches the keyspace: a payload is restored
//! completely or not at all. It is logged as `RESTORE key <absolute ms>
//! payload REPLACE ABSTTL` (or `DEL` when an expired payload replaced a
//! key), so replay rebuilds the same value with the same expiry.

use super::args::{is, parse_i64_opt};
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::persist::rdb::dump::{self, PayloadError};
use crate::protocol::{format_i64, Args};
use crate::pubsub::GENERIC;
use crate::store::{access, Entry};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("dump", 2, Flags::READONLY, KEY1, dump_)
        .acl("keyspace")
        .keys(&[key(1, "RO access")])
        .tips("nondeterministic_output")
        .doc(
            "generic",
            "2.6.0",
            "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of \
                Redis objects composing the value and M their average size. For small string values \
                the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
            "Return a serialized version of the value stored at the specified key.",
        )
        .args(&[arg::key("key", 0)]),
    CommandSpec::new("restore", -4, Flags::WRITE.or(Flags::DENYOOM), KEY1, restore)
        .acl("keyspace dangerous")
        .keys(&[key(1, "OW update")])
        .doc(
            "generic",
            "2.6.0",
            "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, \
                where N is the number of Redis objects composing the value and M their average size. \
                For small string values the time complexity is thus O(1)+O(1*M) where M is small, so \
                simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because \
                inserting values into sorted sets is O(log(N)).",
            "Create a key using the provided serialized value, previously obtained using DUMP.",
        )
        .history(&[
            ("3.0.0", "Added the `REPLACE` modifier."),
            ("5.0.0", "Added the `ABSTTL` modifier."),
            ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
        ])
        .args(&[
            arg::key("key", 0),
            arg::integer("ttl"),
            arg::string("serialized-value"),
            arg::token("replace", "REPLACE").since("3.0.0").optional(),
            arg::token("absttl", "ABSTTL").since("5.0.0").optional(),
            arg::integer("seconds").token("IDLETIME").since("5.0.0").optional(),
            arg::integer("frequency").token("FREQ").since("5.0.0").optional(),
        ]),
];

fn dump_(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let now = ctx.now_ms;
    match ctx.store.db(ctx.db_index).get(args.get(1), now) {
        Some(entry) => {
            let payload = dump::encode(&entry.value());
            ctx.out.bulk(&payload);
        }
        None => ctx.out.null(),
    }
    Ok(())
}

/// `RESTORE`'s options.
#[derive(Default)]
struct RestoreOptions {
    replace: bool,
    absolute: bool,
    idle_seconds: Option<i64>,
    frequency: Option<i64>,
}

fn parse_options(args: &Args<'_>) -> Result<RestoreOptions, CmdError> {
    let mut options = RestoreOptions::default();
    let mut i = 4;
    while i < args.len() {
        let more = i + 1 < args.len();
        let word = args.get(i);
        if is(word, "replace") {
            options.replace = true;
        } else if is(word, "absttl") {
            options.absolute = true;
        } else if is(word, "idletime") && more && options.frequency.is_none() {
            let idle = parse_i64_opt(args.get(i + 1)).ok_or(CmdError::NotInteger)?;
            if idle < 0 {
                return Err(CmdError::Static("ERR Invalid IDLETIME value, must be >= 0"));
            }
            options.idle_seconds = Some(idle);
            i += 1;
        } else if is(word, "freq") && more && options.idle_seconds.is_none() {
            let freq = parse_i64_opt(args.get(i + 1)).ok_or(CmdError::NotInteger)?;
            if !(0..=255).contains(&freq) {
                return Err(CmdError::Static("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            options.frequency = Some(freq);
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(options)
}

fn restore(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let options = parse_options(&args)?;
    let (key, now) = (args.get(1), ctx.now_ms);
    if !options.replace && ctx.store.db(ctx.db_index).contains(key, now) {
        return Err(CmdError::Static("BUSYKEY Target key name already exists."));
    }
    let ttl = parse_i64_opt(args.get(2)).ok_or(CmdError::NotInteger)?;
    if ttl < 0 {
        return Err(CmdError::Static("ERR Invalid TTL value, must be >= 0"));
    }
    let value = match dump::decode(args.get(3)) {
        Ok(value) => value,
        Err(PayloadError::VersionOrChecksum) => {
            return Err(CmdError::Static("ERR DUMP payload version or checksum are wrong"))
        }
        Err(PayloadError::BadData(_)) => return Err(CmdError::Static("ERR Bad data format")),
    };
    let deleted = options.replace && ctx.store.db(ctx.db_index).remove(key, now).is_some();
    let expire = match ttl {
        0 => None,
        ttl if options.absolute => Some(ttl),
        ttl => Some(ttl.saturating_add(now)),
    };
    let mut digits = [0u8; 20];
    if expire.is_some_and(|at| at <= now) {
        if deleted {
            ctx.log_as(&[b"DEL", key]);
            ctx.notify(GENERIC, "del", key);
        }
        ctx.out.ok();
        return Ok(());
    }
    let tracking = ctx.store.tracking();
    let bits = match (tracking.lfu, options.frequency, options.idle_seconds) {
        (true, Some(freq), _) => access::with_counter(now, freq as u8),
        (false, _, Some(idle)) => access::idle_for(now, idle as u64),
        _ => access::initial(tracking, now),
    };
    ctx.store.db(ctx.db_index).put_entry(Entry::new_key(key, value, expire, bits), now);
    let at = format_i64(expire.unwrap_or(0), &mut digits);
    ctx.log_as(&[b"RESTORE", key, at, args.get(3), b"REPLACE", b"ABSTTL"]);
    ctx.notify(GENERIC, "restore", key);
    ctx.out.ok();
    Ok(())
}
