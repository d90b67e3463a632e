//! Streams in RDB: entries as listpacks, each with a master entry, then
//! the counters, then the consumer groups with their pending entries and
//! consumers (types 15, 19 and 21 read; 19, Redis 7.0's, written).
//!
//! A listpack node is `count deleted master-field-count master-fields... 0`
//! then per entry `flags ms-delta seq-delta` and either the values of the
//! master fields (flag SAMEFIELDS) or `field-count field value...`,
//! ending with the entry's element count. Deleted entries (flag DELETED)
//! are skipped on reading. IDs outside listpacks are 16 bytes, both halves
//! big-endian.
//!
//! Reading checks what would break the stream: IDs strictly ascending,
//! per-node counts, every element count, each pending entry owned by
//! exactly one consumer of its group.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::packed::{read_listpack, Elem, ListpackWriter};
use super::read::Reader;
use super::write::{write_length, write_string};
use super::*;
use crate::store::stream::{Consumer, Group, Pending, Stream, StreamId, UNKNOWN_READS};

const FLAG_DELETED: i64 = 1;
const FLAG_SAME_FIELDS: i64 = 2;
/// Entries per written listpack, as Redis's `stream-node-max-entries`.
const NODE_ENTRIES: usize = 100;

/// An entry's field-value pairs, owned.
type Fields = Vec<(Vec<u8>, Vec<u8>)>;

fn corrupt() -> RdbError {
    RdbError::Corrupt("stream")
}

fn raw_id(bytes: &[u8]) -> Result<StreamId, RdbError> {
    if bytes.len() != 16 {
        return Err(corrupt());
    }
    let ms = u64::from_be_bytes(bytes[..8].try_into().unwrap());
    let seq = u64::from_be_bytes(bytes[8..].try_into().unwrap());
    Ok(StreamId::new(ms, seq))
}

fn length_id(r: &mut Reader<'_>) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(r.length()?, r.length()?))
}

/// Decodes one listpack node into `stream`.
fn read_node(master: StreamId, blob: &[u8], stream: &mut Stream) -> Result<(), RdbError> {
    let mut elems: Vec<Elem<'_>> = Vec::new();
    read_listpack(blob, |e| {
        elems.push(e);
        Ok(())
    })?;
    let mut at = 0;
    let next_int = |at: &mut usize| -> Result<i64, RdbError> {
        let value = elems.get(*at).ok_or_else(corrupt)?.as_int().ok_or_else(corrupt)?;
        *at += 1;
        Ok(value)
    };
    let live = next_int(&mut at)?;
    let deleted = next_int(&mut at)?;
    let master_count = usize::try_from(next_int(&mut at)?).map_err(|_| corrupt())?;
    if master_count == 0 || at + master_count >= elems.len() {
        return Err(corrupt());
    }
    let master_fields: Vec<Vec<u8>> = elems[at..at + master_count].iter().map(Elem::to_vec).collect();
    at += master_count;
    if next_int(&mut at)? != 0 {
        return Err(corrupt());
    }
    let (mut seen_live, mut seen_deleted) = (0i64, 0i64);
    while at < elems.len() {
        let flags = next_int(&mut at)?;
        // Deltas from the master ID, in wrapping 64-bit arithmetic (a
        // sequence delta is negative when the milliseconds grew).
        let ms = master.ms.wrapping_add(next_int(&mut at)? as u64);
        let seq = master.seq.wrapping_add(next_int(&mut at)? as u64);
        let id = StreamId::new(ms, seq);
        let fields: Vec<(Vec<u8>, Vec<u8>)> = if flags & FLAG_SAME_FIELDS != 0 {
            let values = elems.get(at..at + master_count).ok_or_else(corrupt)?;
            at += master_count;
            master_fields.iter().cloned().zip(values.iter().map(Elem::to_vec)).collect()
        } else {
            let count = usize::try_from(next_int(&mut at)?).map_err(|_| corrupt())?;
            let end = count.checked_mul(2).and_then(|n| n.checked_add(at)).ok_or_else(corrupt)?;
            let pairs = elems.get(at..end).ok_or_else(corrupt)?;
            at += count * 2;
            pairs.chunks_exact(2).map(|p| (p[0].to_vec(), p[1].to_vec())).collect()
        };
        let expected = if flags & FLAG_SAME_FIELDS != 0 { fields.len() + 3 } else { fields.len() * 2 + 4 };
        if next_int(&mut at)? != expected as i64 {
            return Err(corrupt());
        }
        if flags & FLAG_DELETED != 0 {
            seen_deleted += 1;
            continue;
        }
        if !stream.is_empty() && id <= stream.last_id {
            return Err(corrupt());
        }
        let borrowed: Vec<(&[u8], &[u8])> = fields.iter().map(|(f, v)| (&f[..], &v[..])).collect();
        stream.push(id, &borrowed);
        seen_live += 1;
    }
    if seen_live != live || seen_deleted != deleted {
        return Err(corrupt());
    }
    Ok(())
}

/// Reads a stream of RDB type `kind`.
pub fn read_stream(kind: u8, r: &mut Reader<'_>) -> Result<Stream, RdbError> {
    let mut stream = Stream::new();
    for _ in 0..r.count(2)? {
        let master = raw_id(&r.string()?)?;
        let blob = r.string()?;
        read_node(master, &blob, &mut stream)?;
    }
    let length = r.length()?;
    let last_id = length_id(r)?;
    if length != stream.len() || (length > 0 && last_id < stream.last_id) {
        return Err(corrupt());
    }
    let first_id = stream.first_id;
    stream.last_id = last_id;
    if kind >= TYPE_STREAM_LISTPACKS_2 {
        stream.first_id = length_id(r)?;
        stream.max_deleted = length_id(r)?;
        stream.entries_added = r.length()?;
        if length > 0 && stream.first_id != first_id {
            return Err(corrupt());
        }
    } else {
        stream.entries_added = length;
    }
    for _ in 0..r.count(3)? {
        let name: Box<[u8]> = r.string()?.into();
        let group_last = length_id(r)?;
        let entries_read = if kind >= TYPE_STREAM_LISTPACKS_2 { r.length()? as i64 } else { UNKNOWN_READS };
        let mut group = Group::new(group_last, entries_read.max(UNKNOWN_READS));
        let mut unowned: BTreeMap<StreamId, (i64, u64)> = BTreeMap::new();
        for _ in 0..r.count(17)? {
            let id = raw_id(r.bytes(16)?)?;
            let time = r.millis()?;
            let count = r.length()?;
            if unowned.insert(id, (time, count)).is_some() {
                return Err(corrupt());
            }
        }
        for _ in 0..r.count(10)? {
            let consumer_name: Arc<[u8]> = r.string()?.into();
            let seen_time = r.millis()?;
            if kind >= TYPE_STREAM_LISTPACKS_3 {
                r.millis()?;
            }
            let mut consumer = Consumer { seen_time, ..Consumer::default() };
            for _ in 0..r.count(16)? {
                let id = raw_id(r.bytes(16)?)?;
                let (delivery_time, delivery_count) = unowned.remove(&id).ok_or_else(corrupt)?;
                consumer.pending.insert(id);
                group.pending.insert(id, Pending { consumer: consumer_name.clone(), delivery_time, delivery_count });
            }
            if group.consumers.insert(consumer_name, consumer).is_some() {
                return Err(corrupt());
            }
        }
        if !unowned.is_empty() || stream.groups.insert(name, group).is_some() {
            return Err(corrupt());
        }
    }
    Ok(stream)
}

fn write_raw_id(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_be_bytes());
    out.extend_from_slice(&id.seq.to_be_bytes());
}

/// Writes `stream` as RDB type 19.
pub fn write_stream(out: &mut Vec<u8>, stream: &Stream) {
    let mut entries: Vec<(StreamId, Fields)> = Vec::new();
    stream.scan(StreamId::MIN, StreamId::MAX, false, |entry| {
        entries.push((entry.id, entry.fields.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()));
        true
    });
    write_length(out, entries.chunks(NODE_ENTRIES).len() as u64);
    for node in entries.chunks(NODE_ENTRIES) {
        let (master, master_fields) = (&node[0].0, &node[0].1);
        let mut lp = ListpackWriter::new();
        lp.push_int(node.len() as i64);
        lp.push_int(0);
        lp.push_int(master_fields.len() as i64);
        for (field, _) in master_fields {
            lp.push(field);
        }
        lp.push_int(0);
        for (id, fields) in node {
            let same = fields.len() == master_fields.len() && fields.iter().zip(master_fields).all(|(a, b)| a.0 == b.0);
            lp.push_int(if same { FLAG_SAME_FIELDS } else { 0 });
            lp.push_int(id.ms.wrapping_sub(master.ms) as i64);
            lp.push_int(id.seq.wrapping_sub(master.seq) as i64);
            if same {
                for (_, value) in fields {
                    lp.push(value);
                }
                lp.push_int(fields.len() as i64 + 3);
            } else {
                lp.push_int(fields.len() as i64);
                for (field, value) in fields {
                    lp.push(field);
                    lp.push(value);
                }
                lp.push_int(fields.len() as i64 * 2 + 4);
            }
        }
        let mut key = Vec::with_capacity(16);
        write_raw_id(&mut key, *master);
        write_string(out, &key);
        write_string(out, &lp.finish());
    }
    write_length(out, stream.len());
    for id in [stream.last_id, stream.first_id, stream.max_deleted] {
        write_length(out, id.ms);
        write_length(out, id.seq);
    }
    write_length(out, stream.entries_added);
    write_length(out, stream.groups.len() as u64);
    for (name, group) in &stream.groups {
        write_string(out, name);
        write_length(out, group.last_id.ms);
        write_length(out, group.last_id.seq);
        write_length(out, group.entries_read as u64);
        write_length(out, group.pending.len() as u64);
        for (id, pending) in &group.pending {
            write_raw_id(out, *id);
            out.extend_from_slice(&pending.delivery_time.to_le_bytes());
            write_length(out, pending.delivery_count);
        }
        write_length(out, group.consumers.len() as u64);
        for (consumer_name, consumer) in &group.consumers {
            write_string(out, consumer_name);
            out.extend_from_slice(&consumer.seen_time.to_le_bytes());
            write_length(out, consumer.pending.len() as u64);
            for id in &consumer.pending {
                write_raw_id(out, *id);
            }
        }
    }
}
