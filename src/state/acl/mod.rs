//! Access control as Redis 7.0 has it: users with passwords and
//! selectors ([`user`], [`selector`]), what their rules name
//! ([`catalog`]), the denial log ([`log`]), the ACL file ([`file`](mod@file)) and
//! SHA-256 for password hashes ([`sha256`]).
//!
//! Sessions name their user by slot ([`crate::state::Client::user`]),
//! so the per-command check is an index and, for a user allowed
//! everything (the `default` user unless restricted), one flag test:
//! [`Acl::unrestricted`]. A user's permissions are bit sets over the
//! catalog, built when the user changes.
//!
//! Invariants: slot 0 is always the `default` user; a deleted user's slot
//! stays empty (never reused), so a session still naming it is denied
//! everything until the loop closes it; `by_name` and `slots` agree.

pub mod catalog;
pub mod file;
pub mod log;
pub mod selector;
pub mod sha256;
pub mod user;

use std::collections::BTreeMap;

pub use catalog::Catalog;
pub use selector::{Call, Denial};
pub use user::User;

/// The slot of the `default` user.
pub const DEFAULT_USER: usize = 0;

/// Every user, and the denial log.
pub struct Acl {
    slots: Vec<Option<User>>,
    /// Per slot: the user may run anything (the fast path).
    unrestricted: Vec<bool>,
    by_name: BTreeMap<Vec<u8>, usize>,
    pub log: log::AclLog,
}

impl Acl {
    /// Only the `default` user, with `requirepass` as its password.
    pub fn new(requirepass: Option<&str>) -> Acl {
        let mut acl = Acl {
            slots: vec![Some(User::new_default())],
            unrestricted: vec![true],
            by_name: BTreeMap::from([(b"default".to_vec(), DEFAULT_USER)]),
            log: log::AclLog::default(),
        };
        acl.set_default_password(requirepass);
        acl
    }

    /// `requirepass`: the `default` user's only password, or `nopass`.
    pub fn set_default_password(&mut self, password: Option<&str>) {
        if let Some(user) = self.slots[DEFAULT_USER].as_mut() {
            user.passwords.clear();
            user.flags.nopass = password.is_none();
            if let Some(password) = password {
                user.passwords.push(sha256::hex_digest(password.as_bytes()));
            }
        }
    }

    /// Whether a new connection starts authenticated (the `default` user
    /// is on and needs no password).
    pub fn default_opens_without_password(&self) -> bool {
        self.slots[DEFAULT_USER].as_ref().is_some_and(|u| u.flags.nopass && !u.flags.off)
    }

    /// Whether the `default` user is `nopass` (protected mode applies
    /// then, as in Redis 7.0, whatever other users exist).
    pub fn default_needs_no_password(&self) -> bool {
        self.slots[DEFAULT_USER].as_ref().is_some_and(|u| u.flags.nopass)
    }

    /// The fast path of the permission check.
    #[inline]
    pub fn unrestricted(&self, slot: usize) -> bool {
        self.unrestricted.get(slot).copied().unwrap_or(false)
    }

    pub fn user(&self, slot: usize) -> Option<&User> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    pub fn slot_of(&self, name: &[u8]) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn by_name(&self, name: &[u8]) -> Option<&User> {
        self.slot_of(name).and_then(|slot| self.user(slot))
    }

    /// The users in name order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.by_name.values().filter_map(|&slot| self.user(slot))
    }

    /// The user's slot if `password` opens it (Redis's
    /// `ACLCheckUserCredentials`).
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<usize> {
        let slot = self.slot_of(name)?;
        self.user(slot)?.password_ok(password).then_some(slot)
    }

    /// Creates or replaces a user; returns its slot.
    pub fn put(&mut self, user: User) -> usize {
        let unrestricted = user.unrestricted();
        match self.by_name.get(&user.name) {
            Some(&slot) => {
                self.slots[slot] = Some(user);
                self.unrestricted[slot] = unrestricted;
                slot
            }
            None => {
                let slot = self.slots.len();
                self.by_name.insert(user.name.clone(), slot);
                self.slots.push(Some(user));
                self.unrestricted.push(unrestricted);
                slot
            }
        }
    }

    /// Removes a user; returns its former slot.
    pub fn remove(&mut self, name: &[u8]) -> Option<usize> {
        let slot = self.by_name.remove(name)?;
        self.slots[slot] = None;
        self.unrestricted[slot] = false;
        Some(slot)
    }

    /// Replaces every user at once (`ACL LOAD`, start-up); returns the
    /// slots of every user but `default` that existed before: as in
    /// Redis, their clients are closed even if the file kept them.
    pub fn replace_all(&mut self, users: Vec<User>) -> Vec<usize> {
        let old: Vec<(Vec<u8>, usize)> = self.by_name.iter().map(|(n, &s)| (n.clone(), s)).collect();
        let mut stale = Vec::new();
        for (name, slot) in old {
            if slot != DEFAULT_USER {
                self.remove(&name);
                stale.push(slot);
            }
        }
        for user in users {
            self.put(user);
        }
        stale
    }
}
