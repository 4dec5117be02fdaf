//! Up-down counters: a sharded integer that only moves by deltas.

use crate::slot::ShardedSum;

/// An integer that goes up and down by deltas only: requests in flight, open connections.
///
/// Unlike [`Gauge`](crate::Gauge), it has no `set`, and so it can be sharded like a
/// [`Counter`](crate::Counter), with the same storage and the same memory: each recording thread
/// moves a cell of its own with a plain store, and [`get`](Self::get) sums the cells. Two threads incrementing and decrementing
/// it never contend, which is why `#[metered]` counts calls in flight with one. A delta made on
/// one thread and undone on another (a future that moved between threads) still sums correctly.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// static IN_FLIGHT: metered_runtime::UpDownCounter = metered_runtime::UpDownCounter::new();
/// {
///     let _call = IN_FLIGHT.track();
///     assert_eq!(IN_FLIGHT.get(), 1);
/// }
/// IN_FLIGHT.add(5);
/// IN_FLIGHT.sub(7);
/// assert_eq!(IN_FLIGHT.get(), -2);
/// ```
#[derive(Debug)]
pub struct UpDownCounter {
    sum: ShardedSum,
}

impl UpDownCounter {
    /// Moves its cells to the arena id `make` gives (the multi-process mode); `false` if it has one
    /// already.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        self.sum.adopt(make)
    }

    /// An up-down counter at zero. Allocates nothing until the first change.
    #[must_use]
    pub const fn new() -> Self {
        UpDownCounter {
            sum: ShardedSum::new(),
        }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.add(-1);
    }

    /// Adds `n` (which may be negative; wrapping).
    #[inline]
    pub fn add(&self, n: i64) {
        // Two's complement: adding the bit pattern of a negative `n` subtracts, with wrapping.
        self.sum.add(n.cast_unsigned());
    }

    /// Subtracts `n` (wrapping).
    #[inline]
    pub fn sub(&self, n: i64) {
        self.add(n.wrapping_neg());
    }

    /// The current value: the sum of every shard.
    #[must_use]
    pub fn get(&self) -> i64 {
        self.sum.sum().cast_signed()
    }

    /// Increments now and decrements when the returned guard drops, however the scope is left
    /// (return, `?`, panic, a dropped future).
    #[must_use = "the counter goes back down when the guard is dropped"]
    pub fn track(&self) -> UpDownGuard<'_> {
        self.inc();
        UpDownGuard { counter: self }
    }

    /// Heap bytes of its cells (0 until the first change), counted as for
    /// [`Counter::heap_bytes`](crate::Counter::heap_bytes).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.sum.heap_bytes()
    }
}

impl Default for UpDownCounter {
    fn default() -> Self {
        UpDownCounter::new()
    }
}

/// Decrements its [`UpDownCounter`] when dropped; made by [`UpDownCounter::track`].
#[derive(Debug)]
pub struct UpDownGuard<'a> {
    counter: &'a UpDownCounter,
}

impl Drop for UpDownGuard<'_> {
    fn drop(&mut self) {
        self.counter.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn deltas_from_many_threads_sum_exactly() {
        let c = Arc::new(UpDownCounter::new());
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    for _ in 0..10_000 {
                        if i % 2 == 0 { c.inc() } else { c.sub(3) }
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(c.get(), 2 * 10_000 - 2 * 30_000);
    }

    #[test]
    fn undone_on_another_thread() {
        let c = Arc::new(UpDownCounter::new());
        c.inc();
        let c2 = Arc::clone(&c);
        std::thread::spawn(move || c2.dec()).join().unwrap();
        assert_eq!(c.get(), 0);
        assert_eq!(std::mem::size_of::<UpDownCounter>(), 4);
        assert!(c.heap_bytes() >= 16);
    }

    #[test]
    fn guard_survives_panic() {
        let c = UpDownCounter::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _g = c.track();
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(c.get(), 0);
    }
}
