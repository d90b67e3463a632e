//! A selector: one set of permissions (commands, key patterns, channel
//! patterns). A user has a root selector and any number of `(...)` ones;
//! a command runs if any selector allows it. Rules change a selector
//! ([`Selector::apply`]), [`Selector::check`] decides, and
//! [`Selector::describe`] prints the rules back in Redis 7.0's canonical
//! form (`~keys &channels +@all -cmd ...`).
//!
//! Invariants: `allowed` has one bit per catalog entry; `all_commands`
//! implies every bit set (the fast path skips the bits); a container's
//! change applies to its subcommands too; `future` is set only by
//! `+@all`/`allcommands` and cleared only by `-@all`/`nocommands`.

use super::catalog::{category_bit, Catalog, CATEGORIES};
use crate::store::glob::{glob_match, Pattern};

pub const READ: u8 = 1;
pub const WRITE: u8 = 2;

/// Why a rule was refused (Redis's `errno` cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    Syntax,
    UnknownCommand,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any \
                 effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have \
                 any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// Why a command was denied, in Redis's order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denial {
    Command,
    /// The argument position of the key.
    Key(usize),
    /// The argument position of the channel.
    Channel(usize),
}

impl Denial {
    fn rank(self) -> (u8, usize) {
        match self {
            Denial::Command => (1, 0),
            Denial::Key(at) => (2, at),
            Denial::Channel(at) => (4, at),
        }
    }

    /// The more relevant of two denials (Redis logs the worse reason, and
    /// for equal reasons the later argument).
    pub fn worse(self, other: Denial) -> Denial {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// What a command call touches, as the checks need it.
pub struct Call<'a> {
    /// The catalog bit of the command (a subcommand's own).
    pub bit: usize,
    /// The bit of the command whose first argument `+cmd|arg` rules name.
    pub first_arg: Option<&'a [u8]>,
    /// Keys: (argument position, key, needs read, needs write).
    pub keys: &'a [(usize, &'a [u8], u8)],
    /// Channels: (argument position, name, is a pattern).
    pub channels: &'a [(usize, &'a [u8], bool)],
    /// `no_auth` commands are always allowed.
    pub no_auth: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Selector {
    pub all_keys: bool,
    pub all_channels: bool,
    pub all_commands: bool,
    /// Set by `+@all`: the user may run commands added later.
    pub future: bool,
    pub allowed: Vec<u64>,
    /// `+cmd|firstarg` rules of commands otherwise denied: (bit, args).
    pub first_args: Vec<(usize, Vec<String>)>,
    /// Key patterns with their READ/WRITE permission.
    pub patterns: Vec<(u8, Pattern)>,
    pub channels: Vec<Vec<u8>>,
}

fn has_spaces(text: &[u8]) -> bool {
    text.iter().any(|&b| b.is_ascii_whitespace() || b == 0)
}

impl Selector {
    pub fn new(catalog: &Catalog) -> Selector {
        let mut selector = Selector::default();
        selector.fit(catalog);
        selector
    }

    /// Sizes the bits to the catalog: a selector made before the catalog
    /// was known (the `default` user's) has none, and is all or nothing.
    pub fn fit(&mut self, catalog: &Catalog) {
        let fill = if self.all_commands { u64::MAX } else { 0 };
        self.allowed.resize(catalog.words(), fill);
    }

    #[inline]
    pub fn bit(&self, bit: usize) -> bool {
        match self.allowed.get(bit / 64) {
            Some(word) => word & (1 << (bit % 64)) != 0,
            None => self.all_commands,
        }
    }

    fn set_bit(&mut self, bit: usize, on: bool) {
        if let Some(word) = self.allowed.get_mut(bit / 64) {
            if on {
                *word |= 1 << (bit % 64);
            } else {
                *word &= !(1 << (bit % 64));
                self.all_commands = false;
            }
        }
    }

    /// Allows or denies a command and, for a container, its subcommands.
    fn change(&mut self, catalog: &Catalog, bit: usize, on: bool) {
        self.set_bit(bit, on);
        self.first_args.retain(|(b, _)| *b != bit);
        for &child in &catalog.entries[bit].children {
            self.set_bit(child, on);
        }
    }

    fn change_category(&mut self, catalog: &Catalog, category: u32, on: bool) {
        for bit in 0..catalog.entries.len() {
            if catalog.entries[bit].categories & category != 0 {
                self.change(catalog, bit, on);
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        let fill = if on { u64::MAX } else { 0 };
        self.allowed.iter_mut().for_each(|w| *w = fill);
        self.all_commands = on;
        self.future = on;
        self.first_args.clear();
    }

    /// Applies one selector rule (Redis's `ACLSetSelector`).
    pub fn apply(&mut self, catalog: &Catalog, op: &[u8]) -> Result<(), RuleError> {
        self.fit(catalog);
        let word = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if word("allkeys") || op == b"~*" {
            self.all_keys = true;
            self.patterns.clear();
        } else if word("resetkeys") {
            self.all_keys = false;
            self.patterns.clear();
        } else if word("allchannels") || op == b"&*" {
            self.all_channels = true;
            self.channels.clear();
        } else if word("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if word("allcommands") || word("+@all") {
            self.set_all(true);
        } else if word("nocommands") || word("-@all") {
            self.set_all(false);
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.all_channels {
                return Err(RuleError::ChannelAfterAll);
            }
            if has_spaces(&op[1..]) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c[..] == op[1..]) {
                self.channels.push(op[1..].to_vec());
            }
            self.all_channels = false;
        } else if (op[0] == b'+' || op[0] == b'-') && op.get(1) == Some(&b'@') {
            let name = std::str::from_utf8(&op[2..]).map_err(|_| RuleError::UnknownCommand)?;
            let category = category_bit(name).ok_or(RuleError::UnknownCommand)?;
            self.change_category(catalog, category, op[0] == b'+');
        } else if op[0] == b'+' {
            self.allow_command(catalog, &op[1..])?;
        } else if op[0] == b'-' {
            let name = std::str::from_utf8(&op[1..]).map_err(|_| RuleError::UnknownCommand)?;
            let bit = catalog.find(name).ok_or(RuleError::UnknownCommand)?;
            self.change(catalog, bit, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (mut flags, mut offset) = (0u8, 1usize);
        if op[0] == b'%' {
            loop {
                match op.get(offset).map(u8::to_ascii_uppercase) {
                    Some(b'R') if flags & READ == 0 => flags |= READ,
                    Some(b'W') if flags & WRITE == 0 => flags |= WRITE,
                    Some(b'~') => {
                        offset += 1;
                        break;
                    }
                    None => break,
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
        } else {
            flags = READ | WRITE;
        }
        let pattern = &op[offset.min(op.len())..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|(_, p)| p.as_bytes() == pattern) {
            Some((existing, _)) => *existing |= flags,
            None => self.patterns.push((flags, Pattern::new(pattern))),
        }
        self.all_keys = false;
        Ok(())
    }

    fn allow_command(&mut self, catalog: &Catalog, name: &[u8]) -> Result<(), RuleError> {
        let name = std::str::from_utf8(name).map_err(|_| RuleError::UnknownCommand)?;
        let Some((base, sub)) = name.rsplit_once('|') else {
            let bit = catalog.find(name).ok_or(RuleError::UnknownCommand)?;
            self.change(catalog, bit, true);
            return Ok(());
        };
        let base_bit = catalog.find(base).ok_or(RuleError::UnknownCommand)?;
        if catalog.entries[base_bit].parent.is_some() {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !catalog.entries[base_bit].children.is_empty() {
            let bit = catalog.find(name).ok_or(RuleError::UnknownCommand)?;
            self.change(catalog, bit, true);
            return Ok(());
        }
        match self.first_args.iter_mut().find(|(b, _)| *b == base_bit) {
            Some((_, args)) => {
                if !args.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                    args.push(sub.to_string());
                }
            }
            None => self.first_args.push((base_bit, vec![sub.to_string()])),
        }
        Ok(())
    }

    /// Whether this selector allows the call (Redis's
    /// `ACLSelectorCheckCmd`).
    pub fn check(&self, call: &Call<'_>) -> Result<(), Denial> {
        if !self.all_commands && !call.no_auth && !self.bit(call.bit) {
            let allowed_arg = match (call.first_arg, self.first_args.iter().find(|(b, _)| *b == call.bit)) {
                (Some(arg), Some((_, args))) => args.iter().any(|a| a.as_bytes().eq_ignore_ascii_case(arg)),
                _ => false,
            };
            if !allowed_arg {
                return Err(Denial::Command);
            }
        }
        if !self.all_keys {
            for &(at, key, needs) in call.keys {
                let fits = self.patterns.iter().any(|(flags, p)| flags & needs == needs && p.matches(key));
                if !fits {
                    return Err(Denial::Key(at));
                }
            }
        }
        if !self.all_channels {
            for &(at, channel, is_pattern) in call.channels {
                let fits =
                    self.channels.iter().any(|p| if is_pattern { p[..] == *channel } else { glob_match(p, channel) });
                if !fits {
                    return Err(Denial::Channel(at));
                }
            }
        }
        Ok(())
    }

    /// The key patterns as rules (`~a %R~b`).
    pub fn describe_keys(&self) -> String {
        if self.all_keys {
            return "~*".to_string();
        }
        let shown: Vec<String> = self
            .patterns
            .iter()
            .map(|(flags, p)| {
                let prefix = match *flags {
                    READ => "%R~",
                    WRITE => "%W~",
                    _ => "~",
                };
                format!("{prefix}{}", String::from_utf8_lossy(p.as_bytes()))
            })
            .collect();
        shown.join(" ")
    }

    /// The channel patterns as rules (`&a &b`).
    pub fn describe_channels(&self) -> String {
        if self.all_channels {
            return "&*".to_string();
        }
        let shown: Vec<String> = self.channels.iter().map(|c| format!("&{}", String::from_utf8_lossy(c))).collect();
        shown.join(" ")
    }

    /// The whole selector as rules, as `ACL LIST` prints it.
    pub fn describe(&self, catalog: &Catalog) -> String {
        let mut out = String::new();
        if self.all_keys {
            out.push_str("~* ");
        } else if !self.patterns.is_empty() {
            out.push_str(&self.describe_keys());
            out.push(' ');
        }
        if self.all_channels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            if !self.channels.is_empty() {
                out.push_str(&self.describe_channels());
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands(catalog));
        out
    }

    fn count_in_category(&self, catalog: &Catalog, category: u32) -> (usize, usize) {
        let (mut on, mut off) = (0, 0);
        for (bit, entry) in catalog.entries.iter().enumerate() {
            if entry.categories & category != 0 {
                if self.bit(bit) {
                    on += 1;
                } else {
                    off += 1;
                }
            }
        }
        (on, off)
    }

    /// The command rules, as Redis 7.0 derives them from the bits: start
    /// from `+@all` or `-@all`, take the best-fitting categories in turn,
    /// then single commands for what is left.
    pub fn describe_commands(&self, catalog: &Catalog) -> String {
        let additive = !self.future;
        let mut rules = vec![if additive { "-@all".to_string() } else { "+@all".to_string() }];
        let mut fake = Selector::new(catalog);
        fake.set_all(!additive);
        let mut temp = self.clone();
        temp.fit(catalog);
        let mut applied = [false; CATEGORIES.len()];
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for (i, &name) in CATEGORIES.iter().enumerate() {
                if applied[i] {
                    continue;
                }
                let (on, off) = temp.count_in_category(catalog, 1 << i);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some((i, name));
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some((i, name)) = best else { break };
            fake.change_category(catalog, 1 << i, additive);
            temp.change_category(catalog, 1 << i, !additive);
            rules.push(format!("{}@{name}", if additive { '+' } else { '-' }));
            applied[i] = true;
        }
        for (bit, entry) in catalog.entries.iter().enumerate() {
            let mine = self.bit(bit);
            if mine != fake.bit(bit) {
                rules.push(format!("{}{}", if mine { '+' } else { '-' }, entry.name));
                fake.change(catalog, bit, mine);
            }
            if !mine {
                if let Some((_, args)) = self.first_args.iter().find(|(b, _)| *b == bit) {
                    for arg in args {
                        rules.push(format!("+{}|{arg}", entry.name));
                    }
                }
            }
        }
        rules.join(" ")
    }
}
