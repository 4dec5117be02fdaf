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
//! with [`Error::InvalidValue`] and not counted.
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

use crate::clock::{Clock, ClockRef};
use crate::error::{Error, Result};
use crate::slot::{Shards, Writer};
use once_cell::race::OnceBox;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Powers of two covered by the log-linear buckets: `[2^-40, 2^63)`.
pub const OCTAVES: usize = 103;
/// Buckets per power of two.
pub const SUB_BUCKETS: usize = 64;
/// Number of log-linear buckets (the zero bucket not included).
pub const BUCKETS: usize = OCTAVES * SUB_BUCKETS;
/// `bits >> 46` of `2^-40`: the first bucket's key.
const FIRST_KEY: u64 = (1023 - 40) << 6;
/// `bits >> 46` one past the last bucket (`2^63`).
const END_KEY: u64 = (1023 + 63) << 6;

/// The default window of the snapshot quantiles: 60 seconds.
pub const DEFAULT_WINDOW: Duration = Duration::from_mins(1);

/// The bucket index (`0..BUCKETS`) of a positive value (clamped into the covered range).
#[inline]
fn bucket_of(v: f64) -> usize {
    // Positive values only: `bits >> 46` is then below 2^17 and fits every target's usize.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "below 2^17: fits every target's usize"
    )]
    let key = ((v.to_bits() >> 46).clamp(FIRST_KEY, END_KEY - 1) - FIRST_KEY) as usize;
    key
}

/// The `(power of two, sub-bucket)` of a positive integer, computed on the integer: the same
/// bucket as `bucket_of(v as f64)` whenever `v` is exactly representable as an `f64` (below 2^53
/// and many values above). Above 2^53 the conversion to `f64` may round up into the next
/// bucket; this truncates, so the bucket always holds `v` itself.
///
/// The power of two depends on the leading zeros alone, so the load of its counters starts
/// before the sub-bucket is known, and the clamp of values `>= 2^63` is a branch (never taken
/// by durations), not a data dependency.
#[inline]
fn bucket_of_u64(v: u64) -> (usize, usize) {
    debug_assert!(v > 0);
    // `v = 2^e * 1.m`, `e = 63 - lz`: the octave index is `e + 40`, and the six bits after the
    // leading one are the sub-bucket, exactly the top six mantissa bits of the `f64`.
    let lz = v.leading_zeros();
    if lz == 0 {
        return (OCTAVES - 1, SUB_BUCKETS - 1);
    }
    #[allow(clippy::cast_possible_truncation, reason = "six bits")]
    let sub = ((v << lz) >> 57) as usize & (SUB_BUCKETS - 1);
    (103 - lz as usize, sub)
}

/// The lower and upper edge of bucket `index` (in recorded units).
#[must_use]
pub fn bucket_edges(index: u32) -> (f64, f64) {
    let key = u64::from(index).min(BUCKETS as u64 - 1) + FIRST_KEY;
    (f64::from_bits(key << 46), f64::from_bits((key + 1) << 46))
}

fn midpoint(index: u32) -> f64 {
    let (l, u) = bucket_edges(index);
    l + (u - l) / 2.0
}

/// The nearest rank of quantile `q` among `n` values: `max(1, ceil(q * n))`, at most `n`.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a rank of at most `n`, computed in f64 from a count below 2^53"
)]
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    let r = (q.clamp(0.0, 1.0) * n as f64).ceil();
    (r as u64).clamp(1, n.max(1))
}

const fn bounds_are_valid(bounds: &[f64]) -> bool {
    let mut i = 0;
    while i < bounds.len() {
        if !bounds[i].is_finite() {
            return false;
        }
        if i > 0 && bounds[i - 1] >= bounds[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// How a histogram is set up: classic bucket bounds for export and the quantile window.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::HistogramConfig;
/// use std::time::Duration;
///
/// const DAYS: HistogramConfig = HistogramConfig::new()
///     .bounds(&[1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0])
///     .window(Duration::from_secs(300));
/// assert!(DAYS.validate().is_ok());
/// assert!(HistogramConfig::new().bounds(&[2.0, 1.0]).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramConfig {
    pub(crate) bounds: Option<&'static [f64]>,
    /// Whether `bounds` are finite and strictly increasing (checked in the const builder).
    pub(crate) bounds_valid: bool,
    pub(crate) window: Duration,
}

impl HistogramConfig {
    /// No classic bounds, quantiles over the last [`DEFAULT_WINDOW`] (60 s).
    #[must_use]
    pub const fn new() -> Self {
        HistogramConfig {
            bounds: None,
            bounds_valid: true,
            window: DEFAULT_WINDOW,
        }
    }

    /// Upper bounds of the classic cumulative buckets reported in
    /// [`HistogramSnapshot::buckets`] (`+Inf` is added). They must be finite and strictly
    /// increasing. Check with [`validate`](Self::validate): invalid bounds are never a panic,
    /// they are ignored (the snapshot then has no classic buckets).
    #[must_use]
    pub const fn bounds(mut self, bounds: &'static [f64]) -> Self {
        self.bounds = Some(bounds);
        self.bounds_valid = bounds_are_valid(bounds);
        self
    }

    /// How far back snapshot quantiles look. `Duration::ZERO` means cumulative: quantiles over
    /// every value recorded. See [`HistogramSnapshot`] for the exact interval covered.
    #[must_use]
    pub const fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Quantiles over everything recorded: the same as `window(Duration::ZERO)`.
    #[must_use]
    pub const fn cumulative(self) -> Self {
        self.window(Duration::ZERO)
    }

    /// The configured bounds, if any.
    #[must_use]
    pub const fn bucket_bounds(&self) -> Option<&'static [f64]> {
        self.bounds
    }

    /// The configured window (`Duration::ZERO` for cumulative).
    #[must_use]
    pub const fn quantile_window(&self) -> Duration {
        self.window
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the bounds are empty, not finite or not strictly increasing.
    pub fn validate(&self) -> Result<()> {
        match self.bounds {
            Some([]) => Err(Error::InvalidConfig {
                reason: "histogram bounds are empty; omit `bounds` for none".into(),
            }),
            Some(b) if !self.bounds_valid => Err(Error::InvalidConfig {
                reason: format!("histogram bounds {b:?} must be finite and strictly increasing"),
            }),
            _ => Ok(()),
        }
    }

    /// The bounds the record path uses: `None` when absent or invalid.
    #[inline]
    fn live_bounds(&self) -> Option<&'static [f64]> {
        match self.bounds {
            Some(b) if self.bounds_valid && !b.is_empty() => Some(b),
            _ => None,
        }
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// The standard quantiles of a snapshot (windowed, see [`HistogramSnapshot`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quantiles {
    /// The median.
    pub q50: f64,
    /// The 75th percentile.
    pub q75: f64,
    /// The 95th percentile.
    pub q95: f64,
    /// The 98th percentile.
    pub q98: f64,
    /// The 99th percentile.
    pub q99: f64,
    /// The 99.9th percentile.
    pub q999: f64,
}

impl Quantiles {
    /// The quantile levels, in field order.
    pub const LEVELS: [f64; 6] = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999];

    fn from_fn(mut f: impl FnMut(f64) -> f64) -> Self {
        Quantiles {
            q50: f(0.5),
            q75: f(0.75),
            q95: f(0.95),
            q98: f(0.98),
            q99: f(0.99),
            q999: f(0.999),
        }
    }
}

/// Sparse log-linear bucket counts: what a histogram's quantiles are computed from, and what
/// merges exactly across histograms and processes.
///
/// Bucket `i` covers [`bucket_edges(i)`](bucket_edges) in recorded units; values are reported
/// divided by [`divisor`](Self::divisor) (1 for histograms, 1e9 for timers, which record
/// nanoseconds and report seconds).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Histogram, HistogramConfig};
/// let a = Histogram::with_config(HistogramConfig::new().cumulative());
/// let b = Histogram::with_config(HistogramConfig::new().cumulative());
/// a.record(1.0)?;
/// b.record(3.0)?;
/// let mut s = a.snapshot().sketch;
/// s.merge(&b.snapshot().sketch)?;
/// assert_eq!(s.count(), 2);
/// assert!((s.quantile(1.0) - 3.0).abs() < 0.03);
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sketch {
    divisor: f64,
    zero: u64,
    count: u64,
    /// `(bucket index, count)`, indices strictly increasing, counts non-zero.
    buckets: Vec<(u32, u64)>,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::new(1.0)
    }
}

impl Sketch {
    /// An empty sketch whose values are reported divided by `divisor`.
    #[must_use]
    pub const fn new(divisor: f64) -> Self {
        Sketch {
            divisor,
            zero: 0,
            count: 0,
            buckets: Vec::new(),
        }
    }

    /// The number of values counted.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Values counted as zero.
    #[must_use]
    pub fn zero_count(&self) -> u64 {
        self.zero
    }

    /// Recorded values are divided by this to give reported values.
    #[must_use]
    pub fn divisor(&self) -> f64 {
        self.divisor
    }

    /// The non-empty buckets as `(index, count)`, by increasing index (the zero bucket apart).
    #[must_use]
    pub fn buckets(&self) -> &[(u32, u64)] {
        &self.buckets
    }

    /// Adds `other`'s counts bucket by bucket.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the two sketches report in different units.
    pub fn merge(&mut self, other: &Sketch) -> Result<()> {
        if self.divisor.to_bits() != other.divisor.to_bits() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "cannot merge sketches with divisors {} and {}",
                    self.divisor, other.divisor
                ),
            });
        }
        self.zero = self.zero.wrapping_add(other.zero);
        self.count = self.count.wrapping_add(other.count);
        let mut merged = Vec::with_capacity(self.buckets.len().max(other.buckets.len()));
        let (mut mine, mut theirs) = (
            self.buckets.iter().peekable(),
            other.buckets.iter().peekable(),
        );
        loop {
            let next = match (mine.peek(), theirs.peek()) {
                (Some(&&(i, x)), Some(&&(j, y))) => match i.cmp(&j) {
                    std::cmp::Ordering::Less => {
                        mine.next();
                        (i, x)
                    }
                    std::cmp::Ordering::Greater => {
                        theirs.next();
                        (j, y)
                    }
                    std::cmp::Ordering::Equal => {
                        mine.next();
                        theirs.next();
                        (i, x.wrapping_add(y))
                    }
                },
                (Some(&&p), None) => {
                    mine.next();
                    p
                }
                (None, Some(&&p)) => {
                    theirs.next();
                    p
                }
                (None, None) => break,
            };
            merged.push(next);
        }
        self.buckets = merged;
        Ok(())
    }

    /// `self - base`, bucket by bucket (saturating), for a base taken earlier from the same
    /// cumulative counts.
    fn since(&self, base: &Sketch) -> Sketch {
        let mut out = Sketch::new(self.divisor);
        out.zero = self.zero.saturating_sub(base.zero);
        let mut b = base.buckets.iter().peekable();
        for &(i, c) in &self.buckets {
            while b.next_if(|&&(j, _)| j < i).is_some() {}
            let old = b.next_if(|&&(j, _)| j == i).map_or(0, |&(_, c)| c);
            let d = c.saturating_sub(old);
            if d > 0 {
                out.buckets.push((i, d));
            }
        }
        out.count = out.zero + out.buckets.iter().map(|&(_, c)| c).sum::<u64>();
        out
    }

    /// The nearest-rank estimate of quantile `q` (see the [module docs](self)): the midpoint of
    /// the bucket holding the value of rank `max(1, ceil(q * n))`, in reported units. 0 when
    /// empty. Not clamped to the exact min and max; [`HistogramSnapshot::quantile`] is.
    #[must_use]
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = nearest_rank(q, self.count);
        if rank <= self.zero {
            return 0.0;
        }
        let mut seen = self.zero;
        for &(i, c) in &self.buckets {
            seen = seen.saturating_add(c);
            if seen >= rank {
                return midpoint(i) / self.divisor;
            }
        }
        self.buckets
            .last()
            .map_or(0.0, |&(i, _)| midpoint(i) / self.divisor)
    }
}

/// A histogram's state at one moment.
///
/// **Cumulative** (everything recorded since creation; what Prometheus needs): `count`, `sum`,
/// `min`, `max`, `mean`, `stddev`, `buckets` and `sketch`. `mean` and `stddev` are exact (up to
/// float rounding; `stddev` is the population standard deviation from the sums of values and
/// squares, so it loses precision when the spread is below about 1e-8 of the mean).
///
/// **Windowed**: `quantiles`, `window_count`, `window_sketch`, covering the interval
/// `window` long that ends at the snapshot. With a configured window `W > 0`, each snapshot
/// keeps the cumulative bucket counts at read time (at most one every `W / 4`), and the windowed
/// part is "now" minus the most recent kept read that is at least `W` old. So:
/// - with reads at least every `W / 4` (e.g. a scraper), the window is between `W` and
///   `1.25 W` plus the read interval;
/// - with reads rarer than `W`, the window reaches back to the previous read;
/// - until some read is `W` old, the window reaches back to the histogram's creation;
/// - with `W = 0` (cumulative) the window is everything since creation.
///
/// Windowed quantiles are clamped into the cumulative `[min, max]`. A window in which nothing was
/// recorded has quantiles 0.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramSnapshot {
    /// Values recorded since creation.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest value recorded (exact; 0 when empty).
    pub min: f64,
    /// The largest value recorded (exact; 0 when empty).
    pub max: f64,
    /// `sum / count` (0 when empty).
    pub mean: f64,
    /// Population standard deviation of all values recorded.
    pub stddev: f64,
    /// Nearest-rank quantiles over the window, within 1 % of the exact ones.
    pub quantiles: Quantiles,
    /// Cumulative counts at the configured bounds: `(upper bound, count <= bound)`, `+Inf` last.
    /// Exact. Empty without (valid) configured bounds; derive approximate ones from `sketch`.
    pub buckets: Vec<(f64, u64)>,
    /// The interval the windowed fields cover, ending now.
    pub window: Duration,
    /// Values recorded within the window.
    pub window_count: u64,
    /// Cumulative log-linear bucket counts, for merging and for exporters.
    pub sketch: Sketch,
    /// The window's log-linear bucket counts, which `quantiles` come from.
    pub window_sketch: Sketch,
}

impl HistogramSnapshot {
    /// The windowed nearest-rank estimate of any quantile `q` in `[0, 1]`, clamped into
    /// `[min, max]`.
    #[must_use]
    pub fn quantile(&self, q: f64) -> f64 {
        if self.window_sketch.count() == 0 {
            return 0.0;
        }
        self.window_sketch.quantile(q).clamp(self.min, self.max)
    }

    /// Merges `other` (from another histogram or process) into `self`: sketches and classic
    /// buckets add up exactly, so quantiles are those of one histogram that recorded both;
    /// `window` becomes the longer of the two.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the classic bounds or the units differ.
    #[allow(clippy::float_cmp, reason = "bounds must be identical, not close")]
    pub fn merge(&mut self, other: &HistogramSnapshot) -> Result<()> {
        if other.count == 0 && other.window_count == 0 {
            return Ok(());
        }
        let same_bounds = self.buckets.len() == other.buckets.len()
            && self
                .buckets
                .iter()
                .zip(&other.buckets)
                .all(|(a, b)| a.0 == b.0);
        if !same_bounds && self.count > 0 {
            return Err(Error::InvalidConfig {
                reason: "cannot merge histogram snapshots with different bounds".into(),
            });
        }
        let mut sketch = self.sketch.clone();
        sketch.merge(&other.sketch)?;
        let mut window_sketch = self.window_sketch.clone();
        window_sketch.merge(&other.window_sketch)?;
        if self.count == 0 {
            self.buckets.clone_from(&other.buckets);
            self.min = other.min;
            self.max = other.max;
        } else {
            for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
                a.1 = a.1.wrapping_add(b.1);
            }
            if other.count > 0 {
                self.min = self.min.min(other.min);
                self.max = self.max.max(other.max);
            }
        }
        // Chan et al.'s pairwise combination of means and sums of squared deviations.
        #[allow(
            clippy::cast_precision_loss,
            reason = "counts below 2^53 are exact in f64"
        )]
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        if n > 0.0 {
            let delta = other.mean - self.mean;
            let m2 = self.stddev * self.stddev * na
                + other.stddev * other.stddev * nb
                + delta * delta * na * nb / n;
            self.stddev = (m2 / n).max(0.0).sqrt();
        }
        self.count = self.count.wrapping_add(other.count);
        self.sum += other.sum;
        #[allow(
            clippy::cast_precision_loss,
            reason = "counts below 2^53 are exact in f64"
        )]
        let mean = if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        };
        self.mean = mean;
        self.window = self.window.max(other.window);
        self.window_count = self.window_count.wrapping_add(other.window_count);
        self.sketch = sketch;
        self.window_sketch = window_sketch;
        self.quantiles = Quantiles::from_fn(|q| self.quantile(q));
        Ok(())
    }
}

/// What a histogram records, which fixes how its shards' sums, min and max are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recorded {
    /// Any finite non-negative `f64`, reported as recorded. Sums are `f64` bits.
    Floats,
    /// Integer nanoseconds, reported in seconds (timers). Sums are exact `u128` integers.
    Nanos,
}

impl Recorded {
    /// Recorded values are divided by this for reports.
    const fn divisor(self) -> f64 {
        match self {
            Recorded::Floats => 1.0,
            Recorded::Nanos => 1e9,
        }
    }
}

/// The 64 counters of one power of two, on cache lines of their own.
#[repr(align(128))]
struct Octave([AtomicU64; SUB_BUCKETS]);

/// One thread's part of a histogram.
#[repr(align(128))]
struct Shard {
    octaves: [OnceBox<Octave>; OCTAVES],
    zero: AtomicU64,
    /// f64 bits; for [`Recorded::Nanos`], the low 64 bits of the `u128` sum.
    sum: AtomicU64,
    /// For [`Recorded::Nanos`], the high 64 bits of the `u128` sum (0 otherwise).
    sum_hi: AtomicU64,
    /// f64 bits; for [`Recorded::Nanos`], the low 64 bits of the `u128` sum of squares.
    sum_sq: AtomicU64,
    /// For [`Recorded::Nanos`], the high 64 bits of the `u128` sum of squares (0 otherwise).
    sum_sq_hi: AtomicU64,
    /// f64 bits of the smallest value (non-negative floats order as their bits), or the integer
    /// for [`Recorded::Nanos`]; `u64::MAX` = none.
    min: AtomicU64,
    /// f64 bits of the largest value, or the integer for [`Recorded::Nanos`].
    max: AtomicU64,
    /// Per configured bound `i`: values in `(bound[i-1], bound[i]]`.
    bounds: OnceBox<Vec<AtomicU64>>,
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
    fn heap_bytes(&self) -> usize {
        let octaves = self.octaves.iter().filter(|o| o.get().is_some()).count();
        octaves * std::mem::size_of::<Octave>()
            + self.bounds.get().map_or(0, |v| {
                std::mem::size_of::<Vec<AtomicU64>>() + v.capacity() * 8
            })
    }
}

#[cold]
fn new_octave() -> Box<Octave> {
    Box::new(Octave([const { AtomicU64::new(0) }; SUB_BUCKETS]))
}

/// Cumulative sketches taken at earlier reads: `(clock time, sketch)`, oldest first.
type Frames = VecDeque<(u64, Sketch)>;

/// A distribution of non-negative values: count, sum, min, max, mean, stddev, quantiles within
/// 1 % relative error, and exact classic buckets at configured bounds.
///
/// Recording is lock-free (see the [module docs](self) for the bucket layout, the record path
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
        // Also false for NaN.
        if (0.0..f64::INFINITY).contains(&v) {
            self.record_raw(v);
            Ok(())
        } else {
            Err(Error::InvalidValue {
                what: "Histogram::record".into(),
                value: v.to_string(),
            })
        }
    }

    /// Records a duration in nanoseconds (for timers, whose reports are in seconds).
    ///
    /// Integer all the way, so that the chain of dependent instructions behind the clock read
    /// stays short: the bucket comes from the integer's leading zeros, the sum and the sum of
    /// squares are exact `u128` integers, min and max are integers. Only for [`Recorded::Nanos`].
    #[inline]
    pub(crate) fn record_nanos(&self, ns: u64) {
        debug_assert!(self.recorded == Recorded::Nanos);
        let bounds = self.config.live_bounds();
        self.shards.with(|s, w| {
            if ns > 0 {
                let (o, sub) = bucket_of_u64(ns);
                let octave = s.octaves[o].get_or_init(new_octave);
                w.add(&octave.0[sub], 1);
            } else {
                w.add(&s.zero, 1);
            }
            w.add_wide(&s.sum, &s.sum_hi, u128::from(ns));
            w.add_wide(&s.sum_sq, &s.sum_sq_hi, u128::from(ns) * u128::from(ns));
            w.min(&s.min, ns);
            w.max(&s.max, ns);
            if let Some(bounds) = bounds {
                #[allow(clippy::cast_precision_loss, reason = "exact below 2^53 ns (104 days)")]
                record_bound(s, w, bounds, ns as f64, Recorded::Nanos.divisor());
            }
        });
    }

    /// Records a finite non-negative `v`.
    #[inline]
    fn record_raw(&self, v: f64) {
        debug_assert!(self.recorded == Recorded::Floats);
        let bounds = self.config.live_bounds();
        let divisor = self.recorded.divisor();
        self.shards.with(|s, w| {
            if v > 0.0 {
                let i = bucket_of(v);
                let octave = s.octaves[i / SUB_BUCKETS].get_or_init(new_octave);
                w.add(&octave.0[i % SUB_BUCKETS], 1);
            } else {
                w.add(&s.zero, 1);
            }
            w.add_f64(&s.sum, v);
            w.add_f64(&s.sum_sq, v * v);
            w.min(&s.min, v.to_bits());
            w.max(&s.max, v.to_bits());
            if let Some(bounds) = bounds {
                record_bound(s, w, bounds, v, divisor);
            }
        });
    }

    /// Values recorded so far (sums every shard's buckets: meant for reads, not hot paths).
    #[must_use]
    pub fn count(&self) -> u64 {
        let mut n = 0u64;
        self.shards.for_each(|s| {
            n = n.wrapping_add(s.zero.load(Ordering::Relaxed));
            for o in s.octaves.iter().filter_map(OnceBox::get) {
                for c in &o.0 {
                    n = n.wrapping_add(c.load(Ordering::Relaxed));
                }
            }
        });
        n
    }

    /// The cumulative sketch over every shard.
    fn cumulative_sketch(&self) -> Sketch {
        let mut sketch = Sketch::new(self.recorded.divisor());
        let mut acc = [0u64; SUB_BUCKETS];
        for o in 0..OCTAVES {
            let mut any = false;
            self.shards.for_each(|s| {
                if let Some(octave) = s.octaves[o].get() {
                    any = true;
                    for (a, c) in acc.iter_mut().zip(&octave.0) {
                        *a = a.wrapping_add(c.load(Ordering::Relaxed));
                    }
                }
            });
            if any {
                for (sub, a) in acc.iter_mut().enumerate() {
                    if *a > 0 {
                        // o * 64 + sub < BUCKETS, far below u32::MAX.
                        #[allow(
                            clippy::cast_possible_truncation,
                            reason = "o * 64 + sub < BUCKETS, far below u32::MAX"
                        )]
                        sketch.buckets.push(((o * SUB_BUCKETS + sub) as u32, *a));
                    }
                    *a = 0;
                }
            }
        }
        self.shards
            .for_each(|s| sketch.zero = sketch.zero.wrapping_add(s.zero.load(Ordering::Relaxed)));
        sketch.count = sketch
            .buckets
            .iter()
            .fold(sketch.zero, |n, &(_, c)| n.wrapping_add(c));
        sketch
    }

    /// The windowed part: `(window sketch, window length)` for the cumulative `now_sketch`.
    fn windowed(&self, now: u64, now_sketch: &Sketch) -> (Sketch, Duration) {
        let since_start = Duration::from_nanos(now.saturating_sub(self.start));
        let w = u64::try_from(self.config.window.as_nanos()).unwrap_or(u64::MAX);
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
                reason = "counts below 2^53 are exact in f64"
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
        let Some(bounds) = self.config.live_bounds() else {
            return Vec::new();
        };
        let mut per = vec![0u64; bounds.len()];
        self.shards.for_each(|s| {
            if let Some(cells) = s.bounds.get() {
                for (p, c) in per.iter_mut().zip(cells) {
                    *p = p.wrapping_add(c.load(Ordering::Relaxed));
                }
            }
        });
        let mut cum = 0u64;
        let mut out: Vec<(f64, u64)> = bounds
            .iter()
            .zip(per)
            .map(|(&b, c)| {
                // Reads race with records: never report more below a bound than in total.
                cum = cum.wrapping_add(c).min(count);
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

/// Counts `value` at its classic bound: the first bound `>= value / divisor`.
#[inline]
#[allow(clippy::float_cmp, reason = "a divisor of exactly 1 means unscaled")]
fn record_bound(shard: &Shard, writer: Writer, bounds: &[f64], value: f64, divisor: f64) {
    let scaled = if divisor == 1.0 {
        value
    } else {
        value / divisor
    };
    let i = bounds.partition_point(|&b| b < scaled);
    if i < bounds.len() {
        let cells = shard
            .bounds
            .get_or_init(|| Box::new((0..bounds.len()).map(|_| AtomicU64::new(0)).collect()));
        if let Some(c) = cells.get(i) {
            writer.add(c, 1);
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
    fn bucket_edges_and_indices_agree() {
        for v in [1e-12, 1.0, 1.5, 2.0, 3.0, 1234.5678, 3.6e12, 1e18] {
            let i = bucket_of(v);
            let (l, u) = bucket_edges(u32::try_from(i).unwrap());
            assert!(l <= v && v < u, "{v} not in [{l}, {u})");
            assert!((u - l) / l <= 1.0 / 64.0 + 1e-15);
        }
        assert_eq!(bucket_of(1.0), 40 * 64);
        assert_eq!(bucket_of(1e-300), 0);
        assert_eq!(bucket_of(f64::MAX), BUCKETS - 1);
        assert_eq!(bucket_edges(0).0, 2f64.powi(-40));
    }

    #[test]
    fn integer_bucket_index_equals_float_bucket_index() {
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "test values stay below 2^53 and are positive"
        )]
        let check = |v: u64| {
            let float = bucket_of(v as f64);
            let (octave, sub) = bucket_of_u64(v);
            let int = octave * SUB_BUCKETS + sub;
            // Equal whenever `v` converts exactly; otherwise the conversion may round up.
            if (v as f64) as u128 == u128::from(v) {
                assert_eq!(int, float, "{v}");
            } else {
                assert!(int == float || int + 1 == float, "{v}: {int} vs {float}");
            }
            if int < BUCKETS - 1 {
                let (lower, upper) = bucket_edges(u32::try_from(int).unwrap());
                assert!(
                    lower <= v as f64 && (v as f64) < upper || v >= 1 << 53,
                    "{v}"
                );
            }
        };
        for v in [
            1,
            2,
            3,
            63,
            64,
            65,
            127,
            128,
            1000,
            1 << 52,
            1 << 53,
            (1 << 53) + 1,
        ] {
            check(v);
        }
        for v in [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) - 1,
            (1 << 62) + 12_345,
        ] {
            check(v);
        }
        assert_eq!(bucket_of_u64(u64::MAX), (OCTAVES - 1, SUB_BUCKETS - 1));
        assert_eq!(bucket_of_u64(1 << 63), (OCTAVES - 1, SUB_BUCKETS - 1));
        assert_eq!(bucket_of_u64(1), (40, 0));
        for shift in 0..64 {
            let p = 1u64 << shift;
            for v in [p, p - 1, p + 1, p | (p >> 1), p | (p >> 6), p | (p >> 7)] {
                if v > 0 {
                    check(v);
                }
            }
        }
        // Every integer up to 2^16, then pseudo-random ones of every magnitude.
        for v in 1..=1 << 16 {
            check(v);
        }
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check((x >> (x % 64)).max(1));
        }
    }

    #[test]
    fn nearest_rank_rules() {
        assert_eq!(nearest_rank(0.5, 4), 2);
        assert_eq!(nearest_rank(0.0, 4), 1);
        assert_eq!(nearest_rank(1.0, 4), 4);
        assert_eq!(nearest_rank(0.999, 10), 10);
        assert_eq!(nearest_rank(0.5, 0), 1);
    }

    #[test]
    fn const_bounds_validation() {
        assert!(bounds_are_valid(&[1.0, 2.0]));
        assert!(!bounds_are_valid(&[1.0, 1.0]));
        assert!(!bounds_are_valid(&[1.0, f64::NAN]));
        assert!(!bounds_are_valid(&[f64::INFINITY]));
        let c = HistogramConfig::new().bounds(&[]);
        assert!(matches!(c.validate(), Err(Error::InvalidConfig { .. })));
    }

    #[test]
    fn sketch_merge_and_since() {
        let mut a = Sketch::new(1.0);
        a.buckets = vec![(1, 2), (5, 1)];
        a.zero = 1;
        a.count = 4;
        let mut b = Sketch::new(1.0);
        b.buckets = vec![(0, 1), (5, 2), (9, 1)];
        b.count = 4;
        let mut m = a.clone();
        m.merge(&b).unwrap();
        assert_eq!(m.buckets, [(0, 1), (1, 2), (5, 3), (9, 1)]);
        assert_eq!((m.count, m.zero), (8, 1));
        let d = m.since(&a);
        assert_eq!(d.buckets, b.buckets);
        assert_eq!(d.count, 4);
        assert!(m.merge(&Sketch::new(1e9)).is_err());
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
