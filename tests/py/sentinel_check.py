#!/usr/bin/env python3
"""Writes through redis-py's Sentinel client while the primary fails over.

Usage: sentinel_check.py SECONDS SENTINEL_PORT...

Asks the sentinels for the primary of ``mymaster`` and increments a counter
on it as fast as it answers, for SECONDS seconds; a failed write (the
primary is gone, or a replica answers ``-READONLY``) is retried after
100 ms, with the primary looked up again. Prints one line,
``ok writes=N failed=M first=HOST:PORT last=HOST:PORT counter=C``, and
exits 0 when writes succeeded both before and after the primary changed
and the counter holds at least every write acknowledged after the change;
otherwise prints what went wrong and exits 1.
"""

import sys
import time

import redis
from redis.sentinel import Sentinel


def main():
    seconds = float(sys.argv[1])
    sentinels = [("127.0.0.1", int(port)) for port in sys.argv[2:]]
    sentinel = Sentinel(sentinels, socket_timeout=0.5)
    primary = sentinel.master_for("mymaster", socket_timeout=0.5, decode_responses=True)
    first = sentinel.discover_master("mymaster")
    writes_before = writes_after = failed = 0
    last_value = 0
    after_change = None
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            value = primary.incr("counter")
        except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, redis.ResponseError):
            failed += 1
            time.sleep(0.1)
            continue
        current = sentinel.discover_master("mymaster") if writes_after == 0 else after_change
        if current != first:
            if after_change is None:
                after_change = current
                base = value - 1
            writes_after += 1
        else:
            writes_before += 1
        last_value = value
        time.sleep(0.005)
    last = sentinel.discover_master("mymaster")
    counter = int(redis.Redis(host=last[0], port=last[1], socket_timeout=2).get("counter") or 0)
    line = (
        f"writes={writes_before + writes_after} failed={failed} first={first[0]}:{first[1]} "
        f"last={last[0]}:{last[1]} counter={counter}"
    )
    if writes_before == 0 or writes_after == 0 or last == first:
        print(f"no write on both sides of the failover: {line}")
        return 1
    if counter < base + writes_after or counter < last_value:
        print(f"acknowledged writes are missing after the failover: {line}")
        return 1
    print(f"ok {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
