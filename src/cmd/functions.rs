//! Function commands: FUNCTION (LOAD, DELETE, LIST, FLUSH, DUMP,
//! RESTORE, STATS, KILL, HELP), FCALL and FCALL_RO.
//!
//! Libraries live in `crate::script::Functions` (made on first use) and,
//! unlike the script cache, are data: every change is logged as the
//! `FUNCTION` command that made it, and every snapshot starts with a
//! `FUNCTION LOAD` per library (`persist.preamble`, refreshed here after
//! each change), so they survive a restart. A function runs like a
//! script (see `scripting`), read-only when registered `no-writes` or
//! called with `FCALL_RO`.

use super::args::is;
use super::evict;
use super::meta::{arg, key};
use super::scripting::{key_count, keys_and_argv, CommandsForScript};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{subcommand_arity, unknown_subcommand, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::script::{Functions, RestorePolicy, RunOptions};
use crate::store::glob::glob_match;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("function", -2, Flags::NONE, NO_KEYS, function)
        .doc("scripting", "7.0.0", "Depends on subcommand.", "A container for function commands")
        .subcommands(FUNCTION_SUBCOMMANDS),
    CommandSpec::new(
        "fcall",
        -3,
        Flags::NOSCRIPT.or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        fcall,
    )
    .acl("scripting")
    .keys(&[key(2, "RW access update")
        .numkeys(0, 1, 1)
        .note("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")])
    .doc("scripting", "7.0.0", "Depends on the function that is executed.", "Invoke a function")
    .args(&[
        arg::string("function"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
    CommandSpec::new(
        "fcall_ro",
        -3,
        Flags::READONLY.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        fcall_ro,
    )
    .acl("scripting")
    .keys(&[key(2, "RO access")
        .numkeys(0, 1, 1)
        .note("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")])
    .doc("scripting", "7.0.0", "Depends on the function that is executed.", "Invoke a read-only function")
    .args(&[
        arg::string("function"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
];

/// `FUNCTION`'s subcommands.
const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("function|delete", 3, Flags::WRITE.or(Flags::NOSCRIPT), NO_KEYS, function)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc("scripting", "7.0.0", "O(1)", "Delete a function by name")
        .args(&[arg::string("library-name")]),
    CommandSpec::new("function|dump", 2, Flags::NOSCRIPT, NO_KEYS, function).acl("scripting").doc(
        "scripting",
        "7.0.0",
        "O(N) where N is the number of functions",
        "Dump all functions into a serialized binary payload",
    ),
    CommandSpec::new("function|flush", -2, Flags::WRITE.or(Flags::NOSCRIPT), NO_KEYS, function)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc("scripting", "7.0.0", "O(N) where N is the number of functions deleted", "Deleting all functions")
        .args(&[arg::oneof("async", &[arg::token("async", "ASYNC"), arg::token("sync", "SYNC")]).optional()]),
    CommandSpec::new("function|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, function).acl("scripting").doc(
        "scripting",
        "7.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("function|kill", 2, Flags::NOSCRIPT.or(Flags::ALLOW_BUSY), NO_KEYS, function)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:one_succeeded")
        .doc("scripting", "7.0.0", "O(1)", "Kill the function currently in execution."),
    CommandSpec::new("function|list", -2, Flags::NOSCRIPT, NO_KEYS, function)
        .acl("scripting")
        .tips("nondeterministic_output_order")
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions",
            "List information about all the functions",
        )
        .args(&[
            arg::string("library-name-pattern").token("LIBRARYNAME").optional(),
            arg::token("withcode", "WITHCODE").optional(),
        ]),
    CommandSpec::new("function|load", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT), NO_KEYS, function)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc(
            "scripting",
            "7.0.0",
            "O(1) (considering compilation time is redundant)",
            "Create a function with the given arguments (name, code, description)",
        )
        .args(&[arg::token("replace", "REPLACE").optional(), arg::string("function-code")]),
    CommandSpec::new("function|restore", -3, Flags::WRITE.or(Flags::DENYOOM).or(Flags::NOSCRIPT), NO_KEYS, function)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:all_succeeded")
        .doc(
            "scripting",
            "7.0.0",
            "O(N) where N is the number of functions on the payload",
            "Restore all the functions on the given payload",
        )
        .args(&[
            arg::string("serialized-value"),
            arg::oneof(
                "policy",
                &[arg::token("flush", "FLUSH"), arg::token("append", "APPEND"), arg::token("replace", "REPLACE")],
            )
            .optional(),
        ]),
    CommandSpec::new("function|stats", 2, Flags::NOSCRIPT.or(Flags::ALLOW_BUSY), NO_KEYS, function)
        .acl("scripting")
        .tips("nondeterministic_output request_policy:all_shards response_policy:special")
        .doc(
            "scripting",
            "7.0.0",
            "O(1)",
            "Return information about the function currently running (name, description, duration)",
        ),
];

fn fcall(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    call_function(ctx, args, false)
}

fn fcall_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    call_function(ctx, args, true)
}

fn call_function(ctx: &mut Ctx<'_>, args: Args<'_>, read_only_command: bool) -> CmdResult {
    let name = String::from_utf8_lossy(args.get(1)).into_owned();
    let Some(mut functions) = ctx.server.functions.take() else {
        return Err(CmdError::Static("ERR Function not found"));
    };
    let outcome = (|| {
        let flags = functions.flags(&name).ok_or(CmdError::Static("ERR Function not found"))?;
        let keys = key_count(args).map_err(|e| match e {
            CmdError::NotInteger => CmdError::Static("ERR Bad number of keys provided"),
            other => other,
        })?;
        if read_only_command && !flags.no_writes {
            return Err(CmdError::Static("ERR Can not execute a script with write flag using *_ro command."));
        }
        if evict::refuses_flagged_script(ctx, flags) {
            return Err(CmdError::Static(evict::OOM_ERROR));
        }
        let (key_args, argv) = keys_and_argv(args, keys);
        let caller_resp3 = ctx.out.resp3;
        let mut reply = Vec::new();
        let read_only = read_only_command || flags.no_writes;
        let mut host = CommandsForScript::new(ctx, args, &name, read_only, Some(functions.counts()));
        host.allow_oom = flags.allow_oom || flags.no_writes;
        let options = RunOptions { caller_resp3 };
        functions.call(&name, key_args, argv, options, &mut host, &mut Reply::new(&mut reply, caller_resp3));
        ctx.out.buf.extend_from_slice(&reply);
        Ok(())
    })();
    ctx.server.functions = Some(functions);
    outcome
}

/// The libraries, made if need be.
fn functions_mut<'c>(ctx: &'c mut Ctx<'_>) -> Result<&'c mut Functions, CmdError> {
    if ctx.server.functions.is_none() {
        ctx.server.functions = Some(Box::new(Functions::new().map_err(CmdError::Owned)?));
    }
    Ok(ctx.server.functions.as_mut().expect("made above"))
}

/// After a change: logged, and the snapshots' preamble brought up to date.
fn functions_changed(ctx: &mut Ctx<'_>) {
    ctx.changed();
    let codes: Vec<Vec<Vec<u8>>> = ctx
        .server
        .functions
        .as_ref()
        .map(|f| {
            f.codes().into_iter().map(|code| vec![b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.to_vec()]).collect()
        })
        .unwrap_or_default();
    ctx.server.persist.preamble = codes;
}

fn function(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    let arity = |ok: bool| if ok { Ok(()) } else { Err(subcommand_arity("function", sub)) };
    if is(sub, "load") {
        arity(args.len() >= 3)?;
        for option in args.iter().skip(2).take(args.len() - 3) {
            if !is(option, "replace") {
                return Err(CmdError::Owned(format!("ERR Unknown option given: {}", String::from_utf8_lossy(option))));
            }
        }
        let replace = args.len() > 3;
        let name = functions_mut(ctx)?.load(args.get(args.len() - 1), replace).map_err(CmdError::Owned)?;
        functions_changed(ctx);
        ctx.out.bulk(name.as_bytes());
    } else if is(sub, "delete") {
        arity(args.len() == 3)?;
        let name = String::from_utf8_lossy(args.get(2)).into_owned();
        functions_mut(ctx)?.delete(&name).map_err(CmdError::Owned)?;
        functions_changed(ctx);
        ctx.out.ok();
    } else if is(sub, "flush") {
        if args.len() > 3 {
            return Err(CmdError::Static(
                "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.",
            ));
        }
        if args.len() == 3 && !is(args.get(2), "sync") && !is(args.get(2), "async") {
            return Err(CmdError::Static("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"));
        }
        ctx.server.functions = None;
        functions_changed(ctx);
        ctx.out.ok();
    } else if is(sub, "list") {
        list(ctx, args)?;
    } else if is(sub, "dump") {
        arity(args.len() == 2)?;
        let payload = functions_mut(ctx)?.dump();
        ctx.out.bulk(&payload);
    } else if is(sub, "restore") {
        arity(args.len() >= 3)?;
        if args.len() > 4 {
            return Err(CmdError::Static(
                "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.",
            ));
        }
        let policy = match args.len() {
            3 => RestorePolicy::Append,
            _ if is(args.get(3), "append") => RestorePolicy::Append,
            _ if is(args.get(3), "flush") => RestorePolicy::Flush,
            _ if is(args.get(3), "replace") => RestorePolicy::Replace,
            _ => {
                return Err(CmdError::Static(
                    "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
                ))
            }
        };
        functions_mut(ctx)?.restore(args.get(2), policy).map_err(CmdError::Owned)?;
        functions_changed(ctx);
        ctx.out.ok();
    } else if is(sub, "stats") {
        arity(args.len() == 2)?;
        let (libraries, functions) = ctx.server.functions.as_ref().map_or((0, 0), |f| f.counts());
        ctx.out.map(2);
        ctx.out.bulk(b"running_script");
        ctx.out.null();
        ctx.out.bulk(b"engines");
        ctx.out.map(1);
        ctx.out.bulk(b"LUA");
        ctx.out.map(2);
        ctx.out.bulk(b"libraries_count");
        ctx.out.int(libraries as i64);
        ctx.out.bulk(b"functions_count");
        ctx.out.int(functions as i64);
    } else if is(sub, "kill") {
        arity(args.len() == 2)?;
        return Err(CmdError::Static("NOTBUSY No scripts in execution right now."));
    } else if is(sub, "help") && args.len() == 2 {
        help(ctx);
    } else {
        return Err(unknown_subcommand("function", sub));
    }
    Ok(())
}

/// `FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]`.
fn list(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let (mut pattern, mut with_code) = (None, false);
    let mut i = 2;
    while i < args.len() {
        let arg = args.get(i);
        if is(arg, "withcode") && !with_code {
            with_code = true;
        } else if is(arg, "libraryname") && pattern.is_none() {
            if i + 1 >= args.len() {
                return Err(CmdError::Static("ERR library name argument was not given"));
            }
            pattern = Some(args.get(i + 1));
            i += 1;
        } else {
            return Err(CmdError::Owned(format!("ERR Unknown argument {}", String::from_utf8_lossy(arg))));
        }
        i += 1;
    }
    let Some(functions) = ctx.server.functions.as_ref() else {
        ctx.out.array(0);
        return Ok(());
    };
    let libraries = functions.list(|name| pattern.is_none_or(|p| glob_match(p, name.as_bytes())));
    let out = &mut ctx.out;
    out.array(libraries.len());
    for library in libraries {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(library.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(library.functions.len());
        for (name, description, flags) in &library.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name.as_bytes());
            out.bulk(b"description");
            out.bulk_or_null(*description);
            out.bulk(b"flags");
            out.set(flags.len());
            for flag in flags {
                out.simple(flag);
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(library.code);
        }
    }
    Ok(())
}

fn help(ctx: &mut Ctx<'_>) {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current \
                libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];
    ctx.out.array(lines.len());
    for line in lines {
        ctx.out.simple(line);
    }
}
