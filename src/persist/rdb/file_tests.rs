//! Unit tests of [`FileLoader`]: loading a file in steps of any size
//! gives what reading it in one go gives (the files Redis 7.0 wrote in
//! the fuzz corpus, and files written here with several databases,
//! expiry times and function libraries), and a file whose checksum does
//! not match is refused before a single key enters the keyspace.

use super::crc64::crc64;
use super::file::{read_file, write_file, FileLoader};
use super::selfcheck::contents;
use crate::store::{access, Entry, Keyspace, Value};

const DATABASES: usize = 16;
const NOW_MS: i64 = 1_700_000_000_000;

/// Files Redis 7.0 wrote: every type, then large encodings.
const REDIS_FILES: [&[u8]; 2] = [
    include_bytes!("../../../fuzz/corpus/rdb_load/seed-redis-7.0-all-types"),
    include_bytes!("../../../fuzz/corpus/rdb_load/seed-redis-7.0-large-encodings"),
];

/// A file with `keys` strings spread over three databases, some with an
/// expiry (a few already past), and one function library.
fn written_file(keys: usize) -> Vec<u8> {
    let mut store = Keyspace::new(DATABASES);
    let access = access::initial(store.tracking(), NOW_MS);
    for i in 0..keys {
        let key = format!("key:{i}");
        let value = format!("value:{i}").repeat(1 + i % 5);
        let expire = match i % 7 {
            0 => Some(NOW_MS + 60_000),
            // Live when written, past when loaded below.
            1 => Some(NOW_MS + 10),
            _ => None,
        };
        store
            .db(i % 3)
            .put_entry(Entry::new_key(key.as_bytes(), Value::StrOwned(value.into_bytes()), expire, access), NOW_MS);
    }
    let mut out = Vec::new();
    let library = b"#!lua name=lib\nredis.register_function('f', function() return 1 end)".to_vec();
    write_file(&store, &[library], None, NOW_MS, &mut out);
    out
}

/// Loads `bytes` in steps of `budget` bytes; the loader's result and the
/// keyspace, or the error.
fn load_in_steps(bytes: &[u8], budget: usize, now_ms: i64) -> Result<(super::file::Loaded, Keyspace), String> {
    let mut store = Keyspace::new(DATABASES);
    let mut loader = FileLoader::new(bytes, DATABASES).map_err(|e| e.to_string())?;
    let mut steps = 0;
    while !loader.step(bytes, &mut store, now_ms, budget).map_err(|e| e.to_string())? {
        steps += 1;
        assert!(steps <= 2 * bytes.len(), "every step moves on");
        if loader.checking() {
            assert_eq!(store.total_keys(), 0, "no key before the checksum matched");
        }
    }
    assert_eq!(loader.position(), bytes.len(), "the whole file was read");
    Ok((loader.finish(), store))
}

#[test]
fn steps_of_any_size_load_what_one_go_loads() {
    let mut files: Vec<Vec<u8>> = REDIS_FILES.iter().map(|f| f.to_vec()).collect();
    files.push(written_file(2000));
    files.push(written_file(0));
    for (n, file) in files.iter().enumerate() {
        let now_ms = NOW_MS + 1000;
        let mut whole = Keyspace::new(DATABASES);
        let expected = read_file(file, &mut whole, now_ms, |_| {}).expect("the file loads");
        assert!(n >= 2 || expected.keys > 0, "file {n} holds keys");
        for budget in [1, 7, 100, 4096, 1 << 20] {
            let (loaded, store) = load_in_steps(file, budget, now_ms).expect("the file loads in steps");
            assert!(contents(&store) == contents(&whole), "file {n}, steps of {budget} bytes: other keys");
            assert_eq!(
                (loaded.keys, loaded.expired_skipped, &loaded.functions, loaded.used_mem),
                (expected.keys, expected.expired_skipped, &expected.functions, expected.used_mem),
                "file {n}, steps of {budget} bytes"
            );
        }
    }
    let written = written_file(2000);
    let mut store = Keyspace::new(DATABASES);
    let loaded = read_file(&written, &mut store, NOW_MS + 1000, |_| {}).unwrap();
    assert_eq!(loaded.keys + loaded.expired_skipped, 2000);
    assert_eq!(loaded.expired_skipped, (0..2000).filter(|i| i % 7 == 1).count() as u64);
    assert_eq!(loaded.functions.len(), 1);
    let loaded = read_file(REDIS_FILES[0], &mut Keyspace::new(DATABASES), NOW_MS, |_| {}).unwrap();
    assert!(loaded.used_mem > 0, "used-mem is read from the aux field");
}

#[test]
fn a_damaged_file_is_refused_before_any_key_is_loaded() {
    let good = written_file(500);
    // A letter of a value in the middle ('v' becomes 'w'): the structure
    // still reads.
    let middle = good.len() / 2;
    let value_at = middle + good[middle..].windows(6).position(|w| w == b"value:").expect("a value after the middle");
    let mut damaged = good.clone();
    damaged[value_at] ^= 0x01;
    let mut store = Keyspace::new(DATABASES);
    let error = read_file(&damaged, &mut store, NOW_MS, |_| {}).expect_err("refused");
    assert!(error.reason.contains("wrong checksum"), "{error}");
    assert_eq!(store.total_keys(), 0, "nothing entered the keyspace");
    // In steps: the error comes while checking, with nothing loaded.
    let mut loader = FileLoader::new(&damaged, DATABASES).expect("the header is good");
    let mut store = Keyspace::new(DATABASES);
    let error = loop {
        match loader.step(&damaged, &mut store, NOW_MS, 100) {
            Ok(false) => assert_eq!(store.total_keys(), 0),
            Ok(true) => panic!("a damaged file loaded"),
            Err(e) => break e,
        }
    };
    assert!(error.reason.contains("wrong checksum"), "{error}");
    assert!(loader.checking() && store.total_keys() == 0);

    // Cut: the error says where the data ends, and nothing is loaded.
    let cut = &good[..middle];
    let mut store = Keyspace::new(DATABASES);
    let error = read_file(cut, &mut store, NOW_MS, |_| {}).expect_err("refused");
    assert!(error.reason.contains("unexpected end"), "{error}");
    assert_eq!(store.total_keys(), 0);

    // A file with its checksum recomputed over a damaged structure reads
    // until the damage: only files that pass the checksum get that far.
    let mut fixed = good.clone();
    let body = fixed.len() - 8;
    fixed[body - 1] = 0x00; // EOF becomes a string key, read from the checksum's bytes.
    let crc = crc64(0, &fixed[..body]);
    fixed[body..].copy_from_slice(&crc.to_le_bytes());
    let Err(error) = load_in_steps(&fixed, 4096, NOW_MS) else { panic!("the structure is damaged") };
    assert!(!error.contains("checksum"), "a structure error: {error}");

    // Bytes after the checksum are accepted, as before.
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"\n\n");
    let mut store = Keyspace::new(DATABASES);
    let loaded = read_file(&trailing, &mut store, NOW_MS, |_| {}).expect("trailing bytes are ignored");
    assert_eq!(loaded.keys, 500);
}
