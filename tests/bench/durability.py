"""Durability measurements for ``bench.py --durability`` (Efis next to redis-server).

1. Start-up: N keys (``SET key:%012d <16-byte value>``, 1,000,000 by default,
   named as redis-benchmark names its keys)
   loaded with ``redis-cli --pipe``, the server stopped so that it writes its
   snapshot (Efis: SIGTERM, which snapshots; Redis with ``--appendonly yes``:
   ``BGREWRITEAOF`` finished, then ``SHUTDOWN``), then started again: the time
   from spawning the process until ``DBSIZE`` answers N.
2. Snapshot under write load: the same N keys, then ``redis-benchmark -t set
   -r N -c 50`` overwriting them (pinned to the client core) while a probe connection
   sends ``PING`` back to back and records every round trip, and the server is
   asked for a snapshot (Efis ``BGSAVE``; Redis ``BGREWRITEAOF``, its
   compaction of the AOF).  Reported: the snapshot's duration, the longest
   probe round trip during it and during an equal stretch before it (the
   pause the snapshot adds is the difference), and the peak memory of the
   server and its snapshot child together, as the sum of their PSS
   (proportional set size from /proc/PID/smaps_rollup, so pages the two still
   share are counted once), next to the memory before the snapshot.
"""

import os
import socket
import subprocess
import threading
import time

import bench


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def family_pss_kib(pid):
    return pss_kib(pid) + sum(pss_kib(c) for c in children(pid))


def cli(port, *args, timeout=60):
    res = subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), *args],
                         capture_output=True, text=True, timeout=timeout)
    return res.stdout.strip()


def info_field(port, section, name):
    for line in cli(port, "INFO", section).splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return None


def load_keys(server, load_file):
    with open(load_file, "rb") as stdin:
        subprocess.run(["taskset", "-c", bench.CLIENT_CORE, "redis-cli", "-h", bench.HOST, "-p",
                        str(server.port), "--pipe", "--pipe-timeout", "120"],
                       stdin=stdin, capture_output=True, timeout=600, check=True)


def wait_snapshot_done(server, started_flag, timeout=300):
    """Polls INFO until the server's background snapshot/rewrite is over."""
    deadline = time.monotonic() + timeout
    field = started_flag
    while time.monotonic() < deadline:
        if info_field(server.port, "persistence", field) == "0":
            return True
        time.sleep(0.02)
    return False


def restart_time(server, keys):
    """Stops the server (it writes its snapshot) and times the start-up."""
    if server.kind == "redis":
        cli(server.port, "BGREWRITEAOF")
        time.sleep(0.2)
        wait_snapshot_done(server, "aof_rewrite_in_progress")
    server.stop()
    t0 = time.monotonic()
    server.start_same_port()
    while True:
        try:
            if cli(server.port, "DBSIZE", timeout=5) == str(keys):
                return time.monotonic() - t0
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() - t0 > 300:
            return float("nan")
        time.sleep(0.005)


class Probe(threading.Thread):
    """PING back to back on one connection; keeps (time, round trip) pairs."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((bench.HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.samples = []
        self.stop = False

    def run(self):
        while not self.stop:
            t0 = time.monotonic()
            self.sock.sendall(b"PING\r\n")
            got = b""
            while not got.endswith(b"\r\n"):
                got += self.sock.recv(64)
            t1 = time.monotonic()
            self.samples.append((t0, t1 - t0))
            time.sleep(0.0005)

    def worst(self, start, end):
        window = [rtt for (t, rtt) in self.samples if start <= t <= end]
        return max(window) * 1000 if window else float("nan")


def idle(server):
    """Waits until no snapshot or rewrite of the server's own is running."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        busy = [info_field(server.port, "persistence", f)
                for f in ("rdb_bgsave_in_progress", "aof_rewrite_in_progress")]
        if busy == ["0", "0"] and not children(server.proc.pid):
            return
        time.sleep(0.05)


def snapshot_under_load(server, keys, clients):
    idle(server)
    probe = Probe(server.port)
    probe.start()
    load = subprocess.Popen(
        ["taskset", "-c", bench.CLIENT_CORE, "redis-benchmark", "-h", bench.HOST, "-p",
         str(server.port), "-c", str(clients), "-r", str(keys), "-n", "100000000", "-t", "set", "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.0)
        # A compaction of the server's own (Redis's automatic AOF rewrite
        # after the load, say) would inflate the baseline.
        idle(server)
        base_pss = family_pss_kib(server.proc.pid)
        command, flag = ("BGSAVE", "rdb_bgsave_in_progress") if server.kind == "efis" else \
            ("BGREWRITEAOF", "aof_rewrite_in_progress")
        t_start = time.monotonic()
        cli(server.port, command)
        peak = base_pss
        # Sample memory until the child is gone.
        saw_child = False
        while time.monotonic() - t_start < 300:
            kids = children(server.proc.pid)
            saw_child = saw_child or bool(kids)
            peak = max(peak, family_pss_kib(server.proc.pid))
            if saw_child and not kids and info_field(server.port, "persistence", flag) == "0":
                break
            if not saw_child and time.monotonic() - t_start > 5 and \
                    info_field(server.port, "persistence", flag) == "0":
                break
            time.sleep(0.01)
        t_end = time.monotonic()
        duration = t_end - t_start
        worst_during = probe.worst(t_start, t_end)
        worst_before = probe.worst(t_start - duration - 0.5, t_start - 0.5)
    finally:
        load.terminate()
        load.wait()
        probe.stop = True
        probe.join(timeout=5)
    return {
        "duration": duration,
        "worst_during_ms": worst_during,
        "worst_before_ms": worst_before,
        "base_mib": base_pss / 1024,
        "peak_mib": peak / 1024,
    }


def run(efis_bin, keys, workdir_parent=None):
    import tempfile

    results = {}
    with tempfile.TemporaryDirectory(prefix="efis-bench-dur-", dir=workdir_parent) as workdir:
        load_file = os.path.join(workdir, "load.resp")
        bench.log(f"durability: writing {keys:,} SET commands as RESP...")
        # redis-benchmark's key names (key:%012d), so that its write load
        # overwrites these keys instead of adding new ones.
        bench.write_load_file(load_file, keys, digits=12)
        for label, kind, binary, args in (
            ("Efis", "efis", efis_bin, ["--appendfsync", "everysec", "--backup-interval", "0"]),
            ("Redis", "redis", "redis-server", ["--appendonly", "yes", "--appendfsync", "everysec"]),
        ):
            with bench.ServerSet(workdir) as ss:
                server = ss.add(label, kind, binary, args)
                bench.log(f"durability: {label}: loading {keys:,} keys")
                load_keys(server, load_file)
                bench.log(f"durability: {label}: snapshot under write load (50 clients)")
                snap = snapshot_under_load(server, keys, 50)
                bench.log(f"durability: {label}: snapshot under write load (1 client)")
                light = snapshot_under_load(server, keys, 1)
                snap["light_peak_mib"] = light["peak_mib"]
                snap["light_base_mib"] = light["base_mib"]
                snap["light_worst_ms"] = light["worst_during_ms"]
                # The write load added keys up to N (random keys in 0..N).
                total = int(cli(server.port, "DBSIZE"))
                bench.log(f"durability: {label}: restart with {total:,} keys")
                start = restart_time(server, total)
                results[label] = dict(snap, start_s=start, start_keys=total)
    print()
    print(f"== durability: {keys:,} keys (SET key:%012d <16-byte value>), everysec on both "
          "(efis APPENDFSYNC=everysec; redis --appendonly yes --appendfsync everysec)")
    head = (f"{'server':<7} {'start-up':>9} {'snapshot':>9} {'worst RTT':>10} {'worst RTT':>10} "
            f"{'memory':>9} {'peak':>9}")
    print(head)
    print(f"{'':<7} {'(load)':>9} {'duration':>9} {'during':>10} {'before':>10} "
          f"{'before':>9} {'during':>9}")
    print("-" * len(head))
    for label in ("Efis", "Redis"):
        r = results.get(label)
        if not r:
            print(f"{label:<7} not run")
            continue
        print(f"{label:<7} {r['start_s']:>8.2f}s {r['duration']:>8.2f}s {r['worst_during_ms']:>8.1f}ms "
              f"{r['worst_before_ms']:>8.1f}ms {r['base_mib']:>6.0f}MiB {r['peak_mib']:>6.0f}MiB")
    print("with 1 writing client instead of 50:")
    for label in ("Efis", "Redis"):
        r = results.get(label)
        if r:
            print(f"{label:<7} worst RTT during {r['light_worst_ms']:.1f}ms, memory before "
                  f"{r['light_base_mib']:.0f}MiB, peak during {r['light_peak_mib']:.0f}MiB "
                  f"({r['light_peak_mib'] / r['light_base_mib']:.2f})")
    if len(results) == 2:
        e, r = results["Efis"], results["Redis"]
        print(f"start-up time Efis/Redis: {e['start_s'] / r['start_s']:.2f}; "
              f"peak memory during the snapshot over memory before: Efis {e['peak_mib'] / e['base_mib']:.2f}, "
              f"Redis {r['peak_mib'] / r['base_mib']:.2f}")
    return results
