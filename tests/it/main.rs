//! Efis integration tests: one test binary, one module per area.
//!
//! Every test starts the real `efis` binary on a free port (see `common`)
//! and talks to it over a real socket, with the `redis` client crate or
//! with raw bytes.

mod common;

mod blocking;
mod clients;
mod connection;
mod durability;
mod expire;
mod fuzz_corpus;
mod hashes;
mod keys;
mod layout;
mod lists;
mod model_lists_hashes;
mod model_sets_zsets;
mod notifications;
mod protocol;
mod proxy;
mod pubsub;
mod server;
mod sets;
mod strings;
mod systemd;
mod transactions;
mod zsets;
