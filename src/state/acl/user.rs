//! An ACL user: its flags (`on`/`off`, `nopass`, payload sanitizing), its
//! password hashes and its selectors (the root one first). Rules change a
//! copy of the user, so a `SETUSER` with one bad rule changes nothing
//! ([`User::apply_all`]); [`User::describe`] prints the user as `ACL
//! LIST` and the ACL file do.
//!
//! Invariants: `selectors` is never empty (index 0 is the root);
//! passwords are 64 lower-case hex characters, without duplicates.

use super::catalog::Catalog;
use super::selector::{Call, Denial, RuleError, Selector};
use super::sha256::hex_digest;

/// A user's flags (Redis's, in `ACL LIST` order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFlags {
    pub on: bool,
    pub off: bool,
    pub nopass: bool,
    pub skip_sanitize: bool,
    pub sanitize: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub flags: UserFlags,
    /// SHA-256 hex digests.
    pub passwords: Vec<String>,
    pub selectors: Vec<Selector>,
}

fn valid_hash(hash: &[u8]) -> bool {
    hash.len() == 64 && hash.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// Splits a selector's inside the way Redis's `sdssplitargs` does for
/// plain words (quotes are not expected in rules).
fn split_words(text: &[u8]) -> Vec<&[u8]> {
    text.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect()
}

impl User {
    /// A new user: off, no passwords, no keys, no channels, no commands.
    pub fn new(name: &[u8]) -> User {
        User {
            name: name.to_vec(),
            flags: UserFlags { off: true, ..UserFlags::default() },
            passwords: Vec::new(),
            selectors: vec![Selector::default()],
        }
    }

    /// The `default` user Redis starts with: on, nopass, everything.
    pub fn new_default() -> User {
        let mut user = User::new(b"default");
        user.flags = UserFlags { on: true, nopass: true, ..UserFlags::default() };
        let root = &mut user.selectors[0];
        (root.all_commands, root.future, root.all_keys, root.all_channels) = (true, true, true, true);
        user
    }

    /// True if the user may run anything on any key and channel.
    pub fn unrestricted(&self) -> bool {
        let root = &self.selectors[0];
        root.all_commands && root.all_keys && root.all_channels
    }

    /// Applies one rule (Redis's `ACLSetUser`).
    pub fn apply(&mut self, catalog: &Catalog, op: &[u8]) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let word = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if word("on") {
            self.flags.on = true;
            self.flags.off = false;
        } else if word("off") {
            self.flags.off = true;
            self.flags.on = false;
        } else if word("skip-sanitize-payload") {
            self.flags.skip_sanitize = true;
            self.flags.sanitize = false;
        } else if word("sanitize-payload") {
            self.flags.skip_sanitize = false;
            self.flags.sanitize = true;
        } else if word("nopass") {
            self.flags.nopass = true;
            self.passwords.clear();
        } else if word("resetpass") {
            self.flags.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.flags.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let at = self.passwords.iter().position(|p| *p == hash).ok_or(RuleError::NoSuchPassword)?;
            self.passwords.remove(at);
        } else if op[0] == b'(' && op[op.len() - 1] == b')' {
            let mut selector = Selector::new(catalog);
            for rule in split_words(&op[1..op.len() - 1]) {
                selector.apply(catalog, rule)?;
            }
            self.selectors.push(selector);
        } else if word("clearselectors") {
            self.selectors.truncate(1);
        } else if word("reset") {
            self.flags = UserFlags { off: true, sanitize: true, ..UserFlags::default() };
            self.passwords.clear();
            self.selectors = vec![Selector::new(catalog)];
        } else {
            self.selectors[0].apply(catalog, op)?;
        }
        Ok(())
    }

    /// Applies a `SETUSER` argument list to a copy: either every rule
    /// applies or the user is left as it was. The error text is Redis's.
    pub fn apply_all(&self, catalog: &Catalog, rules: &[&[u8]]) -> Result<User, String> {
        let merged = merge_selectors(rules)?;
        let mut changed = self.clone();
        for rule in &merged {
            if let Err(err) = changed.apply(catalog, rule) {
                return Err(format!(
                    "ERR Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(rule),
                    err.text()
                ));
            }
        }
        Ok(changed)
    }

    /// Whether `password` opens this user (an enabled user only).
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if self.flags.off || !self.flags.on {
            return false;
        }
        if self.flags.nopass {
            return true;
        }
        let hash = hex_digest(password);
        // Compare every stored hash in full, whichever matches.
        self.passwords.iter().fold(false, |found, p| found | constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }

    /// Checks a call against every selector: `Ok` if one allows it, else
    /// the most relevant denial (Redis's `ACLCheckAllUserCommandPerm`).
    pub fn check(&self, call: &Call<'_>) -> Result<(), Denial> {
        let mut worst = Denial::Command;
        for selector in &self.selectors {
            match selector.check(call) {
                Ok(()) => return Ok(()),
                Err(denial) => worst = worst.worse(denial),
            }
        }
        Err(worst)
    }

    /// Whether some selector lets a subscriber keep `channel` (a pattern
    /// must be allowed literally, as `PSUBSCRIBE` checks it).
    pub fn channel_allowed(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.selectors.iter().any(|s| {
            s.all_channels
                || s.channels.iter().any(|p| {
                    if is_pattern {
                        p[..] == *channel
                    } else {
                        crate::store::glob::glob_match(p, channel)
                    }
                })
        })
    }

    /// The flag names, in Redis's order.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let f = &self.flags;
        [(f.on, "on"), (f.off, "off"), (f.nopass, "nopass"), (f.skip_sanitize, "skip-sanitize-payload")]
            .into_iter()
            .chain([(f.sanitize, "sanitize-payload")])
            .filter(|(set, _)| *set)
            .map(|(_, name)| name)
            .collect()
    }

    /// The user as rules, without its name (`ACL LIST`, the ACL file).
    pub fn describe(&self, catalog: &Catalog) -> String {
        let mut out = String::new();
        for flag in self.flag_names() {
            out.push_str(flag);
            out.push(' ');
        }
        for password in &self.passwords {
            out.push('#');
            out.push_str(password);
            out.push(' ');
        }
        out.push_str(&self.selectors[0].describe(catalog));
        for selector in &self.selectors[1..] {
            out.push_str(&format!(" ({})", selector.describe(catalog)));
        }
        out
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Joins `(` ... `)` rules split over several arguments into one, as
/// Redis's `ACLMergeSelectorArguments` does.
fn merge_selectors(rules: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut merged = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, rule) in rules.iter().enumerate() {
        if let Some((_, selector)) = open.as_mut() {
            selector.push(b' ');
            selector.extend_from_slice(rule);
            if rule.last() == Some(&b')') {
                merged.push(open.take().map(|(_, s)| s).unwrap_or_default());
            }
            continue;
        }
        if rule.first() == Some(&b'(') && rule.last() != Some(&b')') {
            open = Some((i, rule.to_vec()));
            continue;
        }
        merged.push(rule.to_vec());
    }
    if let Some((start, _)) = open {
        return Err(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(rules[start])
        ));
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::super::catalog::{category_bit, Catalog};
    use super::super::selector::{Call, Denial, READ, WRITE};
    use super::User;

    fn catalog() -> Catalog {
        let bits = |names: &[&str]| names.iter().map(|n| category_bit(n).unwrap()).fold(0, |a, b| a | b);
        let mut catalog = Catalog::default();
        catalog.add("get", bits(&["read", "string", "fast"]), None);
        catalog.add("set", bits(&["write", "string", "slow"]), None);
        let config = catalog.add("config", bits(&["slow"]), None);
        catalog.add("config|get", bits(&["admin", "slow", "dangerous"]), Some(config));
        catalog.add("config|set", bits(&["admin", "slow", "dangerous"]), Some(config));
        catalog
    }

    fn user(rules: &str) -> User {
        let words: Vec<&[u8]> = rules.split(' ').map(str::as_bytes).collect();
        User::new(b"u").apply_all(&catalog(), &words).expect("valid rules")
    }

    fn call<'a>(bit: usize, keys: &'a [(usize, &'a [u8], u8)]) -> Call<'a> {
        Call { bit, first_arg: None, keys, channels: &[], no_auth: false }
    }

    #[test]
    fn rules_print_back_in_canonical_form() {
        let c = catalog();
        assert_eq!(user("on nopass -@all +@string").describe(&c), "on nopass resetchannels -@all +@string");
        assert_eq!(user("+@all -set").describe(&c), "off resetchannels +@all -@write");
        assert_eq!(user("-@all +config|get ~a %R~b").describe(&c), "off ~a %R~b resetchannels -@all +config|get");
        assert_eq!(user("-@all +config -config|set").describe(&c), "off resetchannels -@all +config -config|set");
        // In this small catalog `get` is all of @read, so it prints as it.
        assert_eq!(user("(~x +get)").describe(&c), "off resetchannels -@all (~x resetchannels -@all +@read)");
    }

    #[test]
    fn checks_commands_keys_and_selectors() {
        let u = user("on -@all +get +set %R~r* ~w* (~x* +config)");
        assert_eq!(u.check(&call(0, &[(1, b"r1", READ)])), Ok(()));
        assert_eq!(u.check(&call(1, &[(1, b"r1", WRITE)])), Err(Denial::Key(1)));
        assert_eq!(u.check(&call(1, &[(1, b"w1", WRITE)])), Ok(()));
        assert_eq!(u.check(&call(3, &[])), Ok(()), "config|get through the selector");
        assert_eq!(u.check(&call(3, &[(2, b"w1", READ)])), Err(Denial::Key(2)), "the selector's keys apply");
        let none = user("on");
        assert_eq!(none.check(&call(0, &[])), Err(Denial::Command));
        assert!(user("on nopass").password_ok(b"anything"));
        assert!(!user("off nopass").password_ok(b"anything"));
        assert!(user("on >p").password_ok(b"p") && !user("on >p").password_ok(b"q"));
    }

    #[test]
    fn a_bad_rule_changes_nothing() {
        let c = catalog();
        let base = user("on >p ~a");
        let err = base.apply_all(&c, &[b"~b", b"+nosuch"]).unwrap_err();
        assert_eq!(err, "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
        let err = base.apply_all(&c, &[b"(~a", b"+get"]).unwrap_err();
        assert_eq!(err, "ERR Unmatched parenthesis in acl selector starting at '(~a'.");
    }
}
