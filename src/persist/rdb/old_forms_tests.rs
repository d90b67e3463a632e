//! Unit tests of the encodings Redis 7.0 no longer writes but RDB files
//! of older versions hold: linked lists, text-scored sorted sets,
//! zipmaps, ziplists (lists, sorted sets, hashes), quicklist 1, streams
//! of RDB type 15, and Redis 7.2's types 20 and 21. Each value is built
//! byte by byte here, read, and checked element by element; damaged forms
//! must be refused.

use super::packed::ListpackWriter;
use super::read::{read_value, Reader};
use super::write::{write_length, write_string};
use super::*;
use crate::store::entry::{Entry, ValueRef};

/// A ziplist of `items`: short strings, or integers as int16.
fn ziplist(items: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut prev_len = 0usize;
    let mut tail = 10;
    for item in items {
        let start = body.len();
        tail = 10 + start;
        body.push(prev_len as u8);
        match item.parse::<i16>() {
            Ok(n) if n.to_string() == *item => {
                body.push(0xc0);
                body.extend_from_slice(&n.to_le_bytes());
            }
            _ => {
                body.push(item.len() as u8);
                body.extend_from_slice(item.as_bytes());
            }
        }
        prev_len = body.len() - start;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&((10 + body.len() + 1) as u32).to_le_bytes());
    out.extend_from_slice(&(tail as u32).to_le_bytes());
    out.extend_from_slice(&(items.len() as u16).to_le_bytes());
    out.extend_from_slice(&body);
    out.push(0xff);
    out
}

fn read(kind: u8, body: &[u8]) -> Result<Entry, RdbError> {
    let mut reader = Reader::new(body);
    let value = read_value(kind, &mut reader)?;
    assert_eq!(reader.remaining(), 0, "the value fills its bytes");
    Ok(Entry::new(b"k", value, None))
}

fn list_items(entry: &Entry) -> Vec<String> {
    let ValueRef::List(list) = entry.value() else { panic!("not a list") };
    list.iter().map(|e| String::from_utf8_lossy(e).into_owned()).collect()
}

#[test]
fn linked_list_and_ziplist_and_quicklist_1() {
    let mut body = Vec::new();
    write_length(&mut body, 3);
    for item in ["a", "12", "hello"] {
        write_string(&mut body, item.as_bytes());
    }
    assert_eq!(list_items(&read(TYPE_LIST, &body).unwrap()), ["a", "12", "hello"]);

    let mut body = Vec::new();
    write_string(&mut body, &ziplist(&["x", "-5", "300"]));
    assert_eq!(list_items(&read(TYPE_LIST_ZIPLIST, &body).unwrap()), ["x", "-5", "300"]);

    let mut body = Vec::new();
    write_length(&mut body, 2);
    write_string(&mut body, &ziplist(&["a", "b"]));
    write_string(&mut body, &ziplist(&["c"]));
    assert_eq!(list_items(&read(TYPE_LIST_QUICKLIST, &body).unwrap()), ["a", "b", "c"]);

    let mut empty = Vec::new();
    write_length(&mut empty, 0);
    assert!(read(TYPE_LIST, &empty).is_err(), "an empty list is refused");
}

#[test]
fn sorted_sets_with_text_scores_and_ziplists() {
    let mut body = Vec::new();
    write_length(&mut body, 3);
    for (member, score) in [("a", &b"1.5"[..]), ("b", &[254][..]), ("c", &[255][..])] {
        write_string(&mut body, member.as_bytes());
        if score.len() == 1 && score[0] >= 253 {
            body.push(score[0]);
        } else {
            body.push(score.len() as u8);
            body.extend_from_slice(score);
        }
    }
    let entry = read(TYPE_ZSET, &body).unwrap();
    let ValueRef::ZSet(zset) = entry.value() else { panic!() };
    assert_eq!(zset.score(b"a"), Some(1.5));
    assert_eq!(zset.score(b"b"), Some(f64::INFINITY));
    assert_eq!(zset.score(b"c"), Some(f64::NEG_INFINITY));

    let mut nan = Vec::new();
    write_length(&mut nan, 1);
    write_string(&mut nan, b"a");
    nan.push(253);
    assert!(read(TYPE_ZSET, &nan).is_err(), "a NaN score is refused");

    let mut body = Vec::new();
    write_string(&mut body, &ziplist(&["m", "2", "n", "3.25"]));
    let entry = read(TYPE_ZSET_ZIPLIST, &body).unwrap();
    let ValueRef::ZSet(zset) = entry.value() else { panic!() };
    assert_eq!((zset.score(b"m"), zset.score(b"n")), (Some(2.0), Some(3.25)));

    let mut odd = Vec::new();
    write_string(&mut odd, &ziplist(&["m", "2", "n"]));
    assert!(read(TYPE_ZSET_ZIPLIST, &odd).is_err(), "a member without a score is refused");
}

#[test]
fn hashes_as_zipmap_and_ziplist() {
    // zipmap: count, then len key len free value, then 0xff.
    let mut zipmap = vec![2];
    for (field, value) in [("f", "v"), ("num", "42")] {
        zipmap.push(field.len() as u8);
        zipmap.extend_from_slice(field.as_bytes());
        zipmap.push(value.len() as u8);
        zipmap.push(1);
        zipmap.extend_from_slice(value.as_bytes());
        zipmap.push(0);
    }
    zipmap.push(0xff);
    let mut body = Vec::new();
    write_string(&mut body, &zipmap);
    let entry = read(TYPE_HASH_ZIPMAP, &body).unwrap();
    let ValueRef::Hash(hash) = entry.value() else { panic!() };
    assert_eq!((hash.get(b"f"), hash.get(b"num")), (Some(&b"v"[..]), Some(&b"42"[..])));

    let mut body = Vec::new();
    write_string(&mut body, &ziplist(&["f", "1", "g", "two"]));
    let entry = read(TYPE_HASH_ZIPLIST, &body).unwrap();
    let ValueRef::Hash(hash) = entry.value() else { panic!() };
    assert_eq!(hash.get(b"g"), Some(&b"two"[..]));

    let mut duplicate = Vec::new();
    write_string(&mut duplicate, &ziplist(&["f", "1", "f", "2"]));
    assert!(read(TYPE_HASH_ZIPLIST, &duplicate).is_err(), "a duplicate field is refused");
}

#[test]
fn listpack_set_of_redis_7_2() {
    let mut lp = ListpackWriter::new();
    for member in ["a", "7", "b"] {
        lp.push(member.as_bytes());
    }
    let mut body = Vec::new();
    write_string(&mut body, &lp.finish());
    let entry = read(TYPE_SET_LISTPACK, &body).unwrap();
    let ValueRef::Set(set) = entry.value() else { panic!() };
    assert!(set.contains(b"7") && set.len() == 3);
}

/// A stream entry to build: `(ms, seq, fields)`.
type StreamEntry<'a> = (u64, u64, &'a [(&'a str, &'a str)]);

/// A stream listpack node of `entries` (`(ms, seq, fields)`), master ID
/// the first entry's.
fn stream_node(entries: &[StreamEntry<'_>]) -> Vec<u8> {
    let (base_ms, base_seq, master_fields) = entries[0];
    let mut lp = ListpackWriter::new();
    lp.push_int(entries.len() as i64);
    lp.push_int(0);
    lp.push_int(master_fields.len() as i64);
    for (field, _) in master_fields {
        lp.push(field.as_bytes());
    }
    lp.push_int(0);
    for (ms, seq, fields) in entries {
        lp.push_int(0);
        lp.push_int((ms - base_ms) as i64);
        lp.push_int(seq.wrapping_sub(base_seq) as i64);
        lp.push_int(fields.len() as i64);
        for (field, value) in *fields {
            lp.push(field.as_bytes());
            lp.push(value.as_bytes());
        }
        lp.push_int(fields.len() as i64 * 2 + 4);
    }
    lp.finish()
}

fn stream_body(kind: u8) -> Vec<u8> {
    let mut body = Vec::new();
    write_length(&mut body, 1);
    let mut master = 5u64.to_be_bytes().to_vec();
    master.extend_from_slice(&1u64.to_be_bytes());
    write_string(&mut body, &master);
    write_string(&mut body, &stream_node(&[(5, 1, &[("a", "1")]), (6, 0, &[("b", "2"), ("c", "3")])]));
    write_length(&mut body, 2);
    write_length(&mut body, 6);
    write_length(&mut body, 0);
    if kind != TYPE_STREAM_LISTPACKS {
        for n in [5, 1, 0, 0, 2] {
            write_length(&mut body, n);
        }
    }
    write_length(&mut body, 1);
    write_string(&mut body, b"g");
    write_length(&mut body, 5);
    write_length(&mut body, 1);
    if kind != TYPE_STREAM_LISTPACKS {
        write_length(&mut body, 1);
    }
    write_length(&mut body, 1);
    body.extend_from_slice(&5u64.to_be_bytes());
    body.extend_from_slice(&1u64.to_be_bytes());
    body.extend_from_slice(&1234i64.to_le_bytes());
    write_length(&mut body, 2);
    write_length(&mut body, 1);
    write_string(&mut body, b"alice");
    body.extend_from_slice(&999i64.to_le_bytes());
    if kind == TYPE_STREAM_LISTPACKS_3 {
        body.extend_from_slice(&998i64.to_le_bytes());
    }
    write_length(&mut body, 1);
    body.extend_from_slice(&5u64.to_be_bytes());
    body.extend_from_slice(&1u64.to_be_bytes());
    body
}

#[test]
fn streams_of_every_rdb_type() {
    for kind in [TYPE_STREAM_LISTPACKS, TYPE_STREAM_LISTPACKS_2, TYPE_STREAM_LISTPACKS_3] {
        let entry = read(kind, &stream_body(kind)).unwrap_or_else(|e| panic!("type {kind}: {e}"));
        let ValueRef::Stream(stream) = entry.value() else { panic!() };
        assert_eq!(stream.len(), 2, "type {kind}");
        assert_eq!((stream.last_id.ms, stream.last_id.seq), (6, 0));
        let group = &stream.groups[&b"g"[..]];
        let pending = group.pending.values().next().expect("one pending entry");
        assert_eq!((&*pending.consumer, pending.delivery_time, pending.delivery_count), (&b"alice"[..], 1234, 2));
        assert_eq!(group.consumers[&b"alice"[..]].seen_time, 999);
    }
    // A pending entry nobody owns is refused.
    let mut body = stream_body(TYPE_STREAM_LISTPACKS_2);
    let cut = body.len() - 16 - 1;
    body.truncate(cut);
    body.push(0);
    assert!(read(TYPE_STREAM_LISTPACKS_2, &body).is_err());
}

#[test]
fn module_types_are_refused() {
    assert_eq!(read(TYPE_MODULE_2, &[0]).err(), Some(RdbError::Unsupported(TYPE_MODULE_2)));
}
