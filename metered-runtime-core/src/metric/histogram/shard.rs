//! One recording thread's part of a histogram.

use super::layout::{OCTAVES, SUB_BUCKETS};
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

/// The 64 counters of one power of two, on cache lines of their own.
#[repr(align(128))]
pub(super) struct Octave(pub(super) [AtomicU64; SUB_BUCKETS]);

/// One thread's part of a histogram.
#[repr(align(128))]
pub(super) struct Shard {
    pub(super) octaves: [OnceBox<Octave>; OCTAVES],
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
    /// Per configured bound `i`: values in `(bound[i-1], bound[i]]`.
    pub(super) bounds: OnceBox<Vec<AtomicU64>>,
}

impl Default for Shard {
    fn default() -> Self {
        Shard {
            octaves: std::array::from_fn(|_| OnceBox::new()),
            zero: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            sum_hi: AtomicU64::new(0),
            sum_sq: AtomicU64::new(0),
            sum_sq_hi: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
            bounds: OnceBox::new(),
        }
    }
}

impl Shard {
    pub(super) fn heap_bytes(&self) -> usize {
        let octaves = self.octaves.iter().filter(|o| o.get().is_some()).count();
        octaves * std::mem::size_of::<Octave>()
            + self.bounds.get().map_or(0, |v| {
                std::mem::size_of::<Vec<AtomicU64>>() + v.capacity() * 8
            })
    }
}

#[cold]
pub(super) fn new_octave() -> Box<Octave> {
    Box::new(Octave([const { AtomicU64::new(0) }; SUB_BUCKETS]))
}
