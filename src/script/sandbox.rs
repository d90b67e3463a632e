//! The Lua world a script sees, built once per interpreter: Lua 5.1's
//! base, `table`, `string` and `math` libraries, the `bit`, `cjson`,
//! `cmsgpack` and `struct` libraries, the `redis` table, and nothing that
//! reaches outside the server (`io`, `os`, `require`, `loadfile`,
//! `dofile`, `print`, `debug` are absent).
//!
//! The global table is closed as Redis 7.0 closes it: reading a global
//! that does not exist and creating a new one are errors ("Script
//! attempted to access nonexistent global variable 'x'", "Attempt to
//! modify a readonly table"), so a script cannot leak state into the next
//! one. Redis's interpreter also makes the library tables read-only, which
//! a stock Lua cannot; here a script could still change `string.rep` for
//! itself and later scripts (until `SCRIPT FLUSH` makes a new
//! interpreter).

use mlua::{Function, Lua, LuaOptions, MultiValue, StdLib, Table, Value, Variadic};

use super::{call, convert, run_state, LOG_LEVELS};

/// Globals of the base library that stay; the others go.
const KEPT_BASE: &[&str] = &[
    "_G",
    "_VERSION",
    "assert",
    "collectgarbage",
    "coroutine",
    "error",
    "gcinfo",
    "getmetatable",
    "ipairs",
    "load",
    "loadstring",
    "math",
    "next",
    "pairs",
    "pcall",
    "rawequal",
    "rawget",
    "rawset",
    "select",
    "setmetatable",
    "string",
    "table",
    "tonumber",
    "tostring",
    "type",
    "unpack",
    "xpcall",
];

/// Closes the Lua world as Redis's patched interpreter does, with stock
/// Lua: the global table and the library tables are replaced by
/// read-only proxies (`rawset`, `setmetatable`, `rawget`, `next` and
/// `pairs` see through them), and `pcall` hands a Redis error raised by
/// `redis.call` back as its text. Returns the scripts' environment, the
/// proxy of the global table (also what `_G` names).
const PRELUDE: &str = r#"
local real_G = _G
local error, tostring, type, rawget, rawset, setmetatable, next, real_pcall, ipairs =
    error, tostring, type, rawget, rawset, setmetatable, next, pcall, ipairs
local protected = setmetatable({}, { __mode = "k" })
local function readonly()
    error("Attempt to modify a readonly table", 2)
end
local function proxy(real)
    local p = setmetatable({}, { __index = real, __newindex = readonly, __metatable = false })
    protected[p] = real
    return p
end
for _, name in ipairs({ "string", "math", "table", "coroutine", "cjson", "bit", "struct", "cmsgpack", "redis" }) do
    local lib = rawget(real_G, name)
    if lib ~= nil then rawset(real_G, name, proxy(lib)) end
end
local function redis_error_as_text(ok, ...)
    if not ok then
        local e = ...
        if type(e) == "table" and type(rawget(e, "err")) == "string" then return false, rawget(e, "err") end
    end
    return ok, ...
end
rawset(real_G, "pcall", function(f, ...) return redis_error_as_text(real_pcall(f, ...)) end)
rawset(real_G, "rawset", function(t, k, v)
    if protected[t] or t == real_G then error("Attempt to modify a readonly table", 0) end
    return rawset(t, k, v)
end)
rawset(real_G, "setmetatable", function(t, mt)
    if protected[t] or t == real_G then error("Attempt to modify a readonly table", 0) end
    return setmetatable(t, mt)
end)
rawset(real_G, "rawget", function(t, k) return rawget(protected[t] or t, k) end)
local see_through_next = function(t, k) return next(protected[t] or t, k) end
rawset(real_G, "next", see_through_next)
rawset(real_G, "pairs", function(t) return see_through_next, t, nil end)
local env = proxy(real_G)
rawset(real_G, "_G", env)
setmetatable(real_G, {
    __index = function(_, name)
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end,
    __newindex = readonly,
    __metatable = false,
})
return env
"#;

/// Where the registry keeps the scripts' environment.
pub const ENV_KEY: &str = "efis.env";

/// A new interpreter with the whole Lua world of a script.
pub fn new_interpreter() -> mlua::Result<Lua> {
    let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
    let globals = lua.globals();
    let names: Vec<String> = globals.pairs::<String, Value>().filter_map(Result::ok).map(|(name, _)| name).collect();
    for name in names {
        if !KEPT_BASE.contains(&name.as_str()) {
            globals.raw_set(name, Value::Nil)?;
        }
    }
    super::libs::open_all(&lua)?;
    globals.raw_set("redis", redis_table(&lua)?)?;
    globals.raw_set("KEYS", lua.create_table()?)?;
    globals.raw_set("ARGV", lua.create_table()?)?;
    globals.raw_set("__redis__err__handler", lua.create_function(error_handler)?)?;
    let redis: Table = globals.raw_get("redis")?;
    // SAFETY: both functions keep to the discipline of `call`'s module doc.
    unsafe {
        redis.raw_set("call", lua.create_c_function(call::redis_call)?)?;
        redis.raw_set("pcall", lua.create_c_function(call::redis_pcall)?)?;
    }
    let env: Table = lua.load(PRELUDE).set_name("=redis_lib").call(())?;
    lua.set_named_registry_value(ENV_KEY, env)?;
    Ok(lua)
}

/// What `redis.error_reply` and `redis.status_reply` answer when not
/// given one string.
const WRONG_ARGUMENTS: &[u8] = b"ERR wrong number or type of arguments";

/// The `redis` table, but for `call` and `pcall` (C functions, see
/// `call.rs`).
fn redis_table(lua: &Lua) -> mlua::Result<Table> {
    let redis = lua.create_table()?;
    redis.raw_set("REDIS_VERSION", crate::REDIS_COMPAT_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_number(crate::REDIS_COMPAT_VERSION))?;
    for (name, level) in LOG_LEVELS {
        redis.raw_set(*name, *level)?;
    }
    for (name, value) in [("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        redis.raw_set(name, value)?;
    }
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, args: Variadic<Value>| {
            let [Value::String(text)] = &args[..] else { return convert::error_table(lua, WRONG_ARGUMENTS) };
            // "-CODE message" or "CODE message" keep their code; a text
            // without one gets ERR.
            let text = text.as_bytes();
            let text = text.strip_prefix(b"-").unwrap_or(&text);
            if text.contains(&b' ') {
                convert::error_table(lua, text)
            } else {
                convert::error_table(lua, &[b"ERR ", text].concat())
            }
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, args: Variadic<Value>| {
            let [Value::String(text)] = &args[..] else { return convert::error_table(lua, WRONG_ARGUMENTS) };
            let table = lua.create_table_with_capacity(0, 1)?;
            table.raw_set("ok", text.clone())?;
            Ok(table)
        })?,
    )?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|_, args: Variadic<Value>| match args.first() {
            Some(Value::String(text)) if args.len() == 1 => Ok(super::sha1_hex(&text.as_bytes()).to_string()),
            Some(Value::Integer(i)) if args.len() == 1 => Ok(super::sha1_hex(i.to_string().as_bytes()).to_string()),
            Some(Value::Number(n)) if args.len() == 1 => {
                Ok(super::sha1_hex(convert::lua_number_text(*n).as_bytes()).to_string())
            }
            _ => Err(mlua::Error::runtime("wrong number of arguments")),
        })?,
    )?;
    redis.raw_set("log", lua.create_function(log)?)?;
    redis.raw_set("setresp", lua.create_function(setresp)?)?;
    redis.raw_set("set_repl", lua.create_function(set_repl)?)?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    redis.raw_set("acl_check_cmd", lua.create_function(|_, _: MultiValue| Ok(true))?)?;
    Ok(redis)
}

/// `7.0.15` as Redis's `0x00MMmmpp` number.
fn version_number(version: &str) -> i64 {
    version.split('.').take(3).fold(0, |acc, part| (acc << 8) | part.parse::<i64>().unwrap_or(0))
}

fn log(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(mlua::Error::runtime("redis.log() requires two arguments or more."));
    }
    let level = match &args[0] {
        Value::Integer(level) if (0..=3).contains(level) => *level,
        Value::Number(level) if (0.0..=3.0).contains(level) => *level as i64,
        Value::Integer(_) | Value::Number(_) => return Err(mlua::Error::runtime("Invalid debug level.")),
        _ => return Err(mlua::Error::runtime("First argument must be a number (log level).")),
    };
    let mut message = String::new();
    for (i, part) in args.iter().skip(1).enumerate() {
        if i > 0 {
            message.push(' ');
        }
        match part {
            Value::String(text) => message.push_str(&String::from_utf8_lossy(&text.as_bytes())),
            Value::Integer(i) => message.push_str(&i.to_string()),
            Value::Number(n) => message.push_str(&convert::lua_number_text(*n)),
            _ => {}
        }
    }
    // SAFETY: a callback of the binding; nothing else uses the state now.
    if let Some(state) = run_state(lua).map(|ptr| unsafe { &mut *ptr }) {
        state.log(level, &message);
    }
    Ok(())
}

/// A Lua value as `lua_tonumber` reads it (numbers, and strings that
/// hold one).
fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(v) => Some(*v as f64),
        Value::Number(v) => Some(*v),
        Value::String(text) => std::str::from_utf8(&text.as_bytes()).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn setresp(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(mlua::Error::runtime("redis.setresp() requires one argument."));
    }
    let version = to_number(&args[0]).unwrap_or(0.0) as i64;
    if version != 2 && version != 3 {
        return Err(mlua::Error::runtime("RESP version must be 2 or 3."));
    }
    // SAFETY: as in `log`.
    if let Some(state) = run_state(lua).map(|ptr| unsafe { &mut *ptr }) {
        state.resp3 = version == 3;
    }
    Ok(())
}

fn set_repl(_: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    if args.len() != 1 {
        return Err(mlua::Error::runtime("redis.set_repl() requires two arguments."));
    }
    let flags = to_number(&args[0]).unwrap_or(-1.0) as i64;
    if !(0..=3).contains(&flags) {
        return Err(mlua::Error::runtime(
            "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
        ));
    }
    Ok(())
}

/// The message handler every script runs under (`xpcall`): notes the
/// script's line where the error happened, for the reply's
/// `on @user_script:<line>.` suffix, and passes the error on.
fn error_handler(lua: &Lua, error: Value) -> mlua::Result<Value> {
    let mut line = None;
    for level in 0..64 {
        let Some(found) = lua.inspect_stack(level, |debug| {
            let source = debug.source();
            let ours = source.source.as_deref().is_some_and(|s| s.starts_with("@user_"));
            (ours, debug.current_line())
        }) else {
            break;
        };
        if let (true, Some(current)) = found {
            line = Some(current);
            break;
        }
    }
    // SAFETY: as in `log`.
    if let Some(state) = run_state(lua).map(|ptr| unsafe { &mut *ptr }) {
        state.error_line = line;
    }
    Ok(error)
}

/// `xpcall`, kept aside before a script can replace the global.
pub fn protected_caller(lua: &Lua) -> mlua::Result<(Function, Function)> {
    let globals = lua.globals();
    Ok((globals.raw_get("xpcall")?, globals.raw_get("__redis__err__handler")?))
}
