//! Conversions between Lua values and replies, both ways: what a script
//! returns, as a RESP2 and as a RESP3 client sees it, and what
//! `redis.call` hands the script, before and after `redis.setresp(3)`.
//!
//! Redis's rules: Lua numbers become integers (truncated), a Lua array
//! stops at its first nil, `false` is a null, `true` is 1 unless the
//! script asked for RESP3 and the client speaks it; tables with a single
//! `ok`, `err`, `double`, `big_number`, `map`, `set` or `verbatim_string`
//! field are the reply types of those names.

use super::eval;
use crate::common::wire::{bulk, bulks, int, Wire, NIL, OK};
use crate::common::{is_redis, Server};

/// Script bodies and their exact replies, in any client protocol.
const SAME_IN_BOTH: &[(&str, &str)] = &[
    ("return 42", ":42\r\n"),
    ("return 3.99", ":3\r\n"),
    ("return -3.99", ":-3\r\n"),
    ("return -0.5", ":0\r\n"),
    ("return 'str'", "$3\r\nstr\r\n"),
    ("return true", ":1\r\n"),
    ("return {1, 2, {3, 'x', {}}, 'y'}", "*4\r\n:1\r\n:2\r\n*3\r\n:3\r\n$1\r\nx\r\n*0\r\n$1\r\ny\r\n"),
    // An array stops at the first nil.
    ("return {1, nil, 3}", "*1\r\n:1\r\n"),
    ("return {1, true, 3}", "*3\r\n:1\r\n:1\r\n:3\r\n"),
    ("return {0.5, 2.9}", "*2\r\n:0\r\n:2\r\n"),
    // Keys that are not array indexes are left out.
    ("return {a=1}", "*0\r\n"),
    ("return {}", "*0\r\n"),
    ("return {'a', b=2, 'c'}", "*2\r\n$1\r\na\r\n$1\r\nc\r\n"),
    ("return 'a\\0b'", "$3\r\na\0b\r\n"),
    ("return tostring(3.0)", "$1\r\n3\r\n"),
    ("return {ok='fine'}", "+fine\r\n"),
    ("return {err='bad'}", "-bad\r\n"),
    ("return {err='x', double=1}", "-x\r\n"),
    ("return {ok='x', double=1}", "+x\r\n"),
    // A `double` or a `big_number` of the wrong type is no such thing.
    ("return {double='x'}", "*0\r\n"),
    ("return {big_number=123}", "*0\r\n"),
    ("return {verbatim_string='x'}", "*0\r\n"),
    ("return {verbatim_string={string='x'}}", "*0\r\n"),
];

#[test]
fn lua_values_to_resp2_replies() {
    let s = Server::start();
    let mut w = Wire::open(&s);
    for (body, want) in SAME_IN_BOTH {
        w.is(&eval(body, &[], &[]), want);
    }
    for (body, want) in [
        ("return nil", NIL),
        ("return false", NIL),
        ("return {1, false, 3}", "*3\r\n:1\r\n$-1\r\n:3\r\n"),
        // RESP3 types reach a RESP2 client as their RESP2 forms.
        ("return {double=3.14}", "$18\r\n3.1400000000000001\r\n"),
        ("return {double=0.1}", "$19\r\n0.10000000000000001\r\n"),
        ("return {double=-2.5}", "$4\r\n-2.5\r\n"),
        ("return {double=0}", "$1\r\n0\r\n"),
        ("return {double=1e20}", "$5\r\n1e+20\r\n"),
        ("return {double=1/0}", "$3\r\ninf\r\n"),
        ("return {double=-1/0}", "$4\r\n-inf\r\n"),
        ("return {map={a=1}}", "*2\r\n$1\r\na\r\n:1\r\n"),
        ("return {map={a={1, 2}}}", "*2\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"),
        ("return {map={}}", "*0\r\n"),
        ("return {set={a=true}}", "*1\r\n$1\r\na\r\n"),
        ("return {set={}}", "*0\r\n"),
        ("return {big_number='123456789012345678901234567890'}", "$30\r\n123456789012345678901234567890\r\n"),
        ("return {verbatim_string={format='txt', string='hello'}}", "$5\r\nhello\r\n"),
        // Asking for RESP3 inside changes nothing for a RESP2 client but
        // booleans, which become integers.
        ("redis.setresp(3); return true", ":1\r\n"),
        ("redis.setresp(3); return false", ":0\r\n"),
        ("redis.setresp(3); return {1, false, true}", "*3\r\n:1\r\n:0\r\n:1\r\n"),
        ("redis.setresp(3); return nil", NIL),
    ] {
        w.is(&eval(body, &[], &[]), want);
    }
}

#[test]
fn lua_values_to_resp3_replies() {
    let s = Server::start();
    let mut w = Wire::open_resp3(&s);
    for (body, want) in SAME_IN_BOTH {
        w.is(&eval(body, &[], &[]), want);
    }
    for (body, want) in [
        ("return nil", "_\r\n"),
        ("return false", "_\r\n"),
        ("return {1, false, 3}", "*3\r\n:1\r\n_\r\n:3\r\n"),
        ("return {double=3.14}", ",3.1400000000000001\r\n"),
        ("return {double=0.1}", ",0.10000000000000001\r\n"),
        ("return {double=-2.5}", ",-2.5\r\n"),
        ("return {double=0}", ",0\r\n"),
        ("return {double=1e20}", ",1e+20\r\n"),
        ("return {double=1/0}", ",inf\r\n"),
        ("return {double=-1/0}", ",-inf\r\n"),
        ("return {map={a=1}}", "%1\r\n$1\r\na\r\n:1\r\n"),
        ("return {map={a={1, 2}}}", "%1\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n"),
        ("return {map={k=false}}", "%1\r\n$1\r\nk\r\n_\r\n"),
        ("return {map={k={ok='x'}}}", "%1\r\n$1\r\nk\r\n+x\r\n"),
        ("return {map={[1]=2}}", "%1\r\n:1\r\n:2\r\n"),
        ("return {map={}}", "%0\r\n"),
        ("return {set={a=true}}", "~1\r\n$1\r\na\r\n"),
        ("return {set={}}", "~0\r\n"),
        ("return {1, {map={x={set={y=true}}}}}", "*2\r\n:1\r\n%1\r\n$1\r\nx\r\n~1\r\n$1\r\ny\r\n"),
        ("return {big_number='123456789012345678901234567890'}", "(123456789012345678901234567890\r\n"),
        ("return {verbatim_string={format='txt', string='hello'}}", "=9\r\ntxt:hello\r\n"),
        ("return {verbatim_string={format='mkd', string='# hi'}}", "=8\r\nmkd:# hi\r\n"),
        // The first of double, big_number, map, set wins.
        ("return {double=1.5, map={a=1}}", ",1.5\r\n"),
        ("return {map={a=1}, set={b=true}}", "%1\r\n$1\r\na\r\n:1\r\n"),
        // RESP3 booleans only when the script asked for RESP3 too.
        ("redis.setresp(3); return true", "#t\r\n"),
        ("redis.setresp(3); return false", "#f\r\n"),
        ("redis.setresp(3); return {1, false, true}", "*3\r\n:1\r\n#f\r\n#t\r\n"),
        ("redis.setresp(3); return nil", "_\r\n"),
    ] {
        w.is(&eval(body, &[], &[]), want);
    }
}

/// Fills the keys the reply tests read.
fn fill(w: &mut Wire) {
    w.is(&["FLUSHALL"], OK);
    w.is(&["HSET", "h", "f", "v"], int(1));
    w.is(&["SADD", "st", "m"], int(1));
    w.is(&["ZADD", "z", "1.5", "a", "0.1", "b"], int(2));
    w.is(&["RPUSH", "l", "x", "y"], int(2));
}

#[test]
fn replies_to_lua_values_in_resp2_mode() {
    let s = Server::start();
    for resp3 in [false, true] {
        let mut w = if resp3 { Wire::open_resp3(&s) } else { Wire::open(&s) };
        fill(&mut w);
        let e = |body: &str| eval(body, &[], &[]);
        // What each reply type is in Lua.
        w.is(&e("return type(redis.call('incr', 'n'))"), bulk("number"));
        w.is(&e("return type(redis.call('get', 'n'))"), bulk("string"));
        w.is(&e("return type(redis.call('get', 'nokey'))"), bulk("boolean"));
        w.is(&e("return tostring(redis.call('get', 'nokey'))"), bulk("false"));
        w.is(&e("return type(redis.call('ping'))"), bulk("table"));
        w.is(&e("return redis.call('ping').ok"), bulk("PONG"));
        w.is(&e("return redis.call('type', 'nokey').ok"), bulk("none"));
        w.is(&e("return type(redis.call('lrange', 'nolist', 0, -1))"), bulk("table"));
        // A null array (LPOP with a count on a missing key) is false too.
        w.is(&e("return tostring(redis.call('lpop', 'nolist', 2))"), bulk("false"));
        // Maps and sets arrive flattened; doubles as strings.
        w.is(
            &e("local t = redis.call('hgetall', 'h'); return {type(t), #t, t[1], t[2], tostring(t.map)}"),
            "*5\r\n$5\r\ntable\r\n:2\r\n$1\r\nf\r\n$1\r\nv\r\n$3\r\nnil\r\n",
        );
        w.is(&e("return redis.call('zscore', 'z', 'b')"), bulk("0.10000000000000001"));
        w.is(&e("return type(redis.call('zscore', 'z', 'a'))"), bulk("string"));
        // Returned as they are, they become the same replies again.
        let nil = if resp3 { "_\r\n" } else { NIL };
        w.is(&e("return redis.call('get', 'nokey')"), nil);
        w.is(&e("return {redis.call('get', 'nokey'), 1}"), format!("*2\r\n{nil}:1\r\n"));
        w.is(&e("return redis.call('lpop', 'nolist', 2)"), nil);
        w.is(&e("return redis.call('ping')"), "+PONG\r\n");
        w.is(&e("return redis.call('set', 'k', 'v')"), OK);
        w.is(&e("return redis.call('lrange', 'l', 0, -1)"), bulks(&["x", "y"]));
        w.is(&e("return redis.call('hgetall', 'h')"), bulks(&["f", "v"]));
        w.is(&e("return redis.call('smembers', 'st')"), bulks(&["m"]));
        w.is(&e("return redis.call('zscore', 'z', 'a')"), bulk("1.5"));
        w.is(&e("return redis.call('lmpop', 1, 'l', 'left')"), "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nx\r\n");
        // Lua numbers passed to a command are formatted with 17 digits.
        w.is(&e("return redis.call('echo', 12)"), bulk("12"));
        w.is(&e("return redis.call('echo', 1.5)"), bulk("1.5"));
        w.is(&e("return redis.call('echo', 0.1)"), bulk("0.10000000000000001"));
        w.is(&e("return redis.call('echo', 1e20)"), bulk("1e+20"));
        w.is(&e("return redis.call('echo', -3)"), bulk("-3"));
        w.is(&e("redis.call('set', 'f', 2.5); return redis.call('get', 'f')"), bulk("2.5"));
    }
}

#[test]
fn replies_to_lua_values_in_resp3_mode() {
    let s = Server::start();
    for resp3 in [false, true] {
        let mut w = if resp3 { Wire::open_resp3(&s) } else { Wire::open(&s) };
        fill(&mut w);
        let e = |body: &str| eval(&format!("redis.setresp(3); {body}"), &[], &[]);
        // The RESP3 types as Lua sees them.
        w.is(&e("return type(redis.call('get', 'nokey'))"), bulk("nil"));
        w.is(&e("return tostring(redis.call('lpop', 'nolist', 2))"), bulk("nil"));
        w.is(&e("return {redis.call('get', 'nokey')}"), "*0\r\n");
        w.is(
            &e("local t = redis.call('hgetall', 'h'); return {type(t), #t, tostring(t[1]), type(t.map), t.map.f}"),
            "*5\r\n$5\r\ntable\r\n:0\r\n$3\r\nnil\r\n$5\r\ntable\r\n$1\r\nv\r\n",
        );
        w.is(
            &e("local t = redis.call('smembers', 'st'); return {type(t.set), tostring(t.set.m)}"),
            bulks(&["table", "true"]),
        );
        w.is(
            &e("local d = redis.call('zscore', 'z', 'a'); return {type(d), type(d.double), tostring(d.double)}"),
            bulks(&["table", "number", "1.5"]),
        );
        w.is(
            &e("local t = redis.call('zrange', 'z', 0, -1, 'withscores'); return {#t, t[1][1], tostring(t[1][2].double)}"),
            "*3\r\n:2\r\n$1\r\nb\r\n$3\r\n0.1\r\n",
        );
        // INFO is a verbatim string in RESP3.
        w.is(
            &e("local v = redis.call('info', 'server'); return {v.verbatim_string.format, string.sub(v.verbatim_string.string, 1, 8)}"),
            bulks(&["txt", "# Server"]),
        );
        // Integers, strings, statuses and arrays are as in RESP2.
        w.is(&e("return type(redis.call('incr', 'n'))"), bulk("number"));
        w.is(&e("return redis.call('ping').ok"), bulk("PONG"));
        w.is(&e("return redis.call('type', 'nokey')"), "+none\r\n");
        w.is(
            &e("return redis.pcall('incr', 'h')"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        );
        // Returned as they are, each is the RESP3 reply for a RESP3
        // client and its RESP2 form for a RESP2 client.
        let (null, map, set, double, small, pairs) = if resp3 {
            (
                "_\r\n",
                "%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
                "~1\r\n$1\r\nm\r\n",
                ",1.5\r\n",
                ",0.10000000000000001\r\n",
                "*2\r\n*2\r\n$1\r\nb\r\n,0.10000000000000001\r\n*2\r\n$1\r\na\r\n,1.5\r\n",
            )
        } else {
            (
                NIL,
                "*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
                "*1\r\n$1\r\nm\r\n",
                "$3\r\n1.5\r\n",
                "$19\r\n0.10000000000000001\r\n",
                "*2\r\n*2\r\n$1\r\nb\r\n$19\r\n0.10000000000000001\r\n*2\r\n$1\r\na\r\n$3\r\n1.5\r\n",
            )
        };
        w.is(&e("return redis.call('get', 'nokey')"), null);
        w.is(&e("return redis.call('hgetall', 'h')"), map);
        w.is(&e("return redis.call('smembers', 'st')"), set);
        w.is(&e("return redis.call('zscore', 'z', 'a')"), double);
        w.is(&e("return redis.call('zscore', 'z', 'b')"), small);
        w.is(&e("return redis.call('zrange', 'z', 0, -1, 'withscores')"), pairs);
        // Without setresp(3) a RESP3 client still gets RESP2 shapes from
        // the script's commands.
        w.is(&eval("return redis.call('hgetall', 'h')", &[], &[]), bulks(&["f", "v"]));
        w.is(&eval("return redis.call('zscore', 'z', 'a')", &[], &[]), bulk("1.5"));
        w.is(
            &eval("redis.setresp(3); redis.setresp(2); return redis.call('hgetall', 'h')", &[], &[]),
            bulks(&["f", "v"]),
        );
    }
}

/// A returned table nested deeper than 1000 levels, or holding itself, is
/// refused whole: the client gets the error and nothing of the table, and
/// the connection and server carry on. Efis's choice: Redis writes part
/// of the reply first, so there is nothing to compare against.
#[test]
fn tables_too_deep_to_return_are_refused_whole() {
    if is_redis() {
        return;
    }
    let s = Server::start();
    let mut w = Wire::open(&s);
    let deep =
        |levels: usize| format!("local t = {{}} local c = t for i = 1, {levels} do c[1] = {{}} c = c[1] end return t");
    for body in ["local t = {} t[1] = t return t".to_string(), deep(2000)] {
        w.is(&eval(&body, &[], &[]), "-ERR reached lua stack limit\r\n");
        w.is(&["PING"], "+PONG\r\n");
    }
    let fine = w.call(&eval(&deep(999), &[], &[]));
    w.check(fine.starts_with(b"*1\r\n*1\r\n"), "999 levels are returned");
    w.is(&["PING"], "+PONG\r\n");
}
