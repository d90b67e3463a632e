//! The command table: every command's name, arity, flags, key positions,
//! handler, and the rest of what `COMMAND` tells clients (ACL categories,
//! key specs, tips, docs with arguments and history, subcommands), as
//! data. Dispatch checks arity and flags from here before any handler
//! runs; `COMMAND INFO`, `DOCS`, `LIST` and `GETKEYS` answer from here too.
//!
//! Each family file exports a `COMMANDS` slice (listed in `families()`
//! below); a command is one entry:
//!
//! ```text
//! CommandSpec::new("get", 2, Flags::READONLY.or(Flags::FAST), KEY1, get)
//!     .acl("string")                        // categories the flags do not imply
//!     .keys(&[key(1, "RO access")])         // key specs (meta::key, after_keyword)
//!     .tips("nondeterministic_output")      // only if Redis has tips
//!     .doc("string", "1.0.0", "O(1)", "Get the value of a key")
//!     .history(&[("6.2.0", "...")])         // only if Redis has history
//!     .args(&[arg::key("key", 0)]),         // meta::arg constructors
//! ```
//!
//! plus `.deprecated(since, replaced_by)`, `.syscmd()`,
//! `.subcommands(&[...])` (entries named `container|sub`) and
//! `.variable_key_flags(f)` and `.key_finder(f)` (with `meta::unknown`
//! key specs) where Redis has them. `new` alone still
//! declares a working command; `tests/it/command_meta.rs` compares every
//! listed command with `redis-server` and fails until the rest is filled
//! in.
//!
//! # Invariants
//!
//! * `flags` are Redis 7.0's flags of the command (what `COMMAND INFO`
//!   shows; Redis's hidden ones are left out), and dispatch reads them:
//!   `write` is logged, `no_auth` runs before `AUTH`, `no_multi` is
//!   refused inside `MULTI`, `noscript` is refused to scripts, `admin`
//!   and `skip_monitor` are not shown to `MONITOR`, `skip_slowlog` is
//!   kept out of the slow log.
//! * ACL categories hold only what the flags do not imply (see
//!   `meta::categories`); `movablekeys` is
//!   derived from the key specs.
//! * A container (`CONFIG`, `CLIENT`...) lists its subcommands as entries
//!   of their own, named `container|sub`, whose handler is the
//!   container's. Dispatch uses the subcommand's entry (arity, flags) when
//!   it knows the subcommand, and leaves an unknown one to the handler.
//!   Subcommands share their container's statistics slot.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use super::meta::{Doc, FoundKey, KeySpec};
use super::{CmdResult, Ctx};
use crate::protocol::Args;

/// Command flags (a small hand-written bit set): Redis 7.0's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(u32);

impl Flags {
    pub const NONE: Flags = Flags(0);
    /// Changes the keyspace: logged to the append-only file, refused when
    /// the disk fails.
    pub const WRITE: Flags = Flags(1 << 0);
    pub const READONLY: Flags = Flags(1 << 1);
    /// May allocate memory for new data.
    pub const DENYOOM: Flags = Flags(1 << 2);
    pub const ADMIN: Flags = Flags(1 << 3);
    /// A pub/sub command (Redis's flag; which commands run in RESP2
    /// subscribed mode is a fixed list, see `cmd::pubsub`).
    pub const PUBSUB: Flags = Flags(1 << 4);
    /// Refused to scripts.
    pub const NOSCRIPT: Flags = Flags(1 << 5);
    pub const BLOCKING: Flags = Flags(1 << 6);
    pub const LOADING: Flags = Flags(1 << 7);
    pub const STALE: Flags = Flags(1 << 8);
    /// Not shown to `MONITOR`.
    pub const SKIP_MONITOR: Flags = Flags(1 << 9);
    /// Not kept in the slow log.
    pub const SKIP_SLOWLOG: Flags = Flags(1 << 10);
    pub const FAST: Flags = Flags(1 << 11);
    /// Allowed before `AUTH`.
    pub const NO_AUTH: Flags = Flags(1 << 12);
    /// `COMMAND GETKEYS` answers an empty list instead of an error when
    /// it finds no key.
    pub const NO_MANDATORY_KEYS: Flags = Flags(1 << 13);
    pub const NO_ASYNC_LOADING: Flags = Flags(1 << 14);
    /// Not allowed inside `MULTI`.
    pub const NO_MULTI: Flags = Flags(1 << 15);
    /// Key positions cannot be told from first/last/step alone (shown
    /// when a key spec is not a plain index and range, too).
    pub const MOVABLEKEYS: Flags = Flags(1 << 16);
    /// Runs while a script is busy.
    pub const ALLOW_BUSY: Flags = Flags(1 << 17);
    /// Entries written before subcommands had entries of their own mark a
    /// container with this (not shown; `CommandSpec::subcommands` is the
    /// way now). It still makes `CLIENT LIST` name the subcommand.
    pub const SUBCOMMANDS: Flags = Flags(1 << 18);
    /// Not a Redis 7.0 flag (the `nondeterministic_output` tip says it):
    /// accepted from older entries, not shown.
    pub const RANDOM: Flags = Flags(1 << 19);

    pub const fn or(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any of `other`'s flags is set.
    pub const fn any(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// Redis's flag names in `COMMAND INFO`'s order (hidden ones left
    /// out).
    pub fn names(self) -> Vec<&'static str> {
        let all = [
            (Flags::WRITE, "write"),
            (Flags::READONLY, "readonly"),
            (Flags::DENYOOM, "denyoom"),
            (Flags::ADMIN, "admin"),
            (Flags::PUBSUB, "pubsub"),
            (Flags::NOSCRIPT, "noscript"),
            (Flags::BLOCKING, "blocking"),
            (Flags::LOADING, "loading"),
            (Flags::STALE, "stale"),
            (Flags::SKIP_MONITOR, "skip_monitor"),
            (Flags::SKIP_SLOWLOG, "skip_slowlog"),
            (Flags::FAST, "fast"),
            (Flags::NO_AUTH, "no_auth"),
            (Flags::NO_MANDATORY_KEYS, "no_mandatory_keys"),
            (Flags::NO_ASYNC_LOADING, "no_async_loading"),
            (Flags::NO_MULTI, "no_multi"),
            (Flags::MOVABLEKEYS, "movablekeys"),
            (Flags::ALLOW_BUSY, "allow_busy"),
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
#[derive(Clone, Copy)]
pub struct CommandSpec {
    /// Lower-case name, as error messages print it; `container|sub` for a
    /// subcommand.
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
    /// This entry's own bit in ACL permission sets (a subcommand has its
    /// own; see `state::acl::catalog`).
    pub acl_bit: usize,
    /// ACL categories the flags do not imply, space-separated, without
    /// `@` (`"keyspace string"`).
    pub acl: &'static str,
    /// Where the keys are, as Redis 7.0's key specs.
    pub key_specs: &'static [KeySpec],
    /// Redis's command tips, space-separated.
    pub tips: &'static str,
    pub doc: Doc,
    pub subcommands: &'static [CommandSpec],
    /// For a key spec marked `variable_flags`: the key flags of a given
    /// call (`SET ... GET` reads its key).
    /// As bits (`meta::key_flag_bits`).
    pub variable_key_flags: Option<fn(Args<'_>) -> u16>,
    /// Redis's own key finder for the command, used when the key specs
    /// cannot tell a call's keys (an `unknown` spec).
    pub key_finder: Option<fn(Args<'_>) -> Vec<FoundKey>>,
}

impl CommandSpec {
    pub const fn new(name: &'static str, arity: i32, flags: Flags, keys: (i32, i32, i32), handler: Handler) -> Self {
        CommandSpec {
            name,
            arity,
            flags,
            first_key: keys.0,
            last_key: keys.1,
            step: keys.2,
            handler,
            id: 0,
            acl_bit: 0,
            acl: "",
            key_specs: &[],
            tips: "",
            doc: Doc::NONE,
            subcommands: &[],
            variable_key_flags: None,
            key_finder: None,
        }
    }

    /// Sets the ACL categories the flags do not imply.
    pub const fn acl(mut self, categories: &'static str) -> Self {
        self.acl = categories;
        self
    }

    /// Sets the key specs.
    pub const fn keys(mut self, specs: &'static [KeySpec]) -> Self {
        self.key_specs = specs;
        self
    }

    /// Sets the command tips.
    pub const fn tips(mut self, tips: &'static str) -> Self {
        self.tips = tips;
        self
    }

    /// Sets the docs: group, version it appeared in, complexity, summary.
    pub const fn doc(
        mut self,
        group: &'static str,
        since: &'static str,
        complexity: &'static str,
        summary: &'static str,
    ) -> Self {
        self.doc = Doc { group, since, complexity, summary, ..self.doc };
        self
    }

    /// Marks the command deprecated since a version, naming what replaces
    /// it.
    pub const fn deprecated(mut self, since: &'static str, replaced_by: &'static str) -> Self {
        self.doc.deprecated_since = since;
        self.doc.replaced_by = replaced_by;
        self
    }

    /// Sets the changes by version: (version, what changed).
    pub const fn history(mut self, history: &'static [(&'static str, &'static str)]) -> Self {
        self.doc.history = history;
        self
    }

    /// Sets the argument list `COMMAND DOCS` shows.
    pub const fn args(mut self, args: &'static [super::meta::Arg]) -> Self {
        self.doc.args = args;
        self
    }

    /// Marks the command as a system command in its docs (`DEBUG`).
    pub const fn syscmd(mut self) -> Self {
        self.doc.syscmd = true;
        self
    }

    /// Sets the subcommands of a container.
    pub const fn subcommands(mut self, subcommands: &'static [CommandSpec]) -> Self {
        self.subcommands = subcommands;
        self
    }

    /// Sets how a call's key flags are told, for a spec marked
    /// `variable_flags`.
    pub const fn variable_key_flags(mut self, flags_of: fn(Args<'_>) -> u16) -> Self {
        self.variable_key_flags = Some(flags_of);
        self
    }

    /// Sets the command's own key finder, for a call its key specs
    /// cannot tell (`meta::unknown` specs).
    pub const fn key_finder(mut self, finder: fn(Args<'_>) -> Vec<FoundKey>) -> Self {
        self.key_finder = Some(finder);
        self
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

    /// A container of subcommands (`CONFIG`, `CLIENT`...).
    pub fn is_container(&self) -> bool {
        !self.subcommands.is_empty() || self.flags.contains(Flags::SUBCOMMANDS)
    }

    /// Flags as `COMMAND INFO` shows them: `movablekeys` added when a key
    /// spec is not a plain index and range.
    pub fn shown_flags(&self) -> Flags {
        if self.key_specs.iter().any(|k| !k.is_plain()) {
            self.flags.or(Flags::MOVABLEKEYS)
        } else {
            self.flags
        }
    }

    /// This container's entry for subcommand `sub` (any case), if it has
    /// one; `None` for a command without subcommands.
    pub fn subcommand(&self, sub: &[u8]) -> Option<&'static CommandSpec> {
        if self.subcommands.is_empty() || self.name.contains('|') {
            return None;
        }
        let subs = registry().subcommands.get(self.id)?;
        subs.iter().find(|s| s.name.split_once('|').is_some_and(|(_, n)| n.as_bytes().eq_ignore_ascii_case(sub)))
    }

    /// The registered entries of this container's subcommands (empty for
    /// other commands).
    pub fn registered_subcommands(&self) -> &'static [CommandSpec] {
        if self.subcommands.is_empty() || self.name.contains('|') {
            return &[];
        }
        registry().subcommands.get(self.id).map_or(&[], |subs| subs.as_slice())
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
        super::dump::COMMANDS,
        super::replication::COMMANDS,
        super::replicaof::COMMANDS,
        super::migrate::COMMANDS,
        super::expire::COMMANDS,
        super::list::COMMANDS,
        super::hash::COMMANDS,
        super::set::COMMANDS,
        super::zset::COMMANDS,
        super::zset_range::COMMANDS,
        super::zset_algebra::COMMANDS,
        super::zset_pop::COMMANDS,
        super::connection::COMMANDS,
        super::server::COMMANDS,
        super::introspection::COMMANDS,
        super::memory::COMMANDS,
        super::pubsub::COMMANDS,
        super::transaction::COMMANDS,
        super::blocking::COMMANDS,
        super::scripting::COMMANDS,
        super::functions::COMMANDS,
        super::latency::COMMANDS,
        super::debug::COMMANDS,
        super::stream::COMMANDS,
        super::stream_read::COMMANDS,
        super::stream_group::COMMANDS,
        super::stream_claim::COMMANDS,
        super::stream_info::COMMANDS,
        super::bitmap::COMMANDS,
        super::hyperloglog::COMMANDS,
        super::acl::COMMANDS,
        super::cluster::COMMANDS,
        super::geo::COMMANDS,
        super::lcs::COMMANDS,
        super::sort::COMMANDS,
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
    /// Per command id, its subcommands' entries (carrying its id).
    subcommands: Vec<Vec<CommandSpec>>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut by_name = HashMap::default();
        let mut subcommands = Vec::new();
        let mut acl_bit = 0;
        let mut next_bit = || {
            acl_bit += 1;
            acl_bit - 1
        };
        for (id, spec) in families().enumerate() {
            by_name.insert(spec.name.as_bytes(), CommandSpec { id, acl_bit: next_bit(), ..*spec });
            subcommands
                .push(spec.subcommands.iter().map(|sub| CommandSpec { id, acl_bit: next_bit(), ..*sub }).collect());
        }
        Registry { by_name, subcommands }
    })
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

/// The entry that runs `args`: a known subcommand's for a container
/// given one, else the command's.
#[inline]
pub fn lookup_args(args: Args<'_>) -> Option<&'static CommandSpec> {
    let spec = lookup(args.get(0))?;
    if spec.subcommands.is_empty() || args.len() < 2 {
        return Some(spec);
    }
    Some(spec.subcommand(args.get(1)).unwrap_or(spec))
}

/// Finds a command or a subcommand by its full name (`get`,
/// `config|get`), as `COMMAND INFO` and `COMMAND DOCS` take it.
pub fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    let mut parts = name.split(|&b| b == b'|');
    let base = lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) => base.subcommand(sub),
        _ => None,
    }
}

/// Every command, in no particular order.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    registry().by_name.values()
}

/// Number of commands (for sizing statistics tables).
pub fn count() -> usize {
    registry().by_name.len()
}
