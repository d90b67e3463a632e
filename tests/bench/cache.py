"""Cache mode for ``bench.py --cache``: Efis and redis-server as caches with the
same ``maxmemory`` and policy, under the same cache-aside load.

The load (``tests/bench/cache_load.rs``, built with ``cargo build --release
--bench cache_load``) picks keys from a Zipf(0.99) distribution over 300,000
keys, ``GET``s each and ``SET``s a 200-byte value on a miss, in pipelined
batches of 32 over 4 connections, pinned to the client core.  The first third
of the requests warms the cache and is not counted.  Per policy
(``allkeys-lru``, ``allkeys-lfu``) and server, in turns and fresh each time
(persistence off: Efis ``--appendfsync no``, Redis ``--save ''
--appendonly no``), it reports the hit ratio, operations per second (GETs and
SETs), and the batch round trip at the 99th percentile and at worst, which
includes any eviction pause; the median of the rounds, and the keys each
server holds at the end.  The limit is ``--cache-maxmemory`` (8mb by
default: small enough that neither server holds the keys the load touches).
"""

import json
import os
import statistics
import subprocess
import tempfile

import bench

POLICIES = ["allkeys-lru", "allkeys-lfu"]


def build_load():
    bench.log("building the load (cargo build --release --bench cache_load)...")
    result = subprocess.run(
        ["cargo", "build", "--release", "--bench", "cache_load", "--message-format=json"],
        cwd=bench.REPO, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise bench.SetupError("cargo build --bench cache_load failed (see above)")
    for line in result.stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if message.get("reason") == "compiler-artifact" and message.get("executable") \
                and message["target"]["name"] == "cache_load":
            return message["executable"]
    raise bench.SetupError("cargo did not name the cache_load executable")


def one_run(load, server, requests):
    cmd = ["taskset", "-c", bench.CLIENT_CORE, load, "--port", str(server.port),
           "--requests", str(requests), "--warmup", str(requests // 3)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise bench.SetupError(f"the load failed against {server.label}: {result.stderr[-500:]}")
    numbers = json.loads(result.stdout.strip().splitlines()[-1])
    numbers["keys"] = int(bench.dbsize(server.port))
    return numbers


def run(efis_bin, maxmemory, rounds, quick):
    load = build_load()
    requests = 1_000_000 if quick else 3_000_000
    print()
    print(f"Cache: maxmemory {maxmemory}, Zipf 0.99 over 300,000 keys, 200-byte values, "
          f"GET then SET on a miss, -P 32, 4 connections, {requests:,} requests "
          f"(a third to warm up), median of {rounds}")
    header = f"{'policy':<12} {'server':<6} {'hit ratio':>9} {'ops/s':>10} {'p99 ms':>7} " \
             f"{'worst ms':>8} {'keys':>7}"
    print(header)
    print("-" * len(header))
    panel = []
    for policy in POLICIES:
        samples = {"Efis": [], "Redis": []}
        with tempfile.TemporaryDirectory(prefix="efis-bench-") as workdir:
            for round_index in range(rounds):
                order = ["Efis", "Redis"] if round_index % 2 == 0 else ["Redis", "Efis"]
                for label in order:
                    with bench.ServerSet(workdir) as servers:
                        if label == "Efis":
                            server = servers.add("Efis", "efis", efis_bin, [
                                "--appendfsync", "no", "--maxmemory", maxmemory,
                                "--maxmemory-policy", policy])
                        else:
                            server = servers.add("Redis", "redis", "redis-server", [
                                "--appendonly", "no", "--maxmemory", maxmemory,
                                "--maxmemory-policy", policy])
                        samples[label].append(one_run(load, server, requests))
        row = {"policy": policy}
        for label in ("Efis", "Redis"):
            runs = samples[label]
            median = {k: statistics.median(r[k] for r in runs)
                      for k in ("hit_ratio", "ops_per_sec", "p99_us", "max_us", "keys")}
            row[label] = median
            print(f"{policy:<12} {label:<6} {median['hit_ratio']:>9.4f} {median['ops_per_sec']:>10,.0f} "
                  f"{median['p99_us'] / 1000:>7.2f} {median['max_us'] / 1000:>8.2f} {median['keys']:>7,.0f}")
        efis, redis = row["Efis"], row["Redis"]
        print(f"{policy:<12} {'ratio':<6} {efis['hit_ratio'] / redis['hit_ratio']:>9.3f} "
              f"{efis['ops_per_sec'] / redis['ops_per_sec']:>10.2f} "
              f"{efis['p99_us'] / max(redis['p99_us'], 1):>7.2f} {efis['max_us'] / max(redis['max_us'], 1):>8.2f} "
              f"{efis['keys'] / max(redis['keys'], 1):>7.2f}")
        panel.append(row)
    print("(ratio = Efis / Redis: above 1 is better for hit ratio, ops/s and keys, below 1 for latency)")
    return panel
