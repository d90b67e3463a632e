//! Self-checks of the RDB reader on arbitrary input, for the fuzz targets
//! `rdb_load` and `restore_payload` and the corpus replay test: reading
//! must answer Ok or Err and never panic, and whatever reads must write
//! and read again to the same values. Each is run on the input as it is
//! and with its CRC-64 recomputed, so mutations get past the checksum.
//! The server never calls these.

use super::crc64::crc64;
use super::dump;
use super::file::{read_file, write_file};
use crate::store::{Entry, Keyspace, ValueRef};

/// Databases a fuzzed file may select.
const DATABASES: usize = 16;
/// A fixed clock, so expiry is deterministic.
const NOW_MS: i64 = 1_700_000_000_000;

/// `data` with its last 8 bytes replaced by the CRC-64 of the rest.
pub fn with_crc_fixed(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() >= 8 {
        let body = out.len() - 8;
        let crc = crc64(0, &out[..body]);
        out[body..].copy_from_slice(&crc.to_le_bytes());
    }
    out
}

/// A value in a form that does not depend on hash order: its elements,
/// sorted where the type has no order of its own.
fn canonical(value: &ValueRef<'_>) -> Vec<Vec<u8>> {
    let sorted = |mut items: Vec<Vec<u8>>, tag: &[u8]| {
        items.sort();
        items.insert(0, tag.to_vec());
        items
    };
    match value {
        ValueRef::Str(bytes) => vec![b"string".to_vec(), bytes.to_vec()],
        ValueRef::List(list) => {
            let mut items = vec![b"list".to_vec()];
            items.extend(list.iter().map(|e| e.to_vec()));
            items
        }
        ValueRef::Set(set) => sorted(set.iter().map(|m| m.to_vec()).collect(), b"set"),
        ValueRef::ZSet(zset) => {
            sorted(zset.iter().map(|(m, s)| [m, &s.to_bits().to_le_bytes()[..]].concat()).collect(), b"zset")
        }
        ValueRef::Hash(hash) => {
            sorted(hash.iter().map(|(f, v)| [&(f.len() as u64).to_le_bytes()[..], f, v].concat()).collect(), b"hash")
        }
        // Entries, groups and consumers are all kept in order.
        ValueRef::Stream(_) => vec![b"stream".to_vec(), dump::encode(value)],
    }
}

/// A key as the checks compare it: database, name, expiry, value.
pub(super) type KeyContents = (usize, Vec<u8>, Option<i64>, Vec<Vec<u8>>);

/// Every key of `store` with its expiry and its value, in key order.
pub(super) fn contents(store: &Keyspace) -> Vec<KeyContents> {
    let mut out = Vec::new();
    for db in 0..store.db_count() {
        for entry in store.db_ref(db).iter() {
            out.push((db, entry.key().to_vec(), entry.expire(), canonical(&entry.value())));
        }
    }
    out.sort();
    out
}

/// An RDB file: loads or is refused; what loads writes and loads again
/// to the same keys, values and expiry times.
pub fn check_rdb_file(data: &[u8]) {
    for input in [data.to_vec(), with_crc_fixed(data)] {
        let mut store = Keyspace::new(DATABASES);
        if read_file(&input, &mut store, NOW_MS, |_| {}).is_err() {
            continue;
        }
        let mut written = Vec::new();
        write_file(&store, &[], None, NOW_MS, &mut written);
        let mut again = Keyspace::new(DATABASES);
        read_file(&written, &mut again, NOW_MS, |_| {}).expect("a written file reads back");
        assert!(contents(&store) == contents(&again), "a file changed on its round trip");
    }
}

/// A `RESTORE` payload: decodes or is refused; what decodes encodes and
/// decodes again to the same value.
pub fn check_restore_payload(data: &[u8]) {
    for input in [data.to_vec(), with_crc_fixed(data)] {
        let Ok(value) = dump::decode(&input) else { continue };
        let entry = Entry::new(b"k", value, None);
        let payload = dump::encode(&entry.value());
        let again = dump::decode(&payload).expect("an encoded payload decodes");
        let again = Entry::new(b"k", again, None);
        assert!(canonical(&again.value()) == canonical(&entry.value()), "a payload changed on its round trip");
    }
}
