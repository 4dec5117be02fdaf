//! Unit tests of the parent module.

use super::*;
use std::sync::Arc;

fn slot() -> usize {
    current().index
}

#[test]
fn threads_get_distinct_slots_and_slots_are_recycled() {
    let mine = slot();
    let a = std::thread::spawn(slot).join().unwrap();
    assert_ne!(mine, NO_SLOT);
    assert_ne!(a, mine);
    // Slots of exited threads are handed out again: a hundred threads in a row do not use a
    // hundred slots (other tests run threads at the same time, so allow some).
    let most = (0..100)
        .map(|_| std::thread::spawn(slot).join().unwrap())
        .max()
        .unwrap();
    assert!(most < 64, "slots are not recycled: {most}");
}

#[test]
fn wide_add_carries_into_the_high_half() {
    for exclusive in [true, false] {
        let w = Writer { exclusive };
        let (lo, hi) = (AtomicU64::new(u64::MAX - 1), AtomicU64::new(0));
        w.add_wide(&lo, &hi, 3);
        assert_eq!(
            (lo.load(Ordering::Relaxed), hi.load(Ordering::Relaxed)),
            (1, 1)
        );
        w.add_wide(&lo, &hi, (5 << 64) | u128::from(u64::MAX));
        assert_eq!(
            (lo.load(Ordering::Relaxed), hi.load(Ordering::Relaxed)),
            (0, 7)
        );
    }
}

#[test]
fn split_covers_every_id_once() {
    assert_eq!(split(0), (0, 0, 0));
    assert_eq!(split(63), (0, 0, 63));
    assert_eq!(split(64), (0, 1, 0));
    assert_eq!(split(65_536), (1, 0, 0));
    assert_eq!(split(OVERFLOW_ID), (255, 1023, 63));
}

fn churn(add: impl Fn() + Send + Sync + 'static) -> u64 {
    // Threads exit and their slots pass to new threads while other threads keep recording:
    // the hand-over must lose nothing.
    let add = Arc::new(add);
    let steady: Vec<_> = (0..2)
        .map(|_| {
            let add = Arc::clone(&add);
            std::thread::spawn(move || (0..200_000).for_each(|_| add()))
        })
        .collect();
    for _wave in 0..50 {
        let wave: Vec<_> = (0..4)
            .map(|_| {
                let add = Arc::clone(&add);
                std::thread::spawn(move || (0..500).for_each(|_| add()))
            })
            .collect();
        for t in wave {
            t.join().unwrap();
        }
    }
    for t in steady {
        t.join().unwrap();
    }
    2 * 200_000 + 50 * 4 * 500
}

#[test]
fn no_shard_update_is_lost_while_threads_come_and_go() {
    let shards: Arc<Shards<AtomicU64>> = Arc::new(Shards::new());
    let s = Arc::clone(&shards);
    let expected = churn(move || s.with(|c, w| w.add(c, 1)));
    let mut total = 0;
    shards.for_each(|c| total += c.load(Ordering::Relaxed));
    assert_eq!(total, expected);
}

#[test]
fn no_sum_update_is_lost_while_threads_come_and_go() {
    let sum = Arc::new(ShardedSum::new());
    let s = Arc::clone(&sum);
    let expected = churn(move || s.add(1));
    assert_eq!(sum.sum(), expected);
}

#[test]
fn shards_hold_one_node_per_recording_thread() {
    let shards: Arc<Shards<AtomicU64>> = Arc::new(Shards::new());
    assert_eq!(shards.heap_bytes(|_| 0), 0);
    let barrier = Arc::new(std::sync::Barrier::new(3));
    // Three threads alive at once have three distinct slots.
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let (s, b) = (Arc::clone(&shards), Arc::clone(&barrier));
            std::thread::spawn(move || {
                b.wait();
                for _ in 0..1000 {
                    s.with(|c, w| w.add(c, 1));
                }
                b.wait();
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    let mut nodes = 0;
    let mut total = 0;
    shards.for_each(|c| {
        nodes += 1;
        total += c.load(Ordering::Relaxed);
    });
    assert_eq!((nodes, total), (3, 3000));
    assert_eq!(
        shards.heap_bytes(|_| 0),
        3 * std::mem::size_of::<Node<AtomicU64>>()
    );
}

#[test]
fn a_dropped_sum_gives_a_clean_id_to_the_next() {
    let a = ShardedSum::new();
    a.add(7);
    std::thread::scope(|s| {
        s.spawn(|| a.add(5));
    });
    assert_eq!(a.sum(), 12);
    assert!(a.heap_bytes() >= 16);
    let id = a.id.load(Ordering::Relaxed);
    drop(a);
    // Take ids until the freed one comes back (other tests take ids concurrently).
    let mut held = Vec::new();
    loop {
        let b = ShardedSum::new();
        b.add(1);
        if b.id.load(Ordering::Relaxed) == id {
            assert_eq!(b.sum(), 1, "the cells of a dropped sum must be zeroed");
            break;
        }
        assert!(held.len() < 10_000, "id {id} never came back");
        held.push(b);
    }
}

#[test]
fn the_shared_arena_takes_records_after_a_thread_gave_its_slot_back() {
    // A thread-local destructor that runs after the slot guard's records into the shared
    // arena with atomic adds: nothing is lost.
    struct LateRecord(Arc<ShardedSum>, Arc<Shards<AtomicU64>>);
    impl Drop for LateRecord {
        fn drop(&mut self) {
            self.0.add(3);
            self.1.with(|c, w| w.add(c, 3));
        }
    }
    thread_local! {
        static LATE: Cell<Option<LateRecord>> = const { Cell::new(None) };
    }
    let sum = Arc::new(ShardedSum::new());
    let shards: Arc<Shards<AtomicU64>> = Arc::new(Shards::new());
    let (s, h) = (Arc::clone(&sum), Arc::clone(&shards));
    std::thread::spawn(move || {
        // Registered before the slot guard, so its destructor runs after the guard's
        // (thread-local destructors run in reverse order of registration).
        LATE.set(Some(LateRecord(Arc::clone(&s), Arc::clone(&h))));
        s.add(1);
        h.with(|c, w| w.add(c, 1));
    })
    .join()
    .unwrap();
    let mut per_node = Vec::new();
    shards.for_each(|c| per_node.push(c.load(Ordering::Relaxed)));
    assert_eq!(per_node, [1, 3]);
    assert_eq!(sum.sum(), 4);
    let id = sum.id.load(Ordering::Relaxed);
    assert_eq!(SHARED.peek(id).map(|c| c.load(Ordering::Relaxed)), Some(3));
}
