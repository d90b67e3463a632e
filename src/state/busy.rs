//! What a long-running script asks of the loop. A script runs inside one
//! command, so the loop cannot turn to other clients until it returns;
//! past `busy-reply-threshold` the script calls back through
//! [`BusyLoop`] every so often, and the loop answers everyone else
//! `-BUSY`, except the commands that end the script (`SCRIPT KILL`,
//! `FUNCTION KILL`, `SHUTDOWN NOSAVE`).

use super::ServerState;

/// What other clients asked for while a script was running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusyRequest {
    /// Nothing: the script goes on.
    None,
    /// `SCRIPT KILL` or `FUNCTION KILL` of a script that has not written:
    /// stop it with Redis's error.
    Kill,
}

/// What runs: an `EVAL` script or a function, and whether it has
/// changed data (then it can no longer be killed: only `SHUTDOWN NOSAVE`
/// ends it, and the server with it, its changes unlogged).
#[derive(Clone, Copy)]
pub struct Running<'r> {
    pub function: bool,
    pub wrote: bool,
    /// The script's SHA-1 or the function's name.
    pub name: &'r str,
    /// The command that runs it, as sent.
    pub command: crate::protocol::Args<'r>,
    pub elapsed_ms: u64,
    /// Function libraries and functions loaded, for `FUNCTION STATS`.
    pub function_counts: (usize, usize),
}

/// The loop's side of a long-running script.
pub trait BusyLoop {
    /// Serves the other clients for a moment: reads what they sent and
    /// answers it.
    fn serve_others(&mut self, state: &mut ServerState, running: Running<'_>) -> BusyRequest;
}
