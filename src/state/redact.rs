//! Which arguments of a command are secrets, shown as `(redacted)` in
//! `MONITOR` and the slow log, as Redis 7.0 hides them: both arguments of
//! `AUTH`, the user and password after `HELLO ... AUTH`, every argument
//! of `ACL SETUSER` after the subcommand, and the value of `CONFIG SET
//! requirepass` (and `masterauth`).
//!
//! Invariant: [`Redaction::NONE`] hides nothing, and is what every other
//! command gets.

use crate::protocol::Args;

/// The positions to hide: those in `mask` (below 64) and all from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redaction {
    mask: u64,
    from: usize,
}

impl Redaction {
    pub const NONE: Redaction = Redaction { mask: 0, from: usize::MAX };

    #[inline]
    pub fn hides(&self, position: usize) -> bool {
        position >= self.from || (position < 64 && self.mask & (1 << position) != 0)
    }

    fn hide(&mut self, position: usize) {
        if position < 64 {
            self.mask |= 1 << position;
        }
    }

    /// What to hide of `args`, run as the command named `name` (`auth`,
    /// `acl|setuser`...).
    pub fn of(name: &str, args: Args<'_>) -> Redaction {
        let mut redaction = Redaction::NONE;
        match name {
            "auth" => {
                redaction.hide(1);
                if args.len() == 3 {
                    redaction.hide(2);
                }
            }
            "hello" => {
                let mut i = 2;
                while i < args.len() {
                    if args.get(i).eq_ignore_ascii_case(b"auth") && i + 2 < args.len() {
                        redaction.hide(i + 1);
                        redaction.hide(i + 2);
                        i += 3;
                    } else {
                        i += 2;
                    }
                }
            }
            "acl|setuser" => redaction.from = 2,
            "config|set" => {
                let mut i = 2;
                while i + 1 < args.len() {
                    let parameter = args.get(i);
                    if parameter.eq_ignore_ascii_case(b"requirepass") || parameter.eq_ignore_ascii_case(b"masterauth") {
                        redaction.hide(i + 1);
                    }
                    i += 2;
                }
            }
            _ => {}
        }
        redaction
    }
}
