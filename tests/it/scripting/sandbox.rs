//! The sandbox a script runs in: which globals exist, that undefined ones
//! and new ones are errors, that the libraries cannot be changed, and the
//! `cjson`, `cmsgpack`, `bit` and `struct` libraries Redis bundles.

use super::{eval, script_error};
use crate::common::wire::{bulk, int, Wire};
use crate::common::Server;

fn missing_global(name: &str) -> String {
    format!("ERR user_script:1: Script attempted to access nonexistent global variable '{name}'")
}

const READONLY: &str = "ERR user_script:1: Attempt to modify a readonly table";

#[test]
fn globals_present_and_absent() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    for name in [
        "unpack",
        "loadstring",
        "pcall",
        "xpcall",
        "error",
        "assert",
        "type",
        "tostring",
        "tonumber",
        "pairs",
        "ipairs",
        "next",
        "select",
        "rawget",
        "rawset",
        "rawequal",
        "setmetatable",
        "getmetatable",
        "collectgarbage",
        "gcinfo",
        "table.getn",
        "table.insert",
        "table.concat",
        "table.sort",
        "string.format",
        "string.rep",
        "string.sub",
        "string.byte",
        "string.char",
        "math.floor",
        "math.random",
        "math.max",
        "cjson.encode",
        "cjson.decode",
        "cmsgpack.pack",
        "cmsgpack.unpack",
        "bit.band",
        "bit.tohex",
        "struct.pack",
        "struct.unpack",
        "struct.size",
        "redis.call",
        "redis.pcall",
    ] {
        w.is(&eval(&format!("return type({name})"), &[], &[]), bulk("function"));
    }
    for name in
        ["string", "math", "table", "cjson", "cmsgpack", "bit", "struct", "redis", "coroutine", "_G", "KEYS", "ARGV"]
    {
        w.is(&eval(&format!("return type({name})"), &[], &[]), bulk("table"));
    }
    w.is(&eval("return _VERSION", &[], &[]), bulk("Lua 5.1"));
    // What could reach the file system, the process or other code is not
    // there at all.
    for name in [
        "os", "io", "loadfile", "dofile", "require", "module", "package", "debug", "print", "setfenv", "getfenv",
        "newproxy",
    ] {
        let body = format!("return type({name})");
        w.is(&eval(&body, &[], &[]), script_error(&body, &missing_global(name), 1));
    }
    let body = "return os.time()";
    w.is(&eval(body, &[], &[]), script_error(body, &missing_global("os"), 1));
    let body = "return undefined_thing";
    w.is(&eval(body, &[], &[]), script_error(body, &missing_global("undefined_thing"), 1));
    // The standard functions that remain work.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("return loadstring('return 7')()", int(7).into()),
        ("return unpack({1, 2, 3})", int(1).into()),
        ("return select('#', unpack({1, 2, 3}))", int(3).into()),
        ("return table.getn({1, 2, 3})", int(3).into()),
        ("return string.format('%d-%s', 5, 'x')", bulk("5-x")),
        ("return string.rep('ab', 3)", bulk("ababab")),
        ("return math.floor(7.9)", int(7).into()),
        ("return tostring(math.huge)", bulk("inf")),
        ("return math.random(1, 1)", int(1).into()),
        ("return table.concat({'a', 'b'}, ',')", bulk("a,b")),
        ("local t = {3, 1, 2}; table.sort(t); return t", "*3\r\n:1\r\n:2\r\n:3\r\n".into()),
        ("return tonumber('0x10')", int(16).into()),
        ("local n = 0; for _ in pairs({a=1, b=2}) do n = n + 1 end; return n", int(2).into()),
    ];
    for (body, want) in cases {
        w.is(&eval(body, &[], &[]), want);
    }
}

#[test]
fn globals_and_libraries_are_read_only() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    for body in [
        "x = 1",
        "function f() end",
        "_G.x = 1",
        "KEYS = {}",
        "redis = nil",
        "redis.call = nil",
        "redis.x = 1",
        "cjson.encode = nil",
        "string.rep = nil",
        "local s = string; s.myfunc = function() end",
        "math.pi = 3",
        "table.x = 1",
    ] {
        w.is(&eval(body, &[], &[]), script_error(body, READONLY, 1));
    }
    // Changes made from C have no position.
    for body in ["rawset(_G, 'x', 1); return x", "setmetatable(_G, nil)"] {
        w.is(&eval(body, &[], &[]), script_error(body, "ERR Attempt to modify a readonly table", 1));
    }
    // Local variables and the script's own tables are free, and so are
    // the KEYS and ARGV tables' contents.
    w.is(&eval("local t = {} t.x = 1 return t.x", &[], &[]), int(1));
    w.is(&eval("local x = 5 local function f() return x end return f()", &[], &[]), int(5));
    w.is(&eval("KEYS[1] = 'changed'; return KEYS[1]", &["k"], &[]), bulk("changed"));
    // Nothing a script tried to change is left for the next one.
    w.is(&eval("return tostring(redis.call == nil)", &[], &[]), bulk("false"));
    let body = "return x";
    w.is(&eval(body, &[], &[]), script_error(body, &missing_global("x"), 1));
}

#[test]
fn cjson() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("return cjson.encode({})", bulk("{}")),
        ("return cjson.encode({1, 2, 'x'})", bulk("[1,2,\"x\"]")),
        ("return cjson.encode({a=1})", bulk("{\"a\":1}")),
        ("return cjson.encode({a={b=true}})", bulk("{\"a\":{\"b\":true}}")),
        ("return cjson.encode({1, nil, 3})", bulk("[1,null,3]")),
        ("return cjson.encode('x\"y')", bulk("\"x\\\"y\"")),
        ("return cjson.encode(1.5)", bulk("1.5")),
        ("return cjson.encode(cjson.null)", bulk("null")),
        ("return cjson.decode('[1,2,3]')", "*3\r\n:1\r\n:2\r\n:3\r\n".into()),
        ("return cjson.decode('{\"a\":[1,2,{\"b\":\"c\"}]}').a[3].b", bulk("c")),
        ("return tostring(cjson.decode('{\"a\":1.5}').a)", bulk("1.5")),
        ("return tostring(cjson.decode('null') == cjson.null)", bulk("true")),
        ("return cjson.encode(cjson.decode('{\"k\":[true,false,\"s\"]}'))", bulk("{\"k\":[true,false,\"s\"]}")),
    ];
    for (body, want) in cases {
        w.is(&eval(body, &[], &[]), want);
    }
    let body = "return cjson.decode('not json')";
    w.is(
        &eval(body, &[], &[]),
        script_error(body, "ERR user_script:1: Expected value but found invalid token at character 1", 1),
    );
}

#[test]
fn cmsgpack() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("return cmsgpack.pack({1, 2, 3})", bulk(b"\x93\x01\x02\x03")),
        ("return cmsgpack.pack('abc')", bulk(b"\xa3abc")),
        ("return cmsgpack.pack({a=1})", bulk(b"\x81\xa1a\x01")),
        ("return cmsgpack.pack(1.5)", bulk(b"\xca\x3f\xc0\x00\x00")),
        ("return cmsgpack.pack(true, false)", bulk(b"\xc3\xc2")),
        ("return cmsgpack.pack(300)", bulk(b"\xcd\x01\x2c")),
        ("return cmsgpack.pack(-1)", bulk(b"\xff")),
        (
            "local t = cmsgpack.unpack(cmsgpack.pack({1, 'two', {x=3}})); return {t[1], t[2], t[3].x}",
            b"*3\r\n:1\r\n$3\r\ntwo\r\n:3\r\n".to_vec(),
        ),
        ("return {cmsgpack.unpack(cmsgpack.pack(1, 2, 3))}", b"*3\r\n:1\r\n:2\r\n:3\r\n".to_vec()),
    ];
    for (body, want) in cases {
        w.is(&eval(body, &[], &[]), want);
    }
    // Binary input from the client.
    w.is(&[b"EVAL".as_slice(), b"return cmsgpack.unpack(ARGV[1])", b"0", b"\x92\xa1a\x07"], b"*2\r\n$1\r\na\r\n:7\r\n");
    w.is(&[b"EVAL".as_slice(), b"return cmsgpack.unpack(ARGV[1]).k", b"0", b"\x81\xa1k\xa1v"], bulk("v"));
}

#[test]
fn bit_and_struct() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("return bit.band(0xff, 0x0f)", int(15).into()),
        ("return bit.bor(1, 2, 4)", int(7).into()),
        ("return bit.bxor(5, 3)", int(6).into()),
        ("return bit.lshift(1, 10)", int(1024).into()),
        ("return bit.rshift(256, 4)", int(16).into()),
        ("return bit.arshift(-256, 4)", int(-16).into()),
        ("return bit.bnot(0)", int(-1).into()),
        ("return bit.tobit(0xffffffff)", int(-1).into()),
        ("return bit.tohex(255)", bulk("000000ff")),
        ("return bit.tohex(-1)", bulk("ffffffff")),
        ("return struct.pack('HH', 1, 2)", bulk(b"\x01\x00\x02\x00")),
        ("return struct.pack('>I4', 258)", bulk(b"\x00\x00\x01\x02")),
        ("return {struct.unpack('HH', struct.pack('HH', 1, 2))}", "*3\r\n:1\r\n:2\r\n:5\r\n".into()),
        ("return {struct.unpack('>I4', '\\0\\0\\1\\2')}", "*2\r\n:258\r\n:5\r\n".into()),
        ("return struct.size('>I4i2')", int(6).into()),
        ("return {struct.unpack('<i2s', struct.pack('<i2s', -2, 'hi'))}", "*3\r\n:-2\r\n$2\r\nhi\r\n:6\r\n".into()),
    ];
    for (body, want) in cases {
        w.is(&eval(body, &[], &[]), want);
    }
}
