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

use std::ffi::{c_int, c_void};

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Table, Value, Variadic};

/// Registers the global table `struct`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.set("pack", native(lua, pack)?)?;
    t.set("unpack", native(lua, unpack)?)?;
    t.set("size", native(lua, size)?)?;
    lua.globals().set("struct", t)
}

/// Slots the Lua C API lets a C function use (`LUAI_MAXCSTACK`).
const MAX_C_STACK: usize = 8000;

/// Largest integer size in bytes.
const MAX_INT_SIZE: usize = 32;

/// Default for `!`: the alignment of a double.
const MAX_ALIGN: usize = 8;

/// 2^63, the bound of C conversions from double to 64-bit integers.
const I64_LIMIT: f64 = 9_223_372_036_854_775_808.0;

/// A C conversion from double to a signed 64-bit integer on x86-64 (out of
/// range and NaN give INT64_MIN).
fn c_i64(n: f64) -> i64 {
    if (-I64_LIMIT..I64_LIMIT).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

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

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// Lua's name for the type of an argument, `no value` when it is absent.
fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
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
    n.ok_or_else(|| Raise::Arg(idx as c_int, format!("number expected, got {}", type_name(v)).into()))
}

/// `luaL_checklstring(idx)`; `missing` is what an absent argument reads as.
fn check_string(lua: &Lua, args: &Args, idx: usize, missing: Option<&Value>) -> Result<Vec<u8>, Raise> {
    let v = args.get(idx)?;
    let v = v.as_ref().or(missing);
    match v.map(|v| lua.coerce_string(v.clone())).transpose()?.flatten() {
        Some(s) => Ok(s.as_bytes().to_vec()),
        None => Err(Raise::Arg(idx as c_int, format!("string expected, got {}", type_name(v)).into())),
    }
}

fn pack(lua: &Lua, args: &Args) -> Result<MultiValue, Raise> {
    let fmt = check_string(lua, args, 1, None)?;
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
    let data = check_string(lua, args, 2, None)?;
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
        if args.len() + n + 2 > MAX_C_STACK {
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
                let n = match bytes.try_into() {
                    Ok(b4) => f64::from(f32::from_le_bytes(b4)),
                    Err(b8) => f64::from_le_bytes(b8.try_into().unwrap_or([0; 8])),
                };
                Value::Number(n)
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

/// How a library function fails.
enum Raise {
    /// `luaL_error(msg)`: the message prefixed with the caller's position.
    Error(Vec<u8>),
    /// `luaL_argerror(narg, msg)`.
    Arg(c_int, Vec<u8>),
    /// An error from the embedding (memory, conversions) passed through as is.
    Lua(mlua::Error),
}

impl Raise {
    /// Kind for the C side (0 positioned, 1 argument, 2 plain), argument, message.
    fn parts(self) -> (i64, c_int, Vec<u8>) {
        match self {
            Raise::Error(msg) => (0, 0, msg),
            Raise::Arg(narg, msg) => (1, narg, msg),
            Raise::Lua(e) => (2, 0, e.to_string().into_bytes()),
        }
    }
}

impl From<mlua::Error> for Raise {
    fn from(e: mlua::Error) -> Self {
        Raise::Lua(e)
    }
}

// ---------------------------------------------------------------------------
// Native call glue. Each library function is a C closure whose Rust body runs
// with `lua_call`. Failures come back tagged and are raised from the closure
// itself, so error values are plain strings positioned exactly as `luaL_error`
// and `luaL_argerror` position them. Many arguments travel packed in a table
// and many results come back in one, so a call never holds more than a few
// registry references.
// ---------------------------------------------------------------------------

/// Arguments passed inline to the Rust body; more travel in a table.
const INLINE_ARGS: c_int = 8;

/// Their addresses tag a failure, a spread result and packed arguments.
static TAGS: [u8; 3] = [0; 3];
const FAIL: usize = 0;
const SPREAD: usize = 1;
const PACKED: usize = 2;

fn tag(which: usize) -> *mut c_void {
    std::ptr::addr_of!(TAGS[which]) as *mut c_void
}

fn is_tag(v: Option<&Value>, which: usize) -> bool {
    matches!(v, Some(Value::LightUserData(p)) if p.0 == tag(which))
}

/// The arguments of a call, 1-based as in the Lua C API.
struct Args {
    inline: Vec<Value>,
    packed: Option<Table>,
    len: usize,
}

impl Args {
    fn len(&self) -> usize {
        self.len
    }

    /// Argument `i`, `None` past the last one.
    fn get(&self, i: usize) -> mlua::Result<Option<Value>> {
        if i == 0 || i > self.len {
            return Ok(None);
        }
        match &self.packed {
            Some(t) => t.raw_get(i).map(Some),
            None => Ok(self.inline.get(i - 1).cloned()),
        }
    }
}

/// Results to return from a table holding them at 1..n.
fn spread(results: Table, n: i64) -> Result<MultiValue, Raise> {
    let tag = Value::LightUserData(LightUserData(tag(SPREAD)));
    Ok(MultiValue::from_vec(vec![tag, Value::Table(results), Value::Integer(n)]))
}

type NativeBody = dyn Fn(&Lua, &Args) -> Result<MultiValue, Raise>;

/// Wraps `body` into a Lua function that raises its failures as Lua errors.
fn native(lua: &Lua, body: impl Fn(&Lua, &Args) -> Result<MultiValue, Raise> + 'static) -> mlua::Result<Function> {
    let body: Box<NativeBody> = Box::new(body);
    let inner = lua.create_function(move |lua, values: Variadic<Value>| {
        let args = if is_tag(values.first(), PACKED) {
            let len = match values.get(2) {
                Some(Value::Integer(n)) => *n as usize,
                _ => 0,
            };
            Args { inline: Vec::new(), packed: values.get(1).and_then(Value::as_table).cloned(), len }
        } else {
            let len = values.len();
            Args { inline: Vec::from(values), packed: None, len }
        };
        let (kind, narg, msg) = match body(lua, &args) {
            Ok(values) => return Ok(values),
            Err(Raise::Lua(e)) => return Err(e),
            Err(raise) => raise.parts(),
        };
        let (tag, msg) = (LightUserData(tag(FAIL)), lua.create_string(msg)?);
        let (kind, narg) = (Value::Integer(kind), Value::Integer(narg.into()));
        Ok(MultiValue::from_vec(vec![Value::LightUserData(tag), kind, narg, Value::String(msg)]))
    })?;
    // SAFETY: `call_body` follows the Lua C API protocol for a C closure with
    // one upvalue, which is exactly what is pushed here.
    unsafe { lua.exec_raw(inner, |state| ffi::lua_pushcclosure(state, call_body, 1)) }
}

/// The C side of [`native`]: calls upvalue 1 with the arguments, raises
/// tagged failures and spreads tagged results. No Rust value that needs
/// dropping is alive when an error unwinds out of this frame.
unsafe extern "C-unwind" fn call_body(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: `state` is the running Lua state, the closure has one upvalue,
    // and every push stays within the slots a C function is guaranteed.
    unsafe {
        let mut nargs = ffi::lua_gettop(state);
        if nargs > INLINE_ARGS {
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
            1 => {
                let narg = ffi::lua_tointeger(state, 3) as c_int;
                ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, 4));
            }
            2 => ffi::lua_pushvalue(state, 4),
            _ => {
                ffi::luaL_where(state, 1);
                ffi::lua_pushvalue(state, 4);
                ffi::lua_concat(state, 2);
            }
        }
        ffi::lua_error(state)
    }
}
