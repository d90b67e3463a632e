//! `CLIENT PAUSE`: until when clients wait, and which of their commands.
//!
//! While a pause lasts, a client's next command that it applies to is
//! not run: the loop leaves it in the client's input and lists the client
//! in [`ServerState::paused_clients`]; reading goes on, so the client's
//! further input is kept behind it. `ALL` applies to every command (also
//! `CLIENT UNPAUSE`, as in Redis: only the timeout ends such a pause), and
//! `WRITE` to commands that may change data or be propagated: write
//! commands, `EVAL`, `EVALSHA`, `FCALL`, `PUBLISH`, and `EXEC` of a
//! transaction holding one. The active expiry cycle waits too. A second
//! pause extends the first (the later end, the stronger mode), as Redis's
//! `pauseClients` does. When the pause ends (`CLIENT UNPAUSE`, or the
//! timer tick after its end), the waiting clients run in the order they
//! started waiting.

use super::ServerState;

/// A pause in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientPause {
    /// Unix time in milliseconds when it ends.
    pub until_ms: i64,
    /// `ALL` (every command) rather than `WRITE`.
    pub all: bool,
}

impl ServerState {
    /// Starts or extends a pause.
    pub fn pause_clients(&mut self, until_ms: i64, all: bool) {
        self.pause = Some(match self.pause {
            Some(current) => ClientPause { until_ms: current.until_ms.max(until_ms), all: current.all || all },
            None => ClientPause { until_ms, all },
        });
    }

    /// The pause in force at `now_ms`, if any; forgets one that has ended.
    pub fn pause_at(&mut self, now_ms: i64) -> Option<ClientPause> {
        if self.pause.is_some_and(|p| p.until_ms <= now_ms) {
            self.pause = None;
        }
        self.pause
    }

    /// Ends the pause (`CLIENT UNPAUSE`).
    pub fn unpause_clients(&mut self) {
        self.pause = None;
    }

    /// The clients to run again once no pause is in force.
    pub fn take_unpaused(&mut self, now_ms: i64) -> Vec<usize> {
        if self.paused_clients.is_empty() || self.pause_at(now_ms).is_some() {
            return Vec::new();
        }
        std::mem::take(&mut self.paused_clients)
    }
}
