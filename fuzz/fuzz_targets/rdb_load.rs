//! Arbitrary bytes as a Redis RDB file (`dump.rdb`, `efis import-rdb`),
//! as they are and with their CRC-64 recomputed: reading must answer Ok
//! or Err, never panic; what loads must write and load again to the same
//! keys, values and expiry times. Seeded with files written by
//! redis-server 7.0. See `efis::persist::rdb::selfcheck::check_rdb_file`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::persist::rdb::selfcheck::check_rdb_file(data);
});
