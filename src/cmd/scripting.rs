//! Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//!
//! A script runs in `crate::script`'s interpreter (made on first use);
//! its `redis.call`s come back here through [`CommandsForScript`], which
//! runs each through [`execute`] as [`Caller::Script`] in the script
//! session (`state::SCRIPT_SESSION`), starting in the caller's database.
//! So a script's writes are logged one by one as the commands they are
//! (the script itself never is), notify, touch `WATCH`es and wake blocked
//! clients like anyone's, and all of them land in the log frame of the
//! loop round the script ran in: after a crash, all or nothing of it.
//!
//! While a script runs, the interpreter is taken out of the shared state,
//! so nothing can reach it twice.

use std::time::Duration;

use super::args::{is, parse_i64};
use super::evict;
use super::meta::{arg, key};
use super::table::{CommandSpec, Flags, NO_KEYS};
use super::{execute, subcommand_arity, unknown_subcommand, Caller, CmdError, CmdResult, Ctx};
use crate::protocol::{Args, Reply};
use crate::script::{RunOptions, ScriptHost, Scripts};
use crate::state::busy::{BusyRequest, Running};
use crate::state::SCRIPT_SESSION;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "eval",
        -3,
        Flags::NOSCRIPT.or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        eval,
    )
    .acl("scripting")
    .keys(&[key(2, "RW access update")
        .numkeys(0, 1, 1)
        .note("We cannot tell how the keys will be used so we assume the worst, RW and UPDATE")])
    .doc("scripting", "2.6.0", "Depends on the script that is executed.", "Execute a Lua script server side")
    .args(&[
        arg::string("script"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
    CommandSpec::new(
        "evalsha",
        -3,
        Flags::NOSCRIPT.or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        evalsha,
    )
    .acl("scripting")
    .keys(&[key(2, "RW access update").numkeys(0, 1, 1)])
    .doc("scripting", "2.6.0", "Depends on the script that is executed.", "Execute a Lua script server side")
    .args(&[
        arg::string("sha1"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
    CommandSpec::new(
        "eval_ro",
        -3,
        Flags::READONLY.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        eval_ro,
    )
    .acl("scripting")
    .keys(&[key(2, "RO access")
        .numkeys(0, 1, 1)
        .note("We cannot tell how the keys will be used so we assume the worst, RO and ACCESS")])
    .doc("scripting", "7.0.0", "Depends on the script that is executed.", "Execute a read-only Lua script server side")
    .args(&[
        arg::string("script"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
    CommandSpec::new(
        "evalsha_ro",
        -3,
        Flags::READONLY.or(Flags::NOSCRIPT).or(Flags::STALE).or(Flags::SKIP_MONITOR).or(Flags::NO_MANDATORY_KEYS),
        NO_KEYS,
        evalsha_ro,
    )
    .acl("scripting")
    .keys(&[key(2, "RO access").numkeys(0, 1, 1)])
    .doc("scripting", "7.0.0", "Depends on the script that is executed.", "Execute a read-only Lua script server side")
    .args(&[
        arg::string("sha1"),
        arg::integer("numkeys"),
        arg::key("key", 0).optional().multiple(),
        arg::string("arg").optional().multiple(),
    ]),
    CommandSpec::new("script", -2, Flags::NONE, NO_KEYS, script)
        .doc("scripting", "2.6.0", "Depends on subcommand.", "A container for Lua scripts management commands")
        .subcommands(SCRIPT_SUBCOMMANDS),
];

/// `SCRIPT`'s subcommands.
const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new("script|exists", -3, Flags::NOSCRIPT, NO_KEYS, script)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:agg_logical_and")
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
            "Check existence of scripts in the script cache.",
        )
        .args(&[arg::string("sha1").multiple()]),
    CommandSpec::new("script|flush", -2, Flags::NOSCRIPT, NO_KEYS, script)
        .acl("scripting")
        .tips("request_policy:all_nodes response_policy:all_succeeded")
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the number of scripts in cache",
            "Remove all the scripts from the script cache.",
        )
        .history(&[("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers.")])
        .args(&[arg::oneof("async", &[arg::token("async", "ASYNC"), arg::token("sync", "SYNC")])
            .since("6.2.0")
            .optional()]),
    CommandSpec::new("script|help", 2, Flags::LOADING.or(Flags::STALE), NO_KEYS, script).acl("scripting").doc(
        "scripting",
        "5.0.0",
        "O(1)",
        "Show helpful text about the different subcommands",
    ),
    CommandSpec::new("script|kill", 2, Flags::NOSCRIPT.or(Flags::ALLOW_BUSY), NO_KEYS, script)
        .acl("scripting")
        .tips("request_policy:all_shards response_policy:one_succeeded")
        .doc("scripting", "2.6.0", "O(1)", "Kill the script currently in execution."),
    CommandSpec::new("script|load", 3, Flags::NOSCRIPT.or(Flags::STALE), NO_KEYS, script)
        .acl("scripting")
        .tips("request_policy:all_nodes response_policy:all_succeeded")
        .doc(
            "scripting",
            "2.6.0",
            "O(N) with N being the length in bytes of the script body.",
            "Load the specified Lua script into the script cache.",
        )
        .args(&[arg::string("script")]),
];

/// Which script to run: its body, or the SHA-1 of a cached one.
#[derive(Clone, Copy)]
enum Source {
    Body,
    Sha,
}

fn eval(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    run_script(ctx, args, Source::Body, false)
}

fn evalsha(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    run_script(ctx, args, Source::Sha, false)
}

fn eval_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    run_script(ctx, args, Source::Body, true)
}

fn evalsha_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    run_script(ctx, args, Source::Sha, true)
}

/// `numkeys`, checked as Redis checks it.
pub(super) fn key_count(args: Args<'_>) -> Result<usize, CmdError> {
    let count = parse_i64(args.get(2))?;
    if count < 0 {
        return Err(CmdError::Static("ERR Number of keys can't be negative"));
    }
    if count as usize > args.len() - 3 {
        return Err(CmdError::Static("ERR Number of keys can't be greater than number of args"));
    }
    Ok(count as usize)
}

/// The interpreter, taken out of the shared state (made if need be).
fn take_scripts(ctx: &mut Ctx<'_>) -> Result<Box<Scripts>, CmdError> {
    match ctx.server.scripts.take() {
        Some(scripts) => Ok(scripts),
        None => Scripts::new().map(Box::new).map_err(CmdError::Owned),
    }
}

fn run_script(ctx: &mut Ctx<'_>, args: Args<'_>, source: Source, read_only: bool) -> CmdResult {
    let keys = key_count(args)?;
    let mut scripts = take_scripts(ctx)?;
    let name = match source {
        Source::Body => scripts.load(args.get(1)),
        Source::Sha => {
            scripts.cached_name(args.get(1)).ok_or_else(|| "NOSCRIPT No matching script. Please use EVAL.".to_string())
        }
    };
    let result = match name {
        Ok(sha) if read_only && scripts.flags(&sha).is_some_and(|f| !f.no_writes) => {
            Err(CmdError::Static("ERR Can not execute a script with write flag using *_ro command."))
        }
        Ok(sha) if scripts.flags(&sha).is_some_and(|f| evict::refuses_flagged_script(ctx, f)) => {
            Err(CmdError::Static(evict::OOM_ERROR))
        }
        Ok(sha) => {
            let read_only = read_only || scripts.flags(&sha).is_some_and(|f| f.no_writes);
            let allow_oom = scripts.flags(&sha).is_some_and(|f| f.allow_oom || f.no_writes);
            let (key_args, argv) = keys_and_argv(args, keys);
            let options = RunOptions { caller_resp3: ctx.out.resp3 };
            // The reply is built aside (the script holds the context) in a
            // buffer the interpreter keeps from one run to the next.
            let mut reply = std::mem::take(&mut scripts.reply_buffer);
            reply.clear();
            let caller_resp3 = ctx.out.resp3;
            let mut host = CommandsForScript::new(ctx, args, &sha, read_only, None);
            host.allow_oom = allow_oom;
            scripts.run(&sha, key_args, argv, options, &mut host, &mut Reply::new(&mut reply, caller_resp3));
            ctx.out.buf.extend_from_slice(&reply);
            if reply.capacity() <= 1 << 20 {
                scripts.reply_buffer = reply;
            }
            Ok(())
        }
        Err(text) => Err(CmdError::Owned(text)),
    };
    ctx.server.scripts = Some(scripts);
    result
}

/// The server as a running script sees it.
pub(super) struct CommandsForScript<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    read_only: bool,
    /// `persist.dirty` when the script began: once it moved, the script
    /// has written and can no longer be killed.
    dirty_at_start: u64,
    /// The script's SHA-1 or the function's name, and the command that
    /// runs it, for `FUNCTION STATS`.
    name: &'c str,
    command: Args<'c>,
    /// Libraries and functions loaded, given when a function runs (the
    /// libraries are then out of the shared state); `None` for an `EVAL`
    /// script.
    function_counts: Option<(usize, usize)>,
    /// The script may write past `maxmemory` (`allow-oom`).
    pub(super) allow_oom: bool,
}

impl<'c, 'a> CommandsForScript<'c, 'a> {
    /// The host of script or function `name`, run by `command`, starting
    /// in the caller's database.
    pub(super) fn new(
        ctx: &'c mut Ctx<'a>,
        command: Args<'c>,
        name: &'c str,
        read_only: bool,
        function_counts: Option<(usize, usize)>,
    ) -> Self {
        ctx.server.script_session.db = ctx.db_index;
        // The script's commands run as the caller's ACL user.
        ctx.server.script_session.user = ctx.server.session(ctx.client_key).user;
        let dirty_at_start = ctx.server.persist.dirty;
        CommandsForScript { ctx, read_only, dirty_at_start, name, command, function_counts, allow_oom: false }
    }
}

/// The keys and the other arguments of `VERB first numkeys keys... args...`.
pub(super) fn keys_and_argv(args: Args<'_>, keys: usize) -> (Args<'_>, Args<'_>) {
    (args.tail(3).head(keys), args.tail(3 + keys))
}

impl ScriptHost for CommandsForScript<'_, '_> {
    fn call(&mut self, args: Args<'_>, resp3: bool, reply: &mut Vec<u8>) {
        // As in Redis, a script that has not written yet may not start
        // growing memory that was over the limit when it began.
        if !self.allow_oom
            && self.ctx.server.persist.dirty == self.dirty_at_start
            && evict::refuses_in_script(self.ctx, args)
        {
            Reply::new(reply, resp3).error(evict::OOM_ERROR);
            return;
        }
        let session = &mut self.ctx.server.script_session;
        session.resp3 = resp3;
        let db_index = session.db;
        let mut inner = Ctx {
            store: &mut *self.ctx.store,
            server: &mut *self.ctx.server,
            client_key: SCRIPT_SESSION,
            db_index,
            out: Reply::new(reply, resp3),
            now_ms: self.ctx.now_ms,
            caller: Caller::Script { read_only: self.read_only },
            unserved: false,
            busy: None,
        };
        execute(&mut inner, args);
    }

    fn still_running(&mut self, elapsed: Duration) -> Result<(), String> {
        if elapsed.as_millis() < u128::from(self.ctx.server.busy_reply_threshold_ms) {
            return Ok(());
        }
        let function_counts =
            self.function_counts.unwrap_or_else(|| self.ctx.server.functions.as_ref().map_or((0, 0), |f| f.counts()));
        let running = Running {
            function: self.function_counts.is_some(),
            wrote: self.ctx.server.persist.dirty != self.dirty_at_start,
            name: self.name,
            command: self.command,
            elapsed_ms: elapsed.as_millis() as u64,
            function_counts,
        };
        let Some(busy) = self.ctx.busy.as_deref_mut() else { return Ok(()) };
        match busy.serve_others(self.ctx.server, running) {
            BusyRequest::Kill => Err("ERR Script killed by user with SCRIPT KILL...".to_string()),
            BusyRequest::None => Ok(()),
        }
    }

    fn log(&mut self, level: i64, message: &str) {
        match level {
            3 => log::warn!("{message}"),
            2 => log::info!("{message}"),
            _ => log::debug!("{message}"),
        }
    }
}

fn script(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    let sub = args.get(1);
    if is(sub, "load") {
        if args.len() != 3 {
            return Err(subcommand_arity("script", sub));
        }
        let mut scripts = take_scripts(ctx)?;
        let loaded = scripts.load(args.get(2));
        ctx.server.scripts = Some(scripts);
        let sha = loaded.map_err(CmdError::Owned)?;
        ctx.out.bulk(sha.as_bytes());
    } else if is(sub, "exists") {
        if args.len() < 3 {
            return Err(subcommand_arity("script", sub));
        }
        ctx.out.array(args.len() - 2);
        for sha in args.iter().skip(2) {
            let known = ctx.server.scripts.as_ref().is_some_and(|s| s.exists(sha));
            ctx.out.int(known as i64);
        }
    } else if is(sub, "flush") {
        if args.len() > 3 || (args.len() == 3 && !is(args.get(2), "sync") && !is(args.get(2), "async")) {
            return Err(CmdError::Static("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
        }
        ctx.server.scripts = None;
        ctx.out.ok();
    } else if is(sub, "kill") {
        if args.len() != 2 {
            return Err(subcommand_arity("script", sub));
        }
        return Err(CmdError::Static("NOTBUSY No scripts in execution right now."));
    } else if is(sub, "help") && args.len() == 2 {
        let lines = [
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
            "HELP",
            "    Prints this help.",
        ];
        ctx.out.array(lines.len());
        for line in lines {
            ctx.out.simple(line);
        }
    } else {
        return Err(unknown_subcommand("script", sub));
    }
    Ok(())
}
