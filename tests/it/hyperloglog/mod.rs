//! HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST)
//! and what bitmaps and HyperLogLogs leave in the log and snapshots.
//!
//! * `commands`: replies and value bytes on the wire, as Redis 7.0
//!   answers them (checked with `EFIS_TEST_SERVER=redis`).
//! * `side_by_side`: the same commands sent to the server under test and
//!   to a reference `redis-server` started beside it; the values (`GET`)
//!   and counts must be byte for byte the same: sparse, promotion to
//!   dense, merges, large random sets, random sequences.
//! * `persistence`: every bitmap and HyperLogLog write replays to the
//!   same bytes after `kill -9`, from the log and from a snapshot.

mod commands;
mod persistence;
mod side_by_side;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::needs::{self, Need};
use crate::common::{free_port, fresh_temp_dir, Value};

/// A `redis-server` of its own, the reference the values are compared
/// with; stopped when dropped.
pub struct Reference {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Reference {
    /// Starts one; `None` (the test is skipped, or fails under
    /// `EFIS_REQUIRE_TOOLS=1`) when `redis-server` is missing.
    pub fn start() -> Option<Reference> {
        let binary = needs::tool(Need::RedisServer)?;
        let dir = fresh_temp_dir("hll-ref");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn redis-server");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(Reference { child, port, dir });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the reference redis-server did not start");
    }

    pub fn client(&self) -> redis::Connection {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).expect("client");
        client.get_connection().expect("connect to the reference")
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `args` and returns the reply, errors included (as text).
pub fn reply(con: &mut redis::Connection, args: &[&[u8]]) -> Result<Value, String> {
    crate::common::cmd_bytes(con, args).map_err(|e| crate::common::err_text(&e))
}
