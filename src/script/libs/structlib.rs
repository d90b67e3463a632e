//! The `struct` library (Roberto Ierusalimschy's struct.c as embedded in
//! Redis 7.0): `struct.pack`, `struct.unpack` and `struct.size`.
//!
//! Format options: `>` big endian, `<` little endian, `![n]` alignment
//! (default 8), `x` padding, `b`/`B` signed/unsigned char, `h`/`H` short,
//! `l`/`L` long (8 bytes), `T` size_t (8 bytes), `i[n]`/`I[n]` integers of n
//! bytes (default 4, at most 32), `f` float, `d` double, `c[n]` n chars (0:
//! the whole string when packing, the previous number when unpacking), `s`
//! zero-terminated string, and spaces, which are ignored. Sizes, alignment,
//! byte orders and error messages are those of the C library on x86-64
//! Linux (native little endian), including its conversions of out-of-range
//! numbers to integers and the Lua C stack limit of 8000 slots that bounds
//! the number of results of `unpack`.
//!
//! Differences from the C library: none known. Each function is a C closure
//! that calls its Rust body through `lua_call`, so it uses one more level of
//! the C call depth limit (200).

use std::ffi::c_int;

use mlua::{Lua, LuaString, MultiValue, Value};

use super::native::{self, c_i64, number, spread, Args, Raise, I64_LIMIT, MAX_C_STACK};

/// Registers the global table `struct`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.set("pack", native::function_args(lua, pack)?)?;
    t.set("unpack", native::function_args(lua, unpack)?)?;
    t.set("size", native::function_args(lua, size)?)?;
    lua.globals().set("struct", t)
}

/// Largest integer size in bytes.
const MAX_INT_SIZE: usize = 32;

/// Default for `!`: the alignment of a double.
const MAX_ALIGN: usize = 8;

/// A C conversion from double to an unsigned 64-bit integer as x86-64 code
/// does it: values from 2^63 are reduced by 2^63 first.
fn c_u64(n: f64) -> u64 {
    if n >= I64_LIMIT {
        c_i64(n - I64_LIMIT) as u64 ^ (1 << 63)
    } else {
        c_i64(n) as u64
    }
}

/// Format state: byte order, maximum alignment and the read position.
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

impl Format<'_> {
    fn new(fmt: &[u8]) -> Format<'_> {
        // The format is a C string: it ends at the first NUL.
        let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
        Format { fmt: &fmt[..end], pos: 0, little: true, align: 1 }
    }

    fn next_option(&mut self) -> Option<u8> {
        let opt = *self.fmt.get(self.pos)?;
        self.pos += 1;
        Some(opt)
    }

    /// Reads an optional decimal count.
    fn number(&mut self, default: usize) -> Result<usize, Raise> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while let Some(&c) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            let digit = i32::from(c - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - digit {
                return Err(Raise::Error("integral size overflow".into()));
            }
            a = a * 10 + digit;
            self.pos += 1;
        }
        Ok(a as usize)
    }

    /// Size in bytes of option `opt` (0 for options that take no room).
    fn size(&mut self, opt: u8) -> Result<usize, Raise> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    let msg = format!("integral size {size} is larger than limit of {MAX_INT_SIZE}");
                    return Err(Raise::Error(msg.into()));
                }
                size
            }
            _ => 0,
        })
    }

    /// Padding needed before an item of `size` bytes at offset `len`.
    fn padding(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        size.wrapping_sub(len & (size - 1)) & (size - 1)
    }

    /// Applies a byte-order, alignment or blank option; anything else is an
    /// invalid option.
    fn control(&mut self, opt: u8) -> Result<(), Raise> {
        match opt {
            b' ' => {}
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'!' => {
                let a = self.number(MAX_ALIGN)?;
                if !a.is_power_of_two() {
                    return Err(Raise::Error(format!("alignment {a} is not a power of 2").into()));
                }
                self.align = a;
            }
            _ => return Err(Raise::Arg(1, [&b"invalid format option '"[..], &[opt], b"'"].concat())),
        }
        Ok(())
    }
}

/// `luaL_checknumber(idx)`; `missing` is what an absent argument reads as.
fn check_number(lua: &Lua, args: &Args, idx: usize, missing: Option<&Value>) -> Result<f64, Raise> {
    let v = args.get(idx)?;
    let v = v.as_ref().or(missing);
    let n = match v {
        Some(s @ Value::String(_)) => lua.coerce_number(s.clone())?,
        Some(other) => number(other),
        None => None,
    };
    n.ok_or_else(|| Raise::type_error(idx, "number", v))
}

/// `luaL_checklstring(idx)`; `missing` is what an absent argument reads as.
fn check_string(lua: &Lua, args: &Args, idx: usize, missing: Option<&Value>) -> Result<LuaString, Raise> {
    let v = args.get(idx)?;
    let v = v.as_ref().or(missing);
    match v.map(|v| lua.coerce_string(v.clone())).transpose()?.flatten() {
        Some(s) => Ok(s),
        None => Err(Raise::type_error(idx, "string", v)),
    }
}

fn pack(lua: &Lua, args: &Args) -> Result<MultiValue, Raise> {
    let fmt = check_string(lua, args, 1, None)?;
    let fmt = fmt.as_bytes();
    let mut f = Format::new(&fmt);
    // The C code pushes a nil right after the arguments, so the first
    // missing argument reads as nil rather than as no value.
    let missing = Some(&Value::Nil);
    let mut out: Vec<u8> = Vec::new();
    let mut arg = 2;
    while let Some(opt) = f.next_option() {
        let mut size = f.size(opt)?;
        let pad = f.padding(out.len(), opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(lua, args, arg, missing)?;
                arg += 1;
                let mut value = if n < 0.0 { c_i64(n) as u64 } else { c_u64(n) };
                let start = out.len();
                for _ in 0..size {
                    out.push(value as u8);
                    value >>= 8;
                }
                if !f.little {
                    out[start..].reverse();
                }
            }
            b'x' => out.push(0),
            b'f' | b'd' => {
                let n = check_number(lua, args, arg, missing)?;
                arg += 1;
                let mut bytes = if opt == b'f' { (n as f32).to_le_bytes().to_vec() } else { n.to_le_bytes().to_vec() };
                if !f.little {
                    bytes.reverse();
                }
                out.extend_from_slice(&bytes);
            }
            b'c' | b's' => {
                let s = check_string(lua, args, arg, missing)?;
                let s = s.as_bytes();
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(Raise::Arg(arg as c_int, "string too short".into()));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => f.control(opt)?,
        }
    }
    Ok(MultiValue::from_vec(vec![Value::String(lua.create_string(out)?)]))
}

/// Reads an integer of `size` bytes the way the C code does: into 64 bits,
/// keeping the last 8 bytes shifted in, then sign-extending from the top bit
/// of `size` bytes (with x86 shift-count masking).
fn get_integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let fold = |acc: u64, b: &u8| acc << 8 | u64::from(*b);
    let l = if little { bytes.iter().rev().fold(0, fold) } else { bytes.iter().fold(0, fold) };
    if !signed {
        return l as f64;
    }
    let mask = u64::MAX.wrapping_shl((bytes.len() as u32).wrapping_mul(8).wrapping_sub(1));
    (if l & mask != 0 { l | mask } else { l }) as i64 as f64
}

fn unpack(lua: &Lua, args: &Args) -> Result<MultiValue, Raise> {
    let fmt = check_string(lua, args, 1, None)?;
    let fmt = fmt.as_bytes();
    let data = check_string(lua, args, 2, None)?;
    let data = data.as_bytes();
    let ld = data.len();
    let start = match args.get(3)? {
        None | Some(Value::Nil) => 1,
        Some(_) => c_i64(check_number(lua, args, 3, None)?),
    } as usize;
    if start == 0 {
        return Err(Raise::Arg(3, "offset must be 1 or greater".into()));
    }
    let mut pos = start - 1;
    let mut f = Format::new(&fmt);
    let results = lua.create_table()?;
    let mut n: usize = 0;
    let too_short = || Raise::Arg(2, "data string too short".into());
    while let Some(opt) = f.next_option() {
        let mut size = f.size(opt)?;
        pos = pos.wrapping_add(f.padding(pos, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        if (args.len() + n + 2) as i64 > MAX_C_STACK {
            return Err(Raise::Error("stack overflow (too many results)".into()));
        }
        let value = match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                Value::Number(get_integer(&data[pos..pos + size], f.little, opt.is_ascii_lowercase()))
            }
            b'f' | b'd' => {
                let mut bytes = data[pos..pos + size].to_vec();
                if !f.little {
                    bytes.reverse();
                }
                Value::Number(match bytes.try_into() {
                    Ok(b4) => f64::from(f32::from_le_bytes(b4)),
                    Err(b8) => f64::from_le_bytes(b8.try_into().unwrap_or([0; 8])),
                })
            }
            b'c' => {
                if size == 0 {
                    let previous: Value = results.raw_get(n)?;
                    let count = match &previous {
                        Value::String(_) if n > 0 => lua.coerce_number(previous.clone())?,
                        other if n > 0 => number(other),
                        _ => None,
                    };
                    let Some(count) = count else {
                        return Err(Raise::Error("format 'c0' needs a previous size".into()));
                    };
                    size = c_u64(count) as usize;
                    results.raw_set(n, Value::Nil)?;
                    n -= 1;
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                Value::String(lua.create_string(&data[pos..pos + size])?)
            }
            b's' => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(Raise::Error("unfinished string in data".into()));
                };
                size = len + 1;
                Value::String(lua.create_string(&data[pos..pos + len])?)
            }
            _ => {
                if opt != b'x' {
                    f.control(opt)?;
                }
                Value::Nil
            }
        };
        if !matches!(opt, b'x' | b' ' | b'>' | b'<' | b'!') {
            n += 1;
            results.raw_set(n, value)?;
        }
        pos = pos.wrapping_add(size);
    }
    results.raw_set(n + 1, pos.wrapping_add(1) as i64)?;
    spread(results, n as i64 + 1)
}

fn size(lua: &Lua, args: &Args) -> Result<MultiValue, Raise> {
    let fmt = check_string(lua, args, 1, None)?;
    let fmt = fmt.as_bytes();
    let mut f = Format::new(&fmt);
    let mut pos: usize = 0;
    while let Some(opt) = f.next_option() {
        let size = f.size(opt)?;
        pos = pos.wrapping_add(f.padding(pos, opt, size));
        if opt == b's' {
            return Err(Raise::Arg(1, "option 's' has no fixed size".into()));
        }
        if opt == b'c' && size == 0 {
            return Err(Raise::Arg(1, "option 'c0' has no fixed size".into()));
        }
        if !opt.is_ascii_alphanumeric() {
            f.control(opt)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(MultiValue::from_vec(vec![Value::Integer(pos as i64)]))
}
