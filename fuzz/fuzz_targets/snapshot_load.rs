//! Arbitrary bytes as a snapshot file, loaded the way start-up loads one,
//! as they are and with their checksums fixed: loading must answer Ok or
//! Err, never panic, never allocate beyond what the bytes justify (run
//! with `-malloc_limit_mb=256`), and leave no empty collection behind;
//! what loads must survive being written and loaded again, twice. See
//! `efis::selfcheck::check_snapshot`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::selfcheck::check_snapshot(data);
});
