//! The packed blobs Redis stores inside RDB strings: listpack, ziplist,
//! intset and zipmap. Each reader walks a whole blob, checks every header,
//! length, back-length and terminator against the blob's size, and yields
//! its elements; anything inconsistent is an error, never a panic or a
//! read outside the blob. [`ListpackWriter`] builds listpacks as Redis
//! 7.0 reads them (integers in their shortest encoding).

use super::RdbError;

/// An element of a packed blob: bytes or an integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Elem<'a> {
    Bytes(&'a [u8]),
    Int(i64),
}

impl Elem<'_> {
    /// The element as Redis hands it out: integers in decimal.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Elem::Bytes(bytes) => bytes.to_vec(),
            Elem::Int(n) => n.to_string().into_bytes(),
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Elem::Int(n) => Some(*n),
            Elem::Bytes(bytes) => std::str::from_utf8(bytes).ok()?.parse().ok(),
        }
    }
}

fn bad(what: &'static str) -> RdbError {
    RdbError::Corrupt(what)
}

fn take<'a>(blob: &'a [u8], at: usize, len: usize, what: &'static str) -> Result<&'a [u8], RdbError> {
    blob.get(at..at.checked_add(len).ok_or(bad(what))?).ok_or(bad(what))
}

fn sign_extend(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((value << shift) as i64) >> shift
}

/// The bytes of a listpack entry's back-length for an entry of `len`.
fn backlen_bytes(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

fn encode_backlen(len: usize, out: &mut Vec<u8>) {
    let n = backlen_bytes(len);
    for i in (0..n).rev() {
        let part = ((len >> (7 * i)) & 127) as u8;
        out.push(if i == n - 1 { part } else { part | 128 });
    }
}

/// Reads a listpack, giving each element to `f`.
pub fn read_listpack<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(Elem<'a>) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const WHAT: &str = "listpack";
    if blob.len() < 7 {
        return Err(bad(WHAT));
    }
    let total = u32::from_le_bytes(blob[0..4].try_into().unwrap()) as usize;
    let count_hint = u16::from_le_bytes(blob[4..6].try_into().unwrap()) as usize;
    if total != blob.len() || blob[total - 1] != 0xff {
        return Err(bad(WHAT));
    }
    let mut at = 6;
    let mut count = 0;
    let mut backlen_buf = Vec::with_capacity(5);
    while at < total - 1 {
        let start = at;
        let byte = blob[at];
        let (elem, len) = if byte & 0x80 == 0 {
            (Elem::Int((byte & 0x7f) as i64), 1)
        } else if byte & 0xc0 == 0x80 {
            let len = (byte & 0x3f) as usize;
            (Elem::Bytes(take(blob, at + 1, len, WHAT)?), 1 + len)
        } else if byte & 0xe0 == 0xc0 {
            let low = *blob.get(at + 1).ok_or(bad(WHAT))? as u64;
            (Elem::Int(sign_extend(((byte & 0x1f) as u64) << 8 | low, 13)), 2)
        } else if byte & 0xf0 == 0xe0 {
            let low = *blob.get(at + 1).ok_or(bad(WHAT))? as usize;
            let len = ((byte & 0x0f) as usize) << 8 | low;
            (Elem::Bytes(take(blob, at + 2, len, WHAT)?), 2 + len)
        } else {
            let int = |n: usize| -> Result<u64, RdbError> {
                let raw = take(blob, at + 1, n, WHAT)?;
                Ok(raw.iter().rev().fold(0u64, |acc, &b| acc << 8 | b as u64))
            };
            match byte {
                0xf0 => {
                    let len = int(4)? as usize;
                    (Elem::Bytes(take(blob, at + 5, len, WHAT)?), 5 + len)
                }
                0xf1 => (Elem::Int(sign_extend(int(2)?, 16)), 3),
                0xf2 => (Elem::Int(sign_extend(int(3)?, 24)), 4),
                0xf3 => (Elem::Int(sign_extend(int(4)?, 32)), 5),
                0xf4 => (Elem::Int(int(8)? as i64), 9),
                _ => return Err(bad(WHAT)),
            }
        };
        at = start + len;
        backlen_buf.clear();
        encode_backlen(len, &mut backlen_buf);
        if take(blob, at, backlen_buf.len(), WHAT)? != backlen_buf.as_slice() || at + backlen_buf.len() > total - 1 {
            return Err(bad(WHAT));
        }
        at += backlen_buf.len();
        count += 1;
        f(elem)?;
    }
    if count_hint != 65535 && count_hint != count {
        return Err(bad(WHAT));
    }
    Ok(count)
}

/// Builds a listpack.
pub struct ListpackWriter {
    buf: Vec<u8>,
    count: usize,
}

impl Default for ListpackWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ListpackWriter {
    pub fn new() -> ListpackWriter {
        ListpackWriter { buf: vec![0; 6], count: 0 }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Appends bytes, as an integer when they are one in canonical form.
    pub fn push(&mut self, bytes: &[u8]) {
        match canonical_int(bytes) {
            Some(n) => self.push_int(n),
            None => self.push_bytes(bytes),
        }
    }

    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let start = self.buf.len();
        let len = bytes.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.extend_from_slice(&[0xe0 | (len >> 8) as u8, len as u8]);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(bytes);
        self.finish_entry(start);
    }

    pub fn push_int(&mut self, n: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&n) {
            self.buf.push(n as u8);
        } else if (-4096..4096).contains(&n) {
            let v = (n as u64) & 0x1fff;
            self.buf.extend_from_slice(&[0xc0 | (v >> 8) as u8, v as u8]);
        } else if i16::try_from(n).is_ok() {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(n as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&n) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
        } else if i32::try_from(n).is_ok() {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(n as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&n.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let len = self.buf.len() - start;
        encode_backlen(len, &mut self.buf);
        self.count += 1;
    }

    /// The finished listpack.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(0xff);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = if self.count < 65535 { self.count as u16 } else { 65535 };
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

/// `bytes` as an integer if they are its canonical decimal form.
pub fn canonical_int(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    let n: i64 = std::str::from_utf8(bytes).ok()?.parse().ok()?;
    (n.to_string().as_bytes() == bytes).then_some(n)
}

/// Reads a ziplist, giving each element to `f`.
pub fn read_ziplist<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(Elem<'a>) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const WHAT: &str = "ziplist";
    if blob.len() < 11 {
        return Err(bad(WHAT));
    }
    let total = u32::from_le_bytes(blob[0..4].try_into().unwrap()) as usize;
    let tail = u32::from_le_bytes(blob[4..8].try_into().unwrap()) as usize;
    let count_hint = u16::from_le_bytes(blob[8..10].try_into().unwrap()) as usize;
    if total != blob.len() || blob[total - 1] != 0xff {
        return Err(bad(WHAT));
    }
    let mut at = 10;
    let mut prev_len = 0usize;
    let mut last_start = 10;
    let mut count = 0;
    while at < total - 1 {
        let start = at;
        let (prev, prev_size) = if blob[at] < 254 {
            (blob[at] as usize, 1)
        } else if blob[at] == 254 {
            (u32::from_le_bytes(take(blob, at + 1, 4, WHAT)?.try_into().unwrap()) as usize, 5)
        } else {
            return Err(bad(WHAT));
        };
        if prev != prev_len {
            return Err(bad(WHAT));
        }
        at += prev_size;
        let enc = *blob.get(at).ok_or(bad(WHAT))?;
        let le_int = |n: usize| -> Result<u64, RdbError> {
            let raw = take(blob, at + 1, n, WHAT)?;
            Ok(raw.iter().rev().fold(0u64, |acc, &b| acc << 8 | b as u64))
        };
        let (elem, len) = match enc >> 6 {
            0 => {
                let len = (enc & 0x3f) as usize;
                (Elem::Bytes(take(blob, at + 1, len, WHAT)?), 1 + len)
            }
            1 => {
                let len = ((enc & 0x3f) as usize) << 8 | *blob.get(at + 1).ok_or(bad(WHAT))? as usize;
                (Elem::Bytes(take(blob, at + 2, len, WHAT)?), 2 + len)
            }
            2 => {
                if enc != 0x80 {
                    return Err(bad(WHAT));
                }
                let len = u32::from_be_bytes(take(blob, at + 1, 4, WHAT)?.try_into().unwrap()) as usize;
                (Elem::Bytes(take(blob, at + 5, len, WHAT)?), 5 + len)
            }
            _ => match enc {
                0xc0 => (Elem::Int(sign_extend(le_int(2)?, 16)), 3),
                0xd0 => (Elem::Int(sign_extend(le_int(4)?, 32)), 5),
                0xe0 => (Elem::Int(le_int(8)? as i64), 9),
                0xf0 => (Elem::Int(sign_extend(le_int(3)?, 24)), 4),
                0xfe => (Elem::Int(sign_extend(le_int(1)?, 8)), 2),
                0xf1..=0xfd => (Elem::Int((enc & 0x0f) as i64 - 1), 1),
                _ => return Err(bad(WHAT)),
            },
        };
        at += len;
        if at > total - 1 {
            return Err(bad(WHAT));
        }
        prev_len = at - start;
        last_start = start;
        count += 1;
        f(elem)?;
    }
    if (count > 0 && tail != last_start) || (count == 0 && tail != 10) {
        return Err(bad(WHAT));
    }
    if count_hint != 65535 && count_hint != count {
        return Err(bad(WHAT));
    }
    Ok(count)
}

/// Reads an intset: sorted, distinct integers of one width.
pub fn read_intset(blob: &[u8], mut f: impl FnMut(i64) -> Result<(), RdbError>) -> Result<usize, RdbError> {
    const WHAT: &str = "intset";
    if blob.len() < 8 {
        return Err(bad(WHAT));
    }
    let width = u32::from_le_bytes(blob[0..4].try_into().unwrap()) as usize;
    let count = u32::from_le_bytes(blob[4..8].try_into().unwrap()) as usize;
    if !matches!(width, 2 | 4 | 8) || count.checked_mul(width) != Some(blob.len() - 8) {
        return Err(bad(WHAT));
    }
    let mut previous: Option<i64> = None;
    for chunk in blob[8..].chunks_exact(width) {
        let value = match width {
            2 => i16::from_le_bytes(chunk.try_into().unwrap()) as i64,
            4 => i32::from_le_bytes(chunk.try_into().unwrap()) as i64,
            _ => i64::from_le_bytes(chunk.try_into().unwrap()),
        };
        if previous.is_some_and(|p| p >= value) {
            return Err(bad(WHAT));
        }
        previous = Some(value);
        f(value)?;
    }
    Ok(count)
}

/// Reads a zipmap (Redis 2.x small hashes), giving each pair to `f`.
pub fn read_zipmap<'a>(
    blob: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<(), RdbError>,
) -> Result<usize, RdbError> {
    const WHAT: &str = "zipmap";
    if blob.len() < 2 {
        return Err(bad(WHAT));
    }
    let mut at = 1;
    let mut count = 0;
    let length = |at: &mut usize| -> Result<usize, RdbError> {
        let first = *blob.get(*at).ok_or(bad(WHAT))?;
        match first {
            0..=253 => {
                *at += 1;
                Ok(first as usize)
            }
            254 => {
                let len = u32::from_le_bytes(take(blob, *at + 1, 4, WHAT)?.try_into().unwrap()) as usize;
                *at += 5;
                Ok(len)
            }
            _ => Err(bad(WHAT)),
        }
    };
    loop {
        if *blob.get(at).ok_or(bad(WHAT))? == 255 {
            if at != blob.len() - 1 {
                return Err(bad(WHAT));
            }
            return Ok(count);
        }
        let key_len = length(&mut at)?;
        let key = take(blob, at, key_len, WHAT)?;
        at += key_len;
        let value_len = length(&mut at)?;
        let free = *blob.get(at).ok_or(bad(WHAT))? as usize;
        at += 1;
        let value = take(blob, at, value_len, WHAT)?;
        at += value_len + free;
        count += 1;
        f(key, value)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_listpack(blob: &[u8]) -> Result<Vec<Vec<u8>>, RdbError> {
        let mut out = Vec::new();
        read_listpack(blob, |e| {
            out.push(e.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn listpack_round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"-1".to_vec(),
            b"4095".to_vec(),
            b"-4096".to_vec(),
            b"30000".to_vec(),
            b"-8000000".to_vec(),
            b"2000000000".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"9223372036854775807".to_vec(),
            b"007".to_vec(),
            b"".to_vec(),
            b"hello".to_vec(),
            mid,
            long,
        ];
        let mut writer = ListpackWriter::new();
        for item in &items {
            writer.push(item);
        }
        let blob = writer.finish();
        assert_eq!(collect_listpack(&blob).unwrap(), items);
        for cut in 0..blob.len() {
            let mut damaged = blob[..cut].to_vec();
            if damaged.len() >= 4 {
                damaged[0..4].copy_from_slice(&(cut as u32).to_le_bytes());
            }
            assert!(collect_listpack(&damaged).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn listpack_refuses_bad_counts_and_backlens() {
        let mut writer = ListpackWriter::new();
        writer.push(b"abc");
        writer.push(b"12");
        let blob = writer.finish();
        let mut wrong_count = blob.clone();
        wrong_count[4] = 3;
        assert!(collect_listpack(&wrong_count).is_err());
        let mut wrong_backlen = blob.clone();
        wrong_backlen[6 + 4] = 9;
        assert!(collect_listpack(&wrong_backlen).is_err());
    }

    #[test]
    fn intset_must_be_sorted_and_sized() {
        let mut blob = vec![2, 0, 0, 0, 3, 0, 0, 0];
        for v in [-5i16, 1, 300] {
            blob.extend_from_slice(&v.to_le_bytes());
        }
        let mut seen = Vec::new();
        read_intset(&blob, |v| {
            seen.push(v);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![-5, 1, 300]);
        let mut unsorted = blob.clone();
        unsorted.swap(8, 10);
        unsorted.swap(9, 11);
        assert!(read_intset(&unsorted, |_| Ok(())).is_err());
        assert!(read_intset(&blob[..blob.len() - 1], |_| Ok(())).is_err());
    }

    #[test]
    fn ziplist_reads_strings_and_integers() {
        // zlbytes, zltail, zllen, then "ab" (prev 0), 5 (imm), 1000 (int16)
        let mut blob = vec![0u8; 10];
        let entries: Vec<Vec<u8>> = vec![vec![0, 0x02, b'a', b'b'], vec![4, 0xf6], vec![2, 0xc0, 0xe8, 0x03]];
        let mut tail = 10;
        for entry in &entries {
            tail = 10 + blob.len() - 10;
            blob.extend_from_slice(entry);
        }
        blob.push(0xff);
        let total = blob.len() as u32;
        blob[0..4].copy_from_slice(&total.to_le_bytes());
        blob[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        blob[8..10].copy_from_slice(&3u16.to_le_bytes());
        let mut seen = Vec::new();
        read_ziplist(&blob, |e| {
            seen.push(e.to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![b"ab".to_vec(), b"5".to_vec(), b"1000".to_vec()]);
        let mut bad_prev = blob.clone();
        bad_prev[14] = 3;
        assert!(read_ziplist(&bad_prev, |_| Ok(())).is_err());
    }
}
