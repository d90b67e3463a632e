//! The copy-on-write child process that writes a snapshot while the loop
//! keeps serving: `fork`, `setpriority`, `waitpid` and `_exit` from the C
//! library that the standard library already links (declared here, the
//! only foreign calls in Efis).
//!
//! The child sees the keyspace frozen at the moment of the fork, writes
//! it out, reports one line ("ok BYTES KEYS" or "err WHY") on a socket
//! pair and leaves with `_exit`, running no destructor of the parent's
//! state.
//!
//! # Why a child process
//!
//! The operating system copies only the pages the loop writes to while the
//! child runs, so memory grows by what changes during the snapshot, not by
//! the data set, and the loop's only pause is the `fork` itself (copying
//! page tables: about 2 ms with 1,000,000 keys, rotating the log
//! included). The alternatives cost more here: an immutable copy doubles
//! memory, and incremental serialisation with copy-before-write of touched
//! entries puts a check on every write path of every command.
//!
//! # Priority
//!
//! The child runs at nice 19 (`CHILD_NICENESS`). It inherits the loop's
//! CPU affinity, so on a server pinned to one core the two share it; at the
//! lowest priority the child takes what the loop leaves idle instead of
//! stalling replies. While a child runs, the loop also skips its short
//! busy-poll after each round, so that the child gets the core whenever the
//! loop waits for clients. Under full load on one core a snapshot therefore
//! takes longer (0.8 to 0.9 s instead of 0.25 s for 1,000,000 keys under
//! 50 writers), which costs log size and copy-on-write memory meanwhile,
//! never a lost write. Memory peaks at 1.4 to 1.6 times the data with one
//! client overwriting random keys and about 1.95 times with fifty doing it
//! as fast as they can: copy-on-write copies every page a write touches
//! while the child runs. The measured runs are in `tests/bench/RESULTS.md`.
//!
//! A child something waits on ([`Priority::Urgent`]: the snapshot of a
//! data set a replica just loaded, whose primary's stream waits for it)
//! keeps the loop's priority instead: under a flood of requests the loop
//! leaves a nice-19 child almost nothing, and with it the replica's link.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;

extern "C" {
    fn fork() -> i32;
    fn setpriority(which: i32, who: u32, priority: i32) -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn _exit(code: i32) -> !;
    fn kill(pid: i32, signal: i32) -> i32;
}

const WNOHANG: i32 = 1;
const PRIO_PROCESS: i32 = 0;

/// The child's nice value. It inherits the loop's CPU affinity, so on a
/// server pinned to one core it competes with the loop for that core:
/// at the lowest priority it takes only what the loop leaves idle, and a
/// snapshot taken under full load takes longer instead of stalling
/// replies (with 50 clients pipelining, a 0.1 s snapshot at equal
/// priority doubled the p99 latency of the whole run).
const CHILD_NICENESS: i32 = 19;
const SIGKILL: i32 = 9;

/// How the child competes with the loop for the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Nice 19: only what the loop leaves idle.
    Background,
    /// The loop's own priority: something waits for the child.
    Urgent,
}

/// A running child and the parent's end of its report channel.
pub struct Child {
    pub pid: i32,
    report: UnixStream,
}

/// How a child ended.
#[derive(Debug)]
pub enum Outcome {
    /// Its report line.
    Done(String),
    Failed(String),
}

/// Forks; the child runs `work` and exits with its report. Returns the
/// child in the parent.
pub fn spawn(priority: Priority, work: impl FnOnce() -> Result<String, String>) -> io::Result<Child> {
    let (parent_end, mut child_end) = UnixStream::pair()?;
    // SAFETY: the child only runs `work` (which reads memory it now owns
    // a private copy of, and writes files) and then `_exit`s; glibc makes
    // malloc usable after fork, and the loop has no other thread holding
    // locks the child needs (the fsync thread takes none of them).
    let pid = unsafe { fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        drop(parent_end);
        if priority == Priority::Background {
            // SAFETY: plain system call on this process; failure only
            // leaves the priority as it was.
            unsafe { setpriority(PRIO_PROCESS, 0, CHILD_NICENESS) };
        }
        // A panic must not unwind into the child's copy of the server.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        let (line, code) = match outcome {
            Ok(Ok(report)) => (format!("ok {report}"), 0),
            Ok(Err(why)) => (format!("err {why}"), 1),
            Err(_) => ("err the snapshot process panicked".to_string(), 1),
        };
        let _ = child_end.write_all(line.as_bytes());
        drop(child_end);
        // SAFETY: ends the child without unwinding or running the
        // parent's destructors.
        unsafe { _exit(code) }
    }
    drop(child_end);
    parent_end.set_nonblocking(true)?;
    Ok(Child { pid, report: parent_end })
}

impl Child {
    /// The outcome if the child has exited, without waiting.
    pub fn try_finish(&mut self) -> Option<Outcome> {
        let mut status = 0;
        // SAFETY: plain system call on our own child's pid.
        let done = unsafe { waitpid(self.pid, &mut status, WNOHANG) };
        if done == 0 {
            return None;
        }
        Some(self.outcome(done, status))
    }

    /// Waits for the child to exit.
    pub fn finish(mut self) -> Outcome {
        let mut status = 0;
        loop {
            // SAFETY: as above.
            let done = unsafe { waitpid(self.pid, &mut status, 0) };
            if done >= 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return self.outcome(done, status);
            }
        }
    }

    /// Kills the child and reaps it.
    pub fn abort(self) {
        // SAFETY: signals our own child.
        unsafe { kill(self.pid, SIGKILL) };
        let _ = self.finish();
    }

    fn outcome(&mut self, done: i32, status: i32) -> Outcome {
        if done < 0 {
            return Outcome::Failed(format!("waitpid failed: {}", io::Error::last_os_error()));
        }
        let _ = self.report.set_nonblocking(false);
        let _ = self.report.set_read_timeout(Some(std::time::Duration::from_secs(1)));
        let mut line = String::new();
        let _ = (&self.report).take(64 * 1024).read_to_string(&mut line);
        let exited_ok = status & 0x7f == 0 && (status >> 8) & 0xff == 0;
        match line.strip_prefix("ok ") {
            Some(report) if exited_ok => Outcome::Done(report.to_string()),
            _ => match line.strip_prefix("err ") {
                Some(why) => Outcome::Failed(why.to_string()),
                None => Outcome::Failed(format!("the snapshot process ended abnormally (status {status})")),
            },
        }
    }
}
