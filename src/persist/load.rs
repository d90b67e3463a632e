//! Start-up recovery and `efis check`: finding the newest snapshot and the
//! logs after it, verifying every frame, replaying the commands, and
//! deciding what a bad frame means.
//!
//! Efis loads the newest snapshot (by generation), then replays every log
//! of that generation or later, in order, and starts a new log
//! generation. `snapshot-G.snap` holds the state before log `G`, so the
//! logs it replays must be `G`, `G+1`, ... without a hole (with no
//! snapshot, from log 1 on); a data directory holding only a snapshot,
//! such as a restored backup, goes on with log `G`. Replay runs only write
//! commands: a record holding anything else (`SHUTDOWN`, `CONFIG SET`...)
//! means the file is not what Efis wrote, and start-up refuses it.
//!
//! # A Redis `dump.rdb` as the first base
//!
//! A directory with no snapshot may hold a Redis `dump.rdb`: with no log
//! either, start-up loads the file straight into the keyspace (resize
//! hints make each database's table the right size before its first key)
//! and opens log generation **0**, the one generation that builds on
//! `dump.rdb` rather than on a snapshot; the loop then starts a
//! compaction at once, whose child writes `snapshot-0000000001.snap` in
//! the background, and log 0 is deleted when it is done. Until then, a
//! restart loads `dump.rdb` again and replays log 0 after it, so nothing
//! written meanwhile is lost, and a log 0 whose `dump.rdb` has gone stops
//! start-up. `dump.rdb` itself is never changed or deleted, and once a
//! snapshot exists it is ignored. Function libraries in the file are
//! loaded through the command path (`FUNCTION LOAD`), so they reach the
//! snapshots like any others.
//!
//! # What a damaged file means
//!
//! * A **torn final record** of the newest log (the file ends inside a
//!   frame, its last frame's checksum fails and nothing follows, or only
//!   zeros follow: what a crash in the middle of a write leaves) is cut
//!   off with a warning naming the file and the byte offset; the cut
//!   bytes are kept next to the log as `appendonly-G.aof.cut-OFFSET`.
//! * **Anything else that is damaged** (a bad checksum with data after
//!   it, a broken header, a snapshot without its end record, a format
//!   version from a newer efis) stops start-up with exit code 1 and a
//!   message naming the file and the offset and saying how to repair it,
//!   and every file is left exactly as it was:
//!
//!   ```text
//!   efis: cannot start: data/appendonly-0000000003.aof: bad checksum at byte 1234. The files were left as they are; `efis check data/appendonly-0000000003.aof` describes the damage and `efis check --repair data/appendonly-0000000003.aof` cuts the file at its last good record, keeping a copy of what it cuts
//!   ```
//! * **A missing log** (a hole in the chain: deleted by hand, or lost by
//!   the file system) stops start-up the same way, as its writes and every
//!   later one built on them would otherwise be lost without a word;
//!   `efis check DIR` reports it too. Putting the file back is the fix;
//!   moving the logs after the hole away starts from what comes before
//!   it, by the operator's decision.
//! * A log that a crash left **without even its header** (for example a
//!   new log whose header never reached the disk) holds no record:
//!   start-up gives it its header, wherever it stands in the chain, keeping
//!   its bytes in `appendonly-G.aof.cut-0`, so no hole is made.
//!   Directories written by earlier versions could hold a hole where a
//!   header-less log had been removed, or after a snapshot put in place
//!   alone; such a directory is refused like any other, with no data
//!   missing: moving the logs after the hole away, after checking them,
//!   starts it.
//!
//! # Loading fast
//!
//! Loading sizes the keyspace once: a snapshot's end record counts its
//! keys, so start-up reads it first (the file's last 29 bytes, checksummed
//! like every record; see [`Replayer::expect_keys`]) and makes database 0's
//! table that large before the first key arrives, instead of growing it a
//! step at a time. A damaged count cannot make start-up reserve more than
//! the file's size justifies. When the keys were in other databases, the
//! room database 0 did not fill is given back once loading ends. Tables
//! that do grow during loading resize in one step rather than
//! incrementally, as no client waits for a reply yet. What start-up
//! replays, snapshot and logs, is not counted in `INFO stats`,
//! `INFO commandstats` or the slow log, as in Redis: they are about
//! clients' commands.
//!
//! # `efis check`
//!
//! `efis check [--repair] PATH...` verifies log and snapshot files (a
//! directory: every file in it, and its chain of logs). It exits 0 when
//! all are good, 1 otherwise; with `--repair` it cuts a damaged file at
//! its last good frame, keeping a copy of what it cut (`FILE.cut-OFFSET`),
//! gives a repaired snapshot a new end frame and a log that ends inside
//! its header a new header. Repairing drops whatever came after the
//! damage: it is the operator's decision, never Efis's.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use log::{info, warn};

use super::format::{
    decode_header, decode_payload, encode_header, FrameBuilder, FrameError, FrameReader, Header, Payload, AOF_MAGIC,
    END_FRAME_LEN, HEADER_LEN, SNAPSHOT_MAGIC,
};
use crate::protocol::{Args, OwnedArgs};
use crate::store::Keyspace;

/// Why start-up (or a check) refused a file.
#[derive(Debug)]
pub struct LoadError {
    pub file: PathBuf,
    pub offset: u64,
    pub reason: String,
    /// Whether the file itself is what is wrong, so that `efis check
    /// --repair` is the way out (not so for a missing file).
    pub repairable: bool,
}

impl LoadError {
    /// `file` itself is damaged at `offset` (or cannot be read).
    fn damaged(file: &Path, offset: u64, reason: String) -> LoadError {
        LoadError { file: file.to_path_buf(), offset, reason, repairable: true }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.repairable {
            write!(f, "{}: {} at byte {}", self.file.display(), self.reason, self.offset)
        } else {
            write!(f, "{}: {}", self.file.display(), self.reason)
        }
    }
}

/// Which of the two file kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Log,
    Snapshot,
}

impl FileKind {
    /// By file name: `*.snap` or `*.aof`.
    pub fn of(path: &Path) -> Option<FileKind> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("snap") => Some(FileKind::Snapshot),
            Some("aof") => Some(FileKind::Log),
            _ => None,
        }
    }

    fn magic(self) -> &'static [u8; 8] {
        match self {
            FileKind::Log => AOF_MAGIC,
            FileKind::Snapshot => SNAPSHOT_MAGIC,
        }
    }
}

/// What reading one file found.
#[derive(Debug, Default)]
pub struct FileReport {
    pub header: Option<Header>,
    pub frames: u64,
    pub commands: u64,
    /// Keys, from a snapshot's end record.
    pub keys: u64,
    /// Offset after the last good frame.
    pub good_len: u64,
    pub len: u64,
    /// A torn tail at this offset (the file is otherwise good).
    pub torn: Option<(u64, &'static str)>,
}

/// The callback that replays one command: `(time_ms, db, args)`.
pub type Apply<'f> = dyn FnMut(i64, usize, Args<'_>) -> Result<(), String> + 'f;

/// What start-up loading ([`recover`]) hands what it reads to.
pub trait Replayer {
    /// Called before the newest snapshot is read, with the number of keys
    /// its end record declares: room for them can be made at once.
    fn expect_keys(&mut self, keys: u64);
    /// Replays one command: `(time_ms, db, args)`.
    fn apply(&mut self, time_ms: i64, db: usize, args: Args<'_>) -> Result<(), String>;
    /// The keyspace itself, for loading a `dump.rdb` base into it.
    fn keyspace(&mut self) -> &mut Keyspace;
}

/// The fewest bytes one key takes in a snapshot (`SET` with an empty key
/// and value is 23).
const MIN_SNAPSHOT_BYTES_PER_KEY: u64 = 16;

/// The number of keys a snapshot's end record declares, read from the
/// file's last bytes ahead of the rest: a size hint, `None` where that
/// record is missing or damaged (reading the whole file then says why).
/// A count beyond what the file's size allows is cut to it, so a damaged
/// file cannot make start-up reserve more than its input justifies.
fn declared_keys(path: &Path) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let offset = len.checked_sub(END_FRAME_LEN as u64).filter(|&offset| offset >= HEADER_LEN as u64)?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut frames = FrameReader::new(file, offset, len);
    match decode_payload(frames.next_frame().ok()??) {
        Ok(Payload::End { keys, .. }) => Some(keys.min(len / MIN_SNAPSHOT_BYTES_PER_KEY)),
        _ => None,
    }
}

/// Reads a whole file, checking every frame and handing each command to
/// `apply`. A torn tail is reported, not an error; the caller decides.
pub fn read_file(path: &Path, kind: FileKind, apply: &mut Apply<'_>) -> Result<FileReport, LoadError> {
    let fail = |offset: u64, reason: String| LoadError::damaged(path, offset, reason);
    let file = File::open(path).map_err(|e| fail(0, format!("cannot open: {e}")))?;
    let len = file.metadata().map_err(|e| fail(0, format!("cannot stat: {e}")))?.len();
    read_from(BufReader::with_capacity(1 << 20, file), len, kind, apply)
        .map_err(|(offset, reason)| fail(offset, reason))
}

/// [`read_file`] over any reader of a file `len` bytes long (fuzzing uses
/// a byte slice). Errors are `(offset, reason)`.
pub fn read_from(
    mut input: impl Read,
    len: u64,
    kind: FileKind,
    apply: &mut Apply<'_>,
) -> Result<FileReport, (u64, String)> {
    let mut report = FileReport { len, ..FileReport::default() };
    if len < HEADER_LEN as u64 {
        if kind == FileKind::Log {
            report.torn = Some((0, "the file ends inside its header"));
            return Ok(report);
        }
        return Err((0, "the file is shorter than its header".into()));
    }
    let mut header = [0u8; HEADER_LEN];
    input.read_exact(&mut header).map_err(|e| (0, format!("read error: {e}")))?;
    let header = decode_header(kind.magic(), &header).map_err(|e| (0, e.to_string()))?;
    report.header = Some(header);
    report.good_len = HEADER_LEN as u64;
    let mut reader = FrameReader::new(input, HEADER_LEN as u64, len);
    let mut ended = false;
    loop {
        let offset = reader.offset();
        let payload = match reader.next_frame() {
            Ok(Some(payload)) => payload,
            Ok(None) => break,
            Err(FrameError::Torn { offset, reason }) if kind == FileKind::Log => {
                report.torn = Some((offset, reason));
                break;
            }
            Err(FrameError::Torn { offset, reason }) => {
                return Err((offset, format!("damaged snapshot: {reason}")));
            }
            Err(FrameError::Corrupt { offset, reason }) => return Err((offset, reason.to_string())),
            Err(FrameError::Io(e)) => return Err((offset, format!("read error: {e}"))),
        };
        if ended {
            return Err((offset, "data after the end record".into()));
        }
        match decode_payload(payload).map_err(|why| (offset, why.to_string()))? {
            Payload::Commands { time_ms, commands } => {
                for (db, spans) in &commands {
                    apply(time_ms, *db, Args::new(payload, spans)).map_err(|why| (offset, why))?;
                }
                report.commands += commands.len() as u64;
            }
            Payload::End { keys, .. } if kind == FileKind::Snapshot => {
                report.keys = keys;
                ended = true;
            }
            Payload::End { .. } => return Err((offset, "an end record inside a log".into())),
        }
        report.frames += 1;
        report.good_len = reader.offset();
    }
    if kind == FileKind::Snapshot && !ended {
        return Err((report.good_len, "the snapshot ends without its end record".into()));
    }
    Ok(report)
}

/// What start-up loaded.
#[derive(Debug, Default)]
pub struct Recovered {
    pub snapshot: Option<PathBuf>,
    pub snapshot_keys: u64,
    /// The loaded snapshot's generation (0: none).
    pub snapshot_generation: u64,
    pub logs: usize,
    pub commands: u64,
    /// The generation the next log file gets.
    pub next_generation: u64,
    /// The `dump.rdb` loaded as the base (see the module docs) and its
    /// keys: the loop compacts at once to have a snapshot of its own.
    pub rdb_base: Option<(PathBuf, u64)>,
}

/// The files in a data directory.
#[derive(Debug, Default)]
pub struct DirListing {
    /// `(header, path)`, headers read; damaged headers are errors.
    pub snapshots: Vec<(Header, PathBuf)>,
    /// Logs, by ascending generation.
    pub logs: Vec<LogFile>,
}

/// `(generation, path)` of an `appendonly-N.aof`.
pub type LogFile = (u64, PathBuf);

/// Lists the snapshots (reading their headers) and logs in `dir`.
pub fn list_dir(dir: &Path) -> Result<DirListing, LoadError> {
    let mut listing = DirListing::default();
    let entries = std::fs::read_dir(dir).map_err(|e| LoadError::damaged(dir, 0, format!("cannot list: {e}")))?;
    for entry in entries {
        let path = entry.map_err(|e| LoadError::damaged(dir, 0, format!("cannot list: {e}")))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if !path.is_file() {
            continue;
        }
        match FileKind::of(&path) {
            Some(FileKind::Snapshot) => {
                let mut header = [0u8; HEADER_LEN];
                let read = File::open(&path).and_then(|mut f| f.read_exact(&mut header));
                if let Err(e) = read {
                    let reason = if e.kind() == io::ErrorKind::UnexpectedEof {
                        "the file is shorter than its header".to_string()
                    } else {
                        format!("cannot read: {e}")
                    };
                    return Err(LoadError::damaged(&path, 0, reason));
                }
                let header =
                    decode_header(SNAPSHOT_MAGIC, &header).map_err(|e| LoadError::damaged(&path, 0, e.to_string()))?;
                listing.snapshots.push((header, path));
            }
            Some(FileKind::Log) => match log_generation(name) {
                Some(generation) => listing.logs.push((generation, path)),
                None => warn!("ignoring {}: not a log file name efis writes", path.display()),
            },
            None => {}
        }
    }
    listing.snapshots.sort_by(|a, b| (a.0.generation, a.0.time_ms, &a.1).cmp(&(b.0.generation, b.0.time_ms, &b.1)));
    listing.logs.sort();
    Ok(listing)
}

/// The Redis file a directory without a snapshot may start from.
pub const RDB_BASE_NAME: &str = "dump.rdb";

/// Loads `rdb`, the base of log generation 0, into the keyspace and its
/// function libraries through `FUNCTION LOAD`. Returns the keys loaded.
fn load_rdb_base(rdb: &Path, replayer: &mut impl Replayer) -> Result<u64, LoadError> {
    let refused =
        |offset: u64, reason: String| LoadError { file: rdb.to_path_buf(), offset, reason, repairable: false };
    let started = std::time::Instant::now();
    let bytes = std::fs::read(rdb).map_err(|e| {
        refused(0, format!("cannot read it ({e}); appendonly-0000000000.aof continues it, so it must be put back"))
    })?;
    let now_ms = crate::clock::unix_ms();
    let loaded = super::rdb::file::read_file(&bytes, replayer.keyspace(), now_ms, |_| {})
        .map_err(|e| refused(e.offset as u64, e.reason))?;
    drop(bytes);
    for code in &loaded.functions {
        let command = OwnedArgs::from_parts(&[b"FUNCTION", b"LOAD", code]);
        replayer
            .apply(now_ms, 0, command.args())
            .map_err(|e| refused(0, format!("a function library does not load: {e}")))?;
    }
    info!(
        "imported {} keys ({} already expired, {} function libraries) from {} (RDB version {}) in {:.3} s",
        loaded.keys,
        loaded.expired_skipped,
        loaded.functions.len(),
        rdb.display(),
        loaded.version,
        started.elapsed().as_secs_f64()
    );
    Ok(loaded.keys)
}

/// The generation in a log file name, `appendonly-G.aof`.
fn log_generation(name: &str) -> Option<u64> {
    name.strip_prefix("appendonly-").and_then(|n| n.strip_suffix(".aof")).and_then(|n| n.parse::<u64>().ok())
}

/// Loads `dir`: the newest snapshot, then every log from its generation
/// on. A torn tail of the newest log is cut off (see the module docs).
pub fn recover(dir: &Path, replayer: &mut impl Replayer) -> Result<Recovered, LoadError> {
    let listing = list_dir(dir)?;
    let mut recovered = Recovered::default();
    let (mut first_log, logs) = chain(dir, &listing)?;
    let snapshot = listing.snapshots.last().map(|(_, path)| path);
    let rdb = dir.join(RDB_BASE_NAME);
    if snapshot.is_none() && (first_log == 0 || (logs.is_empty() && rdb.is_file())) {
        let keys = load_rdb_base(&rdb, replayer)?;
        recovered.rdb_base = Some((rdb, keys));
        first_log = 0;
    }
    recovered.snapshot_generation = listing.snapshots.last().map_or(0, |(header, _)| header.generation);
    if let Some(keys) = snapshot.and_then(|path| declared_keys(path)) {
        replayer.expect_keys(keys);
    }
    let apply = &mut |time_ms, db, args: Args<'_>| replayer.apply(time_ms, db, args);
    if let Some(path) = snapshot {
        let report = read_file(path, FileKind::Snapshot, apply)?;
        info!("loaded snapshot {} ({} keys, {} bytes)", path.display(), report.keys, report.len);
        recovered.snapshot = Some(path.clone());
        recovered.snapshot_keys = report.keys;
    }
    // The next log continues the chain: right after the last log kept, or
    // the snapshot's own generation if no log follows it yet (a restored
    // backup).
    let mut next_generation = first_log;
    for (i, (generation, path)) in logs.iter().enumerate() {
        let last = i + 1 == logs.len();
        let report = read_file(path, FileKind::Log, apply)?;
        if let Some(header) = report.header {
            if header.generation != *generation {
                return Err(LoadError::damaged(
                    path,
                    0,
                    format!("the header says generation {}, the name {generation}", header.generation),
                ));
            }
        }
        if let Some((offset, reason)) = report.torn {
            if offset < HEADER_LEN as u64 {
                // Not even its header was written (a crash right after the
                // file was made): a log that never began, with no record.
                // It is given its header, wherever it stands in the chain,
                // so the chain keeps no hole.
                let kept = begin_log(path, *generation).map_err(|e| {
                    LoadError::damaged(
                        path,
                        offset,
                        format!("cannot write the header of a log that ends inside it: {e}"),
                    )
                })?;
                warn!(
                    "{}: it ended inside its header, so it holds no record; given a new header ({} bytes kept in {})",
                    path.display(),
                    report.len,
                    kept.display()
                );
                recovered.logs += 1;
                next_generation = generation + 1;
                continue;
            }
            if !last {
                return Err(LoadError::damaged(path, offset, format!("{reason}, and newer logs follow")));
            }
            let kept = cut_tail(path, offset)
                .map_err(|e| LoadError::damaged(path, offset, format!("cannot cut off the torn final record: {e}")))?;
            warn!(
                "{}: cut off an incomplete final record at byte {offset} ({reason}); the {} bytes cut are kept in {}",
                path.display(),
                report.len - offset,
                kept.display()
            );
        }
        // What was replayed is the base of every change to come: it must
        // be on disk before a new log builds on it (after a crash its tail
        // may have been in the page cache only).
        File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|e| LoadError::damaged(path, report.len, format!("cannot sync: {e}")))?;
        recovered.logs += 1;
        recovered.commands += report.commands;
        next_generation = generation + 1;
    }
    if !logs.is_empty() {
        let _ = super::sync_dir(dir);
    }
    recovered.next_generation = next_generation;
    Ok(recovered)
}

/// The logs start-up loads after the newest snapshot, and the generation
/// the first of them must have: a snapshot `G` holds the state before log
/// `G`; without a snapshot, log generations start at 1.
///
/// Refuses a hole in that chain: the logs must all be there, one after
/// another, or the writes of a missing one would be silently lost.
fn chain<'l>(dir: &Path, listing: &'l DirListing) -> Result<(u64, &'l [LogFile]), LoadError> {
    let snapshot = listing.snapshots.last();
    // Without a snapshot the chain starts at log 1, or at log 0 when
    // there is one: the log that continues a `dump.rdb`.
    let no_snapshot = if listing.logs.first().is_some_and(|(generation, _)| *generation == 0) { 0 } else { 1 };
    let first_log = snapshot.map_or(no_snapshot, |(header, _)| header.generation);
    let logs = &listing.logs[listing.logs.partition_point(|(g, _)| *g < first_log)..];
    for (expected, (generation, path)) in (first_log..).zip(logs) {
        if *generation != expected {
            let (missing, whose) = if generation - expected == 1 {
                (format!("the log before it, {}, is missing", super::aof::aof_name(expected)), "its")
            } else {
                let (from, to) = (super::aof::aof_name(expected), super::aof::aof_name(generation - 1));
                (format!("the logs before it, {from} to {to}, are missing"), "their")
            };
            let context = match (expected == first_log, snapshot) {
                (true, Some((_, snapshot))) => format!(" (the first after {})", snapshot.display()),
                (true, None) => {
                    format!(" and no snapshot stands in for {}", if whose == "its" { "it" } else { "them" })
                }
                (false, _) => String::new(),
            };
            return Err(LoadError {
                file: path.clone(),
                offset: 0,
                reason: format!(
                    "{missing}{context}: {whose} writes would be lost. Put the missing files back, or move this \
                     log and every newer one out of {} to start from what comes before the gap",
                    dir.display()
                ),
                repairable: false,
            });
        }
    }
    Ok((first_log, logs))
}

/// Gives a log that ends inside its header a whole new header (after
/// copying its bytes to `PATH.cut-0`), synced. Returns the copy's path.
fn begin_log(path: &Path, generation: u64) -> io::Result<PathBuf> {
    let kept = cut_tail(path, 0)?;
    let mut file = File::options().append(true).open(path)?;
    file.write_all(&encode_header(AOF_MAGIC, generation, crate::clock::unix_ms()))?;
    file.sync_all()?;
    Ok(kept)
}

/// Truncates `path` at `offset`, first copying the bytes cut to
/// `PATH.cut-OFFSET`. Returns the copy's path.
pub fn cut_tail(path: &Path, offset: u64) -> io::Result<PathBuf> {
    let mut file = File::options().read(true).write(true).open(path)?;
    let copy_path = PathBuf::from(format!("{}.cut-{offset}", path.display()));
    file.seek(SeekFrom::Start(offset))?;
    let mut copy = File::create(&copy_path)?;
    io::copy(&mut file, &mut copy)?;
    copy.sync_all()?;
    file.set_len(offset)?;
    file.sync_all()?;
    if let Some(dir) = path.parent() {
        let _ = super::sync_dir(dir);
    }
    Ok(copy_path)
}

/// `efis check [--repair] PATH...`: verifies files (or every file of a
/// directory); with `repair`, cuts a damaged file at its last good record
/// (a snapshot also gets a new end record). Returns the exit code.
pub fn check(paths: &[PathBuf], repair: bool, out: &mut impl Write) -> i32 {
    let mut files = Vec::new();
    let mut code = 0;
    for path in paths {
        if path.is_dir() {
            // A snapshot whose header cannot be read is reported with the
            // files below, not here.
            if let Ok(Err(e)) = list_dir(path).map(|listing| chain(path, &listing).map(|_| ())) {
                let _ = writeln!(out, "{e}");
                code = 1;
            }
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| FileKind::of(p).is_some())
                        .collect();
                    found.sort();
                    files.extend(found);
                }
                Err(e) => {
                    let _ = writeln!(out, "{}: cannot list: {e}", path.display());
                    return 1;
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    for path in files {
        let Some(kind) = FileKind::of(&path) else {
            let _ = writeln!(out, "{}: not an efis file (expected *.aof or *.snap)", path.display());
            code = 1;
            continue;
        };
        let mut verify = |_: i64, _: usize, _: Args<'_>| Ok(());
        match read_file(&path, kind, &mut verify) {
            Ok(report) => match report.torn {
                None => {
                    let what = match kind {
                        FileKind::Snapshot => format!("{} keys", report.keys),
                        FileKind::Log => format!("{} commands", report.commands),
                    };
                    let _ = writeln!(
                        out,
                        "{}: ok, {} records, {what}, {} bytes",
                        path.display(),
                        report.frames,
                        report.len
                    );
                }
                Some((offset, reason)) => {
                    let _ = writeln!(out, "{}: incomplete final record at byte {offset} ({reason})", path.display());
                    code = code.max(repair_or_report(&path, kind, offset, repair, out));
                }
            },
            Err(e) => {
                let _ = writeln!(out, "{}: {} at byte {}", path.display(), e.reason, e.offset);
                let good = last_good_offset(&path, kind);
                code = code.max(repair_or_report(&path, kind, good, repair, out));
            }
        }
    }
    code
}

/// The offset after the last frame that reads well.
fn last_good_offset(path: &Path, kind: FileKind) -> u64 {
    let Ok(file) = File::open(path) else { return 0 };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut input = BufReader::new(file);
    let mut header = [0u8; HEADER_LEN];
    if len < HEADER_LEN as u64
        || input.read_exact(&mut header).is_err()
        || decode_header(kind.magic(), &header).is_err()
    {
        return 0;
    }
    let mut reader = FrameReader::new(input, HEADER_LEN as u64, len);
    let mut good = HEADER_LEN as u64;
    while let Ok(Some(payload)) = reader.next_frame() {
        match decode_payload(payload) {
            Ok(Payload::Commands { .. }) => good = reader.offset(),
            _ => break,
        }
    }
    good
}

fn repair_or_report(path: &Path, kind: FileKind, offset: u64, repair: bool, out: &mut impl Write) -> i32 {
    if !repair {
        let _ = writeln!(
            out,
            "{}: left as it is; `efis check --repair {}` cuts it at byte {offset}, keeping a copy of what is cut",
            path.display(),
            path.display()
        );
        return 1;
    }
    if offset < HEADER_LEN as u64 {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if kind == FileKind::Log && len < HEADER_LEN as u64 {
            // A log that ends inside its header holds no record: it gets
            // its header (removing it would leave a hole in the chain).
            let generation = path.file_name().and_then(|n| n.to_str()).and_then(log_generation);
            let Some(generation) = generation else {
                let _ = writeln!(out, "{}: cannot repair: not a log file name efis writes", path.display());
                return 1;
            };
            return match begin_log(path, generation) {
                Ok(copy) => {
                    let _ = writeln!(
                        out,
                        "{}: it ended inside its header and holds no record; given a new header (its {len} bytes \
                         are in {})",
                        path.display(),
                        copy.display()
                    );
                    0
                }
                Err(e) => {
                    let _ = writeln!(out, "{}: cannot repair: {e}", path.display());
                    1
                }
            };
        }
        let _ = writeln!(
            out,
            "{}: the header itself is damaged; nothing to keep, the file is left as it is",
            path.display()
        );
        return 1;
    }
    match cut_tail(path, offset) {
        Ok(copy) => {
            if kind == FileKind::Snapshot {
                if let Err(e) = close_snapshot(path) {
                    let _ = writeln!(out, "{}: cut, but the end record could not be written: {e}", path.display());
                    return 1;
                }
            }
            let _ = writeln!(out, "{}: cut at byte {offset}; the bytes cut are in {}", path.display(), copy.display());
            0
        }
        Err(e) => {
            let _ = writeln!(out, "{}: cannot repair: {e}", path.display());
            1
        }
    }
}

/// Appends an end record to a snapshot cut short by a repair (its key
/// count 0: unknown).
fn close_snapshot(path: &Path) -> io::Result<()> {
    let mut buf = Vec::new();
    FrameBuilder::end_of_snapshot(&mut buf, crate::clock::unix_ms(), 0);
    let mut file = File::options().append(true).open(path)?;
    file.write_all(&buf)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Keyspace, Ttl, Value};

    fn snapshot_of(keys: usize, dir: &Path) -> PathBuf {
        let mut store = Keyspace::new(2);
        for i in 0..keys {
            store.db(i % 2).set(format!("key:{i}").as_bytes(), Value::Str(b"value"), Ttl::Clear, 0);
        }
        super::super::snapshot::write_file(&store, &[], dir, "snapshot-0000000001.snap", 1, 0).expect("write snapshot");
        dir.join("snapshot-0000000001.snap")
    }

    #[test]
    fn a_snapshot_declares_its_keys_in_its_last_bytes() {
        let dir = std::env::temp_dir().join(format!("efis-declared-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = snapshot_of(1000, &dir);
        assert_eq!(declared_keys(&path), Some(1000));

        // A count the file could not hold is cut to what it could.
        let mut bytes = std::fs::read(&path).unwrap();
        let end = bytes.len() - END_FRAME_LEN;
        bytes.truncate(end);
        FrameBuilder::end_of_snapshot(&mut bytes, 0, u64::MAX);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(declared_keys(&path), Some(bytes.len() as u64 / MIN_SNAPSHOT_BYTES_PER_KEY));

        // Cut short or damaged: no hint (reading the file reports why).
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(declared_keys(&path), None);
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(declared_keys(&path), None);
        std::fs::write(&path, &bytes[..HEADER_LEN]).unwrap();
        assert_eq!(declared_keys(&path), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
