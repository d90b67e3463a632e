//! The `cjson` library (Lua CJSON 2.1.0 as embedded in Redis 7.0): `encode`,
//! `decode`, `new`, `null`, `_NAME`, `_VERSION` and the configuration
//! functions `encode_sparse_array`, `encode_max_depth`, `decode_max_depth`,
//! `encode_number_precision`, `encode_keep_buffer`, `encode_invalid_numbers`
//! and `decode_invalid_numbers`.
//!
//! Behaviour follows the C library: tables whose keys are all positive
//! integers are arrays (with the same sparse-array rules and errors), other
//! tables are objects, `{}` encodes as `{}`; numbers are written with
//! `%.14g` (configurable precision); `/` is escaped as `\/`; `cjson.null` is
//! a NULL light userdata; decoding accepts what `strtod` accepts by default
//! (hexadecimal, `inf`, `nan`, leading `+` or zeros) and a NUL byte ends the
//! input. Error messages are the same, including positions in parse errors
//! and the depth limits: 1000 by default, and the Lua C stack limit of 8000
//! slots that the C code runs into when the limits are raised.
//!
//! Differences from the C library: encoding and decoding are iterative and
//! keep the tables they are inside of in a Lua table, so raising the depth
//! limits cannot overflow the native stack or the registry references of the
//! Lua state. Each function is a C closure that calls its Rust body through
//! `lua_call`, so it uses one more level of the C call depth limit (200).

use std::cell::RefCell;
use std::ffi::c_int;
use std::rc::Rc;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::native::{self, c_i64, number, type_name, Next, Raise, MAX_C_STACK};

/// Registers the global table `cjson`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let module = module(lua)?;
    lua.globals().set("cjson", module)
}

struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: error, 1: write `inf`/`nan`, 2: write `null`.
    encode_invalid_numbers: usize,
    decode_invalid_numbers: bool,
    encode_keep_buffer: bool,
    precision: i32,
}

/// State shared by the functions of one module table.
struct Ctx {
    cfg: RefCell<Config>,
    /// `lua_next` as a function, to walk tables without holding references.
    next: Next,
}

type Body = fn(&Lua, &Ctx, &[Value]) -> Result<MultiValue, Raise>;

/// Builds a module table with its own configuration (what `cjson.new` returns).
fn module(lua: &Lua) -> mlua::Result<Table> {
    let cfg = Config {
        sparse_convert: false,
        sparse_ratio: 2,
        sparse_safe: 10,
        encode_max_depth: 1000,
        decode_max_depth: 1000,
        encode_invalid_numbers: 0,
        decode_invalid_numbers: true,
        encode_keep_buffer: true,
        precision: 14,
    };
    let next = Next::new(lua)?;
    let ctx = Rc::new(Ctx { cfg: RefCell::new(cfg), next });
    let funcs: [(&str, Body); 9] = [
        ("encode", encode),
        ("decode", decode),
        ("encode_sparse_array", cfg_sparse_array),
        ("encode_max_depth", |l, c, a| int_option(l, a, 1, i32::MAX, &mut c.cfg.borrow_mut().encode_max_depth)),
        ("decode_max_depth", |l, c, a| int_option(l, a, 1, i32::MAX, &mut c.cfg.borrow_mut().decode_max_depth)),
        ("encode_number_precision", |l, c, a| int_option(l, a, 1, 14, &mut c.cfg.borrow_mut().precision)),
        ("encode_keep_buffer", |l, c, a| bool_option(l, a, &mut c.cfg.borrow_mut().encode_keep_buffer)),
        ("encode_invalid_numbers", |l, c, a| {
            arg_init(a, 1)?;
            enum_option(l, a, 1, &mut c.cfg.borrow_mut().encode_invalid_numbers, &["off", "on", "null"])
        }),
        ("decode_invalid_numbers", |l, c, a| bool_option(l, a, &mut c.cfg.borrow_mut().decode_invalid_numbers)),
    ];
    let t = lua.create_table()?;
    for (name, body) in funcs {
        let ctx = ctx.clone();
        t.set(name, native::function(lua, move |lua, args| body(lua, &ctx, args))?)?;
    }
    t.set("new", native::function(lua, |lua, _| Ok(one(Value::Table(module(lua)?))))?)?;
    t.set("null", Value::LightUserData(LightUserData(std::ptr::null_mut())))?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

fn one(v: Value) -> MultiValue {
    MultiValue::from_vec(vec![v])
}

// ----------------------------- configuration -----------------------------

fn arg_init(args: &[Value], n: usize) -> Result<(), Raise> {
    if args.len() > n {
        return Err(Raise::Arg(n as c_int + 1, "found too many arguments".into()));
    }
    Ok(())
}

fn int_option(lua: &Lua, args: &[Value], min: i32, max: i32, slot: &mut i32) -> Result<MultiValue, Raise> {
    arg_init(args, 1)?;
    set_int(lua, args, 1, min, max, slot)?;
    Ok(one(Value::Integer((*slot).into())))
}

/// Applies integer option `idx` when given; range errors name argument 1
/// whatever the position, as the C library does.
fn set_int(lua: &Lua, args: &[Value], idx: usize, min: i32, max: i32, slot: &mut i32) -> Result<(), Raise> {
    let Some(v) = args.get(idx - 1).filter(|v| !v.is_nil()) else { return Ok(()) };
    let n = match v {
        Value::String(_) => lua.coerce_number(v.clone())?,
        other => number(other),
    };
    let Some(n) = n else {
        return Err(Raise::type_error(idx, "number", Some(v)));
    };
    // A C conversion to a 64-bit integer (out of range: INT64_MIN), then to int.
    let value = c_i64(n) as i32;
    if value < min || value > max {
        return Err(Raise::Arg(1, format!("expected integer between {min} and {max}").into()));
    }
    *slot = value;
    Ok(())
}

fn bool_option(lua: &Lua, args: &[Value], slot: &mut bool) -> Result<MultiValue, Raise> {
    arg_init(args, 1)?;
    let mut setting = usize::from(*slot);
    let out = enum_option(lua, args, 1, &mut setting, &["off", "on"]);
    *slot = setting == 1;
    out
}

/// Boolean-or-named option; booleans come back as booleans, other settings
/// by name.
fn enum_option(lua: &Lua, args: &[Value], idx: usize, slot: &mut usize, names: &[&str]) -> Result<MultiValue, Raise> {
    match args.get(idx - 1) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => *slot = usize::from(*b),
        Some(v) => {
            let Some(s) = lua.coerce_string(v.clone())? else {
                return Err(Raise::type_error(idx, "string", Some(v)));
            };
            let bytes = s.as_bytes();
            let name = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
            let Some(i) = names.iter().position(|n| n.as_bytes() == name) else {
                let msg = [&b"invalid option '"[..], name, b"'"].concat();
                return Err(Raise::Arg(idx as c_int, msg));
            };
            *slot = i;
        }
    }
    Ok(one(match *slot {
        0 | 1 => Value::Boolean(*slot == 1),
        n => Value::String(lua.create_string(names[n])?),
    }))
}

fn cfg_sparse_array(lua: &Lua, ctx: &Ctx, args: &[Value]) -> Result<MultiValue, Raise> {
    arg_init(args, 3)?;
    let mut c = ctx.cfg.borrow_mut();
    let mut convert = usize::from(c.sparse_convert);
    let first = enum_option(lua, args, 1, &mut convert, &["off", "on"]);
    c.sparse_convert = convert == 1;
    let mut out = first?;
    set_int(lua, args, 2, 0, i32::MAX, &mut c.sparse_ratio)?;
    out.push_back(Value::Integer(c.sparse_ratio.into()));
    set_int(lua, args, 3, 0, i32::MAX, &mut c.sparse_safe)?;
    out.push_back(Value::Integer(c.sparse_safe.into()));
    Ok(out)
}

// ------------------------------ nested tables ------------------------------

/// A table being written or filled: whether it is an object, the length of
/// an array being written, the next array index (or count of object
/// entries), and the Lua stack height the C code would be using at it.
struct Open {
    object: bool,
    len: i64,
    next: i64,
    slots: i64,
}

/// The tables being worked on, outermost first. Only the innermost one and
/// its current key are held from Rust; the enclosing ones wait in a Lua
/// table (`[2k-1]` the table at depth k, `[2k]` its key), so nesting holds no
/// references.
#[derive(Default)]
struct Levels {
    holder: Option<Table>,
    open: Vec<Open>,
    table: Option<Table>,
    key: Value,
}

impl Levels {
    /// Lua stack height the C code would use for a value inside the innermost
    /// table (object values sit above their key).
    fn child_slots(&self) -> i64 {
        self.open.last().map_or(1, |o| o.slots + if o.object { 2 } else { 1 })
    }

    fn enter(&mut self, lua: &Lua, t: Table, open: Open) -> mlua::Result<()> {
        if let Some(parent) = self.table.replace(t) {
            let depth = self.open.len();
            let holder = match &self.holder {
                Some(h) => h,
                None => self.holder.insert(lua.create_table()?),
            };
            holder.raw_set(2 * depth - 1, parent)?;
            holder.raw_set(2 * depth, std::mem::replace(&mut self.key, Value::Nil))?;
        }
        self.open.push(open);
        Ok(())
    }

    /// Closes the innermost table and returns it.
    fn leave(&mut self) -> mlua::Result<Value> {
        self.open.pop();
        let done = self.table.take().map_or(Value::Nil, Value::Table);
        self.key = Value::Nil;
        if let (depth @ 1.., Some(holder)) = (self.open.len(), &self.holder) {
            self.table = Some(holder.raw_get(2 * depth - 1)?);
            self.key = holder.raw_get(2 * depth)?;
        }
        Ok(done)
    }
}

// -------------------------------- encoding --------------------------------

fn encode(lua: &Lua, ctx: &Ctx, args: &[Value]) -> Result<MultiValue, Raise> {
    if args.len() != 1 {
        return Err(Raise::Arg(1, "expected 1 argument".into()));
    }
    let cfg = ctx.cfg.borrow();
    let mut out: Vec<u8> = Vec::new();
    let mut lv = Levels::default();
    let mut pending = Some(args[0].clone());
    loop {
        match pending.take() {
            Some(Value::Table(t)) => {
                let (depth, slots) = (lv.open.len() as i64 + 1, lv.child_slots());
                if depth > cfg.encode_max_depth.into() || slots + 3 > MAX_C_STACK {
                    return Err(Raise::Error(format!("Cannot serialise, excessive nesting ({depth})").into()));
                }
                let len = array_length(&cfg, &t)?;
                out.push(if len > 0 { b'[' } else { b'{' });
                let (object, next) = if len > 0 { (false, 1) } else { (true, 0) };
                lv.enter(lua, t, Open { object, len: len.into(), next, slots })?;
            }
            Some(other) => append_scalar(&cfg, &mut out, &other)?,
            None => {}
        }
        let (Some(open), Some(t)) = (lv.open.last_mut(), lv.table.as_ref()) else { break };
        if !open.object {
            if open.next > open.len {
                out.push(b']');
                lv.leave()?;
                continue;
            }
            if open.next > 1 {
                out.push(b',');
            }
            pending = Some(t.raw_get(open.next)?);
            open.next += 1;
            continue;
        }
        let (key, value) = ctx.next.call(t, &lv.key)?;
        if key.is_nil() {
            out.push(b'}');
            lv.leave()?;
            continue;
        }
        if open.next > 0 {
            out.push(b',');
        }
        open.next += 1;
        match &key {
            Value::String(s) => {
                append_string(&mut out, &s.as_bytes());
                out.push(b':');
            }
            Value::Integer(_) | Value::Number(_) => {
                out.push(b'"');
                append_number(&cfg, &mut out, number(&key).unwrap_or(0.0))?;
                out.extend_from_slice(b"\":");
            }
            other => {
                let msg = format!("Cannot serialise {}: table key must be a number or string", type_name(other));
                return Err(Raise::Error(msg.into()));
            }
        }
        lv.key = key;
        pending = Some(value);
    }
    Ok(one(Value::String(lua.create_string(out)?)))
}

/// The C encoder's array test: the largest key when every key is a positive
/// integer and the table is not excessively sparse, otherwise 0 or less.
fn array_length(cfg: &Config, t: &Table) -> Result<i32, Raise> {
    let (mut max, mut items) = (0i32, 0i32);
    for pair in t.pairs::<Value, Value>() {
        match number(&pair?.0) {
            Some(k) if k != 0.0 && k.floor() == k && k >= 1.0 => {
                if k > f64::from(max) {
                    // A C `int` conversion: out-of-range values become INT_MIN.
                    max = if k < 2_147_483_648.0 { k as i32 } else { i32::MIN };
                }
                items = items.wrapping_add(1);
            }
            _ => return Ok(-1),
        }
    }
    if cfg.sparse_ratio > 0 && max > items.wrapping_mul(cfg.sparse_ratio) && max > cfg.sparse_safe {
        if !cfg.sparse_convert {
            return Err(Raise::Error("Cannot serialise table: excessively sparse array".into()));
        }
        return Ok(-1);
    }
    Ok(max)
}

fn append_scalar(cfg: &Config, out: &mut Vec<u8>, value: &Value) -> Result<(), Raise> {
    match value {
        Value::String(s) => append_string(out, &s.as_bytes()),
        Value::Integer(_) | Value::Number(_) => append_number(cfg, out, number(value).unwrap_or(0.0))?,
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        other => {
            let msg = format!("Cannot serialise {}: type not supported", type_name(other));
            return Err(Raise::Error(msg.into()));
        }
    }
    Ok(())
}

fn append_number(cfg: &Config, out: &mut Vec<u8>, n: f64) -> Result<(), Raise> {
    let text = match cfg.encode_invalid_numbers {
        0 if !n.is_finite() => return Err(Raise::Error("Cannot serialise number: must not be NaN or Inf".into())),
        1 if n.is_nan() => "nan".to_string(),
        2 if !n.is_finite() => "null".to_string(),
        _ => format_g(n, cfg.precision as usize),
    };
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        if c >= 0x20 && !matches!(c, b'"' | b'\\' | b'/' | 0x7f) {
            out.push(c);
        } else if let Some(e) = ESCAPES.iter().find(|e| e[1] == c) {
            out.extend_from_slice(&[b'\\', e[0]]);
        } else {
            out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
        }
    }
    out.push(b'"');
}

/// Two-character escapes: the letter after the backslash and the byte.
const ESCAPES: [[u8; 2]; 8] = [*b"\"\"", *b"\\\\", *b"//", *b"b\x08", *b"t\t", *b"n\n", *b"f\x0c", *b"r\r"];

/// `printf("%.<precision>g")` for a double.
fn format_g(x: f64, precision: usize) -> String {
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if !x.is_finite() || x == 0.0 {
        return format!(
            "{sign}{}",
            if x.is_nan() {
                "nan"
            } else if x == 0.0 {
                "0"
            } else {
                "inf"
            }
        );
    }
    let p = precision.max(1);
    if x.fract() == 0.0 && x.abs() < 10f64.powi(p as i32) {
        return (x as i64).to_string();
    }
    // The digits rounded to `p` places: for normal numbers the shortest
    // representation when it has no more digits (rounding gives the same),
    // else exact rounding.
    let mut sci = format!("{:e}", x.abs());
    if !x.is_normal() || sci.find('e').unwrap_or(0) > p + usize::from(sci.contains('.')) {
        sci = format!("{:.*e}", p - 1, x.abs());
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = digits.trim_end_matches('0');
    if exp < -4 || exp >= p as i32 {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{sign}{first}{dot}{rest}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat(exp.unsigned_abs() as usize - 1))
    } else if digits.len() <= exp as usize + 1 {
        format!("{sign}{digits}{}", "0".repeat(exp as usize + 1 - digits.len()))
    } else {
        let (int, frac) = digits.split_at(exp as usize + 1);
        format!("{sign}{int}.{frac}")
    }
}

// -------------------------------- decoding --------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

/// Token names as parse errors show them, in `Tok` order.
const TOKEN_NAMES: &str =
    "T_OBJ_BEGIN T_OBJ_END T_ARR_BEGIN T_ARR_END T_STRING T_NUMBER T_BOOLEAN T_NULL T_COLON T_COMMA T_END";

struct Parser<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    ptr: usize,
    invalid_numbers: bool,
    /// The last token: kind, offset, and its value or error text.
    tok: Tok,
    index: usize,
    text: Vec<u8>,
    num: f64,
    flag: bool,
    error: &'static str,
}

impl Parser<'_> {
    /// The byte at `i`, with NUL past the end as in a C string.
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn fail(&mut self, what: &'static str) -> Tok {
        self.index = self.ptr;
        self.error = what;
        Tok::Error
    }

    /// Reads the next token into `tok`/`index` and returns its kind.
    fn next(&mut self) -> mlua::Result<Tok> {
        while matches!(self.at(self.ptr), b' ' | b'\t' | b'\n' | b'\r') {
            self.ptr += 1;
        }
        self.index = self.ptr;
        self.tok = self.scan()?;
        Ok(self.tok)
    }

    fn scan(&mut self) -> mlua::Result<Tok> {
        let single = match self.at(self.ptr) {
            b'{' => Tok::ObjBegin,
            b'}' => Tok::ObjEnd,
            b'[' => Tok::ArrBegin,
            b']' => Tok::ArrEnd,
            b',' => Tok::Comma,
            b':' => Tok::Colon,
            0 => return Ok(Tok::End),
            b'"' => return Ok(self.string()),
            b'-' | b'0'..=b'9' if !self.invalid_numbers && self.is_invalid_number() => {
                return Ok(self.fail("invalid number"))
            }
            b'-' | b'0'..=b'9' => return self.number(),
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                for (word, tok, flag) in
                    [(&b"true"[..], Tok::Bool, true), (b"false", Tok::Bool, false), (b"null", Tok::Null, false)]
                {
                    if (0..word.len()).all(|i| self.at(self.ptr + i) == word[i]) {
                        self.ptr += word.len();
                        self.flag = flag;
                        return Ok(tok);
                    }
                }
                if self.invalid_numbers && self.is_invalid_number() {
                    return self.number();
                }
                return Ok(self.fail("invalid token"));
            }
            _ => return Ok(self.fail("invalid token")),
        };
        self.ptr += 1;
        Ok(single)
    }

    /// Numbers that `strtod` takes but strict JSON does not.
    fn is_invalid_number(&self) -> bool {
        let p = self.ptr + usize::from(self.at(self.ptr) == b'-');
        match self.at(p) {
            _ if self.at(self.ptr) == b'+' => true,
            b'0' => self.at(p + 1) | 0x20 == b'x' || self.at(p + 1).is_ascii_digit(),
            c if c <= b'9' || c >= 0x80 => false,
            _ => {
                let word: Vec<u8> = (0..3).map(|i| self.at(p + i).to_ascii_lowercase()).collect();
                word == b"inf" || word == b"nan"
            }
        }
    }

    fn number(&mut self) -> mlua::Result<Tok> {
        let (value, used) = strtod(self.lua, &self.data[self.ptr.min(self.data.len())..])?;
        if used == 0 {
            return Ok(self.fail("invalid number"));
        }
        self.ptr += used;
        self.num = value;
        Ok(Tok::Num)
    }

    fn string(&mut self) -> Tok {
        self.ptr += 1;
        self.text.clear();
        loop {
            let c = self.at(self.ptr);
            let unescaped = match c {
                b'"' => break,
                0 => return self.fail("unexpected end of string"),
                b'\\' => match (self.at(self.ptr + 1), ESCAPES.iter().find(|e| e[0] == self.at(self.ptr + 1))) {
                    (_, Some(e)) => e[1],
                    (b'u', _) if self.unicode_escape() => continue,
                    (b'u', _) => return self.fail("invalid unicode escape code"),
                    _ => return self.fail("invalid escape code"),
                },
                _ => {
                    self.text.push(c);
                    self.ptr += 1;
                    continue;
                }
            };
            self.text.push(unescaped);
            self.ptr += 2;
        }
        self.ptr += 1;
        Tok::Str
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| Some(acc << 4 | (self.at(at + i) as char).to_digit(16)?))
    }

    /// Decodes `\uXXXX` (or a surrogate pair) at the cursor into UTF-8.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut cp) = self.hex4(self.ptr + 2) else { return false };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 || self.at(self.ptr + 6) != b'\\' || self.at(self.ptr + 7) != b'u' {
                return false;
            }
            match self.hex4(self.ptr + 8) {
                Some(low) if low & 0xFC00 == 0xDC00 => cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000,
                _ => return false,
            }
            len = 12;
        }
        let Some(ch) = char::from_u32(cp) else { return false };
        self.text.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        self.ptr += len;
        true
    }

    fn error(&self, expected: &str) -> Raise {
        let found = if self.tok == Tok::Error {
            self.error
        } else {
            TOKEN_NAMES.split(' ').nth(self.tok as usize).unwrap_or("")
        };
        Raise::Error(format!("Expected {expected} but found {found} at character {}", self.index + 1).into())
    }

    /// Reads an object key and its colon; returns the key.
    fn key(&mut self) -> Result<Value, Raise> {
        if self.tok != Tok::Str {
            return Err(self.error("object key string"));
        }
        let key = self.lua.create_string(&self.text)?;
        if self.next()? != Tok::Colon {
            return Err(self.error("colon"));
        }
        Ok(Value::String(key))
    }
}

fn decode(lua: &Lua, ctx: &Ctx, args: &[Value]) -> Result<MultiValue, Raise> {
    if args.len() != 1 {
        return Err(Raise::Arg(1, "expected 1 argument".into()));
    }
    let Some(input) = lua.coerce_string(args[0].clone())? else {
        return Err(Raise::type_error(1, "string", Some(&args[0])));
    };
    let data = input.as_bytes();
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(Raise::Error("JSON parser does not support UTF-16 or UTF-32".into()));
    }
    let (max_depth, invalid_numbers) = {
        let c = ctx.cfg.borrow();
        (i64::from(c.decode_max_depth), c.decode_invalid_numbers)
    };
    let mut p = Parser {
        lua,
        data: &data,
        ptr: 0,
        invalid_numbers,
        tok: Tok::End,
        index: 0,
        text: Vec::new(),
        num: 0.0,
        flag: false,
        error: "",
    };
    let mut lv = Levels::default();
    p.next()?;
    loop {
        let mut value = match p.tok {
            Tok::Str => Value::String(lua.create_string(&p.text)?),
            Tok::Num => Value::Number(p.num),
            Tok::Bool => Value::Boolean(p.flag),
            Tok::Null => Value::LightUserData(LightUserData(std::ptr::null_mut())),
            Tok::ObjBegin | Tok::ArrBegin => {
                let (depth, slots) = (lv.open.len() as i64 + 1, lv.child_slots());
                let object = p.tok == Tok::ObjBegin;
                if depth > max_depth || slots + if object { 3 } else { 2 } > MAX_C_STACK {
                    let msg = format!("Found too many nested data structures ({depth}) at character {}", p.ptr);
                    return Err(Raise::Error(msg.into()));
                }
                let t = lua.create_table()?;
                if p.next()? == if object { Tok::ObjEnd } else { Tok::ArrEnd } {
                    Value::Table(t)
                } else {
                    lv.enter(lua, t, Open { object, len: 0, next: 1, slots })?;
                    if object {
                        lv.key = p.key()?;
                        p.next()?;
                    }
                    continue;
                }
            }
            _ => return Err(p.error("value")),
        };
        // Store the finished value and close every container it completes.
        loop {
            let (Some(open), Some(t)) = (lv.open.last_mut(), lv.table.as_ref()) else {
                if p.next()? != Tok::End {
                    return Err(p.error("the end"));
                }
                return Ok(one(value));
            };
            let object = open.object;
            if object {
                t.raw_set(std::mem::replace(&mut lv.key, Value::Nil), value)?;
            } else {
                t.raw_set(open.next, value)?;
                open.next += 1;
            }
            if p.next()? == if object { Tok::ObjEnd } else { Tok::ArrEnd } {
                value = lv.leave()?;
                continue;
            }
            if p.tok != Tok::Comma {
                return Err(p.error(if object { "comma or object end" } else { "comma or array end" }));
            }
            p.next()?;
            if object {
                lv.key = p.key()?;
                p.next()?;
            }
            break;
        }
    }
}

/// `strtod` in the C locale: the value of the longest numeric prefix of `s`
/// and its length (0 when there is none). Decimal forms are converted here;
/// hexadecimal, infinity and NaN forms (with their NaN payloads) go through
/// Lua's own conversion, which is the C library's `strtod`.
fn strtod(lua: &Lua, s: &[u8]) -> mlua::Result<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let lower = |i: usize| at(i).to_ascii_lowercase();
    let word = |i: usize, w: &[u8]| (0..w.len()).all(|j| lower(i + j) == w[j]);
    let run = |mut i: usize, ok: fn(&u8) -> bool| {
        while ok(&at(i)) {
            i += 1;
        }
        i
    };
    let start = usize::from(matches!(at(0), b'+' | b'-'));
    let hex = at(start) == b'0' && lower(start + 1) == b'x';
    let end = if word(start, b"infinity") {
        start + 8
    } else if word(start, b"inf") {
        start + 3
    } else if word(start, b"nan") {
        let close = run(start + 4, |c| c.is_ascii_alphanumeric() || *c == b'_');
        if at(start + 3) == b'(' && at(close) == b')' {
            close + 1
        } else {
            start + 3
        }
    } else if hex && (at(start + 2).is_ascii_hexdigit() || at(start + 2) == b'.' && at(start + 3).is_ascii_hexdigit()) {
        let mut i = run(start + 2, u8::is_ascii_hexdigit);
        if at(i) == b'.' {
            i = run(i + 1, u8::is_ascii_hexdigit);
        }
        exponent(s, i, b'p')
    } else {
        let int_end = run(start, u8::is_ascii_digit);
        let mut i = int_end;
        if at(i) == b'.' {
            i = run(i + 1, u8::is_ascii_digit);
        }
        if i - start - usize::from(i > int_end) == 0 {
            return Ok((0.0, 0));
        }
        let i = exponent(s, i, b'e');
        let text = std::str::from_utf8(&s[start..i]).unwrap_or("0");
        let v: f64 = text.parse().unwrap_or(0.0);
        return Ok((if at(0) == b'-' { -v } else { v }, i));
    };
    let text = lua.create_string(&s[..end])?;
    Ok((lua.coerce_number(Value::String(text))?.unwrap_or(0.0), end))
}

/// End of an optional exponent (`e`/`p`, optional sign, digits) at `i`.
fn exponent(s: &[u8], i: usize, mark: u8) -> usize {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    if at(i) | 0x20 != mark {
        return i;
    }
    let digits = i + 1 + usize::from(matches!(at(i + 1), b'+' | b'-'));
    let mut end = digits;
    while at(end).is_ascii_digit() {
        end += 1;
    }
    if end > digits {
        end
    } else {
        i
    }
}
