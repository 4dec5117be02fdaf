//! Monotonic counters.

use crate::slot::{PaddedU64, Shards};
use std::sync::atomic::Ordering;

/// A monotonic count of events.
///
/// `inc` and `add` are lock-free: each recording thread writes its own cache-padded shard with a
/// plain relaxed store (see the crate docs on memory), and [`get`](Counter::get) sums the shards.
/// The count wraps at `u64::MAX`.
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
    shards: Shards<PaddedU64>,
}

impl Counter {
    /// A counter at zero. Allocates nothing until the first record.
    #[must_use]
    pub const fn new() -> Self {
        Counter {
            shards: Shards::new(),
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
        self.shards.with(|cell, w| w.add(&cell.0, n));
    }

    /// The current count.
    #[must_use]
    pub fn get(&self) -> u64 {
        let mut total = 0u64;
        self.shards
            .for_each(|cell| total = total.wrapping_add(cell.0.load(Ordering::Relaxed)));
        total
    }

    /// Heap bytes this counter holds (0 until the first record).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.shards.heap_bytes(|_| 0)
    }
}

impl Default for Counter {
    fn default() -> Self {
        Counter::new()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected values are exact")]
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
        assert_eq!(std::mem::size_of::<Counter>(), 8);
        c.inc();
        assert!(c.heap_bytes() > 0);
    }
}
