//! The `cmsgpack` library (lua-cmsgpack 0.4.0 as embedded in Redis 7.0):
//! `pack`, `unpack`, `unpack_one`, `unpack_limit` and the `_NAME`,
//! `_VERSION`, `_COPYRIGHT` and `_DESCRIPTION` fields.
//!
//! Output bytes are those of the C library: numbers that are exact 64-bit
//! integers use the smallest integer encoding, other numbers a 32-bit float
//! when that is exact and a 64-bit double otherwise; strings use fixstr,
//! str8, str16 or str32; tables whose keys are exactly 1..n are arrays (so
//! `{}` is an empty array), other tables maps in `next` order; tables nested
//! 16 deep, and values without a MessagePack form, encode as nil. Decoding
//! gives numbers for all integer and float formats (unsigned 64-bit values
//! above 2^63 wrap to negative), rejects bin and ext formats, and reports the
//! same errors, including the Lua C stack limit of 8000 slots that bounds how
//! many values and how much nesting one call can produce.
//!
//! Differences from the C library: decoding is iterative and keeps the
//! tables it is inside of in a Lua table, so deep nesting cannot overflow the
//! native stack or the registry references of the Lua state. Each function
//! is a C closure that calls its Rust body through `lua_call`, so it uses
//! one more level of the C call depth limit (200).

use mlua::{Lua, MultiValue, Table, Value};

use super::native::{self, c_i64, number, spread, Args, Raise, MAX_C_STACK};

/// Registers the global table `cmsgpack`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.set("pack", native::function_args(lua, pack)?)?;
    t.set("unpack", native::function_args(lua, |lua, args| unpack(lua, args, 0, 0, args.len()))?)?;
    t.set(
        "unpack_one",
        native::function_args(lua, |lua, args| {
            let offset = opt_integer(lua, args, 2)?;
            unpack(lua, args, 1, offset, args.len().min(1))
        })?,
    )?;
    t.set(
        "unpack_limit",
        native::function_args(lua, |lua, args| {
            let limit = check_integer(lua, args, 2)?;
            let offset = opt_integer(lua, args, 3)?;
            unpack(lua, args, limit, offset, args.len().min(1))
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    lua.globals().set("cmsgpack", t)
}

/// Tables this deep are encoded as nil.
const MAX_NESTING: u32 = 16;

/// `luaL_checkinteger(idx)`.
fn check_integer(lua: &Lua, args: &Args, idx: usize) -> Result<i64, Raise> {
    let v = args.get(idx)?;
    let n = match &v {
        Some(s @ Value::String(_)) => lua.coerce_number(s.clone())?,
        Some(other) => number(other),
        None => None,
    };
    match n {
        Some(n) => Ok(c_i64(n)),
        None => Err(Raise::type_error(idx, "number", v.as_ref())),
    }
}

/// `luaL_optinteger(idx, 0)`.
fn opt_integer(lua: &Lua, args: &Args, idx: usize) -> Result<i64, Raise> {
    match args.get(idx)? {
        None | Some(Value::Nil) => Ok(0),
        Some(_) => check_integer(lua, args, idx),
    }
}

// -------------------------------- encoding --------------------------------

fn pack(lua: &Lua, args: &Args) -> Result<MultiValue, Raise> {
    if args.len() == 0 {
        return Err(Raise::Arg(0, "MessagePack pack needs input.".into()));
    }
    if args.len() as i64 * 2 > MAX_C_STACK {
        return Err(Raise::Arg(0, "Too many arguments for MessagePack pack.".into()));
    }
    let mut out = Vec::new();
    for i in 1..=args.len() {
        encode(&mut out, &args.get(i)?.unwrap_or(Value::Nil), 0)?;
    }
    Ok(MultiValue::from_vec(vec![Value::String(lua.create_string(out)?)]))
}

fn encode(out: &mut Vec<u8>, value: &Value, level: u32) -> mlua::Result<()> {
    match value {
        Value::String(s) => {
            let s = s.as_bytes();
            let len = s.len();
            match len {
                0..=31 => out.push(0xa0 | len as u8),
                32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
                0x100..=0xffff => {
                    out.push(0xda);
                    out.extend_from_slice(&(len as u16).to_be_bytes());
                }
                _ => {
                    out.push(0xdb);
                    out.extend_from_slice(&(len as u32).to_be_bytes());
                }
            }
            out.extend_from_slice(&s);
        }
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => {
            let n = number(value).unwrap_or(0.0);
            if n.is_finite() && c_i64(n) as f64 == n {
                encode_int(out, c_i64(n));
            } else if f64::from(n as f32) == n {
                out.push(0xca);
                out.extend_from_slice(&(n as f32).to_be_bytes());
            } else {
                out.push(0xcb);
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t)? {
                let len = t.raw_len();
                encode_header(out, len as u64, 0x90, 0xdc);
                for i in 1..=len {
                    encode(out, &t.raw_get(i)?, level + 1)?;
                }
            } else {
                encode_header(out, t.pairs::<Value, Value>().count() as u64, 0x80, 0xde);
                for pair in t.pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    encode(out, &k, level + 1)?;
                    encode(out, &v, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Whether the keys are exactly 1..n (an empty table counts as an array).
fn is_array(t: &Table) -> mlua::Result<bool> {
    let (mut count, mut max) = (0i64, 0i64);
    for pair in t.pairs::<Value, Value>() {
        match number(&pair?.0) {
            // A C `int` conversion of the key must give it back.
            Some(n) if n > 0.0 && n < 2_147_483_648.0 && n.trunc() == n => max = max.max(n as i64),
            _ => return Ok(false),
        }
        count += 1;
    }
    Ok(max == count)
}

/// Fix, 16-bit or 32-bit header for an array (`fix` 0x90, `wide` 0xdc) or
/// a map (0x80, 0xde).
fn encode_header(out: &mut Vec<u8>, n: u64, fix: u8, wide: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(wide);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(wide + 1);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&n.to_be_bytes());
        }
        -32..=-1 => out.push(n as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

// -------------------------------- decoding --------------------------------

/// Why decoding stopped short.
enum Stop {
    /// Not enough bytes.
    Eof,
    /// An unknown or unsupported type byte.
    BadFormat,
    /// An error to raise at once.
    Raise(Raise),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Self {
        Stop::Raise(Raise::Lua(e))
    }
}

fn stack_overflow(what: &str) -> Stop {
    Stop::Raise(Raise::Error(format!("stack overflow ({what})").into()))
}

/// A table being filled: elements still expected, next array index (0 for
/// maps), the Lua stack height of the table in the C decoder, and for maps
/// whether the key of the current entry has been read.
struct Open {
    left: u64,
    next: i64,
    height: i64,
    have_key: bool,
}

/// Decodes `limit` values (all when `limit` and `offset` are both 0) from
/// argument 1 starting at `offset`; `base` is the Lua stack height the C
/// code starts from.
fn unpack(lua: &Lua, args: &Args, limit: i64, offset: i64, base: usize) -> Result<MultiValue, Raise> {
    let arg = args.get(1)?;
    let Some(input) = arg.clone().map(|v| lua.coerce_string(v)).transpose()?.flatten() else {
        return Err(Raise::type_error(1, "string", arg.as_ref()));
    };
    let data = input.as_bytes();
    let len = data.len() as i64;
    if offset < 0 || limit < 0 {
        let msg = format!("Invalid request to unpack with offset of {} and limit of {}.", offset as i32, len as i32);
        return Err(Raise::Error(msg.into()));
    }
    if offset > len {
        let msg = format!("Start offset {} greater than input length {}.", offset as i32, len as i32);
        return Err(Raise::Error(msg.into()));
    }
    let decode_all = limit == 0 && offset == 0;
    let limit = if decode_all { i64::from(i32::MAX) } else { limit };
    let results = lua.create_table()?;
    let first = if decode_all { 1 } else { 2 };
    let (mut pos, mut count) = (offset as usize, 0i64);
    while pos < data.len() && count < limit {
        let height = base as i64 + count;
        match decode(lua, &data, &mut pos, height) {
            Ok(v) => results.raw_set(first + count, v)?,
            Err(Stop::Eof) => return Err(Raise::Error("Missing bytes in input.".into())),
            Err(Stop::BadFormat) => return Err(Raise::Error("Bad data format in input.".into())),
            Err(Stop::Raise(r)) => return Err(r),
        }
        count += 1;
    }
    if !decode_all {
        if base as i64 + count + 1 > MAX_C_STACK {
            return Err(Raise::Error("stack overflow (in function mp_unpack_full)".into()));
        }
        results.raw_set(1, if pos == data.len() { -1 } else { pos as i64 })?;
        count += 1;
    }
    spread(results, count)
}

/// Decodes one value at `*pos`; `height` is the Lua stack height at which
/// the C decoder would start it.
fn decode(lua: &Lua, data: &[u8], pos: &mut usize, height: i64) -> Result<Value, Stop> {
    // Tables being filled, outermost first; the tables themselves (and map
    // keys read) wait in `holder` at [2k-1] and [2k] so nesting holds no
    // references.
    let holder = lua.create_table()?;
    let mut open: Vec<Open> = Vec::new();
    loop {
        let height = match open.last() {
            None => height,
            Some(o) => o.height + i64::from(o.next > 0 || o.have_key),
        };
        let Some(&byte) = data.get(*pos) else { return Err(Stop::Eof) };
        if height + 1 > MAX_C_STACK {
            return Err(stack_overflow("too many return values at once; use unpack_one or unpack_limit instead."));
        }
        let (value, container) = scalar(lua, data, pos, byte)?;
        let mut value = match container {
            None => value,
            Some((size, is_map)) => {
                let t = lua.create_table()?;
                if !is_map && height + 2 > MAX_C_STACK {
                    return Err(stack_overflow("in function mp_decode_to_lua_array"));
                }
                if size == 0 {
                    Value::Table(t)
                } else {
                    holder.raw_set(2 * open.len() + 1, t)?;
                    let next = if is_map { 0 } else { 1 };
                    open.push(Open { left: size, next, height: height + 1, have_key: false });
                    continue;
                }
            }
        };
        // Store the value and close every table it completes.
        loop {
            let depth = open.len();
            let Some(o) = open.last_mut() else { return Ok(value) };
            let t: Table = holder.raw_get(2 * depth - 1)?;
            if o.next > 0 {
                t.raw_set(o.next, value)?;
                o.next += 1;
            } else if !o.have_key {
                holder.raw_set(2 * depth, value)?;
                o.have_key = true;
                break;
            } else {
                let key: Value = holder.raw_get(2 * depth)?;
                match number(&key) {
                    _ if key.is_nil() => return Err(Stop::Raise(Raise::Plain("table index is nil".into()))),
                    Some(n) if n.is_nan() => return Err(Stop::Raise(Raise::Plain("table index is NaN".into()))),
                    _ => t.raw_set(key, value)?,
                }
                holder.raw_set(2 * depth, Value::Nil)?;
                o.have_key = false;
            }
            o.left -= 1;
            if o.left > 0 {
                break;
            }
            open.pop();
            holder.raw_set(2 * depth - 1, Value::Nil)?;
            value = Value::Table(t);
        }
    }
}

/// Reads the item starting with `byte`: a scalar value, or the size of an
/// array or map (`(size, is_map)`) whose elements follow.
fn scalar(lua: &Lua, data: &[u8], pos: &mut usize, byte: u8) -> Result<(Value, Option<(u64, bool)>), Stop> {
    let take = |pos: &mut usize, n: usize| -> Result<u64, Stop> {
        let bytes = data.get(*pos + 1..*pos + 1 + n).ok_or(Stop::Eof)?;
        *pos += 1 + n;
        Ok(bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b)))
    };
    let num = |n: f64| Ok((Value::Number(n), None));
    match byte {
        0x00..=0x7f => {
            *pos += 1;
            num(f64::from(byte))
        }
        0xe0..=0xff => {
            *pos += 1;
            num(f64::from(byte as i8))
        }
        0xcc => num(take(pos, 1)? as f64),
        0xcd => num(take(pos, 2)? as f64),
        0xce => num(take(pos, 4)? as f64),
        0xcf => num(take(pos, 8)? as i64 as f64),
        0xd0 => num(f64::from(take(pos, 1)? as i8)),
        0xd1 => num(f64::from(take(pos, 2)? as i16)),
        0xd2 => num(f64::from(take(pos, 4)? as i32)),
        0xd3 => num(take(pos, 8)? as i64 as f64),
        0xca => num(f64::from(f32::from_bits(take(pos, 4)? as u32))),
        0xcb => num(f64::from_bits(take(pos, 8)?)),
        0xc0 | 0xc2 | 0xc3 => {
            *pos += 1;
            Ok((if byte == 0xc0 { Value::Nil } else { Value::Boolean(byte == 0xc3) }, None))
        }
        0xa0..=0xbf | 0xd9..=0xdb => {
            let len = match byte {
                0xd9 => take(pos, 1)?,
                0xda => take(pos, 2)?,
                0xdb => take(pos, 4)?,
                _ => {
                    *pos += 1;
                    u64::from(byte & 0x1f)
                }
            } as usize;
            let s = data.get(*pos..*pos + len).ok_or(Stop::Eof)?;
            *pos += len;
            Ok((Value::String(lua.create_string(s)?), None))
        }
        0x80..=0x9f => {
            *pos += 1;
            Ok((Value::Nil, Some((u64::from(byte & 0xf), byte < 0x90))))
        }
        0xdc | 0xde => Ok((Value::Nil, Some((take(pos, 2)?, byte == 0xde)))),
        0xdd | 0xdf => Ok((Value::Nil, Some((take(pos, 4)?, byte == 0xdf)))),
        _ => Err(Stop::BadFormat),
    }
}
