//! One recording thread's part of a histogram.

use super::config::FAST_BOUNDS;
use super::layout::{PER_OCTAVE, POSITIONS};
use crate::slot::boxed;
use once_cell::race::OnceBox;
use std::sync::atomic::AtomicU64;

/// What a histogram records, which fixes how its shards' sums, min and max are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    /// Any finite non-negative `f64`, reported as recorded. Sums are `f64` bits.
    Floats,
    /// Integer nanoseconds, reported in seconds (timers). Sums are exact `u128` integers.
    Nanos,
}

impl Recorded {
    /// Recorded values are divided by this for reports.
    pub(super) const fn divisor(self) -> f64 {
        match self {
            Recorded::Floats => 1.0,
            Recorded::Nanos => 1e9,
        }
    }
}

/// Counters per chunk: half a power of two. A chunk is allocated the first time its shard
/// records a value in it.
pub(super) const CHUNK: usize = PER_OCTAVE / 2;
/// Chunks per group: eight powers of two.
const GROUP: usize = 16;
/// Groups in a shard: 13 x 8 = 104 powers of two, the recorded range.
const GROUPS: usize = POSITIONS / (CHUNK * GROUP);

/// The counters of `CHUNK` consecutive buckets (256 bytes, four cache lines).
#[repr(align(64))]
pub(super) struct Chunk(pub(super) [AtomicU64; CHUNK]);

/// The chunk directory of eight powers of two (128 bytes).
struct Group([OnceBox<Chunk>; GROUP]);

/// One thread's part of a histogram: 176 bytes, plus a 128-byte group and a 256-byte chunk for
/// each part of the range the thread recorded values in.
///
/// The directory has two levels (13 groups of 16 chunks) so that a shard that records values
/// within a few powers of two holds a few hundred bytes, not a table for the whole range.
/// Not aligned itself: the per-thread node that holds it is aligned to a cache line (so shards of
/// two threads never share one), and the node's 16-byte header then shares the shard's first
/// line instead of padding a line of its own.
pub(super) struct Shard {
    groups: [OnceBox<Group>; GROUPS],
    pub(super) zero: AtomicU64,
    /// f64 bits; for [`Recorded::Nanos`], the low 64 bits of the `u128` sum.
    pub(super) sum: AtomicU64,
    /// For [`Recorded::Nanos`], the high 64 bits of the `u128` sum (0 otherwise).
    pub(super) sum_hi: AtomicU64,
    /// f64 bits; for [`Recorded::Nanos`], the low 64 bits of the `u128` sum of squares.
    pub(super) sum_sq: AtomicU64,
    /// For [`Recorded::Nanos`], the high 64 bits of the `u128` sum of squares (0 otherwise).
    pub(super) sum_sq_hi: AtomicU64,
    /// f64 bits of the smallest value (non-negative floats order as their bits), or the integer
    /// for [`Recorded::Nanos`]; `u64::MAX` = none.
    pub(super) min: AtomicU64,
    /// f64 bits of the largest value, or the integer for [`Recorded::Nanos`].
    pub(super) max: AtomicU64,
    /// Up to [`FAST_BOUNDS`] bounds, per bound `j`: the values at most `bound[j]` among those
    /// in the exponential bucket that holds `bound[j]` (the other buckets lie wholly on one side
    /// of it). Allocated when a value first lands in such a bucket.
    split: OnceBox<[AtomicU64; FAST_BOUNDS]>,
    /// For more bounds, per bound `i`: values in `(bound[i-1], bound[i]]`.
    many_bounds: OnceBox<Vec<AtomicU64>>,
}

impl Default for Shard {
    fn default() -> Self {
        Shard {
            groups: [const { OnceBox::new() }; GROUPS],
            zero: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            sum_hi: AtomicU64::new(0),
            sum_sq: AtomicU64::new(0),
            sum_sq_hi: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            split: OnceBox::new(),
            many_bounds: OnceBox::new(),
        }
    }
}

impl Shard {
    /// The counter of storage position `p` (clamped to the range), allocating its group and
    /// chunk on first use.
    #[inline]
    pub(super) fn counter(&self, p: usize) -> &AtomicU64 {
        let p = p.min(POSITIONS - 1);
        let group = self.groups[p / (CHUNK * GROUP)].get_or_init(boxed::<Group>);
        let chunk = group.0[p / CHUNK % GROUP].get_or_init(boxed::<Chunk>);
        &chunk.0[p % CHUNK]
    }

    /// The split counter of bound `j < FAST_BOUNDS`, allocating the counters on first use.
    #[inline]
    pub(super) fn split_counter(&self, j: usize) -> &AtomicU64 {
        let cells = self.split.get_or_init(boxed::<[AtomicU64; FAST_BOUNDS]>);
        &cells[j % FAST_BOUNDS]
    }

    /// The split counters, if any value landed in a bucket holding a bound.
    pub(super) fn split_counters(&self) -> Option<&[AtomicU64; FAST_BOUNDS]> {
        self.split.get()
    }

    /// The counter of classic bucket `i` of `n > FAST_BOUNDS` bounds (`i < n`), allocating the
    /// counters on first use.
    #[inline]
    pub(super) fn bucket_counter(&self, n: usize, i: usize) -> Option<&AtomicU64> {
        let cells = self
            .many_bounds
            .get_or_init(|| Box::new((0..n).map(|_| AtomicU64::new(0)).collect()));
        cells.get(i)
    }

    /// The classic bucket counters of more than `FAST_BOUNDS` bounds, if any value was counted.
    pub(super) fn bucket_counters(&self) -> Option<&[AtomicU64]> {
        self.many_bounds.get().map(Vec::as_slice)
    }

    /// Visits every allocated chunk with the storage position of its first counter, in
    /// increasing order.
    pub(super) fn for_each_chunk(&self, mut f: impl FnMut(usize, &Chunk)) {
        for (g, group) in self.groups.iter().enumerate() {
            if let Some(group) = group.get() {
                for (c, chunk) in group.0.iter().enumerate() {
                    if let Some(chunk) = chunk.get() {
                        f((g * GROUP + c) * CHUNK, chunk);
                    }
                }
            }
        }
    }

    /// Heap bytes held beyond the shard itself: groups, chunks and bound counters.
    pub(super) fn heap_bytes(&self) -> usize {
        let mut bytes = 0;
        for group in self.groups.iter().filter_map(OnceBox::get) {
            bytes += std::mem::size_of::<Group>();
            bytes += group.0.iter().filter(|c| c.get().is_some()).count() * size_of::<Chunk>();
        }
        bytes
            + self.split.get().map_or(0, std::mem::size_of_val)
            + self.many_bounds.get().map_or(0, |v| {
                std::mem::size_of::<Vec<AtomicU64>>() + v.capacity() * 8
            })
    }
}

impl Default for Group {
    fn default() -> Self {
        Group([const { OnceBox::new() }; GROUP])
    }
}

impl Default for Chunk {
    fn default() -> Self {
        Chunk([const { AtomicU64::new(0) }; CHUNK])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn sizes_are_as_documented() {
        assert_eq!(std::mem::size_of::<Shard>(), 176);
        assert_eq!(std::mem::size_of::<Group>(), 128);
        assert_eq!(std::mem::size_of::<Chunk>(), 256);
        assert_eq!(GROUPS * GROUP * CHUNK, POSITIONS);
    }

    #[test]
    fn chunks_are_allocated_on_first_touch() {
        let s = Shard::default();
        assert_eq!(s.heap_bytes(), 0);
        s.counter(5).store(7, Ordering::Relaxed);
        s.counter(31).store(1, Ordering::Relaxed);
        assert_eq!(s.heap_bytes(), 128 + 256);
        s.counter(32).store(2, Ordering::Relaxed);
        assert_eq!(s.heap_bytes(), 128 + 2 * 256);
        s.counter(POSITIONS + 100).store(3, Ordering::Relaxed); // clamped to the last
        assert_eq!(s.heap_bytes(), 2 * 128 + 3 * 256);
        let mut seen = Vec::new();
        s.for_each_chunk(|first, c| {
            let counts: u64 = c.0.iter().map(|x| x.load(Ordering::Relaxed)).sum();
            seen.push((first, counts));
        });
        assert_eq!(seen, [(0, 8), (32, 2), (POSITIONS - CHUNK, 3)]);
    }
}
