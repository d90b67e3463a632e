//! Arbitrary bytes as a `RESTORE` payload, as they are and with their
//! CRC-64 recomputed: decoding must answer Ok or Err, never panic; what
//! decodes must encode and decode again to the same payload. Seeded with
//! `DUMP` payloads of redis-server 7.0. See
//! `efis::persist::rdb::selfcheck::check_restore_payload`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::persist::rdb::selfcheck::check_restore_payload(data);
});
