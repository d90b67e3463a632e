//! Arbitrary bytes as an append-only log file, loaded the way start-up
//! loads one, as they are and with their checksums fixed: loading must
//! answer Ok or Err, never panic, never allocate beyond what the bytes
//! justify (run with `-malloc_limit_mb=256`), and leave no empty
//! collection behind; a torn tail must be cut where the rest loads
//! cleanly. See `efis::selfcheck::check_log`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::selfcheck::check_log(data);
});
