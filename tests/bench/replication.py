"""Replication for ``bench.py --replication`` (Efis next to redis-server).

For each kind of server (Efis, Redis), a primary loaded with ``--keys``
keys (``SET key:%08d <16-byte value>``) and a replica of the same kind:

1. Full resynchronization: the replica is told ``REPLICAOF`` the primary;
   the time until it reports ``master_link_status:up`` with every key,
   and the longest a ``PING`` sent to the primary in a loop meanwhile
   waited for its reply (how long the primary's loop served nobody).
2. Writes with a replica attached: ``redis-benchmark SET`` at ``-P 1``
   and ``-P 32`` against the primary, with the replica following it,
   next to the same run against a primary without a replica.
3. Lag: after each run, the time until the replica's offset reaches the
   primary's (``master_repl_offset``).

Both primaries sync their replicas the way each does it fastest here:
Redis disk-less with ``repl-diskless-sync-delay 0``, Efis from a file a
copy-on-write child writes.
Persistence is off on Redis and ``APPENDFSYNC=no`` on Efis. Each figure
is the median of ``rounds``.
"""

import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import bench
import rdb


def cli(port, *args, timeout=60):
    res = subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), *args], capture_output=True,
                         text=True, timeout=timeout)
    return res.stdout


def info(port, field):
    for line in cli(port, "INFO", "replication").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def start(kind, efis_bin, workdir):
    port = bench.free_port()
    if kind == "redis":
        cmd = rdb.redis_cmd(port, workdir) + ["--repl-diskless-sync-delay", "0"]
        env = None
    else:
        cmd = [efis_bin]
        env = dict(rdb.efis_env(port, workdir), APPENDFSYNC="no")
    _, proc = rdb.spawn_until_loaded(cmd, env, port, 0)
    return port, proc


def fill(port, source):
    with open(source, "rb") as f:
        subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), "--pipe"], stdin=f, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)


class Pinger:
    """Sends PING to ``port`` in a loop on one connection, from a thread,
    and keeps the longest wait for a reply."""

    def __init__(self, port):
        self.sock = socket.create_connection((bench.HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.worst = 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopped.is_set():
            sent = time.perf_counter()
            self.sock.sendall(b"PING\r\n")
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = self.sock.recv(64)
                if not chunk:
                    return
                reply += chunk
            self.worst = max(self.worst, time.perf_counter() - sent)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        self.sock.close()
        return self.worst


def full_sync(replica, primary, keys, timeout=600):
    """Seconds until the replica holds every key, and the longest PING
    reply time of the primary meanwhile (seconds)."""
    pinger = Pinger(primary)
    started = time.monotonic()
    cli(replica, "REPLICAOF", bench.HOST, str(primary))
    while time.monotonic() - started < timeout:
        if info(replica, "master_link_status") == "up" and bench.dbsize(replica) == keys:
            return time.monotonic() - started, pinger.stop()
        time.sleep(0.01)
    pinger.stop()
    raise bench.SetupError(f"the replica on port {replica} did not sync {keys} keys in {timeout} s")


def catch_up(replica, primary, timeout=120):
    started = time.monotonic()
    target = int(info(primary, "master_repl_offset") or 0)
    while time.monotonic() - started < timeout:
        if int(info(replica, "master_repl_offset") or 0) >= target:
            return time.monotonic() - started
        time.sleep(0.005)
    raise bench.SetupError(f"the replica on port {replica} did not catch up in {timeout} s")


def set_rps(port, pipeline, n):
    argv = ["redis-benchmark", "-h", bench.HOST, "-p", str(port), "-c", "50", "-r", "100000", "-n", str(n),
            "-P", str(pipeline), "--csv", "-t", "set"]
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    for line in res.stdout.splitlines():
        fields = bench.parse_csv_line(line)
        if fields and fields[0].upper().startswith("SET"):
            return float(fields[1])
    raise bench.SetupError(f"redis-benchmark gave no SET figure: {res.stderr.strip()[:160]}")


def run(efis_bin, keys, rounds, quick):
    root = tempfile.mkdtemp(prefix="efis-bench-repl-")
    n = 200_000 if quick else 1_000_000
    figures = {kind: {"sync": [], "ping": [], "alone1": [], "alone32": [], "with1": [], "with32": [], "lag1": [], "lag32": []}
               for kind in ("redis", "efis")}
    try:
        source = os.path.join(root, "source.resp")
        bench.write_load_file(source, keys)
        for _ in range(rounds):
            for kind in ("redis", "efis"):
                work = tempfile.mkdtemp(dir=root)
                primary_dir, replica_dir = os.path.join(work, "p"), os.path.join(work, "r")
                os.makedirs(primary_dir)
                os.makedirs(replica_dir)
                primary, pproc = start(kind, efis_bin, primary_dir)
                replica, rproc = None, None
                try:
                    fill(primary, source)
                    for pipeline in (1, 32):
                        figures[kind][f"alone{pipeline}"].append(set_rps(primary, pipeline, n))
                    cli(primary, "FLUSHALL")
                    fill(primary, source)
                    replica, rproc = start(kind, efis_bin, replica_dir)
                    seconds, worst_ping = full_sync(replica, primary, keys)
                    figures[kind]["sync"].append(seconds)
                    figures[kind]["ping"].append(worst_ping * 1000)
                    for pipeline in (1, 32):
                        figures[kind][f"with{pipeline}"].append(set_rps(primary, pipeline, n))
                        figures[kind][f"lag{pipeline}"].append(catch_up(replica, primary))
                finally:
                    rdb.stop(pproc)
                    if rproc is not None:
                        rdb.stop(rproc)
                    shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = {kind: {k: statistics.median(v) for k, v in values.items()} for kind, values in figures.items()}
    print()
    print(f"Replication, {keys} keys, SET x {n}, median of {rounds}")
    print(f"{'':40} {'redis':>12} {'efis':>12} {'efis/redis':>11}")
    rows = [
        ("full resync (s)", "sync"),
        ("longest PING reply meanwhile (ms)", "ping"),
        ("SET -P 1 rps, no replica", "alone1"),
        ("SET -P 1 rps, one replica", "with1"),
        ("lag after -P 1 (s)", "lag1"),
        ("SET -P 32 rps, no replica", "alone32"),
        ("SET -P 32 rps, one replica", "with32"),
        ("lag after -P 32 (s)", "lag32"),
    ]
    for name, key in rows:
        r, e = med["redis"][key], med["efis"][key]
        ratio = e / r if r > 0 else float("nan")
        print(f"{name:40} {r:12.3f} {e:12.3f} {ratio:10.2f}x")
    return {"keys": keys, "rounds": rounds, "requests": n, "median": med}
