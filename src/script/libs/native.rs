//! What the libraries share to behave like C code in the Lua C API: library
//! functions that fail exactly as C library functions do, a C-level `next`
//! to walk tables, and the C conventions they reproduce (the C stack limit,
//! conversions from double, Lua's type names and its type errors).
//!
//! A library function is a Rust body that returns its results or a
//! [`Raise`]. [`function`] (arguments as a slice) and [`function_args`]
//! (arguments as [`Args`]) make it a C closure, [`call_body`], whose one
//! upvalue is the body wrapped as an `mlua` function. The closure calls the
//! body with `lua_call`. A failure comes back as a tagged result and the
//! closure raises it itself, so the error value is a plain string made as
//! the C library makes it: `luaL_argerror` names the function as the caller
//! sees it and numbers arguments as the C library does, including method
//! calls (`self` is not counted, and a bad `self` is reported as such);
//! `luaL_error` puts the caller's position in front of the message; some
//! errors are raised as they are. Errors of the embedding itself (memory,
//! conversions) pass through as `mlua` raises them.
//!
//! With [`function_args`], more than [`INLINE_ARGS`] arguments travel to the
//! body packed in a table, and a body may return its results in a table
//! ([`spread`]) that the closure pushes onto the stack, so a call never
//! holds more than a few references of the `mlua` state however many values
//! it takes or gives.
//!
//! # Safety
//!
//! The unsafe code is [`call_body`], pushed by [`wrap`], and [`raw_next`],
//! created by [`Next::new`]. Their invariants:
//!
//! - `call_body` is only ever pushed as a C closure with exactly one upvalue,
//!   the body's `mlua` function ([`wrap`] is the only place that pushes it).
//! - Tagged results are made only in this module, always in the same shape:
//!   a failure is `(FAIL tag, kind, argument number, message string)` and a
//!   spread result is `(SPREAD tag, table, count)`. The tags are addresses
//!   of a private static, so no other value equals them. Lua code cannot
//!   replace a closure's upvalue or call it directly: that takes the
//!   `debug` library, which the scripting sandbox does not load.
//! - Every push stays within the slots Lua guarantees a C function
//!   (`LUA_MINSTACK` above its arguments): one above the arguments to pack
//!   or call them, two above a failure's four results to raise it, and
//!   spread results are pushed only after `lua_checkstack` has made room.
//! - Lua errors unwind out of `call_body` and `raw_next` (from the body,
//!   from `lua_next`, and the failures raised on purpose); no Rust value that
//!   needs dropping is alive in either frame when they do.
//! - `raw_next` is reachable only through [`Next::call`], whose signature
//!   makes argument 1 a table; an invalid key is a Lua error, not undefined
//!   behaviour.

use std::ffi::{c_int, c_void};

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Table, Value, Variadic};

/// Slots the Lua C API lets a C function use (`LUAI_MAXCSTACK`).
pub const MAX_C_STACK: i64 = 8000;

/// 2^63, the bound of C conversions from double to 64-bit integers.
pub const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// A C conversion from double to a signed 64-bit integer on x86-64 (out of
/// range and NaN give INT64_MIN).
pub fn c_i64(n: f64) -> i64 {
    if (-I64_LIMIT..I64_LIMIT).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// The value of a number, without string conversion.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// Lua's name for the type of a value.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// How a library function fails.
pub enum Raise {
    /// `luaL_error(msg)`: the message prefixed with the caller's position.
    Error(Vec<u8>),
    /// `luaL_argerror(narg, msg)`.
    Arg(c_int, Vec<u8>),
    /// A Lua runtime error raised from C code: the message alone.
    Plain(Vec<u8>),
    /// An error from the embedding (memory, conversions) passed through as is.
    Lua(mlua::Error),
}

impl Raise {
    /// `luaL_typerror(narg, expected)`: argument `narg` is `got`, or absent
    /// (`no value`) when `got` is `None`.
    pub fn type_error(narg: usize, expected: &str, got: Option<&Value>) -> Raise {
        let got = got.map_or("no value", type_name);
        Raise::Arg(narg as c_int, format!("{expected} expected, got {got}").into())
    }
}

impl From<mlua::Error> for Raise {
    fn from(e: mlua::Error) -> Self {
        Raise::Lua(e)
    }
}

/// Arguments [`function_args`] passes inline to the body; more travel in a
/// table.
const INLINE_ARGS: c_int = 8;

/// Their addresses tag a failure, a spread result and packed arguments.
static TAGS: [u8; 3] = [0; 3];
const FAIL: usize = 0;
const SPREAD: usize = 1;
const PACKED: usize = 2;

fn tag(which: usize) -> *mut c_void {
    std::ptr::addr_of!(TAGS[which]) as *mut c_void
}

/// How [`call_body`] raises a failure: after `luaL_where`, with
/// `luaL_argerror`, or as it is.
const POSITIONED: ffi::lua_Integer = 0;
const ARGUMENT: ffi::lua_Integer = 1;
const PLAIN: ffi::lua_Integer = 2;

/// The arguments of a call, 1-based as in the Lua C API.
pub struct Args {
    inline: Vec<Value>,
    packed: Option<Table>,
    len: usize,
}

impl Args {
    /// The arguments as the body's `mlua` function receives them: as they
    /// are, or packed by [`call_body`].
    fn new(values: Variadic<Value>) -> Args {
        if matches!(values.first(), Some(Value::LightUserData(p)) if p.0 == tag(PACKED)) {
            let len = match values.get(2) {
                Some(Value::Integer(n)) => *n as usize,
                _ => 0,
            };
            Args { inline: Vec::new(), packed: values.get(1).and_then(Value::as_table).cloned(), len }
        } else {
            let len = values.len();
            Args { inline: Vec::from(values), packed: None, len }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Argument `i`, `None` past the last one.
    pub fn get(&self, i: usize) -> mlua::Result<Option<Value>> {
        if i == 0 || i > self.len {
            return Ok(None);
        }
        match &self.packed {
            Some(t) => t.raw_get(i).map(Some),
            None => Ok(self.inline.get(i - 1).cloned()),
        }
    }
}

/// Results to return from a table holding them at 1..n (for bodies made
/// into functions by [`function_args`]).
pub fn spread(results: Table, n: i64) -> Result<MultiValue, Raise> {
    let tag = Value::LightUserData(LightUserData(tag(SPREAD)));
    Ok(MultiValue::from_vec(vec![tag, Value::Table(results), Value::Integer(n)]))
}

/// Makes `body` a Lua function that raises its failures as the C library
/// does; the body gets the arguments as they are.
pub fn function(
    lua: &Lua,
    body: impl Fn(&Lua, &[Value]) -> Result<MultiValue, Raise> + 'static,
) -> mlua::Result<Function> {
    wrap::<false>(lua, Box::new(move |lua, values| body(lua, &values)))
}

/// Like [`function`], with the arguments as [`Args`]: more than
/// [`INLINE_ARGS`] of them come packed in a table. The body may return
/// [`spread`] results.
pub fn function_args(
    lua: &Lua,
    body: impl Fn(&Lua, &Args) -> Result<MultiValue, Raise> + 'static,
) -> mlua::Result<Function> {
    wrap::<true>(lua, Box::new(move |lua, values| body(lua, &Args::new(values))))
}

type Body = dyn Fn(&Lua, Variadic<Value>) -> Result<MultiValue, Raise>;

/// The C closure [`call_body`] around `body`; `PACK`: whether many
/// arguments are packed.
fn wrap<const PACK: bool>(lua: &Lua, body: Box<Body>) -> mlua::Result<Function> {
    let inner = lua.create_function(move |lua, values: Variadic<Value>| {
        let (kind, narg, msg) = match body(lua, values) {
            Ok(values) => return Ok(values),
            Err(Raise::Lua(e)) => return Err(e),
            Err(Raise::Error(msg)) => (POSITIONED, 0, msg),
            Err(Raise::Arg(narg, msg)) => (ARGUMENT, narg, msg),
            Err(Raise::Plain(msg)) => (PLAIN, 0, msg),
        };
        let (tag, msg) = (LightUserData(tag(FAIL)), lua.create_string(msg)?);
        let (kind, narg) = (Value::Integer(kind), Value::Integer(narg.into()));
        Ok(MultiValue::from_vec(vec![Value::LightUserData(tag), kind, narg, Value::String(msg)]))
    })?;
    // SAFETY: `call_body` follows the Lua C API protocol for a C closure with
    // one upvalue, which is exactly what is pushed here.
    unsafe { lua.exec_raw(inner, |state| ffi::lua_pushcclosure(state, call_body::<PACK>, 1)) }
}

/// The C side of [`wrap`]: calls upvalue 1 with the arguments (packed in a
/// table when `PACK` and there are more than [`INLINE_ARGS`]), raises tagged
/// failures and spreads tagged results. No Rust value that needs dropping
/// is alive when an error unwinds out of this frame.
unsafe extern "C-unwind" fn call_body<const PACK: bool>(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state, the closure has one upvalue,
    // and every push stays within the slots a C function is guaranteed.
    unsafe {
        let mut nargs = ffi::lua_gettop(state);
        if PACK && nargs > INLINE_ARGS {
            ffi::lua_createtable(state, nargs, 0);
            ffi::lua_insert(state, 1);
            for i in (1..=nargs).rev() {
                ffi::lua_rawseti(state, 1, i.into());
            }
            ffi::lua_pushlightuserdata(state, tag(PACKED));
            ffi::lua_insert(state, 1);
            ffi::lua_pushinteger(state, nargs as ffi::lua_Integer);
            nargs = 3;
        }
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let nres = ffi::lua_gettop(state);
        if nres == 0 || ffi::lua_type(state, 1) != ffi::LUA_TLIGHTUSERDATA {
            return nres;
        }
        let first = ffi::lua_touserdata(state, 1);
        if first == tag(SPREAD) && nres == 3 {
            let n = ffi::lua_tointeger(state, 3) as c_int;
            ffi::lua_settop(state, 2);
            ffi::lua_remove(state, 1);
            if ffi::lua_checkstack(state, n) == 0 {
                ffi::luaL_error(state, c"stack overflow (too many results)".as_ptr());
            }
            for i in 1..=n {
                ffi::lua_rawgeti(state, 1, i as ffi::lua_Integer);
            }
            ffi::lua_remove(state, 1);
            return n;
        }
        if first != tag(FAIL) || nres != 4 {
            return nres;
        }
        match ffi::lua_tointeger(state, 2) {
            ARGUMENT => {
                let narg = ffi::lua_tointeger(state, 3) as c_int;
                ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, 4));
            }
            PLAIN => ffi::lua_pushvalue(state, 4),
            _ => {
                ffi::luaL_where(state, 1);
                ffi::lua_pushvalue(state, 4);
                ffi::lua_concat(state, 2);
            }
        }
        ffi::lua_error(state)
    }
}

/// `next` for tables as a C function, to walk a table one entry at a time
/// without holding a reference per key.
pub struct Next(Function);

impl Next {
    pub fn new(lua: &Lua) -> mlua::Result<Next> {
        // SAFETY: `raw_next` follows the Lua C API protocol, and it is only
        // called by `Next::call`, with a table as argument 1.
        unsafe { lua.create_c_function(raw_next) }.map(Next)
    }

    /// The entry of `t` after `key` (the first after nil), or nils after
    /// the last one.
    pub fn call(&self, t: &Table, key: &Value) -> mlua::Result<(Value, Value)> {
        self.0.call((t, key))
    }
}

/// `(t, k) -> k2, v2` or `nil`.
unsafe extern "C-unwind" fn raw_next(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state; argument 1 is a table.
    unsafe {
        ffi::lua_settop(state, 2);
        if ffi::lua_next(state, 1) != 0 {
            return 2;
        }
        ffi::lua_pushnil(state);
        1
    }
}
