//! Opt-in sampling reservoirs with Dropwizard Metrics' exact semantics, for users who need
//! numbers that match a Dropwizard (or tapes) service value for value.
//!
//! The default [`Histogram`](crate::Histogram) is usually the better choice: it is lock-free,
//! sees every value and has a bounded error. These reservoirs sample, and each takes a `Mutex`
//! on every update (Dropwizard's decaying reservoir locks too). They read time through a
//! [`Clock`] and draw random numbers from a seedable splitmix64 generator, so tests are exact.
//!
//! Facts followed (from Dropwizard Metrics' `UniformSnapshot`, `WeightedSnapshot`,
//! `UniformReservoir`, `ExponentiallyDecayingReservoir`, `SlidingWindowReservoir` and
//! `SlidingTimeWindowReservoir`):
//! - uniform quantile: `pos = q * (n + 1)`, `index = floor(pos)`; `index < 1` gives the smallest
//!   value, `index >= n` the largest, otherwise `v[index-1] + frac(pos) * (v[index] - v[index-1])`;
//!   the standard deviation is the sample one (`n - 1`), 0 for `n <= 1`;
//! - weighted quantile: values sorted, weights normalized to sum 1, `cum[0] = 0` and
//!   `cum[i] = cum[i-1] + w[i-1]`; the result is the value at the greatest `i` with `cum[i] <= q`;
//!   mean and variance are weighted with the normalized weights (no `n - 1`), stddev 0 for `n <= 1`;
//! - decaying: size 1028, alpha 0.015; weight `exp(alpha * (t - start))` with `t` in whole
//!   seconds; priority `weight / u` for a uniform `u`; past the size, a sample replaces the lowest
//!   priority only if its own is higher; every hour the start moves to now and weights and
//!   priorities are multiplied by `exp(-alpha * (new start - old start))`.
//!
//! tapes' quantiles are off by one position compared with Dropwizard's; we follow Dropwizard.
//! One difference: `u` is drawn from `(0, 1]` rather than `[0, 1)`, so a priority is never
//! infinite.

use crate::clock::{Clock, ClockRef};
use crate::metric::histogram::Quantiles;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Dropwizard's default reservoir size.
pub const DEFAULT_SIZE: usize = 1028;
/// Dropwizard's default decay factor (biased toward the last 5 minutes).
pub const DEFAULT_ALPHA: f64 = 0.015;
/// How often the decaying reservoir rescales its weights.
pub const RESCALE_INTERVAL: Duration = Duration::from_hours(1);

/// splitmix64 (Steele, Lea and Flood, 2014): small, fast and seedable.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1]`.
    #[allow(clippy::cast_precision_loss, reason = "53-bit integers are exact")]
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (n > 0), by rejection so it is unbiased.
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return x % n;
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Dropwizard's `UniformSnapshot`: sorted values, interpolated quantiles.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::reservoir::UniformSnapshot;
/// let s = UniformSnapshot::new(vec![5.0, 3.0, 1.0, 4.0, 2.0]);
/// assert_eq!(s.value(0.5), 3.0);
/// assert_eq!(s.value(0.75), 4.5);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UniformSnapshot {
    values: Vec<f64>,
}

impl UniformSnapshot {
    /// A snapshot of `values` (sorted here; NaNs sort last).
    #[must_use]
    pub fn new(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        UniformSnapshot { values }
    }

    /// The value at quantile `q` in `[0, 1]` (0 when empty), by Dropwizard's interpolation.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "an index of at most `n`, computed in f64 from a length below 2^53"
    )]
    pub fn value(&self, q: f64) -> f64 {
        let v = &self.values;
        let n = v.len();
        if n == 0 {
            return 0.0;
        }
        let pos = q.clamp(0.0, 1.0) * (n as f64 + 1.0);
        let index = pos.floor() as usize;
        if index < 1 {
            return v[0];
        }
        if index >= n {
            return v[n - 1];
        }
        let (lower, upper) = (v[index - 1], v[index]);
        lower + (pos - pos.floor()) * (upper - lower)
    }

    /// The sorted values.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The smallest value (0 when empty).
    #[must_use]
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }

    /// The largest value (0 when empty).
    #[must_use]
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(0.0)
    }

    /// The arithmetic mean (0 when empty).
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "sample counts below 2^53 are exact in f64"
    )]
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() {
            return 0.0;
        }
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }

    /// The sample standard deviation (`n - 1` denominator; 0 for one value or none).
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "sample counts below 2^53 are exact in f64"
    )]
    pub fn stddev(&self) -> f64 {
        let n = self.values.len();
        if n <= 1 {
            return 0.0;
        }
        let mean = self.mean();
        let ss: f64 = self.values.iter().map(|x| (x - mean) * (x - mean)).sum();
        (ss / (n - 1) as f64).sqrt()
    }

    /// The standard quantiles.
    #[must_use]
    pub fn quantiles(&self) -> Quantiles {
        quantiles(|q| self.value(q))
    }
}

fn quantiles(f: impl Fn(f64) -> f64) -> Quantiles {
    let [q50, q75, q95, q98, q99, q999] = Quantiles::LEVELS.map(f);
    Quantiles {
        q50,
        q75,
        q95,
        q98,
        q99,
        q999,
    }
}

/// Dropwizard's `WeightedSnapshot`: values with weights, as the decaying reservoir gives.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::reservoir::WeightedSnapshot;
/// // Normalized weights 0.25, 0.5, 0.25: cumulative positions 0, 0.25, 0.75.
/// let s = WeightedSnapshot::new(vec![(3.0, 1.0), (1.0, 1.0), (2.0, 2.0)]);
/// assert_eq!(s.value(0.5), 2.0);
/// assert_eq!(s.value(0.75), 3.0);
/// assert_eq!(s.mean(), 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeightedSnapshot {
    values: Vec<f64>,
    norm_weights: Vec<f64>,
    cumulative: Vec<f64>,
}

impl WeightedSnapshot {
    /// A snapshot of `(value, weight)` samples.
    #[must_use]
    pub fn new(mut samples: Vec<(f64, f64)>) -> Self {
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = samples.iter().map(|s| s.1).sum();
        let values = samples.iter().map(|s| s.0).collect();
        let norm_weights: Vec<f64> = samples
            .iter()
            .map(|s| if total > 0.0 { s.1 / total } else { 0.0 })
            .collect();
        let mut cumulative = Vec::with_capacity(norm_weights.len());
        let mut acc = 0.0;
        for w in &norm_weights {
            cumulative.push(acc);
            acc += w;
        }
        WeightedSnapshot {
            values,
            norm_weights,
            cumulative,
        }
    }

    /// The value at quantile `q`: at the greatest index whose cumulative weight is `<= q`.
    #[must_use]
    pub fn value(&self, q: f64) -> f64 {
        let n = self.values.len();
        if n == 0 {
            return 0.0;
        }
        let q = q.clamp(0.0, 1.0);
        let pos = self.cumulative.partition_point(|&c| c <= q);
        match pos.checked_sub(1) {
            Some(i) if i >= 1 => self.values[i.min(n - 1)],
            _ => self.values[0],
        }
    }

    /// The sorted values.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The weights, normalized to sum to 1, in value order.
    #[must_use]
    pub fn normalized_weights(&self) -> &[f64] {
        &self.norm_weights
    }

    /// The number of samples.
    #[must_use]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The smallest value (0 when empty).
    #[must_use]
    pub fn min(&self) -> f64 {
        self.values.first().copied().unwrap_or(0.0)
    }

    /// The largest value (0 when empty).
    #[must_use]
    pub fn max(&self) -> f64 {
        self.values.last().copied().unwrap_or(0.0)
    }

    /// The weighted mean.
    #[must_use]
    pub fn mean(&self) -> f64 {
        self.values
            .iter()
            .zip(&self.norm_weights)
            .map(|(v, w)| v * w)
            .sum()
    }

    /// The weighted standard deviation (0 for one sample or none).
    #[must_use]
    pub fn stddev(&self) -> f64 {
        if self.values.len() <= 1 {
            return 0.0;
        }
        let mean = self.mean();
        let var: f64 = self
            .values
            .iter()
            .zip(&self.norm_weights)
            .map(|(v, w)| w * (v - mean) * (v - mean))
            .sum();
        var.sqrt()
    }

    /// The standard quantiles.
    #[must_use]
    pub fn quantiles(&self) -> Quantiles {
        quantiles(|q| self.value(q))
    }
}

/// Vitter's algorithm R: a uniform sample of everything ever recorded (Dropwizard's
/// `UniformReservoir`).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::reservoir::UniformReservoir;
/// let r = UniformReservoir::with_seed(4, 7);
/// for v in 1..=100 {
///     r.update(f64::from(v));
/// }
/// assert_eq!(r.snapshot().len(), 4);
/// ```
#[derive(Debug)]
pub struct UniformReservoir {
    size: usize,
    state: Mutex<(u64, Vec<f64>, SplitMix64)>,
}

impl UniformReservoir {
    /// A reservoir of [`DEFAULT_SIZE`] samples.
    #[must_use]
    pub fn new() -> Self {
        Self::with_seed(DEFAULT_SIZE, 0x5EED)
    }

    /// A reservoir of `size` samples (at least 1) with a seeded generator.
    #[must_use]
    pub fn with_seed(size: usize, seed: u64) -> Self {
        UniformReservoir {
            size: size.max(1),
            state: Mutex::new((0, Vec::new(), SplitMix64(seed))),
        }
    }

    /// Offers a value to the sample.
    pub fn update(&self, value: f64) {
        let mut g = lock(&self.state);
        let (count, values, rng) = &mut *g;
        *count += 1;
        if values.len() < self.size {
            values.push(value);
        } else if let Ok(r) = usize::try_from(rng.below(*count))
            && r < self.size
        {
            values[r] = value;
        }
    }

    /// Values offered so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        lock(&self.state).0
    }

    /// The current sample.
    #[must_use]
    pub fn snapshot(&self) -> UniformSnapshot {
        UniformSnapshot::new(lock(&self.state).1.clone())
    }
}

impl Default for UniformReservoir {
    fn default() -> Self {
        Self::new()
    }
}

/// The last `size` values (Dropwizard's `SlidingWindowReservoir`).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::reservoir::SlidingWindowReservoir;
/// let r = SlidingWindowReservoir::new(3);
/// for v in [1.0, 2.0, 3.0, 4.0] {
///     r.update(v);
/// }
/// assert_eq!(r.snapshot().values(), [2.0, 3.0, 4.0]);
/// ```
#[derive(Debug)]
pub struct SlidingWindowReservoir {
    size: usize,
    values: Mutex<VecDeque<f64>>,
}

impl SlidingWindowReservoir {
    /// A window of the last `size` values (at least 1).
    #[must_use]
    pub fn new(size: usize) -> Self {
        SlidingWindowReservoir {
            size: size.max(1),
            values: Mutex::new(VecDeque::new()),
        }
    }

    /// Records a value, evicting the oldest when full.
    pub fn update(&self, value: f64) {
        let mut v = lock(&self.values);
        if v.len() == self.size {
            v.pop_front();
        }
        v.push_back(value);
    }

    /// The values in the window.
    #[must_use]
    pub fn snapshot(&self) -> UniformSnapshot {
        UniformSnapshot::new(lock(&self.values).iter().copied().collect())
    }
}

/// The values recorded in the last `window` of time (Dropwizard's `SlidingTimeWindowReservoir`).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::ManualClock;
/// use metered_runtime::reservoir::SlidingTimeWindowReservoir;
/// use std::{sync::Arc, time::Duration};
/// let clock = Arc::new(ManualClock::new());
/// let r = SlidingTimeWindowReservoir::with_clock(Duration::from_secs(10), clock.clone());
/// r.update(1.0);
/// clock.advance(Duration::from_secs(6));
/// r.update(2.0);
/// clock.advance(Duration::from_secs(6));
/// assert_eq!(r.snapshot().values(), [2.0]);
/// ```
#[derive(Debug)]
pub struct SlidingTimeWindowReservoir {
    window: u64,
    clock: ClockRef,
    values: Mutex<VecDeque<(u64, f64)>>,
}

impl SlidingTimeWindowReservoir {
    /// A window on the system clock.
    #[must_use]
    pub fn new(window: Duration) -> Self {
        Self::build(window, ClockRef::System)
    }

    /// A window on `clock`.
    #[must_use]
    pub fn with_clock(window: Duration, clock: Arc<dyn Clock>) -> Self {
        Self::build(window, ClockRef::Custom(clock))
    }

    fn build(window: Duration, clock: ClockRef) -> Self {
        SlidingTimeWindowReservoir {
            window: u64::try_from(window.as_nanos()).unwrap_or(u64::MAX),
            clock,
            values: Mutex::new(VecDeque::new()),
        }
    }

    /// Drops values older than the window (kept: recorded at or after `now - window`).
    fn trim(&self, v: &mut VecDeque<(u64, f64)>, now: u64) {
        let cutoff = now.saturating_sub(self.window);
        while v.front().is_some_and(|&(t, _)| t < cutoff) {
            v.pop_front();
        }
    }

    /// Records a value now.
    pub fn update(&self, value: f64) {
        let now = self.clock.now_nanos();
        let mut v = lock(&self.values);
        self.trim(&mut v, now);
        v.push_back((now, value));
    }

    /// The values recorded within the window.
    #[must_use]
    pub fn snapshot(&self) -> UniformSnapshot {
        let now = self.clock.now_nanos();
        let mut v = lock(&self.values);
        self.trim(&mut v, now);
        UniformSnapshot::new(v.iter().map(|&(_, x)| x).collect())
    }
}

#[derive(Debug)]
struct Decaying {
    /// Priority (as bits of a positive f64, which order like the value) to `(value, weight)`.
    samples: BTreeMap<u64, (f64, f64)>,
    count: u64,
    /// Landmark, in whole seconds of the clock.
    start_secs: u64,
    /// Clock time of the next rescale, in nanoseconds.
    next_rescale: u64,
    rng: SplitMix64,
}

/// A sample biased toward recent values by forward decay (Dropwizard's
/// `ExponentiallyDecayingReservoir`, after Cormode et al., "Forward Decay", 2009).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::ManualClock;
/// use metered_runtime::reservoir::ExpDecayReservoir;
/// use std::sync::Arc;
/// let r = ExpDecayReservoir::with_clock(Arc::new(ManualClock::new()));
/// for v in [1.0, 2.0, 3.0] {
///     r.update(v);
/// }
/// let s = r.snapshot();
/// assert_eq!((s.len(), s.mean()), (3, 2.0));
/// ```
#[derive(Debug)]
pub struct ExpDecayReservoir {
    size: usize,
    alpha: f64,
    clock: ClockRef,
    state: Mutex<Decaying>,
}

impl ExpDecayReservoir {
    /// Size 1028, alpha 0.015, on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::build(DEFAULT_SIZE, DEFAULT_ALPHA, ClockRef::System, 0x5EED)
    }

    /// Size 1028, alpha 0.015, on `clock`.
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::build(DEFAULT_SIZE, DEFAULT_ALPHA, ClockRef::Custom(clock), 0x5EED)
    }

    /// Any size (at least 1), alpha, clock and seed.
    #[must_use]
    pub fn with_params(size: usize, alpha: f64, clock: Arc<dyn Clock>, seed: u64) -> Self {
        Self::build(size, alpha, ClockRef::Custom(clock), seed)
    }

    fn build(size: usize, alpha: f64, clock: ClockRef, seed: u64) -> Self {
        let now = clock.now_nanos();
        ExpDecayReservoir {
            size: size.max(1),
            alpha,
            clock,
            state: Mutex::new(Decaying {
                samples: BTreeMap::new(),
                count: 0,
                start_secs: now / 1_000_000_000,
                next_rescale: now.saturating_add(rescale_nanos()),
                rng: SplitMix64(seed),
            }),
        }
    }

    fn rescale_if_needed(&self, s: &mut Decaying, now: u64) {
        if now < s.next_rescale {
            return;
        }
        s.next_rescale = now.saturating_add(rescale_nanos());
        let old = s.start_secs;
        s.start_secs = now / 1_000_000_000;
        #[allow(
            clippy::cast_precision_loss,
            reason = "seconds below 2^53 are exact in f64"
        )]
        let factor = (-self.alpha * (s.start_secs - old) as f64).exp();
        let samples = std::mem::take(&mut s.samples);
        if factor > 0.0 {
            for (p, (v, w)) in samples {
                let w = w * factor;
                if w > 0.0 {
                    s.samples
                        .insert((f64::from_bits(p) * factor).to_bits(), (v, w));
                }
            }
        }
        s.count = s.samples.len() as u64;
    }

    /// Records a value now.
    pub fn update(&self, value: f64) {
        let now = self.clock.now_nanos();
        let mut g = lock(&self.state);
        let s = &mut *g;
        self.rescale_if_needed(s, now);
        #[allow(
            clippy::cast_precision_loss,
            reason = "seconds below 2^53 are exact in f64"
        )]
        let age = (now / 1_000_000_000).saturating_sub(s.start_secs) as f64;
        let weight = (self.alpha * age).exp();
        let priority = (weight / s.rng.unit()).to_bits();
        s.count += 1;
        if s.samples.len() < self.size {
            s.samples.insert(priority, (value, weight));
        } else if let Some((&first, _)) = s.samples.first_key_value()
            && first < priority
            && !s.samples.contains_key(&priority)
        {
            s.samples.insert(priority, (value, weight));
            s.samples.remove(&first);
        }
    }

    /// The current sample with its weights.
    #[must_use]
    pub fn snapshot(&self) -> WeightedSnapshot {
        let now = self.clock.now_nanos();
        let mut g = lock(&self.state);
        self.rescale_if_needed(&mut g, now);
        WeightedSnapshot::new(g.samples.values().copied().collect())
    }
}

fn rescale_nanos() -> u64 {
    u64::try_from(RESCALE_INTERVAL.as_nanos()).unwrap_or(u64::MAX)
}

impl Default for ExpDecayReservoir {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn uniform_snapshot_follows_dropwizard() {
        let s = UniformSnapshot::new((1..=5).map(f64::from).collect());
        assert_eq!(s.value(0.5), 3.0);
        assert_eq!(s.value(0.75), 4.5);
        assert_eq!(s.value(0.1), 1.0); // pos 0.6 < 1
        assert_eq!(s.value(0.99), 5.0); // pos 5.94: index 5 >= n
        assert!((s.value(0.2) - 1.2).abs() < 1e-12); // pos 1.2: 1 + 0.2 * (2 - 1)
        assert_eq!(s.mean(), 3.0);
        assert!((s.stddev() - 2.5f64.sqrt()).abs() < 1e-12);
        assert_eq!((s.min(), s.max()), (1.0, 5.0));
        assert_eq!(UniformSnapshot::new(vec![7.0]).stddev(), 0.0);
        assert_eq!(UniformSnapshot::default().value(0.5), 0.0);
        assert_eq!(s.quantiles().q75, 4.5);
    }

    #[test]
    fn weighted_snapshot_follows_dropwizard() {
        let s = WeightedSnapshot::new(vec![(1.0, 1.0), (2.0, 2.0), (3.0, 1.0)]);
        assert_eq!(s.normalized_weights(), [0.25, 0.5, 0.25]);
        assert_eq!(s.value(0.0), 1.0);
        assert_eq!(s.value(0.1), 1.0);
        assert_eq!(s.value(0.25), 2.0); // exact match
        assert_eq!(s.value(0.74), 2.0);
        assert_eq!(s.value(0.75), 3.0);
        assert_eq!(s.value(1.0), 3.0);
        assert_eq!(s.mean(), 2.0);
        assert!((s.stddev() - 0.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(WeightedSnapshot::new(vec![(4.0, 3.0)]).stddev(), 0.0);
    }

    #[test]
    fn uniform_reservoir_samples_uniformly() {
        let r = UniformReservoir::with_seed(100, 42);
        for v in 0..10_000 {
            r.update(f64::from(v));
        }
        let s = r.snapshot();
        assert_eq!((s.len(), r.count()), (100, 10_000));
        // A uniform sample of 0..10000 has its median near 5000.
        assert!((s.value(0.5) - 5000.0).abs() < 1500.0, "{}", s.value(0.5));
        assert!(s.values().iter().all(|v| (0.0..10_000.0).contains(v)));
    }

    #[test]
    fn decaying_reservoir_weights_recent_values() {
        let clock = Arc::new(ManualClock::new());
        let r = ExpDecayReservoir::with_params(10, DEFAULT_ALPHA, clock.clone(), 1);
        r.update(1.0);
        clock.advance(Duration::from_secs(100));
        r.update(2.0);
        let s = r.snapshot();
        // Weights 1 and exp(0.015 * 100).
        let w = (1.5f64).exp();
        assert!((s.normalized_weights()[1] - w / (1.0 + w)).abs() < 1e-12);
        assert!((s.mean() - (1.0 + 2.0 * w) / (1.0 + w)).abs() < 1e-12);
        // Past the size, only higher priorities get in: after a long time, new values win.
        clock.advance(Duration::from_secs(1000));
        for _ in 0..1000 {
            r.update(9.0);
        }
        let s = r.snapshot();
        assert_eq!(s.len(), 10);
        assert_eq!(s.values(), [9.0; 10]);
    }

    #[test]
    fn decaying_reservoir_rescales_hourly_keeping_ratios() {
        let clock = Arc::new(ManualClock::new());
        let r = ExpDecayReservoir::with_params(10, DEFAULT_ALPHA, clock.clone(), 2);
        r.update(1.0);
        clock.advance(Duration::from_mins(1));
        r.update(3.0);
        let before = r.snapshot();
        clock.advance(Duration::from_hours(1));
        let after = r.snapshot(); // rescales: start moves to 3660 s
        assert_eq!(after.len(), 2);
        assert!((before.mean() - after.mean()).abs() < 1e-9);
        let state = lock(&r.state);
        assert_eq!(state.start_secs, 3660);
        let (_, w) = state
            .samples
            .values()
            .find(|s| s.0 == 3.0)
            .copied()
            .unwrap();
        assert!((w - (-DEFAULT_ALPHA * 3600.0).exp()).abs() < 1e-15);
    }

    #[test]
    fn sliding_windows() {
        let r = SlidingWindowReservoir::new(2);
        for v in [5.0, 6.0, 7.0] {
            r.update(v);
        }
        assert_eq!(r.snapshot().values(), [6.0, 7.0]);
        let clock = Arc::new(ManualClock::new());
        let t = SlidingTimeWindowReservoir::with_clock(Duration::from_secs(5), clock.clone());
        t.update(1.0);
        clock.advance(Duration::from_secs(5));
        t.update(2.0);
        assert_eq!(t.snapshot().values(), [1.0, 2.0]); // exactly 5 s old: kept
        clock.advance(Duration::from_nanos(1));
        assert_eq!(t.snapshot().values(), [2.0]);
    }

    #[test]
    fn splitmix_is_deterministic_and_in_range() {
        let (mut a, mut b) = (SplitMix64(9), SplitMix64(9));
        for _ in 0..1000 {
            let u = a.unit();
            assert!(u > 0.0 && u <= 1.0);
            assert_eq!(u, b.unit());
            assert!(a.below(7) < 7);
            b.below(7);
        }
    }
}
