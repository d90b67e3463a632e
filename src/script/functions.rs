//! Functions (`FUNCTION LOAD`, `FCALL`) as Redis 7.0 defines them: named
//! libraries of Lua code that register functions with
//! `redis.register_function`, kept in an interpreter of their own (so
//! `SCRIPT FLUSH` leaves them alone), and saved with the data.
//!
//! A library's code starts with a `#!lua name=<library>` line. It runs
//! once, at load, in an environment that holds only a reduced `redis`
//! table (`register_function`, `log`, the `LOG_*` levels and the
//! version); every function it registers keeps that environment, which is
//! opened onto the whole Lua world once the load has succeeded, so at
//! call time a function sees what a script sees.
//!
//! Invariant: a load, a delete or a restore either fully happens or
//! changes nothing; [`Functions::codes`] is always the set of libraries
//! that rebuilds the current state.

use std::collections::{BTreeMap, HashMap};

use mlua::{Function, Lua, MultiValue, Table, Value, Variadic};

use super::{lua_error_text, payload, Interpreter, Origin, RunOptions, ScriptHost};
use crate::protocol::{Args, Reply};

/// Flags a function may be registered with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FunctionFlags {
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl FunctionFlags {
    /// Redis's names of the flags set, in Redis's order.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.no_writes, "no-writes"),
            (self.allow_oom, "allow-oom"),
            (self.allow_stale, "allow-stale"),
            (self.no_cluster, "no-cluster"),
            (self.allow_cross_slot_keys, "allow-cross-slot-keys"),
        ];
        all.iter().filter(|(set, _)| *set).map(|&(_, name)| name).collect()
    }

    pub(crate) fn set(&mut self, name: &[u8]) -> bool {
        match name {
            b"no-writes" => self.no_writes = true,
            b"allow-oom" => self.allow_oom = true,
            b"allow-stale" => self.allow_stale = true,
            b"no-cluster" => self.no_cluster = true,
            b"allow-cross-slot-keys" => self.allow_cross_slot_keys = true,
            _ => return false,
        }
        true
    }
}

/// One registered function.
struct Registered {
    name: String,
    callback: Function,
    flags: FunctionFlags,
    description: Option<Vec<u8>>,
}

/// A loaded library.
struct Library {
    code: Vec<u8>,
    functions: Vec<Registered>,
}

/// What `FUNCTION LIST` shows of a library.
pub struct LibraryInfo<'f> {
    pub name: &'f str,
    pub code: &'f [u8],
    pub functions: Vec<FunctionInfo<'f>>,
}

/// What `FUNCTION LIST` shows of a function: name, description, flags.
pub type FunctionInfo<'f> = (&'f str, Option<&'f [u8]>, Vec<&'static str>);

/// How `FUNCTION RESTORE` treats the libraries already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Fails if a library of the payload already exists.
    Append,
    /// Deletes every library first.
    Flush,
    /// A library of the payload replaces one of the same name.
    Replace,
}

/// Functions being registered by a library's code while it loads.
#[derive(Default)]
struct Registering {
    functions: Vec<Registered>,
}

/// The functions interpreter and its libraries.
pub struct Functions {
    interpreter: Interpreter,
    libraries: BTreeMap<String, Library>,
    /// Function name (lower-case: names match in any case) → its library.
    index: HashMap<String, String>,
    /// `new_env(load_redis)` → an environment and its metatable; see the
    /// module doc.
    new_env: Function,
}

/// Builds library environments: at load only `redis` (the reduced one),
/// afterwards everything (`mt.__index = _G`).
const ENVIRONMENTS: &str = r#"
local real_G, error, tostring, setmetatable = _G, error, tostring, setmetatable
local function missing(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end
local function readonly()
    error("Attempt to modify a readonly table", 2)
end
local load_redis = ...
setmetatable(load_redis, { __index = missing, __newindex = readonly, __metatable = false })
return function()
    local mt = { __newindex = readonly, __metatable = false }
    mt.__index = function(_, name)
        if name == "redis" then return load_redis end
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return setmetatable({}, mt), mt
end
"#;

impl Functions {
    pub fn new() -> Result<Functions, String> {
        let interpreter = Interpreter::new()?;
        // Functions get their keys and arguments as parameters.
        let globals = interpreter.lua.globals();
        for name in ["KEYS", "ARGV"] {
            globals.raw_set(name, Value::Nil).map_err(|e| e.to_string())?;
        }
        let new_env = Self::environments(&interpreter.lua).map_err(|e| e.to_string())?;
        Ok(Functions { interpreter, libraries: BTreeMap::new(), index: HashMap::new(), new_env })
    }

    fn environments(lua: &Lua) -> mlua::Result<Function> {
        let globals = lua.globals();
        let redis: Table = globals.raw_get("redis")?;
        let load_redis = lua.create_table()?;
        for name in
            ["log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"]
        {
            load_redis.raw_set(name, redis.get::<Value>(name)?)?;
        }
        load_redis.raw_set("register_function", lua.create_function(register_function)?)?;
        lua.load(ENVIRONMENTS).set_name("=function_env").call(load_redis)
    }

    /// Loads a library (`FUNCTION LOAD [REPLACE]`); its name, or Redis's
    /// error.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        let name = library_name(code)?;
        if !replace && self.libraries.contains_key(&name) {
            return Err(format!("ERR Library '{name}' already exists"));
        }
        let functions = self.run_library_code(code)?;
        for function in &functions {
            if self.index.get(&function.name.to_ascii_lowercase()).is_some_and(|owner| *owner != name) {
                return Err(format!("ERR Function {} already exists", function.name));
            }
        }
        self.remove(&name);
        for function in &functions {
            self.index.insert(function.name.to_ascii_lowercase(), name.clone());
        }
        self.libraries.insert(name.clone(), Library { code: code.to_vec(), functions });
        Ok(name)
    }

    /// Runs a library's code in a fresh load environment and returns what
    /// it registered.
    fn run_library_code(&mut self, code: &[u8]) -> Result<Vec<Registered>, String> {
        let lua = &self.interpreter.lua;
        let (env, metatable): (Table, Table) = self.new_env.call(()).map_err(|e| e.to_string())?;
        // The shebang line becomes a comment, so lines keep their numbers.
        let mut body = code.to_vec();
        body[..2].copy_from_slice(b"--");
        let chunk = lua
            .load(&body[..])
            .set_name("@user_function")
            .set_environment(env)
            .into_function()
            .map_err(|e| format!("ERR Error compiling function: {}", lua_error_text(&e)))?;
        lua.set_app_data(Registering::default());
        let outcome = chunk.call::<()>(());
        let registered = lua.remove_app_data::<Registering>().unwrap_or_default();
        outcome.map_err(|e| format!("ERR Error registering functions: ERR {}", lua_error_text(&e)))?;
        if registered.functions.is_empty() {
            return Err("ERR No functions registered".to_string());
        }
        metatable.raw_set("__index", lua.globals()).map_err(|e| e.to_string())?;
        Ok(registered.functions)
    }

    fn remove(&mut self, library: &str) -> bool {
        let Some(old) = self.libraries.remove(library) else { return false };
        for function in old.functions {
            self.index.remove(&function.name.to_ascii_lowercase());
        }
        true
    }

    /// `FUNCTION DELETE`.
    pub fn delete(&mut self, library: &str) -> Result<(), String> {
        if self.remove(library) {
            Ok(())
        } else {
            Err("ERR Library not found".to_string())
        }
    }

    /// Every library's code, in name order: what rebuilds this state.
    pub fn codes(&self) -> Vec<&[u8]> {
        self.libraries.values().map(|library| &library.code[..]).collect()
    }

    /// `FUNCTION LIST`, filtered by a library name test.
    pub fn list(&self, mut wanted: impl FnMut(&str) -> bool) -> Vec<LibraryInfo<'_>> {
        self.libraries
            .iter()
            .filter(|(name, _)| wanted(name))
            .map(|(name, library)| LibraryInfo {
                name,
                code: &library.code,
                functions: library
                    .functions
                    .iter()
                    .map(|f| (f.name.as_str(), f.description.as_deref(), f.flags.names()))
                    .collect(),
            })
            .collect()
    }

    /// How much memory the interpreter uses, in bytes.
    pub fn used_memory(&self) -> usize {
        self.interpreter.used_memory()
    }

    /// Number of libraries and of functions.
    pub fn counts(&self) -> (usize, usize) {
        (self.libraries.len(), self.index.len())
    }

    /// `FUNCTION DUMP`.
    pub fn dump(&self) -> Vec<u8> {
        payload::encode(&self.codes())
    }

    /// `FUNCTION RESTORE`: all the payload's libraries or none.
    pub fn restore(&mut self, data: &[u8], policy: RestorePolicy) -> Result<(), String> {
        let codes = payload::decode(data)?;
        let before: Vec<Vec<u8>> = self.codes().into_iter().map(<[u8]>::to_vec).collect();
        if policy == RestorePolicy::Flush {
            self.libraries.clear();
            self.index.clear();
        }
        let mut failure = None;
        for code in &codes {
            if policy == RestorePolicy::Append {
                if let Ok(name) = library_name(code) {
                    if self.libraries.contains_key(&name) {
                        failure = Some(format!("ERR Library {name} already exists"));
                        break;
                    }
                }
            }
            if let Err(why) = self.load(code, policy != RestorePolicy::Append) {
                failure = Some(why);
                break;
            }
        }
        let Some(why) = failure else { return Ok(()) };
        self.libraries.clear();
        self.index.clear();
        for code in before {
            let _ = self.load(&code, true);
        }
        Err(why)
    }

    /// The flags of function `name`, if it exists.
    pub fn flags(&self, name: &str) -> Option<FunctionFlags> {
        self.find(name).map(|f| f.flags)
    }

    fn find(&self, name: &str) -> Option<&Registered> {
        let library = self.index.get(&name.to_ascii_lowercase())?;
        self.libraries[library].functions.iter().find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Calls function `name` (checked with [`Functions::flags`]) with its
    /// keys and arguments.
    pub fn call(
        &mut self,
        name: &str,
        keys: Args<'_>,
        argv: Args<'_>,
        options: RunOptions,
        host: &mut dyn ScriptHost,
        out: &mut Reply<'_>,
    ) {
        let Some((callback, registered_name)) = self.find(name).map(|f| (f.callback.clone(), f.name.clone())) else {
            out.error("ERR Function not found");
            return;
        };
        let lua = &self.interpreter.lua;
        let tables = (|| -> mlua::Result<MultiValue> {
            let keys_table =
                lua.create_sequence_from(keys.iter().map(|k| lua.create_string(k)).collect::<Result<Vec<_>, _>>()?)?;
            let argv_table =
                lua.create_sequence_from(argv.iter().map(|a| lua.create_string(a)).collect::<Result<Vec<_>, _>>()?)?;
            Ok(MultiValue::from_iter([Value::Table(keys_table), Value::Table(argv_table)]))
        })();
        match tables {
            Ok(args) => {
                let origin = Origin { name: &registered_name, chunk: "user_function" };
                self.interpreter.call(callback, args, origin, options, host, out);
            }
            Err(e) => out.error(&format!("ERR {e}")),
        }
    }
}

/// The library name of a `#!lua name=<name>` first line.
fn library_name(code: &[u8]) -> Result<String, String> {
    if !code.starts_with(b"#!") {
        return Err("ERR Missing library metadata".to_string());
    }
    let line_end = memchr::memchr(b'\n', code).unwrap_or(code.len());
    let line = String::from_utf8_lossy(&code[2..line_end]);
    let mut parts = line.trim_end_matches('\r').split(' ').filter(|part| !part.is_empty());
    let engine = parts.next().unwrap_or("");
    if !engine.eq_ignore_ascii_case("lua") {
        return Err(format!("ERR Engine '{engine}' not found"));
    }
    let mut name = None;
    for part in parts {
        match part.strip_prefix("name=") {
            Some(_) if name.is_some() => {
                return Err("ERR Invalid metadata value, name argument was given multiple times".to_string())
            }
            Some(value) => name = Some(value.to_string()),
            None => return Err(format!("ERR Invalid metadata value given: {part}")),
        }
    }
    let name = name.ok_or_else(|| "ERR Library name was not given".to_string())?;
    if !valid_name(&name) {
        return Err(
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
                .to_string(),
        );
    }
    Ok(name)
}

/// A string argument as Lua's `tostring` sees strings and numbers.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(String::from_utf8_lossy(&text.as_bytes()).into_owned()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(super::lua_number_text(*n)),
        _ => None,
    }
}

/// Letters, digits and `_`, at least one.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `redis.register_function(name, callback)` or
/// `redis.register_function{function_name=..., callback=..., flags={...},
/// description=...}`, while a library loads.
fn register_function(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    let fail = |text: &str| Err(mlua::Error::runtime(text));
    let function = match &args[..] {
        [Value::Table(named)] => {
            let mut name = None;
            let mut callback = None;
            let mut flags = FunctionFlags::default();
            let mut description = None;
            for pair in named.pairs::<Value, Value>() {
                let (key, value) = pair?;
                let key = match &key {
                    Value::String(key) => key.as_bytes().to_vec(),
                    _ => return fail("named argument key given to redis.register_function is not a string"),
                };
                match (&key[..], value) {
                    (b"function_name", value) if text_of(&value).is_some() => name = text_of(&value),
                    (b"function_name", _) => return fail("function_name argument given to redis.register_function must be a string"),
                    (b"description", value) if text_of(&value).is_some() => {
                        description = text_of(&value).map(String::into_bytes)
                    }
                    (b"description", _) => return fail("description argument given to redis.register_function must be a string"),
                    (b"callback", Value::Function(f)) => callback = Some(f),
                    (b"callback", _) => return fail("callback argument given to redis.register_function must be a function"),
                    (b"flags", Value::Table(list)) => {
                        for flag in list.sequence_values::<Value>() {
                            match flag? {
                                Value::String(flag) if flags.set(&flag.as_bytes()) => {}
                                _ => return fail("unknown flag given"),
                            }
                        }
                    }
                    (b"flags", _) => return fail("flags argument to redis.register_function must be a table representing function flags"),
                    _ => return fail("unknown argument given to redis.register_function"),
                }
            }
            let Some(name) = name else { return fail("redis.register_function must get a function name argument") };
            let Some(callback) = callback else { return fail("redis.register_function must get a callback argument") };
            Registered { name, callback, flags, description }
        }
        [name, callback] => {
            let Some(name) = text_of(name) else {
                return fail("first argument to redis.register_function must be a string");
            };
            let Value::Function(callback) = callback else {
                return fail("second argument to redis.register_function must be a function");
            };
            Registered { name, callback: callback.clone(), flags: FunctionFlags::default(), description: None }
        }
        [_] => {
            return fail(
                "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
            )
        }
        _ => return fail("wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&function.name) {
        return fail(
            "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        );
    }
    let Some(mut registering) = lua.app_data_mut::<Registering>() else {
        return fail("redis.register_function can only be called on FUNCTION LOAD command");
    };
    if registering.functions.iter().any(|f| f.name.eq_ignore_ascii_case(&function.name)) {
        return fail("Function already exists in the library");
    }
    registering.functions.push(function);
    Ok(())
}
