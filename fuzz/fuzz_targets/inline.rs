//! Arbitrary bytes as one inline command line: the parser must not panic
//! and must give at most one non-empty argument list. See
//! `efis::protocol::selfcheck::check_inline`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::protocol::selfcheck::check_inline(data);
});
