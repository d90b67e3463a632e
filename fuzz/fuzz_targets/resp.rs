//! Arbitrary bytes into the incremental request parser, received in reads
//! of sizes taken from the first bytes: the commands, error and remainder
//! must equal those of parsing the same bytes in one piece. See
//! `efis::protocol::selfcheck::check_chunked_equals_whole` for the format.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    efis::protocol::selfcheck::check_chunked_equals_whole(data);
});
