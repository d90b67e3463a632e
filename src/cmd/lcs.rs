//! LCS: the longest common subsequence of two strings, with Redis 7.0's
//! options (`LEN`, `IDX`, `MINMATCHLEN`, `WITHMATCHLEN`), replies and
//! errors.
//!
//! The classic O(n·m) dynamic programme over a table of `u32` lengths,
//! walked back from the end to spell the subsequence and the matching
//! ranges; the walk takes the same turns as Redis's, so ties between
//! equally long subsequences resolve to the same answer. A missing key is
//! an empty string. The table is refused, as in Redis, when it would pass
//! 512 MiB (`proto-max-bulk-len`'s default).

use super::args::{is, parse_i64};
use super::meta::{arg, key};
use super::string::string_of;
use super::table::{CommandSpec, Flags};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;

pub const COMMANDS: &[CommandSpec] = &[CommandSpec::new("lcs", -3, Flags::READONLY, (1, 2, 1), lcs)
    .acl("string")
    .keys(&[key(1, "RO access").range(1, 1, 0)])
    .doc(
        "string",
        "7.0.0",
        "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        "Find longest common substring",
    )
    .args(&[
        arg::key("key1", 0),
        arg::key("key2", 0),
        arg::token("len", "LEN").optional(),
        arg::token("idx", "IDX").optional(),
        arg::integer("len").token("MINMATCHLEN").optional(),
        arg::token("withmatchlen", "WITHMATCHLEN").optional(),
    ])];

/// The largest table Redis allows (its default `proto-max-bulk-len`).
const MAX_TABLE_BYTES: u64 = 512 * 1024 * 1024;

/// A matching range: `(a_start, a_end, b_start, b_end)`, inclusive.
type Range = (usize, usize, usize, usize);

/// The table of LCS lengths of every pair of prefixes, row-major with
/// `b.len() + 1` columns.
fn lengths(a: &[u8], b: &[u8]) -> Vec<u32> {
    let width = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    table
}

/// Walks the table back from the end: the subsequence, and the matching
/// ranges from last to first (Redis's order), each with its length.
fn walk(a: &[u8], b: &[u8], table: &[u32]) -> (Vec<u8>, Vec<Range>) {
    let width = b.len() + 1;
    let total = table[a.len() * width + b.len()] as usize;
    let mut result = vec![0u8; total];
    let mut ranges = Vec::new();
    let mut current: Option<Range> = None;
    let (mut i, mut j, mut left) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[left - 1] = a[i - 1];
            match &mut current {
                None => current = Some((i - 1, i - 1, j - 1, j - 1)),
                Some(range) if range.0 == i && range.2 == j => {
                    range.0 -= 1;
                    range.2 -= 1;
                }
                Some(_) => emit = true,
            }
            if current.is_some_and(|r| r.0 == 0 || r.2 == 0) {
                emit = true;
            }
            left -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            emit = current.is_some();
        }
        if emit {
            ranges.extend(current.take());
        }
    }
    (result, ranges)
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN].
fn lcs(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    const NOT_STRINGS: CmdError = CmdError::Static("ERR The specified keys must contain string values");
    let now = ctx.now_ms;
    let a = string_of(ctx.db(), args.get(1), now).map_err(|_| NOT_STRINGS)?.map(<[u8]>::to_vec);
    let b = string_of(ctx.db(), args.get(2), now).map_err(|_| NOT_STRINGS)?.map(<[u8]>::to_vec);
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0usize);
    let mut k = 3;
    while k < args.len() {
        let opt = args.get(k);
        if is(opt, "idx") {
            idx = true;
        } else if is(opt, "len") {
            len_only = true;
        } else if is(opt, "withmatchlen") {
            with_len = true;
        } else if is(opt, "minmatchlen") && k + 1 < args.len() {
            min_len = usize::try_from(parse_i64(args.get(k + 1))?.max(0)).unwrap_or(usize::MAX);
            k += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        k += 1;
    }
    if len_only && idx {
        return Err(CmdError::Static("ERR If you want both the length and indexes, please just use IDX."));
    }
    if a.len() as u64 >= u64::from(u32::MAX) - 1 || b.len() as u64 >= u64::from(u32::MAX) - 1 {
        return Err(CmdError::Static("ERR String too long for LCS"));
    }
    if (a.len() as u64 + 1) * (b.len() as u64 + 1) * 4 > MAX_TABLE_BYTES {
        return Err(CmdError::Static("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    }
    let table = lengths(&a, &b);
    let total = table[table.len() - 1];
    if len_only {
        ctx.out.int(i64::from(total));
        return Ok(());
    }
    let (result, ranges) = walk(&a, &b, &table);
    if !idx {
        ctx.out.bulk(&result);
        return Ok(());
    }
    let shown: Vec<&Range> = ranges.iter().filter(|r| min_len == 0 || r.1 - r.0 + 1 >= min_len).collect();
    let out = &mut ctx.out;
    out.map(2);
    out.bulk(b"matches");
    out.array(shown.len());
    for &&(a_start, a_end, b_start, b_end) in &shown {
        out.array(2 + usize::from(with_len));
        out.array(2);
        out.int(a_start as i64);
        out.int(a_end as i64);
        out.array(2);
        out.int(b_start as i64);
        out.int(b_end as i64);
        if with_len {
            out.int((a_end - a_start + 1) as i64);
        }
    }
    out.bulk(b"len");
    out.int(i64::from(total));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence_and_ranges() {
        let (a, b) = (b"ohmytext".as_slice(), b"mynewtext".as_slice());
        let table = lengths(a, b);
        let (result, ranges) = walk(a, b, &table);
        assert_eq!(result, b"mytext");
        assert_eq!(ranges, [(4, 7, 5, 8), (2, 3, 0, 1)]);
        let (result, ranges) = walk(b"", b"abc", &lengths(b"", b"abc"));
        assert!(result.is_empty() && ranges.is_empty());
    }
}
