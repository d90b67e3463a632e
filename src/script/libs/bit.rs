//! The `bit` library: LuaBitOp 1.0.2 operations on 32-bit integers stored in
//! Lua numbers (`tobit`, `tohex`, `bnot`, `band`, `bor`, `bxor`, `lshift`,
//! `rshift`, `arshift`, `rol`, `ror`, `bswap`).
//!
//! Numbers are normalised the way LuaBitOp does it on a double-based Lua: the
//! argument is added to 2^52+2^51 and the low 32 bits of the resulting IEEE 754
//! pattern are taken, so fractions round to nearest-even and values wrap
//! modulo 2^32. Results are returned as signed 32-bit values. Strings that Lua
//! can convert to numbers are accepted; anything else raises
//! `bad argument #N to 'f' (number expected, got T)`.
//!
//! Differences from the C library: `bit.tohex(x, n)` with `n == -2^31` is
//! undefined behaviour in C (it overruns a stack buffer); here it yields eight
//! upper-case digits. Each function is a C closure that calls its Rust body
//! through `lua_call`, so it uses one more level of the C call depth limit
//! (200) than the C version.

use std::ffi::{c_int, c_void};

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Value, Variadic};

/// Registers the global table `bit`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    type Body = fn(&Lua, &[Value]) -> Result<i32, Raise>;
    let funcs: [(&str, Body); 11] = [
        ("tobit", |l, a| Ok(barg(l, a, 1)? as i32)),
        ("bnot", |l, a| Ok(!barg(l, a, 1)? as i32)),
        ("band", |l, a| fold(l, a, |x, y| x & y)),
        ("bor", |l, a| fold(l, a, |x, y| x | y)),
        ("bxor", |l, a| fold(l, a, |x, y| x ^ y)),
        ("lshift", |l, a| shift(l, a, |b, n| b << n)),
        ("rshift", |l, a| shift(l, a, |b, n| b >> n)),
        ("arshift", |l, a| shift(l, a, |b, n| ((b as i32) >> n) as u32)),
        ("rol", |l, a| shift(l, a, u32::rotate_left)),
        ("ror", |l, a| shift(l, a, u32::rotate_right)),
        ("bswap", |l, a| Ok(barg(l, a, 1)?.swap_bytes() as i32)),
    ];
    let bit = lua.create_table()?;
    for (name, body) in funcs {
        let f = native(lua, move |lua, args| Ok(MultiValue::from_vec(vec![Value::Number(body(lua, args)?.into())])))?;
        bit.set(name, f)?;
    }
    bit.set("tohex", native(lua, tohex)?)?;
    lua.globals().set("bit", bit)
}

/// Converts argument `idx` (1-based) to its 32-bit pattern.
fn barg(lua: &Lua, args: &[Value], idx: usize) -> Result<u32, Raise> {
    let v = args.get(idx - 1);
    let n = match v {
        Some(Value::Integer(i)) => Some(*i as f64),
        Some(Value::Number(n)) => Some(*n),
        Some(s @ Value::String(_)) => lua.coerce_number(s.clone())?,
        _ => None,
    };
    let b = (n.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if b == 0 && n.is_none() {
        let msg = format!("number expected, got {}", type_name(v));
        return Err(Raise::Arg(idx as c_int, msg.into_bytes()));
    }
    Ok(b)
}

fn fold(lua: &Lua, args: &[Value], op: fn(u32, u32) -> u32) -> Result<i32, Raise> {
    let mut b = barg(lua, args, 1)?;
    for i in (2..=args.len()).rev() {
        b = op(b, barg(lua, args, i)?);
    }
    Ok(b as i32)
}

fn shift(lua: &Lua, args: &[Value], op: fn(u32, u32) -> u32) -> Result<i32, Raise> {
    let b = barg(lua, args, 1)?;
    let n = barg(lua, args, 2)? & 31;
    Ok(op(b, n) as i32)
}

fn tohex(lua: &Lua, args: &[Value]) -> Result<MultiValue, Raise> {
    let mut b = barg(lua, args, 1)?;
    let mut n = if args.len() < 2 { 8 } else { barg(lua, args, 2)? as i32 };
    let digits: &[u8; 16] = if n < 0 {
        n = n.checked_neg().unwrap_or(8);
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let n = n.min(8) as usize;
    let mut buf = vec![0u8; n];
    for slot in buf.iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(MultiValue::from_vec(vec![Value::String(lua.create_string(buf)?)]))
}

/// Lua's name for the type of an argument, `no value` when it is absent.
fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::LightUserData(_) | Value::UserData(_)) => "userdata",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

// ---------------------------------------------------------------------------
// Native call glue: each library function is a C closure whose Rust body runs
// with `lua_call`; failures come back tagged and are raised from the closure
// itself, so error values are plain strings located exactly like `luaL_error`
// and `luaL_argerror` locate them.
// ---------------------------------------------------------------------------

/// How a library function fails.
enum Raise {
    /// `luaL_argerror(narg, msg)`.
    Arg(c_int, Vec<u8>),
    /// An error from the embedding (memory, conversions) passed through as is.
    Lua(mlua::Error),
}

impl From<mlua::Error> for Raise {
    fn from(e: mlua::Error) -> Self {
        Raise::Lua(e)
    }
}

/// Its address tags a failure coming back from a Rust body.
static FAIL_TAG: u8 = 0;

fn fail_tag() -> *mut c_void {
    std::ptr::addr_of!(FAIL_TAG) as *mut c_void
}

type NativeBody = dyn Fn(&Lua, &[Value]) -> Result<MultiValue, Raise>;

/// Wraps `body` into a Lua function that raises its failures as Lua errors.
fn native(lua: &Lua, body: impl Fn(&Lua, &[Value]) -> Result<MultiValue, Raise> + 'static) -> mlua::Result<Function> {
    let body: Box<NativeBody> = Box::new(body);
    let inner = lua.create_function(move |lua, args: Variadic<Value>| {
        let (kind, narg, msg) = match body(lua, &args) {
            Ok(values) => return Ok(values),
            Err(Raise::Lua(e)) => return Err(e),
            Err(Raise::Arg(narg, msg)) => (1, narg, msg),
        };
        Ok(MultiValue::from_vec(vec![
            Value::LightUserData(LightUserData(fail_tag())),
            Value::Integer(kind),
            Value::Integer(narg.into()),
            Value::String(lua.create_string(msg)?),
        ]))
    })?;
    // SAFETY: `call_body` follows the Lua C API protocol for a C closure with
    // one upvalue, which is exactly what is pushed here.
    unsafe { lua.exec_raw(inner, |state| ffi::lua_pushcclosure(state, call_body, 1)) }
}

/// The C side of [`native`]: calls upvalue 1 with all arguments and raises
/// tagged failures. No Rust value that needs dropping is alive when
/// `lua_error` unwinds out of this frame.
unsafe extern "C-unwind" fn call_body(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state and the closure has one upvalue.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let nres = ffi::lua_gettop(state);
        if nres != 4
            || ffi::lua_type(state, 1) != ffi::LUA_TLIGHTUSERDATA
            || ffi::lua_touserdata(state, 1) != fail_tag()
        {
            return nres;
        }
        let narg = ffi::lua_tointeger(state, 3) as c_int;
        ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, 4))
    }
}
