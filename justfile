# Efis task runner. Install `just` once per machine with `cargo install just`;
# `just --list` shows every recipe with the comment above it.

# Hand recipe arguments over as they were typed ("$@"), spaces and all.
set positional-arguments

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

# Benchmark Efis against redis-server side by side (throughput, p99, memory); e.g. just bench --quick
bench *ARGS:
    python3 tests/bench/bench.py "$@"

# Fuzz one target for SECONDS (needs `cargo install cargo-fuzz`); targets: resp, inline. e.g. just fuzz resp 600
fuzz TARGET SECONDS="60":
    cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$1" -- -max_total_time="$2"

# Build the container image (not yet available)
build-image:
    @echo "just build-image: not yet available" >&2
    @exit 1

# Run the container image (not yet available)
run-image:
    @echo "just run-image: not yet available" >&2
    @exit 1

# Run the server with backups to a mounted volume (not yet available)
run-backup:
    @echo "just run-backup: not yet available" >&2
    @exit 1

# Cut a release: version, changelog, tag (not yet available)
release:
    @echo "just release: not yet available" >&2
    @exit 1

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
