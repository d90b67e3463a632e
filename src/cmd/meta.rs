//! What `COMMAND` tells about a command besides its name, arity and
//! flags: ACL categories, key specs, docs, and the keys a given call
//! names (`COMMAND GETKEYS`). The data itself is in each family's
//! `COMMANDS` table (see `table.rs`); this module holds its types and the
//! rules Redis 7.0 applies to them.
//!
//! # Invariants
//!
//! * A command's ACL categories are those its entry declares plus those
//!   its flags imply, as Redis sets them: `write` gives `@write`,
//!   `readonly` `@read` (not for `@scripting` commands), `admin` `@admin`
//!   and `@dangerous`, `pubsub` `@pubsub`, `fast` `@fast`, `blocking`
//!   `@blocking`, and a command that is not `@fast` is `@slow`.
//! * Key flags, categories and tips are written as Redis names them,
//!   space-separated; [`KEY_FLAGS`] and [`CATEGORIES`] list the names
//!   that exist, in the order Redis prints them.
//! * Keys are found by the key specs alone, as Redis does for its own
//!   commands when every spec is an index or keyword followed by a range
//!   or a key count. A call whose specs do not fit (a key count that is
//!   not a number, or points past the end, or an `unknown` spec) goes to
//!   the command's own key finder as Redis's does: the entry's
//!   `key_finder` (SORT, SORT_RO) or the `atoi` reading of a key count;
//!   without either it names no keys.

use super::args::parse_i64_opt;
use super::table::{CommandSpec, Flags};
use crate::protocol::Args;

/// A command's documentation, as `COMMAND DOCS` shows it (an empty
/// string is a field left out).
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    pub since: &'static str,
    /// Redis's command group (`string`, `sorted-set`, `server`...).
    pub group: &'static str,
    pub complexity: &'static str,
    pub deprecated_since: &'static str,
    pub replaced_by: &'static str,
    /// A system command (`DEBUG`): doc flag `syscmd`.
    pub syscmd: bool,
    /// Changes by version: (version, what changed).
    pub history: &'static [(&'static str, &'static str)],
    pub args: &'static [Arg],
}

impl Doc {
    /// No docs yet; the group `generic` Redis gives a command without
    /// one.
    pub const NONE: Doc = Doc {
        summary: "",
        since: "",
        group: "generic",
        complexity: "",
        deprecated_since: "",
        replaced_by: "",
        syscmd: false,
        history: &[],
        args: &[],
    };

    /// Doc flags: `deprecated`, `syscmd`.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if !self.deprecated_since.is_empty() {
            flags.push("deprecated");
        }
        if self.syscmd {
            flags.push("syscmd");
        }
        flags
    }
}

/// One argument of a command, as `COMMAND DOCS` describes it.
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgKind,
    /// The keyword before the value (`WEIGHTS`), or the token itself for
    /// a pure token; empty for none.
    pub token: &'static str,
    pub since: &'static str,
    pub deprecated_since: &'static str,
    pub optional: bool,
    pub multiple: bool,
    /// With `multiple`: the token is repeated before each value.
    pub multiple_token: bool,
}

/// What an argument is; `OneOf` and `Block` hold their parts.
#[derive(Debug, Clone, Copy)]
pub enum ArgKind {
    String,
    Integer,
    Double,
    /// A key, found by this key spec (index into the command's specs).
    Key(i32),
    Pattern,
    /// A pattern that names keys, found by this key spec (SORT's `BY`).
    KeyPattern(i32),
    UnixTime,
    PureToken,
    OneOf(&'static [Arg]),
    Block(&'static [Arg]),
}

impl ArgKind {
    /// Redis's name of the type.
    pub fn name(&self) -> &'static str {
        match self {
            ArgKind::String => "string",
            ArgKind::Integer => "integer",
            ArgKind::Double => "double",
            ArgKind::Key(_) => "key",
            ArgKind::Pattern | ArgKind::KeyPattern(_) => "pattern",
            ArgKind::UnixTime => "unix-time",
            ArgKind::PureToken => "pure-token",
            ArgKind::OneOf(_) => "oneof",
            ArgKind::Block(_) => "block",
        }
    }
}

impl Arg {
    /// The keyword before the value.
    pub const fn token(mut self, token: &'static str) -> Arg {
        self.token = token;
        self
    }

    pub const fn optional(mut self) -> Arg {
        self.optional = true;
        self
    }

    pub const fn multiple(mut self) -> Arg {
        self.multiple = true;
        self
    }

    pub const fn multiple_token(mut self) -> Arg {
        self.multiple_token = true;
        self
    }

    /// The version that added the argument.
    pub const fn since(mut self, version: &'static str) -> Arg {
        self.since = version;
        self
    }

    pub const fn deprecated(mut self, version: &'static str) -> Arg {
        self.deprecated_since = version;
        self
    }

    /// Argument flags, in Redis's order.
    pub fn flags(&self) -> Vec<&'static str> {
        [(self.optional, "optional"), (self.multiple, "multiple"), (self.multiple_token, "multiple_token")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }
}

/// Constructors of [`Arg`]s by kind, for the command tables:
/// `arg::key("destination", 0)`, `arg::token("nx", "NX")`,
/// `arg::oneof("condition", &[...])`.
pub mod arg {
    use super::{Arg, ArgKind};

    const fn new(name: &'static str, kind: ArgKind) -> Arg {
        Arg {
            name,
            kind,
            token: "",
            since: "",
            deprecated_since: "",
            optional: false,
            multiple: false,
            multiple_token: false,
        }
    }

    pub const fn string(name: &'static str) -> Arg {
        new(name, ArgKind::String)
    }

    pub const fn integer(name: &'static str) -> Arg {
        new(name, ArgKind::Integer)
    }

    pub const fn double(name: &'static str) -> Arg {
        new(name, ArgKind::Double)
    }

    /// A key found by the command's key spec number `spec`.
    pub const fn key(name: &'static str, spec: i32) -> Arg {
        new(name, ArgKind::Key(spec))
    }

    pub const fn pattern(name: &'static str) -> Arg {
        new(name, ArgKind::Pattern)
    }

    /// A pattern naming keys, found by the command's key spec number
    /// `spec`.
    pub const fn key_pattern(name: &'static str, spec: i32) -> Arg {
        new(name, ArgKind::KeyPattern(spec))
    }

    pub const fn unix_time(name: &'static str) -> Arg {
        new(name, ArgKind::UnixTime)
    }

    /// A keyword standing alone (`NX`).
    pub const fn token(name: &'static str, token: &'static str) -> Arg {
        new(name, ArgKind::PureToken).token(token)
    }

    /// One of `choices`.
    pub const fn oneof(name: &'static str, choices: &'static [Arg]) -> Arg {
        new(name, ArgKind::OneOf(choices))
    }

    /// `parts` in order, as one argument.
    pub const fn block(name: &'static str, parts: &'static [Arg]) -> Arg {
        new(name, ArgKind::Block(parts))
    }
}

/// Where a key spec starts looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// At this argument.
    Index(i32),
    /// After this keyword, searched from `start` (from the end if
    /// negative).
    Keyword { keyword: &'static str, start: i32 },
    /// Redis's `unknown`: only the command's own key finder can tell.
    Unknown,
}

/// How a key spec finds its keys from where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// Keys up to `last` (relative to the start; negative counts from the
    /// end), every `step`; with `limit` > 0 and `last` -1, the first
    /// 1/limit of what is left.
    Range { last: i32, step: i32, limit: i32 },
    /// The argument at `index` (relative to the start) counts the keys,
    /// which begin `first` after the start, every `step`.
    KeyNum { index: i32, first: i32, step: i32 },
    /// Redis's `unknown`: only the command's own key finder can tell.
    Unknown,
}

/// One of Redis 7.0's key specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Redis's note on the spec, or empty.
    pub notes: &'static str,
    /// Key flags as Redis names them, space-separated (`"RW access"`).
    pub flags: &'static str,
    /// The same flags as bits of [`KEY_FLAGS`] (see [`key_flag_bits`]),
    /// read once when the table is built, not at every call.
    pub bits: u16,
    pub begin: Begin,
    pub find: Find,
}

/// A key spec: the key at argument `index`, alone (extend it with
/// [`KeySpec::range`] or [`KeySpec::numkeys`]).
pub const fn key(index: i32, flags: &'static str) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        bits: key_flag_bits(flags),
        begin: Begin::Index(index),
        find: Find::Range { last: 0, step: 1, limit: 0 },
    }
}

/// A key spec that starts after `keyword`, searched from argument
/// `start`.
pub const fn after_keyword(keyword: &'static str, start: i32, flags: &'static str) -> KeySpec {
    KeySpec {
        notes: "",
        flags,
        bits: key_flag_bits(flags),
        begin: Begin::Keyword { keyword, start },
        find: Find::Range { last: 0, step: 1, limit: 0 },
    }
}

/// A key spec whose keys only the command's own key finder tells
/// (Redis's `unknown` begin and find; SORT's `BY`, `GET`, `STORE`).
pub const fn unknown(flags: &'static str) -> KeySpec {
    KeySpec { notes: "", flags, bits: key_flag_bits(flags), begin: Begin::Unknown, find: Find::Unknown }
}

impl KeySpec {
    /// Keys from the start up to `last`, every `step`, `limit` as in
    /// [`Find::Range`].
    pub const fn range(mut self, last: i32, step: i32, limit: i32) -> KeySpec {
        self.find = Find::Range { last, step, limit };
        self
    }

    /// Keys counted by the argument `index` after the start, from `first`
    /// after the start, every `step`.
    pub const fn numkeys(mut self, index: i32, first: i32, step: i32) -> KeySpec {
        self.find = Find::KeyNum { index, first, step };
        self
    }

    /// Redis's note on this spec.
    pub const fn note(mut self, notes: &'static str) -> KeySpec {
        self.notes = notes;
        self
    }

    /// An index and a range: what first/last/step can say too.
    pub fn is_plain(&self) -> bool {
        matches!((self.begin, self.find), (Begin::Index(_), Find::Range { .. }))
    }

    /// The key flags, in Redis's order.
    pub fn flag_names(&self) -> Vec<&'static str> {
        key_flag_names_of(self.bits)
    }
}

/// The names of key flag bits, in Redis's order.
pub fn key_flag_names_of(bits: u16) -> Vec<&'static str> {
    (0..KEY_FLAGS.len()).filter(|i| bits & 1 << i != 0).map(|i| KEY_FLAGS[i]).collect()
}

/// Redis's key flags, in the order `COMMAND INFO` prints them; flag
/// `KEY_FLAGS[i]` is bit `1 << i` of [`key_flag_bits`].
pub const KEY_FLAGS: &[&str] =
    &["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"];

/// `access`: the call reads the key's value.
pub const KEY_ACCESS: u16 = 1 << 4;
/// `update`, `insert` or `delete`: the call changes the key's value.
pub const KEY_CHANGES: u16 = 1 << 5 | 1 << 6 | 1 << 7;
/// `not_key`: the argument names no key (a shard channel).
pub const KEY_NOT_KEY: u16 = 1 << 8;
/// `incomplete`: the spec may miss keys; the command's key finder tells.
pub const KEY_INCOMPLETE: u16 = 1 << 9;
/// `variable_flags`: the flags depend on the call (`SET ... GET`).
pub const KEY_VARIABLE_FLAGS: u16 = 1 << 10;

/// Space-separated key flag names as bits of [`KEY_FLAGS`] (unknown
/// names count for nothing). A `const fn`, so the tables carry the bits.
pub const fn key_flag_bits(flags: &str) -> u16 {
    let text = flags.as_bytes();
    let (mut bits, mut start, mut at) = (0u16, 0usize, 0usize);
    while at <= text.len() {
        if at == text.len() || text[at] == b' ' {
            let mut index = 0;
            while index < KEY_FLAGS.len() {
                if same_word(text, start, at, KEY_FLAGS[index].as_bytes()) {
                    bits |= 1 << index;
                }
                index += 1;
            }
            start = at + 1;
        }
        at += 1;
    }
    bits
}

/// Whether `text[start..end]` is `word`.
const fn same_word(text: &[u8], start: usize, end: usize, word: &[u8]) -> bool {
    if end - start != word.len() {
        return false;
    }
    let mut i = 0;
    while i < word.len() {
        if text[start + i] != word[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Redis's ACL categories, in the order `COMMAND INFO` prints them (the
/// ACL rules' one list).
pub use crate::state::acl::catalog::CATEGORIES;

/// A command's ACL categories (without `@`), declared and implied, in
/// Redis's order.
pub fn categories(spec: &CommandSpec) -> Vec<&'static str> {
    let declared: Vec<&str> = spec.acl.split_whitespace().collect();
    let flags = spec.flags;
    let scripting = declared.contains(&"scripting");
    let fast = flags.contains(Flags::FAST) || declared.contains(&"fast");
    let implied = |category: &str| match category {
        "write" => flags.contains(Flags::WRITE),
        "read" => flags.contains(Flags::READONLY) && !scripting,
        "admin" | "dangerous" => flags.contains(Flags::ADMIN),
        "pubsub" => flags.contains(Flags::PUBSUB),
        "fast" => fast,
        "blocking" => flags.contains(Flags::BLOCKING),
        "slow" => !fast,
        _ => false,
    };
    CATEGORIES.iter().copied().filter(|c| declared.contains(c) || implied(c)).collect()
}

/// One key a call names: its argument position and its key flags.
#[derive(Debug, Clone, Copy)]
pub struct FoundKey {
    pub position: usize,
    /// The key flags as bits ([`key_flag_bits`]; [`key_flag_names_of`]
    /// names them).
    pub bits: u16,
}

impl FoundKey {
    /// The key at argument `position`, with `flags` (space-separated).
    pub const fn new(position: usize, flags: &str) -> FoundKey {
        FoundKey { position, bits: key_flag_bits(flags) }
    }
}

/// The keys of one call: up to [`FoundKeys::INLINE`] without touching
/// the heap (the permission check runs this for every command of a
/// restricted user).
pub struct FoundKeys {
    inline: [FoundKey; FoundKeys::INLINE],
    len: usize,
    /// Every key once there are more than fit inline.
    spilled: Vec<FoundKey>,
}

impl FoundKeys {
    pub const INLINE: usize = 8;

    fn new() -> FoundKeys {
        FoundKeys { inline: [FoundKey { position: 0, bits: 0 }; Self::INLINE], len: 0, spilled: Vec::new() }
    }

    fn push(&mut self, key: FoundKey) {
        if self.len < Self::INLINE {
            self.inline[self.len] = key;
        } else {
            if self.len == Self::INLINE {
                self.spilled.extend_from_slice(&self.inline);
            }
            self.spilled.push(key);
        }
        self.len += 1;
    }
}

impl std::ops::Deref for FoundKeys {
    type Target = [FoundKey];
    fn deref(&self) -> &[FoundKey] {
        if self.len <= Self::INLINE {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

impl From<Vec<FoundKey>> for FoundKeys {
    fn from(keys: Vec<FoundKey>) -> FoundKeys {
        let mut found = FoundKeys::new();
        for key in keys {
            found.push(key);
        }
        found
    }
}

/// The keys `args` (command name first) names, by `spec`'s key specs.
/// When they do not fit the call, Redis falls back on the command's own
/// key finder: the one its entry declares (`CommandSpec::key_finder`), or
/// for the commands with a key count, the count read as C's `atoi` reads
/// it ([`counted_keys`]).
pub fn find_keys(spec: &'static CommandSpec, args: Args<'_>) -> FoundKeys {
    let mut found = FoundKeys::new();
    if let Some(key) = single_key(spec, args) {
        found.push(key);
    } else if !by_key_specs(spec, args, &mut found) {
        found = match spec.key_finder {
            Some(finder) => finder(args).into(),
            None => counted_keys(spec, args).into(),
        };
    }
    found
}

/// The one key of a command whose only key spec is a single argument
/// (`GET`, `SET`, `LPUSH`...: most commands), found without the general
/// walk; `None` for any other command, or a call too short for it.
#[inline]
pub fn single_key(spec: &'static CommandSpec, args: Args<'_>) -> Option<FoundKey> {
    let [KeySpec { bits, begin: Begin::Index(index), find: Find::Range { last: 0, .. }, .. }] = spec.key_specs else {
        return None;
    };
    let position = *index as usize;
    if *index < 0 || position >= args.len() || bits & (KEY_NOT_KEY | KEY_INCOMPLETE) != 0 {
        return None;
    }
    let bits = match spec.variable_key_flags {
        Some(flags_of) if bits & KEY_VARIABLE_FLAGS != 0 => flags_of(args),
        _ => *bits,
    };
    Some(FoundKey { position, bits })
}

/// The keys the key specs find, added to `found`; false when a spec does
/// not fit the call (a count that is not a number, positions past the
/// end).
fn by_key_specs(spec: &'static CommandSpec, args: Args<'_>, found: &mut FoundKeys) -> bool {
    let argc = args.len() as i64;
    for key_spec in spec.key_specs {
        if key_spec.bits & KEY_NOT_KEY != 0 {
            continue;
        }
        let bits = match spec.variable_key_flags {
            Some(flags_of) if key_spec.bits & KEY_VARIABLE_FLAGS != 0 => flags_of(args),
            _ => key_spec.bits,
        };
        let first = match key_spec.begin {
            Begin::Index(index) => index as i64,
            Begin::Keyword { keyword, start } => match keyword_position(args, keyword, start) {
                Some(at) => at + 1,
                None => continue,
            },
            Begin::Unknown => return false,
        };
        let (first, last, step) = match key_spec.find {
            Find::Range { last, step, limit } => {
                let last = if last >= 0 {
                    first + last as i64
                } else if limit == 0 {
                    argc + last as i64
                } else {
                    first + ((argc - first) / limit as i64 + last as i64)
                };
                (first, last, step as i64)
            }
            Find::KeyNum { index, first: offset, step } => {
                if index as i64 >= argc || first + index as i64 >= argc {
                    return false;
                }
                let Some(count) = parse_i64_opt(args.get((first + index as i64) as usize)).filter(|&n| n >= 0) else {
                    return false;
                };
                let start = first + offset as i64;
                // Redis adds the count as a C `int`: the low 32 bits.
                (start, start + count as i32 as i64 - 1, step as i64)
            }
            Find::Unknown => return false,
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return false;
        }
        let mut position = first;
        while position <= last {
            found.push(FoundKey { position: position as usize, bits });
            position += step;
        }
        if key_spec.bits & KEY_INCOMPLETE != 0 {
            return false;
        }
    }
    true
}

/// Redis's key finder for a command with one key count (ZUNIONSTORE,
/// ZUNION, EVAL, FCALL, LMPOP, BLMPOP, ZMPOP, SINTERCARD, ZINTERCARD):
/// the count read as `atoi` reads it, no key unless it is between 1 and
/// the arguments left, the counted keys then the destination (a single
/// key before the count), all without key flags.
fn counted_keys(spec: &'static CommandSpec, args: Args<'_>) -> Vec<FoundKey> {
    let mut counted = spec.key_specs.iter().filter_map(|k| match (k.begin, k.find) {
        (Begin::Index(begin), Find::KeyNum { index, first, step }) => Some((begin, index, first, step)),
        _ => None,
    });
    let (Some((begin, index, first, step)), None) = (counted.next(), counted.next()) else { return Vec::new() };
    let destination = spec.key_specs.iter().find_map(|k| match (k.begin, k.find) {
        (Begin::Index(at), Find::Range { last: 0, .. }) if at < begin => Some(at as usize),
        _ => None,
    });
    let (count_at, first_at) = ((begin + index) as usize, (begin + first) as i64);
    if count_at >= args.len() || step <= 0 {
        return Vec::new();
    }
    let count = c_atoi(args.get(count_at)) as i64;
    if count < 1 || count > (args.len() as i64 - first_at) / step as i64 {
        return Vec::new();
    }
    let keys = (0..count).map(|i| (first_at + i * step as i64) as usize);
    keys.chain(destination).map(|position| FoundKey::new(position, "")).collect()
}

/// C's `atoi`: leading white space, a sign, digits up to the first
/// non-digit; out of range as glibc's `(int) strtol`.
fn c_atoi(text: &[u8]) -> i32 {
    let rest = match text.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')) {
        Some(at) => &text[at..],
        None => return 0,
    };
    let (negative, digits) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let mut value: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        value = value.saturating_mul(10).saturating_add((d - b'0') as i64);
    }
    let value = if negative { value.saturating_neg() } else { value };
    // strtol saturates at the i64 range; the cast keeps the low bits.
    let value = if negative && value == -i64::MAX { i64::MIN } else { value };
    value as i32
}

/// Where `keyword` (any case) is, searched from `start` towards the end
/// (the last argument left out), or from `start` counted from the end
/// backwards (the first argument left out), as Redis searches.
fn keyword_position(args: Args<'_>, keyword: &str, start: i32) -> Option<i64> {
    let argc = args.len() as i64;
    let matches = |i: i64| args.get(i as usize).eq_ignore_ascii_case(keyword.as_bytes());
    if start > 0 {
        (start as i64..argc - 1).find(|&i| matches(i))
    } else {
        (2..=(argc + start as i64).min(argc - 1)).rev().find(|&i| matches(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::table::NO_KEYS;

    fn no_handler(_: &mut crate::cmd::Ctx<'_>, _: Args<'_>) -> crate::cmd::CmdResult {
        Ok(())
    }

    /// The keys `words` names by `spec`, as strings.
    fn keys_of(spec: &'static CommandSpec, words: &str) -> Vec<String> {
        let mut base = Vec::new();
        let mut spans = Vec::new();
        for word in words.split(' ') {
            spans.push((base.len(), base.len() + word.len()));
            base.extend_from_slice(word.as_bytes());
        }
        let args = Args::new(&base, &spans);
        find_keys(spec, args).iter().map(|k| String::from_utf8_lossy(args.get(k.position)).into_owned()).collect()
    }

    /// XREAD's and XREADGROUP's spec: the keys are the first half of what
    /// follows `STREAMS`.
    static STREAMS: CommandSpec = CommandSpec::new("xread", -4, Flags::READONLY, NO_KEYS, no_handler)
        .keys(&[after_keyword("STREAMS", 1, "RO access").range(-1, 1, 2)]);
    /// A key spec searched from the end (`startfrom` negative).
    static FROM_END: CommandSpec = CommandSpec::new("fromend", -2, Flags::READONLY, NO_KEYS, no_handler)
        .keys(&[after_keyword("KEYS", -1, "RO").range(0, 1, 0)]);

    #[test]
    fn keyword_specs_find_keys_after_their_keyword() {
        assert_eq!(keys_of(&STREAMS, "XREAD COUNT 2 STREAMS a b 0 0"), ["a", "b"]);
        assert_eq!(keys_of(&STREAMS, "xread streams a 0"), ["a"]);
        assert_eq!(keys_of(&STREAMS, "XREADGROUP GROUP g c BLOCK 0 STREAMS k1 k2 k3 > > >"), ["k1", "k2", "k3"]);
        // No keyword (or only as the last argument): no keys.
        assert!(keys_of(&STREAMS, "XREAD COUNT 2 a b").is_empty());
        assert!(keys_of(&STREAMS, "XREAD COUNT STREAMS").is_empty());
        assert_eq!(keys_of(&FROM_END, "fromend KEYS x KEYS y"), ["y"]);
        assert!(keys_of(&FROM_END, "fromend KEYS").is_empty());
    }

    /// More keys than fit inline spill over in order.
    #[test]
    fn many_keys_keep_their_order() {
        static MANY: CommandSpec =
            CommandSpec::new("many", -2, Flags::READONLY, NO_KEYS, no_handler)
                .keys(&[key(1, "RO access").range(-1, 1, 0)]);
        let words: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
        let found = keys_of(&MANY, &format!("many {}", words.join(" ")));
        assert_eq!(found, words);
        assert_eq!(key_flag_bits("RW access delete"), 1 << 1 | KEY_ACCESS | 1 << 7);
    }

    /// Key flags written space-separated, in Redis's order, read from the
    /// text: what the bits the tables carry must say.
    fn key_flag_names(flags: &str) -> Vec<&'static str> {
        let mine: Vec<&str> = flags.split_whitespace().collect();
        KEY_FLAGS.iter().copied().filter(|f| mine.contains(f)).collect()
    }

    /// Every name the tables use exists in Redis: a typo would show as a
    /// missing flag or category, so the tables are checked here too.
    #[test]
    fn tables_use_only_redis_names() {
        let mut all: Vec<&CommandSpec> = super::super::table::all().collect();
        let subs: Vec<&CommandSpec> = all.iter().flat_map(|s| s.registered_subcommands()).collect();
        all.extend(subs);
        for spec in all {
            for category in spec.acl.split_whitespace() {
                assert!(CATEGORIES.contains(&category), "{}: unknown ACL category {category}", spec.name);
            }
            for key_spec in spec.key_specs {
                for flag in key_spec.flags.split_whitespace() {
                    assert!(KEY_FLAGS.contains(&flag), "{}: unknown key flag {flag}", spec.name);
                }
                assert_eq!(
                    key_flag_names_of(key_spec.bits),
                    key_flag_names(key_spec.flags),
                    "{}: flag bits",
                    spec.name
                );
            }
            for sub in spec.subcommands {
                assert!(sub.name.starts_with(&format!("{}|", spec.name)), "{} lists {}", spec.name, sub.name);
            }
        }
    }

    /// Every command says what it is and where its keys are (the
    /// differential test checks what it says against Redis).
    #[test]
    fn every_command_has_its_metadata() {
        let mut all: Vec<&CommandSpec> = super::super::table::all().collect();
        let subs: Vec<&CommandSpec> = all.iter().flat_map(|s| s.registered_subcommands()).collect();
        all.extend(subs);
        for spec in all {
            assert!(!spec.doc.summary.is_empty() && !spec.doc.since.is_empty(), "{} has no docs", spec.name);
            assert!(spec.first_key == 0 || !spec.key_specs.is_empty(), "{} has keys but no key specs", spec.name);
            for arg in spec.doc.args {
                if let ArgKind::Key(index) | ArgKind::KeyPattern(index) = arg.kind {
                    assert!(
                        (index as usize) < spec.key_specs.len(),
                        "{}: argument {} has no key spec",
                        spec.name,
                        arg.name
                    );
                }
            }
        }
    }
}
