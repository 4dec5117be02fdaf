//! The histogram itself: the record paths and the reads over every shard.

use super::LazyNanosBounds;
use super::config::HistogramConfig;
#[cfg(feature = "multiprocess")]
use super::layout::position_of_nanos;
use super::layout::{NanosPosition, index_of, nanos_parts, position};
use super::quantile::Quantiles;
use super::shard::{CHUNK, Recorded, Shard};
use super::sketch::Sketch;
use super::snapshot::HistogramSnapshot;
use crate::clock::{Clock, ClockRef};
use crate::error::{Error, Result};
use crate::slot::{Shards, Writer};
use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Cumulative sketches taken at earlier reads: `(clock time, sketch)`, oldest first.
type Frames = VecDeque<(u64, Sketch)>;

/// A distribution of non-negative values: count, sum, min, max, mean, stddev, quantiles within
/// 1 % relative error, and exact classic buckets at configured bounds.
///
/// Recording is lock-free (see the [module docs](super) for the bucket layout, the record path
/// and memory use). Snapshots take a lock of their own, never one the record path takes.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Histogram, HistogramConfig};
///
/// static SIZES: Histogram = Histogram::with_config(HistogramConfig::new().bounds(&[10.0, 100.0]));
/// for v in [5.0, 50.0, 60.0, 500.0] {
///     SIZES.record(v)?;
/// }
/// assert!(SIZES.record(-1.0).is_err());
/// let s = SIZES.snapshot();
/// assert_eq!((s.count, s.sum, s.min, s.max), (4, 615.0, 5.0, 500.0));
/// assert_eq!(s.buckets, [(10.0, 1), (100.0, 3), (f64::INFINITY, 4)]);
/// assert!((s.quantiles.q50 - 50.0).abs() <= 0.5); // nearest rank: the 2nd of 4 values
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct Histogram {
    config: HistogramConfig,
    clock: ClockRef,
    /// Clock time at creation (0 on the system clock: its origin).
    start: u64,
    /// What is recorded: any `f64`, or integer nanoseconds (timers).
    recorded: Recorded,
    shards: Shards<Shard>,
    frames: Mutex<Frames>,
}

impl Histogram {
    /// A histogram with the default configuration (const: it can be a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self::with_config(HistogramConfig::new())
    }

    /// A histogram with `config`, on the system clock.
    #[must_use]
    pub const fn with_config(config: HistogramConfig) -> Self {
        Self::with_recorded(config, Recorded::Floats)
    }

    /// A histogram of integer nanoseconds reported in seconds (for timers): it records
    /// through [`record_nanos`](Self::record_nanos) only.
    pub(crate) const fn nanos(config: HistogramConfig) -> Self {
        Self::with_recorded(config, Recorded::Nanos)
    }

    const fn with_recorded(config: HistogramConfig, recorded: Recorded) -> Self {
        Histogram {
            config,
            clock: ClockRef::System,
            start: 0,
            recorded,
            shards: Shards::new(),
            frames: Mutex::new(VecDeque::new()),
        }
    }

    /// A histogram with `config` whose window is measured on `clock`.
    #[must_use]
    pub fn with_clock(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Self::with_recorded_and_clock(config, Recorded::Floats, clock)
    }

    /// [`nanos`](Self::nanos) with its window measured on `clock`.
    pub(crate) fn nanos_with_clock(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Self::with_recorded_and_clock(config, Recorded::Nanos, clock)
    }

    fn with_recorded_and_clock(
        config: HistogramConfig,
        recorded: Recorded,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let mut h = Self::with_recorded(config, recorded);
        h.start = clock.now_nanos();
        h.clock = ClockRef::Custom(clock);
        h
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &HistogramConfig {
        &self.config
    }

    /// Records `v`.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] (and nothing recorded) if `v` is negative, NaN or infinite.
    #[inline]
    pub fn record(&self, v: f64) -> Result<()> {
        // Also false for NaN. Kept small, so that it inlines at every call site and the caller
        // sees the `Ok` (nothing to drop); the error is built out of line.
        if (0.0..f64::INFINITY).contains(&v) {
            // `-0.0` passes the range check: record it as `0.0` (its sign bit would otherwise
            // give it the top bucket and the largest bits for `max`).
            self.record_raw(v.abs());
            Ok(())
        } else {
            Err(invalid_value(v))
        }
    }

    /// Records a duration in nanoseconds (for timers, whose reports are in seconds), its classic
    /// bucket counted against `bounds` (the timer's bounds as thresholds in nanoseconds, computed
    /// on the first record with bounds).
    ///
    /// The bucket is that of the duration in seconds as an `f64`, computed in integers (see
    /// `position_of_nanos`), so a timer's sketch has the same layout as a histogram recording
    /// seconds. The sum and the sum of squares are exact `u128` integers, min and max are
    /// integers. Only for [`Recorded::Nanos`].
    #[inline]
    pub(crate) fn record_nanos(&self, ns: u64, bounds: &LazyNanosBounds) {
        debug_assert!(self.recorded == Recorded::Nanos);
        let parts = nanos_parts(ns);
        #[cfg(feature = "multiprocess")]
        if let Some(base) = self.shards.sourced() {
            super::sourced::record_nanos(base, &self.config, ns, position_of_nanos(ns));
            return;
        }
        self.shards.with(
            #[inline(always)]
            |s, w| update_nanos(s, w, &self.config, bounds, ns, parts),
        );
    }

    /// Records a finite non-negative `v`. Never inlined, so that [`record`](Self::record) is
    /// small enough to inline everywhere (its `Result` then costs nothing); LLVM would keep the
    /// whole of it out of line otherwise, and the caller would drop a `Result` in memory.
    #[inline(never)]
    fn record_raw(&self, v: f64) {
        debug_assert!(self.recorded == Recorded::Floats);
        let p = position(v);
        #[cfg(feature = "multiprocess")]
        if let Some(base) = self.shards.sourced() {
            super::sourced::record_floats(base, &self.config, v, p);
            return;
        }
        self.shards.with(
            #[inline(always)]
            |s, w| update_floats(s, w, &self.config, v, p),
        );
    }

    /// Moves its storage to the run of arena cells from the id `make` gives (the multi-process mode);
    /// `false` if it has one already.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        self.shards.adopt(make)
    }

    /// Values recorded so far (sums every shard's buckets: meant for reads, not hot paths).
    #[must_use]
    pub fn count(&self) -> u64 {
        let mut n = 0u64;
        self.shards.for_each(|s| {
            n = n.wrapping_add(s.zero.load(Ordering::Relaxed));
            s.for_each_chunk(|_, chunk| {
                for c in &chunk.0 {
                    n = n.wrapping_add(c.load(Ordering::Relaxed));
                }
            });
        });
        n
    }

    /// The cumulative sketch over every shard.
    fn cumulative_sketch(&self) -> Sketch {
        let mut chunks: BTreeMap<usize, [u64; CHUNK]> = BTreeMap::new();
        let mut sketch = Sketch::new();
        self.shards.for_each(|s| {
            sketch.zero = sketch.zero.wrapping_add(s.zero.load(Ordering::Relaxed));
            s.for_each_chunk(|first, chunk| {
                let acc = chunks.entry(first).or_insert([0; CHUNK]);
                for (a, c) in acc.iter_mut().zip(&chunk.0) {
                    *a = a.wrapping_add(c.load(Ordering::Relaxed));
                }
            });
        });
        for (first, counts) in chunks {
            for (j, &c) in counts.iter().enumerate() {
                if c > 0 {
                    sketch.buckets.push((index_of(first + j), c));
                }
            }
        }
        sketch.count = sketch
            .buckets
            .iter()
            .fold(sketch.zero, |n, &(_, c)| n.wrapping_add(c));
        sketch
    }

    /// The windowed part: `(window sketch, window length)` for the cumulative `now_sketch`.
    fn windowed(&self, now: u64, now_sketch: &Sketch) -> (Sketch, Duration) {
        let since_start = Duration::from_nanos(now.saturating_sub(self.start));
        let w = u64::try_from(self.config.quantile_window().as_nanos()).unwrap_or(u64::MAX);
        if w == 0 {
            return (now_sketch.clone(), since_start);
        }
        let mut frames = self.frames.lock().unwrap_or_else(PoisonError::into_inner);
        let cutoff = now.saturating_sub(w);
        // Keep only the newest frame at least `w` old, and the younger ones.
        while frames.len() >= 2 && frames[1].0 <= cutoff {
            frames.pop_front();
        }
        let result = match frames.front() {
            Some((t, base)) if *t <= cutoff => {
                (now_sketch.since(base), Duration::from_nanos(now - t))
            }
            _ => (now_sketch.clone(), since_start),
        };
        let due = frames
            .back()
            .is_none_or(|(t, _)| now.saturating_sub(*t) >= w / 4);
        if due {
            frames.push_back((now, now_sketch.clone()));
        }
        result
    }

    /// Everything at once: cumulative statistics, windowed quantiles, classic buckets.
    #[must_use]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let now = self.clock.now_nanos();
        let sketch = self.cumulative_sketch();
        let (sum, sum_sq, min, max) = self.totals();
        let count = sketch.count();
        let d = self.recorded.divisor();
        let (min, max, mean, stddev) = if count == 0 || min.is_none() {
            (0.0, 0.0, 0.0, 0.0)
        } else {
            #[allow(
                clippy::cast_precision_loss,
                reason = "a count becomes the divisor of the mean; rounding past 2^53 records is below the estimate's error"
            )]
            let n = count as f64;
            let mean = sum / n;
            let var = (sum_sq / n - mean * mean).max(0.0);
            (min.unwrap_or(0.0) / d, max / d, mean / d, var.sqrt() / d)
        };
        let buckets = self.classic_buckets(count);
        let (window_sketch, window) = self.windowed(now, &sketch);
        let mut snap = HistogramSnapshot {
            count,
            sum: sum / d,
            min,
            max,
            mean,
            stddev,
            quantiles: Quantiles::default(),
            buckets,
            window,
            window_count: window_sketch.count(),
            sketch,
            window_sketch,
        };
        snap.quantiles = Quantiles::from_fn(|q| snap.quantile(q));
        snap
    }

    /// Sum, sum of squares, min (`None` if nothing recorded) and max over every shard, in
    /// recorded units.
    #[allow(
        clippy::cast_precision_loss,
        reason = "u128 integers become the nearest f64"
    )]
    fn totals(&self) -> (f64, f64, Option<f64>, f64) {
        let (mut min, mut max) = (u64::MAX, 0u64);
        let wide = |lo: &AtomicU64, hi: &AtomicU64| {
            u128::from(hi.load(Ordering::Relaxed)) << 64 | u128::from(lo.load(Ordering::Relaxed))
        };
        let (sum, sum_sq) = match self.recorded {
            Recorded::Floats => {
                let (mut sum, mut sum_sq) = (0.0, 0.0);
                self.shards.for_each(|s| {
                    sum += f64::from_bits(s.sum.load(Ordering::Relaxed));
                    sum_sq += f64::from_bits(s.sum_sq.load(Ordering::Relaxed));
                    min = min.min(s.min.load(Ordering::Relaxed));
                    max = max.max(s.max.load(Ordering::Relaxed));
                });
                (sum, sum_sq)
            }
            Recorded::Nanos => {
                let (mut sum, mut sum_sq) = (0u128, 0u128);
                self.shards.for_each(|s| {
                    sum = sum.wrapping_add(wide(&s.sum, &s.sum_hi));
                    sum_sq = sum_sq.wrapping_add(wide(&s.sum_sq, &s.sum_sq_hi));
                    min = min.min(s.min.load(Ordering::Relaxed));
                    max = max.max(s.max.load(Ordering::Relaxed));
                });
                (sum as f64, sum_sq as f64)
            }
        };
        let to_f64 = |x: u64| match self.recorded {
            Recorded::Floats => f64::from_bits(x),
            Recorded::Nanos => x as f64,
        };
        let min = (min != u64::MAX).then(|| to_f64(min));
        (sum, sum_sq, min, to_f64(max))
    }

    fn classic_buckets(&self, count: u64) -> Vec<(f64, u64)> {
        let mut out = Vec::new();
        self.classic_into(count, &mut out);
        out
    }

    /// Replaces `out` with the cumulative counts at the configured bounds, `+Inf` last with
    /// `count`; leaves it empty without configured bounds.
    fn classic_into(&self, count: u64, out: &mut Vec<(f64, u64)>) {
        out.clear();
        let Some(bounds) = self.config.live_bounds() else {
            return;
        };
        out.extend(bounds.iter().map(|&b| (b, 0u64)));
        self.shards.for_each(|s| {
            if let Some(cells) = s.bound_counters() {
                for (p, c) in out.iter_mut().zip(cells) {
                    p.1 = p.1.wrapping_add(c.load(Ordering::Relaxed));
                }
            }
        });
        let mut cum = 0u64;
        for p in out.iter_mut() {
            // Reads race with records: never report more below a bound than in total.
            cum = cum.wrapping_add(p.1).min(count);
            p.1 = cum;
        }
        out.push((f64::INFINITY, count));
    }

    /// What a classic-histogram exposition reads, without the sketch, the window or the
    /// quantiles of a [`snapshot`](Self::snapshot): the cumulative counts at the configured
    /// bounds into `buckets` (`+Inf` last, with the count) and the sum, each as a snapshot
    /// reports it. `None` (and `buckets` empty) without configured bounds.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn classic(&self, buckets: &mut Vec<(f64, u64)>) -> Option<f64> {
        buckets.clear();
        let bounds = self.config.live_bounds()?;
        buckets.extend(bounds.iter().map(|&b| (b, 0u64)));
        // One walk over the shards for what `count`, `totals` and `classic_into` read. Every
        // record lands in one bound counter (the one past the last bound for values above it),
        // so they sum to the count without a walk over the sketch's buckets.
        let (mut count, mut float_sum, mut nanos_sum) = (0u64, 0.0f64, 0u128);
        self.shards.for_each(|s| {
            if let Some(cells) = s.bound_counters() {
                for c in cells.iter().take(bounds.len() + 1) {
                    count = count.wrapping_add(c.load(Ordering::Relaxed));
                }
            }
            match self.recorded {
                Recorded::Floats => float_sum += f64::from_bits(s.sum.load(Ordering::Relaxed)),
                Recorded::Nanos => {
                    let wide = u128::from(s.sum_hi.load(Ordering::Relaxed)) << 64
                        | u128::from(s.sum.load(Ordering::Relaxed));
                    nanos_sum = nanos_sum.wrapping_add(wide);
                }
            }
            if let Some(cells) = s.bound_counters() {
                for (p, c) in buckets.iter_mut().zip(cells) {
                    p.1 = p.1.wrapping_add(c.load(Ordering::Relaxed));
                }
            }
        });
        let mut cum = 0u64;
        for p in buckets.iter_mut() {
            // As `classic_into`: never more below a bound than in total.
            cum = cum.wrapping_add(p.1).min(count);
            p.1 = cum;
        }
        buckets.push((f64::INFINITY, count));
        #[allow(clippy::cast_precision_loss, reason = "as `totals`: the nearest f64")]
        let sum = match self.recorded {
            Recorded::Floats => float_sum,
            Recorded::Nanos => nanos_sum as f64,
        };
        Some(sum / self.recorded.divisor())
    }

    /// Heap bytes held: the shard table, every shard, its allocated powers of two and bound
    /// counters, and the sketches kept for the window. 0 until the first record.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        let frames = self.frames.lock().unwrap_or_else(PoisonError::into_inner);
        let frame_bytes: usize = frames.capacity() * std::mem::size_of::<(u64, Sketch)>()
            + frames
                .iter()
                .map(|(_, s)| s.buckets.capacity() * std::mem::size_of::<(u32, u64)>())
                .sum::<usize>();
        self.shards.heap_bytes(Shard::heap_bytes) + frame_bytes
    }
}

/// The shard update of [`Histogram::record_nanos`]. Always inlined, and so is the closure that
/// calls it: LLVM otherwise keeps the closure given to [`Shards::with`] out of line (it is
/// reached from two arms, an exclusive and a shared shard), passing every capture through
/// memory: about a fifth of the record's cost.
#[inline(always)]
#[allow(
    clippy::inline_always,
    reason = "see above: measured in benches/hot_path.rs"
)]
fn update_nanos(
    s: &Shard,
    w: Writer,
    config: &HistogramConfig,
    bounds: &LazyNanosBounds,
    ns: u64,
    parts: Option<NanosPosition>,
) {
    match parts {
        Some(NanosPosition { chunk, offset }) => w.add(s.counter_near(chunk, offset), 1),
        None => w.add(&s.zero, 1),
    }
    w.add_wide(&s.sum, &s.sum_hi, u128::from(ns));
    w.add_wide(&s.sum_sq, &s.sum_sq_hi, u128::from(ns) * u128::from(ns));
    w.min(&s.min, ns);
    w.max(&s.max, ns);
    if ns < EXACT_NANOS {
        if config.fast_bounds() {
            w.add(s.few_bound_counter(bounds.get(config).classic_index(ns)), 1);
        } else if let Some(bounds) = config.live_bounds() {
            record_many(s, w, bounds, secs(ns));
        }
    } else {
        record_bound_exact(s, w, config, secs(ns));
    }
}

/// The shard update of [`Histogram::record`], always inlined as [`update_nanos`] is.
#[inline(always)]
#[allow(clippy::inline_always, reason = "see `update_nanos`")]
fn update_floats(s: &Shard, w: Writer, config: &HistogramConfig, v: f64, p: i64) {
    match usize::try_from(p) {
        Ok(p) => w.add(s.counter(p), 1),
        Err(_) => w.add(&s.zero, 1),
    }
    w.add_f64(&s.sum, v);
    w.add_f64(&s.sum_sq, v * v);
    w.min(&s.min, v.to_bits());
    w.max(&s.max, v.to_bits());
    record_bound(s, w, config, p, || v);
}

/// Nanoseconds in seconds, the unit of a timer's bounds: what a duration is compared with a bound
/// as (a division, kept off the record path: the timer's thresholds are computed from it once,
/// on its first record with bounds, and only durations of [`EXACT_NANOS`] and more, or among
/// more than 12 bounds, are divided when recorded). It never decreases as `ns` grows.
#[inline]
pub(super) const fn secs(ns: u64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "exact below 2^53 ns (104 days)")]
    let s = ns as f64 / 1e9;
    s
}

#[cold]
#[inline(never)]
fn invalid_value(v: f64) -> Error {
    Error::InvalidValue {
        what: "Histogram::record".into(),
        value: v.to_string(),
    }
}

/// Counts a value (at storage position `p`; `v` gives it in reported units, called only where
/// it must be compared with a bound) in its classic bucket, `bounds.len()` for a value above the
/// last bound: every record lands in one bound counter, so a shard's bound counters sum to its
/// count.
#[inline(always)]
#[allow(clippy::inline_always, reason = "see `update_nanos`")]
fn record_bound(
    shard: &Shard,
    writer: Writer,
    config: &HistogramConfig,
    p: i64,
    v: impl FnOnce() -> f64,
) {
    if config.fast_bounds() {
        let i = config.classic_index_fast(p, v);
        writer.add(shard.few_bound_counter(i), 1);
    } else if let Some(bounds) = config.live_bounds() {
        record_many(shard, writer, bounds, v());
    }
}

/// Durations of at least this many nanoseconds (2^53, about 104 days) are compared with every
/// bound in seconds: the thresholds in nanoseconds stop there (`NanosBounds`), and above it
/// `ns as f64` is no longer exact.
pub(super) const EXACT_NANOS: u64 = 1 << 53;

/// [`record_bound`] of a value `v` (in reported units) compared with every bound: a binary
/// search (for durations of [`EXACT_NANOS`] and more).
#[cold]
#[inline(never)]
fn record_bound_exact(shard: &Shard, writer: Writer, config: &HistogramConfig, v: f64) {
    if let Some(bounds) = config.live_bounds() {
        record_many(shard, writer, bounds, v);
    }
}

/// [`record_bound`] by a binary search over the bounds: beyond 12 bounds, and for durations of
/// [`EXACT_NANOS`] and more.
#[inline(never)]
fn record_many(shard: &Shard, writer: Writer, bounds: &[f64], v: f64) {
    if let Some(c) = shard.bound_counter(bounds.len(), HistogramConfig::classic_index(bounds, v)) {
        writer.add(c, 1);
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    /// A timer's classic buckets equal the count of bounds below each duration in seconds (as
    /// `secs` computes it), with bounds at the duration itself and its neighbouring `f64`s,
    /// short and long durations, including above 2^53 ns where the division rounds twice.
    #[test]
    fn timer_classic_buckets_equal_the_count_of_bounds_below() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut durations = vec![
            1,
            999,
            1_000_000_000,
            1_000_000_001,
            (1 << 53) - 1,
            1 << 53,
            11_360_318_915_079_195,
            351_908_470_613_962_591,
            u64::MAX,
        ];
        for _ in 0..400 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            durations.push(x >> (x % 60));
        }
        for ns in durations {
            let v = secs(ns);
            let near = [
                f64::from_bits(v.to_bits().saturating_sub(1)),
                v,
                f64::from_bits(v.to_bits() + 1),
            ];
            for (i, &b) in near.iter().enumerate() {
                let bounds: &'static [f64] = Box::leak(Box::new([b]));
                let config = HistogramConfig::new().bounds(bounds);
                let h = Histogram::nanos(config);
                h.record_nanos(ns, &LazyNanosBounds::new());
                let mut buckets = Vec::new();
                h.classic(&mut buckets);
                let below = u64::from(v <= b);
                assert_eq!(buckets[0].1, below, "{ns} ns against bound {i} {b}");
            }
        }
    }

    #[test]
    fn invalid_bounds_are_ignored_without_panicking() {
        let h = Histogram::with_config(HistogramConfig::new().bounds(&[5.0, 1.0]));
        h.record(3.0).unwrap();
        let s = h.snapshot();
        assert_eq!(s.count, 1);
        assert!(s.buckets.is_empty());
    }
}
