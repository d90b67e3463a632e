//! SORT and SORT_RO: the elements of a list, set or sorted set, sorted by
//! their own value or by keys named after them (`BY weight_*`,
//! `BY hash_*->field`), numerically or with `ALPHA`, with `LIMIT`,
//! `ASC|DESC`, `GET` of other keys (`GET #` for the element itself) and
//! `STORE` into a list. Redis 7.0's arguments, replies and errors.
//!
//! Redis's rules are kept: a `BY` pattern without `*` (`BY nosort`) skips
//! sorting (lists and sorted sets keep their order, `DESC` reverses it;
//! a set is sorted `ALPHA` anyway when stored, so the result does not
//! depend on hash order); a missing weight sorts as 0 (first under
//! `ALPHA`); equal numeric weights fall back to comparing the elements;
//! an element or weight that is not a number fails the whole command with
//! `One or more scores can't be converted into double`.
//!
//! `STORE` replaces the destination with a list (or deletes it when the
//! result is empty), announces `sortstore`, wakes clients blocked on the
//! destination, and is logged as what it stored: `DEL` of the
//! destination and an `RPUSH` of the stored elements.

use std::cmp::Ordering;

use super::args::{is, parse_i64};
use super::meta::{arg, key, unknown, Arg, FoundKey};
use super::table::{CommandSpec, Flags, KEY1};
use super::{CmdError, CmdResult, Ctx};
use crate::protocol::Args;
use crate::pubsub::{GENERIC, LIST};
use crate::store::list::List;
use crate::store::{Db, Ttl, Value, ValueRef};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, Flags::WRITE.or(Flags::DENYOOM), KEY1, sort)
        .acl("set sortedset list dangerous")
        .keys(&[
            key(1, "RO access"),
            unknown("RO access").note(BY_GET_NOTE),
            unknown("OW update").note(
                "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear \
                    anywhere in the argument array",
            ),
        ])
        .key_finder(sort_keys)
        .doc("generic", "1.0.0", SORT_COMPLEXITY, "Sort the elements in a list, set or sorted set")
        .args(&[
            arg::key("key", 0),
            BY,
            LIMIT,
            GET,
            ORDER,
            ALPHA,
            arg::key("destination", 2).token("STORE").optional(),
        ]),
    CommandSpec::new("sort_ro", -2, Flags::READONLY, KEY1, sort_ro)
        .acl("set sortedset list dangerous")
        .keys(&[key(1, "RO access"), unknown("RO access").note(BY_GET_NOTE)])
        .key_finder(sort_ro_keys)
        .doc(
            "generic",
            "7.0.0",
            SORT_COMPLEXITY,
            "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
        )
        .args(&[arg::key("key", 0), BY, LIMIT, GET, ORDER, ALPHA]),
];

const SORT_COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M \
    the number of returned elements. When the elements are not sorted, complexity is O(N).";
const BY_GET_NOTE: &str = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive \
    from the content of the key we sort";
const BY: Arg = arg::key_pattern("pattern", 1).token("BY").optional();
const LIMIT: Arg =
    arg::block("offset_count", &[arg::integer("offset"), arg::integer("count")]).token("LIMIT").optional();
const GET: Arg = arg::key_pattern("pattern", 1).token("GET").optional().multiple().multiple_token();
const ORDER: Arg = arg::oneof("order", &[arg::token("asc", "ASC"), arg::token("desc", "DESC")]).optional();
const ALPHA: Arg = arg::token("sorting", "ALPHA").optional();

/// SORT's keys as Redis's own finder tells them (`COMMAND GETKEYS`): the
/// sorted key, then the destination after the last `STORE` that has an
/// argument after it. Options are skipped with their arguments (`LIMIT`
/// two, `BY` and `GET` one); any other word is read as an option alone.
fn sort_keys(args: Args<'_>) -> Vec<FoundKey> {
    let mut keys = vec![FoundKey::new(1, "RO access")];
    let mut destination = None;
    let mut at = 2;
    while at < args.len() {
        let word = args.get(at);
        if is(word, "limit") {
            at += 2;
        } else if is(word, "get") || is(word, "by") {
            at += 1;
        } else if is(word, "store") && at + 1 < args.len() {
            destination = Some(at + 1);
        }
        at += 1;
    }
    keys.extend(destination.map(|position| FoundKey::new(position, "OW update")));
    keys
}

/// SORT_RO's key as Redis's own finder tells it: the sorted key alone.
fn sort_ro_keys(_: Args<'_>) -> Vec<FoundKey> {
    vec![FoundKey::new(1, "RO access")]
}

/// What SORT's options say.
struct Request<'a> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    by: Option<&'a [u8]>,
    /// `BY` a pattern without `*`: keep the native order.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

fn parse_request(args: Args<'_>, read_only: bool) -> Result<Request<'_>, CmdError> {
    let mut r =
        Request { desc: false, alpha: false, limit: None, by: None, dont_sort: false, gets: Vec::new(), store: None };
    let mut j = 2;
    while j < args.len() {
        let (arg, left) = (args.get(j), args.len() - j - 1);
        if is(arg, "asc") {
            r.desc = false;
        } else if is(arg, "desc") {
            r.desc = true;
        } else if is(arg, "alpha") {
            r.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            r.limit = Some((parse_i64(args.get(j + 1))?, parse_i64(args.get(j + 2))?));
            j += 2;
        } else if !read_only && is(arg, "store") && left >= 1 {
            r.store = Some(args.get(j + 1));
            j += 1;
        } else if is(arg, "by") && left >= 1 {
            let pattern = args.get(j + 1);
            r.dont_sort = !c_string(pattern).contains(&b'*');
            r.by = Some(pattern);
            j += 1;
        } else if is(arg, "get") && left >= 1 {
            r.gets.push(args.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(r)
}

/// The part of `bytes` before its first NUL (Redis searches patterns as
/// C strings).
fn c_string(bytes: &[u8]) -> &[u8] {
    bytes.iter().position(|&b| b == 0).map_or(bytes, |end| &bytes[..end])
}

/// What a pattern names for `element`: the element itself for `#`, the
/// string under the key with `*` replaced, or a field of the hash there
/// (`key_*->field`). `None` when the pattern has no `*` or the key is
/// missing or of another type.
fn lookup_pattern(db: &mut Db, pattern: &[u8], element: &[u8], now: i64) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let searched = c_string(pattern);
    let star = searched.iter().position(|&b| b == b'*')?;
    let arrow = searched[star + 1..].windows(2).position(|w| w == b"->").map(|at| star + 1 + at);
    let field = arrow.filter(|&at| at + 2 < searched.len()).map(|at| &pattern[at + 2..]);
    let key_end = match field {
        Some(_) => arrow.unwrap_or(pattern.len()),
        None => pattern.len(),
    };
    let key = [&pattern[..star], element, &pattern[star + 1..key_end]].concat();
    let entry = db.get(&key, now)?;
    match (entry.value(), field) {
        (ValueRef::Str(value), None) => Some(value.to_vec()),
        (ValueRef::Hash(hash), Some(field)) => hash.get(field).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// A weight as Redis's `strtod` reads it: leading space allowed, nothing
/// after the number, no NaN, no overflow or underflow.
fn parse_weight(text: &[u8]) -> Option<f64> {
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|b| !b" \t\n\x0b\x0c\r".contains(b)).unwrap_or(text.len());
    let text = std::str::from_utf8(&text[start..]).ok()?;
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
        return Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    if !unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let value: f64 = text.parse().ok()?;
    let out_of_range = value.is_infinite()
        || (value != 0.0 && !value.is_normal())
        || (value == 0.0
            && unsigned.split(['e', 'E']).next().is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b))));
    (!out_of_range).then_some(value)
}

/// One element being sorted, with its weight.
struct Item {
    element: Vec<u8>,
    score: f64,
    /// The `BY` value under `ALPHA` (`None`: missing, sorts first).
    by_value: Option<Vec<u8>>,
}

/// The elements of the value under `key` in its native order (`Err` for
/// a type SORT cannot sort; empty for a missing key), and whether it is
/// a set.
fn elements(db: &mut Db, key: &[u8], now: i64) -> Result<(Vec<Vec<u8>>, bool), CmdError> {
    let Some(entry) = db.get(key, now) else { return Ok((Vec::new(), false)) };
    Ok(match entry.value() {
        ValueRef::List(list) => (list.iter().map(<[u8]>::to_vec).collect(), false),
        ValueRef::Set(set) => (set.iter().map(|member| member.into_owned()).collect(), true),
        ValueRef::ZSet(zset) => (zset.iter_sorted().map(|(m, _)| m.to_vec()).collect(), false),
        _ => return Err(CmdError::WrongType),
    })
}

fn sort_generic(ctx: &mut Ctx<'_>, args: Args<'_>, read_only: bool) -> CmdResult {
    let mut r = parse_request(args, read_only)?;
    let now = ctx.now_ms;
    let (mut items, is_set) = elements(ctx.db(), args.get(1), now)?;
    // A set is never stored (or given to a script) in hash order.
    if r.dont_sort && is_set && (r.store.is_some() || matches!(ctx.caller, super::Caller::Script { .. })) {
        r.dont_sort = false;
        r.alpha = true;
        r.by = None;
    }
    let len = items.len() as i64;
    let (limit_start, limit_count) = r.limit.unwrap_or((0, -1));
    let mut start = limit_start.clamp(0, len);
    let count = limit_count.clamp(-1, len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    let mut failed = false;
    if r.dont_sort {
        if r.desc && !is_set {
            items.reverse();
        }
    } else {
        let db = ctx.store.db(ctx.db_index);
        let mut sorted: Vec<Item> = Vec::with_capacity(items.len());
        for element in items {
            let by_value = match r.by {
                Some(pattern) => lookup_pattern(db, pattern, &element, now),
                None => None,
            };
            let mut score = 0.0;
            if !r.alpha {
                let weight = if r.by.is_some() { by_value.as_deref() } else { Some(&element[..]) };
                if let Some(weight) = weight {
                    match parse_weight(weight) {
                        Some(value) => score = value,
                        None => failed = true,
                    }
                }
            }
            sorted.push(Item { element, score, by_value });
        }
        let (alpha, by, desc) = (r.alpha, r.by.is_some(), r.desc);
        sorted.sort_by(|a, b| {
            let order = if !alpha {
                a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.element.cmp(&b.element))
            } else if by {
                a.by_value.cmp(&b.by_value)
            } else {
                a.element.cmp(&b.element)
            };
            if desc {
                order.reverse()
            } else {
                order
            }
        });
        items = sorted.into_iter().map(|item| item.element).collect();
    }
    if failed {
        return Err(CmdError::Static("ERR One or more scores can't be converted into double"));
    }
    let chosen = if end >= start { &items[start as usize..=end as usize] } else { &[][..] };
    let db = ctx.store.db(ctx.db_index);
    let mut output: Vec<Option<Vec<u8>>> = Vec::new();
    for element in chosen {
        if r.gets.is_empty() {
            output.push(Some(element.clone()));
        }
        for pattern in &r.gets {
            output.push(lookup_pattern(db, pattern, element, now));
        }
    }
    match r.store {
        None => {
            ctx.out.array(output.len());
            for value in &output {
                ctx.out.bulk_or_null(value.as_deref());
            }
        }
        Some(destination) => store(ctx, destination, output),
    }
    Ok(())
}

/// `STORE destination`: the result as a list (missing values as empty
/// strings), logged as `DEL` and `RPUSH`.
fn store(ctx: &mut Ctx<'_>, destination: &[u8], output: Vec<Option<Vec<u8>>>) {
    let now = ctx.now_ms;
    let values: Vec<&[u8]> = output.iter().map(|v| v.as_deref().unwrap_or_default()).collect();
    let db = ctx.store.db(ctx.db_index);
    if values.is_empty() {
        if db.remove(destination, now).is_some() {
            ctx.notify(GENERIC, "del", destination);
            ctx.log_as(&[b"DEL", destination]);
        }
    } else {
        let list: List = values.iter().copied().collect();
        db.set(destination, Value::List(Box::new(list)), Ttl::Clear, now);
        ctx.notify(LIST, "sortstore", destination);
        ctx.log_as(&[b"DEL", destination]);
        let rpush: Vec<&[u8]> = [&b"RPUSH"[..], destination].into_iter().chain(values.iter().copied()).collect();
        ctx.log_as(&rpush);
    }
    ctx.out.int(values.len() as i64);
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
/// [ASC|DESC] [ALPHA] [STORE destination]: O(n log n + m·g).
fn sort(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    sort_generic(ctx, args, false)
}

/// SORT_RO: SORT without STORE.
fn sort_ro(ctx: &mut Ctx<'_>, args: Args<'_>) -> CmdResult {
    sort_generic(ctx, args, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_as_strtod_reads_them() {
        assert_eq!(parse_weight(b"1.5"), Some(1.5));
        assert_eq!(parse_weight(b"  -3"), Some(-3.0));
        assert_eq!(parse_weight(b""), Some(0.0));
        assert_eq!(parse_weight(b"  "), None);
        assert_eq!(parse_weight(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_weight(b"1 "), None);
        assert_eq!(parse_weight(b"nan"), None);
        assert_eq!(parse_weight(b"1e400"), None);
        assert_eq!(parse_weight(b"1e-400"), None);
        assert_eq!(parse_weight(b"abc"), None);
    }
}
