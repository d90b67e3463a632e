#!/usr/bin/env python3
"""Resident memory of small hashes and small integer sets, Efis against redis-server.

Usage
-----
    python3 tests/bench/small_forms_rss.py [--efis PATH] [--keys N]

For each server in turn (Efis: ``--efis``, default ``target/release/efis``;
Debian's ``redis-server`` with ``--save '' --appendonly no``) and each shape,
on a fresh server: reads VmRSS, loads ``N`` keys (default 100,000) with
``redis-cli --pipe``, reads VmRSS again, and prints the growth per key with
``OBJECT ENCODING`` and ``MEMORY USAGE`` of one key. The shapes:

* ``hash``: ``HSET h:<i> field:0 value:0 ... field:9 value:9`` (a listpack);
* ``set``:  ``SADD s:<i> 1 2 ... 10`` (an intset).
"""

import argparse
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def encode(args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)


def commands(shape, keys):
    for i in range(keys):
        if shape == "hash":
            args = ["HSET", f"h:{i}"] + [x for j in range(10) for x in (f"field:{j}", f"value:{j}")]
        else:
            args = ["SADD", f"s:{i}"] + [str(j) for j in range(1, 11)]
        yield encode(args)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True).stdout.strip()


def measure(server, efis, shape, keys):
    port, data = free_port(), tempfile.mkdtemp(prefix="efis-rss-")
    if server == "redis":
        argv = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", data]
        env = os.environ
    else:
        argv = [efis]
        env = dict(os.environ, PORT=str(port), BACKUP_PATH=data, BACKUP_INTERVAL="0", LOG_LEVEL="error")
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if cli(port, "PING") == "PONG":
                break
            time.sleep(0.05)
        before = rss_kb(child.pid)
        payload = "".join(commands(shape, keys)).encode()
        subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, capture_output=True, check=True)
        time.sleep(0.3)
        after = rss_kb(child.pid)
        key = "h:5" if shape == "hash" else "s:5"
        encoding, usage = cli(port, "OBJECT", "ENCODING", key), cli(port, "MEMORY", "USAGE", key)
        per_key = (after - before) * 1024 / keys
        print(f"{server:6} {shape:5} {encoding:9} MEMORY USAGE {usage:>4}  RSS growth {per_key:6.1f} bytes/key")
    finally:
        child.terminate()
        child.wait()
        shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--efis", default="target/release/efis")
    parser.add_argument("--keys", type=int, default=100_000)
    options = parser.parse_args()
    for shape in ("hash", "set"):
        for server in ("redis", "efis"):
            measure(server, options.efis, shape, options.keys)


if __name__ == "__main__":
    main()
