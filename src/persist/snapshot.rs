//! Writing a snapshot: the whole keyspace as commands that rebuild it
//! (`SET ... PXAT`, `RPUSH`, `SADD`, `ZADD` with scores printed so that
//! they read back to the same bits, `HSET`, streams as `snapshot_stream`
//! writes them, `PEXPIREAT`), in checksummed
//! frames of about 64 KiB, closed by an end frame that counts the keys.
//! The file is written under a temporary name, synced, renamed and its
//! directory synced, so a `*.snap` file is always complete.
//!
//! Loading a snapshot is replaying its frames, exactly like the log
//! ([`super::load`]): one loader, one format. A compaction writes the
//! snapshot from a copy-on-write child ([`super::child`]); `SAVE` and
//! shutdown write it from the loop's own process.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::format::{encode_header, FrameBuilder, KIND_COMMANDS, SNAPSHOT_MAGIC};
use crate::protocol::{format_double, format_i64};
use crate::store::{Entry, Keyspace, ValueRef};

/// Frames are closed once they pass this size.
const FRAME_TARGET: usize = 64 * 1024;
/// Elements per command for big collections.
const CHUNK: usize = 512;

/// File name of the snapshot that log generation `generation` continues.
pub fn snapshot_name(generation: u64) -> String {
    format!("snapshot-{generation:010}.snap")
}

/// What a finished snapshot holds.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub bytes: u64,
    pub keys: u64,
}

/// Writes the keyspace as it is now to `dir/name`, atomically.
pub fn write_file(
    store: &Keyspace,
    preamble: &[Vec<Vec<u8>>],
    dir: &Path,
    name: &str,
    generation: u64,
    now_ms: i64,
) -> io::Result<Written> {
    let final_path = dir.join(name);
    let temp_path: PathBuf = dir.join(format!("{name}.tmp"));
    let result = (|| {
        let file = File::create(&temp_path)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let written = write_to(store, preamble, &mut out, generation, now_ms)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp_path, &final_path)?;
        super::sync_dir(dir)?;
        Ok(written)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp_path);
    }
    result
}

/// Writes a whole snapshot (header, frames, end frame) to `out`: first
/// the `preamble` (commands that rebuild what is not keys, such as
/// `FUNCTION LOAD` of each function library), then every key.
pub fn write_to<W: Write>(
    store: &Keyspace,
    preamble: &[Vec<Vec<u8>>],
    out: &mut W,
    generation: u64,
    now_ms: i64,
) -> io::Result<Written> {
    out.write_all(&encode_header(SNAPSHOT_MAGIC, generation, now_ms))?;
    let mut frames = Frames { out, buf: Vec::with_capacity(FRAME_TARGET * 2), start: 0, now_ms, bytes: 0 };
    frames.start = FrameBuilder::begin(&mut frames.buf, KIND_COMMANDS, now_ms);
    for command in preamble {
        frames.command(0, command.iter().map(Vec::as_slice))?;
    }
    let mut keys = 0u64;
    for db in 0..store.db_count() {
        for entry in store.db_ref(db).iter() {
            if entry.expire().is_some_and(|at| at <= now_ms) {
                continue;
            }
            keys += 1;
            frames.entry(db, entry)?;
        }
    }
    let Frames { out, mut buf, start, bytes, .. } = frames;
    if FrameBuilder::count(&buf, start) > 0 {
        FrameBuilder::end(&mut buf, start);
    } else {
        buf.clear();
    }
    FrameBuilder::end_of_snapshot(&mut buf, now_ms, keys);
    out.write_all(&buf)?;
    out.flush()?;
    Ok(Written { bytes: bytes + (super::format::HEADER_LEN + buf.len()) as u64, keys })
}

/// Commands gathered into frames of about [`FRAME_TARGET`] bytes.
struct Frames<'w, W> {
    out: &'w mut W,
    buf: Vec<u8>,
    start: usize,
    now_ms: i64,
    bytes: u64,
}

impl<W: Write> Frames<'_, W> {
    fn command<'a>(&mut self, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]>) -> io::Result<()> {
        FrameBuilder::command(&mut self.buf, self.start, db, args);
        if self.buf.len() >= FRAME_TARGET {
            FrameBuilder::end(&mut self.buf, self.start);
            self.out.write_all(&self.buf)?;
            self.bytes += self.buf.len() as u64;
            self.buf.clear();
            self.start = FrameBuilder::begin(&mut self.buf, KIND_COMMANDS, self.now_ms);
        }
        Ok(())
    }

    /// The commands that rebuild one key.
    fn entry(&mut self, db: usize, entry: &Entry) -> io::Result<()> {
        let key = entry.key();
        let mut number = [0u8; 20];
        match entry.value() {
            ValueRef::Str(value) => {
                return match entry.expire() {
                    Some(at) => {
                        let at = format_i64(at, &mut number);
                        self.command(db, [&b"SET"[..], key, value, b"PXAT", at].into_iter())
                    }
                    None => self.command(db, [&b"SET"[..], key, value].into_iter()),
                };
            }
            ValueRef::List(list) => {
                let items: Vec<&[u8]> = list.iter().collect();
                for chunk in items.chunks(CHUNK) {
                    let args = [&b"RPUSH"[..], key].into_iter().chain(chunk.iter().copied());
                    self.command(db, Exact(args, chunk.len() + 2))?;
                }
            }
            ValueRef::Set(set) => {
                let members: Vec<_> = set.iter().collect();
                for chunk in members.chunks(CHUNK) {
                    let args = [&b"SADD"[..], key].into_iter().chain(chunk.iter().map(|m| &m[..]));
                    self.command(db, Exact(args, chunk.len() + 2))?;
                }
            }
            ValueRef::ZSet(zset) => {
                let mut texts: Vec<u8> = Vec::new();
                let mut pairs: Vec<(std::ops::Range<usize>, &[u8])> = Vec::new();
                for (member, score) in zset.iter() {
                    let mut text = [0u8; 64];
                    let len = format_double(score, &mut text);
                    let at = texts.len();
                    texts.extend_from_slice(&text[..len]);
                    pairs.push((at..at + len, member));
                }
                for chunk in pairs.chunks(CHUNK) {
                    let args = [&b"ZADD"[..], key]
                        .into_iter()
                        .chain(chunk.iter().flat_map(|(score, member)| [&texts[score.clone()], *member]));
                    self.command(db, Exact(args, chunk.len() * 2 + 2))?;
                }
            }
            ValueRef::Hash(hash) => {
                let pairs: Vec<(&[u8], &[u8])> = hash.iter().collect();
                for chunk in pairs.chunks(CHUNK) {
                    let args = [&b"HSET"[..], key].into_iter().chain(chunk.iter().flat_map(|&(f, v)| [f, v]));
                    self.command(db, Exact(args, chunk.len() * 2 + 2))?;
                }
            }
            ValueRef::Stream(stream) => {
                let mut result = Ok(());
                super::snapshot_stream::commands(key, stream, |args| {
                    if result.is_ok() {
                        result = self.command(db, args.iter().copied());
                    }
                });
                result?;
            }
        }
        if let Some(at) = entry.expire() {
            let at = format_i64(at, &mut number);
            self.command(db, [&b"PEXPIREAT"[..], key, at].into_iter())?;
        }
        Ok(())
    }
}

/// An iterator with a length known in advance.
struct Exact<I>(I, usize);

impl<'a, I: Iterator<Item = &'a [u8]>> Iterator for Exact<I> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let item = self.0.next()?;
        self.1 -= 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<'a, I: Iterator<Item = &'a [u8]>> ExactSizeIterator for Exact<I> {}
