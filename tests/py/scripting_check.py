#!/usr/bin/env python3
"""Uses a server's scripting the way applications do, through redis-py 8.

Usage: scripting_check.py PORT PROTOCOL

PROTOCOL is 2 or 3. Runs redis-py's distributed Lock (acquire, extend,
reacquire, release, and the errors of a lock that was lost) and scripts
registered with register_script that use cjson and cmsgpack, and prints
one line per check, `label: value`. tests/it/scripting/redis_py.rs
compares the lines with what Redis 7.0 gives.
"""

import hashlib
import json
import sys
import threading
import time

import redis
from redis.exceptions import LockError, LockNotOwnedError, ResponseError


def say(label, value):
    print(f"{label}: {value!r}", flush=True)


def raised(action):
    """The name of the exception `action` raises, or its result."""
    try:
        return ("returned", action())
    except (LockError, ResponseError) as e:
        return (type(e).__name__, str(e))


def ttl_within(r, name, low_ms, high_ms):
    pttl = r.pttl(name)
    return low_ms < pttl <= high_ms


def locks(r):
    name = "py:lock"
    lock = r.lock(name, timeout=5)
    other = r.lock(name, timeout=5)
    say("acquire", lock.acquire(blocking=False))
    say("acquire taken", other.acquire(blocking=False))
    say("acquire taken, waiting 0.2 s", other.acquire(blocking=True, blocking_timeout=0.2))
    say("locked", lock.locked())
    say("owned", lock.owned())
    say("owned by the other", other.owned())
    say("ttl about 5 s", ttl_within(r, name, 4000, 5000))
    say("extend by 10 s", lock.extend(10))
    say("ttl about 15 s", ttl_within(r, name, 14000, 15000))
    say("extend to 3 s", lock.extend(3, replace_ttl=True))
    say("ttl about 3 s", ttl_within(r, name, 2000, 3000))
    say("reacquire", lock.reacquire())
    say("ttl about 5 s again", ttl_within(r, name, 4000, 5000))
    say("extend by the other", raised(lambda: other.extend(1)))
    say("release by the other", raised(other.release))
    say("release", lock.release())
    say("exists after release", r.exists(name))
    say("locked after release", lock.locked())
    say("release again", raised(lock.release))

    # A lock lost to someone else: its token no longer matches.
    say("acquire again", lock.acquire(blocking=False))
    r.set(name, "someone else")
    say("owned after loss", lock.owned())
    say("extend lost", raised(lambda: lock.extend(1)))
    say("reacquire lost", raised(lock.reacquire))
    say("release lost", raised(lock.release))
    say("value after lost release", r.get(name))
    r.delete(name)

    # A lock that expires is free for the next one.
    short = r.lock("py:short", timeout=0.3)
    say("acquire short", short.acquire(blocking=False))
    waiter = r.lock("py:short", timeout=5)
    started = time.monotonic()
    say("acquire after expiry", waiter.acquire(blocking=True, blocking_timeout=3))
    say("waited less than 3 s", time.monotonic() - started < 3)
    say("release expired", raised(short.release))
    waiter.release()

    # Released by one thread, taken by another that was waiting.
    holder = r.lock("py:handoff", timeout=10, thread_local=False)
    say("acquire handoff", holder.acquire(blocking=False))
    got = []
    taker = threading.Thread(
        target=lambda: got.append(r.lock("py:handoff", timeout=10).acquire(blocking=True, blocking_timeout=5))
    )
    taker.start()
    time.sleep(0.2)
    holder.release()
    taker.join(10)
    say("acquired by the waiting thread", got)

    with r.lock("py:with", timeout=5):
        say("exists inside with", r.exists("py:with"))
    say("exists after with", r.exists("py:with"))


DOC_SCRIPT = """
local doc = cjson.decode(ARGV[1])
doc.count = doc.count + 1
doc.tags[#doc.tags + 1] = 'seen'
redis.call('set', KEYS[1], cmsgpack.pack(doc))
local back = cmsgpack.unpack(redis.call('get', KEYS[1]))
return cjson.encode(back)
"""


def scripts(r):
    doc = r.register_script(DOC_SCRIPT)
    say("sha", doc.sha == hashlib.sha1(DOC_SCRIPT.encode()).hexdigest())
    say("exists before the first call", r.script_exists(doc.sha))
    arg = json.dumps({"name": "efis", "count": 41, "tags": ["a"]})
    result = doc(keys=["py:doc"], args=[arg])
    say("cjson and cmsgpack", json.dumps(json.loads(result), sort_keys=True))
    say("stored msgpack length", len(r.get("py:doc")))
    say("exists after the first call", r.script_exists(doc.sha))
    # After a flush redis-py loads the script again on NOSCRIPT.
    r.script_flush()
    say("exists after flush", r.script_exists(doc.sha))
    result = doc(keys=["py:doc"], args=[json.dumps({"name": "again", "count": 0, "tags": []})])
    say("after flush", json.dumps(json.loads(result), sort_keys=True))

    packed = r.register_script("return cmsgpack.pack({1, 2, 3}, 'x', {k = 'v'})")
    say("msgpack bytes", packed())
    unpacked = r.register_script("local t = cmsgpack.unpack(ARGV[1]); return {t[1], t[2], t[3]}")
    say("msgpack from the client", unpacked(args=[b"\x93\x01\xa1b\xc3"]))

    incr = r.register_script("return redis.call('incr', KEYS[1])")
    r.set("py:str", "not a number")
    say("error from a script", raised(lambda: incr(keys=["py:str"])))
    say("error sha", incr.sha)
    with r.pipeline() as pipe:
        incr(keys=["py:n"], client=pipe)
        incr(keys=["py:n"], client=pipe)
        doc(keys=["py:doc2"], args=[arg], client=pipe)
        results = pipe.execute()
    say("pipeline", [results[0], results[1], json.loads(results[2])["count"]])
    say("eval_ro", r.eval_ro("return redis.call('get', KEYS[1])", 1, "py:n"))
    say("fcall", fcall(r))


def fcall(r):
    code = (
        "#!lua name=pylib\n"
        "redis.register_function('pyget', function(keys) return cjson.encode({v = redis.call('get', keys[1])}) end)"
    )
    r.function_load(code, replace=True)
    return r.fcall("pyget", 1, "py:n")


def main():
    port = int(sys.argv[1])
    protocol = int(sys.argv[2])
    r = redis.Redis(host="127.0.0.1", port=port, protocol=protocol, socket_timeout=10)
    r.flushall()
    r.script_flush()
    r.function_flush()
    locks(r)
    scripts(r)
    print("done", flush=True)


if __name__ == "__main__":
    main()
