//! The same HyperLogLog commands sent to the server under test and to a
//! reference `redis-server`: every reply, and the value bytes under each
//! key (`GET`), must be the same.

use super::{reply, Reference};
use crate::common::{Server, Value};

/// The server under test and the reference, fed the same commands.
struct Pair {
    _server: Server,
    _reference: Reference,
    tested: redis::Connection,
    expected: redis::Connection,
}

impl Pair {
    fn start() -> Option<Pair> {
        let reference = Reference::start()?;
        let server = Server::start();
        let tested = server.client();
        let expected = reference.client();
        Some(Pair { _server: server, _reference: reference, tested, expected })
    }

    /// Sends `args` to both and checks that they answer the same.
    #[track_caller]
    fn same(&mut self, args: &[&[u8]]) -> Result<Value, String> {
        let got = reply(&mut self.tested, args);
        let want = reply(&mut self.expected, args);
        assert_eq!(got, want, "{:?}", args.iter().take(4).map(|a| a.escape_ascii().to_string()).collect::<Vec<_>>());
        got
    }

    #[track_caller]
    fn same_str(&mut self, args: &[&str]) -> Result<Value, String> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.same(&args)
    }

    /// PFADD of `elements` to `key`, then the value bytes compared.
    #[track_caller]
    fn add(&mut self, key: &str, elements: &[Vec<u8>]) {
        let mut args: Vec<&[u8]> = vec![b"PFADD", key.as_bytes()];
        args.extend(elements.iter().map(Vec::as_slice));
        self.same(&args).expect("PFADD");
        self.same_str(&["GET", key]).expect("GET");
    }
}

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn element(&mut self) -> Vec<u8> {
        let len = (self.next() % 12) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn numbered(prefix: &str, range: std::ops::Range<u32>) -> Vec<Vec<u8>> {
    range.map(|i| format!("{prefix}{i}").into_bytes()).collect()
}

#[test]
fn sparse_values_grow_and_promote_to_dense_as_in_redis() {
    let Some(mut pair) = Pair::start() else { return };
    pair.add("h", &[]);
    let mut start = 0;
    // Growing batches: each PFADD, then the value, the encoding and the
    // count (which writes the cached cardinality) compared.
    for batch in 1..60u32 {
        pair.add("h", &numbered("element-", start..start + batch));
        start += batch;
        pair.same_str(&["PFDEBUG", "ENCODING", "h"]).expect("encoding");
        pair.same_str(&["PFCOUNT", "h"]).expect("count");
        pair.same_str(&["GET", "h"]).expect("cached count");
        if batch % 10 == 0 {
            pair.same_str(&["PFDEBUG", "DECODE", "h"]).ok();
        }
    }
    assert_eq!(pair.same_str(&["PFDEBUG", "ENCODING", "h"]), Ok(Value::SimpleString("dense".into())));
    // Adding what is already counted changes nothing.
    pair.add("h", &numbered("element-", 0..50));
    pair.same_str(&["PFDEBUG", "GETREG", "h"]).expect("registers");
}

#[test]
fn a_smaller_sparse_limit_promotes_sooner_as_in_redis() {
    let Some(mut pair) = Pair::start() else { return };
    pair.same_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "60"]).expect("config");
    pair.same_str(&["CONFIG", "GET", "hll-sparse-max-bytes"]).expect("config");
    for i in 0..40u32 {
        pair.add("small", &numbered("x", i * 3..i * 3 + 3));
        pair.same_str(&["PFDEBUG", "ENCODING", "small"]).expect("encoding");
    }
    pair.same_str(&["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]).expect("config");
    pair.add("todense", &numbered("y", 0..20));
    pair.same_str(&["PFDEBUG", "TODENSE", "todense"]).expect("todense");
    pair.same_str(&["PFDEBUG", "TODENSE", "todense"]).expect("todense");
    pair.same_str(&["GET", "todense"]).expect("value");
}

#[test]
fn merges_give_the_same_bytes_as_redis() {
    let Some(mut pair) = Pair::start() else { return };
    pair.add("a", &numbered("a", 0..40));
    pair.add("b", &numbered("b", 0..200));
    pair.add("big", &numbered("c", 0..5000));
    // Sparse into a new key, sparse into an existing sparse key, and with
    // a dense source (the target becomes dense).
    for args in [
        &["PFMERGE", "m1", "a", "b"][..],
        &["PFMERGE", "a", "b"],
        &["PFMERGE", "m2", "a", "big"],
        &["PFMERGE", "m3"],
        &["PFMERGE", "m4", "missing", "a"],
        &["PFMERGE", "b", "b"],
    ] {
        pair.same_str(args).expect("PFMERGE");
        pair.same_str(&["GET", args.get(1).copied().unwrap_or("")]).expect("value");
    }
    for key in ["a", "b", "big", "m1", "m2", "m3", "m4"] {
        pair.same_str(&["PFCOUNT", key]).expect("count");
        pair.same_str(&["GET", key]).expect("value");
    }
    pair.same_str(&["PFCOUNT", "a", "b", "big", "missing"]).expect("union");
    pair.same_str(&["PFCOUNT", "m1", "m1"]).expect("union");
}

#[test]
fn counts_of_a_large_random_set_match_redis() {
    let Some(mut pair) = Pair::start() else { return };
    let mut random = Random(0x5eed_1234_abcd_0001);
    for round in 0..100 {
        let elements: Vec<Vec<u8>> = (0..1000).map(|_| random.next().to_le_bytes().to_vec()).collect();
        let mut args: Vec<&[u8]> = vec![b"PFADD", b"large"];
        args.extend(elements.iter().map(Vec::as_slice));
        pair.same(&args).expect("PFADD");
        if round % 10 == 9 {
            let count = pair.same_str(&["PFCOUNT", "large"]).expect("count");
            let Value::Int(count) = count else { panic!("PFCOUNT answered {count:?}") };
            let truth = (round + 1) * 1000;
            assert!((count - truth).abs() < truth / 20, "{count} for {truth} elements");
        }
    }
    pair.same_str(&["GET", "large"]).expect("value");
}

/// Random PFADD sequences (random keys, element counts, binary elements,
/// repeated elements, interleaved counts and merges) give byte-identical
/// values and counts.
#[test]
fn random_sequences_give_identical_values_and_counts() {
    let Some(mut pair) = Pair::start() else { return };
    let mut random = Random(0x0ddb_a11c_afe5_7001);
    let keys = ["r0", "r1", "r2", "r3"];
    for step in 0..400 {
        let key = keys[(random.next() % keys.len() as u64) as usize];
        match random.next() % 10 {
            0 => {
                pair.same_str(&["PFCOUNT", key]).expect("count");
            }
            1 => {
                let other = keys[(random.next() % keys.len() as u64) as usize];
                pair.same_str(&["PFMERGE", key, other]).expect("merge");
            }
            2 => {
                pair.same_str(&["PFCOUNT", key, "r0", "r3"]).expect("union");
            }
            _ => {
                let n = (random.next() % if step % 50 == 0 { 400 } else { 12 }) as usize;
                let mut elements: Vec<Vec<u8>> = (0..n).map(|_| random.element()).collect();
                if n > 1 {
                    elements.push(elements[0].clone());
                }
                pair.add(key, &elements);
            }
        }
        pair.same_str(&["GET", key]).expect("value");
    }
    for key in keys {
        pair.same_str(&["PFCOUNT", key]).expect("count");
        pair.same_str(&["GET", key]).expect("value");
    }
}

/// Values made by one server load in the other: a dense and a sparse
/// value moved with GET/SET count and grow the same.
#[test]
fn values_move_between_servers() {
    let Some(mut pair) = Pair::start() else { return };
    for (key, n) in [("sparse", 30u32), ("dense", 3000)] {
        let mut args: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
        args.extend(numbered("v", 0..n));
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        reply(&mut pair.expected, &args).expect("PFADD on the reference");
        let Ok(Value::BulkString(bytes)) = reply(&mut pair.expected, &[b"GET", key.as_bytes()]) else {
            panic!("GET {key}")
        };
        reply(&mut pair.tested, &[b"SET", key.as_bytes(), &bytes]).expect("SET");
        pair.same_str(&["PFCOUNT", key]).expect("count");
        pair.add(key, &numbered("w", 0..n));
        pair.same_str(&["PFCOUNT", key]).expect("count");
    }
}
