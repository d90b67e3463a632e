//! Whole RDB files: `REDIS` and a 4-digit version (1 to 10 read, 10
//! written), then opcodes and keys, `EOF` and (from version 5) a CRC-64
//! of everything before it (0 when the writer had checksums off).
//!
//! ```text
//! file   = "REDIS" version[4] item* 0xFF crc64:u64le
//! item   = 0xFA aux-name aux-value        (ignored: redis-ver, ctime...)
//!        | 0xFE db:len                    (SELECT DB)
//!        | 0xFB db-size:len expires:len   (resize hint, used to reserve)
//!        | 0xFD seconds:u32le | 0xFC ms:u64le   (expiry of the next key)
//!        | 0xF8 idle:len | 0xF9 freq:u8  (access data of the next key)
//!        | 0xF5 library-code              (a function library)
//!        | 0xF6 | 0xF7                   (pre-GA functions, module aux: refused)
//!        | type key value
//! ```
//!
//! A replica's full resynchronization file also carries the
//! `repl-stream-db` aux field, as Redis's does, when its primary is
//! itself a replica ([`write_file`]'s `stream_db`): the database its
//! primary's stream is in, which the stream it passes on does not say
//! again until its next `SELECT` ([`stream_db_of`] reads it back).
//!
//! Reading builds each value completely before it enters the keyspace,
//! skips keys already expired (as Redis does when it loads as a master),
//! and refuses a module type with an error that names the key.

use std::fmt;

use super::crc64::crc64;
use super::read::{read_value, Reader};
use super::write::{value_type, write_length, write_string, write_value};
use super::*;
use crate::store::{access, Entry, Keyspace};

const OP_FUNCTION_2: u8 = 0xf5;
const OP_FUNCTION_PRE_GA: u8 = 0xf6;
const OP_MODULE_AUX: u8 = 0xf7;
const OP_IDLE: u8 = 0xf8;
const OP_FREQ: u8 = 0xf9;
const OP_AUX: u8 = 0xfa;
const OP_RESIZE_DB: u8 = 0xfb;
const OP_EXPIRE_MS: u8 = 0xfc;
const OP_EXPIRE_SECONDS: u8 = 0xfd;
const OP_SELECT_DB: u8 = 0xfe;
const OP_EOF: u8 = 0xff;

/// Why a file was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for FileError {}

/// What a file held.
#[derive(Debug, Default)]
pub struct Loaded {
    pub version: u16,
    pub keys: u64,
    pub expired_skipped: u64,
    /// The code of each function library, to `FUNCTION LOAD`.
    pub functions: Vec<Vec<u8>>,
}

/// Loads the RDB file `bytes` into `store`, calling `progress` with the
/// bytes read so far now and then.
pub fn read_file(
    bytes: &[u8],
    store: &mut Keyspace,
    now_ms: i64,
    mut progress: impl FnMut(usize),
) -> Result<Loaded, FileError> {
    let fail = |offset: usize, reason: String| FileError { offset, reason };
    if bytes.len() < 9 || &bytes[..5] != b"REDIS" {
        return Err(fail(0, "not an RDB file (no REDIS signature)".into()));
    }
    let version: u16 = std::str::from_utf8(&bytes[5..9])
        .ok()
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| fail(5, "bad RDB version field".into()))?;
    if !(1..=RDB_VERSION).contains(&version) {
        return Err(fail(5, format!("RDB version {version} is not supported (1 to {RDB_VERSION} are)")));
    }
    let mut loaded = Loaded { version, ..Loaded::default() };
    let mut r = Reader::new(&bytes[9..]);
    let at = |r: &Reader<'_>| r.position() + 9;
    let (mut db, mut expire, mut idle, mut freq) = (0usize, None::<i64>, None::<u64>, None::<u8>);
    let tracking = store.tracking();
    let mut next_report = 0usize;
    loop {
        if at(&r) >= next_report {
            progress(at(&r));
            next_report = at(&r) + (1 << 20);
        }
        let start = at(&r);
        let wrap = |e: RdbError| fail(start, e.to_string());
        let op = r.byte().map_err(wrap)?;
        match op {
            OP_EOF => break,
            OP_AUX => {
                r.string().map_err(wrap)?;
                r.string().map_err(wrap)?;
            }
            OP_SELECT_DB => {
                let index = r.length().map_err(wrap)?;
                if index >= store.db_count() as u64 {
                    return Err(fail(start, format!("database {index}, but DATABASES is {}", store.db_count())));
                }
                db = index as usize;
            }
            OP_RESIZE_DB => {
                let keys = r.length().map_err(wrap)?;
                r.length().map_err(wrap)?;
                // Room for the keys announced, so the table never grows
                // while loading; a key takes at least three bytes, which
                // bounds what a false hint can make it reserve.
                let possible = (r.remaining() / 3) as u64;
                store.reserve_keys(db, keys.min(possible) as usize);
            }
            OP_EXPIRE_MS => expire = Some(r.millis().map_err(wrap)?),
            OP_EXPIRE_SECONDS => expire = Some(r.seconds().map_err(wrap)? as i64 * 1000),
            OP_IDLE => idle = Some(r.length().map_err(wrap)?),
            OP_FREQ => freq = Some(r.byte().map_err(wrap)?),
            OP_FUNCTION_2 => loaded.functions.push(r.string().map_err(wrap)?.into_owned()),
            OP_FUNCTION_PRE_GA => return Err(fail(start, "functions of a Redis 7.0 release candidate".into())),
            OP_MODULE_AUX => return Err(fail(start, "module data (module types are not supported)".into())),
            kind => {
                let key = r.string().map_err(wrap)?.into_owned();
                if kind == TYPE_MODULE_2 || kind == TYPE_MODULE_PRE_GA {
                    let name = String::from_utf8_lossy(&key);
                    return Err(fail(start, format!("key '{name}' holds a module type, which is not supported")));
                }
                let value = read_value(kind, &mut r)
                    .map_err(|e| fail(start, format!("key '{}' (type {kind}): {e}", String::from_utf8_lossy(&key))))?;
                let (at_ms, idle_s, counter) = (expire.take(), idle.take(), freq.take());
                if at_ms.is_some_and(|t| t <= now_ms) {
                    loaded.expired_skipped += 1;
                    continue;
                }
                let bits = match (tracking.lfu, counter, idle_s) {
                    (true, Some(counter), _) => access::with_counter(now_ms, counter),
                    (false, _, Some(idle)) => access::idle_for(now_ms, idle),
                    _ => access::initial(tracking, now_ms),
                };
                let target = store.db(db);
                if target.contains(&key, now_ms) {
                    return Err(fail(start, format!("key '{}' appears twice", String::from_utf8_lossy(&key))));
                }
                target.put_entry(Entry::new_key(&key, value, at_ms, bits), now_ms);
                loaded.keys += 1;
            }
        }
    }
    let body_end = at(&r);
    if version >= 5 {
        let crc = r.bytes(8).map_err(|_| fail(body_end, "the checksum is missing".into()))?;
        let crc = u64::from_le_bytes(crc.try_into().expect("8 bytes"));
        if crc != 0 && crc != crc64(0, &bytes[..body_end]) {
            return Err(fail(body_end, "wrong checksum".into()));
        }
    }
    progress(bytes.len());
    Ok(loaded)
}

/// The RDB aux field that names the replication stream's database.
pub const STREAM_DB_AUX: &str = "repl-stream-db";

/// Writes `store` as an RDB version 10 file (what `redis-server` 7.0
/// loads): aux fields (with `repl-stream-db` when `stream_db` is given),
/// each non-empty database with its resize hint, each live key with its
/// expiry, the function libraries, EOF and the CRC.
pub fn write_file(
    store: &Keyspace,
    functions: &[Vec<u8>],
    stream_db: Option<usize>,
    now_ms: i64,
    out: &mut Vec<u8>,
) -> u64 {
    out.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    let aux = [
        ("redis-ver", "7.0.15".to_string()),
        ("redis-bits", "64".into()),
        ("ctime", (now_ms / 1000).to_string()),
        ("used-mem", crate::memory::used_bytes().to_string()),
        ("aof-base", "0".into()),
    ];
    let stream_db = stream_db.map(|db| (STREAM_DB_AUX, db.to_string()));
    for (name, value) in aux.into_iter().chain(stream_db) {
        out.push(OP_AUX);
        write_string(out, name.as_bytes());
        write_string(out, value.as_bytes());
    }
    for code in functions {
        out.push(OP_FUNCTION_2);
        write_string(out, code);
    }
    let mut keys = 0;
    for db in 0..store.db_count() {
        let live: Vec<&Entry> = store.db_ref(db).iter().filter(|e| e.expire().is_none_or(|at| at > now_ms)).collect();
        if live.is_empty() {
            continue;
        }
        out.push(OP_SELECT_DB);
        write_length(out, db as u64);
        out.push(OP_RESIZE_DB);
        write_length(out, live.len() as u64);
        write_length(out, live.iter().filter(|e| e.expire().is_some()).count() as u64);
        for entry in live {
            if let Some(at) = entry.expire() {
                out.push(OP_EXPIRE_MS);
                out.extend_from_slice(&at.to_le_bytes());
            }
            let value = entry.value();
            out.push(value_type(&value));
            write_string(out, entry.key());
            write_value(out, &value);
            keys += 1;
        }
    }
    out.push(OP_EOF);
    let crc = crc64(0, out);
    out.extend_from_slice(&crc.to_le_bytes());
    keys
}

/// The database a primary's file names for its stream (the
/// `repl-stream-db` aux field), if any: the aux fields are read from the
/// file's start.
pub fn stream_db_of(file: &[u8]) -> Option<usize> {
    let mut reader = Reader::new(file.get(9..)?);
    let mut found = None;
    while file.get(9 + reader.position()) == Some(&OP_AUX) {
        reader.byte().ok()?;
        let key = reader.string().ok()?;
        let value = reader.string().ok()?;
        if key.as_ref() == STREAM_DB_AUX.as_bytes() {
            found = std::str::from_utf8(&value).ok().and_then(|v| v.parse().ok());
        }
    }
    found
}
