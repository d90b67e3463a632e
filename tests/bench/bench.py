#!/usr/bin/env python3
"""Efis against Debian's redis-server, side by side on the same machine.

Usage
-----
    just bench                          # the whole run (under ten minutes on 2 cores)
    just bench --quick                  # a short smoke run: 1 round, small N, fewer keys
    just bench --scripts                # only Lua scripts (EVALSHA), see 4. below
    just bench --cache                  # only cache mode (maxmemory, eviction), see 5. below
    just bench --streams                # only streams (XADD, XRANGE, a consumer loop), see 6. below
    just bench --tls                    # only TLS: both servers TLS only (tests/bench/tls_bench.py)
    just bench --acl                    # only ACL checks: default user against a restricted one (acl.py)
    just bench --rdb                    # only RDB files: loading and writing dump.rdb (tests/bench/rdb.py)
    python3 tests/bench/bench.py --help # every option

What it does
------------
1. Builds Efis with ``cargo build --release`` (a no-op when up to date) unless
   ``--efis PATH`` names a binary, and installs Debian's ``redis-server`` and
   ``redis-tools`` with apt-get when ``redis-server``, ``redis-cli`` or
   ``redis-benchmark`` is missing.
2. Throughput, once per persistence configuration (``--fsync``):

   * ``no``:       efis ``--appendfsync no`` with a temporary ``--backup-path``;
                   redis ``--save '' --appendonly no``.
   * ``everysec``: efis ``--appendfsync everysec`` (the APPENDFSYNC setting);
                   redis ``--save '' --appendonly yes --appendfsync everysec``.

   Both servers run at once on free loopback ports, pinned to core 0 with
   ``taskset``; ``redis-benchmark`` is pinned to core 1 and run with identical
   flags against each: ``-c 50 -r 100000 -n N --csv -t CMD`` for each of
   set, get, incr, lpush, rpop, sadd, zadd, hset, lrange_100, at ``-P 1`` and
   ``-P 32``; setbit, bitcount, pfadd, pfcount, geoadd and geosearch, which
   ``-t`` does not know, run as command lines of their own after the same
   flags (``CUSTOM_COMMANDS``; geosearch runs after geoadd has filled the
   key).  Each command is its own redis-benchmark run (so one command the
   server rejects shows as "error" in the table instead of ending the bench),
   the two servers take turns command by command, and which server goes first
   alternates from round to round.  A cell is the median over the rounds
   (three by default).  The table shows requests per second, the ratio
   Efis/Redis and p99 latency (ms) for both, and each server's CPU time
   (user + system, from /proc/PID/stat) per request, then the geometric mean
   of the ratios per pipeline depth over the commands that worked on both,
   and how far apart the rounds were (spread = (max - min) / median of a
   cell).  CPU per request is the steadier number when the machine is noisy,
   and the one that shows a server's own cost when neither the server nor the
   client fills its core (as at -P 1 on a small VM, where wake-ups dominate).

   N per command: 100,000 at -P 1 and 1,000,000 at -P 32; lrange_100 uses a
   fifth (-P 1) or a tenth (-P 32) of that, because each of its requests
   returns 100 elements and redis-benchmark first fills the list with as many
   LPUSHes.  With --quick, a fifth of all these.
3. Memory: fresh servers (persistence off), the same N ``SET key:%08d
   <16-byte value>`` (1,000,000 by default) generated here as RESP and piped
   into each with ``redis-cli --pipe``.  Resident memory (VmRSS in
   /proc/PID/status) is read before the load and, once it has settled, after;
   the bench prints both, bytes per key ((after - before) / keys) and the
   ratio Efis/Redis.

4. Scripts, with ``--scripts`` only, and then instead of 2. and 3. (so it is
   quick): ``EVALSHA`` of three Lua scripts, measured as in 2. (same servers,
   pinning, flags, turns, rounds, N as for set, table and geometric means):

   * ``return_1``:    ``return 1``;
   * ``incr_expire``: ``INCR`` then ``EXPIRE`` of ``KEYS[1]`` (2 calls);
   * ``ten_calls``:   ten calls, SET, GET and INCR on four keys derived from
                      ``KEYS[1]`` (see ``SCRIPTS``).

   Each script is loaded on both servers with ``redis-cli SCRIPT LOAD`` (again
   after a restart), its SHA1 checked, and run once with ``EVALSHA`` to
   compare the two servers' replies; then each is one redis-benchmark run of
   ``EVALSHA <sha1> 1 key:__rand_int__`` (``-r 100000`` makes the key
   random).  Persistence is off (``--fsync no``) unless ``--fsync`` is given.
   ``--redis-vs-redis`` applies here too.

The servers are always stopped at the end, also on error, Ctrl-C or SIGTERM
(and, through PR_SET_PDEATHSIG, should this script itself be killed).  Only
127.0.0.1 is ever used.  ``--redis-vs-redis`` runs the throughput part with
two redis-servers to show the noise of the method on this machine.

5. Cache, with ``--cache`` only: both servers as caches with the same
   ``maxmemory`` and policy under a cache-aside load; hit ratio, throughput,
   worst latency (see ``tests/bench/cache.py``).  Saves nothing.

6. Streams, with ``--streams`` only (instead of 2. and 3.): XADD on one
   stream and on 1,000 streams, XRANGE COUNT 10, an XREADGROUP COUNT 10 +
   XACK consumer loop, at -P 1 and -P 32, and memory per entry of ``XADD s *
   f1 v1 f2 v2 f3 v3`` (``--keys`` entries); see ``tests/bench/streams.py``.
   Persistence is off unless ``--fsync`` is given.

7. Saves the run: the numbers as JSON (``tests/bench/last-run.json``, or
   ``--json FILE``) and a chart of them as SVG (``tests/bench/chart.svg``, or
   ``--chart FILE``): per command, the throughput ratio at both pipeline
   depths against a 1.0 line, the same per script (``--scripts``), and the
   memory per key of both servers, titled with the date, the cores and the
   commit.  ``--chart-from FILE`` draws the
   chart again from a saved JSON run without measuring anything.  The
   durability part (``--durability``) saves nothing.  Dated runs and what
   was learnt from them are kept in ``tests/bench/RESULTS.md``.

Exit status: 0 when the bench ran (whatever the numbers say), 1 on a setup
failure (build, install, a server that would not start), 130 on Ctrl-C.
Timings never go into tests: this is a tool, not a test.
"""

import argparse
import collections
import contextlib
import ctypes
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import chart

HOST = "127.0.0.1"  # the only address this script ever talks to
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = ["set", "get", "incr", "lpush", "rpop", "sadd", "zadd", "hset", "lrange_100",
            "setbit", "bitcount", "pfadd", "pfcount", "geoadd", "geosearch"]
# Commands redis-benchmark's -t does not know: the command line given after
# the options (as the scripts part runs EVALSHA), made random with
# __rand_int__ (each occurrence drawn anew, zero-padded to 12 digits, below
# -r 100000). Each runs after the one before it on the same server, so
# BITCOUNT, PFCOUNT and GEOSEARCH find the keys SETBIT, PFADD and GEOADD
# made. geoadd spreads up to 100,000 members over longitudes -99.999..0 and
# latitudes 0..9.9999; geosearch then asks, from a random point of that
# area, for the 10 nearest within 50 km (about 60 members lie in such a
# circle once the set is full).
CUSTOM_COMMANDS = {
    "setbit": ["SETBIT", "bits:__rand_int__", "100", "1"],
    "bitcount": ["BITCOUNT", "bits:__rand_int__"],
    "pfadd": ["PFADD", "hll:__rand_int__", "__rand_int__"],
    "pfcount": ["PFCOUNT", "hll:__rand_int__"],
    "geoadd": ["GEOADD", "geo:key", "-__rand_int__e-3", "__rand_int__e-4", "m:__rand_int__"],
    "geosearch": ["GEOSEARCH", "geo:key", "FROMLONLAT", "-__rand_int__e-3", "__rand_int__e-4",
                  "BYRADIUS", "50", "km", "ASC", "COUNT", "10", "WITHDIST"],
}
PIPELINES = [1, 32]
SERVER_CORE = "0"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CLIENT_CORE = "1"
# Settings Efis reads from the environment: cleared so that a developer's
# shell cannot change what is measured.  Flags set everything that matters.
EFIS_ENV_VARS = [
    "PORT", "BIND", "BACKUP_PATH", "BACKUP_INTERVAL", "BACKUP_KEEP", "APPENDFSYNC",
    "REQUIREPASS", "MAXCLIENTS", "DATABASES", "LOG_LEVEL", "ACLFILE", "PROTECTED_MODE",
    "TLS_PORT", "TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_CERT_FILE", "TLS_AUTH_CLIENTS", "TLS_PROTOCOLS",
]
FSYNC_CONFIGS = {
    "no": {
        "title": "persistence off: efis --appendfsync no; redis --save '' --appendonly no",
        "efis": ["--appendfsync", "no"],
        "redis": ["--appendonly", "no"],
    },
    "everysec": {
        "title": "everysec: efis APPENDFSYNC=everysec; "
                 "redis --appendonly yes --appendfsync everysec",
        "efis": ["--appendfsync", "everysec"],
        "redis": ["--appendonly", "yes", "--appendfsync", "everysec"],
    },
    "always": {
        "title": "always: efis APPENDFSYNC=always; "
                 "redis --appendonly yes --appendfsync always",
        "efis": ["--appendfsync", "always"],
        "redis": ["--appendonly", "yes", "--appendfsync", "always"],
    },
}
# Commands that write, for --commands writes.
WRITE_COMMANDS = ["set", "incr", "lpush", "rpop", "sadd", "zadd", "hset", "setbit", "pfadd", "geoadd"]
# The Lua scripts of --scripts, each run as EVALSHA <sha1> 1 key:__rand_int__.
# name (a table row), source, what (one line for the printout), calls (redis.call per run).
SCRIPTS = [
    {"name": "return_1", "source": "return 1", "what": "return 1", "calls": 0},
    {"name": "incr_expire",
     "source": "redis.call('INCR', KEYS[1]); return redis.call('EXPIRE', KEYS[1], 100)",
     "what": "INCR KEYS[1]; EXPIRE KEYS[1] 100", "calls": 2},
    {"name": "ten_calls",
     "source": "local k = KEYS[1]\n"
               "redis.call('SET', k .. ':s', 'value')\n"
               "redis.call('GET', k .. ':s')\n"
               "redis.call('INCR', k .. ':n')\n"
               "redis.call('GET', k .. ':n')\n"
               "redis.call('SET', k .. ':t', 'other value')\n"
               "redis.call('GET', k .. ':t')\n"
               "redis.call('INCR', k .. ':m')\n"
               "redis.call('INCR', k .. ':n')\n"
               "redis.call('GET', k .. ':m')\n"
               "return redis.call('GET', k .. ':n')\n",
     "what": "SET, GET, INCR, GET, SET, GET, INCR, INCR, GET, GET on KEYS[1]..':s' ':n' ':t' ':m'",
     "calls": 10},
]
SCRIPT_KEY = "key:__rand_int__"
# One redis-benchmark run's command: name (the table's row), args (after the
# common flags) and match (the first word of the test's name in the CSV).
Case = collections.namedtuple("Case", "name args match")


class SetupError(Exception):
    """Something the bench needs could not be had: reported, exit 1."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


def _die_with_parent():
    """preexec_fn: the child gets SIGKILL should this script die first."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def ping(port, timeout=1.0):
    """True when the server on port answers PING with +PONG."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(64)
                if not chunk:
                    return False
                data += chunk
            return data.startswith(b"+PONG")
    except OSError:
        return False


def cpu_seconds(pid):
    """User + system CPU time of the whole process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise SetupError(f"no VmRSS for pid {pid}")


class Server:
    """One server process, pinned to SERVER_CORE, on a free loopback port."""

    def __init__(self, label, kind, binary, extra_args, workdir):
        self.label = label  # "Efis", "Redis", "Redis A"...
        self.kind = kind  # "efis" or "redis"
        self.binary = binary
        self.extra_args = list(extra_args)
        self.dir = tempfile.mkdtemp(prefix=f"{kind}-", dir=workdir)
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        self.port = None
        self.starts = 0

    def command(self):
        if self.kind == "efis":
            return [
                self.binary, "--port", str(self.port), "--bind", HOST,
                "--backup-path", os.path.join(self.dir, "data"),
                "--log-level", "warn", *self.extra_args,
            ]
        return [
            self.binary, "--port", str(self.port), "--bind", HOST,
            "--dir", self.dir, "--save", "", "--daemonize", "no",
            "--logfile", "", "--loglevel", "warning", *self.extra_args,
        ]

    def start(self):
        self.port = free_port()
        self.spawn()
        self.wait_ready()

    def start_same_port(self):
        """Starts again on the same port and data; returns at once."""
        self.spawn()

    def spawn(self):
        self.starts += 1
        env = dict(os.environ)
        if self.kind == "efis":
            for name in EFIS_ENV_VARS:
                env.pop(name, None)
        logf = open(self.log_path, "ab")
        try:
            # Own session: Ctrl-C on the terminal reaches this script, which
            # then stops the servers itself, in order.
            self.proc = subprocess.Popen(
                ["taskset", "-c", SERVER_CORE, *self.command()],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                env=env, cwd=self.dir, start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            logf.close()

    def wait_ready(self):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(
                    f"{self.label} exited with {self.proc.returncode} at start:\n{self.log_tail()}"
                )
            if ping(self.port):
                return
            time.sleep(0.05)
        raise SetupError(f"{self.label} did not answer PING within 15 s:\n{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss(self):
        return rss_bytes(self.proc.pid)

    def disk_bytes(self):
        """Bytes of files the server wrote in its directory (its log aside)."""
        total = 0
        for root, _dirs, files in os.walk(self.dir):
            for name in files:
                path = os.path.join(root, name)
                if path != self.log_path:
                    with contextlib.suppress(OSError):
                        total += os.path.getsize(path)
        return total

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:]).rstrip() or "(empty log)"
        except OSError:
            return "(no log)"


class ServerSet:
    """Servers started together; all of them stopped on leaving, whatever happens."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.servers = []

    def add(self, *args):
        server = Server(*args, self.workdir)
        self.servers.append(server)
        server.start()
        return server

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for server in self.servers:
            server.stop()
        return False


# ---------------------------------------------------------------- setup


def run_quiet(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def build_efis():
    log("building efis (cargo build --release)...")
    result = subprocess.run(["cargo", "build", "--release"], cwd=REPO)
    if result.returncode != 0:
        raise SetupError("cargo build --release failed (see above)")
    return os.path.join(REPO, "target", "release", "efis")


def ensure_redis():
    tools = ["redis-server", "redis-cli", "redis-benchmark", "taskset"]
    if all(shutil.which(t) for t in tools):
        return
    if not shutil.which("taskset"):
        raise SetupError("taskset is missing (Debian package util-linux)")
    if os.geteuid() != 0:
        raise SetupError("redis-server/redis-tools are missing and this is not root: "
                         "apt-get install redis-server redis-tools")
    log("installing redis-server redis-tools with apt-get...")
    # Keep Debian's service scripts from starting a redis-server of their own
    # on port 6379 while the package installs.
    policy = "/usr/sbin/policy-rc.d"
    added = False
    if not os.path.exists(policy):
        with open(policy, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(policy, 0o755)
        added = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for cmd in (["apt-get", "update", "-q"],
                    ["apt-get", "install", "-y", "-q", "--no-install-recommends",
                     "redis-server", "redis-tools"]):
            if subprocess.run(cmd, env=env).returncode != 0:
                raise SetupError(f"{' '.join(cmd)} failed")
    finally:
        if added:
            os.remove(policy)
    if not all(shutil.which(t) for t in tools):
        raise SetupError("redis tools still missing after apt-get install")


def machine_facts(efis_bin):
    """What was measured, where and when: the head of the printout and of the saved run."""
    def out(cmd):
        try:
            return run_quiet(cmd, timeout=20, cwd=REPO).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    commit = out(["git", "rev-parse", "--short", "HEAD"])
    if out(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    model = "?"
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    redis = out(["redis-server", "--version"])
    # "Redis server v=7.0.15 sha=..." -> "Redis 7.0.15"
    short_redis = next((f"Redis {w[2:]}" for w in redis.split() if w.startswith("v=")), redis)
    return {
        "date": f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        "cores": os.cpu_count(),
        "cpu": model,
        "kernel": f"Linux {platform.release()}",
        "efis": out([efis_bin, "--version"]),
        "efis_binary": efis_bin,
        "commit": commit,
        "redis": short_redis,
        "redis_version_line": redis,
        "load": load_note(),
    }


def describe_machine(facts):
    return [
        f"date:    {facts['date']}",
        f"machine: {facts['cores']} cores, {facts['cpu']}, {facts['kernel']}",
        f"efis:    {facts['efis']}, commit {facts['commit']}, {facts['efis_binary']}",
        f"redis:   {facts['redis_version_line']}",
        f"client:  redis-benchmark on core {CLIENT_CORE}, servers on core {SERVER_CORE}",
        f"load:    {facts['load']}",
    ]


def busy_fraction(seconds=1.0):
    """Share of all CPU time spent busy (not idle or iowait) over the next seconds."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait
    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def load_note():
    """How busy the machine is before the bench starts (it should be idle)."""
    try:
        busy = busy_fraction()
    except (OSError, ValueError, IndexError):
        return "?"
    note = f"{busy:.0%} of the CPUs busy before the start"
    if busy > 0.05:
        note += " -- other work is running here: expect noisy numbers"
    return note


# ---------------------------------------------------------------- throughput


def requests_for(cmd, pipeline, quick):
    n = (100_000 if pipeline == 1 else 1_000_000)
    if quick:
        n //= 5
    if cmd == "lrange_100":
        # Each request returns 100 elements and redis-benchmark first runs as
        # many LPUSHes to fill the list.
        n //= 5 if pipeline == 1 else 10
    return n


def parse_csv_line(line):
    fields = []
    for part in line.strip().split(","):
        fields.append(part.strip().strip('"'))
    return fields


def command_cases():
    """The throughput part's runs: redis-benchmark's own tests (-t CMD), and
    a command line for those it does not know (CUSTOM_COMMANDS)."""
    return [Case(cmd, CUSTOM_COMMANDS.get(cmd, ["-t", cmd]), cmd) for cmd in COMMANDS]


def script_cases(scripts=SCRIPTS):
    """The scripts part's runs: EVALSHA <sha1> 1 key:__rand_int__ per script."""
    return [Case(s["name"], ["EVALSHA", script_sha(s), "1", SCRIPT_KEY], "evalsha")
            for s in scripts]


def script_sha(script):
    return hashlib.sha1(script["source"].encode()).hexdigest()


def run_benchmark(server, case, pipeline, n, timeout):
    """One redis-benchmark run of case (a Case).

    Returns (rps, p99_ms, server CPU microseconds per request) or (None, reason).
    """
    argv = [
        "taskset", "-c", CLIENT_CORE, "redis-benchmark", "-h", HOST, "-p", str(server.port),
        "-c", "50", "-r", "100000", "-n", str(n), "-P", str(pipeline), "--csv",
        *getattr(server, "auth_args", []), *case.args,
    ]
    cpu0 = cpu_seconds(server.proc.pid)
    try:
        res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timeout ({timeout} s)"
    try:
        cpu_us = (cpu_seconds(server.proc.pid) - cpu0) / n * 1e6
    except (OSError, IndexError, ValueError):
        cpu_us = float("nan")  # the server died meanwhile: the run fails below
    header = None
    for line in res.stdout.splitlines():
        fields = parse_csv_line(line)
        if not fields or not fields[0]:
            continue
        if fields[0] == "test":
            header = fields
            continue
        # lrange_100 also reports the LPUSH that filled the list first.
        if "(needed" in fields[0] or fields[0].split()[0].lower() != case.match:
            continue
        # redis-benchmark before 7 prints no header and only "TEST","rps".
        row = dict(zip(header or ["test", "rps"], fields))
        row.setdefault("p99_latency_ms", "nan")
        try:
            return float(row["rps"]), float(row["p99_latency_ms"]), cpu_us
        except (KeyError, ValueError):
            break
    err = (res.stderr.strip() or res.stdout.strip() or f"exit {res.returncode}").splitlines()
    return None, err[-1][:160] if err else f"exit {res.returncode}"


def throughput(label_a, label_b, make_servers, rounds, quick, cases=None, prepare=None,
               noun="command"):
    """Runs every case (default: every command) at every depth, rounds times, on both servers.

    make_servers(ServerSet) -> (server_a, server_b).  prepare(server), when
    given, runs on each server once it is up (and again after a restart) and
    returns {case name: reason} for the cases that cannot run there.  Returns
    results[pipeline][case name][label] = list of (rps, p99, cpu) or reason
    strings, one per round, and the bytes each server left in its directory
    (its persistence files).
    """
    cases = cases or command_cases()
    results = {p: {c.name: {label_a: [], label_b: []} for c in cases} for p in PIPELINES}
    with tempfile.TemporaryDirectory(prefix="efis-bench-") as workdir, ServerSet(workdir) as ss:
        a, b = make_servers(ss)
        unready = {}
        for server in (a, b):
            unready[server.label] = prepare(server) if prepare else {}
        for rnd in range(rounds):
            order = (a, b) if rnd % 2 == 0 else (b, a)
            for pipeline in PIPELINES:
                log(f"  round {rnd + 1}/{rounds}, -P {pipeline}: "
                    f"{order[0].label} then {order[1].label}, {noun} by {noun}")
                for case in cases:
                    cmd = case.name
                    n = requests_for(cmd, pipeline, quick)
                    for server in order:
                        if not server.alive():
                            log(f"    {server.label} died (exit {server.proc.returncode}); "
                                f"log:\n{server.log_tail()}\n    restarting it")
                            server.start()
                            if prepare:
                                unready[server.label] = prepare(server)
                        if cmd in unready[server.label]:
                            outcome = (None, unready[server.label][cmd])
                        else:
                            outcome = run_benchmark(server, case, pipeline, n, timeout=240)
                        if outcome[0] is None:
                            reason = outcome[1]
                            if not server.alive():
                                reason = f"server died: {reason}"
                            results[pipeline][cmd][server.label].append(reason)
                            log(f"    -P {pipeline} {cmd} on {server.label}: error")
                        else:
                            results[pipeline][cmd][server.label].append(outcome)
        disk = {server.label: server.disk_bytes() for server in (a, b)}
    return results, disk


def fmt_rps(v):
    return f"{v:,.0f}"


def summarize(samples):
    """(median rps, median p99, spread of rps, median CPU/request) over the rounds,
    or None and the first error."""
    good = [s for s in samples if isinstance(s, tuple)]
    bad = [s for s in samples if not isinstance(s, tuple)]
    if bad or not good:
        return None, (bad[0] if bad else "no result")
    rps = [s[0] for s in good]
    med = statistics.median(rps)
    spread = (max(rps) - min(rps)) / med if med else 0.0
    return (med, statistics.median(s[1] for s in good), spread,
            statistics.median(s[2] for s in good)), None


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def cell_record(summary, error):
    """One server's cell of the saved run."""
    if summary is None:
        return {"error": error}
    rps, p99, spread, cpu = summary
    return {"rps": rps, "p99_ms": p99, "spread": spread,
            "cpu_us": cpu if math.isfinite(cpu) else None}


def print_table(title, results, disk, label_a, label_b, rounds, quick, scripts=None):
    """Prints one configuration's table; returns its part of the saved run.

    The rows are the commands, or with scripts (a list like SCRIPTS) the scripts.
    """
    print()
    print(f"== {title}")
    errors = []
    noun = "script" if scripts else "command"
    names = [s["name"] for s in scripts] if scripts else list(COMMANDS)
    if scripts:
        record = {"title": title, "scripts": names,
                  "sources": {s["name"]: {"source": s["source"], "sha1": script_sha(s),
                                          "calls": s["calls"]} for s in scripts}}
        print(f"EVALSHA <sha1> 1 {SCRIPT_KEY}, each script loaded with SCRIPT LOAD on both servers:")
        for s in scripts:
            print(f"  {s['name']:<11} {script_sha(s)[:10]}  {s['calls']:>2} calls: {s['what']}")
    else:
        record = {"title": title, "commands": names}
    record.update({"pipelines": {},
                   "disk_bytes": {label_a: disk[label_a], label_b: disk[label_b]}})
    for pipeline in PIPELINES:
        n1 = requests_for("set", pipeline, quick)
        n2 = requests_for("lrange_100", pipeline, quick)
        if scripts:
            depth = record["pipelines"][str(pipeline)] = {"requests": n1}
            requests = f"-n {n1:,}"
        else:
            depth = record["pipelines"][str(pipeline)] = {
                "requests": n1, "requests_lrange_100": n2,
            }
            requests = f"-n {n1:,} (lrange_100: {n2:,})"
        print()
        print(f"-P {pipeline}: -c 50 -r 100000, {requests}, "
              f"median of {rounds} round{'s' if rounds != 1 else ''}")
        head = (f"{noun:<11} {label_a + ' rps':>13} {label_b + ' rps':>13} {'ratio':>6} "
                f"{label_a + ' p99':>11} {label_b + ' p99':>11} "
                f"{label_a + ' cpu':>11} {label_b + ' cpu':>11}")
        print(head)
        print("-" * len(head))
        ratios, spreads, cpu_ratios = [], [], []
        for cmd in names:
            sa, ea = summarize(results[pipeline][cmd][label_a])
            sb, eb = summarize(results[pipeline][cmd][label_b])
            depth[cmd] = {label_a: cell_record(sa, ea), label_b: cell_record(sb, eb), "ratio": None}
            cells = []
            for s in (sa, sb):
                cells.append(fmt_rps(s[0]) if s else "error")
            ratio = "-"
            if sa and sb and sb[0] > 0:
                r = sa[0] / sb[0]
                ratios.append(r)
                depth[cmd]["ratio"] = r
                ratio = f"{r:.2f}"
                if sa[3] > 0 and sb[3] > 0:
                    cpu_ratios.append(sa[3] / sb[3])
            p99s = [f"{s[1]:.3f} ms" if s else "error" for s in (sa, sb)]
            cpus = [f"{s[3]:.2f} us" if s else "error" for s in (sa, sb)]
            for s in (sa, sb):
                if s:
                    spreads.append(s[2])
            print(f"{cmd:<11} {cells[0]:>13} {cells[1]:>13} {ratio:>6} {p99s[0]:>11} {p99s[1]:>11} "
                  f"{cpus[0]:>11} {cpus[1]:>11}")
            for label, e in ((label_a, ea), (label_b, eb)):
                if e:
                    errors.append(f"-P {pipeline} {cmd} on {label}: {e}")
        if ratios:
            gm = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            depth["geomean"] = gm
            print(f"geometric mean ratio {label_a}/{label_b} at -P {pipeline}: {gm:.2f} "
                  f"(over {len(ratios)} of {len(names)} {noun}s)")
        else:
            print(f"geometric mean ratio at -P {pipeline}: - (no {noun} worked on both)")
        if cpu_ratios:
            gm = math.exp(sum(math.log(r) for r in cpu_ratios) / len(cpu_ratios))
            depth["cpu_geomean"] = gm
            print(f"geometric mean CPU-per-request ratio {label_a}/{label_b} at -P {pipeline}: "
                  f"{gm:.2f} (lower is cheaper)")
        if rounds > 1 and spreads:
            depth["spread_median"] = statistics.median(spreads)
            print(f"round-to-round spread of a cell: median {statistics.median(spreads):.0%}, "
                  f"max {max(spreads):.0%}")
    print()
    print(f"rps: requests per second; ratio: rps {label_a}/{label_b}; "
          f"p99: 99th percentile latency;")
    if scripts:
        print("cpu: server CPU time (user + system) per request (one EVALSHA, all its calls)")
    else:
        print("cpu: server CPU time (user + system) per request, "
              "lrange_100's including its LPUSH fill")
    print(f"written to disk by the end: {label_a} {fmt_bytes(disk[label_a])}, "
          f"{label_b} {fmt_bytes(disk[label_b])}")
    if (disk[label_a] == 0) != (disk[label_b] == 0):
        quiet, busy = (label_a, label_b) if disk[label_a] == 0 else (label_b, label_a)
        print(f"warning: {quiet} wrote nothing to disk while {busy} did: the two did not do the "
              f"same persistence work, so this configuration is not like for like")
    if errors:
        print()
        print("errors:")
        for e in errors:
            print(f"  {e[:150]}")
    return record


# ---------------------------------------------------------------- scripts


def load_scripts(server, replies):
    """The scripts part's prepare(): SCRIPT LOAD of every script on server.

    Checks the SHA1 the server answers, then runs the script once with
    EVALSHA on the key script:check and keeps its reply in
    replies[label][name] (a fresh server's: a restart's is not kept).
    Returns {name: reason} for the scripts that could not be loaded.
    """
    failed = {}
    kept = replies.setdefault(server.label, {})
    cli = ["redis-cli", "-h", HOST, "-p", str(server.port)]
    for script in SCRIPTS:
        name, sha = script["name"], script_sha(script)
        try:
            res = run_quiet([*cli, "SCRIPT", "LOAD", script["source"]], timeout=30)
            got = res.stdout.strip()
            if got != sha:
                failed[name] = f"SCRIPT LOAD: {got or f'exit {res.returncode}'}"[:160]
                log(f"    {failed[name]} ({name} on {server.label})")
                continue
            res = run_quiet([*cli, "EVALSHA", sha, "1", "script:check"], timeout=30)
            kept.setdefault(name, res.stdout.strip())
        except subprocess.TimeoutExpired:
            failed[name] = "SCRIPT LOAD or EVALSHA: redis-cli timed out"
    return failed


def scripts_part(label_a, label_b, make_servers, title, rounds, quick):
    """Runs the scripts part in one configuration; prints its table and
    returns its part of the saved run."""
    replies = {}
    results, disk = throughput(label_a, label_b, make_servers, rounds, quick,
                               cases=script_cases(), noun="script",
                               prepare=lambda server: load_scripts(server, replies))
    panel = print_table(title, results, disk, label_a, label_b, rounds, quick, scripts=SCRIPTS)
    panel["check_replies"] = replies
    for script in SCRIPTS:
        name = script["name"]
        ra = replies.get(label_a, {}).get(name)
        rb = replies.get(label_b, {}).get(name)
        if ra is not None and rb is not None and ra != rb:
            print(f"warning: {name} answered {ra!r} on {label_a} but {rb!r} on {label_b} "
                  f"(EVALSHA {script_sha(script)[:10]}... 1 script:check, run once on each)")
    return panel


# ---------------------------------------------------------------- memory


def write_load_file(path, keys, digits=8):
    """RESP for SET key:%0<digits>d <16-byte value>, keys times."""
    with open(path, "wb") as f:
        batch = []
        for i in range(keys):
            # key:%08d is 12 bytes; the value "v" + %015d is 16 bytes.
            batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%0*d\r\n$16\r\nv%015d\r\n"
                         % (4 + digits, digits, i, i))
            if len(batch) == 10_000:
                f.write(b"".join(batch))
                batch.clear()
        f.write(b"".join(batch))


def settled_rss(server, wait=1.0, limit=10.0):
    """RSS once two reads half a second apart agree within 0.1%."""
    time.sleep(wait)
    last = server.rss()
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = server.rss()
        if abs(now - last) <= last * 0.001:
            return now
        last = now
    return last


def dbsize(port):
    res = run_quiet(["redis-cli", "-h", HOST, "-p", str(port), "DBSIZE"], timeout=30)
    try:
        return int(res.stdout.strip().split()[-1])
    except (ValueError, IndexError):
        return None


def memory(efis_bin, keys):
    rows = {}
    with tempfile.TemporaryDirectory(prefix="efis-bench-") as workdir, ServerSet(workdir) as ss:
        load = os.path.join(workdir, "load.resp")
        log(f"memory: writing {keys:,} SET commands as RESP...")
        write_load_file(load, keys)
        servers = [
            ss.add("Efis", "efis", efis_bin, FSYNC_CONFIGS["no"]["efis"]),
            ss.add("Redis", "redis", "redis-server", FSYNC_CONFIGS["no"]["redis"]),
        ]
        for server in servers:
            before = settled_rss(server, wait=0.5)
            log(f"memory: loading {server.label} with redis-cli --pipe...")
            t0 = time.monotonic()
            with open(load, "rb") as stdin:
                res = subprocess.run(
                    ["taskset", "-c", CLIENT_CORE, "redis-cli", "-h", HOST, "-p", str(server.port),
                     "--pipe", "--pipe-timeout", "120"],
                    stdin=stdin, capture_output=True, text=True, timeout=600,
                )
            took = time.monotonic() - t0
            summary = [l for l in res.stdout.splitlines() if l.startswith("errors:")]
            if res.returncode != 0 or not server.alive():
                last = (summary or res.stderr.splitlines() or ["?"])[-1]
                rows[server.label] = f"load failed: {last}"
                continue
            after = settled_rss(server)
            count = dbsize(server.port)
            rows[server.label] = (before, after, count, took, summary[-1] if summary else "?")
    print()
    print(f"== memory: {keys:,} x SET key:%08d <16-byte value>, persistence off, "
          f"resident memory (VmRSS) before and after")
    head = f"{'server':<7} {'before':>10} {'after':>10} {'keys':>10} {'bytes/key':>10}  load"
    print(head)
    print("-" * len(head))
    per_key = {}
    for label in ("Efis", "Redis"):
        row = rows.get(label, "not run")
        if not isinstance(row, tuple):
            print(f"{label:<7} {row}")
            continue
        before, after, count, took, summary = row
        per_key[label] = (after - before) / keys
        print(f"{label:<7} {before / 2**20:>7.1f} MiB {after / 2**20:>7.1f} MiB "
              f"{count if count is not None else '?':>10} {per_key[label]:>10.1f}  "
              f"{took:.1f} s, {summary}")
        if count != keys:
            print(f"        warning: DBSIZE is {count}, expected {keys:,}")
    record = {"keys": keys}
    for label in ("Efis", "Redis"):
        row = rows.get(label, "not run")
        if isinstance(row, tuple):
            before, after, count, took, _summary = row
            record[label] = {"rss_before": before, "rss_after": after, "dbsize": count,
                             "load_seconds": took, "bytes_per_key": per_key[label]}
        else:
            record[label] = row
    if len(per_key) == 2 and per_key["Redis"] > 0:
        record["ratio"] = per_key["Efis"] / per_key["Redis"]
        print(f"bytes per key Efis/Redis: {record['ratio']:.2f}")
    return record


# ---------------------------------------------------------------- main


DEFAULT_JSON = os.path.join(REPO, "tests", "bench", "last-run.json")
DEFAULT_CHART = os.path.join(REPO, "tests", "bench", "chart.svg")


def run_record(facts, rounds, quick):
    """The saved run: where and when, then what each part measured.

    ``throughput`` holds one panel per persistence configuration: its
    ``config`` (no, everysec, always), ``commands``, and per pipeline depth
    ("1", "32") each command's cells (rps, p99_ms, cpu_us, spread, or error)
    per server label with their ``ratio``, and the depth's ``geomean`` and
    ``cpu_geomean``.  ``memory`` holds each server's resident memory before
    and after the load, ``bytes_per_key`` and their ``ratio``.  With
    ``--scripts`` (and only then), ``scripts`` holds panels like those of
    ``throughput`` whose rows are the scripts: ``scripts`` (their names)
    instead of ``commands``, ``sources`` (per name its Lua ``source``,
    ``sha1`` and ``calls``) and ``check_replies`` (per server label, what
    each script answered when first run).
    """
    record = dict(facts)
    record.update({"rounds": rounds, "quick": quick, "labels": ["Efis", "Redis"],
                   "throughput": [], "memory": None})
    return record


def save_run(record, json_path, chart_path):
    """Writes the run as JSON and its chart as SVG."""
    tmp = json_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, json_path)
    chart.write(record, chart_path)
    print()
    def shown(path):
        rel = os.path.relpath(path)
        return path if rel.startswith("..") else rel
    print(f"saved: {shown(json_path)} and {shown(chart_path)}")


def server_pair(conf, efis_bin, redis_vs_redis):
    """The two servers of a side-by-side part in one persistence configuration:
    (label_a, label_b, make_servers, title)."""
    if redis_vs_redis:
        def make(ss):
            return (ss.add("Redis A", "redis", "redis-server", conf["redis"]),
                    ss.add("Redis B", "redis", "redis-server", conf["redis"]))
        return "Redis A", "Redis B", make, f"{conf['title']} -- redis against itself"

    def make(ss):
        return (ss.add("Efis", "efis", efis_bin, conf["efis"]),
                ss.add("Redis", "redis", "redis-server", conf["redis"]))
    return "Efis", "Redis", make, conf["title"]


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Benchmark Efis against redis-server on this machine (see the docstring of "
                    "tests/bench/bench.py).")
    ap.add_argument("--efis", metavar="PATH",
                    help="efis binary to measure (default: build target/release/efis)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="rounds per cell, the median is shown (default 3, 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="short run: 1 round, a fifth of the requests, 200,000 keys, "
                         "only --fsync no unless --fsync is given")
    only = ap.add_mutually_exclusive_group()
    only.add_argument("--only-memory", action="store_true", help="skip the throughput part")
    only.add_argument("--only-throughput", action="store_true", help="skip the memory part")
    only.add_argument("--scripts", action="store_true",
                      help="only the scripts part: EVALSHA of three Lua scripts at -P 1 and -P 32 "
                           "(persistence off unless --fsync is given)")
    ap.add_argument("--cache", action="store_true",
                    help="only the cache part: hit ratio, throughput and worst latency under eviction, "
                         "allkeys-lru and allkeys-lfu (see tests/bench/cache.py)")
    ap.add_argument("--tls", action="store_true",
                    help="only the TLS part: both servers serving TLS only with the same certificates, "
                         "redis-benchmark --tls (see tests/bench/tls_bench.py)")
    ap.add_argument("--acl", action="store_true",
                    help="only the ACL part: the usual commands as the default user and as a "
                         "restricted user, on two Efis servers (see tests/bench/acl.py)")
    ap.add_argument("--cache-maxmemory", default="8mb",
                    help="maxmemory of both servers in the cache part (default 8mb)")
    only.add_argument("--streams", action="store_true",
                      help="only the streams part: XADD, XRANGE and a consumer loop at -P 1 and -P 32, "
                           "and memory per entry (see tests/bench/streams.py)")
    ap.add_argument("--rdb", action="store_true",
                    help="only the RDB part: loading a dump.rdb written by redis-server and writing one, "
                         "Efis against redis-server, with --keys keys (see tests/bench/rdb.py)")
    ap.add_argument("--replication", action="store_true",
                    help="only the replication part: full resyncs of --keys keys, SET throughput with and "
                         "without two replicas, their lag, and the primary's cost of them in CPU time and "
                         "instructions (see tests/bench/replication.py)")
    ap.add_argument("--durability", action="store_true",
                    help="only the durability part: start-up time and a snapshot under write load "
                         "with --keys keys (see tests/bench/durability.py)")
    ap.add_argument("--commands", choices=["all", "writes"], default="all",
                    help="commands to measure throughput with (writes: " + ",".join(WRITE_COMMANDS) + ")")
    ap.add_argument("--fsync", choices=["both", "no", "everysec", "always"], default=None,
                    help="persistence configurations to measure throughput in (default both)")
    ap.add_argument("--keys", type=int, default=None,
                    help="keys for the memory part (default 1,000,000; 200,000 with --quick)")
    ap.add_argument("--redis-vs-redis", action="store_true",
                    help="throughput of redis against a second redis, to see the noise")
    ap.add_argument("--json", metavar="FILE", default=DEFAULT_JSON,
                    help="where the run's numbers are saved (default tests/bench/last-run.json)")
    ap.add_argument("--chart", metavar="FILE", default=DEFAULT_CHART,
                    help="where the run's chart is drawn, as SVG (default tests/bench/chart.svg)")
    ap.add_argument("--chart-from", metavar="FILE",
                    help="measure nothing: draw the chart again from a run saved as JSON")
    args = ap.parse_args(argv)

    if args.chart_from:
        try:
            with open(args.chart_from, encoding="utf-8") as f:
                saved = json.load(f)
            chart.write(saved, args.chart)
        except (OSError, ValueError, KeyError, TypeError) as e:
            log(f"bench: cannot draw {args.chart} from {args.chart_from}: {e}")
            return 1
        print(f"chart: {args.chart} (from {args.chart_from})")
        return 0

    rounds = args.rounds or (1 if args.quick else 3)
    if rounds < 1:
        ap.error("--rounds must be at least 1")
    if args.scripts and args.durability:
        ap.error("--scripts and --durability are separate runs")
    fsync = args.fsync or ("no" if args.quick or args.scripts or args.streams else "both")
    configs = ["no", "everysec"] if fsync == "both" else [fsync]
    if args.commands == "writes":
        COMMANDS[:] = WRITE_COMMANDS
    keys = args.keys or (200_000 if args.quick else 1_000_000)
    if (os.cpu_count() or 1) < 2:
        log("warning: fewer than 2 cores: server and client share core 0")

    started = time.monotonic()
    try:
        if args.efis:
            efis_bin = os.path.abspath(args.efis)
            if not os.access(efis_bin, os.X_OK):
                raise SetupError(f"--efis {args.efis}: not an executable file")
        else:
            efis_bin = build_efis()
        ensure_redis()
        facts = machine_facts(efis_bin)
        for line in describe_machine(facts):
            print(line)
        sys.stdout.flush()
        record = run_record(facts, rounds, args.quick)

        if args.cache:
            import cache
            record["cache"] = cache.run(efis_bin, args.cache_maxmemory, rounds, args.quick)
            print()
            print(f"bench took {time.monotonic() - started:.0f} s")
            return 0
        # The parts below are runs of their own: each prints its table
        # and ends the run (they save no chart).
        if args.tls or args.acl or args.rdb or args.replication:
            if args.replication:
                import replication
                replication.run(efis_bin, keys, rounds, args.quick)
            elif args.tls:
                import tls_bench
                tls_bench.run(efis_bin, rounds, args.quick)
            elif args.acl:
                import acl
                acl.run(efis_bin, rounds, args.quick)
            else:
                import rdb
                rdb.run(efis_bin, keys, rounds)
            print()
            print(f"bench took {time.monotonic() - started:.0f} s")
            return 0
        if args.durability:
            import durability
            durability.run(efis_bin, keys)
            print()
            print(f"bench took {time.monotonic() - started:.0f} s")
            return 0
        if args.streams:
            import streams
            record["streams"] = streams.run(efis_bin, configs, rounds, args.quick, keys,
                                            args.redis_vs_redis)
        elif args.scripts:
            record["scripts"] = []
            for name in configs:
                la, lb, make, title = server_pair(FSYNC_CONFIGS[name], efis_bin,
                                                  args.redis_vs_redis)
                title = f"Lua scripts, EVALSHA; {title}"
                log(f"scripts: {title}")
                panel = scripts_part(la, lb, make, title, rounds, args.quick)
                panel["config"] = name
                record["labels"] = [la, lb]
                record["scripts"].append(panel)
                sys.stdout.flush()
        elif not args.only_memory:
            for name in configs:
                la, lb, make, title = server_pair(FSYNC_CONFIGS[name], efis_bin,
                                                  args.redis_vs_redis)
                log(f"throughput: {title}")
                results, disk = throughput(la, lb, make, rounds, args.quick)
                panel = print_table(title, results, disk, la, lb, rounds, args.quick)
                panel["config"] = name
                record["labels"] = [la, lb]
                record["throughput"].append(panel)
                sys.stdout.flush()

        if not (args.only_throughput or args.redis_vs_redis or args.scripts or args.streams):
            record["memory"] = memory(efis_bin, keys)
        save_run(record, args.json, args.chart)
    except SetupError as e:
        log(f"bench: {e}")
        return 1
    except KeyboardInterrupt:
        log("bench: interrupted; servers stopped")
        return 130
    print()
    print(f"bench took {time.monotonic() - started:.0f} s")
    return 0


def _terminate(signum, _frame):
    # SIGTERM/SIGHUP unwind like Ctrl-C, so every server is stopped on the way out.
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    sys.exit(main())
