//! Scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT, FUNCTION, FCALL
//! and FCALL_RO, with Redis 7.0's Lua 5.1 world.
//!
//! Every expectation is the exact reply of Redis 7.0.15 on the wire; run
//! with `EFIS_TEST_SERVER=redis` to check them against `redis-server`.
//! One file per theme:
//! * `eval`: the commands, the script cache, numkeys and arity errors,
//!   compile and run-time errors with their `script: <sha>, on
//!   @user_script:<line>.` suffix, `redis.pcall`, and the `redis.*`
//!   helpers;
//! * `conversions`: Lua values to replies and replies to Lua values, in
//!   RESP2 and RESP3, on both sides of `redis.setresp`;
//! * `sandbox`: the globals a script sees and may not change, and the
//!   `cjson`, `cmsgpack`, `bit` and `struct` libraries;
//! * `semantics`: what a script's commands do to the rest of the server
//!   (notifications, `WATCH`, `MULTI`, `SELECT`, refused commands,
//!   read-only scripts, shebang flags);
//! * `functions`: `FUNCTION LOAD` and `DELETE`, `FCALL`, `FCALL_RO`;
//! * `function_admin`: `FUNCTION LIST`, `STATS`, `FLUSH`, `DUMP`,
//!   `RESTORE`, and libraries surviving a restart;
//! * `busy`: a script that runs too long, `-BUSY`, `SCRIPT KILL`,
//!   `FUNCTION KILL`, `-UNKILLABLE` and `SHUTDOWN NOSAVE`;
//! * `redis_py`: redis-py 8's `Lock` and `register_script`
//!   (`tests/py/scripting_check.py`);
//! * `durability` (Efis only): scripts and functions are all-or-nothing
//!   across a `kill -9`.
//!
//! The raw-wire helpers are `crate::common::wire`; the ones here build
//! script commands and the error texts scripts produce.

mod busy;
mod conversions;
mod durability;
mod eval;
mod function_admin;
mod functions;
mod redis_py;
mod sandbox;
mod semantics;

/// `EVAL body numkeys keys... args...` as command arguments.
pub fn eval(body: &str, keys: &[&str], args: &[&str]) -> Vec<String> {
    call("EVAL", body, keys, args)
}

/// `VERB first numkeys keys... args...`: the shape of EVAL, EVALSHA,
/// EVAL_RO, EVALSHA_RO, FCALL and FCALL_RO.
pub fn call(verb: &str, first: &str, keys: &[&str], args: &[&str]) -> Vec<String> {
    let mut all = vec![verb.to_string(), first.to_string(), keys.len().to_string()];
    all.extend(keys.iter().map(|k| k.to_string()));
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

/// The error line Redis sends when an error escapes a script run with
/// EVAL or EVALSHA: the message, then `script: <sha1 of the body>, on
/// @user_script:<line>.`.
pub fn script_error(body: &str, message: &str, line: u32) -> String {
    format!("-{message} script: {}, on @user_script:{line}.\r\n", sha1_hex(body.as_bytes()))
}

/// The same for a function called with FCALL: the function's registered
/// name instead of a digest, and `@user_function:<line>`.
pub fn function_error(function: &str, message: &str, line: u32) -> String {
    format!("-{message} script: {function}, on @user_function:{line}.\r\n")
}

/// The error a command refused inside a script fails with (without the
/// leading `-`).
pub const NOT_ALLOWED: &str = "ERR This Redis command is not allowed from script";

/// The hexadecimal SHA-1 digest of `data` (lower case), the name a script
/// is cached under.
pub fn sha1_hex(data: &[u8]) -> String {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&(data.len() as u64).wrapping_mul(8).to_be_bytes());
    for block in message.chunks(64) {
        let mut w = [0u32; 80];
        for (word, bytes) in w.iter_mut().zip(block.chunks(4)) {
            *word = u32::from_be_bytes(bytes.try_into().expect("four bytes"));
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, word) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(add);
        }
    }
    h.iter().map(|word| format!("{word:08x}")).collect()
}

#[test]
fn sha1_of_known_inputs() {
    assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
    );
    assert_eq!(sha1_hex(&[b'a'; 1000]), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
}
