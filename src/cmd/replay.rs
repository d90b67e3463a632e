//! Running log records as commands: replaying the snapshot and the log at
//! start-up, and the `commands` fuzz target. Each record goes through
//! [`execute`] like a client's command, as [`Caller::Replay`], with a
//! session of its own, at the time the record says; nothing it runs is
//! logged again, timed or counted.

use log::warn;

use super::table::lookup_args;
use super::{execute, Caller, Ctx};
use crate::protocol::{Args, Reply};
use crate::state::{Client, ServerState};
use crate::store::Keyspace;

/// Whether a log record may hold this command: a write command, or
/// `DEBUG POPULATE`, which logs itself.
pub fn loggable(args: Args<'_>) -> bool {
    lookup_args(args).is_some_and(|spec| {
        spec.is_write() || (spec.name == "debug" && args.len() > 1 && args.get(1).eq_ignore_ascii_case(b"populate"))
    })
}

/// A session that replays commands into a keyspace.
pub struct Replay<'a> {
    store: &'a mut Keyspace,
    state: &'a mut ServerState,
    client: usize,
    out: Vec<u8>,
    errors: u64,
}

impl<'a> Replay<'a> {
    /// Opens the session; nothing it runs is logged again.
    pub fn new(store: &'a mut Keyspace, state: &'a mut ServerState) -> Replay<'a> {
        let client = state.clients.insert(Client { authenticated: true, ..Client::default() });
        state.persist.aof.loading = true;
        Replay { store, state, client, out: Vec::new(), errors: 0 }
    }

    /// Runs one command against database `db` as if at `time_ms`. The
    /// reply is dropped; an error reply is counted and logged.
    pub fn run(&mut self, time_ms: i64, db: usize, args: Args<'_>) -> Result<(), String> {
        if db >= self.store.db_count() {
            return Err(format!("a command for database {db}, but DATABASES is {}", self.store.db_count()));
        }
        // Anything else (SHUTDOWN, DEBUG SLEEP, CONFIG SET...) in a file
        // means the file is not what Efis wrote.
        if !loggable(args) {
            let name: String = String::from_utf8_lossy(args.get(0)).chars().take(64).collect();
            return Err(format!("a record holds '{name}', which is not a write command"));
        }
        self.run_into(time_ms, db, args);
        if self.out.first() == Some(&b'-') {
            self.errors += 1;
            if self.errors <= 10 {
                let name = String::from_utf8_lossy(args.get(0));
                let text = String::from_utf8_lossy(&self.out);
                warn!("replaying '{name}' answered {}", text.trim_end());
            }
        }
        Ok(())
    }

    /// Runs one command and leaves its reply in [`Replay::reply`] (with the
    /// session's own push messages after it, were it ever subscribed).
    pub fn run_into(&mut self, time_ms: i64, db: usize, args: Args<'_>) {
        self.out.clear();
        let mut ctx = Ctx {
            store: self.store,
            server: self.state,
            client_key: self.client,
            db_index: db,
            out: Reply::new(&mut self.out, false),
            now_ms: time_ms,
            caller: Caller::Replay,
            unserved: false,
            busy: None,
        };
        execute(&mut ctx, args);
    }

    /// The reply of the last command.
    pub fn reply(&self) -> &[u8] {
        &self.out
    }

    /// Closes the session; returns how many commands answered an error.
    pub fn finish(self) -> u64 {
        self.state.clients.remove(self.client);
        self.state.persist.aof.loading = false;
        self.errors
    }
}

impl crate::persist::load::Replayer for Replay<'_> {
    fn expect_keys(&mut self, keys: u64) {
        self.store.reserve_for_load(usize::try_from(keys).unwrap_or(usize::MAX));
    }

    fn apply(&mut self, time_ms: i64, db: usize, args: Args<'_>) -> Result<(), String> {
        self.run(time_ms, db, args)
    }

    fn keyspace(&mut self) -> &mut Keyspace {
        self.store
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::ValueRef;

    fn run(replay: &mut Replay<'_>, parts: &[&[u8]]) {
        let mut data = Vec::new();
        let mut spans = Vec::new();
        for part in parts {
            spans.push((data.len(), data.len() + part.len()));
            data.extend_from_slice(part);
        }
        replay.run_into(0, 0, Args::new(&data, &spans));
    }

    fn set_resizing(store: &Keyspace, key: &[u8]) -> bool {
        match store.db_ref(0).peek(key, 0).map(|entry| entry.value()) {
            Some(ValueRef::Set(set)) => set.is_resizing(),
            _ => panic!("no set under {key:?}"),
        }
    }

    #[test]
    fn a_collection_left_mid_resize_is_handed_to_the_timer() {
        let config = Config { backup_path: "/nonexistent/efis-test".into(), ..Config::default() };
        let mut store = Keyspace::new(16);
        let mut state = ServerState::new(config, 0);
        let mut replay = Replay::new(&mut store, &mut state);
        // Add members until an SADD leaves the set's table mid-resize, as
        // the last write a set ever gets may.
        let mut added = 0;
        loop {
            run(&mut replay, &[b"SADD", b"s", format!("m{added}").as_bytes()]);
            assert_eq!(replay.reply(), b":1\r\n");
            added += 1;
            if set_resizing(replay.store, b"s") {
                break;
            }
            assert!(added < 100_000, "no resize was left under way");
        }
        replay.finish();
        let mut steps = 0;
        while !store.finish_resizes_some(64) {
            steps += 1;
        }
        assert!(steps > 0);
        assert!(!set_resizing(&store, b"s"), "the timer's steps finished the set's resize");
    }
}
