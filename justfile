# Efis task runner. Install `just` once per machine with `cargo install just`
# (or, as a prebuilt binary, `pip install rust-just` inside a Python venv:
# Debian 12's own pip refuses, its Python being externally managed);
# `just --list` shows every recipe with the comment above it.

# Hand recipe arguments over as they were typed ("$@"), spaces and all.
set positional-arguments

# The package version from Cargo.toml (the image tag).
version := `sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml`
# The target of the static build that goes into the image.
static_target := "x86_64-unknown-linux-gnu"

# Show the recipes
default:
    @just --list

# Build the release binary (target/release/efis)
build:
    cargo build --release

# Run the whole test suite (cargo test)
test:
    cargo test

# Run the server from source in release mode; extra arguments go to efis (e.g. just run --port 6380)
run *ARGS:
    cargo run --release -- "$@"

# Benchmark Efis against redis-server side by side (throughput, p99, memory); saves tests/bench/last-run.json and chart.svg; e.g. just bench --quick; just bench --scripts for Lua scripts (EVALSHA) only; just bench --streams for streams only; just bench --tls for TLS; just bench --cache for cache mode; just bench --rdb for loading and writing dump.rdb; just bench --replication for full resyncs, writes with two replicas, their lag and the primary's cost
bench *ARGS:
    python3 tests/bench/bench.py "$@"

# Soak durability for N minutes (default 2): writers with APPENDFSYNC=always while the server is killed and its disk fails (fsync, write, full disk, short writes, snapshot faults); prints operations, crashes, faults, lost, duplicated; e.g. just soak --minutes 30
soak *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build
    # A copy of its own: a rebuild while it runs does not swap the binary.
    mkdir -p target/soak
    cp target/debug/efis target/soak/efis
    cc -shared -fPIC -O2 -Wall -o target/soak/efis-fault-shim.so tests/faults/shim.c -ldl
    python="${EFIS_TEST_PYTHON:-target/ci-venv/bin/python}"
    if [[ ! -x "$python" ]]; then python=python3; fi
    exec "$python" tests/soak/soak.py --efis target/soak/efis --shim target/soak/efis-fault-shim.so "$@"

# Fuzz one target for SECONDS (needs `cargo install cargo-fuzz`; RUSTC_BOOTSTRAP=1 lets stable Rust build the sanitizers); targets: resp, inline, aof_load, snapshot_load, commands, rdb_load, restore_payload. e.g. just fuzz resp 600
fuzz TARGET SECONDS="60":
    cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$1" -- -max_total_time="$2"

# Build the static binary and the FROM scratch image, tagged efis:<version> and efis:latest
build-image:
    #!/usr/bin/env bash
    set -euo pipefail
    # glibc, linked statically (the image has no libc); no debug info, no symbols.
    RUSTFLAGS="-C target-feature=+crt-static" \
    CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
        cargo build --release --target {{static_target}}
    docker build --build-arg VERSION={{version}} -t efis:{{version}} -t efis:latest .
    docker images efis:{{version}}

# Start the image detached as container `efis` with volume `efis-data` on /data; passes PORT, REQUIREPASS, BACKUP_INTERVAL, ... when set
run-image:
    #!/usr/bin/env bash
    set -euo pipefail
    port="${PORT:-6379}"
    # Settings handed to the container when set here (by name: values such
    # as REQUIREPASS stay off the command line). BIND is not: the image
    # listens on 0.0.0.0 inside the container.
    env=()
    for name in PORT BACKUP_PATH BACKUP_INTERVAL BACKUP_KEEP APPENDFSYNC REQUIREPASS ACLFILE PROTECTED_MODE MAXCLIENTS DATABASES LOG_LEVEL \
        TLS_PORT TLS_CERT_FILE TLS_KEY_FILE TLS_CA_CERT_FILE TLS_AUTH_CLIENTS TLS_PROTOCOLS; do
        if [[ -n "${!name:-}" ]]; then env+=(-e "$name"); fi
    done
    # Published on the host's loopback only, unless PUBLISH_HOST says otherwise
    # (PUBLISH_HOST=0.0.0.0 for every interface: set REQUIREPASS then); the
    # TLS port too when set, PORT=0 publishing none.
    publish=()
    for p in "$port" "${TLS_PORT:-0}"; do
        if [[ "$p" != 0 ]]; then publish+=(--publish "${PUBLISH_HOST:-127.0.0.1}:$p:$p"); fi
    done
    # TLS_DIR (a host folder holding the certificates) is mounted read-only
    # on /tls: then TLS_CERT_FILE=/tls/server.crt and so on.
    if [[ -n "${TLS_DIR:-}" ]]; then publish+=(--volume "$(realpath "$TLS_DIR"):/tls:ro"); fi
    docker run --detach --name "${EFIS_CONTAINER:-efis}" --restart unless-stopped \
        --stop-timeout 300 \
        "${publish[@]}" \
        --volume "${EFIS_VOLUME:-efis-data}:/data" \
        "${env[@]}" "${EFIS_IMAGE:-efis:latest}"

# Take a verified snapshot backup of a running server every 600 s into BACKUP_DIR (default ./backups); reads HOST, PORT, REQUIREPASS
run-backup:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release
    # `efis backup` reads REQUIREPASS from the environment itself, which
    # keeps the password out of the process list (same as --password).
    exec target/release/efis backup --host "${HOST:-127.0.0.1}" --port "${PORT:-6379}" \
        --dir "${BACKUP_DIR:-./backups}" --every "${BACKUP_EVERY:-600}"

# Build the image, tag it <version> and latest in $DOCKER_REPO and push both; DRY_RUN=1 only prints the commands
release:
    #!/usr/bin/env bash
    set -euo pipefail
    repo="${DOCKER_REPO:-}"
    if [[ -z "$repo" ]]; then
        echo "just release: set DOCKER_REPO to the image repository, e.g. DOCKER_REPO=registry.example/efis just release" >&2
        exit 2
    fi
    run() {
        if [[ "${DRY_RUN:-0}" != 0 ]]; then
            line=$(printf '%q ' "$@")
            echo "${line% }"
        else
            echo "+ $*"
            "$@"
        fi
    }
    run just build-image
    run docker tag efis:{{version}} "$repo:{{version}}"
    run docker tag efis:{{version}} "$repo:latest"
    run docker push "$repo:{{version}}"
    run docker push "$repo:latest"

# Install Efis as a systemd service: binary to /usr/local/bin, .deploy/efis.service to /etc/systemd/system
install-service:
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release
    sudo=""
    if [[ "$(id -u)" != 0 ]]; then sudo="sudo"; fi
    $sudo install -D -m 0755 target/release/efis /usr/local/bin/efis
    $sudo install -D -m 0644 .deploy/efis.service /etc/systemd/system/efis.service
    $sudo systemctl daemon-reload
    echo "Installed efis.service. Start it now and at every boot with:"
    echo "    sudo systemctl enable --now efis"
    echo "Logs: journalctl -u efis"
