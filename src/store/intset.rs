//! The small form of a set of integers (Redis's `intset` encoding): the
//! members as a sorted array of fixed-width little-endian integers in one
//! heap buffer.
//!
//! # Invariants
//!
//! * Members are distinct and sorted ascending (so `SMEMBERS` answers
//!   them in numeric order, as Redis does).
//! * The width is the smallest of 2, 4 or 8 bytes that holds every member
//!   ever added (it grows when a wider member arrives and never shrinks,
//!   as in Redis); the buffer is exactly `len × width` bytes.
//! * Only canonical decimal integers are members ([`parse_member`]): the
//!   text a member is read back as is exactly the text it was added as.
//!
//! Lookups are binary searches, O(log n); inserting and removing move the
//! tail of the array, O(n), which the threshold in [`super::limits`] keeps
//! small.

/// Sorted distinct integers of one width.
#[derive(Clone)]
pub struct IntSet {
    bytes: Box<[u8]>,
    width: u8,
}

impl Default for IntSet {
    fn default() -> IntSet {
        IntSet { bytes: Box::default(), width: 2 }
    }
}

/// The integer a member's text stands for, if it is a canonical decimal
/// i64 (optional `-`, no `+`, no leading zeros, no `-0`, in range).
pub fn parse_member(text: &[u8]) -> Option<i64> {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) || text == b"-0" {
        return None;
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse::<i64>().ok()
}

/// The smallest width that holds `value`.
fn width_for(value: i64) -> u8 {
    if i16::try_from(value).is_ok() {
        2
    } else if i32::try_from(value).is_ok() {
        4
    } else {
        8
    }
}

fn read(bytes: &[u8], width: u8, index: usize) -> i64 {
    let w = width as usize;
    let at = &bytes[index * w..index * w + w];
    match width {
        2 => i16::from_le_bytes([at[0], at[1]]) as i64,
        4 => i32::from_le_bytes(at.try_into().unwrap()) as i64,
        _ => i64::from_le_bytes(at.try_into().unwrap()),
    }
}

fn write(out: &mut Vec<u8>, width: u8, value: i64) {
    match width {
        2 => out.extend_from_slice(&(value as i16).to_le_bytes()),
        4 => out.extend_from_slice(&(value as i32).to_le_bytes()),
        _ => out.extend_from_slice(&value.to_le_bytes()),
    }
}

impl IntSet {
    pub fn len(&self) -> usize {
        self.bytes.len() / self.width as usize
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Heap bytes of the array.
    pub fn buffer_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// The member at sorted position `index`.
    pub fn at(&self, index: usize) -> i64 {
        read(&self.bytes, self.width, index)
    }

    /// `Ok(index)` of `value`, or `Err(where it would go)`.
    fn search(&self, value: i64) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.at(mid).cmp(&value) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    pub fn contains(&self, value: i64) -> bool {
        width_for(value) <= self.width && self.search(value).is_ok()
    }

    /// Adds `value`; false if it was there. A value of the current width
    /// is inserted in place (the tail moves); a wider one rewrites the
    /// array at the new width.
    pub fn insert(&mut self, value: i64) -> bool {
        let Err(at) = self.search(value) else { return false };
        let width = width_for(value);
        if width <= self.width {
            let mut encoded = Vec::with_capacity(8);
            write(&mut encoded, self.width, value);
            let mut bytes = std::mem::take(&mut self.bytes).into_vec();
            bytes.reserve_exact(encoded.len());
            let offset = at * self.width as usize;
            bytes.splice(offset..offset, encoded);
            self.bytes = bytes.into_boxed_slice();
            return true;
        }
        // Wider than every member: it goes first or last.
        let mut out = Vec::with_capacity((self.len() + 1) * width as usize);
        for i in 0..at {
            write(&mut out, width, self.at(i));
        }
        write(&mut out, width, value);
        for i in at..self.len() {
            write(&mut out, width, self.at(i));
        }
        self.bytes = out.into_boxed_slice();
        self.width = width;
        true
    }

    /// Removes `value`; false if it was not there.
    pub fn remove(&mut self, value: i64) -> bool {
        if !self.contains(value) {
            return false;
        }
        let Ok(at) = self.search(value) else { return false };
        self.remove_at(at);
        true
    }

    /// Removes and returns the member at sorted position `index`.
    pub fn remove_at(&mut self, index: usize) -> i64 {
        let value = self.at(index);
        let w = self.width as usize;
        let mut bytes = std::mem::take(&mut self.bytes).into_vec();
        bytes.drain(index * w..(index + 1) * w);
        self.bytes = bytes.into_boxed_slice();
        value
    }

    /// Every member, ascending.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.at(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_widening() {
        let mut s = IntSet::default();
        for v in [5, -3, 100, 5, 0] {
            s.insert(v);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), [-3, 0, 5, 100]);
        assert_eq!(s.buffer_bytes(), 8);
        assert!(s.insert(1 << 40));
        assert_eq!(s.buffer_bytes(), 40);
        assert!(s.insert(i64::MIN) && s.insert(i64::MAX));
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -3, 0, 5, 100, 1 << 40, i64::MAX]);
        assert!(s.remove(5) && !s.remove(5) && !s.contains(5));
        assert!(s.contains(-3) && s.contains(i64::MAX));
        assert_eq!(s.remove_at(0), i64::MIN);
        assert_eq!(s.len(), 5);
    }

    #[test]
    fn canonical_members_only() {
        for good in ["0", "-1", "9223372036854775807", "-9223372036854775808", "42"] {
            assert!(parse_member(good.as_bytes()).is_some(), "{good}");
        }
        for bad in ["", "-", "-0", "01", "+1", " 1", "1.0", "9223372036854775808", "1e3", "00"] {
            assert!(parse_member(bad.as_bytes()).is_none(), "{bad}");
        }
    }

    #[test]
    fn matches_a_sorted_model() {
        let mut state = 11u64;
        let mut next = move || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state
        };
        let mut s = IntSet::default();
        let mut model = std::collections::BTreeSet::new();
        for round in 0..5_000 {
            // Mostly narrow values, sometimes wide ones.
            let raw = next() as i64;
            let value = match round % 10 {
                0 => raw,
                1 => raw >> 32,
                _ => (raw >> 50) % 300,
            };
            if next() % 3 == 0 {
                assert_eq!(s.remove(value), model.remove(&value));
            } else {
                assert_eq!(s.insert(value), model.insert(value));
            }
            assert_eq!(s.len(), model.len());
            assert!(s.iter().eq(model.iter().copied()));
            assert_eq!(s.contains(value), model.contains(&value));
        }
    }
}
