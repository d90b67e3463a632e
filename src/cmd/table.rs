//! The command table: every command's name, arity, flags, key positions
//! and handler, as data. Dispatch checks arity and flags from here before
//! any handler runs; `COMMAND INFO` answers from here too. Each family
//! file exports a `COMMANDS` slice; adding a command is adding an entry.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use super::{CmdResult, Ctx};
use crate::protocol::Args;

/// Command flags (a small hand-written bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// Changes the keyspace: logged to the append-only file, refused when
    /// the disk fails.
    pub const WRITE: Flags = Flags(1 << 0);
    pub const READONLY: Flags = Flags(1 << 1);
    pub const ADMIN: Flags = Flags(1 << 2);
    /// Allowed in RESP2 subscribed mode.
    pub const PUBSUB: Flags = Flags(1 << 3);
    /// Allowed before `AUTH`.
    pub const NO_AUTH: Flags = Flags(1 << 4);
    pub const FAST: Flags = Flags(1 << 5);
    /// May allocate memory for new data.
    pub const DENYOOM: Flags = Flags(1 << 6);
    /// Not allowed inside `MULTI`.
    pub const NO_MULTI: Flags = Flags(1 << 7);
    pub const BLOCKING: Flags = Flags(1 << 8);
    /// Non-deterministic output (`RANDOMKEY`, `SPOP`...).
    pub const RANDOM: Flags = Flags(1 << 9);
    pub const LOADING: Flags = Flags(1 << 10);
    pub const STALE: Flags = Flags(1 << 11);
    /// A container of subcommands (`CLIENT`, `CONFIG`...).
    pub const SUBCOMMANDS: Flags = Flags(1 << 12);

    pub const fn or(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Redis's flag names, for `COMMAND INFO`.
    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (Flags::WRITE, "write"),
            (Flags::READONLY, "readonly"),
            (Flags::DENYOOM, "denyoom"),
            (Flags::ADMIN, "admin"),
            (Flags::PUBSUB, "pubsub"),
            (Flags::NO_AUTH, "no_auth"),
            (Flags::FAST, "fast"),
            (Flags::NO_MULTI, "no_multi"),
            (Flags::BLOCKING, "blocking"),
            (Flags::RANDOM, "random"),
            (Flags::LOADING, "loading"),
            (Flags::STALE, "stale"),
        ];
        all.iter().filter(|(f, _)| self.contains(*f)).map(|&(_, n)| n).collect()
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        self.or(rhs)
    }
}

pub type Handler = fn(&mut Ctx<'_>, Args<'_>) -> CmdResult;

/// One command's metadata and handler.
pub struct CommandSpec {
    /// Lower-case name, as error messages print it.
    pub name: &'static str,
    /// Redis convention: `n` exactly n arguments (name included), `-n` at
    /// least n.
    pub arity: i32,
    pub flags: Flags,
    pub first_key: i32,
    pub last_key: i32,
    pub step: i32,
    pub handler: Handler,
    /// Index into the command statistics table.
    pub id: usize,
}

impl CommandSpec {
    pub const fn new(name: &'static str, arity: i32, flags: Flags, keys: (i32, i32, i32), handler: Handler) -> Self {
        CommandSpec { name, arity, flags, first_key: keys.0, last_key: keys.1, step: keys.2, handler, id: 0 }
    }

    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    pub fn is_write(&self) -> bool {
        self.flags.contains(Flags::WRITE)
    }
}

/// Key positions shorthand: no keys.
pub const NO_KEYS: (i32, i32, i32) = (0, 0, 0);
/// Key positions shorthand: the first argument is the only key.
pub const KEY1: (i32, i32, i32) = (1, 1, 1);

fn families() -> impl Iterator<Item = &'static CommandSpec> {
    [
        super::string::COMMANDS,
        super::keys::COMMANDS,
        super::expire::COMMANDS,
        super::list::COMMANDS,
        super::hash::COMMANDS,
        super::set::COMMANDS,
        super::zset::COMMANDS,
        super::connection::COMMANDS,
        super::server::COMMANDS,
        super::pubsub::COMMANDS,
        super::transaction::COMMANDS,
        super::blocking::COMMANDS,
        super::scripting::COMMANDS,
        super::functions::COMMANDS,
        super::latency::COMMANDS,
        super::debug::COMMANDS,
    ]
    .into_iter()
    .flatten()
}

/// A cheap hasher for the command-name map (names are short and trusted).
#[derive(Default)]
struct NameHasher(u64);

impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = crate::store::hash::hash_with_seed(0x5eed ^ self.0, bytes);
    }
}

struct Registry {
    by_name: HashMap<&'static [u8], CommandSpec, BuildHasherDefault<NameHasher>>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut by_name = HashMap::default();
        for (id, spec) in families().enumerate() {
            let copy = CommandSpec { id, ..*spec };
            by_name.insert(spec.name.as_bytes(), copy);
        }
        Registry { by_name }
    })
}

impl Clone for CommandSpec {
    fn clone(&self) -> Self {
        CommandSpec { ..*self }
    }
}

/// Finds a command by name, case-insensitively, without allocating.
#[inline]
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut lower = [0u8; 32];
    if name.len() > lower.len() {
        return None;
    }
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    registry().by_name.get(&lower[..name.len()])
}

/// Every command, in no particular order.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    registry().by_name.values()
}

/// Number of commands (for sizing statistics tables).
pub fn count() -> usize {
    registry().by_name.len()
}
