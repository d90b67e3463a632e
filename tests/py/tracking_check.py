#!/usr/bin/env python3
"""Uses a server's client-side caching through redis-py 8's own cache.

Usage: tracking_check.py PORT

A client with ``protocol=3`` and a ``CacheConfig`` reads keys (string, hash,
list), another client changes them, expires one, flushes; after each change
the caching client must read the new value, never a stale one from its
cache. Prints ``ok`` and exits 0, or prints what was stale and exits 1.

redis-py 8 turns its cache on only for servers that report version 7.4 or
later in ``HELLO``; Redis 7.0 already has everything the cache uses
(RESP3, ``CLIENT TRACKING``, invalidation pushes), so this check lowers that
gate to 7.0 and runs the same against Efis and Redis 7.0.15.
"""

import sys
import time

import redis
from redis.cache import CacheConfig
from redis.connection import CacheProxyConnection

CacheProxyConnection.MIN_ALLOWED_VERSION = "7.0.0"


def main():
    port = int(sys.argv[1])
    cached = redis.Redis(port=port, protocol=3, cache_config=CacheConfig(), decode_responses=True)
    writer = redis.Redis(port=port, decode_responses=True)
    failures = []

    def expect(label, got, want):
        if got != want:
            failures.append(f"{label}: got {got!r}, want {want!r}")

    writer.set("csc:s", "1")
    writer.hset("csc:h", mapping={"f": "1"})
    writer.rpush("csc:l", "a", "b")
    for _ in range(3):
        expect("string first", cached.get("csc:s"), "1")
        expect("hash first", cached.hgetall("csc:h"), {"f": "1"})
        expect("list first", cached.lrange("csc:l", 0, -1), ["a", "b"])
    writer.set("csc:s", "2")
    writer.hset("csc:h", "f", "2")
    writer.rpush("csc:l", "c")
    time.sleep(0.1)
    expect("string after SET", cached.get("csc:s"), "2")
    expect("hash after HSET", cached.hgetall("csc:h"), {"f": "2"})
    expect("list after RPUSH", cached.lrange("csc:l", 0, -1), ["a", "b", "c"])
    writer.set("csc:e", "soon", px=200)
    expect("volatile first", cached.get("csc:e"), "soon")
    time.sleep(0.4)
    writer.get("csc:e")  # the lookup that finds it expired
    time.sleep(0.1)
    expect("volatile after expiry", cached.get("csc:e"), None)
    writer.flushall()
    time.sleep(0.1)
    expect("string after FLUSHALL", cached.get("csc:s"), None)
    cached.set("csc:own", "x")
    expect("own write first", cached.get("csc:own"), "x")
    cached.set("csc:own", "y")
    expect("own write after", cached.get("csc:own"), "y")
    if failures:
        print("\n".join(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
