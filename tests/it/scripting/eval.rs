//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: arguments, the script
//! cache, numkeys and arity errors, compile and run-time errors, and the
//! `redis.*` helpers.

use super::{call, eval, script_error, sha1_hex};
use crate::common::wire::{arity, bulk, bulks, int, Wire, NIL, OK};
use crate::common::Server;

const NOSCRIPT: &str = "-NOSCRIPT No matching script. Please use EVAL.\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

#[test]
fn keys_and_argv_reach_the_script() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let body = "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}";
    let want = b"*6\r\n$2\r\nk1\r\n$2\r\nk2\r\n$2\r\na1\r\n$2\r\na2\r\n:2\r\n:2\r\n";
    w.is(&eval(body, &["k1", "k2"], &["a1", "a2"]), want);
    w.is(&call("EVAL_RO", body, &["k1", "k2"], &["a1", "a2"]), want);
    // With no keys every argument is in ARGV.
    w.is(&eval("return {#KEYS, #ARGV, ARGV[3]}", &[], &["x", "y", "z"]), b"*3\r\n:0\r\n:3\r\n$1\r\nz\r\n");
    w.is(&eval("return #KEYS + #ARGV", &[], &[]), int(0));
    // Arguments are binary-safe both ways.
    let binary: &[u8] = b"a\0b\r\n\xff";
    w.is(&[b"EVAL".as_slice(), b"return ARGV[1]", b"0", binary], bulk(binary));
    w.is(&[b"EVAL".as_slice(), b"return string.len(KEYS[1])", b"1", binary], int(6));
    // Command names are case-insensitive.
    w.is(&["eval", "return 'lower'", "0"], bulk("lower"));
    // The same script through the cache, read-only.
    let sha = sha1_hex(body.as_bytes());
    w.is(&["SCRIPT", "LOAD", body], bulk(&sha));
    w.is(&call("EVALSHA", &sha, &["k1", "k2"], &["a1", "a2"]), want);
    w.is(&call("EVALSHA_RO", &sha, &["k1", "k2"], &["a1", "a2"]), want);
}

#[test]
fn numkeys_errors() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    const NEGATIVE: &str = "-ERR Number of keys can't be negative\r\n";
    const TOO_MANY: &str = "-ERR Number of keys can't be greater than number of args\r\n";
    let unknown = "ffffffffffffffffffffffffffffffffffffffff";
    for (verb, first) in [("EVAL", "return 1"), ("EVAL_RO", "return 1"), ("EVALSHA", unknown), ("EVALSHA_RO", unknown)]
    {
        // numkeys is checked before the script is looked up.
        w.is(&[verb, first, "-1"], NEGATIVE);
        w.is(&[verb, first, "-1", "a"], NEGATIVE);
        w.is(&[verb, first, "3", "a"], TOO_MANY);
        w.is(&[verb, first, "1"], TOO_MANY);
        for bad in ["x", "1.5", " 1", "01", "99999999999999999999", ""] {
            w.is(&[verb, first, bad, "k"], NOT_INT);
        }
    }
    // numkeys equal to the number of arguments is fine.
    w.is(&["EVAL", "return KEYS[2]", "2", "a", "b"], bulk("b"));
}

#[test]
fn script_cache_load_exists_flush() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let body = "return 'hello'";
    let sha = sha1_hex(body.as_bytes());
    assert_eq!(sha, "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b");
    let upper = sha.to_uppercase();
    w.is(&["SCRIPT", "EXISTS", &sha], b"*1\r\n:0\r\n");
    w.is(&["EVALSHA", &sha, "0"], NOSCRIPT);
    w.is(&["SCRIPT", "LOAD", body], bulk(&sha));
    w.is(&["SCRIPT", "LOAD", body], bulk(&sha));
    w.is(&["EVALSHA", &sha, "0"], bulk("hello"));
    // The digest is matched without regard to case.
    w.is(&["EVALSHA", &upper, "0"], bulk("hello"));
    w.is(&["EVALSHA_RO", &upper, "0"], bulk("hello"));
    w.is(
        &["SCRIPT", "EXISTS", &sha, &upper, "nope", "ffffffffffffffffffffffffffffffffffffffff"],
        b"*4\r\n:1\r\n:1\r\n:0\r\n:0\r\n",
    );
    // Anything that is not a cached digest is just unknown.
    for unknown in ["ffffffffffffffffffffffffffffffffffffffff", "fff", "", &format!("{sha}0")] {
        w.is(&["EVALSHA", unknown, "0"], NOSCRIPT);
        w.is(&["EVALSHA_RO", unknown, "0"], NOSCRIPT);
    }
    // EVAL and EVAL_RO put their script in the cache; a script that does
    // not compile is not cached.
    w.is(&["EVAL", "return 1", "0"], int(1));
    w.is(&["EVAL_RO", "return 2", "0"], int(2));
    w.is(&["SCRIPT", "EXISTS", &sha1_hex(b"return 1"), &sha1_hex(b"return 2")], b"*2\r\n:1\r\n:1\r\n");
    w.is(&["EVALSHA", &sha1_hex(b"return 1"), "0"], int(1));
    let failed = w.call(&["EVAL", "return +", "0"]).starts_with(b"-ERR Error compiling");
    w.check(failed, "EVAL of a script that does not compile fails");
    w.is(&["SCRIPT", "EXISTS", &sha1_hex(b"return +")], b"*1\r\n:0\r\n");
    // SCRIPT FLUSH empties the cache, in every mode.
    let modes: [&[&str]; 5] = [&[], &["ASYNC"], &["SYNC"], &["async"], &["sync"]];
    for mode in modes {
        w.is(&["SCRIPT", "LOAD", body], bulk(&sha));
        let mut flush = vec!["SCRIPT", "FLUSH"];
        flush.extend_from_slice(mode);
        w.is(&flush, OK);
        w.is(&["SCRIPT", "EXISTS", &sha], b"*1\r\n:0\r\n");
        w.is(&["EVALSHA", &sha, "0"], NOSCRIPT);
    }
    const FLUSH_OPTION: &str = "-ERR SCRIPT FLUSH only support SYNC|ASYNC option\r\n";
    w.is(&["SCRIPT", "FLUSH", "BAD"], FLUSH_OPTION);
    w.is(&["SCRIPT", "FLUSH", "SYNC", "ASYNC"], FLUSH_OPTION);
    w.is(&["SCRIPT", "FLUSH", "a", "b", "c"], FLUSH_OPTION);
    // Nothing is running.
    w.is(&["SCRIPT", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");
    w.is(&["SCRIPT", "kill"], "-NOTBUSY No scripts in execution right now.\r\n");
    w.is(&["SCRIPT", "FOO"], "-ERR unknown subcommand 'FOO'. Try SCRIPT HELP.\r\n");
    let help = w.call(&["SCRIPT", "HELP"]);
    let first = b"*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n";
    w.check(help.starts_with(first), format!("SCRIPT HELP: {}", String::from_utf8_lossy(&help)));
}

#[test]
fn compile_errors() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let plus = "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'\r\n";
    w.is(&["EVAL", "return +", "0"], plus);
    w.is(&["EVAL_RO", "return +", "0"], plus);
    w.is(&["SCRIPT", "LOAD", "return +"], plus);
    w.is(
        &["EVAL", "return 3 +", "0"],
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'\r\n",
    );
    w.is(
        &["EVAL", "local a = 1\nlocal b = 2\nif a then", "0"],
        "-ERR Error compiling script (new function): user_script:3: 'end' expected near '<eof>'\r\n",
    );
    w.is(
        &["EVAL", "x = = 1", "0"],
        "-ERR Error compiling script (new function): user_script:1: unexpected symbol near '='\r\n",
    );
}

#[test]
fn runtime_errors_name_the_script_and_line() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "str", "abc"], OK);
    let cases: &[(&str, &str, u32)] = &[
        ("error('boom')", "ERR user_script:1: boom", 1),
        ("\n\nerror('boom')", "ERR user_script:3: boom", 3),
        ("error('no position', 0)", "ERR no position", 1),
        ("error({err='custom'})", "custom", 1),
        ("return error(redis.error_reply('MYERR custom'))", "MYERR custom", 1),
        ("return assert(false, 'assertion msg')", "ERR user_script:1: assertion msg", 1),
        ("local a = nil; return a.b", "ERR user_script:1: attempt to index local 'a' (a nil value)", 1),
        ("return 1 + {}", "ERR user_script:1: attempt to perform arithmetic on a table value", 1),
        // Errors of the commands a script calls, with their own codes.
        ("return redis.call('incr', 'str')", "ERR value is not an integer or out of range", 1),
        (
            "local x = 1\nreturn redis.call('lpush', 'str', 'x')",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
            2,
        ),
        ("return redis.call('nosuch')", "ERR Unknown Redis command called from script", 1),
        ("return redis.call(1)", "ERR Unknown Redis command called from script", 1),
        ("return redis.call('get')", "ERR Wrong number of args calling Redis command from script", 1),
        ("return redis.call('get', 'str', 'extra')", "ERR Wrong number of args calling Redis command from script", 1),
        ("return redis.call()", "ERR Please specify at least one argument for this redis lib call", 1),
        ("return redis.call('set', 'a', {})", "ERR Lua redis lib command arguments must be strings or integers", 1),
        ("return redis.call('get', true)", "ERR Lua redis lib command arguments must be strings or integers", 1),
        ("return redis.call('get', nil)", "ERR Lua redis lib command arguments must be strings or integers", 1),
    ];
    for (body, message, line) in cases {
        w.is(&eval(body, &[], &[]), script_error(body, message, *line));
    }
    // EVALSHA reports the same digest.
    let body = "\nerror('from the cache')";
    let sha = sha1_hex(body.as_bytes());
    w.is(&["SCRIPT", "LOAD", body], bulk(&sha));
    w.is(&["EVALSHA", &sha, "0"], script_error(body, "ERR user_script:2: from the cache", 2));
    // The connection and the server go on.
    w.is(&["PING"], "+PONG\r\n");
}

#[test]
fn pcall_returns_errors_as_tables() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    w.is(&["SET", "str", "abc"], OK);
    // An error table returned from the script is the reply, with no suffix.
    w.is(&eval("return redis.pcall('incr', KEYS[1])", &["str"], &[]), NOT_INT);
    w.is(
        &eval("return redis.pcall('lpush', KEYS[1], 'x')", &["str"], &[]),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
    w.is(&eval("return redis.pcall('nosuch')", &[], &[]), "-ERR Unknown Redis command called from script\r\n");
    w.is(
        &eval("return redis.pcall('get')", &[], &[]),
        "-ERR Wrong number of args calling Redis command from script\r\n",
    );
    // The table has the error line, without the dash, in `err`.
    w.is(
        &eval("local r = redis.pcall('incr', KEYS[1]); return type(r) .. ':' .. r.err", &["str"], &[]),
        bulk("table:ERR value is not an integer or out of range"),
    );
    w.is(
        &eval("return redis.pcall('lpush', KEYS[1], 'x').err", &["str"], &[]),
        bulk("WRONGTYPE Operation against a key holding the wrong kind of value"),
    );
    // The script goes on after a failed pcall.
    w.is(&eval("redis.pcall('incr', KEYS[1]); return redis.call('get', KEYS[1])", &["str"], &[]), bulk("abc"));
    // Lua's own pcall around redis.call gets the error line as a string.
    w.is(
        &eval("local ok, e = pcall(redis.call, 'incr', KEYS[1]); return {tostring(ok), type(e), e}", &["str"], &[]),
        bulks(&["false", "string", "ERR value is not an integer or out of range"]),
    );
    w.is(&eval("local ok, e = pcall(function() error({err='ERR tbl'}) end); return e", &[], &[]), bulk("ERR tbl"));
    w.is(&eval("local ok, e = pcall(error, 'x'); return {tostring(ok), e}", &[], &[]), bulks(&["false", "x"]));
    w.is(&eval("local ok, e = pcall(function() error('x') end); return e", &[], &[]), bulk("user_script:1: x"));
}

#[test]
fn error_and_status_replies() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let e = |body: &str| eval(body, &[], &[]);
    w.is(&e("return redis.error_reply('MY bad')"), "-MY bad\r\n");
    // Without a code of its own, ERR is put in front.
    w.is(&e("return redis.error_reply('bad')"), "-ERR bad\r\n");
    w.is(&e("return redis.error_reply('-X bad')"), "-X bad\r\n");
    w.is(&e("return redis.error_reply('')"), "-ERR \r\n");
    w.is(&e("return redis.status_reply('FINE')"), "+FINE\r\n");
    w.is(&e("return redis.status_reply('OK')"), OK);
    for body in [
        "return redis.error_reply()",
        "return redis.error_reply(1)",
        "return redis.status_reply()",
        "return redis.status_reply(5)",
    ] {
        w.is(&e(body), "-ERR wrong number or type of arguments\r\n");
    }
    // Tables with `err` or `ok` are errors and statuses; err comes first,
    // and either wins over array items.
    w.is(&e("return {err='bad thing'}"), "-bad thing\r\n");
    w.is(&e("return {ok='fine'}"), "+fine\r\n");
    w.is(&e("return {ok='x', err='y'}"), "-y\r\n");
    w.is(&e("return {1, 2, ok='x'}"), "+x\r\n");
    w.is(&e("return {err='x', 1}"), "-x\r\n");
    w.is(&e("return {1, {err='inner'}, {ok='fine'}}"), "*3\r\n:1\r\n-inner\r\n+fine\r\n");
    // New lines in an error become spaces.
    w.is(&e("return {err='ERR a\\nb'}"), "-ERR a b\r\n");
    // ok and err must be strings; otherwise the table is an empty array.
    w.is(&e("return {err=5}"), "*0\r\n");
    w.is(&e("return {ok=5}"), "*0\r\n");
}

#[test]
fn redis_helpers() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let e = |body: &str| eval(body, &[], &[]);
    let err = |body: &str, message: &str| script_error(body, message, 1);
    w.is(&e("return redis.sha1hex('')"), bulk("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    w.is(&e("return redis.sha1hex('hello')"), bulk("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"));
    w.is(&e("return redis.sha1hex(123)"), bulk(sha1_hex(b"123")));
    let body = "return redis.sha1hex()";
    w.is(&e(body), err(body, "ERR wrong number of arguments"));
    let body = "return redis.sha1hex('a', 'b')";
    w.is(&e(body), err(body, "ERR wrong number of arguments"));
    // redis.log is accepted at every level and returns nothing.
    w.is(
        &e("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
        "*4\r\n:0\r\n:1\r\n:2\r\n:3\r\n",
    );
    for level in ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"] {
        w.is(&e(&format!("return redis.log(redis.{level}, 'from a script', 'and more', 3)")), NIL);
    }
    let body = "return redis.log(99, 'x')";
    w.is(&e(body), err(body, "ERR Invalid debug level."));
    let body = "return redis.log(redis.LOG_WARNING)";
    w.is(&e(body), err(body, "ERR redis.log() requires two arguments or more."));
    let body = "return redis.log('x', 'y')";
    w.is(&e(body), err(body, "ERR First argument must be a number (log level)."));
    // The version the server reports.
    w.is(&e("return redis.REDIS_VERSION"), bulk("7.0.15"));
    w.is(&e("return redis.REDIS_VERSION_NUM"), int(0x07_00_0f));
    // Replication controls are accepted (effects are always replicated).
    w.is(
        &e("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
        "*5\r\n:0\r\n:1\r\n:2\r\n:2\r\n:3\r\n",
    );
    w.is(&e("return redis.set_repl(redis.REPL_ALL)"), NIL);
    w.is(&e("return redis.set_repl(redis.REPL_NONE)"), NIL);
    w.is(&e("return redis.replicate_commands()"), int(1));
    let body = "return redis.set_repl(99)";
    w.is(&e(body), err(body, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
    let body = "return redis.set_repl()";
    w.is(&e(body), err(body, "ERR redis.set_repl() requires two arguments."));
    // redis.setresp takes 2 or 3.
    w.is(&e("return redis.setresp(2)"), NIL);
    w.is(&e("return redis.setresp(3)"), NIL);
    w.is(&e("return redis.setresp('3')"), NIL);
    for body in ["return redis.setresp(4)", "return redis.setresp('x')"] {
        w.is(&e(body), err(body, "ERR RESP version must be 2 or 3."));
    }
    let body = "return redis.setresp()";
    w.is(&e(body), err(body, "ERR redis.setresp() requires one argument."));
}

#[test]
fn wrong_arity() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    let cases: &[(&str, &[&str])] = &[
        ("eval", &["EVAL"]),
        ("eval", &["EVAL", "return 1"]),
        ("eval_ro", &["EVAL_RO"]),
        ("eval_ro", &["EVAL_RO", "return 1"]),
        ("evalsha", &["EVALSHA"]),
        ("evalsha", &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff"]),
        ("evalsha_ro", &["EVALSHA_RO"]),
        ("evalsha_ro", &["EVALSHA_RO", "x"]),
        ("fcall", &["FCALL"]),
        ("fcall", &["FCALL", "f"]),
        ("fcall_ro", &["FCALL_RO"]),
        ("fcall_ro", &["FCALL_RO", "f"]),
        ("script", &["SCRIPT"]),
        ("script|load", &["SCRIPT", "LOAD"]),
        ("script|load", &["SCRIPT", "LOAD", "a", "b"]),
        ("script|load", &["script", "Load"]),
        ("script|exists", &["SCRIPT", "EXISTS"]),
        ("script|kill", &["SCRIPT", "KILL", "x"]),
        ("function", &["FUNCTION"]),
        ("function|load", &["FUNCTION", "LOAD"]),
        ("function|delete", &["FUNCTION", "DELETE"]),
        ("function|delete", &["FUNCTION", "DELETE", "a", "b"]),
        ("function|restore", &["FUNCTION", "RESTORE"]),
        ("function|dump", &["FUNCTION", "DUMP", "x"]),
        ("function|stats", &["FUNCTION", "STATS", "x"]),
        ("function|kill", &["FUNCTION", "KILL", "x"]),
    ];
    for (command, args) in cases {
        w.is(args, arity(command));
    }
    // FUNCTION FLUSH and FUNCTION RESTORE check their extra arguments
    // themselves.
    w.is(
        &["FUNCTION", "FLUSH", "SYNC", "X"],
        "-ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP.\r\n",
    );
    w.is(
        &["FUNCTION", "RESTORE", "payload", "FLUSH", "x"],
        "-ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.\r\n",
    );
}
