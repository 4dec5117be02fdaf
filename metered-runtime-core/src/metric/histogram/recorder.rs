//! The histogram itself: the record paths and the reads over every shard.

use super::config::{FAST_BOUNDS, HistogramConfig};
use super::layout::{MIN_INDEX, index_of, position, position_of_nanos};
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

    /// Records a duration in nanoseconds (for timers, whose reports are in seconds).
    ///
    /// The bucket is that of the duration in seconds, computed in integers (see
    /// `position_of_nanos`), so a timer's sketch has the same layout as a histogram recording
    /// seconds. The sum and the sum
    /// of squares are exact `u128` integers, min and max are integers. Only for
    /// [`Recorded::Nanos`].
    #[inline]
    pub(crate) fn record_nanos(&self, ns: u64) {
        debug_assert!(self.recorded == Recorded::Nanos);
        let p = position_of_nanos(ns);
        self.shards.with(
            #[inline(always)]
            |s, w| update_nanos(s, w, &self.config, ns, p),
        );
    }

    /// Records a finite non-negative `v`. Never inlined, so that [`record`](Self::record) is
    /// small enough to inline everywhere (its `Result` then costs nothing); LLVM would keep the
    /// whole of it out of line otherwise, and the caller would drop a `Result` in memory.
    #[inline(never)]
    fn record_raw(&self, v: f64) {
        debug_assert!(self.recorded == Recorded::Floats);
        let p = position(v);
        self.shards.with(
            #[inline(always)]
            |s, w| update_floats(s, w, &self.config, v, p),
        );
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
        let buckets = self.classic_buckets(count, &sketch);
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

    /// The cumulative classic buckets. Up to [`FAST_BOUNDS`] bounds, the count at bound `j` is
    /// that of the exponential buckets below the bound's own (`sketch`, with the zero bucket)
    /// plus the values at most the bound in its own (the split counters).
    fn classic_buckets(&self, count: u64, sketch: &Sketch) -> Vec<(f64, u64)> {
        let Some(bounds) = self.config.live_bounds() else {
            return Vec::new();
        };
        let mut per = vec![0u64; bounds.len()];
        let cumulative = if bounds.len() <= FAST_BOUNDS {
            self.shards.for_each(|s| {
                if let Some(cells) = s.split_counters() {
                    for (p, c) in per.iter_mut().zip(cells) {
                        *p = p.wrapping_add(c.load(Ordering::Relaxed));
                    }
                }
            });
            for (j, p) in per.iter_mut().enumerate() {
                let key = i64::from(self.config.bound_key(j));
                if key >= 0 {
                    *p = p.wrapping_add(sketch.zero);
                }
                for &(index, c) in &sketch.buckets {
                    if i64::from(index - MIN_INDEX) >= key {
                        break;
                    }
                    *p = p.wrapping_add(c);
                }
            }
            true
        } else {
            self.shards.for_each(|s| {
                if let Some(cells) = s.bucket_counters() {
                    for (p, c) in per.iter_mut().zip(cells) {
                        *p = p.wrapping_add(c.load(Ordering::Relaxed));
                    }
                }
            });
            false
        };
        let mut cum = 0u64;
        let mut out: Vec<(f64, u64)> = bounds
            .iter()
            .zip(per)
            .map(|(&b, c)| {
                // Reads race with records: never report more below a bound than in total, nor
                // less than below the previous bound.
                cum = if cumulative {
                    c.max(cum)
                } else {
                    cum.wrapping_add(c)
                }
                .min(count);
                (b, cum)
            })
            .collect();
        out.push((f64::INFINITY, count));
        out
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
fn update_nanos(s: &Shard, w: Writer, config: &HistogramConfig, ns: u64, p: i64) {
    match usize::try_from(p) {
        Ok(p) => w.add(s.counter(p), 1),
        Err(_) => w.add(&s.zero, 1),
    }
    w.add_wide(&s.sum, &s.sum_hi, u128::from(ns));
    w.add_wide(&s.sum_sq, &s.sum_sq_hi, u128::from(ns) * u128::from(ns));
    w.min(&s.min, ns);
    w.max(&s.max, ns);
    record_bound(s, w, config, p, Value::Nanos(ns));
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
    record_bound(s, w, config, p, Value::Float(v));
}

#[cold]
#[inline(never)]
fn invalid_value(v: f64) -> Error {
    Error::InvalidValue {
        what: "Histogram::record".into(),
        value: v.to_string(),
    }
}

/// A recorded value, as the record path has it.
#[derive(Clone, Copy)]
enum Value {
    /// A float, in reported units.
    Float(f64),
    /// Nanoseconds, reported in seconds: converted only where a bound is compared (a division,
    /// kept off the usual record path).
    Nanos(u64),
}

impl Value {
    /// The value in reported units (seconds for nanoseconds).
    #[inline]
    fn reported(self) -> f64 {
        match self {
            Value::Float(v) => v,
            #[allow(clippy::cast_precision_loss, reason = "exact below 2^53 ns (104 days)")]
            Value::Nanos(ns) => ns as f64 / 1e9,
        }
    }
}

/// Counts `v` (at storage position `p`) for the classic buckets. Up to
/// [`FAST_BOUNDS`] bounds, only a value in a bucket that holds a bound is compared with it and
/// counted (in that bound's split counter): the classic counts are derived from the exponential
/// buckets at read time. Beyond, the value's classic bucket is counted.
#[inline(always)]
#[allow(clippy::inline_always, reason = "see `update_nanos`")]
fn record_bound(shard: &Shard, writer: Writer, config: &HistogramConfig, p: i64, v: Value) {
    if config.fast_bounds() {
        if config.holds_bound(p) {
            record_split(shard, writer, config, p, v);
        }
    } else if let Some(bounds) = config.live_bounds() {
        let i = HistogramConfig::classic_index(bounds, v.reported());
        if i < bounds.len()
            && let Some(c) = shard.bucket_counter(bounds.len(), i)
        {
            writer.add(c, 1);
        }
    }
}

/// The rare part of [`record_bound`]: `v`, at position `p`, is in the bucket of a bound.
#[inline(never)]
fn record_split(shard: &Shard, writer: Writer, config: &HistogramConfig, p: i64, v: Value) {
    let bounds = config.bucket_bounds().unwrap_or(&[]);
    let v = v.reported();
    let mut hits = config.bound_hits(p);
    while hits != 0 {
        let j = hits.trailing_zeros() as usize;
        hits &= hits - 1;
        if bounds.get(j).is_some_and(|&b| v <= b) {
            writer.add(shard.split_counter(j), 1);
        }
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
    #[test]
    fn invalid_bounds_are_ignored_without_panicking() {
        let h = Histogram::with_config(HistogramConfig::new().bounds(&[5.0, 1.0]));
        h.record(3.0).unwrap();
        let s = h.snapshot();
        assert_eq!(s.count, 1);
        assert!(s.buckets.is_empty());
    }
}
