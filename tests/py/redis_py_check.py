#!/usr/bin/env python3
"""Checks a server with redis-py 8, the way applications use it.

Usage: redis_py_check.py PORT

redis-py 8 opens every connection with HELLO 3 (RESP3) unless told
otherwise. This script runs the same checks in the library's default mode,
with protocol=3 given explicitly, and with protocol=2, each on its own key
prefix, and exits non-zero with a message naming the failed check.
Run by tests/it/clients.rs.
"""

import os
import sys
import time

import redis


class CheckFailed(Exception):
    pass


def check(label, actual, expected):
    if actual != expected:
        raise CheckFailed(f"{label}: expected {expected!r}, got {actual!r}")


def run_checks(mode, **kwargs):
    r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kwargs)
    p = f"py:{os.getpid()}:{time.time_ns()}:{mode}:"

    check("PING", r.ping(), True)
    check("ECHO", r.echo("hi"), b"hi")

    # strings
    check("SET", r.set(p + "s", "v1"), True)
    check("GET", r.get(p + "s"), b"v1")
    check("GET missing", r.get(p + "missing"), None)
    check("SET NX on existing key", r.set(p + "s", "v2", nx=True), None)
    check("SET GET", r.set(p + "s", "v2", get=True), b"v1")
    check("APPEND", r.append(p + "s", "xy"), 4)
    check("STRLEN", r.strlen(p + "s"), 4)
    check("INCR", r.incr(p + "n"), 1)
    check("INCRBY", r.incrby(p + "n", 41), 42)
    check("DECR", r.decr(p + "n"), 41)
    check("INCRBYFLOAT", r.incrbyfloat(p + "f", 1.5), 1.5)
    check("MSET", r.mset({p + "m1": "a", p + "m2": "b"}), True)
    check("MGET", r.mget([p + "m1", p + "nope", p + "m2"]), [b"a", None, b"b"])
    try:
        r.incr(p + "s")
        raise CheckFailed("INCR of a non-integer: expected an error")
    except redis.ResponseError as e:
        check("INCR error text", str(e), "value is not an integer or out of range")

    # keys and expiry
    check("EXISTS", r.exists(p + "s", p + "n", p + "nope"), 2)
    check("TYPE", r.type(p + "s"), b"string")
    check("EXPIRE", r.expire(p + "s", 100), True)
    ttl = r.ttl(p + "s")
    if not 0 < ttl <= 100:
        raise CheckFailed(f"TTL: expected 1..100, got {ttl!r}")
    check("TTL without expiry", r.ttl(p + "n"), -1)
    check("TTL missing key", r.ttl(p + "nope"), -2)
    check("PERSIST", r.persist(p + "s"), True)
    check("DEL", r.delete(p + "s", p + "nope"), 1)
    check("EXISTS after DEL", r.exists(p + "s"), 0)

    # aggregate types (maps, sets and doubles in RESP3)
    check("HSET", r.hset(p + "h", mapping={"a": "1", "b": "2"}), 2)
    check("HGETALL", r.hgetall(p + "h"), {b"a": b"1", b"b": b"2"})
    check("SADD", r.sadd(p + "set", "x", "y", "z"), 3)
    check("SMEMBERS", r.smembers(p + "set"), {b"x", b"y", b"z"})
    check("RPUSH", r.rpush(p + "l", "a", "b", "c"), 3)
    check("LRANGE", r.lrange(p + "l", 0, -1), [b"a", b"b", b"c"])
    check("ZADD", r.zadd(p + "z", {"one": 1, "two": 2.5}), 2)
    check("ZSCORE", r.zscore(p + "z", "two"), 2.5)
    # pairs come back as tuples or lists depending on the mode
    pairs = [tuple(pair) for pair in r.zrange(p + "z", 0, -1, withscores=True)]
    check("ZRANGE WITHSCORES", pairs, [(b"one", 1.0), (b"two", 2.5)])

    # server introspection that libraries and tools parse
    info = r.info()
    for field in ("redis_version", "connected_clients", "used_memory", "loading"):
        if field not in info:
            raise CheckFailed(f"INFO: no field {field!r} in {sorted(info)}")
    check("INFO loading", info["loading"], 0)
    check("CONFIG GET databases", r.config_get("databases"), {"databases": "16"})
    check("CLIENT SETNAME", r.client_setname("py-check"), True)
    name = r.client_getname()
    check("CLIENT GETNAME", name.decode() if isinstance(name, bytes) else name, "py-check")
    if not isinstance(r.client_id(), int):
        raise CheckFailed("CLIENT ID: not an integer")

    # a non-transactional pipeline
    pipe = r.pipeline(transaction=False)
    pipe.set(p + "p1", "one")
    pipe.incr(p + "p2")
    pipe.incr(p + "p2")
    pipe.get(p + "p1")
    pipe.mget(p + "p1", p + "p2", p + "nope")
    pipe.delete(p + "p1")
    pipe.exists(p + "p1")
    check("pipeline", pipe.execute(), [True, 1, 2, b"one", [b"one", b"2", None], 1, 0])

    # a pipeline with an error in the middle still answers the rest
    pipe = r.pipeline(transaction=False)
    pipe.set(p + "pe", "x")
    pipe.incr(p + "pe")
    pipe.get(p + "pe")
    results = pipe.execute(raise_on_error=False)
    check("pipeline with error: length", len(results), 3)
    check("pipeline with error: SET", results[0], True)
    if not isinstance(results[1], redis.ResponseError):
        raise CheckFailed(f"pipeline with error: expected an error, got {results[1]!r}")
    check("pipeline with error: GET", results[2], b"x")

    # decode_responses, as most applications use it
    d = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, decode_responses=True, **kwargs)
    check("decoded GET", d.get(p + "m1"), "a")
    check("decoded HGETALL", d.hgetall(p + "h"), {"a": "1", "b": "2"})
    r.close()
    d.close()


def main():
    modes = [
        ("default", {}),
        ("resp3", {"protocol": 3}),
        ("resp2", {"protocol": 2}),
    ]
    for mode, kwargs in modes:
        try:
            run_checks(mode, **kwargs)
        except CheckFailed as e:
            print(f"redis-py {redis.__version__} ({mode}): {e}", file=sys.stderr)
            return 1
        except redis.RedisError as e:
            print(f"redis-py {redis.__version__} ({mode}): {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    print(f"redis-py {redis.__version__}: all checks passed in modes {', '.join(m for m, _ in modes)}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: redis_py_check.py PORT", file=sys.stderr)
        sys.exit(2)
    PORT = int(sys.argv[1])
    sys.exit(main())
