//! Efis integration tests: one test binary, one module per area.
//!
//! Every test starts the real `efis` binary on a free port (see `common`)
//! and talks to it over a real socket, with the `redis` client crate or
//! with raw bytes.
//!
//! A few tests also drive programs from outside the project (`redis-cli`,
//! `nc`, `nutcracker`, `systemd-analyze`, `redis-sentinel`, a Python with
//! redis-py 8 named by `EFIS_TEST_PYTHON`) or mount a tmpfs. Where one is missing they are
//! skipped and listed when the run ends; `EFIS_REQUIRE_TOOLS=1` makes them
//! fail instead (see `common::needs`). `EFIS_TEST_SERVER=redis` runs the
//! suite against `redis-server` (see `common`).

mod common;

mod acl;
mod behaviour;
mod behaviour_random;
mod bitmaps;
mod blocking;
mod client_pause;
mod clients;
mod command_meta;
mod connection;
mod dump_restore;
mod durability;
mod eviction;
mod expire;
mod fuzz_corpus;
mod geo;
mod hashes;
mod hyperloglog;
mod info_fields;
mod introspection;
mod keys;
mod layout;
mod lists;
mod migrate;
mod model_lists_hashes;
mod model_sets_zsets;
mod model_small_forms;
mod notifications;
mod protocol;
mod proxy;
mod pubsub;
mod pubsub_sharded;
mod rdb_files;
mod replication;
mod scripting;
mod server;
mod sets;
mod small_encodings;
mod sort;
mod standalone;
mod streams;
mod strings;
mod systemd;
mod tls;
mod tracking;
mod transactions;
mod zsets;
