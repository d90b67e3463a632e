//! The append-only log as the loop writes it: records gather in a buffer
//! while commands run, and the whole buffer goes to the file in one
//! `write` before any reply of that round is sent (with `always`, one
//! `fdatasync` too: a group commit). With `everysec` a helper thread
//! fsyncs the file once a second. With `everysec` and `no`, the same
//! thread syncs the previous file in full when a compaction switches to a
//! new one, so that a later log never outlives the tail of an earlier one,
//! and deletes the files a compaction made obsolete (unlinking a large log
//! still in the page cache takes tens of milliseconds, too long for the
//! loop). The thread only ever touches its own handles of the files.
//!
//! Offsets here are logical: `appended` counts every byte ever buffered,
//! `durable` every byte written (and, with `always`, synced). A
//! connection whose last command logged up to offset `n` may be answered
//! once `durable >= n`. A failed write keeps the unwritten bytes, marks
//! the log as failing (write commands then get `-MISCONF`), and is tried
//! again by the loop until the disk takes it.
//!
//! # What each `APPENDFSYNC` value promises
//!
//! A reply to a write is sent only after that write's record has been
//! handed to the operating system (`write`), whatever the setting; so
//! killing the process (`kill -9`, a crash, the OOM killer) loses nothing
//! that was acknowledged. The setting decides what a power loss or a
//! kernel crash can take:
//!
//! | `APPENDFSYNC` | a write is acknowledged after | lost on power failure |
//! | --- | --- | --- |
//! | `always` | its record is written and `fdatasync`ed | nothing acknowledged |
//! | `everysec` (default) | its record is written; the helper thread `fdatasync`s once a second | about the last second |
//! | `no` | its record is written; the kernel flushes when it likes | up to the kernel's writeback delay (~30 s) |
//!
//! With `always`, all records produced in one round of the event loop
//! (every client's commands read in that round) go out in one `write` and
//! one `fdatasync` before any of their replies: a group commit, so fifty
//! clients share one disk flush.
//!
//! # What a record holds
//!
//! A log frame holds the records of one round of the event loop (every
//! change made at one instant, usually those of many clients, so one
//! checksum covers them all), as commands that replay to the same state at
//! the time the frame carries. Records are deterministic:
//!
//! * relative expiry times become absolute (`EXPIRE k 10` →
//!   `PEXPIREAT k <ms>`, `SET k v EX 10` → `SET k v PXAT <ms>`);
//! * `SPOP` becomes the `SREM` of the members it popped;
//! * `INCRBYFLOAT` and `HINCRBYFLOAT` become the `SET ... KEEPTTL` or
//!   `HSET` of the value they produced;
//! * every key removed by expiry is logged as a `DEL`;
//! * a blocking pop that was served is logged as its non-blocking form on
//!   the key it popped from (`BLPOP a b 0` → `LPOP b`; `BLMOVE` →
//!   `LMOVE`; `BZPOPMIN` → `ZPOPMIN`).
//!
//! Commands that changed nothing (a `DEL` of a missing key, a `SET NX`
//! that lost) are not logged. A `MULTI`/`EXEC` transaction always lies
//! within one frame: after a crash it is all there or not at all. Replay
//! runs only write commands (see [`super::load`]).
//!
//! # When the disk fails
//!
//! A **full disk** (`ENOSPC`, `EDQUOT`, a write that takes nothing): the
//! failing write's reply is held back, every write command answers
//! `-MISCONF Errors writing to the AOF file: <reason>`, and reads keep
//! working. The loop retries every 100 ms; once the disk takes the held
//! records again, the held replies go out and writes are accepted again,
//! by themselves. The bytes before the failing write are intact, so
//! writing the rest later is enough. `INFO persistence` shows
//! `aof_last_write_status:err` meanwhile.
//!
//! A **failed `fsync`** (or `fdatasync`, or a write failing for another
//! reason, such as `EIO`) is different: the kernel may have dropped the
//! dirty pages it covered and marked them clean, so a later `fsync` of
//! the same file can succeed without them ever reaching the disk. What
//! Efis does then depends on the promise it made:
//!
//! * `always`: no write whose record was in the failed sync may be
//!   acknowledged, nor any later one. The log turns [`AppendLog::fatal`],
//!   every flush fails from then on (no reply held back is sent), and the
//!   loop exits with code 1 as soon as it sees it, as Redis 7.0 does
//!   ("Can't persist AOF for fsync error when the AOF fsync policy is
//!   'always'"). Start-up then recovers from what is on disk, syncs every
//!   log it replayed before building on it, and starts a new generation.
//!   (Redis exits on any failed write under `always`, a full disk too;
//!   Efis waits a full disk out as above, as nothing was lost.)
//! * `everysec` and `no`: replies already went out, after the `write`.
//!   The failure is recorded (by the fsync thread or the loop) with its
//!   log generation, `aof_last_fsync_status` and `aof_last_write_status`
//!   become `err`, and write commands get `-MISCONF` until the data is
//!   known durable again: a snapshot written from memory whose generation
//!   is past the failed log, and the new log generation's header and
//!   directory entry synced by the fsync thread
//!   ([`AppendLog::sync_failure`]). The loop starts that compaction at
//!   once, and again every 5 s while it fails; writes resume by
//!   themselves when one succeeds.
//!
//! # Frames larger than 4 GiB
//!
//! A frame's length is a `u32`, so no frame may hold more than
//! [`MAX_FRAME`]. A loop round that would log more (many clients' large
//! values read in one round) is split into several frames, between two
//! commands' records; each replays alone. What must stay all-or-nothing
//! is checked before it runs (`make_room`): a transaction whose queued
//! commands' records would not fit in one frame is refused by `EXEC`
//! (`-EXECABORT`), a client's command whose record could never fit is
//! refused (`-ERR command not run`), and either one that fits starts a
//! new frame if the open one has no room left. Only a script can still
//! produce a single record larger than a frame (values it builds
//! itself): that record is not written ([`AppendLog::unloggable`]), the
//! script's client gets an error instead of its reply, and writes stop
//! until a restart, as after a panic. A script whose records each fit
//! but together do not is split between them like any round, so after a
//! crash in the middle of that write it may replay in part: the one case
//! where all-or-nothing gives way, to keep every frame readable. Nothing unreadable is
//! ever written. The tests lower the limit with `EFIS_TEST_MAX_LOG_FRAME`
//! (`config::TEST_KNOBS`); the code path is the same.
//!
//! # The replication stream
//!
//! A primary's replicas get the same records as RESP commands. While
//! [`AppendLog::tap`] is set, every record logged is also encoded there
//! as a RESP array, preceded by a `SELECT` whenever its database is not
//! the one the stream last selected; the loop moves the tapped bytes into
//! the replication backlog and the replicas' output (`state::replication`).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use log::{error, info, warn};

use super::format::{encode_header, FrameBuilder, AOF_MAGIC, KIND_COMMANDS};
use crate::config::AppendFsync;
use crate::protocol::Args;

/// Bytes one record of `args` takes in a frame.
pub fn record_len<'a>(args: impl Iterator<Item = &'a [u8]>) -> usize {
    8 + args.map(|a| 4 + a.len()).sum::<usize>()
}

/// A frame's header and payload prefix, beyond its records.
const FRAME_OVERHEAD: usize = 32;

/// File name of log generation `generation`.
pub fn aof_name(generation: u64) -> String {
    format!("appendonly-{generation:010}.aof")
}

/// Messages to the fsync thread.
enum SyncMessage {
    /// From now on, sync this file, log generation `u64` (after a last
    /// sync of the old one), and the directory that holds it.
    Switch(File, u64, PathBuf),
    /// Delete these files (after everything sent before).
    Delete(Vec<PathBuf>),
    Stop,
}

/// The log the loop appends to.
pub struct AppendLog {
    policy: AppendFsync,
    dir: PathBuf,
    file: Option<File>,
    generation: u64,
    /// Records not yet written; `buf[written..]` is pending.
    buf: Vec<u8>,
    written: usize,
    /// Start of the open frame in `buf`, and its time. A frame gathers
    /// every record of one loop round (of one `now_ms`) and is closed when
    /// the round's records are written: so a transaction, always within
    /// one round, is in one frame, all in or all out.
    frame: Option<(usize, i64)>,
    /// Commands a handler logged in place of the one it ran.
    pub rewrites: u64,
    /// Records of changes made by commands (not of keys that expired): a
    /// reply waits only for these.
    pub changes: u64,
    /// Bytes written (with `always`, synced) since start-up.
    pub durable: u64,
    /// The last write error, while writes are failing.
    pub error: Option<String>,
    /// Replaying at start-up: nothing is logged.
    pub loading: bool,
    /// The directory entry of a new file still has to be synced.
    dir_sync_pending: bool,
    /// Size of the current file, for `INFO`.
    pub file_size: u64,
    /// Bytes the `everysec` thread has to sync.
    unsynced: Arc<AtomicU64>,
    /// What the fsync thread reports: the newest log generation a sync
    /// (or write) failed on (0: none), the OS error code of that failure,
    /// and the newest generation it synced in full after switching to it.
    sync_health: Arc<SyncHealth>,
    /// `APPENDFSYNC=always` and a sync (or a write other than a full disk)
    /// failed: nothing may be acknowledged any more, and the server exits
    /// (see "When the disk fails" above).
    pub fatal: Option<String>,
    /// The largest frame written ([`MAX_FRAME`], lower only for tests).
    max_frame: usize,
    /// A change too large for any frame went unlogged (see `append`).
    pub unloggable: Option<String>,
    /// `APPENDFSYNC=no`: the helper thread syncs nothing once a second.
    switch_only: Arc<AtomicBool>,
    sync_thread: Option<(Sender<SyncMessage>, std::thread::JoinHandle<()>)>,
    /// The replication stream's copy of the records, while this server
    /// has a replication backlog (see the module doc).
    pub tap: Option<StreamTap>,
}

/// Records encoded as RESP commands for the replication stream.
#[derive(Debug, Default)]
pub struct StreamTap {
    /// Encoded commands the loop has not taken yet.
    pub buf: Vec<u8>,
    /// The database the stream last selected; `None` sends a `SELECT`
    /// before the next command (a new stream, or after a full resync).
    pub db: Option<usize>,
    /// An open atomic group (`EXEC`, a script): its depth, where it
    /// starts in `buf`, and the commands in it so far.
    atomic: (usize, usize, usize),
}

impl StreamTap {
    /// Appends one command run against database `db`.
    #[inline]
    pub fn command<'a>(&mut self, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]>) {
        self.select(db);
        encode_args(&mut self.buf, args);
        self.atomic.2 += 1;
    }

    /// A `SELECT` first when the stream is in another database.
    #[inline]
    fn select(&mut self, db: usize) {
        if self.db != Some(db) {
            let mut digits = [0u8; 20];
            let index = crate::protocol::format_i64(db as i64, &mut digits);
            encode_command(&mut self.buf, &[b"SELECT", index]);
            self.db = Some(db);
        }
    }

    /// [`StreamTap::command`] for a command already encoded as RESP.
    #[inline]
    pub fn encoded(&mut self, db: usize, bytes: &[u8]) {
        self.select(db);
        self.buf.extend_from_slice(bytes);
        self.atomic.2 += 1;
    }

    /// Opens an atomic group: the commands logged until the matching
    /// [`StreamTap::end_atomic`] reach replicas inside `MULTI`/`EXEC`
    /// when there are two or more of them, as Redis sends a transaction's
    /// or a script's effects.
    pub fn begin_atomic(&mut self) {
        if self.atomic.0 == 0 {
            self.atomic = (0, self.buf.len(), 0);
        }
        self.atomic.0 += 1;
    }

    /// Closes an atomic group (see [`StreamTap::begin_atomic`]).
    pub fn end_atomic(&mut self) {
        let (depth, start, count) = self.atomic;
        self.atomic.0 = depth.saturating_sub(1);
        if depth == 1 && count > 1 && start <= self.buf.len() {
            let mut multi = Vec::new();
            encode_command(&mut multi, &[b"MULTI"]);
            self.buf.splice(start..start, multi);
            encode_command(&mut self.buf, &[b"EXEC"]);
        }
    }

    /// Takes the encoded commands; an open atomic group goes on unwrapped.
    pub fn take(&mut self) -> Vec<u8> {
        self.atomic.1 = 0;
        self.atomic.2 = 0;
        // The next round's commands start in a buffer of this one's size,
        // rather than growing (and copying) step by step again.
        let capacity = self.buf.len();
        std::mem::replace(&mut self.buf, Vec::with_capacity(capacity))
    }
}

/// Appends `args` to `out` as a RESP array of bulk strings.
pub fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    encode_args(out, args.iter().copied());
}

/// [`encode_command`] for arguments given one by one. Each argument's
/// header goes out together with the line end before it, so a command
/// of `n` arguments is `2n + 1` copies into `out` (this runs for every
/// change a primary streams).
#[inline]
pub fn encode_args<'a>(out: &mut Vec<u8>, args: impl ExactSizeIterator<Item = &'a [u8]>) {
    // Room for "\r\n" and one header, or the array's and the first
    // argument's headers: two of "<prefix><20 digits>\r\n" at most.
    let mut head = [0u8; 48];
    let mut used = number_line(&mut head, 0, b'*', args.len());
    for arg in args {
        used = number_line(&mut head, used, b'$', arg.len());
        out.extend_from_slice(&head[..used]);
        out.extend_from_slice(arg);
        head[..2].copy_from_slice(b"\r\n");
        used = 2;
    }
    out.extend_from_slice(&head[..used]);
}

/// Writes `<prefix><n>\r\n` into `buf` at `at`; returns where it ends.
#[inline]
fn number_line(buf: &mut [u8; 48], at: usize, prefix: u8, n: usize) -> usize {
    buf[at] = prefix;
    let mut at = at + 1;
    if n < 10 {
        buf[at] = b'0' + n as u8;
        at += 1;
    } else {
        let mut digits = [0u8; 20];
        let text = crate::protocol::format_i64(n as i64, &mut digits);
        buf[at..at + text.len()].copy_from_slice(text);
        at += text.len();
    }
    buf[at..at + 2].copy_from_slice(b"\r\n");
    at + 2
}

/// The largest frame payload the format can describe (its length is a
/// `u32`), less room for one more record header: a loop round that would
/// log more is split into several frames at command boundaries, and a
/// transaction that would not fit in one frame is refused before it runs
/// (see "Frames larger than 4 GiB" above).
pub const MAX_FRAME: usize = u32::MAX as usize - 64;

/// What the fsync thread tells the loop, through atomics only.
#[derive(Default)]
struct SyncHealth {
    failed_generation: AtomicU64,
    failed_errno: AtomicI32,
    synced_generation: AtomicU64,
}

impl SyncHealth {
    fn fail(&self, generation: u64, e: &io::Error) {
        self.failed_errno.store(e.raw_os_error().unwrap_or(libc_eio()), Ordering::Release);
        self.failed_generation.fetch_max(generation, Ordering::AcqRel);
    }
}

/// `EIO`, the code reported for a failure that carries none.
const fn libc_eio() -> i32 {
    5
}

/// Whether a failed write is only the disk being full: the bytes before
/// it are intact, so writing the rest later is enough.
fn space_error(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::StorageFull | io::ErrorKind::WriteZero | io::ErrorKind::QuotaExceeded)
}

impl AppendLog {
    /// A log that writes nowhere until [`AppendLog::open`]. `max_frame` is
    /// [`MAX_FRAME`] or less.
    pub fn new(policy: AppendFsync, dir: &Path, max_frame: usize) -> AppendLog {
        AppendLog {
            policy,
            dir: dir.to_path_buf(),
            file: None,
            generation: 0,
            buf: Vec::with_capacity(64 * 1024),
            written: 0,
            frame: None,
            rewrites: 0,
            changes: 0,
            durable: 0,
            error: None,
            loading: false,
            dir_sync_pending: false,
            file_size: 0,
            unsynced: Arc::new(AtomicU64::new(0)),
            sync_health: Arc::new(SyncHealth::default()),
            fatal: None,
            unloggable: None,
            max_frame: max_frame.clamp(1024, MAX_FRAME),
            switch_only: Arc::new(AtomicBool::new(policy == AppendFsync::No)),
            sync_thread: None,
            tap: None,
        }
    }

    pub fn policy(&self) -> AppendFsync {
        self.policy
    }

    /// `CONFIG SET appendfsync`: takes effect from the next write.
    pub fn set_policy(&mut self, policy: AppendFsync) {
        if policy == self.policy {
            return;
        }
        self.switch_only.store(policy == AppendFsync::No, Ordering::Release);
        if policy != AppendFsync::Always {
            if let Some(handle) = self.file.as_ref().and_then(|f| f.try_clone().ok()) {
                let (generation, dir) = (self.generation, self.dir.clone());
                self.sync_thread().send(SyncMessage::Switch(handle, generation, dir)).ok();
            }
        }
        if let Some(file) = &self.file {
            // What was written under the old policy is made durable now.
            let _ = file.sync_data();
        }
        if policy == AppendFsync::Always {
            self.dir_sync_pending = true;
        }
        self.policy = policy;
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Starts log generation `generation` in a new file (with its header
    /// written) and makes it the current one; the previous file must have
    /// been flushed. On error the current file stays as it was. The new file is synced by the first
    /// group commit (`always`) or the fsync thread (`everysec`), not here:
    /// no `fsync` in the loop.
    pub fn open(&mut self, generation: u64, now_ms: i64) -> io::Result<()> {
        let path = self.dir.join(aof_name(generation));
        let mut file = File::options().create(true).append(true).open(&path)?;
        let header = encode_header(AOF_MAGIC, generation, now_ms);
        if let Err(e) = file.write_all(&header) {
            // No half-made log may stay behind: start-up would take it for
            // the newest one.
            drop(file);
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let handle = match self.policy {
            AppendFsync::Always => None,
            _ => Some(file.try_clone()?),
        };
        self.generation = generation;
        self.file_size = header.len() as u64;
        if let Some(handle) = handle {
            let dir = self.dir.clone();
            self.sync_thread().send(SyncMessage::Switch(handle, generation, dir)).ok();
        } else {
            self.dir_sync_pending = self.policy == AppendFsync::Always;
        }
        self.file = Some(file);
        Ok(())
    }

    /// The fsync thread (`everysec`, and file switches under `no`),
    /// started on first use.
    fn sync_thread(&mut self) -> &Sender<SyncMessage> {
        if self.sync_thread.is_none() {
            let (sender, receiver) = mpsc::channel::<SyncMessage>();
            let unsynced = self.unsynced.clone();
            let health = self.sync_health.clone();
            let switch_only = self.switch_only.clone();
            let handle = std::thread::Builder::new()
                .name("efis-fsync".into())
                .spawn(move || {
                    // The file being synced and its generation.
                    let mut current: Option<(File, u64)> = None;
                    let sync = |current: &Option<(File, u64)>| {
                        if let Some((file, generation)) = current {
                            let pending = unsynced.swap(0, Ordering::AcqRel);
                            if pending > 0 && !switch_only.load(Ordering::Acquire) {
                                if let Err(e) = file.sync_data() {
                                    // The kernel may have dropped the pages that
                                    // failed: a later success of the same file
                                    // proves nothing, so the failure stays until
                                    // a snapshot covers this generation.
                                    error!("fsync of {} failed: {e}", aof_name(*generation));
                                    health.fail(*generation, &e);
                                    unsynced.fetch_add(pending, Ordering::AcqRel);
                                }
                            }
                        }
                    };
                    loop {
                        match receiver.recv_timeout(Duration::from_secs(1)) {
                            Ok(SyncMessage::Switch(file, generation, dir)) => {
                                // The previous log is synced in full before
                                // the new one is ever synced (whatever the
                                // policy): a later log must not outlive the
                                // tail of an earlier one.
                                if let Some((old, old_generation)) = &current {
                                    if let Err(e) = old.sync_data() {
                                        error!("fsync of {} failed: {e}", aof_name(*old_generation));
                                        health.fail(*old_generation, &e);
                                    }
                                }
                                // The new file's header and its directory
                                // entry: a log generation known durable.
                                match file.sync_data().and_then(|()| super::sync_dir(&dir)) {
                                    Ok(()) => health.synced_generation.fetch_max(generation, Ordering::AcqRel),
                                    Err(e) => {
                                        error!("fsync of {} or of its directory failed: {e}", aof_name(generation));
                                        health.fail(generation, &e);
                                        0
                                    }
                                };
                                current = Some((file, generation));
                            }
                            Ok(SyncMessage::Delete(paths)) => {
                                for path in paths {
                                    if let Err(e) = std::fs::remove_file(&path) {
                                        warn!("cannot delete {}: {e}", path.display());
                                    }
                                }
                            }
                            Ok(SyncMessage::Stop) | Err(RecvTimeoutError::Disconnected) => {
                                sync(&current);
                                return;
                            }
                            Err(RecvTimeoutError::Timeout) => sync(&current),
                        }
                    }
                })
                .expect("cannot start the fsync thread");
            self.sync_thread = Some((sender, handle));
        }
        &self.sync_thread.as_ref().expect("started above").0
    }

    /// Deletes `paths` on the fsync thread, after any switch sent before.
    pub fn delete_in_background(&mut self, paths: Vec<PathBuf>) {
        if !paths.is_empty() {
            self.sync_thread().send(SyncMessage::Delete(paths)).ok();
        }
    }

    /// The log generation whose sync failed last (under `everysec` or
    /// `no`, by the fsync thread), with the error, unless a snapshot of a
    /// later generation (`covered_before`: the newest snapshot's
    /// generation) made that log unneeded and the thread has since synced
    /// the log that follows the snapshot. While this is `Some`, what was
    /// acknowledged may not be on disk.
    pub fn sync_failure(&self, covered_before: u64) -> Option<(u64, io::Error)> {
        let failed = self.sync_health.failed_generation.load(Ordering::Acquire);
        if failed == 0 {
            return None;
        }
        let synced = self.sync_health.synced_generation.load(Ordering::Acquire);
        if failed < covered_before && synced >= covered_before {
            return None;
        }
        let errno = self.sync_health.failed_errno.load(Ordering::Acquire);
        Some((failed, io::Error::from_raw_os_error(errno)))
    }

    /// Bytes logged since start-up, written or not: a reply may go out
    /// once [`AppendLog::durable`] has reached this offset as it was after
    /// its command.
    #[inline]
    pub fn appended(&self) -> u64 {
        self.durable + self.buf.len() as u64
    }

    /// Logs one command run against database `db` at `now_ms`.
    #[inline]
    pub fn command<'a>(&mut self, now_ms: i64, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]> + Clone) {
        if self.loading {
            return;
        }
        self.changes += 1;
        if let Some(tap) = &mut self.tap {
            tap.command(db, args.clone());
        }
        self.append(now_ms, db, args);
    }

    /// [`AppendLog::command`] for a command as it arrived: the stream
    /// takes the client's own bytes when they are the command's canonical
    /// encoding ([`Args::wire_form`]), in one copy.
    #[inline]
    pub fn command_as_sent(&mut self, now_ms: i64, db: usize, args: Args<'_>) {
        if self.loading {
            return;
        }
        self.changes += 1;
        if let Some(tap) = &mut self.tap {
            match args.wire_form() {
                Some(bytes) => tap.encoded(db, bytes),
                None => tap.command(db, args.iter()),
            }
        }
        self.append(now_ms, db, args.iter());
    }

    /// Logs the `DEL` of a key that expired in database `db`. Replay at the
    /// record's time would expire it anyway, so no reply waits for it.
    pub fn expired(&mut self, now_ms: i64, db: usize, key: &[u8]) {
        if self.loading {
            return;
        }
        if let Some(tap) = &mut self.tap {
            tap.command(db, [&b"DEL"[..], key].into_iter());
        }
        self.append(now_ms, db, [&b"DEL"[..], key].into_iter());
    }

    #[inline]
    fn append<'a>(&mut self, now_ms: i64, db: usize, args: impl ExactSizeIterator<Item = &'a [u8]> + Clone) {
        let len = record_len(args.clone());
        if len + FRAME_OVERHEAD > self.max_frame {
            // Only a script can make such a record (a client's command is
            // refused before it runs): the change stays unlogged, so
            // writes stop until a restart (see `Persistence::halted`).
            let why = format!("a command's log record of {len} bytes is larger than a log frame can hold");
            error!("{why}; write commands are refused until a restart");
            self.unloggable = Some(why);
            return;
        }
        if let Some((start, _)) = self.frame {
            // A frame never outgrows what its length field can say: the
            // round goes on in a new frame (transactions were kept whole
            // by `make_room` before they ran).
            if self.buf.len() - start + len > self.max_frame {
                self.close_frame();
            }
        }
        let start = match self.frame {
            Some((start, time)) if time == now_ms => start,
            _ => {
                self.close_frame();
                let start = FrameBuilder::begin(&mut self.buf, KIND_COMMANDS, now_ms);
                self.frame = Some((start, now_ms));
                start
            }
        };
        FrameBuilder::command(&mut self.buf, start, db, args);
    }

    /// Makes room for `bytes` of records that must share one frame (a
    /// transaction, a command): `Err` if they could never fit in one; else
    /// the open frame is closed first when they would not fit in it.
    pub fn make_room(&mut self, bytes: usize) -> Result<(), String> {
        if bytes + FRAME_OVERHEAD > self.max_frame {
            return Err(format!(
                "it would log {bytes} bytes, more than the {} bytes one log frame can hold",
                self.max_frame
            ));
        }
        if let Some((start, _)) = self.frame {
            if self.buf.len() - start + bytes > self.max_frame {
                self.close_frame();
            }
        }
        Ok(())
    }

    fn close_frame(&mut self) {
        if let Some((start, _)) = self.frame.take() {
            FrameBuilder::end(&mut self.buf, start);
        }
    }

    /// Drops the records not yet written (none of them acknowledged):
    /// for a stop that must not log what the current loop round did.
    pub fn discard_unwritten(&mut self) {
        self.buf.truncate(self.written);
        self.frame = None;
    }

    /// Bytes buffered and not yet written.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.written
    }

    /// Writes the buffered records (and syncs them with `always`). Returns
    /// false if they are not all durable, the log now failing.
    pub fn flush(&mut self) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        if self.buf.is_empty() && self.error.is_none() {
            return true;
        }
        self.close_frame();
        let complete = self.buf.len();
        let Some(file) = self.file.as_mut() else {
            // Not opened (start-up replay): nothing to write to.
            return true;
        };
        while self.written < complete {
            match file.write(&self.buf[self.written..complete]) {
                Ok(0) => return self.failed(io::Error::new(io::ErrorKind::WriteZero, "the disk accepted nothing")),
                Ok(n) => {
                    self.written += n;
                    self.file_size += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.failed(e),
            }
        }
        match self.policy {
            AppendFsync::Always => {
                if let Err(e) = file.sync_data() {
                    return self.sync_failed(e);
                }
                if self.dir_sync_pending {
                    if let Err(e) = super::sync_dir(&self.dir) {
                        return self.sync_failed(e);
                    }
                    self.dir_sync_pending = false;
                }
            }
            AppendFsync::EverySec => {
                self.unsynced.fetch_add(1, Ordering::AcqRel);
            }
            AppendFsync::No => {}
        }
        self.durable += complete as u64;
        self.buf.clear();
        self.written = 0;
        if self.buf.capacity() > 16 * 1024 * 1024 {
            self.buf = Vec::with_capacity(64 * 1024);
        }
        if self.error.is_some() {
            info!("the append-only file accepts writes again; write commands are served");
            self.error = None;
        }
        true
    }

    /// A failed `fsync` (or a write that failed other than for space):
    /// the pages it covered may be gone while a later `fsync` succeeds.
    /// Under `always` nothing written since the last good sync may be
    /// acknowledged, ever: the log turns fatal and the loop exits. Under
    /// `everysec` and `no` the failure is recorded like the fsync
    /// thread's, until a snapshot covers this generation.
    fn sync_failed(&mut self, e: io::Error) -> bool {
        if self.policy == AppendFsync::Always {
            let why = format!(
                "fsync of {} failed under APPENDFSYNC=always: {e}; exiting, as nothing written since the last \
                 good fsync may be acknowledged (start-up recovers from what is on disk)",
                aof_name(self.generation)
            );
            error!("{why}");
            self.fatal = Some(why);
            return false;
        }
        error!("{} failed: {e}", aof_name(self.generation));
        self.sync_health.fail(self.generation, &e);
        self.failed(e)
    }

    fn failed(&mut self, e: io::Error) -> bool {
        if !space_error(&e) && self.policy == AppendFsync::Always && self.fatal.is_none() {
            return self.sync_failed(e);
        }
        if !space_error(&e) {
            self.sync_health.fail(self.generation, &e);
        }
        if self.error.is_none() {
            error!(
                "writing the append-only file {} failed: {e}; write commands are refused until the disk accepts writes again",
                aof_name(self.generation)
            );
        }
        self.error = Some(e.to_string());
        false
    }

    /// Flushes and syncs whatever the policy, for shutdown and rotation.
    pub fn flush_and_sync(&mut self) -> bool {
        if !self.flush() {
            return false;
        }
        if let Some(file) = &self.file {
            if let Err(e) = file.sync_data() {
                warn!("fsync of the append-only file failed: {e}");
                return false;
            }
        }
        true
    }

    /// Stops the fsync thread after a last sync.
    pub fn close(&mut self) {
        if let Some((sender, handle)) = self.sync_thread.take() {
            let _ = sender.send(SyncMessage::Stop);
            let _ = handle.join();
        }
        self.file = None;
    }
}

impl Drop for AppendLog {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::encode_command;

    /// The plain way to write a RESP command, to check the fast one by.
    fn plainly(args: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    #[test]
    fn commands_are_encoded_as_resp_arrays() {
        let long = vec![b'x'; 123_456];
        let cases: [&[&[u8]]; 5] = [
            &[],
            &[b"PING"],
            &[b"SET", b"key:00000001", b"", b"PXAT", b"1700000000000"],
            &[b"RPUSH", b"l", &long, b"\r\n", b"0123456789"],
            &[&b"a"[..]; 12],
        ];
        for args in cases {
            let mut out = vec![b'!'];
            encode_command(&mut out, args);
            assert_eq!(out[1..], plainly(args)[..], "{} arguments", args.len());
        }
    }
}
