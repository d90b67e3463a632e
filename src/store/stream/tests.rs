//! Tests of the stream value type: IDs, ranges across nodes, deletion,
//! trimming and the read counters.

use super::*;

fn filled(n: u64) -> Stream {
    let mut s = Stream::new();
    for i in 1..=n {
        let id = s.next_id(IdRequest::Exact(StreamId::new(i, 0)), 0).unwrap();
        s.push(id, &[(b"f", format!("{i}").as_bytes())]);
    }
    s
}

fn ids(s: &Stream, start: StreamId, end: StreamId, rev: bool) -> Vec<u64> {
    let mut out = Vec::new();
    s.scan(start, end, rev, |e| {
        out.push(e.id.ms);
        true
    });
    out
}

#[test]
fn ids_from_the_clock_and_from_requests() {
    let mut s = Stream::new();
    assert_eq!(s.next_id(IdRequest::Auto, 5), Ok(StreamId::new(5, 0)));
    s.push(StreamId::new(5, 0), &[(b"a", b"1")]);
    assert_eq!(s.next_id(IdRequest::Auto, 5), Ok(StreamId::new(5, 1)));
    assert_eq!(s.next_id(IdRequest::Auto, 3), Ok(StreamId::new(5, 1)));
    assert_eq!(s.next_id(IdRequest::Ms(5), 0), Ok(StreamId::new(5, 1)));
    assert_eq!(s.next_id(IdRequest::Ms(4), 0), Err(AddError::TooSmall));
    assert_eq!(s.next_id(IdRequest::Exact(StreamId::new(5, 0)), 0), Err(AddError::TooSmall));
    s.last_id = StreamId::MAX;
    assert_eq!(s.next_id(IdRequest::Auto, 5), Err(AddError::Exhausted));
}

#[test]
fn ranges_across_nodes() {
    let s = filled(1000);
    assert!(s.node_count() >= 10);
    assert_eq!(ids(&s, StreamId::new(250, 0), StreamId::new(254, 0), false), vec![250, 251, 252, 253, 254]);
    assert_eq!(ids(&s, StreamId::new(199, 1), StreamId::new(202, 0), true), vec![202, 201, 200]);
    assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, false).len(), 1000);
    assert_eq!(ids(&s, StreamId::MIN, StreamId::MAX, true).first(), Some(&1000));
    assert!(ids(&s, StreamId::new(5, 0), StreamId::new(4, 0), false).is_empty());
}

#[test]
fn deletes_and_trims() {
    let mut s = filled(300);
    assert!(s.delete(StreamId::new(1, 0)));
    assert_eq!(s.first_id, StreamId::new(2, 0));
    assert_eq!(s.max_deleted, StreamId::new(1, 0));
    assert!(!s.delete(StreamId::new(1, 0)));
    assert_eq!(s.trim(Trim::MaxLen(1000), false, 0), 0);
    assert_eq!(s.trim(Trim::MaxLen(250), false, 0), 49);
    assert_eq!(s.len(), 250);
    assert_eq!(s.first_id, StreamId::new(51, 0));
    assert_eq!(s.trim(Trim::MinId(StreamId::new(60, 0)), false, 0), 9);
    assert_eq!(s.first_id, StreamId::new(60, 0));
    // Approximate trimming takes whole nodes only.
    let before = s.len();
    let removed = s.trim(Trim::MaxLen(10), true, 0);
    assert_eq!(s.len(), before - removed);
    assert!(s.len() >= 10);
    let left = s.len();
    assert_eq!(s.trim(Trim::MaxLen(0), false, 0), left);
    assert!(s.is_empty());
    assert_eq!(s.first_id, StreamId::MIN);
    assert_eq!(s.entries_added, 300);
}

#[test]
fn trimming_by_minimum_id_looks_at_deleted_entries_too() {
    let mut s = filled(150);
    // The first node holds 1..=100; its last entry, deleted, still counts.
    assert!(s.delete(StreamId::new(100, 0)));
    assert_eq!(s.trim(Trim::MinId(StreamId::new(100, 0)), true, 0), 0);
    assert_eq!(s.trim(Trim::MinId(StreamId::new(100, 1)), true, 0), 99);
    assert_eq!(s.first_id, StreamId::new(101, 0));
}

#[test]
fn read_counters() {
    let mut s = filled(5);
    assert_eq!(s.reads_up_to(StreamId::new(5, 0)), 5);
    assert_eq!(s.reads_up_to(StreamId::new(1, 0)), 1);
    assert_eq!(s.reads_up_to(StreamId::MIN), 0);
    assert_eq!(s.reads_up_to(StreamId::new(3, 0)), UNKNOWN_READS);
    assert_eq!(s.reads_up_to(StreamId::new(9, 0)), UNKNOWN_READS);
    s.groups.insert(b"g".as_slice().into(), Group::new(StreamId::MIN, 0));
    s.advance_group(b"g", StreamId::new(1, 0));
    assert_eq!(s.groups[&b"g"[..]].entries_read, 1);
    assert_eq!(s.lag(&s.groups[&b"g"[..]]), Some(4));
    s.delete(StreamId::new(3, 0));
    assert_eq!(s.lag(&s.groups[&b"g"[..]]), None);
}
