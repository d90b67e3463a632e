//! Lua scripting as Redis 7.0 runs it: one Lua 5.1 interpreter, the
//! script cache keyed by SHA-1, and running a script with `KEYS`/`ARGV`
//! whose `redis.call`s go back to the server through a [`ScriptHost`].
//!
//! * `sandbox.rs`: the Lua world a script sees (libraries, the `redis`
//!   table, the closed global table).
//! * `convert.rs`: values crossing between Lua and RESP, both ways.
//! * `libs/`: `bit`, `cjson`, `cmsgpack`, `struct`.
//!
//! This module knows Lua and the protocol, and nothing of the keyspace or
//! the command table: the command layer implements [`ScriptHost`] and
//! runs each `redis.call` through its one entry point, so a script's
//! commands are checked, logged, notified and counted like any others.
//!
//! # What a script does, as Redis 7.0 does it
//!
//! * **Atomic and logged as its effects.** A script runs inside one
//!   command of one loop round; nothing else runs meanwhile. Each write it
//!   makes is logged as that command (never the script), into the round's
//!   one log frame, so after a crash all of a script's writes are there or
//!   none; replay gives the same state without running Lua.
//! * **Commands from scripts** are checked with the errors Redis gives
//!   scripts ("Unknown Redis command called from script", "Wrong number of
//!   args calling Redis command from script", "This Redis command is not
//!   allowed from script" for the commands Redis flags `noscript`, "Write
//!   commands are not allowed from read-only scripts." under `EVAL_RO`,
//!   `FCALL_RO` or `no-writes`). `BLMPOP`/`BZMPOP` answer at once.
//! * **Errors** carry Redis's suffix `script: <sha or function>, on
//!   @user_script:<line>.` (`@user_function` for functions); `pcall`
//!   around `redis.call` gets the error's text, `redis.pcall` its table.
//! * **A long script** looks at the clock every thousand instructions;
//!   past `busy-reply-threshold` it lets the loop answer other clients
//!   `-BUSY` (`server::busy`), and `SCRIPT KILL`/`FUNCTION KILL` stop it
//!   with "Script killed by user with SCRIPT KILL..." unless it has
//!   written (`-UNKILLABLE`); `SHUTDOWN NOSAVE` then stops the server with
//!   the script's changes unlogged.
//! * **Memory**: each interpreter may hold [`MEMORY_LIMIT`]; past it an
//!   allocation fails and the script ends with "not enough memory". The
//!   interpreters' memory is part of `used_memory` (`INFO memory` also
//!   shows it as `used_memory_vm_eval` and `used_memory_vm_functions`).
//! * **The script cache** is not data: `SCRIPT FLUSH` and a restart empty
//!   it, and clients send the script again on `-NOSCRIPT`. Functions are
//!   data (see `functions.rs`).
//!
//! Invariants:
//! * While [`Scripts::run`] runs, the interpreter's `RunState` holds the
//!   host it was given; nothing else calls into the interpreter then, and
//!   the host never calls back into it (commands that run scripts are
//!   refused to scripts), so the host is never reached twice at once.
//! * A script's reply is written to the caller only once it is known to
//!   convert: a failure leaves nothing half-written.

mod call;
mod convert;
mod functions;
pub mod libs;
mod payload;
mod sandbox;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mlua::{ffi, Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};

use crate::protocol::{Args, Reply};

pub use convert::lua_number_text;
pub use functions::{FunctionFlags, Functions, LibraryInfo, RestorePolicy};

/// `redis.LOG_*` names and their levels (0 debug to 3 warning).
pub const LOG_LEVELS: &[(&str, i64)] = &[("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3)];

/// How often (in Lua instructions) a running script looks at the clock.
const HOOK_INSTRUCTIONS: u32 = 1000;

/// Most memory one interpreter may hold: past it an allocation fails and
/// the script ends with "not enough memory", instead of the server
/// growing until the kernel stops it.
pub const MEMORY_LIMIT: usize = 512 * 1024 * 1024;

/// What a script asks of the server while it runs.
pub trait ScriptHost {
    /// Runs one command for `redis.call`, writing its reply into `reply`
    /// (in RESP3 if `resp3`).
    fn call(&mut self, args: Args<'_>, resp3: bool, reply: &mut Vec<u8>);
    /// The script has run for `elapsed`: the host may serve others. An
    /// error text stops the script with that error (`SCRIPT KILL`).
    fn still_running(&mut self, elapsed: Duration) -> Result<(), String>;
    /// `redis.log` (levels as in [`LOG_LEVELS`]).
    fn log(&mut self, level: i64, message: &str);
}

/// The SHA-1 of `body` in lower-case hex, as scripts are named.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

/// A host pointer whose lifetime is that of one [`Scripts::run`] call.
struct HostPtr(*mut (dyn ScriptHost + 'static));

/// Per-interpreter state the Lua callbacks reach, owned by the
/// [`Interpreter`] and found through [`run_state`].
pub(crate) struct RunState {
    host: Option<HostPtr>,
    /// `redis.setresp(3)` was called in this run.
    resp3: bool,
    /// The command `redis.call` is running: its bytes and spans.
    data: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// The RESP reply of that command.
    reply: Vec<u8>,
    /// The script's line where the last error happened.
    error_line: Option<usize>,
    started: Instant,
    /// Set once the host asked to stop the script: raised again at every
    /// look at the clock, so a `pcall` cannot swallow it.
    killed: Option<String>,
}

impl RunState {
    fn host(&mut self) -> Option<&mut dyn ScriptHost> {
        // SAFETY: `host` is set only for the duration of `Scripts::run`,
        // from a `&mut dyn ScriptHost` that outlives that call and is not
        // used by anyone else meanwhile (see the module's invariants).
        self.host.as_ref().map(|ptr| unsafe { &mut *ptr.0 })
    }

    fn call_host(&mut self) {
        self.reply.clear();
        // SAFETY: as in `host`; the fields borrowed below are disjoint.
        let Some(ptr) = self.host.as_ref() else {
            self.reply.extend_from_slice(b"-ERR redis.call outside of a script\r\n");
            return;
        };
        let host = unsafe { &mut *ptr.0 };
        host.call(Args::new(&self.data, &self.spans), self.resp3, &mut self.reply);
    }

    fn log(&mut self, level: i64, message: &str) {
        if let Some(host) = self.host() {
            host.log(level, message);
        }
    }
}

/// The run state's address, as app data (for the binding's callbacks).
#[derive(Clone, Copy)]
struct RunPtr(*mut RunState);

/// The run state of `lua`'s interpreter. It stays valid for the
/// interpreter's life; whoever dereferences it holds no other reference
/// to it meanwhile (the interpreter is single-threaded and its callbacks
/// do not nest).
fn run_state(lua: &Lua) -> Option<*mut RunState> {
    Some(lua.app_data_ref::<RunPtr>()?.0)
}

/// How a script runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// The caller speaks RESP3 (the reply's protocol).
    pub caller_resp3: bool,
}

/// One Lua interpreter with the whole Lua world of a script, and the
/// means to run a function in it on behalf of a caller.
pub struct Interpreter {
    pub(crate) lua: Lua,
    /// Owned here (freed on drop), reached by the Lua side through the
    /// registry ([`call::RUN_STATE_KEY`]) and app data ([`RunPtr`]).
    run: *mut RunState,
    xpcall: Function,
    handler: Function,
    /// `bind(f, a, b)` → a function calling `f(a, b)`: Lua 5.1's `xpcall`
    /// passes no arguments.
    bind: Function,
    /// The reply being built, before it is known to convert.
    scratch: Vec<u8>,
}

/// Where an error happened, for Redis's suffix: `script: <name>, on
/// @<chunk>:<line>.`.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'n> {
    /// The script's SHA-1, or the function's name.
    pub name: &'n str,
    /// `user_script` or `user_function`.
    pub chunk: &'static str,
}

impl Interpreter {
    /// A new interpreter.
    pub fn new() -> Result<Interpreter, String> {
        let lua = sandbox::new_interpreter().map_err(|e| format!("ERR cannot start Lua: {e}"))?;
        let (xpcall, handler) = sandbox::protected_caller(&lua).map_err(|e| e.to_string())?;
        lua.set_memory_limit(MEMORY_LIMIT).map_err(|e| e.to_string())?;
        let run = Box::into_raw(Box::new(RunState {
            host: None,
            resp3: false,
            data: Vec::new(),
            spans: Vec::new(),
            reply: Vec::new(),
            error_line: None,
            started: Instant::now(),
            killed: None,
        }));
        lua.set_app_data(RunPtr(run));
        let registered = lua
            .set_named_registry_value(
                call::RUN_STATE_KEY.to_str().unwrap_or_default(),
                mlua::Value::LightUserData(mlua::LightUserData(call::run_state_pointer(run))),
            )
            .map_err(|e| e.to_string());
        if let Err(e) = registered {
            // SAFETY: nothing else has the pointer yet.
            drop(unsafe { Box::from_raw(run) });
            return Err(e);
        }
        lua.set_global_hook(HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS), |lua, _| {
            // SAFETY: the hook runs between Lua instructions, when no other
            // reference to the run state is in use.
            let Some(state) = run_state(lua).map(|ptr| unsafe { &mut *ptr }) else { return Ok(VmState::Continue) };
            if let Some(why) = &state.killed {
                return Err(mlua::Error::runtime(why.clone()));
            }
            let elapsed = state.started.elapsed();
            if let Some(host) = state.host() {
                if let Err(why) = host.still_running(elapsed) {
                    state.killed = Some(why.clone());
                    return Err(mlua::Error::runtime(why));
                }
            }
            Ok(VmState::Continue)
        })
        .map_err(|e| e.to_string())?;
        let bind = lua
            .load("return function(f, a, b) return function() return f(a, b) end end")
            .set_name("=bind")
            .call::<Function>(())
            .map_err(|e| e.to_string())?;
        Ok(Interpreter { lua, run, xpcall, handler, bind, scratch: Vec::new() })
    }

    /// How much memory the interpreter uses, in bytes.
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Calls `function` with `args` for a caller, its `redis.call`s going
    /// to `host`, and writes the reply (or Redis's error) into `out`.
    pub fn call(
        &mut self,
        function: Function,
        args: MultiValue,
        origin: Origin<'_>,
        options: RunOptions,
        host: &mut dyn ScriptHost,
        out: &mut Reply<'_>,
    ) {
        // SAFETY: the pointer is cleared below, before `host`'s borrow
        // ends; see `RunState::host`.
        let host: *mut (dyn ScriptHost + '_) = host;
        let host: *mut (dyn ScriptHost + 'static) = unsafe { std::mem::transmute(host) };
        {
            // SAFETY: no Lua code runs during this block.
            let state = unsafe { &mut *self.run };
            state.host = Some(HostPtr(host));
            state.resp3 = false;
            state.error_line = None;
            state.killed = None;
            state.started = Instant::now();
        }
        let outcome = if args.is_empty() {
            self.xpcall.call::<MultiValue>((function, self.handler.clone()))
        } else {
            let mut bind_args = MultiValue::new();
            bind_args.push_back(Value::Function(function));
            bind_args.extend(args);
            self.bind
                .call::<Function>(bind_args)
                .and_then(|bound| self.xpcall.call::<MultiValue>((bound, self.handler.clone())))
        };
        let (booleans_as_resp3, error_line, killed) = {
            // SAFETY: the script has returned; no Lua code runs here.
            let state = unsafe { &mut *self.run };
            state.host = None;
            (state.resp3, state.error_line.take(), state.killed.take())
        };
        // A script that came near the limit (or passed it) leaves garbage
        // the incremental collector would keep for a while: collect now.
        if self.lua.used_memory() > MEMORY_LIMIT / 4 {
            let _ = self.lua.gc_collect();
        }
        if let Some(why) = killed {
            out.error(&with_origin(&why, origin, error_line));
            return;
        }
        let mut values = match outcome {
            Ok(values) => values.into_iter(),
            Err(e) => {
                out.error(&with_origin(&format!("ERR {}", lua_error_text(&e)), origin, error_line));
                return;
            }
        };
        let succeeded = matches!(values.next(), Some(Value::Boolean(true)));
        let value = values.next().unwrap_or(Value::Nil);
        if !succeeded {
            out.error(&with_origin(&error_text(&value), origin, error_line));
            return;
        }
        self.scratch.clear();
        let mut reply = Reply::new(&mut self.scratch, options.caller_resp3);
        match convert::lua_to_reply(&value, &mut reply, booleans_as_resp3) {
            Ok(()) => out.buf.extend_from_slice(&self.scratch),
            Err(convert::TooDeep) => out.error("ERR reached lua stack limit"),
        }
        if self.scratch.capacity() > 1 << 20 {
            self.scratch = Vec::new();
        }
    }
}

impl Drop for Interpreter {
    fn drop(&mut self) {
        // SAFETY: made by `Box::into_raw` in `new`; the Lua state, which
        // keeps the pointer, runs no code of ours from here on.
        drop(unsafe { Box::from_raw(self.run) });
    }
}

/// The `EVAL` interpreter and the scripts it has compiled.
pub struct Scripts {
    interpreter: Interpreter,
    /// SHA-1 (lower-case hex) → the compiled script, and the flags of
    /// its `#!lua flags=...` line if it has one.
    cache: HashMap<String, (Function, Option<FunctionFlags>)>,
    keys: Table,
    argv: Table,
    /// The scripts' environment (see `sandbox`).
    env: Table,
    /// Where the command running a script builds its reply, kept from one
    /// run to the next.
    pub reply_buffer: Vec<u8>,
}

impl Scripts {
    /// A new interpreter with an empty cache.
    pub fn new() -> Result<Scripts, String> {
        let interpreter = Interpreter::new()?;
        let globals = interpreter.lua.globals();
        let keys = globals.raw_get("KEYS").map_err(|e| e.to_string())?;
        let argv = globals.raw_get("ARGV").map_err(|e| e.to_string())?;
        let env = interpreter.lua.named_registry_value(sandbox::ENV_KEY).map_err(|e| e.to_string())?;
        Ok(Scripts { interpreter, cache: HashMap::new(), keys, argv, env, reply_buffer: Vec::new() })
    }

    /// Compiles `body` and caches it under its SHA-1, which it returns;
    /// Redis's compile error otherwise.
    pub fn load(&mut self, body: &[u8]) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.cache.contains_key(&sha) {
            return Ok(sha);
        }
        let mut body = body.to_vec();
        let flags = if body.starts_with(b"#!") {
            let flags = shebang_flags(&body)?;
            // The line becomes a comment, so lines keep their numbers.
            body[..2].copy_from_slice(b"--");
            Some(flags)
        } else {
            None
        };
        let function = self
            .interpreter
            .lua
            .load(&body[..])
            .set_name("@user_script")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| format!("ERR Error compiling script (new function): {}", lua_error_text(&e)))?;
        self.cache.insert(sha.clone(), (function, flags));
        Ok(sha)
    }

    /// Whether a script with this SHA-1 (any case) is cached.
    pub fn exists(&self, sha: &[u8]) -> bool {
        self.cached_name(sha).is_some()
    }

    /// The cached script's name for `sha` (any case), if cached.
    pub fn cached_name(&self, sha: &[u8]) -> Option<String> {
        let sha = std::str::from_utf8(sha).ok()?.to_ascii_lowercase();
        self.cache.contains_key(&sha).then_some(sha)
    }

    /// How much memory the interpreter uses, in bytes.
    pub fn used_memory(&self) -> usize {
        self.interpreter.used_memory()
    }

    /// The flags of a cached script's `#!lua` line (`None`: it has none).
    pub fn flags(&self, sha: &str) -> Option<FunctionFlags> {
        self.cache.get(sha).and_then(|(_, flags)| *flags)
    }

    /// Number of cached scripts.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Runs the cached script `sha` (from [`Scripts::cached_name`]) and
    /// writes its reply, or its error, into `out`.
    pub fn run(
        &mut self,
        sha: &str,
        keys: Args<'_>,
        argv: Args<'_>,
        options: RunOptions,
        host: &mut dyn ScriptHost,
        out: &mut Reply<'_>,
    ) {
        let Some(function) = self.cache.get(sha).map(|(f, _)| f.clone()) else {
            out.error("NOSCRIPT No matching script. Please use EVAL.");
            return;
        };
        let lua = &self.interpreter.lua;
        if let Err(e) = fill(lua, &self.keys, &self.argv, keys, argv) {
            out.error(&format!("ERR {e}"));
            return;
        }
        let origin = Origin { name: sha, chunk: "user_script" };
        self.interpreter.call(function, MultiValue::new(), origin, options, host, out);
    }
}

/// The flags of a script's `#!lua flags=a,b` first line, or Redis's
/// error.
fn shebang_flags(body: &[u8]) -> Result<FunctionFlags, String> {
    let end = memchr::memchr(b'\n', body).unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split(' ').filter(|part| !part.is_empty());
    let engine = parts.next().unwrap_or("#!");
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = FunctionFlags::default();
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            if !flags.set(flag.as_bytes()) {
                return Err(format!("ERR Unexpected flag in script shebang: {flag}"));
            }
        }
    }
    Ok(flags)
}

/// Sets `KEYS` and `ARGV` to this run's keys and arguments (clearing
/// what a longer earlier list left behind), in one protected call.
fn fill(lua: &Lua, keys_table: &Table, argv_table: &Table, keys: Args<'_>, argv: Args<'_>) -> mlua::Result<()> {
    // SAFETY: the closure only pushes and sets values on the stack slots
    // it was given (two tables), one at a time within the three slots
    // `exec_raw` guarantees, and holds nothing that needs dropping should
    // Lua raise an error (out of memory).
    unsafe {
        lua.exec_raw::<()>((keys_table, argv_table), |state| {
            let top = ffi::lua_gettop(state);
            fill_raw(state, top - 1, keys);
            fill_raw(state, top, argv);
        })
    }
}

/// Sets the table at stack index `table` to `args`, as [`fill`] says.
///
/// # Safety
/// `state` is in a protected call with a table at `table` and room for
/// one more value.
unsafe fn fill_raw(state: *mut ffi::lua_State, table: std::ffi::c_int, args: Args<'_>) {
    let old = ffi::lua_objlen(state, table);
    for (i, arg) in args.iter().enumerate() {
        ffi::lua_pushlstring(state, arg.as_ptr().cast(), arg.len());
        ffi::lua_rawseti(state, table, (i + 1) as _);
    }
    for i in args.len() + 1..=old {
        ffi::lua_pushnil(state);
        ffi::lua_rawseti(state, table, i as _);
    }
}

/// The text of an error a script raised: an `{err=...}` table's text as
/// it is, anything else as Lua prints it, after `ERR `.
fn error_text(value: &Value) -> String {
    match value {
        Value::Table(table) => match table.raw_get::<Value>("err") {
            Ok(Value::String(text)) => String::from_utf8_lossy(&text.as_bytes()).into_owned(),
            _ => "ERR unknown error".to_string(),
        },
        Value::String(text) => format!("ERR {}", String::from_utf8_lossy(&text.as_bytes())),
        Value::Integer(i) => format!("ERR {i}"),
        Value::Number(n) => format!("ERR {}", lua_number_text(*n)),
        Value::Error(e) => format!("ERR {}", lua_error_text(e)),
        _ => "ERR unknown error".to_string(),
    }
}

/// Redis's suffix naming the script and the line of the error.
fn with_origin(text: &str, origin: Origin<'_>, line: Option<usize>) -> String {
    let line = line.map_or_else(|| "?".to_string(), |l| l.to_string());
    format!("{text} script: {}, on @{}:{line}.", origin.name, origin.chunk)
}

/// An `mlua` error as the Lua message alone (no traceback).
pub(crate) fn lua_error_text(error: &mlua::Error) -> String {
    match error {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(message) | mlua::Error::MemoryError(message) => {
            // The message alone: any traceback a call added goes.
            message.split("\nstack traceback:").next().unwrap_or(message).to_string()
        }
        mlua::Error::CallbackError { cause, .. } => lua_error_text(cause),
        other => other.to_string(),
    }
}
