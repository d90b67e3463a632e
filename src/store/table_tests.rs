//! Tests of the keyspace's hash table: lookups and removals across
//! incremental resizes, `SCAN`'s guarantee, growth and shrinking.

use super::*;
use crate::store::entry::Value;
use std::collections::HashSet;

fn key(i: usize) -> Vec<u8> {
    format!("key:{i:08}").into_bytes()
}

#[test]
fn insert_find_remove_many() {
    let mut t = Table::new();
    for i in 0..10_000 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    assert_eq!(t.len(), 10_000);
    for i in 0..10_000 {
        assert!(t.find(&key(i)).is_some(), "{i}");
    }
    for i in (0..10_000).step_by(2) {
        let slot = t.find(&key(i)).unwrap();
        assert_eq!(t.remove_at(slot).key(), &key(i)[..]);
    }
    for i in 0..10_000 {
        assert_eq!(t.find(&key(i)).is_some(), i % 2 == 1, "{i}");
    }
}

#[test]
fn reserved_room_takes_its_entries_without_growing_and_sparse_tables_shrink() {
    let mut t = Table::new();
    t.reserve(50_000);
    let capacity = t.capacity();
    for i in 0..50_000 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    assert_eq!(t.capacity(), capacity, "grew although room was reserved");
    assert!(!t.is_resizing());
    assert!(!t.shrink_if_sparse(), "a full table does not shrink");

    // Reserved for many, filled with few (a snapshot's keys were in
    // other databases): shrinking gives the room back.
    let mut t = Table::new();
    t.reserve(50_000);
    for i in 0..100 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    assert!(t.shrink_if_sparse());
    assert!(t.move_some(usize::MAX));
    assert_eq!(t.capacity(), 200);
    assert!((0..100).all(|i| t.find(&key(i)).is_some()));
}

#[test]
fn insertion_in_hash_order_stays_correct() {
    // Another table's iteration order, and this table's own order after
    // deleting everything but one key: both used to form one long run.
    let mut source = Table::new();
    for i in 0..20_000 {
        source.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    let ordered: Vec<Vec<u8>> = source.iter().map(|e| e.key().to_vec()).collect();
    let mut copy = Table::new();
    for k in &ordered {
        copy.insert_new(Entry::new(k, Value::Str(b"v"), None));
    }
    assert_eq!(copy.len(), 20_000);
    for k in &ordered[1..] {
        let slot = source.find(k).unwrap();
        source.remove_at(slot);
    }
    for k in &ordered[1..] {
        source.insert_new(Entry::new(k, Value::Str(b"v"), None));
    }
    assert!(ordered.iter().all(|k| source.find(k).is_some() && copy.find(k).is_some()));
    assert!(source.capacity() <= 8 * source.len() + MIN_CAPACITY);
}

#[test]
fn scan_returns_every_stable_key_despite_changes() {
    let mut t = Table::new();
    for i in 0..2_000 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut round = 0;
    loop {
        cursor = t.scan(cursor, 10, |e| {
            seen.insert(e.key().to_vec());
        });
        // Grow and shrink the table while the scan runs; keys below
        // 1000 are never touched.
        round += 1;
        if round % 3 == 0 {
            for i in 0..50 {
                t.insert_new(Entry::new(&key(100_000 + round * 50 + i), Value::Str(b"v"), None));
            }
        } else {
            for i in 1_000..2_000 {
                if let Some(slot) = t.find(&key(i)) {
                    t.remove_at(slot);
                    break;
                }
            }
        }
        if cursor == 0 {
            break;
        }
    }
    for i in 0..1_000 {
        assert!(seen.contains(&key(i)), "missed {i}");
    }
}

#[test]
fn growth_moves_entries_a_few_at_a_time() {
    let mut t = Table::new();
    let mut i = 0;
    while !t.is_resizing() || t.capacity() < 10_000 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        i += 1;
    }
    // Right after a resize began, most entries still sit in the old
    // slots and every one of them is found.
    let total = i;
    assert!(t.old.as_ref().unwrap().slots.len > total / 2);
    for k in 0..total {
        assert!(t.find(&key(k)).is_some(), "{k}");
    }
    // Removals in the old slots and insertions in the new ones while
    // the move goes on.
    for k in (0..total).step_by(3) {
        let slot = t.find(&key(k)).unwrap();
        assert_eq!(t.remove_at(slot).key(), &key(k)[..]);
    }
    let mut extra = 0;
    while t.is_resizing() {
        t.insert_new(Entry::new(&key(1_000_000 + extra), Value::Str(b"v"), None));
        extra += 1;
    }
    assert!(extra < total, "the move finishes long before the next growth");
    for k in 0..total {
        assert_eq!(t.find(&key(k)).is_some(), k % 3 != 0, "{k}");
    }
    assert_eq!(t.len(), total - total.div_ceil(3) + extra);
}

#[test]
fn shrinking_is_incremental_too_and_move_some_finishes_it() {
    let mut t = Table::new();
    for i in 0..50_000 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
    }
    t.move_some(usize::MAX);
    for i in 0..45_000 {
        let slot = t.find(&key(i)).unwrap();
        t.remove_at(slot);
    }
    for i in 0..50_000 {
        assert_eq!(t.find(&key(i)).is_some(), i >= 45_000, "{i}");
    }
    while !t.move_some(100) {}
    assert!(!t.is_resizing());
    assert!(t.capacity() < 50_000);
    assert_eq!(t.iter().count(), 5_000);
}

#[test]
fn random_changes_match_a_model_and_scans_see_stable_keys() {
    let mut t = Table::new();
    let mut model = HashSet::new();
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // Keys below 500 are inserted first and never removed: every scan
    // must return them, however the table resizes meanwhile.
    for i in 0..500 {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        model.insert(key(i));
    }
    for round in 0..40 {
        let mut seen = HashSet::new();
        let mut cursor = 0;
        loop {
            cursor = t.scan(cursor, 1 + (next() % 50) as usize, |e| {
                seen.insert(e.key().to_vec());
            });
            for _ in 0..(next() % 400) {
                let k = key(500 + (next() % 30_000) as usize);
                // Phases of mostly growth and mostly shrinking.
                let grow = (round / 5) % 2 == 0;
                let insert = if grow { next() % 4 != 0 } else { next() % 4 == 0 };
                match (t.find(&k), insert) {
                    (None, true) => {
                        t.insert_new(Entry::new(&k, Value::Str(b"v"), None));
                        model.insert(k);
                    }
                    (Some(slot), false) => {
                        assert_eq!(t.remove_at(slot).key(), &k[..]);
                        model.remove(&k);
                    }
                    _ => {}
                }
            }
            if cursor == 0 {
                break;
            }
        }
        for i in 0..500 {
            assert!(seen.contains(&key(i)), "round {round} missed {i}");
        }
        assert_eq!(t.len(), model.len());
    }
    let mut all: Vec<Vec<u8>> = t.iter().map(|e| e.key().to_vec()).collect();
    all.sort();
    let mut expected: Vec<Vec<u8>> = model.into_iter().collect();
    expected.sort();
    assert_eq!(all, expected);
}

/// A table of about `len` entries whose last insertion just started a
/// resize (most entries still in the old slots).
fn table_just_resizing(len: usize) -> Table {
    let mut t = Table::new();
    let mut i = 0;
    while !(t.is_resizing() && i >= len) {
        t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        i += 1;
        if t.is_resizing() && i < len {
            t.move_some(usize::MAX);
        }
    }
    t
}

#[test]
fn random_picks_and_scan_steps_stay_cheap_during_a_resize() {
    let t = table_just_resizing(40_000);
    assert!(t.old.as_ref().unwrap().slots.len > t.len() / 2);
    // Picks spread over the entries of both arrays, not onto the few
    // that sit after a long free stretch of the new one.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let slot = t.random_slot(state).unwrap();
        seen.insert(t.at(slot).key().to_vec());
    }
    assert!(seen.len() > 7_000, "10,000 picks found only {} distinct entries", seen.len());
    // A scan takes about len / count steps, none returning a huge batch.
    let (mut cursor, mut steps, mut most, mut total) = (0, 0, 0, 0);
    loop {
        let mut batch = 0;
        cursor = t.scan(cursor, 10, |_| batch += 1);
        steps += 1;
        most = most.max(batch);
        total += batch;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(total, t.len());
    assert!(most < 500, "a step returned {most} entries");
    assert!(steps < t.len(), "{steps} steps for {} entries", t.len());
}

/// Pearson's chi-square statistic of `counts` against equal expected
/// counts.
fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
}

#[test]
fn random_picks_are_uniform_in_a_settled_and_a_resizing_table() {
    // A settled table and one whose last insertion started a resize: every
    // entry must be equally likely, whatever free stretch precedes it.
    let settled = {
        let mut t = Table::new();
        for i in 0..300 {
            t.insert_new(Entry::new(&key(i), Value::Str(b"v"), None));
        }
        t.move_some(usize::MAX);
        t
    };
    let resizing = table_just_resizing(300);
    assert!(resizing.is_resizing());
    for t in [&settled, &resizing] {
        let n = t.len();
        let index: std::collections::HashMap<Vec<u8>, usize> =
            t.iter().enumerate().map(|(i, e)| (e.key().to_vec(), i)).collect();
        let mut counts = vec![0u64; n];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..n * 100 {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let slot = t.random_slot(state).unwrap();
            counts[index[t.at(slot).key()]] += 1;
        }
        // n - 1 degrees of freedom (about 300-450); the bound lies far
        // beyond the 0.001 quantile, while a first-occupied-after-a-random-
        // slot pick scores several times n.
        let chi = chi_square(&counts);
        assert!(chi < 1.5 * n as f64, "chi-square {chi:.1} for {n} entries");
    }
}
