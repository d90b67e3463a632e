"""Streams for ``bench.py --streams`` (Efis next to redis-server).

1. Throughput, measured as ``bench.py`` measures commands (same servers,
   core pinning, turns, rounds, medians, table and geometric means), at
   ``-P 1`` and ``-P 32``, one redis-benchmark run per case:

   * ``xadd``:        ``XADD bench:stream * f1 v1 f2 v2 f3 v3``;
   * ``xadd_1000``:   the same on 1,000 streams
                      (``bench:stream:__rand_int__`` with ``-r 1000``);
   * ``xrange_10``:   ``XRANGE bench:range - + COUNT 10`` on a stream of
                      1,000 entries.

2. A consumer loop, ``xreadgroup_ack``: a stream of as many entries as
   requests is filled with ``redis-cli --pipe`` and given a group; then
   ``CLIENTS`` consumers, pinned to the client core, each repeat
   ``XREADGROUP GROUP g c<i> COUNT 10 STREAMS bench:queue >`` followed by
   ``XACK`` of the IDs it got, ``-P`` such pairs at a time (the reads of a
   batch pipelined, then their acknowledgements), until the stream is
   drained.  One request is one read plus its acknowledgement; p99 is over
   the batches' round trips.  redis-benchmark cannot send an XACK of what
   an XREADGROUP answered, so these clients are this script's own, in
   Python: when the client is the bottleneck (at ``-P 1`` it usually is)
   both servers show about the same requests per second, and the server CPU
   time per request is the number that tells them apart.

3. Memory per entry: fresh servers (persistence off), ``ENTRIES`` (1,000,000
   by default) ``XADD s * f1 v1 f2 v2 f3 v3`` piped in with ``redis-cli
   --pipe``; ``used_memory`` (INFO memory) and resident memory (VmRSS)
   before and after, per entry, and the ratio Efis/Redis.
"""

import os
import socket
import statistics
import subprocess
import tempfile
import time

import bench

CLIENTS = 4
FIELDS = ["f1", "v1", "f2", "v2", "f3", "v3"]
CASES = [
    bench.Case("xadd", ["XADD", "bench:stream", "*", *FIELDS], "xadd"),
    bench.Case("xadd_1000", ["XADD", "bench:stream:__rand_int__", "*", *FIELDS], "xadd"),
    bench.Case("xrange_10", ["XRANGE", "bench:range", "-", "+", "COUNT", "10"], "xrange"),
]
LOOP = "xreadgroup_ack"


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def xadd_file(path, key, entries):
    """RESP for ``XADD key * f1 v1 f2 v2 f3 v3``, entries times."""
    one = resp("XADD", key, "*", *FIELDS)
    with open(path, "wb") as f:
        for _ in range(entries // 10_000):
            f.write(one * 10_000)
        f.write(one * (entries % 10_000))


def pipe(server, path):
    with open(path, "rb") as stdin:
        res = subprocess.run(
            ["taskset", "-c", bench.CLIENT_CORE, "redis-cli", "-h", bench.HOST, "-p", str(server.port),
             "--pipe", "--pipe-timeout", "120"],
            stdin=stdin, capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise bench.SetupError(f"redis-cli --pipe into {server.label}: {res.stdout[-200:]}{res.stderr[-200:]}")


def cli(server, *args):
    res = bench.run_quiet(["redis-cli", "-h", bench.HOST, "-p", str(server.port), *map(str, args)], timeout=60)
    return res.stdout.strip()


class Conn:
    """A minimal RESP2 client for the consumer loop."""

    def __init__(self, port):
        self.sock = socket.create_connection((bench.HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode(errors="replace"))
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")


def consumer(port, index, pipeline, result_fd):
    """One consumer process: reads and acknowledges until the stream is dry;
    writes "pairs latency latency ..." (seconds per batch) to result_fd."""
    conn = Conn(port)
    read = resp("XREADGROUP", "GROUP", "g", f"c{index}", "COUNT", 10, "STREAMS", "bench:queue", ">")
    pairs, latencies = 0, []
    while True:
        t0 = time.perf_counter()
        conn.sock.sendall(read * pipeline)
        acks, dry = [], False
        for _ in range(pipeline):
            reply = conn.read()
            if reply is None:
                dry = True
                continue
            ids = [entry[0] for entry in reply[0][1]]
            acks.append(resp("XACK", "bench:queue", "g", *ids))
        if acks:
            conn.sock.sendall(b"".join(acks))
            for _ in acks:
                conn.read()
        latencies.append(time.perf_counter() - t0)
        pairs += len(acks)
        if dry:
            break
    os.write(result_fd, (f"{pairs} " + " ".join(f"{x:.6f}" for x in latencies)).encode())
    os.close(result_fd)


def consumer_loop(server, pipeline, n, workdir):
    """One run of the consumer loop: (rps, p99 ms, server CPU us per pair)
    or (None, reason)."""
    cli(server, "DEL", "bench:queue")
    path = os.path.join(workdir, "queue.resp")
    xadd_file(path, "bench:queue", n)
    pipe(server, path)
    cli(server, "XGROUP", "CREATE", "bench:queue", "g", "0")
    cpu0 = bench.cpu_seconds(server.proc.pid)
    t0 = time.monotonic()
    children = []
    for i in range(CLIENTS):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.sched_setaffinity(0, {int(bench.CLIENT_CORE)})
            try:
                consumer(server.port, i, pipeline, w)
            finally:
                os._exit(0)
        os.close(w)
        children.append((pid, r))
    pairs, latencies = 0, []
    for pid, r in children:
        data = b""
        while chunk := os.read(r, 1 << 20):
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        fields = data.split()
        if not fields:
            return None, "a consumer failed"
        pairs += int(fields[0])
        latencies += [float(x) for x in fields[1:]]
    took = time.monotonic() - t0
    if pairs == 0:
        return None, "nothing consumed"
    cpu_us = (bench.cpu_seconds(server.proc.pid) - cpu0) / pairs * 1e6
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) >= 2 else latencies[0] * 1000
    return pairs / took, p99, cpu_us


def prepare(server):
    """Fills bench:range with 1,000 entries; nothing is refused."""
    with tempfile.TemporaryDirectory(prefix="efis-bench-") as tmp:
        path = os.path.join(tmp, "range.resp")
        xadd_file(path, "bench:range", 1000)
        pipe(server, path)
    return {}


def throughput(label_a, label_b, make_servers, rounds, quick):
    """The redis-benchmark cases, then the consumer loop, on both servers."""
    results, disk = bench.throughput(label_a, label_b, make_servers, rounds, quick,
                                     cases=CASES, prepare=prepare)
    for p in bench.PIPELINES:
        results[p][LOOP] = {label_a: [], label_b: []}
    with tempfile.TemporaryDirectory(prefix="efis-bench-") as workdir, bench.ServerSet(workdir) as ss:
        a, b = make_servers(ss)
        for rnd in range(rounds):
            order = (a, b) if rnd % 2 == 0 else (b, a)
            for pipeline in bench.PIPELINES:
                n = bench.requests_for("set", pipeline, quick) // 10
                bench.log(f"  consumer loop, round {rnd + 1}/{rounds}, -P {pipeline}: {n:,} reads")
                for server in order:
                    try:
                        outcome = consumer_loop(server, pipeline, n * 10, workdir)
                    except (OSError, RuntimeError, bench.SetupError) as e:
                        outcome = (None, str(e)[:160])
                    results[pipeline][LOOP][server.label].append(
                        outcome if outcome[0] is not None else outcome[1])
    return results, disk


def used_memory(server):
    for line in cli(server, "INFO", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return 0


def memory(efis_bin, entries):
    """Bytes per entry of XADD s * f1 v1 f2 v2 f3 v3 on both servers."""
    record = {"entries": entries}
    with tempfile.TemporaryDirectory(prefix="efis-bench-") as workdir, bench.ServerSet(workdir) as ss:
        path = os.path.join(workdir, "xadd.resp")
        xadd_file(path, "s", entries)
        servers = [
            ss.add("Efis", "efis", efis_bin, bench.FSYNC_CONFIGS["no"]["efis"]),
            ss.add("Redis", "redis", "redis-server", bench.FSYNC_CONFIGS["no"]["redis"]),
        ]
        for server in servers:
            used0, rss0 = used_memory(server), bench.settled_rss(server, wait=0.5)
            pipe(server, path)
            rss1, used1 = bench.settled_rss(server), used_memory(server)
            length = cli(server, "XLEN", "s")
            record[server.label] = {"used_per_entry": (used1 - used0) / entries,
                                    "rss_per_entry": (rss1 - rss0) / entries, "xlen": length}
    print()
    print(f"== memory: {entries:,} x XADD s * f1 v1 f2 v2 f3 v3, persistence off")
    print(f"{'server':<7} {'used_memory/entry':>18} {'VmRSS/entry':>12}  XLEN")
    for label in ("Efis", "Redis"):
        row = record[label]
        print(f"{label:<7} {row['used_per_entry']:>16.1f} B {row['rss_per_entry']:>10.1f} B  {row['xlen']}")
    if record["Redis"]["used_per_entry"] > 0:
        record["ratio_used"] = record["Efis"]["used_per_entry"] / record["Redis"]["used_per_entry"]
        print(f"used_memory per entry Efis/Redis: {record['ratio_used']:.2f}")
    if record["Redis"]["rss_per_entry"] > 0:
        record["ratio_rss"] = record["Efis"]["rss_per_entry"] / record["Redis"]["rss_per_entry"]
        print(f"VmRSS per entry Efis/Redis: {record['ratio_rss']:.2f}")
    return record


def run(efis_bin, configs, rounds, quick, entries, redis_vs_redis):
    """The whole streams part; returns its record (panels and memory)."""
    names = [c.name for c in CASES] + [LOOP]
    bench.COMMANDS[:] = names
    panels = []
    for name in configs:
        la, lb, make, title = bench.server_pair(bench.FSYNC_CONFIGS[name], efis_bin, redis_vs_redis)
        title = f"streams; {title}"
        bench.log(f"streams: {title}")
        results, disk = throughput(la, lb, make, rounds, quick)
        panel = bench.print_table(title, results, disk, la, lb, rounds, quick)
        panel["config"] = name
        panels.append(panel)
    record = {"panels": panels, "memory": None}
    if not redis_vs_redis:
        record["memory"] = memory(efis_bin, entries)
    return record
