"""ACL checks for ``bench.py --acl``: what a restricted user costs.

Two Efis servers side by side, measured exactly as the throughput part
measures Efis against Redis (same commands, depths, pinning, turns and
rounds, persistence off): on one, redis-benchmark runs as the ``default``
user (allowed everything: the check is one flag test); on the other it
authenticates (``--user bench -a ...``) as a user whose rules allow the
benchmark but restrict it, so every command takes the full check: its
command bit, then each key against the key patterns.

    ACL SETUSER bench on >bench-password ~key:* ~counter:* ~my* ~bits:* ~hll:*
        ~geo:* -@all +@string +@list +@set +@sortedset +@hash +@bitmap
        +@hyperloglog +@geo +ping +config|get

The ratio column is default/restricted; within the noise of the method
(``--redis-vs-redis`` shows it) means the checks cost nothing measurable.
Saves nothing.
"""

import bench

USER = "bench"
PASSWORD = "bench-password"
RULES = [
    "on", f">{PASSWORD}", "~key:*", "~counter:*", "~my*", "~bits:*", "~hll:*", "~geo:*",
    "-@all", "+@string", "+@list", "+@set", "+@sortedset", "+@hash", "+@bitmap", "+@hyperloglog", "+@geo",
    "+ping", "+config|get",
]


def restrict(server):
    """prepare() for the restricted server: creates the user, and makes
    redis-benchmark log in as it.  Returns {} (every command can run) or
    {command: reason} for all when the user could not be made."""
    if server.label != "restricted":
        return {}
    res = bench.run_quiet(["redis-cli", "-h", bench.HOST, "-p", str(server.port),
                           "ACL", "SETUSER", USER, *RULES], timeout=30)
    if res.stdout.strip() != "OK":
        reason = f"ACL SETUSER: {res.stdout.strip() or res.stderr.strip()}"[:160]
        return {cmd: reason for cmd in bench.COMMANDS}
    server.auth_args = ["--user", USER, "-a", PASSWORD]
    return {}


def run(efis_bin, rounds, quick):
    conf = bench.FSYNC_CONFIGS["no"]

    def make(ss):
        return (ss.add("default", "efis", efis_bin, conf["efis"]),
                ss.add("restricted", "efis", efis_bin, conf["efis"]))

    title = "ACL: the default user against a restricted user (Efis on both; persistence off)"
    bench.log(f"acl: {title}")
    print(f"restricted user: ACL SETUSER {USER} {' '.join(r if r[0] != '>' else '>...' for r in RULES)}")
    results, disk = bench.throughput("default", "restricted", make, rounds, quick, prepare=restrict)
    return bench.print_table(title, results, disk, "default", "restricted", rounds, quick)
