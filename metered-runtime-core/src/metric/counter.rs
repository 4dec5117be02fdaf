//! Monotonic counters.

use crate::slot::ShardedSum;

/// A monotonic count of events.
///
/// `inc` and `add` are lock-free: each recording thread writes a cell of its own with a plain
/// relaxed store, and [`get`](Counter::get) sums the cells. The count wraps at `u64::MAX`.
///
/// Memory: `size_of::<Counter>()` is 4 bytes (an id taken on the first record); each thread that
/// records into it holds an 8-byte cell, whatever the number of CPUs. See
/// [`metric::family`](crate::metric::family#memory) for the formula and the measured figures.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// static REQUESTS: metered_runtime::Counter = metered_runtime::Counter::new();
/// REQUESTS.inc();
/// REQUESTS.add(2);
/// assert_eq!(REQUESTS.get(), 3);
/// ```
#[derive(Debug)]
pub struct Counter {
    sum: ShardedSum,
}

impl Counter {
    /// Moves its cells to the arena id `make` gives (the multi-process mode); `false` if it has one
    /// already.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        self.sum.adopt(make)
    }

    /// A counter at zero. Allocates nothing until the first record.
    #[must_use]
    pub const fn new() -> Self {
        Counter {
            sum: ShardedSum::new(),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn add(&self, n: u64) {
        self.sum.add(n);
    }

    /// The current count.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.sum.sum()
    }

    /// Heap bytes of this counter's cells (0 until the first record): 8 per thread arena whose
    /// chunk of 64 cells holds one for it, which is every thread that recorded into it or into
    /// one of the 63 counters whose ids neighbour its own.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.sum.heap_bytes()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn counts_across_threads() {
        let c = Arc::new(Counter::new());
        let hs: Vec<_> = (0..4)
            .map(|_| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        c.inc();
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        c.add(5);
        assert_eq!(c.get(), 40_005);
    }

    #[test]
    fn idle_counter_allocates_nothing() {
        let c = Counter::new();
        assert_eq!(c.heap_bytes(), 0);
        assert_eq!(std::mem::size_of::<Counter>(), 4);
        c.inc();
        // 8 bytes in each thread's arena whose chunk holds the cell: this thread's, and those of
        // other test threads that recorded a neighbouring counter.
        assert!(c.heap_bytes() >= 8 && c.heap_bytes().is_multiple_of(8));
        std::thread::scope(|s| {
            s.spawn(|| c.inc());
        });
        assert_eq!(c.get(), 2);
    }
}
