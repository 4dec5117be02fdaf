//! The reservoirs: which values are kept for a snapshot.

use super::snapshot::{UniformSnapshot, WeightedSnapshot};
use super::{DEFAULT_ALPHA, DEFAULT_SIZE, RESCALE_INTERVAL, SplitMix64, lock};
use crate::clock::{Clock, ClockRef};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
            reason = "seconds between rescales are far below 2^53"
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
            reason = "ages in seconds are far below 2^53"
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
}
