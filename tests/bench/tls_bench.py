"""TLS mode for ``bench.py --tls``: Efis and redis-server, each serving TLS
only, under redis-benchmark with ``--tls``.

Both servers get the same certificates, made here with ``openssl`` (Debian's
``openssl`` package is installed with apt-get when it is missing): a CA and a
server certificate for 127.0.0.1 signed by it.  Efis runs with ``--port 0
--tls-port P --tls-cert-file ... --tls-key-file ... --tls-ca-cert-file ...
--tls-auth-clients no``, redis-server with the same options, both with
persistence off (Efis ``--appendfsync no``, Redis ``--save '' --appendonly
no``).  Every command of the throughput part then runs as
``redis-benchmark --tls --cacert ca.crt ...`` against each at ``-P 1`` and
``-P 32``, 50 connections, pinned as in the rest of the bench, and the
table is printed as there (ratios Efis/Redis).
"""

import os
import shutil
import subprocess
import tempfile
import time

import bench


def ensure_openssl():
    if shutil.which("openssl"):
        return
    if os.geteuid() != 0:
        raise bench.SetupError("openssl is missing and this is not root: apt-get install openssl")
    bench.log("installing openssl with apt-get...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "openssl"]):
        if subprocess.run(cmd, env=env).returncode != 0:
            raise bench.SetupError(f"{' '.join(cmd)} failed")


def make_certs(folder):
    """ca.crt, and server.crt/server.key for 127.0.0.1 signed by it."""
    def openssl(*args):
        result = subprocess.run(["openssl", *args], cwd=folder, capture_output=True, text=True)
        if result.returncode != 0:
            raise bench.SetupError(f"openssl {' '.join(args)}: {result.stderr.strip()}")

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=Efis bench CA")
    openssl("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(folder, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext")


class TlsServer(bench.Server):
    """A bench server with its plain port off and TLS on ``self.port``."""

    def __init__(self, label, kind, binary, extra_args, workdir, certs):
        super().__init__(label, kind, binary, extra_args, workdir)
        self.certs = certs

    def command(self):
        command = super().command()
        command[command.index("--port") + 1] = "0"
        return command + [
            "--tls-port", str(self.port),
            "--tls-cert-file", os.path.join(self.certs, "server.crt"),
            "--tls-key-file", os.path.join(self.certs, "server.key"),
            "--tls-ca-cert-file", os.path.join(self.certs, "ca.crt"),
            "--tls-auth-clients", "no",
        ]

    def wait_ready(self):
        deadline = time.monotonic() + 15
        ping = ["redis-cli", "-h", bench.HOST, "-p", str(self.port), "--tls",
                "--cacert", os.path.join(self.certs, "ca.crt"), "PING"]
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise bench.SetupError(
                    f"{self.label} exited with {self.proc.returncode} at start:\n{self.log_tail()}")
            result = subprocess.run(ping, capture_output=True, text=True, timeout=5)
            if result.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise bench.SetupError(f"{self.label} did not answer PING over TLS within 15 s:\n{self.log_tail()}")


def run(efis_bin, rounds, quick):
    """Runs the TLS part; prints its table and returns its panel."""
    ensure_openssl()
    conf = bench.FSYNC_CONFIGS["no"]
    with tempfile.TemporaryDirectory(prefix="efis-bench-tls-") as certs:
        make_certs(certs)

        def make(servers):
            pair = []
            for label, kind, binary in (("Efis", "efis", efis_bin), ("Redis", "redis", "redis-server")):
                server = TlsServer(label, kind, binary, conf[kind], servers.workdir, certs)
                servers.servers.append(server)
                server.start()
                pair.append(server)
            return tuple(pair)

        tls_args = ["--tls", "--cacert", os.path.join(certs, "ca.crt")]
        cases = [bench.Case(c.name, [*tls_args, *c.args], c.match) for c in bench.command_cases()]
        title = f"TLS only (redis-benchmark --tls, client certificates not asked); {conf['title']}"
        bench.log(f"tls: {title}")
        results, disk = bench.throughput("Efis", "Redis", make, rounds, quick, cases=cases)
        panel = bench.print_table(title, results, disk, "Efis", "Redis", rounds, quick)
    panel["config"] = "no"
    panel["tls"] = True
    return panel
