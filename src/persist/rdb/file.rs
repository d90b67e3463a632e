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
//!
//! [`FileLoader`] reads a file a step at a time (a replica loading its
//! primary's file between two rounds of its loop); [`read_file`] runs it
//! to the end. Either way the checksum is verified before the first key
//! enters the keyspace, so a damaged file never changes it.

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
    /// The `used-mem` aux field: the writer's memory use (0: absent).
    pub used_mem: u64,
}

/// Loads the RDB file `bytes` into `store`, calling `progress` with the
/// bytes read so far now and then: [`FileLoader`] run to the end.
pub fn read_file(
    bytes: &[u8],
    store: &mut Keyspace,
    now_ms: i64,
    mut progress: impl FnMut(usize),
) -> Result<Loaded, FileError> {
    let mut loader = FileLoader::new(bytes, store.db_count())?;
    progress(loader.position());
    while !loader.step(bytes, store, now_ms, 1 << 20)? {
        progress(loader.position());
    }
    progress(bytes.len());
    Ok(loader.finish())
}

/// A file being read into a keyspace a step at a time, so that a server
/// can serve between two steps. It holds where it is and what the next
/// key inherits (database, expiry, access data); the caller keeps the
/// bytes and passes the same ones to every step.
///
/// From version 5 the first steps verify the checksum, and no key enters
/// the keyspace before it matched ([`FileLoader::checking`] says when
/// that is over): a damaged file is refused without touching the
/// keyspace. When the file's last 8 bytes are not the checksum of the
/// rest (a damaged or cut file, or bytes after the end), the file is
/// first walked without keeping anything, to say what is wrong where, as
/// reading it would. Only a file without a checksum (version 1 to 4, or
/// written with checksums off) can fail halfway, on a structure error,
/// leaving the keys read until then.
#[derive(Debug)]
pub struct FileLoader {
    stage: Stage,
    /// Where the next item starts.
    position: usize,
    db: usize,
    db_count: usize,
    expire: Option<i64>,
    idle: Option<u64>,
    freq: Option<u8>,
    /// The checksum in the file's last 8 bytes matched everything before
    /// them.
    verified: bool,
    done: bool,
    loaded: Loaded,
}

/// What the steps of a [`FileLoader`] do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Checksum of the bytes before the last 8, so far.
    Check {
        crc: u64,
        upto: usize,
    },
    /// Reading items without keeping them, to the end or the first error.
    Walk,
    Load,
}

/// Where items start: after `REDIS` and the version.
const FIRST_ITEM: usize = 9;

impl FileLoader {
    /// Checks the signature and the version of `bytes`; the steps do the
    /// rest.
    pub fn new(bytes: &[u8], db_count: usize) -> Result<FileLoader, FileError> {
        let fail = |offset: usize, reason: String| FileError { offset, reason };
        if bytes.len() < FIRST_ITEM || &bytes[..5] != b"REDIS" {
            return Err(fail(0, "not an RDB file (no REDIS signature)".into()));
        }
        let version: u16 = std::str::from_utf8(&bytes[5..FIRST_ITEM])
            .ok()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| fail(5, "bad RDB version field".into()))?;
        if !(1..=RDB_VERSION).contains(&version) {
            return Err(fail(5, format!("RDB version {version} is not supported (1 to {RDB_VERSION} are)")));
        }
        let stage = if version < 5 {
            Stage::Load
        } else if bytes.len() > FIRST_ITEM + 8 {
            Stage::Check { crc: 0, upto: 0 }
        } else {
            Stage::Walk
        };
        Ok(FileLoader {
            stage,
            position: FIRST_ITEM,
            db: 0,
            db_count,
            expire: None,
            idle: None,
            freq: None,
            verified: false,
            done: false,
            loaded: Loaded { version, ..Loaded::default() },
        })
    }

    /// Whether the steps are still verifying the file: nothing has
    /// entered the keyspace yet.
    pub fn checking(&self) -> bool {
        self.stage != Stage::Load
    }

    /// Bytes of the file loaded so far (0 while checking).
    pub fn position(&self) -> usize {
        if self.checking() {
            0
        } else {
            self.position
        }
    }

    /// Verifies or reads about `budget` bytes more: items go into
    /// `store` once the file is verified (a step never does both). True
    /// once the whole file is loaded; an error leaves the keys loaded so
    /// far in `store`.
    pub fn step(&mut self, bytes: &[u8], store: &mut Keyspace, now_ms: i64, budget: usize) -> Result<bool, FileError> {
        match self.stage {
            Stage::Check { crc, upto } => {
                let body_end = bytes.len() - 8;
                // The checksum runs faster than decoding.
                let end = body_end.min(upto.saturating_add(budget.saturating_mul(4)));
                let crc = crc64(crc, &bytes[upto..end]);
                self.stage = Stage::Check { crc, upto: end };
                if end == body_end {
                    let stored = u64::from_le_bytes(bytes[body_end..].try_into().expect("8 bytes"));
                    self.verified = stored == crc;
                    self.stage = if self.verified { Stage::Load } else { Stage::Walk };
                }
                Ok(false)
            }
            Stage::Walk => {
                if self.advance(bytes, None, now_ms, budget)? {
                    // The checksum matched where the items end: load from
                    // the start.
                    let version = self.loaded.version;
                    *self = FileLoader {
                        stage: Stage::Load,
                        verified: true,
                        ..FileLoader::new(bytes, self.db_count).expect("checked before")
                    };
                    self.loaded.version = version;
                }
                Ok(false)
            }
            Stage::Load => self.advance(bytes, Some(store), now_ms, budget),
        }
    }

    /// The `used-mem` the file announced so far (0: not said).
    pub fn used_mem(&self) -> u64 {
        self.loaded.used_mem
    }

    /// What the file held; call once [`FileLoader::step`] returned true.
    pub fn finish(self) -> Loaded {
        self.loaded
    }

    /// [`FileLoader::step`]; with no keyspace, values are decoded and
    /// dropped (the walk of [`FileLoader::new`]).
    fn advance(
        &mut self,
        bytes: &[u8],
        mut store: Option<&mut Keyspace>,
        now_ms: i64,
        budget: usize,
    ) -> Result<bool, FileError> {
        let fail = |offset: usize, reason: String| FileError { offset, reason };
        if self.done {
            return Ok(true);
        }
        let base = self.position;
        let mut r = Reader::new(&bytes[base..]);
        let at = |r: &Reader<'_>| r.position() + base;
        let tracking = store.as_ref().map(|s| s.tracking());
        loop {
            if r.position() >= budget {
                self.position = at(&r);
                return Ok(false);
            }
            let start = at(&r);
            let wrap = |e: RdbError| fail(start, e.to_string());
            let op = r.byte().map_err(wrap)?;
            match op {
                OP_EOF => break,
                OP_AUX => {
                    let name = r.string().map_err(wrap)?;
                    let value = r.string().map_err(wrap)?;
                    if name.as_ref() == b"used-mem" {
                        self.loaded.used_mem =
                            std::str::from_utf8(&value).ok().and_then(|v| v.parse().ok()).unwrap_or(0);
                    }
                }
                OP_SELECT_DB => {
                    let index = r.length().map_err(wrap)?;
                    if index >= self.db_count as u64 {
                        return Err(fail(start, format!("database {index}, but DATABASES is {}", self.db_count)));
                    }
                    self.db = index as usize;
                }
                OP_RESIZE_DB => {
                    let keys = r.length().map_err(wrap)?;
                    r.length().map_err(wrap)?;
                    // Room for the keys announced, so the table never grows
                    // while loading; a key takes at least three bytes, which
                    // bounds what a false hint can make it reserve.
                    let possible = (r.remaining() / 3) as u64;
                    if let Some(store) = store.as_deref_mut() {
                        store.reserve_keys(self.db, keys.min(possible) as usize);
                    }
                }
                OP_EXPIRE_MS => self.expire = Some(r.millis().map_err(wrap)?),
                OP_EXPIRE_SECONDS => self.expire = Some(r.seconds().map_err(wrap)? as i64 * 1000),
                OP_IDLE => self.idle = Some(r.length().map_err(wrap)?),
                OP_FREQ => self.freq = Some(r.byte().map_err(wrap)?),
                OP_FUNCTION_2 => {
                    let code = r.string().map_err(wrap)?;
                    if store.is_some() {
                        self.loaded.functions.push(code.into_owned());
                    }
                }
                OP_FUNCTION_PRE_GA => return Err(fail(start, "functions of a Redis 7.0 release candidate".into())),
                OP_MODULE_AUX => return Err(fail(start, "module data (module types are not supported)".into())),
                kind => {
                    let key = r.string().map_err(wrap)?;
                    if kind == TYPE_MODULE_2 || kind == TYPE_MODULE_PRE_GA {
                        let name = String::from_utf8_lossy(&key);
                        return Err(fail(start, format!("key '{name}' holds a module type, which is not supported")));
                    }
                    let value = read_value(kind, &mut r).map_err(|e| {
                        fail(start, format!("key '{}' (type {kind}): {e}", String::from_utf8_lossy(&key)))
                    })?;
                    let (at_ms, idle_s, counter) = (self.expire.take(), self.idle.take(), self.freq.take());
                    let (Some(store), Some(tracking)) = (store.as_deref_mut(), tracking) else { continue };
                    if at_ms.is_some_and(|t| t <= now_ms) {
                        self.loaded.expired_skipped += 1;
                        continue;
                    }
                    let bits = match (tracking.lfu, counter, idle_s) {
                        (true, Some(counter), _) => access::with_counter(now_ms, counter),
                        (false, _, Some(idle)) => access::idle_for(now_ms, idle),
                        _ => access::initial(tracking, now_ms),
                    };
                    let target = store.db(self.db);
                    if target.contains(&key, now_ms) {
                        return Err(fail(start, format!("key '{}' appears twice", String::from_utf8_lossy(&key))));
                    }
                    target.put_entry(Entry::new_key(&key, value, at_ms, bits), now_ms);
                    self.loaded.keys += 1;
                }
            }
        }
        let body_end = at(&r);
        self.position = body_end;
        if self.loaded.version >= 5 {
            let crc = r.bytes(8).map_err(|_| fail(body_end, "the checksum is missing".into()))?;
            let crc = u64::from_le_bytes(crc.try_into().expect("8 bytes"));
            // Checked already when the file ends with it.
            let checked = self.verified && body_end + 8 == bytes.len();
            if crc != 0 && !checked && crc != crc64(0, &bytes[..body_end]) {
                return Err(fail(body_end, "wrong checksum".into()));
            }
            self.position = body_end + 8;
        }
        self.done = true;
        Ok(true)
    }
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
