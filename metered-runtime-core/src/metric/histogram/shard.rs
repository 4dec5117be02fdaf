//! One recording thread's part of a histogram.

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
/// Below this many classic bounds, their counters (one per bound and one for the values above
/// the last) are one fixed array (128 bytes).
pub(super) const FEW_BOUNDS: usize = 16;
/// Chunks per group: eight powers of two.
const GROUP: usize = 16;
/// Groups in a shard: 13 x 8 = 104 powers of two, the recorded range.
const GROUPS: usize = POSITIONS / (CHUNK * GROUP);

/// The counters of `CHUNK` consecutive buckets (256 bytes, four cache lines).
#[repr(align(64))]
pub(super) struct Chunk(pub(super) [AtomicU64; CHUNK]);

/// The chunk directory of eight powers of two (128 bytes).
struct Group([OnceBox<Chunk>; GROUP]);

/// One thread's part of a histogram: 176 bytes (192 with its per-thread node's header), plus a
/// 128-byte group and a 256-byte chunk for each part of the range the thread recorded values in.
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
    /// Per configured bound `i`: values in `(bound[i-1], bound[i]]`, then at `bounds.len()` the
    /// values above the last bound, for fewer than [`FEW_BOUNDS`] bounds (one allocation, one
    /// pointer to follow)...
    few_bounds: OnceBox<[AtomicU64; FEW_BOUNDS]>,
    /// ... and for more.
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
            few_bounds: OnceBox::new(),
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

    /// The counter of storage position `32 chunk + offset` (`offset < 96`), as
    /// [`counter`](Self::counter) gives it. The three runs of 32 counters the position can be in
    /// are looked up from `chunk` alone and one is picked by `offset`, so a timer's chain from
    /// its clock read to the store holds no dependent load after its bucket is known (the
    /// lookups overlap the bucket's table lookup).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "on a timer's record path: measured")]
    pub(super) fn counter_near(&self, chunk: usize, offset: usize) -> &AtomicU64 {
        let run =
            |c: usize| -> Option<&Chunk> { self.groups.get(c / GROUP)?.get()?.0[c % GROUP].get() };
        let (first, second, third) = (run(chunk), run(chunk + 1), run(chunk + 2));
        let picked = if offset < CHUNK {
            first
        } else if offset < 2 * CHUNK {
            second
        } else {
            third
        };
        match picked {
            Some(run) => &run.0[offset % CHUNK],
            None => self.counter(chunk * CHUNK + offset),
        }
    }

    /// The counter of classic bucket `i` of `n` bounds (`i <= n`, `n` for the values above the
    /// last bound), allocating the counters on first use.
    #[inline]
    pub(super) fn bound_counter(&self, n: usize, i: usize) -> Option<&AtomicU64> {
        if n < FEW_BOUNDS {
            let cells = self
                .few_bounds
                .get_or_init(boxed::<[AtomicU64; FEW_BOUNDS]>);
            Some(&cells[i % FEW_BOUNDS])
        } else {
            let cells = self
                .many_bounds
                .get_or_init(|| Box::new((0..=n).map(|_| AtomicU64::new(0)).collect()));
            cells.get(i)
        }
    }

    /// The counter of classic bucket `i < FEW_BOUNDS` of fewer than [`FEW_BOUNDS`] bounds,
    /// allocating the counters on first use.
    #[inline]
    pub(super) fn few_bound_counter(&self, i: usize) -> &AtomicU64 {
        let cells = self
            .few_bounds
            .get_or_init(boxed::<[AtomicU64; FEW_BOUNDS]>);
        &cells[i % FEW_BOUNDS]
    }

    /// The classic bucket counters, if any value was counted in one (more than the bounds: the
    /// one past the last bound counts the values above it).
    pub(super) fn bound_counters(&self) -> Option<&[AtomicU64]> {
        match (self.few_bounds.get(), self.many_bounds.get()) {
            (Some(few), _) => Some(few),
            (None, Some(many)) => Some(many),
            (None, None) => None,
        }
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
            + self.few_bounds.get().map_or(0, std::mem::size_of_val)
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
