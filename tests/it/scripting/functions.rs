//! FUNCTION LOAD and DELETE, FCALL and FCALL_RO: libraries, their
//! `#!lua name=...` header, `redis.register_function` and its flags, and
//! the errors of each.

use super::{call, function_error, NOT_ALLOWED};
use crate::common::wire::{bulk, Wire, OK};
use crate::common::Server;

const READ_ONLY: &str = "ERR Write commands are not allowed from read-only scripts.";
const WRITE_FLAG: &str = "-ERR Can not execute a script with write flag using *_ro command.\r\n";
const NOT_FOUND: &str = "-ERR Function not found\r\n";

/// A library of one function `name` whose body is `body`.
pub fn library(lib: &str, name: &str, body: &str) -> String {
    format!("#!lua name={lib}\nredis.register_function('{name}', function(keys, args) {body} end)")
}

const MYLIB: &str = "#!lua name=mylib\n\
    redis.register_function('myset', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n\
    redis.register_function{function_name='myget', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads a key'}\n\
    redis.register_function{function_name='badwrite', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}\n\
    redis.register_function{function_name='badpwrite', callback=function(keys) return redis.pcall('set', keys[1], 'x') end, flags={'no-writes'}}";

#[test]
fn load_and_call() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["FUNCTION", "LOAD", MYLIB], bulk("mylib"));
    w.is(&["FUNCTION", "LOAD", MYLIB], "-ERR Library 'mylib' already exists\r\n");
    w.is(&call("FCALL", "myset", &["fk"], &["v1"]), OK);
    w.is(&call("FCALL", "myget", &["fk"], &[]), bulk("v1"));
    w.is(&call("FCALL_RO", "myget", &["fk"], &[]), bulk("v1"));
    // FCALL_RO runs only functions flagged no-writes.
    w.is(&call("FCALL_RO", "myset", &["fk"], &["v2"]), WRITE_FLAG);
    w.is(&["GET", "fk"], bulk("v1"));
    // A no-writes function may not write, however it is called.
    for verb in ["FCALL", "FCALL_RO"] {
        w.is(&call(verb, "badwrite", &["fk"], &[]), function_error("badwrite", READ_ONLY, 4));
        w.is(&call(verb, "badpwrite", &["fk"], &[]), format!("-{READ_ONLY}\r\n"));
    }
    w.is(&["GET", "fk"], bulk("v1"));
    // Function names are matched without regard to case; the error names
    // the function as it was registered.
    w.is(&call("FCALL", "MYGET", &["fk"], &[]), bulk("v1"));
    w.is(
        &["FCALL", "MySet", "0"],
        function_error("myset", "ERR Lua redis lib command arguments must be strings or integers", 2),
    );
    for verb in ["FCALL", "FCALL_RO"] {
        w.is(&[verb, "nosuch", "0"], NOT_FOUND);
        w.is(&[verb, "myget", "-1"], "-ERR Number of keys can't be negative\r\n");
        w.is(&[verb, "myget", "5", "a"], "-ERR Number of keys can't be greater than number of args\r\n");
        w.is(&[verb, "myget", "x"], "-ERR Bad number of keys provided\r\n");
        w.is(&[verb, "myget", "1.5", "a"], "-ERR Bad number of keys provided\r\n");
    }
    // Keys and arguments are the callback's two parameters.
    w.is(&["FUNCTION", "LOAD", &library("ret", "ret", "return {keys, args, #keys, #args}")], bulk("ret"));
    w.is(
        &call("FCALL", "ret", &["k1", "k2"], &["a1"]),
        "*4\r\n*2\r\n$2\r\nk1\r\n$2\r\nk2\r\n*1\r\n$2\r\na1\r\n:2\r\n:1\r\n",
    );
    w.is(&call("FCALL", "ret", &[], &[]), "*4\r\n*0\r\n*0\r\n:0\r\n:0\r\n");
}

#[test]
fn errors_inside_functions() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "str", "x"], OK);
    let cases: &[(&str, &str, &str, u32)] = &[
        ("errf", "error('in func')", "ERR user_function:2: in func", 2),
        ("incrf", "return redis.call('incr', 'str')", "ERR value is not an integer or out of range", 2),
        ("evalf", "return redis.call('eval', 'return 1', 0)", NOT_ALLOWED, 2),
        ("fcallf", "return redis.call('fcall', 'errf', 0)", NOT_ALLOWED, 2),
        // The globals of EVAL are not there at run time, and globals stay
        // read-only.
        (
            "keysf",
            "return KEYS",
            "ERR user_function:2: Script attempted to access nonexistent global variable 'KEYS'",
            2,
        ),
        ("globalf", "x = 5", "ERR user_function:2: Attempt to modify a readonly table", 2),
        (
            "regf",
            "return redis.register_function('x', function() end)",
            "ERR user_function:2: attempt to call field 'register_function' (a nil value)",
            2,
        ),
    ];
    for (name, body, message, line) in cases {
        w.is(&["FUNCTION", "LOAD", &library(name, name, body)], bulk(name));
        w.is(&["FCALL", *name, "0"], function_error(name, message, *line));
    }
    // Lines count from the header.
    let deep = "#!lua name=deep\n\nlocal function helper()\n  error('deep')\nend\nredis.register_function('deep', function() helper() end)";
    w.is(&["FUNCTION", "LOAD", deep], bulk("deep"));
    w.is(&["FCALL", "deep", "0"], function_error("deep", "ERR user_function:4: deep", 4));
    // The run-time library is that of EVAL.
    let body = "local ok, e = pcall(redis.call, 'incr', 'str'); return {e, redis.sha1hex(''), cjson.encode({1}), math.floor(2.5)}";
    w.is(&["FUNCTION", "LOAD", &library("rt", "rt", body)], bulk("rt"));
    w.is(
        &["FCALL", "rt", "0"],
        "*4\r\n$43\r\nERR value is not an integer or out of range\r\n$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n$3\r\n[1]\r\n:2\r\n",
    );
    let body = "redis.setresp(3); return redis.call('hgetall', 'nohash')";
    w.is(&["FUNCTION", "LOAD", &library("rs", "rs", body)], bulk("rs"));
    w.is(&["FCALL", "rs", "0"], "*0\r\n");
}

#[test]
fn replace_and_delete() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let a1 = library("liba", "fa", "return 'a1'");
    let a2 = library("liba", "fa", "return 'a2'");
    w.is(&["FUNCTION", "LOAD", &a1], bulk("liba"));
    w.is(&["FUNCTION", "LOAD", &a2], "-ERR Library 'liba' already exists\r\n");
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    w.is(&["FUNCTION", "LOAD", "REPLACE", &a2], bulk("liba"));
    w.is(&["FCALL", "fa", "0"], bulk("a2"));
    w.is(&["FUNCTION", "LOAD", "replace", &a1], bulk("liba"));
    w.is(&["FCALL", "fa", "0"], bulk("a1"));
    // A function name belongs to one library at a time, whatever the case.
    w.is(&["FUNCTION", "LOAD", &library("libc", "fa", "return 'c'")], "-ERR Function fa already exists\r\n");
    w.is(&["FUNCTION", "LOAD", &library("libc", "FA", "return 'c'")], "-ERR Function FA already exists\r\n");
    w.is(&["FUNCTION", "LOAD", "REPLACE", &library("libc", "fa", "return 'c'")], "-ERR Function fa already exists\r\n");
    // Replacing a library may drop functions and add others.
    w.is(&["FUNCTION", "LOAD", "REPLACE", &library("liba", "fb", "return 'b'")], bulk("liba"));
    w.is(&["FCALL", "fa", "0"], NOT_FOUND);
    w.is(&["FCALL", "fb", "0"], bulk("b"));
    // A failed replace leaves the old library.
    w.is(&["FUNCTION", "LOAD", "REPLACE", "#!lua name=liba\nreturn 1"], "-ERR No functions registered\r\n");
    w.is(&["FCALL", "fb", "0"], bulk("b"));
    // Library names are matched as they are.
    w.is(&["FUNCTION", "DELETE", "LIBA"], "-ERR Library not found\r\n");
    w.is(&["FUNCTION", "DELETE", "liba"], OK);
    w.is(&["FCALL", "fb", "0"], NOT_FOUND);
    w.is(&["FUNCTION", "DELETE", "liba"], "-ERR Library not found\r\n");
    // Options of LOAD.
    w.is(&["FUNCTION", "LOAD", "BAD", &a1], "-ERR Unknown option given: BAD\r\n");
    w.is(&["FUNCTION", "LOAD", "REPLACE"], "-ERR Missing library metadata\r\n");
    // The code as an unknown option, its new lines shown as spaces.
    w.is(&["FUNCTION", "LOAD", &a1, "extra"], format!("-ERR Unknown option given: {}\r\n", a1.replace('\n', " ")));
    w.is(&["FUNCTION", "LOAD", "REPLACE", "REPLACE", &a1], bulk("liba"));
}

#[test]
fn library_header_errors() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    const NAMES: &str = "-ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long\r\n";
    for (code, want) in [
        ("return 1", "-ERR Missing library metadata\r\n"),
        ("#!lua\nreturn 1", "-ERR Library name was not given\r\n"),
        ("#!lua name=\nreturn 1", NAMES),
        ("#!lua name=bad-name!\nreturn 1", NAMES),
        ("#!lua name=ok_name1 foo=bar\nreturn 1", "-ERR Invalid metadata value given: foo=bar\r\n"),
        ("#!lua name=x name=y\nreturn 1", "-ERR Invalid metadata value, name argument was given multiple times\r\n"),
        ("#!python name=x\nreturn 1", "-ERR Engine 'python' not found\r\n"),
        ("#!lua name=nofuncs\nreturn 1", "-ERR No functions registered\r\n"),
        (
            "#!lua name=compile\nreturn +",
            "-ERR Error compiling function: user_function:2: unexpected symbol near '+'\r\n",
        ),
    ] {
        w.is(&["FUNCTION", "LOAD", code], want);
    }
    // The engine name is not case-sensitive; spaces and \r\n are fine.
    w.is(&["FUNCTION", "LOAD", &library("upper", "ue", "return 1").replace("#!lua", "#!LUA")], bulk("upper"));
    w.is(&["FUNCTION", "LOAD", &library("sp", "sp", "return 1").replace("#!lua ", "#!lua  ")], bulk("sp"));
    w.is(&["FUNCTION", "LOAD", &library("crlf", "crlf", "return 1").replace("crlf\n", "crlf\r\n")], bulk("crlf"));
    w.is(&["FUNCTION", "LOAD", &library(&"a".repeat(100), "long", "return 1")], bulk("a".repeat(100)));
    // Registration errors.
    let registering = |what: &str| format!("-ERR Error registering functions: ERR {what}\r\n");
    for (body, want) in [
        (
            "redis.register_function('f1', function() return 1 end)\nredis.register_function('f1', function() return 1 end)",
            registering("Function already exists in the library"),
        ),
        (
            "redis.register_function('bad name', function() return 1 end)",
            registering("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ),
        (
            "redis.register_function('', function() end)",
            registering("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"),
        ),
        (
            "redis.register_function{function_name='f2', callback=function() return 1 end, flags={'nope'}}",
            registering("unknown flag given"),
        ),
        (
            "redis.register_function{function_name='f2', callback=function() return 1 end, flags='no-writes'}",
            registering("flags argument to redis.register_function must be a table representing function flags"),
        ),
        (
            "redis.register_function('f3')",
            registering("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        ),
        ("redis.register_function('f3', 'notfunc')", registering("second argument to redis.register_function must be a function")),
        ("redis.register_function{function_name='f4'}", registering("redis.register_function must get a callback argument")),
        ("redis.register_function{callback=function() return 1 end}", registering("redis.register_function must get a function name argument")),
        (
            "redis.register_function{function_name='f4', callback=function() end, extra=1}",
            registering("unknown argument given to redis.register_function"),
        ),
        ("redis.register_function('a', function() return 1 end, 'extra')", registering("wrong number of arguments to redis.register_function")),
        ("redis.register_function()", registering("wrong number of arguments to redis.register_function")),
        ("x = 1", registering("user_function:2: Attempt to modify a readonly table")),
        ("local y = undefined_var", registering("user_function:2: Script attempted to access nonexistent global variable 'undefined_var'")),
    ] {
        w.is(&["FUNCTION", "LOAD", &format!("#!lua name=reg\n{body}")], want);
    }
    // Loading runs with little more than redis.register_function and
    // redis.log: no commands, no standard library.
    for (global, name) in [
        ("error('boom')", "error"),
        ("redis.call('set', 'a', 'b')", "call"),
        ("redis.pcall('get', 'a')", "pcall"),
        ("redis.setresp(3)", "setresp"),
        ("redis.sha1hex('')", "sha1hex"),
        ("local v = math.floor(2.5)", "math"),
        ("local v = string.rep('a', 2)", "string"),
        ("local v = type(1)", "type"),
        ("local v = cjson.encode({})", "cjson"),
        ("local v = KEYS", "KEYS"),
        ("local v = redis.REPL_ALL", "REPL_ALL"),
    ] {
        w.is(
            &[
                "FUNCTION",
                "LOAD",
                &format!("#!lua name=env\n{global}\nredis.register_function('env', function() return 1 end)"),
            ],
            registering(&format!("user_function:2: Script attempted to access nonexistent global variable '{name}'")),
        );
    }
    w.is(&["FCALL", "env", "0"], NOT_FOUND);
    let code = "#!lua name=env\nredis.log(redis.LOG_WARNING, 'loading')\nlocal v = redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM\n\
                redis.register_function('env', function() return v end)";
    w.is(&["FUNCTION", "LOAD", code], bulk("env"));
    w.is(&["FCALL", "env", "0"], bulk("7.0.15 458767"));
    // Accepted oddities: a numeric name and a numeric description.
    w.is(
        &["FUNCTION", "LOAD", "#!lua name=odd\nredis.register_function(5, function() return 'five' end)\nredis.register_function{function_name='d', callback=function() return 1 end, description=5}"],
        bulk("odd"),
    );
    w.is(&["FCALL", "5", "0"], bulk("five"));
    // Nothing was left behind by the failed loads.
    w.is(&["FUNCTION", "LIST", "LIBRARYNAME", "reg"], "*0\r\n");
    w.is(&["FUNCTION", "DELETE", "odd"], OK);
    w.is(&["FUNCTION", "DELETE", "env"], OK);
    for lib in ["upper", "sp", "crlf"] {
        w.is(&["FUNCTION", "DELETE", lib], OK);
    }
    w.is(&["FUNCTION", "DELETE", &"a".repeat(100)], OK);
    w.is(&["FUNCTION", "LIST"], "*0\r\n");
}
