//! Values crossing between Lua and the protocol, as Redis 7.0 converts
//! them.
//!
//! * [`reply_to_lua`]: the reply of a command a script called, read back
//!   from the RESP bytes the command wrote (RESP2 unless the script chose
//!   `redis.setresp(3)`): integers become numbers, bulk strings strings,
//!   arrays tables, a status `{ok=...}`, an error `{err=...}`, a RESP2 null
//!   `false`; in RESP3 a null is `nil`, a map `{map={...}}`, a set
//!   `{set={member=true}}`, a double `{double=n}`, a boolean a boolean, a
//!   big number `{big_number=s}`, a verbatim string
//!   `{verbatim_string={format=..., string=...}}`.
//! * [`lua_to_reply`]: a script's return value as the reply to its
//!   caller, in the caller's protocol: a number is an integer (truncated),
//!   a string a bulk string, a table with `err`/`ok`/`double`/`big_number`/
//!   `map`/`set` the matching type, any other table an array of its
//!   elements up to the first `nil`, `nil` a null, `true` the integer 1 (a
//!   boolean after `redis.setresp(3)`), `false` a null (a boolean after
//!   `redis.setresp(3)`).
//! * [`lua_number_text`]: a Lua number as Lua 5.1 prints it (`%.14g`),
//!   which is what a number passed to `redis.call` becomes.
//!
//! Invariant: a value nested deeper than [`MAX_DEPTH`] (or a table that
//! contains itself) is refused with an error before any byte of it is
//! written to the caller.

use mlua::{Lua, Table, Value};

use crate::protocol::Reply;

/// Deepest nesting of tables a script may return.
pub const MAX_DEPTH: usize = 1000;

/// The `{err=text}` table of an error.
pub fn error_table(lua: &Lua, text: &[u8]) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(0, 1)?;
    table.raw_set("err", lua.create_string(text)?)?;
    Ok(table)
}

/// Why a returned value could not be converted.
#[derive(Debug)]
pub struct TooDeep;

/// Writes a script's return value as a reply. `booleans_as_resp3`: the
/// script chose `redis.setresp(3)`, so booleans are booleans (and `false`
/// no longer a null). Refuses values nested deeper than [`MAX_DEPTH`]
/// (what a table that contains itself is); the caller then drops what was
/// written.
pub fn lua_to_reply(value: &Value, out: &mut Reply<'_>, booleans_as_resp3: bool) -> Result<(), TooDeep> {
    write_value(value, out, booleans_as_resp3, 0)
}

fn write_value(value: &Value, out: &mut Reply<'_>, resp3: bool, depth: usize) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    match value {
        Value::Nil => out.null(),
        Value::Boolean(true) if resp3 => out.boolean(true),
        Value::Boolean(false) if resp3 => out.boolean(false),
        Value::Boolean(true) => out.int(1),
        Value::Boolean(false) => out.null(),
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(truncate(*n)),
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Table(table) => write_table(table, out, resp3, depth)?,
        _ => out.null(),
    }
    Ok(())
}

/// A Lua number as C's `(long long)` cast takes it: toward zero,
/// saturating.
fn truncate(n: f64) -> i64 {
    n as i64
}

fn write_table(table: &Table, out: &mut Reply<'_>, resp3: bool, depth: usize) -> Result<(), TooDeep> {
    if let Ok(Value::String(text)) = table.raw_get::<Value>("err") {
        out.error(&String::from_utf8_lossy(&text.as_bytes()));
        return Ok(());
    }
    if let Ok(Value::String(text)) = table.raw_get::<Value>("ok") {
        out.simple(&String::from_utf8_lossy(&text.as_bytes()));
        return Ok(());
    }
    match table.raw_get::<Value>("double") {
        Ok(Value::Number(n)) => {
            out.double(n);
            return Ok(());
        }
        Ok(Value::Integer(i)) => {
            out.double(i as f64);
            return Ok(());
        }
        _ => {}
    }
    if let Ok(Value::String(text)) = table.raw_get::<Value>("big_number") {
        let text = text.as_bytes();
        if out.resp3 {
            out.buf.push(b'(');
            out.buf.extend(text.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
            out.buf.extend_from_slice(b"\r\n");
        } else {
            out.bulk(&text);
        }
        return Ok(());
    }
    let verbatim = match table.raw_get::<Value>("verbatim_string") {
        Ok(Value::Table(verbatim)) => {
            match (verbatim.raw_get::<Value>("format"), verbatim.raw_get::<Value>("string")) {
                (Ok(Value::String(format)), Ok(Value::String(text))) => {
                    Some((format.as_bytes().to_vec(), text.as_bytes().to_vec()))
                }
                _ => None,
            }
        }
        _ => None,
    };
    if let Some((format, text)) = verbatim {
        if out.resp3 && format.len() == 3 {
            out.buf.push(b'=');
            out.buf.extend_from_slice((text.len() + 4).to_string().as_bytes());
            out.buf.extend_from_slice(b"\r\n");
            out.buf.extend_from_slice(&format);
            out.buf.push(b':');
            out.buf.extend_from_slice(&text);
            out.buf.extend_from_slice(b"\r\n");
        } else {
            out.bulk(&text);
        }
        return Ok(());
    }
    if let Ok(Value::Table(map)) = table.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = map.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (key, value) in &pairs {
            write_value(key, out, resp3, depth + 1)?;
            write_value(value, out, resp3, depth + 1)?;
        }
        return Ok(());
    }
    if let Ok(Value::Table(set)) = table.raw_get::<Value>("set") {
        let members: Vec<Value> = set.pairs::<Value, Value>().filter_map(Result::ok).map(|(k, _)| k).collect();
        out.set(members.len());
        for member in &members {
            write_value(member, out, resp3, depth + 1)?;
        }
        return Ok(());
    }
    let mut len = 0;
    while !matches!(table.raw_get::<Value>(len + 1), Ok(Value::Nil) | Err(_)) {
        len += 1;
    }
    out.array(len);
    for i in 1..=len {
        let element = table.raw_get::<Value>(i).unwrap_or(Value::Nil);
        write_value(&element, out, resp3, depth + 1)?;
    }
    Ok(())
}

/// A Lua number as Lua 5.1 turns it into a string (`%.14g`).
pub fn lua_number_text(value: f64) -> String {
    number_text(value, 14)
}

/// A number as C's `%.<digits>g` prints it: 17 digits is what a number
/// passed to `redis.call` becomes.
pub fn number_text(value: f64, digits: i32) -> String {
    if value.is_nan() {
        return if value.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // The significant digits, then %g's choice between the two notations.
    let scientific = format!("{value:.*e}", (digits - 1) as usize);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..digits).contains(&exponent) {
        let mantissa = trim_fraction(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (digits - 1 - exponent).max(0) as usize;
    trim_fraction(&format!("{value:.decimals$}")).to_string()
}

/// Drops trailing zeros of a fraction, and its point if nothing is left.
fn trim_fraction(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::lua_number_text;

    #[test]
    fn numbers_print_as_lua_prints_them() {
        for (value, text) in [
            (1.5, "1.5"),
            (3.0, "3"),
            (-2.25, "-2.25"),
            (1e15, "1e+15"),
            (1e14, "1e+14"),
            (99999999999999.0, "99999999999999"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333333333333"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456789012345678.0, "1.2345678901235e+17"),
            (f64::INFINITY, "inf"),
            (-0.0, "-0"),
        ] {
            assert_eq!(lua_number_text(value), text, "{value}");
        }
        for (value, text) in [(0.1, "0.10000000000000001"), (1e15, "1000000000000000"), (-0.5, "-0.5")] {
            assert_eq!(super::number_text(value, 17), text, "{value}");
        }
        assert_eq!(super::number_text(12345678901234567.0, 17), "12345678901234568");
    }
}
