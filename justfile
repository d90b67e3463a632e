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

# Fuzz the protocol parser and commands (not yet available)
fuzz:
    @echo "just fuzz: not yet available" >&2
    @exit 1

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

# Install Efis as a system service (not yet available)
install-service:
    @echo "just install-service: not yet available" >&2
    @exit 1
