//! Per-thread shards: the mechanism behind every lock-free record path.
//!
//! Each thread that records into a metric is given a *slot*: a small integer unique among the live
//! threads of the process (ids are recycled when a thread exits). A sharded metric keeps one shard
//! per slot, allocated on the first record from that slot, so a thread that owns its slot is the
//! only writer of its shard and updates it with a plain relaxed load and store (no locked
//! read-modify-write instruction, no cache-line ping-pong between cores). Threads beyond the slot
//! capacity share one extra shard updated with atomic read-modify-write operations.
//!
//! Memory: an idle metric holds one pointer. The first record allocates a table of
//! [`slot_capacity()`] pointers plus the shared shard; each recording thread then adds one shard.
//! The capacity is four times the number of CPUs the process may use, clamped to `8..=1024`.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use once_cell::race::OnceBox;

/// The slot value of a thread that has not asked for a slot yet.
const UNASSIGNED: usize = usize::MAX;
/// The slot value of a thread whose slot was released (it is exiting) or that got none.
const NO_SLOT: usize = usize::MAX - 1;

thread_local! {
    static SLOT: Cell<usize> = const { Cell::new(UNASSIGNED) };
    static GUARD: SlotGuard = const { SlotGuard(Cell::new(NO_SLOT)) };
}

/// Gives the slot back when its thread exits.
struct SlotGuard(Cell<usize>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let slot = self.0.get();
        if slot < NO_SLOT {
            // Anything this thread records from now on goes to the shared shard.
            let _ = SLOT.try_with(|s| s.set(NO_SLOT));
            release(slot);
        }
    }
}

struct Allocator {
    next: usize,
    free: Vec<usize>,
}

static ALLOCATOR: Mutex<Allocator> = Mutex::new(Allocator {
    next: 0,
    free: Vec::new(),
});

fn acquire() -> usize {
    let mut a = ALLOCATOR.lock().unwrap_or_else(PoisonError::into_inner);
    // Lowest free id first, so that long-lived threads keep the small ids.
    if let Some(pos) = a
        .free
        .iter()
        .enumerate()
        .min_by_key(|(_, s)| **s)
        .map(|(i, _)| i)
    {
        return a.free.swap_remove(pos);
    }
    let id = a.next;
    a.next += 1;
    id
}

fn release(slot: usize) {
    ALLOCATOR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .free
        .push(slot);
}

#[cold]
fn assign() -> usize {
    // Register the guard first: if the thread is already tearing down its thread-locals, it gets
    // no slot and records through the shared shard.
    let registered = GUARD.try_with(|g| {
        let slot = acquire();
        g.0.set(slot);
        slot
    });
    let slot = registered.unwrap_or(NO_SLOT);
    let _ = SLOT.try_with(|s| s.set(slot));
    slot
}

/// The calling thread's slot, assigning one on first use. `NO_SLOT` while the thread exits.
#[inline]
fn current() -> usize {
    match SLOT.try_with(Cell::get) {
        Ok(UNASSIGNED) => assign(),
        Ok(slot) => slot,
        Err(_) => NO_SLOT,
    }
}

/// How many threads at most get an exclusive shard of one metric.
#[must_use]
pub fn slot_capacity() -> usize {
    static CAPACITY: OnceLock<usize> = OnceLock::new();
    *CAPACITY.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(4, std::num::NonZeroUsize::get);
        cpus.saturating_mul(4).clamp(8, 1024)
    })
}

/// Updates a shard's cells: with plain stores when the calling thread owns the shard, with atomic
/// read-modify-write operations when the shard is shared.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writer {
    exclusive: bool,
}

impl Writer {
    /// Adds `n` to `cell`, wrapping on overflow.
    #[inline]
    pub(crate) fn add(self, cell: &AtomicU64, n: u64) {
        if self.exclusive {
            cell.store(
                cell.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        } else {
            cell.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Adds `x` to the `f64` stored as bits in `cell`.
    #[inline]
    pub(crate) fn add_f64(self, cell: &AtomicU64, x: f64) {
        if self.exclusive {
            let v = f64::from_bits(cell.load(Ordering::Relaxed)) + x;
            cell.store(v.to_bits(), Ordering::Relaxed);
        } else {
            let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + x).to_bits())
            });
        }
    }

    /// Adds `n` to the `u128` stored as `(lo, hi)`, wrapping on overflow. With a shared shard,
    /// each half is added atomically (the carry goes into `hi`), so no update is lost, but a
    /// reader can see a carry half done.
    #[inline]
    #[allow(clippy::cast_possible_truncation, reason = "splitting into halves")]
    pub(crate) fn add_wide(self, lo: &AtomicU64, hi: &AtomicU64, n: u128) {
        let (n_lo, n_hi) = (n as u64, (n >> 64) as u64);
        let carry = if self.exclusive {
            let (v, carry) = lo.load(Ordering::Relaxed).overflowing_add(n_lo);
            lo.store(v, Ordering::Relaxed);
            carry
        } else {
            lo.fetch_add(n_lo, Ordering::Relaxed)
                .overflowing_add(n_lo)
                .1
        };
        // Rarely taken: values of 2^32 or more, or a carry.
        if n_hi != 0 || carry {
            self.add(hi, n_hi.wrapping_add(u64::from(carry)));
        }
    }

    /// Lowers `cell` to `v` if `v` is smaller (unsigned comparison).
    #[inline]
    pub(crate) fn min(self, cell: &AtomicU64, v: u64) {
        if v < cell.load(Ordering::Relaxed) {
            if self.exclusive {
                cell.store(v, Ordering::Relaxed);
            } else {
                cell.fetch_min(v, Ordering::Relaxed);
            }
        }
    }

    /// Raises `cell` to `v` if `v` is larger (unsigned comparison).
    #[inline]
    pub(crate) fn max(self, cell: &AtomicU64, v: u64) {
        if v > cell.load(Ordering::Relaxed) {
            if self.exclusive {
                cell.store(v, Ordering::Relaxed);
            } else {
                cell.fetch_max(v, Ordering::Relaxed);
            }
        }
    }
}

struct Table<T> {
    exclusive: Box<[OnceBox<T>]>,
    shared: T,
}

/// A lazily allocated set of per-thread shards of `T`.
pub(crate) struct Shards<T> {
    table: OnceBox<Table<T>>,
}

impl<T: Default> Shards<T> {
    /// An empty set: one null pointer, no allocation.
    pub(crate) const fn new() -> Self {
        Shards {
            table: OnceBox::new(),
        }
    }

    #[cold]
    #[allow(
        clippy::unnecessary_box_returns,
        reason = "`OnceBox::get_or_init` takes a `Box`"
    )]
    fn alloc_table() -> Box<Table<T>> {
        let exclusive = (0..slot_capacity()).map(|_| OnceBox::new()).collect();
        Box::new(Table {
            exclusive,
            shared: T::default(),
        })
    }

    /// Runs `f` on the calling thread's shard.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T, Writer) -> R) -> R {
        let table = self.table.get_or_init(Self::alloc_table);
        match table.exclusive.get(current()) {
            Some(cell) => f(
                cell.get_or_init(|| Box::new(T::default())),
                Writer { exclusive: true },
            ),
            None => f(&table.shared, Writer { exclusive: false }),
        }
    }

    /// Visits every allocated shard.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&T)) {
        if let Some(table) = self.table.get() {
            f(&table.shared);
            for cell in &table.exclusive {
                if let Some(shard) = cell.get() {
                    f(shard);
                }
            }
        }
    }

    /// Bytes of heap memory held: the table and every allocated shard (each counted as
    /// `size_of::<T>()` plus what `extra` reports for it).
    pub(crate) fn heap_bytes(&self, extra: impl Fn(&T) -> usize) -> usize {
        let Some(table) = self.table.get() else {
            return 0;
        };
        let mut bytes = std::mem::size_of::<Table<T>>()
            + table.exclusive.len() * std::mem::size_of::<OnceBox<T>>()
            + extra(&table.shared);
        for cell in &table.exclusive {
            if let Some(shard) = cell.get() {
                bytes += std::mem::size_of::<T>() + extra(shard);
            }
        }
        bytes
    }
}

impl<T> std::fmt::Debug for Shards<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shards")
            .field("allocated", &self.table.get().is_some())
            .finish()
    }
}

/// A `u64` cell on a cache line of its own, so that shards of different threads never share one.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct PaddedU64(pub(crate) AtomicU64);

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn threads_get_distinct_slots_and_ids_are_recycled() {
        let mine = current();
        let a = std::thread::spawn(current).join().unwrap();
        assert_ne!(mine, NO_SLOT);
        assert_ne!(a, mine);
        // Ids of exited threads are handed out again: a hundred threads in a row do not use a
        // hundred ids (other tests run threads at the same time, so allow some).
        let most = (0..100)
            .map(|_| std::thread::spawn(current).join().unwrap())
            .max()
            .unwrap();
        assert!(most < 64, "ids are not recycled: {most}");
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
    fn no_update_is_lost_while_threads_come_and_go() {
        // Threads exit and their slots (and so their exclusive shards) pass to new threads
        // while other threads keep recording: the hand-over must lose nothing.
        let shards: Arc<Shards<PaddedU64>> = Arc::new(Shards::new());
        let steady: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&shards);
                std::thread::spawn(move || {
                    for _ in 0..200_000 {
                        s.with(|c, w| w.add(&c.0, 1));
                    }
                })
            })
            .collect();
        for _wave in 0..50 {
            let wave: Vec<_> = (0..4)
                .map(|_| {
                    let s = Arc::clone(&shards);
                    std::thread::spawn(move || {
                        for _ in 0..500 {
                            s.with(|c, w| w.add(&c.0, 1));
                        }
                    })
                })
                .collect();
            for t in wave {
                t.join().unwrap();
            }
        }
        for t in steady {
            t.join().unwrap();
        }
        let mut total = 0;
        shards.for_each(|c| total += c.0.load(Ordering::Relaxed));
        assert_eq!(total, 2 * 200_000 + 50 * 4 * 500);
    }

    #[test]
    fn no_update_is_lost_across_many_threads() {
        let shards: Arc<Shards<PaddedU64>> = Arc::new(Shards::new());
        // More threads than the exclusive capacity, so the shared shard is exercised too.
        let threads = slot_capacity() + 4;
        let barrier = Arc::new(std::sync::Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (s, b) = (Arc::clone(&shards), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    b.wait();
                    for _ in 0..1000 {
                        s.with(|c, w| w.add(&c.0, 1));
                    }
                    b.wait();
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let mut total = 0;
        shards.for_each(|c| total += c.0.load(Ordering::Relaxed));
        assert_eq!(total, u64::try_from(threads).unwrap() * 1000);
    }
}
