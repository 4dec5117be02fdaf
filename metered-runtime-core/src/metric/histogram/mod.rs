//! Histograms: a lock-free distribution in base-2 exponential buckets (the layout of Prometheus
//! native histograms and OpenTelemetry exponential histograms) with bounded relative error,
//! mergeable across processes, with windowed quantiles and exact classic buckets.
//!
//! # Bucket layout
//!
//! Schema 6: bucket `i` holds the values in `(2^((i-1)/64), 2^(i/64)]`, 64 buckets per power of
//! two, and a zero bucket holds the values in `[0, 2^-40]`. A value exactly `2^(i/64)` belongs
//! to bucket `i` (upper bounds are inclusive, as in both formats). The bucket is found without a
//! logarithm: one load from a 128-entry table on the top 7 mantissa bits (a candidate bucket
//! and its boundary) and one comparison (see [`bucket_index`]). Buckets are numbered as Prometheus does;
//! OpenTelemetry numbers bucket `i` as `i - 1`.
//!
//! The range is `(2^-40, 2^64]`, 104 powers of two ([`MIN_INDEX`]`..=`[`MAX_INDEX`]): 1 ns to
//! 584 years in seconds, and 1e-12 to 1.8e19 in any unit. Values at or below the zero threshold
//! are counted in the zero bucket, values above `2^64` in the highest bucket; their quantile
//! estimates lose the error bound, but `min` and `max` stay exact and estimates are clamped into
//! `[min, max]`. Negative, NaN and infinite values are rejected with
//! [`Error::InvalidValue`](crate::Error::InvalidValue) and not counted.
//!
//! Timers record integer nanoseconds into the buckets of the duration in seconds: a timer's
//! [`Sketch`] has exactly the layout of a histogram that records seconds (no index offset), so
//! exporters hand both over alike. Sum, sum of squares, min and max of a timer stay exact
//! integers of nanoseconds (sums in `u128`) up to the final conversion to seconds.
//!
//! # What exporters read
//!
//! [`HistogramSnapshot::sketch`] (cumulative) is a [`Sketch`]: its schema, zero threshold and
//! zero count, and the non-empty buckets, as `(index, count)` pairs or as runs of consecutive
//! buckets ([`Sketch::spans`]), which is what a Prometheus native histogram and an OTLP
//! exponential histogram carry. Sketches merge exactly, at the same schema or at a coarser one
//! ([`Sketch::downscale`]: bucket `i` of schema `s` lies in bucket `ceil(i / 2)` of `s - 1`).
//! [`HistogramSnapshot::buckets`] are the exact cumulative counts at configured classic bounds,
//! for the text formats.
//!
//! # Record path and memory
//!
//! Each recording thread owns a shard (see the crate's slot mechanism): the record path is a few
//! relaxed loads and plain stores (bucket, sum, sum of squares, min, max, and a bound counter when
//! bounds are configured). It takes no lock and allocates nothing after warm-up. With up to 12
//! classic bounds, the classic bucket comes from the exponential one: the configuration keeps
//! each bound's exponential bucket (computed when it is built, in const code), the record path
//! counts the bounds in lower buckets (two levels of branch-free compares of 16-bit keys) and,
//! only when the value's bucket holds a bound (at most 12 of 6,656 buckets), compares the value
//! with the bounds in it, out of line. Beyond 12 bounds, a binary search.
//!
//! A timer's record path is shaped by its clock reads, which wait for the record's chain of
//! dependent instructions: the bucket of `ns` nanoseconds is that of `ns as f64 / 1e9`, found
//! without the division from the nanoseconds' own leading bits (a leading-zero count, a shift,
//! one table load and one compare); the three runs of 32 counters it can fall in are looked up
//! from the leading-zero count alone, beside the table load; and its classic bucket is counted
//! on the duration itself, against the first duration above each bound, which the timer
//! computes on its first record with bounds (exact: `ns as f64 / 1e9` never decreases as `ns`
//! grows). Durations of 2^53 ns (104 days) and more are compared with every bound in seconds.
//!
//! A shard is 192 bytes; its buckets are allocated in chunks of 32 (half a power of two, 256
//! bytes) on first touch, behind a two-level directory: 13 pointers in the shard, each to a
//! 128-byte group of 16 chunk pointers (eight powers of two). A histogram recorded from `t`
//! threads whose values span `c` chunks within `g` groups holds `t * (192 + 128 g + 256 c)`
//! bytes in its shards, plus `t * 128` with up to 16 classic bounds (`t * (32 + 8 n)` with
//! `n > 16`), whatever the number of CPUs (the shard table of the slot mechanism comes on top).
//! Values in one power of two `(2^e, 2^(e+1)]` fill `c = 2` chunks in `g = 1` group: 704 bytes
//! per thread; a single value `c = g = 1`: 576 bytes. An idle histogram holds no heap memory.
//!
//! # Quantiles
//!
//! Quantiles are nearest-rank: the estimate for `q` over `n` values is taken from the bucket of
//! the smallest recorded value `v` such that at least `max(1, ceil(q * n))` values are `<= v`. The
//! estimate is the bucket's geometric midpoint `2^((i - 1/2) / 64)`, within
//! `2^(1/128) - 1` (0.54 %) of every value in the bucket (0 for the zero bucket), clamped into
//! `[min, max]`, so a single value and all-equal values come out exact.

mod config;
mod layout;
mod nanos_bounds;
mod quantile;
mod recorder;
mod shard;
mod sketch;
mod snapshot;
#[cfg(feature = "multiprocess")]
pub(crate) mod sourced;

pub use config::{DEFAULT_WINDOW, HistogramConfig};
pub use layout::{MAX_INDEX, MIN_INDEX, SCHEMA, ZERO_THRESHOLD, bucket_edges, bucket_index};
pub(crate) use nanos_bounds::LazyNanosBounds;
pub use quantile::{Quantiles, nearest_rank};
pub use recorder::Histogram;
pub use sketch::{BucketSpan, Sketch};
pub use snapshot::HistogramSnapshot;
