//! `redis.call` and `redis.pcall`: the path every command a script runs
//! takes, written against the Lua C API because it is the hot path of
//! every script (each call reads its arguments, runs the command through
//! the [`ScriptHost`](super::ScriptHost), and turns the reply into Lua
//! values, with no allocation of its own and none of the binding layer's
//! protected calls).
//!
//! The reply is read from the RESP the command wrote (RESP2 unless the
//! script chose `redis.setresp(3)`): integers become numbers, bulk strings
//! strings, arrays tables, a status `{ok=...}`, an error `{err=...}`, a
//! RESP2 null `false`; in RESP3 a null is `nil`, a map `{map={...}}`, a set
//! `{set={member=true}}`, a double `{double=n}`, a boolean a boolean, a big
//! number `{big_number=s}`, a verbatim string
//! `{verbatim_string={format=..., string=...}}`. An error reply is raised
//! (`redis.call`) or returned (`redis.pcall`) as its `{err=...}` table.
//!
//! Both are C functions, not Lua ones, so that `return redis.call(...)` is
//! no tail call: the script's frame stays on the stack, and an error names
//! the script's line, as in Redis.
//!
//! Safety: Lua reports an error (out of memory, or `lua_error` itself) by
//! a `longjmp` to the enclosing protected call. The functions here keep
//! nothing that needs dropping on their frames while they call into Lua,
//! so such a jump skips no destructor; the run state they use lives in the
//! interpreter, reached through a pointer kept in the Lua registry.

use std::ffi::{c_int, c_void};

use mlua::ffi;

use super::convert::{self, MAX_DEPTH};
use super::RunState;
use crate::protocol::format_i64;

/// Where the registry keeps the interpreter's run state (light userdata).
pub const RUN_STATE_KEY: &std::ffi::CStr = c"efis.run_state";

/// `redis.call`: raises the `{err=...}` table of an error reply.
pub unsafe extern "C-unwind" fn redis_call(state: *mut ffi::lua_State) -> c_int {
    call(state, true)
}

/// `redis.pcall`: returns the `{err=...}` table of an error reply.
pub unsafe extern "C-unwind" fn redis_pcall(state: *mut ffi::lua_State) -> c_int {
    call(state, false)
}

/// # Safety
/// `state` is the running Lua state of an interpreter whose registry holds
/// its run state under [`RUN_STATE_KEY`].
unsafe fn call(state: *mut ffi::lua_State, raise: bool) -> c_int {
    ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, RUN_STATE_KEY.as_ptr());
    let run = ffi::lua_touserdata(state, -1) as *mut RunState;
    ffi::lua_settop(state, -2);
    if run.is_null() {
        return error(state, b"ERR redis.call outside of a script", raise);
    }
    // SAFETY: the run state outlives the interpreter's Lua state, and no
    // other reference to it is in use while a C function runs.
    let run = &mut *run;
    if let Err(text) = read_command(state, run) {
        return error(state, text, raise);
    }
    run.call_host();
    let reply: *const [u8] = &run.reply[..];
    // SAFETY: `run.reply` is not touched until the next call.
    let reply = &*reply;
    let mut reader = Reader { bytes: reply, pos: 0 };
    if reply.first() == Some(&b'-') {
        let line = reader.line();
        return error(state, &line[1..], raise);
    }
    if reader.push(state, 0).is_err() {
        return error(state, b"ERR reached lua stack limit", raise);
    }
    1
}

/// Pushes `{err=text}` and raises it, or returns it.
unsafe fn error(state: *mut ffi::lua_State, text: &[u8], raise: bool) -> c_int {
    push_wrapped_string(state, c"err", text);
    if raise {
        ffi::lua_error(state);
    }
    1
}

/// The call's arguments, as the command the host runs.
unsafe fn read_command(state: *mut ffi::lua_State, run: &mut RunState) -> Result<(), &'static [u8]> {
    let argc = ffi::lua_gettop(state);
    if argc == 0 {
        return Err(b"ERR Please specify at least one argument for this redis lib call");
    }
    run.data.clear();
    run.spans.clear();
    for i in 1..=argc {
        let start = run.data.len();
        match ffi::lua_type(state, i) {
            ffi::LUA_TSTRING => {
                let mut len = 0;
                let text = ffi::lua_tolstring(state, i, &mut len);
                run.data.extend_from_slice(std::slice::from_raw_parts(text as *const u8, len));
            }
            ffi::LUA_TNUMBER => {
                let number = ffi::lua_tonumber(state, i);
                if number.fract() == 0.0 && number.abs() < 1e15 {
                    let mut digits = [0u8; 20];
                    run.data.extend_from_slice(format_i64(number as i64, &mut digits));
                } else {
                    run.data.extend_from_slice(convert::number_text(number, 17).as_bytes());
                }
            }
            _ => return Err(b"ERR Lua redis lib command arguments must be strings or integers"),
        }
        run.spans.push((start, run.data.len()));
    }
    Ok(())
}

/// Pushes `{field=text}`.
unsafe fn push_wrapped_string(state: *mut ffi::lua_State, field: &std::ffi::CStr, text: &[u8]) {
    ffi::lua_createtable(state, 0, 1);
    ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
    ffi::lua_setfield(state, -2, field.as_ptr());
}

/// A cursor over RESP bytes the server itself wrote (so well-formed).
struct Reader<'b> {
    bytes: &'b [u8],
    pos: usize,
}

impl<'b> Reader<'b> {
    fn line(&mut self) -> &'b [u8] {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let end = memchr::memchr(b'\r', rest).unwrap_or(rest.len());
        self.pos += (end + 2).min(rest.len());
        &rest[..end]
    }

    fn number(text: &[u8]) -> i64 {
        std::str::from_utf8(text).ok().and_then(|t| t.parse().ok()).unwrap_or(0)
    }

    fn bulk(&mut self, len: i64) -> &'b [u8] {
        let start = self.pos.min(self.bytes.len());
        let end = (start + len.max(0) as usize).min(self.bytes.len());
        self.pos = end + 2;
        &self.bytes[start..end]
    }

    /// Pushes the next value; `Err` when nested too deep or the Lua
    /// stack cannot grow.
    unsafe fn push(&mut self, state: *mut ffi::lua_State, depth: usize) -> Result<(), ()> {
        if depth > MAX_DEPTH || ffi::lua_checkstack(state, 4) == 0 {
            return Err(());
        }
        let line = self.line();
        let Some((&kind, rest)) = line.split_first() else {
            ffi::lua_pushnil(state);
            return Ok(());
        };
        match kind {
            b':' => ffi::lua_pushnumber(state, Self::number(rest) as f64),
            b'$' => match Self::number(rest) {
                -1 => ffi::lua_pushboolean(state, 0),
                len => {
                    let text = self.bulk(len);
                    ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
                }
            },
            b'+' => push_wrapped_string(state, c"ok", rest),
            b'-' => push_wrapped_string(state, c"err", rest),
            b'*' | b'>' => match Self::number(rest) {
                -1 => ffi::lua_pushboolean(state, 0),
                len => {
                    let len = len.max(0);
                    ffi::lua_createtable(state, len.min(1 << 16) as c_int, 0);
                    for i in 1..=len {
                        self.push(state, depth + 1)?;
                        ffi::lua_rawseti(state, -2, i as _);
                    }
                }
            },
            b'_' => ffi::lua_pushnil(state),
            b'#' => ffi::lua_pushboolean(state, (rest == b"t") as c_int),
            b',' => {
                let text = std::str::from_utf8(rest).unwrap_or("0");
                let number = match text {
                    "inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    _ => text.parse().unwrap_or(f64::NAN),
                };
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_pushnumber(state, number);
                ffi::lua_setfield(state, -2, c"double".as_ptr());
            }
            b'(' => push_wrapped_string(state, c"big_number", rest),
            b'=' => {
                let body = self.bulk(Self::number(rest));
                let (format, text) = if body.len() >= 4 { (&body[..3], &body[4..]) } else { (&b"txt"[..], body) };
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_createtable(state, 0, 2);
                ffi::lua_pushlstring(state, format.as_ptr().cast(), format.len());
                ffi::lua_setfield(state, -2, c"format".as_ptr());
                ffi::lua_pushlstring(state, text.as_ptr().cast(), text.len());
                ffi::lua_setfield(state, -2, c"string".as_ptr());
                ffi::lua_setfield(state, -2, c"verbatim_string".as_ptr());
            }
            b'%' | b'~' => {
                let len = Self::number(rest).max(0);
                ffi::lua_createtable(state, 0, 1);
                ffi::lua_createtable(state, 0, len.min(1 << 16) as c_int);
                for _ in 0..len {
                    self.push(state, depth + 1)?;
                    if kind == b'%' {
                        self.push(state, depth + 1)?;
                    } else {
                        ffi::lua_pushboolean(state, 1);
                    }
                    ffi::lua_rawset(state, -3);
                }
                let field = if kind == b'%' { c"map" } else { c"set" };
                ffi::lua_setfield(state, -2, field.as_ptr());
            }
            _ => ffi::lua_pushnil(state),
        }
        Ok(())
    }
}

/// The run state's address as a registry value for [`RUN_STATE_KEY`].
pub fn run_state_pointer(run: *mut RunState) -> *mut c_void {
    run.cast()
}
