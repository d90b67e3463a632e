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

use mlua::{Lua, MultiValue, Value};

use super::native::{self, Raise};

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
        let f = native::function(lua, move |lua, args| {
            Ok(MultiValue::from_vec(vec![Value::Number(body(lua, args)?.into())]))
        })?;
        bit.set(name, f)?;
    }
    bit.set("tohex", native::function(lua, tohex)?)?;
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
        return Err(Raise::type_error(idx, "number", v));
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
