//! Histograms: a lock-free log-linear bucketed distribution with bounded relative error,
//! mergeable across processes, with windowed quantiles and exact classic buckets.
//!
//! # Bucket layout
//!
//! A positive finite `f64` is `2^e * (1 + m)`; its bit pattern shifted right by 46 keeps the
//! 11 exponent bits and the top 6 mantissa bits, so consecutive values of `bits >> 46` are
//! log-linear buckets: 64 equal-width sub-buckets per power of two (the layout of HDR
//! Histogram's sub-buckets and of DDSketch-style log buckets, taken over the float's own bits, so
//! finding a bucket is a shift and a clamp). A bucket `[l, u)` has `u - l <= l / 64`, so its
//! midpoint is within `1/128` (0.78 %) of every value in it. This is the documented 1 % bound.
//!
//! The exponent range is clamped to `[2^-40, 2^63)`, which is [`OCTAVES`] = 103 powers of two.
//! That covers 1 ns to 292 years in nanoseconds and 1e-12 to 9e18 in any unit. Values below the
//! range are counted in the lowest bucket, values above it in the highest. Their quantile
//! estimates lose the 1 % bound, but `min` and `max` stay exact and estimates are clamped into
//! `[min, max]`. Zero has a bucket of its own. Negative, NaN and infinite values are rejected
//! with [`Error::InvalidValue`](crate::Error::InvalidValue) and not counted.
//!
//! # Record path and memory
//!
//! Each recording thread owns a shard (see the crate's slot mechanism): the record path is a few
//! relaxed loads and plain stores (bucket, sum, sum of squares, min, max, and a bound counter when
//! bounds are configured). It takes no lock and allocates nothing after warm-up. A shard holds one
//! pointer per power of two; the 64 counters of a power of two (512 bytes) are allocated the
//! first time that shard records a value in it. An idle histogram holds no heap memory at all.
//!
//! Timers record integer nanoseconds on a path of their own that never converts to `f64`: the
//! bucket comes from the integer's leading zeros (the same bucket the `f64` bit pattern gives),
//! sum and sum of squares are exact `u128` integers (two 64-bit cells each, the carry a rarely
//! taken branch), min and max are integers. Sum, mean and stddev of a timer are therefore exact
//! up to the final conversion to seconds.
//!
//! # Quantiles
//!
//! Quantiles are nearest-rank: the estimate for `q` over `n` values is taken from the bucket of
//! the smallest recorded value `v` such that at least `max(1, ceil(q * n))` values are `<= v`. The
//! estimate is the bucket's midpoint (0 for the zero bucket), clamped into `[min, max]`, so a
//! single value and all-equal values come out exact.

mod config;
mod layout;
mod quantile;
mod recorder;
mod shard;
mod sketch;
mod snapshot;

pub use config::{DEFAULT_WINDOW, HistogramConfig};
pub use layout::{BUCKETS, OCTAVES, SUB_BUCKETS, bucket_edges};
pub use quantile::{Quantiles, nearest_rank};
pub use recorder::Histogram;
pub use sketch::Sketch;
pub use snapshot::HistogramSnapshot;
