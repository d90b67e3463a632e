"""RDB files for ``bench.py --rdb`` (Efis next to redis-server).

A ``dump.rdb`` of ``--keys`` keys (1,000,000 by default: nine in ten
strings ``SET key:%08d <16-byte value>``, the rest small hashes, lists,
sets and sorted sets, so both the plain and the packed encodings are
there) is written by redis-server, then:

1. Loading: redis-server started on a directory holding the file, the
   time from spawning it until ``DBSIZE`` answers the key count; Efis
   started on an empty ``BACKUP_PATH`` holding the same file (it imports
   it, writes its first snapshot, and serves), timed the same way; and
   ``efis import-rdb`` offline.
2. Writing: ``redis-cli --rdb`` against each server (the full
   resynchronization Redis answers with a forked child streaming the RDB,
   with no diskless-sync delay, Efis from the loop), the time until the
   file is on disk.
3. Offline: ``efis import-rdb`` (reads the RDB, writes a snapshot) and
   ``efis export-rdb`` (loads the data directory, writes an RDB) each do
   what redis-server does starting on a file and then running ``SAVE``;
   that sum is what they are compared with.

Each is the median of ``rounds``; the ratio is Efis/Redis (below 1 is
faster).
"""

import os
import shutil
import statistics
import subprocess
import tempfile
import time

import bench


def write_source(path, keys):
    """RESP building the data set, written to ``path``."""
    with open(path, "wb") as f:
        batch = []
        for i in range(keys):
            kind = i % 10
            if kind < 9:
                batch.append(b"*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$16\r\nv%015d\r\n" % (i, i))
            else:
                which = (i // 10) % 4
                key = b"col:%08d" % i
                if which == 0:
                    batch.append(b"*6\r\n$4\r\nHSET\r\n$12\r\n%s\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n" % key)
                elif which == 1:
                    batch.append(b"*5\r\n$5\r\nRPUSH\r\n$12\r\n%s\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n" % key)
                elif which == 2:
                    batch.append(b"*5\r\n$4\r\nSADD\r\n$12\r\n%s\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\nx\r\n" % key)
                else:
                    batch.append(b"*6\r\n$4\r\nZADD\r\n$12\r\n%s\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n" % key)
            if len(batch) == 10_000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))


def spawn_until_loaded(cmd, env, port, keys, timeout=600):
    """Starts ``cmd``; seconds until DBSIZE answers ``keys``; the process."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.monotonic() - started < timeout:
        if bench.ping(port, timeout=0.2) and bench.dbsize(port) == keys:
            return time.monotonic() - started, proc
        time.sleep(0.01)
    proc.kill()
    raise bench.SetupError(f"{cmd[0]} did not load {keys} keys in {timeout} s")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def redis_cmd(port, workdir):
    # No diskless-sync delay: Redis would otherwise wait 5 s for more
    # replicas before it starts writing the RDB stream redis-cli asks for.
    return ["redis-server", "--port", str(port), "--bind", bench.HOST, "--save", "", "--appendonly", "no",
            "--repl-diskless-sync-delay", "0", "--dir", workdir]


def efis_env(port, workdir):
    env = dict(os.environ, PORT=str(port), BIND=bench.HOST, BACKUP_PATH=workdir, LOG_LEVEL="warn",
               BACKUP_INTERVAL="0")
    return env


def timed(cmd):
    started = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    return time.monotonic() - started


def timed_save(port):
    """Seconds a SAVE takes, once the child that answered redis-cli --rdb
    is gone (until Redis reaps it, SAVE answers "Background save already
    in progress" at once)."""
    deadline = time.monotonic() + 60
    while "rdb_bgsave_in_progress:0" not in subprocess.run(
            ["redis-cli", "-h", bench.HOST, "-p", str(port), "INFO", "persistence"],
            capture_output=True, text=True, timeout=30).stdout:
        if time.monotonic() > deadline:
            raise bench.SetupError("redis-server's RDB child did not end")
        time.sleep(0.01)
    started = time.monotonic()
    res = subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), "SAVE"], capture_output=True, text=True,
                         timeout=600)
    if res.stdout.strip() != "OK":
        raise bench.SetupError(f"SAVE answered {res.stdout.strip() or res.stderr.strip()}")
    return time.monotonic() - started


def run(efis_bin, keys, rounds):
    root = tempfile.mkdtemp(prefix="efis-bench-rdb-")
    results = {"load": {"redis": [], "efis": [], "import": []}, "write": {"redis": [], "efis": [], "save": [],
                                                                        "export": []}}
    try:
        source = os.path.join(root, "source.resp")
        write_source(source, keys)
        maker = os.path.join(root, "maker")
        os.makedirs(maker)
        port = bench.free_port()
        _, proc = spawn_until_loaded(redis_cmd(port, maker), None, port, 0)
        with open(source, "rb") as f:
            subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), "--pipe"], stdin=f, check=True,
                           stdout=subprocess.DEVNULL, timeout=600)
        subprocess.run(["redis-cli", "-h", bench.HOST, "-p", str(port), "SAVE"], check=True,
                       stdout=subprocess.DEVNULL, timeout=600)
        stop(proc)
        rdb = os.path.join(maker, "dump.rdb")
        bench.log(f"rdb: {keys} keys, dump.rdb of {os.path.getsize(rdb)} bytes")
        for _ in range(rounds):
            work = tempfile.mkdtemp(dir=root)
            shutil.copy(rdb, os.path.join(work, "dump.rdb"))
            port = bench.free_port()
            seconds, proc = spawn_until_loaded(redis_cmd(port, work), None, port, keys)
            results["load"]["redis"].append(seconds)
            pulled = os.path.join(work, "pulled-redis.rdb")
            results["write"]["redis"].append(
                timed(["redis-cli", "-h", bench.HOST, "-p", str(port), "--rdb", pulled]))
            results["write"]["save"].append(timed_save(port))
            stop(proc)

            data = tempfile.mkdtemp(dir=root)
            shutil.copy(rdb, os.path.join(data, "dump.rdb"))
            port = bench.free_port()
            seconds, proc = spawn_until_loaded([efis_bin], efis_env(port, data), port, keys)
            results["load"]["efis"].append(seconds)
            pulled = os.path.join(work, "pulled-efis.rdb")
            results["write"]["efis"].append(
                timed(["redis-cli", "-h", bench.HOST, "-p", str(port), "--rdb", pulled]))
            stop(proc)
            offline = tempfile.mkdtemp(dir=root)
            results["load"]["import"].append(timed([efis_bin, "import-rdb", rdb, "--backup-path", offline]))
            out = os.path.join(offline, "exported.rdb")
            results["write"]["export"].append(timed([efis_bin, "export-rdb", "--backup-path", offline, out]))
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(offline, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = {part: {k: statistics.median(v) for k, v in values.items()} for part, values in results.items()}
    # The offline tools each load one format and write another: the same
    # work as redis-server starting on the file and then SAVE.
    redis_load_save = med["load"]["redis"] + med["write"]["save"]
    rows = [
        ("load dump.rdb at start-up", med["load"]["redis"], med["load"]["efis"]),
        ("write from a server, redis-cli --rdb", med["write"]["redis"], med["write"]["efis"]),
        ("SAVE alone (Redis; for reference)", med["write"]["save"], float("nan")),
        ("offline: load + SAVE / import-rdb", redis_load_save, med["load"]["import"]),
        ("offline: load + SAVE / export-rdb", redis_load_save, med["write"]["export"]),
    ]
    print()
    print(f"RDB files, {keys} keys, median of {rounds}")
    print(f"{'':38} {'redis':>9} {'efis':>9} {'efis/redis':>11}")
    for name, redis_s, efis_s in rows:
        if efis_s != efis_s:  # NaN: a Redis figure alone
            print(f"{name:38} {redis_s:8.3f}s {'-':>9} {'-':>11}")
            continue
        ratio = efis_s / redis_s if redis_s > 0 else float("nan")
        print(f"{name:38} {redis_s:8.3f}s {efis_s:8.3f}s {ratio:10.2f}x")
    return {"keys": keys, "rounds": rounds, "seconds": med}
