//! `CLIENT TRACKING|CACHING|GETREDIR|TRACKINGINFO`, Redis 7.0's
//! client-side caching, and the dispatcher's share of it: remembering the
//! keys a tracking client reads. The registry and the invalidation
//! messages are `state::tracking`'s.

use super::args::{is, parse_i64_opt};
use super::table::{CommandSpec, Flags};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::state::tracking::Options;

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN]
/// [OPTOUT] [NOLOOP]`.
pub fn client_tracking(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let mut options = Options::default();
    let mut i = 3;
    while i < args.len() {
        let word = args.get(i);
        let more = i + 1 < args.len();
        if is(word, "redirect") && more {
            i += 1;
            if options.redirect != 0 {
                return Err(CmdError::Static("ERR A client can only redirect to a single other client"));
            }
            let id = parse_i64_opt(args.get(i)).ok_or(CmdError::NotInteger)?;
            if id <= 0 || !ctx.server.clients.iter().any(|(_, c)| c.id == id as u64) {
                return Err(CmdError::Static("ERR The client ID you want redirect to does not exist"));
            }
            options.redirect = id as u64;
        } else if is(word, "bcast") {
            options.bcast = true;
        } else if is(word, "optin") {
            options.optin = true;
        } else if is(word, "optout") {
            options.optout = true;
        } else if is(word, "noloop") {
            options.noloop = true;
        } else if is(word, "prefix") && more {
            i += 1;
            options.prefixes.push(args.get(i).to_vec());
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let me = ctx.client_key;
    if is(args.get(2), "off") {
        ctx.server.tracking.disable(me);
        ctx.out.ok();
        return Ok(());
    }
    if !is(args.get(2), "on") {
        return Err(CmdError::Syntax);
    }
    check_options(ctx, &options)?;
    let id = ctx.client().id;
    ctx.server.tracking.enable(me, id, options);
    ctx.out.ok();
    Ok(())
}

/// Redis's checks of `CLIENT TRACKING ON`'s options, in its order.
fn check_options(ctx: &Ctx<'_>, options: &Options) -> CmdResult {
    if !options.bcast && !options.prefixes.is_empty() {
        return Err(CmdError::Static("ERR PREFIX option requires BCAST mode to be enabled"));
    }
    let current = ctx.server.tracking.options(ctx.client_key);
    if current.is_some_and(|c| c.bcast != options.bcast) {
        return Err(CmdError::Static(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then \
             re-enabling it with a different mode.",
        ));
    }
    if options.bcast && (options.optin || options.optout) {
        return Err(CmdError::Static("ERR OPTIN and OPTOUT are not compatible with BCAST"));
    }
    if options.optin && options.optout {
        return Err(CmdError::Static("ERR You can't specify both OPTIN mode and OPTOUT mode"));
    }
    if current.is_some_and(|c| (options.optin && c.optout) || (options.optout && c.optin)) {
        return Err(CmdError::Static(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then \
             re-enabling it with a different mode.",
        ));
    }
    if options.bcast {
        let existing = current.map(|c| c.prefixes.as_slice()).unwrap_or_default();
        for (i, prefix) in options.prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| overlaps(old, prefix)) {
                return Err(CmdError::Owned(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must \
                     not overlap.",
                    String::from_utf8_lossy(prefix),
                    String::from_utf8_lossy(old)
                )));
            }
            if let Some(other) = options.prefixes[i + 1..].iter().find(|other| overlaps(prefix, other)) {
                return Err(CmdError::Owned(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client \
                     must not overlap.",
                    String::from_utf8_lossy(prefix),
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
    Ok(())
}

/// One prefix starts the other.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// `CLIENT CACHING YES|NO`.
pub fn client_caching(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let Some(options) = ctx.server.tracking.options(ctx.client_key) else {
        return Err(CmdError::Static(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode \
             enabled",
        ));
    };
    let (optin, optout) = (options.optin, options.optout);
    let answer = args.get(2);
    if is(answer, "yes") {
        if !optin {
            return Err(CmdError::Static(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            ));
        }
    } else if is(answer, "no") {
        if !optout {
            return Err(CmdError::Static(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    ctx.server.tracking.set_caching(ctx.client_key);
    ctx.out.ok();
    Ok(())
}

/// `CLIENT GETREDIR`.
pub fn client_getredir(ctx: &mut Ctx<'_>) -> CmdResult {
    let redirect = ctx.server.tracking.options(ctx.client_key).map_or(-1, |o| o.redirect as i64);
    ctx.out.int(redirect);
    Ok(())
}

/// `CLIENT TRACKINGINFO`.
pub fn client_trackinginfo(ctx: &mut Ctx<'_>) -> CmdResult {
    let (flags, redirect, prefixes) = ctx.server.tracking.info(ctx.client_key);
    ctx.out.map(3);
    ctx.out.bulk(b"flags");
    ctx.out.set(flags.len());
    for flag in flags {
        ctx.out.bulk(flag.as_bytes());
    }
    ctx.out.bulk(b"redirect");
    ctx.out.int(redirect);
    ctx.out.bulk(b"prefixes");
    ctx.out.array(prefixes.len());
    for prefix in prefixes {
        ctx.out.bulk(&prefix);
    }
    Ok(())
}

/// After a command of a tracking client: the keys a read-only command
/// read are remembered, and a `CLIENT CACHING` mark is used up.
#[inline(never)]
pub fn after_command<'a>(
    ctx: &mut Ctx<'_>,
    spec: &CommandSpec,
    keys: impl Iterator<Item = &'a [u8]>,
    in_transaction: bool,
) {
    let me = ctx.client_key;
    if spec.flags.contains(Flags::READONLY) {
        ctx.server.tracking.remember(me, keys);
    }
    if !in_transaction {
        ctx.server.tracking.command_done(me, spec.name == "client" || spec.name.starts_with("client|"));
    }
}
