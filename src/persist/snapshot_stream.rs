//! The commands that rebuild a stream in a snapshot:
//!
//! 1. each entry as an `XADD` with its ID, in ID order, together with a
//!    placeholder entry for each pending ID whose entry was deleted (an
//!    `XCLAIM` can only claim an entry that exists); an `XADD ... MAXLEN 0`
//!    creates a stream that has neither;
//! 2. each group with `XGROUP CREATE ... ENTRIESREAD`, each consumer with
//!    `XGROUP CREATECONSUMER`, each pending entry with `XCLAIM ... TIME t
//!    RETRYCOUNT n FORCE JUSTID` (its delivery time and count exactly);
//! 3. the placeholders removed again: those before the first live entry
//!    by an exact `XTRIM` (which leaves the deleted-ID counter alone, as
//!    the trim that removed them did), the others by `XDEL`;
//! 4. the counters set with `XSETID ... ENTRIESADDED MAXDELETEDID`.
//!
//! Consumers' seen times are those of the snapshot's writing.

use std::collections::BTreeSet;

use crate::store::stream::{Stream, StreamId};

/// Calls `emit` with each command that rebuilds `stream` under `key`.
pub fn commands(key: &[u8], stream: &Stream, mut emit: impl FnMut(&[&[u8]])) {
    let placeholders: BTreeSet<StreamId> = stream
        .groups
        .values()
        .flat_map(|group| group.pending.keys().copied())
        .filter(|&id| !stream.contains(id))
        .collect();
    let mut pending_placeholders = placeholders.iter().copied().peekable();
    let mut add_placeholders_before = |limit: StreamId, emit: &mut dyn FnMut(&[&[u8]])| {
        while let Some(id) = pending_placeholders.next_if(|&id| id < limit) {
            let id = id.text();
            emit(&[b"XADD", key, id.as_bytes(), b"", b""]);
        }
    };
    if stream.is_empty() && placeholders.is_empty() {
        let id = if stream.last_id.is_zero() { StreamId::new(0, 1) } else { stream.last_id };
        let id = id.text();
        emit(&[b"XADD", key, b"MAXLEN", b"0", id.as_bytes(), b"", b""]);
    }
    stream.scan(StreamId::MIN, StreamId::MAX, false, |entry| {
        add_placeholders_before(entry.id, &mut emit);
        let id = entry.id.text();
        let mut args: Vec<&[u8]> = Vec::with_capacity(3 + entry.fields.len() * 2);
        args.extend_from_slice(&[b"XADD", key, id.as_bytes()]);
        for (field, value) in &entry.fields {
            args.push(field);
            args.push(value);
        }
        emit(&args);
        true
    });
    add_placeholders_before(StreamId::MAX, &mut emit);
    if placeholders.contains(&StreamId::MAX) {
        emit(&[b"XADD", key, StreamId::MAX.text().as_bytes(), b"", b""]);
    }
    for (name, group) in &stream.groups {
        let (last, read) = (group.last_id.text(), group.entries_read.to_string());
        emit(&[b"XGROUP", b"CREATE", key, name, last.as_bytes(), b"ENTRIESREAD", read.as_bytes()]);
        for consumer in group.consumers.keys() {
            emit(&[b"XGROUP", b"CREATECONSUMER", key, name, consumer]);
        }
        for (id, pending) in &group.pending {
            let (id, time, count) = (id.text(), pending.delivery_time.to_string(), pending.delivery_count.to_string());
            emit(&[
                b"XCLAIM",
                key,
                name,
                &pending.consumer,
                b"0",
                id.as_bytes(),
                b"TIME",
                time.as_bytes(),
                b"RETRYCOUNT",
                count.as_bytes(),
                b"FORCE",
                b"JUSTID",
            ]);
        }
    }
    if !placeholders.is_empty() {
        let first_live = (!stream.is_empty()).then_some(stream.first_id);
        match first_live {
            None => emit(&[b"XTRIM", key, b"MAXLEN", b"=", b"0"]),
            Some(first) => {
                if placeholders.first().is_some_and(|&id| id < first) {
                    emit(&[b"XTRIM", key, b"MINID", b"=", first.text().as_bytes()]);
                }
                let later: Vec<String> = placeholders.iter().filter(|&&id| id > first).map(|id| id.text()).collect();
                if !later.is_empty() {
                    let mut args: Vec<&[u8]> = vec![b"XDEL", key];
                    args.extend(later.iter().map(String::as_bytes));
                    emit(&args);
                }
            }
        }
    }
    let (last, added, deleted) = (stream.last_id.text(), stream.entries_added.to_string(), stream.max_deleted.text());
    emit(&[b"XSETID", key, last.as_bytes(), b"ENTRIESADDED", added.as_bytes(), b"MAXDELETEDID", deleted.as_bytes()]);
}
