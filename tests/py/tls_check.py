#!/usr/bin/env python3
"""Checks a server's TLS port with redis-py 8 (`ssl=True`).

Usage: tls_check.py PORT CA_FILE [CERT_FILE KEY_FILE]

Connects with the server's certificate checked against CA_FILE (and the
host name 127.0.0.1 against its subjectAltName), showing CERT_FILE/KEY_FILE
as the client certificate when given; runs commands in RESP3 and RESP2,
a value larger than one TLS record, and a pipeline; exits non-zero with a
message naming the failed check. Run by tests/it/tls.rs.
"""

import os
import sys
import time

import redis


def check(label, actual, expected):
    if actual != expected:
        sys.exit(f"{label}: expected {expected!r}, got {actual!r}")


def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    client_cert = {}
    if len(sys.argv) == 5:
        client_cert = {"ssl_certfile": sys.argv[3], "ssl_keyfile": sys.argv[4]}
    for protocol in (3, 2):
        r = redis.Redis(
            host="127.0.0.1",
            port=port,
            ssl=True,
            ssl_ca_certs=ca,
            ssl_check_hostname=True,
            socket_timeout=10,
            protocol=protocol,
            **client_cert,
        )
        p = f"tls:{os.getpid()}:{time.time_ns()}:{protocol}:"
        check("PING", r.ping(), True)
        check("SET", r.set(p + "s", "v1"), True)
        check("GET", r.get(p + "s"), b"v1")
        # Larger than a TLS record (16 KiB) both ways, binary-safe.
        big = bytes(range(256)) * 4096
        check("SET big", r.set(p + "big", big), True)
        check("GET big", r.get(p + "big"), big)
        pipe = r.pipeline(transaction=False)
        for _ in range(100):
            pipe.incr(p + "n")
        check("pipelined INCR", pipe.execute()[-1], 100)
        check("HSET", r.hset(p + "h", mapping={"a": "1", "b": "2"}), 2)
        check("HGETALL", r.hgetall(p + "h"), {b"a": b"1", b"b": b"2"})
        r.close()
    print("ok")


if __name__ == "__main__":
    main()
