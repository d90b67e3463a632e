//! Redis-style glob matching (`KEYS`, `SCAN MATCH`, `PSUBSCRIBE`,
//! `CONFIG GET`): `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\x` escapes.
//!
//! The matcher backtracks only to the most recent `*`, so it runs in
//! O(pattern × subject) time: no pattern can make it take exponential
//! time, unlike a naive recursive matcher.
//!
//! [`Pattern`] is a pattern read once for matching many subjects (the
//! ACL key patterns every command of a restricted user is checked
//! against): the common shapes, `*`, `prefix*` and a literal, then cost a
//! comparison, not a walk through the matcher.

/// A glob pattern with its shape worked out once.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Pattern {
    text: Vec<u8>,
    shape: Shape,
}

/// What a pattern needs of a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum Shape {
    /// Only `*`s: anything.
    Anything,
    /// No special byte: exactly the text.
    Literal,
    /// Special bytes only in a run of `*`s at the end: starts with the
    /// first `usize` bytes.
    Prefix(usize),
    /// Anything else: the matcher decides.
    #[default]
    General,
}

impl Pattern {
    pub fn new(text: &[u8]) -> Pattern {
        let special = |b: &u8| matches!(b, b'*' | b'?' | b'[' | b'\\');
        let shape = match text.iter().position(special) {
            None => Shape::Literal,
            Some(0) if text.iter().all(|&b| b == b'*') => Shape::Anything,
            Some(at) if text[at..].iter().all(|&b| b == b'*') => Shape::Prefix(at),
            Some(_) => Shape::General,
        };
        Pattern { text: text.to_vec(), shape }
    }

    /// The pattern as written.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text
    }

    /// True if `subject` matches, as [`glob_match`] says.
    #[inline]
    pub fn matches(&self, subject: &[u8]) -> bool {
        match self.shape {
            Shape::Anything => true,
            Shape::Literal => self.text == subject,
            Shape::Prefix(len) => subject.starts_with(&self.text[..len]),
            Shape::General => glob_match(&self.text, subject),
        }
    }
}

/// True if `subject` matches `pattern`.
pub fn glob_match(pattern: &[u8], subject: &[u8]) -> bool {
    let (mut p, mut s) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index after it, subject
    // index it currently absorbs up to).
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    if p == pattern.len() {
                        return true;
                    }
                    resume = Some((p, s));
                    continue;
                }
                b'?' if s < subject.len() => {
                    p += 1;
                    s += 1;
                    continue;
                }
                b'[' if s < subject.len() => {
                    if let Some(next) = match_class(pattern, p, subject[s]) {
                        p = next;
                        s += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() && s < subject.len() && pattern[p + 1] == subject[s] => {
                    p += 2;
                    s += 1;
                    continue;
                }
                c if c != b'?' && c != b'[' && c != b'\\' && s < subject.len() && c == subject[s] => {
                    p += 1;
                    s += 1;
                    continue;
                }
                // A trailing lone backslash matches a literal backslash.
                b'\\' if p + 1 == pattern.len() && s < subject.len() && subject[s] == b'\\' => {
                    p += 1;
                    s += 1;
                    continue;
                }
                _ => {}
            }
        } else if s == subject.len() {
            return true;
        }
        // Mismatch: let the last `*` absorb one more byte, if it can.
        match resume {
            Some((rp, rs)) if rs < subject.len() => {
                resume = Some((rp, rs + 1));
                p = rp;
                s = rs + 1;
            }
            _ => return false,
        }
    }
}

/// Matches `c` against the class starting at `pattern[start] == b'['`.
/// Returns the index after the class on a match.
fn match_class(pattern: &[u8], start: usize, c: u8) -> Option<usize> {
    let mut i = start + 1;
    let negate = pattern.get(i) == Some(&b'^');
    if negate {
        i += 1;
    }
    let mut matched = false;
    loop {
        match pattern.get(i) {
            // An unterminated class ends at the pattern's end (as Redis).
            None => break,
            Some(b']') => {
                i += 1;
                break;
            }
            Some(b'\\') if i + 1 < pattern.len() => {
                if pattern[i + 1] == c {
                    matched = true;
                }
                i += 2;
            }
            Some(&low) if pattern.get(i + 1) == Some(&b'-') && i + 2 < pattern.len() && pattern[i + 2] != b']' => {
                let high = pattern[i + 2];
                let (low, high) = if low <= high { (low, high) } else { (high, low) };
                if (low..=high).contains(&c) {
                    matched = true;
                }
                i += 3;
            }
            Some(&other) => {
                if other == c {
                    matched = true;
                }
                i += 1;
            }
        }
    }
    (matched != negate).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::{glob_match, glob_match as m, Pattern};

    #[test]
    fn basics() {
        assert!(m(b"*", b""));
        assert!(m(b"*", b"anything"));
        assert!(m(b"h?llo", b"hello"));
        assert!(!m(b"h?llo", b"hllo"));
        assert!(m(b"h*llo", b"heeeello"));
        assert!(m(b"h[ae]llo", b"hallo"));
        assert!(!m(b"h[ae]llo", b"hillo"));
        assert!(m(b"h[^e]llo", b"hallo"));
        assert!(!m(b"h[^e]llo", b"hello"));
        assert!(m(b"h[a-b]llo", b"hbllo"));
        assert!(m(b"h\\*llo", b"h*llo"));
        assert!(!m(b"h\\*llo", b"hello"));
        assert!(m(b"a*b*c", b"aXXbYYc"));
        assert!(!m(b"a*b*c", b"aXXbYY"));
        assert!(m(b"*:*", b"user:1"));
    }

    #[test]
    fn no_exponential_blowup() {
        let pattern = b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let subject = vec![b'a'; 10_000];
        assert!(!m(pattern, &subject));
    }

    /// A read pattern agrees with the matcher on every shape.
    #[test]
    fn read_patterns_agree_with_the_matcher() {
        let patterns: &[&[u8]] =
            &[b"", b"*", b"**", b"key:*", b"key:**", b"key", b"k?y", b"a*b", b"[ab]*", b"x\\*", b"*end", b"ab\\"];
        let subjects: &[&[u8]] = &[b"", b"key", b"key:", b"key:1", b"kay", b"ab", b"axxb", b"b1", b"x*", b"xy", b"end"];
        for pattern in patterns {
            for subject in subjects {
                assert_eq!(
                    Pattern::new(pattern).matches(subject),
                    glob_match(pattern, subject),
                    "{pattern:?} {subject:?}"
                );
            }
        }
    }
}
