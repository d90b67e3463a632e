"""Soak: writers on several connections while the server is killed, its
disk fails and fills up, then a check that every acknowledged write is
there exactly once and nothing unacknowledged is there twice.

Run by `just soak [--minutes N]`. The server runs with APPENDFSYNC=always
under the fault-injection library (tests/faults/shim.c, LD_PRELOAD),
whose faults this script switches on and off through its control file:
failing fsync and write (EIO), a full disk (ENOSPC), short writes, and
failing rename, open and fork while snapshots are written. Between
faults it kills the server with SIGKILL at random moments; a server that
exits by itself (as it must after a failed fsync under `always`) or is
killed is started again on the same data directory.

Each writer owns its keys and speaks RESP over its own socket (no client
library, so nothing is retried behind its back). A write is acknowledged
when its reply arrives; refused when an error reply arrives (nothing
was changed); in doubt when the connection broke first (it may or may
not have been applied, once at most). The check at the end allows for
that: a counter lies between its acknowledged increments and those plus
the ones in doubt, a list, set, hash or stream holds every acknowledged
value exactly once and each one in doubt at most once, and a script's
two writes are both there or both missing.

Prints operations, refusals, in-doubt writes, crashes, exits, faults
injected, lost and duplicated, and exits 1 if anything was lost or
duplicated.
"""

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SCRIPT = (
    "redis.call('INCR', KEYS[1]) "
    "redis.call('RPUSH', KEYS[2], ARGV[1]) "
    "return 1"
)


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """One RESP connection: send a command, read one reply."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2 :]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RuntimeError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError("bad reply %r" % line)

    def call(self, *args):
        self.sock.sendall(encode(args))
        return self._reply()


class Server:
    """The server under test, started again on the same data directory."""

    def __init__(self, efis, shim, root):
        self.efis, self.shim, self.root = efis, shim, root
        self.data = os.path.join(root, "data")
        os.makedirs(self.data)
        self.control = os.path.join(root, "faults")
        self.log_path = os.path.join(root, "server.log")
        self.set_faults("")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = None
        self.lock = threading.Lock()
        self.exits = 0
        self.start_failures = 0

    def set_faults(self, text):
        temp = self.control + ".new"
        with open(temp, "w") as f:
            f.write(text)
        os.replace(temp, self.control)

    def start(self):
        env = dict(os.environ)
        env.update(
            PORT=str(self.port),
            BIND="127.0.0.1",
            BACKUP_PATH=self.data,
            APPENDFSYNC="always",
            BACKUP_INTERVAL="3",
            BACKUP_KEEP="2",
            LOG_LEVEL="warn",
            LD_PRELOAD=self.shim,
            EFIS_FAULT_CONTROL=self.control,
            EFIS_FAULT_PATH=self.data,
        )
        for attempt in range(50):
            log = open(self.log_path, "a")
            self.proc = subprocess.Popen([self.efis], env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    c = Conn(self.port, timeout=2)
                    ok = c.call("PING") == "PONG"
                    c.close()
                    if ok:
                        return
                except OSError:
                    pass
                time.sleep(0.02)
            self.start_failures += 1
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            time.sleep(0.2)
        sys.exit("the server did not start 50 times in a row; see %s" % self.log_path)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def ensure_running(self):
        """Starts the server again if it exited by itself."""
        with self.lock:
            if self.proc.poll() is not None:
                self.exits += 1
                self.set_faults("")
                self.start()

    def crash(self):
        with self.lock:
            self.kill()
            self.set_faults("")
            time.sleep(random.random() * 0.3)
            self.start()

    def faults_injected(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return sum(1 for line in f if line.startswith("efis-fault: "))
        except OSError:
            return 0


class Writer(threading.Thread):
    """Writes to its own keys, recording what was acknowledged, refused
    and in doubt."""

    KINDS = ["incr", "rpush", "sadd", "hset", "xadd", "eval"]

    def __init__(self, wid, server, stop):
        super().__init__(daemon=True)
        self.wid, self.server, self.stop = wid, server, stop
        self.conn = None
        self.seq = 0
        self.acked = {k: [] for k in self.KINDS}
        self.doubt = {k: [] for k in self.KINDS}
        self.refused = 0
        self.ops = 0

    def key(self, name):
        return "soak:%d:%s" % (self.wid, name)

    def connect(self):
        while not self.stop.is_set():
            try:
                self.conn = Conn(self.server.port)
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def command(self, kind, value):
        if kind == "incr":
            return ("INCR", self.key("cnt"))
        if kind == "rpush":
            return ("RPUSH", self.key("list"), value)
        if kind == "sadd":
            return ("SADD", self.key("set"), value)
        if kind == "hset":
            return ("HSET", self.key("hash"), value, "1")
        if kind == "xadd":
            return ("XADD", self.key("stream"), "*", "v", value)
        return ("EVAL", SCRIPT, "2", self.key("ecnt"), self.key("elist"), value)

    def run(self):
        while not self.stop.is_set():
            if self.conn is None and not self.connect():
                return
            self.seq += 1
            kind = random.choice(self.KINDS)
            value = "%d-%d" % (self.wid, self.seq)
            try:
                reply = self.conn.call(*self.command(kind, value))
            except (OSError, ConnectionError):
                self.doubt[kind].append(value)
                self.conn.close()
                self.conn = None
                continue
            if isinstance(reply, RuntimeError):
                self.refused += 1
                time.sleep(0.01)
            else:
                self.acked[kind].append(value)
                self.ops += 1


def check(writers, conn):
    """Returns (lost, duplicated, problems)."""
    lost = duplicated = 0
    problems = []

    def counts(items):
        seen = {}
        for item in items:
            item = item.decode() if isinstance(item, bytes) else item
            seen[item] = seen.get(item, 0) + 1
        return seen

    def values(w, kind, seen):
        nonlocal lost, duplicated
        acked, doubt = set(w.acked[kind]), set(w.doubt[kind])
        for v in acked:
            n = seen.get(v, 0)
            if n == 0:
                lost += 1
                problems.append("%s: acknowledged %s missing" % (kind, v))
            elif n > 1:
                duplicated += n - 1
                problems.append("%s: %s %d times" % (kind, v, n))
        for v, n in seen.items():
            if v in acked:
                continue
            if v not in doubt:
                duplicated += n
                problems.append("%s: %s was never acknowledged nor in doubt" % (kind, v))
            elif n > 1:
                duplicated += n - 1
                problems.append("%s: in-doubt %s %d times" % (kind, v, n))

    def counter(w, kind, key):
        nonlocal lost, duplicated
        value = int(conn.call("GET", w.key(key)) or 0)
        low, high = len(w.acked[kind]), len(w.acked[kind]) + len(w.doubt[kind])
        if value < low:
            lost += low - value
            problems.append("%s %s: %d < %d acknowledged" % (kind, key, value, low))
        if value > high:
            duplicated += value - high
            problems.append("%s %s: %d > %d acknowledged + in doubt" % (kind, key, value, high))
        return value

    for w in writers:
        counter(w, "incr", "cnt")
        values(w, "rpush", counts(conn.call("LRANGE", w.key("list"), "0", "-1")))
        values(w, "sadd", counts(conn.call("SMEMBERS", w.key("set"))))
        values(w, "hset", counts(conn.call("HKEYS", w.key("hash"))))
        entries = conn.call("XRANGE", w.key("stream"), "-", "+")
        values(w, "xadd", counts(fields[1] for _, fields in entries))
        ecnt = counter(w, "eval", "ecnt")
        elist = conn.call("LRANGE", w.key("elist"), "0", "-1")
        values(w, "eval", counts(elist))
        if ecnt != len(elist):
            problems.append("eval: counter %d but %d list entries (a script half applied)" % (ecnt, len(elist)))
            duplicated += abs(ecnt - len(elist))
    return lost, duplicated, problems


FAULTS = [
    ("fsync failure", lambda: "FSYNC=nth:%d\n" % random.randint(1, 30), 2.0),
    ("write failure", lambda: "WRITE=nth:%d,errno=EIO\n" % random.randint(1, 30), 2.0),
    ("full disk", lambda: "WRITE=always,errno=ENOSPC\n", None),
    ("short writes", lambda: "WRITE=prob:0.3,short\n", 2.0),
    ("snapshot faults", lambda: "RENAME=prob:0.5\nOPEN=prob:0.05\nFORK=prob:0.5\n", 4.0),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--efis", default="target/soak/efis")
    parser.add_argument("--shim", default="target/soak/efis-fault-shim.so")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data directory and log")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int(time.time())
    random.seed(seed)
    root = tempfile.mkdtemp(prefix="efis-soak-")
    server = Server(os.path.abspath(args.efis), os.path.abspath(args.shim), root)
    server.start()
    print("soak: %.1f minutes, %d writers, seed %d, in %s" % (args.minutes, args.writers, seed, root), flush=True)
    stop = threading.Event()
    writers = [Writer(i, server, stop) for i in range(args.writers)]
    for w in writers:
        w.start()
    crashes = 0
    episodes = {name: 0 for name, _, _ in FAULTS}
    end = time.time() + args.minutes * 60
    next_report = time.time() + 30
    while time.time() < end:
        time.sleep(random.uniform(0.3, 2.0))
        server.ensure_running()
        if random.random() < 0.4:
            crashes += 1
            server.crash()
            continue
        name, spec, duration = random.choice(FAULTS)
        episodes[name] += 1
        server.set_faults(spec())
        if name == "snapshot faults":
            try:
                c = Conn(server.port, timeout=2)
                c.call("BGSAVE")
                c.close()
            except OSError:
                pass
        time.sleep(duration if duration else random.uniform(0.5, 3.0))
        server.set_faults("")
        if time.time() > next_report:
            next_report = time.time() + 30
            print(
                "  %ds: %d operations, %d crashes, %d exits"
                % (int(args.minutes * 60 - (end - time.time())), sum(w.ops for w in writers), crashes, server.exits),
                flush=True,
            )
    stop.set()
    for w in writers:
        w.join(timeout=30)
    server.set_faults("")
    server.ensure_running()
    # What is on disk, after one last crash.
    crashes += 1
    server.crash()
    conn = Conn(server.port)
    lost, duplicated, problems = check(writers, conn)
    conn.close()
    server.kill()
    ops = sum(w.ops for w in writers)
    print("operations acknowledged: %d" % ops)
    print("operations refused:      %d" % sum(w.refused for w in writers))
    print("operations in doubt:     %d" % sum(len(v) for w in writers for v in w.doubt.values()))
    print("crashes (kill -9):       %d" % crashes)
    print("exits after a fault:     %d" % server.exits)
    print("faults injected:         %d (%s)" % (server.faults_injected(), ", ".join("%s %d" % kv for kv in episodes.items())))
    print("failed starts:           %d" % server.start_failures)
    print("lost:                    %d" % lost)
    print("duplicated:              %d" % duplicated)
    for p in problems[:20]:
        print("  " + p)
    if args.keep or problems:
        print("data and log kept in %s" % root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    sys.exit(1 if lost or duplicated or problems else 0)


if __name__ == "__main__":
    main()
