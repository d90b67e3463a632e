"""Replication for ``bench.py --replication`` (Efis next to redis-server).

For each kind of server (Efis, Redis), in turn, a primary loaded with
``--keys`` keys (``SET key:%08d <16-byte value>``) and two replicas of the
same kind:

1. Writes without replicas: ``redis-benchmark SET`` (``-c 50 -r 100000``)
   at ``-P 1`` and ``-P 32`` against the primary: requests per second and
   the primary's CPU time (user + system) per request.
2. Full resynchronization: the first replica is told ``REPLICAOF`` the
   primary; the time until it reports ``master_link_status:up`` with every
   key, and meanwhile the longest wait for a reply of a ``PING`` sent in a
   loop to the primary, and of one sent to the replica (``-LOADING`` is a
   reply): how long either loop served nobody. Then the second replica,
   the same way.
3. Writes with both replicas following: the same runs again. Meanwhile a
   probe writes ``SET lagprobe:<n> <n>`` to the primary every 10 ms and
   polls each replica with ``GET`` until the value is there: the time from
   the probe's reply to the replica having it is its replication lag; the
   table shows the median and the 99th percentile over every probe and
   both replicas.

Placement: the primary is pinned to core ``bench.SERVER_CORE``;
redis-benchmark, both replicas and the probe share core
``bench.CLIENT_CORE``. On a machine with two cores the replicas must sit
somewhere, and next to the client is where they take nothing from the
primary: the primary's throughput with replicas is then bounded by what
that shared core still gives redis-benchmark, for both servers alike. The
primary's CPU time per request is the figure that tells what serving
replicas costs the primary itself, independent of the placement: "capacity
with / without" is CPU per request without replicas over CPU per request
with them (1.0 = replicas cost the primary nothing).

4. Instructions: the primary again, fresh and empty, under ``valgrind
   --tool=callgrind`` (when valgrind is installed), serving 200,000
   ``SET`` at ``-P 32`` without replicas and then, started anew, with two:
   its instructions per request in each case (start-up and shutdown
   included, a few per cent of the total). Unlike CPU time, the count
   does not depend on how fast the client is or on the loop's waiting
   (Efis busy-polls briefly after each round, and CPU time counts that
   as work), so "instructions with / without" is the primary's own cost
   of its replicas. valgrind counts user-space instructions only: the
   kernel's part of sending the stream is not in it.

Both primaries sync their replicas the way each does it fastest here:
Redis disk-less with ``repl-diskless-sync-delay 0``, Efis from a file a
copy-on-write child writes. Persistence is off on Redis and ``APPENDFSYNC=no`` on Efis
(which still writes its log). Each figure is the median of ``rounds``.
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
import streams


def cli(port, *args, timeout=60):
    res = subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), *args], capture_output=True,
                         text=True, timeout=timeout)
    return res.stdout


def info(port, field):
    for line in cli(port, "INFO", "replication").splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def start(kind, efis_bin, workdir, core):
    port = bench.free_port()
    if kind == "redis":
        cmd = rdb.redis_cmd(port, workdir)
        env = None
    else:
        cmd = [efis_bin]
        env = dict(rdb.efis_env(port, workdir), APPENDFSYNC="no")
    _, proc = rdb.spawn_until_loaded(["taskset", "-c", core, *cmd], env, port, 0)
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
                chunk = self.sock.recv(256)
                if not chunk:
                    return
                reply += chunk
            self.worst = max(self.worst, time.perf_counter() - sent)
            time.sleep(0.001)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        self.sock.close()
        return self.worst


def full_sync(replica, primary, keys, timeout=600):
    """Seconds until the replica holds every key, and the longest PING
    reply times (seconds) of the primary and of the replica meanwhile."""
    pingers = [Pinger(primary), Pinger(replica)]
    started = time.monotonic()
    cli(replica, "REPLICAOF", bench.HOST, str(primary))
    try:
        while time.monotonic() - started < timeout:
            if info(replica, "master_link_status") == "up" and bench.dbsize(replica) == keys:
                return time.monotonic() - started, pingers[0].worst, pingers[1].worst
            time.sleep(0.01)
    finally:
        for pinger in pingers:
            pinger.stop()
    raise bench.SetupError(f"the replica on port {replica} did not sync {keys} keys in {timeout} s")


def catch_up(replicas, primary, timeout=120):
    target = int(info(primary, "master_repl_offset") or 0)
    deadline = time.monotonic() + timeout
    for replica in replicas:
        while int(info(replica, "master_repl_offset") or 0) < target:
            if time.monotonic() > deadline:
                raise bench.SetupError(f"the replica on port {replica} did not catch up in {timeout} s")
            time.sleep(0.005)


def call(conn, *args):
    """One command on a ``streams.Conn`` (the benches' small RESP client)."""
    conn.sock.sendall(streams.resp(*args))
    return conn.read()


class LagProbe(threading.Thread):
    """Writes a probe key to the primary every ``every`` seconds and
    measures how long each replica takes to have it (see the module doc)."""

    def __init__(self, primary, replicas, every=0.01, give_up=10.0):
        super().__init__(daemon=True)
        self.primary, self.replicas, self.every, self.give_up = primary, replicas, every, give_up
        self.stop = threading.Event()
        self.lags = []
        self.error = None

    def run(self):
        try:
            writer = streams.Conn(self.primary)
            readers = [streams.Conn(port) for port in self.replicas]
            n = 0
            while not self.stop.is_set():
                n += 1
                key = f"lagprobe:{n}"
                call(writer, "SET", key, n)
                written = time.monotonic()
                for reader in readers:
                    while call(reader, "GET", key) is None:
                        if time.monotonic() - written > self.give_up:
                            raise bench.SetupError(f"a replica did not get {key} in {self.give_up} s")
                        time.sleep(0.0002)
                    self.lags.append(time.monotonic() - written)
                time.sleep(self.every)
            call(writer, "DEL", *[f"lagprobe:{i}" for i in range(1, n + 1)])
        except Exception as e:  # reported by the caller
            self.error = e


def set_run(port, pid, pipeline, n, probe_replicas=None):
    """redis-benchmark SET against ``port``: (requests/s, server CPU
    microseconds per request, lag samples in seconds)."""
    argv = ["taskset", "-c", bench.CLIENT_CORE, "redis-benchmark", "-h", bench.HOST, "-p", str(port), "-c", "50",
            "-r", "100000", "-n", str(n), "-P", str(pipeline), "--csv", "-t", "set"]
    probe = None
    if probe_replicas:
        probe = LagProbe(port, probe_replicas)
        probe.start()
    cpu0 = bench.cpu_seconds(pid)
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    cpu_us = (bench.cpu_seconds(pid) - cpu0) / n * 1e6
    lags = []
    if probe is not None:
        probe.stop.set()
        probe.join(timeout=60)
        if probe.error is not None:
            raise bench.SetupError(f"lag probe: {probe.error}")
        lags = probe.lags
    for line in res.stdout.splitlines():
        fields = bench.parse_csv_line(line)
        if fields and fields[0].upper().startswith("SET"):
            return float(fields[1]), cpu_us, lags
    raise bench.SetupError(f"redis-benchmark gave no SET figure: {res.stderr.strip()[:160]}")


def instructions_per_set(kind, efis_bin, root, replicas, n=200_000):
    """Instructions per request of a primary under callgrind serving ``n``
    SETs at -P 32 with ``replicas`` replicas (see the module doc)."""
    work = tempfile.mkdtemp(dir=root)
    out = os.path.join(work, "callgrind.out")
    port = bench.free_port()
    primary_dir = os.path.join(work, "p")
    os.makedirs(primary_dir)
    if kind == "redis":
        cmd, env = rdb.redis_cmd(port, primary_dir), None
    else:
        cmd, env = [efis_bin], dict(rdb.efis_env(port, primary_dir), APPENDFSYNC="no")
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = []
    try:
        deadline = time.monotonic() + 120
        while not bench.ping(port, timeout=1.0):
            if time.monotonic() > deadline:
                raise bench.SetupError(f"{kind} under valgrind did not answer PING")
            time.sleep(0.2)
        for index in range(replicas):
            replica_dir = os.path.join(work, f"r{index}")
            os.makedirs(replica_dir)
            replica, rproc = start(kind, efis_bin, replica_dir, bench.CLIENT_CORE)
            procs.append(rproc)
            full_sync(replica, port, 0)
        subprocess.run(["redis-benchmark", "-h", bench.HOST, "-p", str(port), "-c", "50", "-r", "100000", "-n",
                        str(n), "-P", "32", "-t", "set"], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=1200, check=True)
        cli(port, "SHUTDOWN", "NOSAVE", timeout=120)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for rproc in procs:
            rdb.stop(rproc)
    with open(out) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:")))
    shutil.rmtree(work, ignore_errors=True)
    return total / n


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def one_round(kind, efis_bin, root, source, keys, n, figures):
    work = tempfile.mkdtemp(dir=root)
    dirs = [os.path.join(work, name) for name in ("p", "r1", "r2")]
    for d in dirs:
        os.makedirs(d)
    procs = []
    try:
        primary, pproc = start(kind, efis_bin, dirs[0], bench.SERVER_CORE)
        procs.append(pproc)
        fill(primary, source)
        for pipeline in (1, 32):
            rps, cpu, _ = set_run(primary, pproc.pid, pipeline, n)
            figures[f"alone{pipeline}"].append(rps)
            figures[f"alone_cpu{pipeline}"].append(cpu)
        cli(primary, "FLUSHALL")
        fill(primary, source)
        replicas = []
        for index, d in enumerate(dirs[1:], start=1):
            port, proc = start(kind, efis_bin, d, bench.CLIENT_CORE)
            procs.append(proc)
            seconds, primary_ping, replica_ping = full_sync(port, primary, keys)
            figures[f"sync{index}"].append(seconds)
            figures[f"ping_primary{index}"].append(primary_ping * 1000)
            figures[f"ping_replica{index}"].append(replica_ping * 1000)
            replicas.append(port)
        for pipeline in (1, 32):
            rps, cpu, lags = set_run(primary, pproc.pid, pipeline, n, replicas)
            catch_up(replicas, primary)
            figures[f"with{pipeline}"].append(rps)
            figures[f"with_cpu{pipeline}"].append(cpu)
            figures[f"lag50_{pipeline}"].append(percentile(lags, 0.50) * 1000)
            figures[f"lag99_{pipeline}"].append(percentile(lags, 0.99) * 1000)
            figures[f"probes{pipeline}"].append(len(lags))
    finally:
        for proc in procs:
            rdb.stop(proc)
        shutil.rmtree(work, ignore_errors=True)


def run(efis_bin, keys, rounds, quick):
    root = tempfile.mkdtemp(prefix="efis-bench-repl-")
    n = 200_000 if quick else 1_000_000
    names = ["sync1", "sync2", "ping_primary1", "ping_primary2", "ping_replica1", "ping_replica2"] + [f"{what}{p}" for p in (1, 32) for what in
                                  ("alone", "alone_cpu", "with", "with_cpu", "lag50_", "lag99_", "probes")]
    figures = {kind: {name: [] for name in names} for kind in ("redis", "efis")}
    try:
        source = os.path.join(root, "source.resp")
        bench.write_load_file(source, keys)
        for round_index in range(rounds):
            # The two kinds take turns; which goes first alternates.
            kinds = ("redis", "efis") if round_index % 2 == 0 else ("efis", "redis")
            for kind in kinds:
                bench.log(f"replication round {round_index + 1}/{rounds}: {kind}")
                one_round(kind, efis_bin, root, source, keys, n, figures[kind])
        counted = {}
        if shutil.which("valgrind"):
            for kind in ("redis", "efis"):
                bench.log(f"replication instructions: {kind}")
                counted[kind] = [instructions_per_set(kind, efis_bin, root, replicas) for replicas in (0, 2)]
        else:
            bench.log("valgrind is missing: no instruction counts (Debian package valgrind)")
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = {kind: {k: statistics.median(v) for k, v in values.items()} for kind, values in figures.items()}
    for kind in med:
        for p in (1, 32):
            m = med[kind]
            m[f"capacity{p}"] = m[f"alone_cpu{p}"] / m[f"with_cpu{p}"]
            m[f"kept{p}"] = m[f"with{p}"] / m[f"alone{p}"]
    print()
    print(f"Replication, {keys} keys, two replicas, SET x {n}, median of {rounds}")
    print(f"primary on core {bench.SERVER_CORE}; redis-benchmark, both replicas and the lag probe on core "
          f"{bench.CLIENT_CORE}")
    print(f"{'':46} {'redis':>12} {'efis':>12} {'efis/redis':>11}")
    rows = [
        ("full resync, first replica (s)", "sync1", 3),
        ("  longest PING reply, primary (ms)", "ping_primary1", 1),
        ("  longest PING reply, replica (ms)", "ping_replica1", 1),
        ("full resync, second replica (s)", "sync2", 3),
        ("  longest PING reply, primary (ms)", "ping_primary2", 1),
        ("  longest PING reply, replica (ms)", "ping_replica2", 1),
    ]
    for p in (1, 32):
        rows += [
            (f"SET -P {p} rps, no replica", f"alone{p}", 0),
            (f"SET -P {p} rps, two replicas", f"with{p}", 0),
            (f"  primary CPU us/request, no replica", f"alone_cpu{p}", 3),
            (f"  primary CPU us/request, two replicas", f"with_cpu{p}", 3),
            (f"  rps with / without", f"kept{p}", 2),
            (f"  capacity with / without (CPU per request)", f"capacity{p}", 2),
            (f"  lag p50 (ms)", f"lag50_{p}", 2),
            (f"  lag p99 (ms)", f"lag99_{p}", 2),
            (f"  lag probes", f"probes{p}", 0),
        ]
    for name, key, digits in rows:
        r, e = med["redis"][key], med["efis"][key]
        ratio = e / r if r > 0 else float("nan")
        print(f"{name:46} {r:12.{digits}f} {e:12.{digits}f} {ratio:10.2f}x")
    if counted:
        rows = [("primary instructions/SET -P 32, no replica", 0), ("primary instructions/SET -P 32, two replicas", 1)]
        for name, index in rows:
            r, e = counted["redis"][index], counted["efis"][index]
            print(f"{name:46} {r:12.0f} {e:12.0f} {e / r:10.2f}x")
        r, e = (counted[kind][0] / counted[kind][1] for kind in ("redis", "efis"))
        print(f"{'  instructions without / with (capacity)':46} {r:12.2f} {e:12.2f} {e / r:10.2f}x")
        for kind in counted:
            med[kind]["instructions"] = counted[kind]
    return {"keys": keys, "rounds": rounds, "requests": n, "median": med, "samples": figures}
