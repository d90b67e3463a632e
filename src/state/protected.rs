//! Protected mode, as Redis 7.0 has it: while `protected-mode` is `yes`
//! and the `default` user needs no password, a client that connects from
//! anywhere but the loopback interface gets `-DENIED` with Redis's
//! explanation and is closed before it can send anything.
//!
//! Invariant: loopback means a peer address of exactly `127.0.0.1` or
//! `::1`, as Redis compares it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::ServerState;

/// Redis's reply to a client refused by protected mode.
pub const PROTECTED_MODE_DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is \
enabled and no password is set for the default user. In this mode connections are only accepted from the loopback \
interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: \
1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by \
connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible \
from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable \
the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then \
restarting the server. 3) If you started the server manually just for testing, restart it with the \
'--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to \
do one of the above things in order for the server to start accepting connections from the outside.\r\n";

impl ServerState {
    /// Whether a client connecting from `peer` is refused.
    pub fn refuses_as_protected(&self, peer: &SocketAddr) -> bool {
        let loopback = matches!(peer.ip(), IpAddr::V4(ip) if ip == Ipv4Addr::LOCALHOST)
            || matches!(peer.ip(), IpAddr::V6(ip) if ip == Ipv6Addr::LOCALHOST);
        self.config.protected_mode && !loopback && self.acl.default_needs_no_password()
    }
}
