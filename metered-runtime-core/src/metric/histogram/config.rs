//! Histogram configuration: classic bucket bounds and the quantile window.

use super::layout::{POSITIONS, position};
use crate::error::{Error, Result};
use std::time::Duration;

/// `d` in nanoseconds, saturating at `u64::MAX` (584 years).
const fn duration_nanos(d: Duration) -> u64 {
    let n = d.as_nanos();
    if n > u64::MAX as u128 {
        u64::MAX
    } else {
        #[allow(clippy::cast_possible_truncation, reason = "checked above")]
        let n = n as u64;
        n
    }
}

/// Up to this many classic bounds, the record path finds a value's classic bucket from its
/// exponential bucket (see [`HistogramConfig::classic_index_fast`]).
pub(super) const FAST_BOUNDS: usize = 12;
/// Keys kept: [`FAST_BOUNDS`] and one `i16::MAX` of padding, which the search may read.
const KEYS: usize = FAST_BOUNDS + 1;

/// The default window of the snapshot quantiles: 60 seconds.
pub const DEFAULT_WINDOW: Duration = Duration::from_mins(1);

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
    /// Valid, not empty and at most [`FAST_BOUNDS`]: the record path's one test for
    /// [`classic_index_fast`](Self::classic_index_fast).
    fast_bounds: bool,
    /// The quantile window in nanoseconds (a `u64`, not a `Duration`, to keep the struct at
    /// 56 bytes).
    window_nanos: u64,
    /// For each of the first [`FAST_BOUNDS`] bounds, a storage position of the exponential
    /// layout such that every value in a higher position is above the bound; `i16::MAX` for
    /// none (see [`bound_position`]); padded with `i16::MAX` to [`KEYS`].
    positions: [i16; KEYS],
}

/// The key of bound `b` in [`HistogramConfig::positions`]: its own exponential bucket's storage
/// position, -1 for bounds in the zero bucket's range, -2 for negative bounds (below every
/// value), `POSITIONS - 1` (the top bucket, where larger values are clamped) for bounds above
/// `2^64`. A value whose position (clamped to `-1..POSITIONS`) is greater is above the bound, one
/// whose position is lower is at most the bound: the other buckets lie wholly on one side of it.
/// Only a value in the key's own bucket needs comparing with the bound.
const fn bound_position(b: f64) -> i16 {
    if b < 0.0 {
        return -2;
    }
    let p = position(b.abs());
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "clamped to -1..=6655"
    )]
    let p = if p < -1 {
        -1
    } else if p > POSITIONS as i64 - 1 {
        POSITIONS as i16 - 1
    } else {
        p as i16
    };
    p
}

impl HistogramConfig {
    /// No classic bounds, quantiles over the last [`DEFAULT_WINDOW`] (60 s).
    #[must_use]
    pub const fn new() -> Self {
        HistogramConfig {
            bounds: None,
            bounds_valid: true,
            fast_bounds: false,
            window_nanos: duration_nanos(DEFAULT_WINDOW),
            positions: [i16::MAX; KEYS],
        }
    }

    /// Upper bounds of the classic cumulative buckets reported in
    /// [`HistogramSnapshot::buckets`](super::HistogramSnapshot::buckets) (`+Inf` is added). They must be finite and strictly
    /// increasing. Check with [`validate`](Self::validate): invalid bounds are never a panic,
    /// they are ignored (the snapshot then has no classic buckets).
    #[must_use]
    pub const fn bounds(mut self, bounds: &'static [f64]) -> Self {
        self.bounds = Some(bounds);
        self.bounds_valid = bounds_are_valid(bounds);
        self.fast_bounds = self.bounds_valid && !bounds.is_empty() && bounds.len() <= FAST_BOUNDS;
        self.positions = [i16::MAX; KEYS];
        let mut i = 0;
        while i < bounds.len() && i < FAST_BOUNDS {
            self.positions[i] = bound_position(bounds[i]);
            i += 1;
        }
        self
    }

    /// How far back snapshot quantiles look (longer than 584 years saturates).
    /// `Duration::ZERO` means cumulative: quantiles over
    /// every value recorded. See [`HistogramSnapshot`](super::HistogramSnapshot) for the exact interval covered.
    #[must_use]
    pub const fn window(mut self, window: Duration) -> Self {
        self.window_nanos = duration_nanos(window);
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
        Duration::from_nanos(self.window_nanos)
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
    pub(super) fn live_bounds(&self) -> Option<&'static [f64]> {
        match self.bounds {
            Some(b) if self.bounds_valid && !b.is_empty() => Some(b),
            _ => None,
        }
    }

    /// Whether the bounds are valid, not empty and at most 12: then the record path finds a
    /// value's classic bucket with [`classic_index_fast`](Self::classic_index_fast).
    #[inline(always)]
    #[allow(clippy::inline_always, reason = "one byte read on the record path")]
    pub(super) const fn fast_bounds(&self) -> bool {
        self.fast_bounds
    }

    /// The classic bucket of a value (in reported units; `v` gives it) among more than 12
    /// bounds, or any bounds: the number of `bounds` below it (a binary search).
    #[inline]
    pub(super) fn classic_index(bounds: &[f64], v: f64) -> usize {
        bounds.partition_point(|&b| b < v)
    }

    /// The classic bucket of a value at storage position `p` among `bounds` (the live bounds):
    /// [`classic_index_fast`](Self::classic_index_fast) where it applies, else a binary search.
    #[cfg(feature = "multiprocess")]
    #[inline]
    pub(super) fn classic_index_of(
        &self,
        bounds: &[f64],
        p: i64,
        v: impl FnOnce() -> f64,
    ) -> usize {
        if self.fast_bounds {
            self.classic_index_fast(p, v)
        } else {
            Self::classic_index(bounds, v())
        }
    }

    /// With [`fast_bounds`](Self::fast_bounds), the classic bucket of a value (in reported
    /// units; `v` gives it) whose storage position is `p`: the number of bounds below it. That
    /// is the number of bounds whose key is below `p`, plus, only if `p` is the key of some
    /// bound (rarely: at most 12 of the 6,656 buckets), those of them below the value, found by
    /// comparing it. That comparison is the only place `v` is called (a timer in the
    /// multi-process mode converts its nanoseconds to seconds there; in-process timers count
    /// their bounds in nanoseconds, see `NanosBounds`). The count is [`count_prefix`]: no branch
    /// to mispredict, about 20 instructions and a short dependency chain. A vector compare needs
    /// a population count, which the baseline x86-64 target lacks; a binary search makes a chain
    /// of four dependent loads. Both measured slower.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "two call sites per record path; measured"
    )]
    pub(super) fn classic_index_fast(&self, p: i64, v: impl FnOnce() -> f64) -> usize {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_possible_wrap,
            reason = "clamped to -1..=6655"
        )]
        let p = p.clamp(-1, POSITIONS as i64 - 1) as i16;
        // The keys are sorted (bounds increase, padding is `i16::MAX`): the bounds below every
        // value of the bucket are the first `below`.
        let k = &self.positions;
        let below = count_prefix(k, |key| key < p);
        let equal = k[below] == p;
        if equal {
            in_bound_bucket(self.bounds.unwrap_or(&[]), below, v())
        } else {
            below
        }
    }
}

/// How many of the first 12 of `sorted` satisfy `passed`, which holds for a prefix of them (the
/// keys below a position, the thresholds at or below a duration). Two levels of independent
/// compares: the blocks of four whose last one passes (all of theirs do; the third block needs
/// no test), then those of the next block. No branch, and a short chain from the compared value
/// to the count (a timed call waits for it: the clock reads around it do not overlap it).
#[inline(always)]
#[allow(clippy::inline_always, reason = "on the record paths: measured")]
pub(super) fn count_prefix<T: Copy, const N: usize>(
    sorted: &[T; N],
    passed: impl Fn(T) -> bool,
) -> usize {
    const { assert!(N >= 12) };
    let block = 4 * (usize::from(passed(sorted[3])) + usize::from(passed(sorted[7])));
    block
        + usize::from(passed(sorted[block]))
        + usize::from(passed(sorted[block + 1]))
        + usize::from(passed(sorted[block + 2]))
        + usize::from(passed(sorted[block + 3]))
}

/// The rare part of [`HistogramConfig::classic_index`]: the value `v` is in the exponential
/// bucket of bound `below` (and maybe of the next ones), the bounds before it are below `v`.
#[cold]
#[inline(never)]
fn in_bound_bucket(bounds: &[f64], mut below: usize, v: f64) -> usize {
    while below < bounds.len() && bounds[below] < v {
        below += 1;
    }
    below
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn config_is_small() {
        assert_eq!(std::mem::size_of::<HistogramConfig>(), 56);
        let c = HistogramConfig::new().window(Duration::from_secs(90));
        assert_eq!(c.quantile_window(), Duration::from_secs(90));
        assert_eq!(
            HistogramConfig::new()
                .window(Duration::MAX)
                .quantile_window(),
            Duration::from_nanos(u64::MAX)
        );
    }

    #[test]
    fn classic_index_equals_the_count_of_bounds_below() {
        static SETS: &[&[f64]] = &[
            &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
            &[-1.0, -0.0, 1e-13, 1.0, 1.001, 1.002, 1.0025, 1e20, 1e30],
            &[1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0],
            &[2.0],
            &[
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0,
                16.0, 17.0,
            ],
        ];
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for bounds in SETS {
            let c = HistogramConfig::new().bounds(bounds);
            let b = c.live_bounds().unwrap();
            let mut values: Vec<f64> = vec![0.0, 1e-300, 1e-13, 9e-13, 1e19, 2e19, 1e25, 1e40];
            for &bound in *bounds {
                if bound > 0.0 {
                    values.push(bound);
                    values.push(f64::from_bits(bound.to_bits() + 1));
                    values.push(f64::from_bits(bound.to_bits() - 1));
                }
            }
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Anything from 2^-45 to 2^70.
                values.push(f64::from_bits(((1023 - 45) << 52) + x % (115 << 52)));
            }
            for v in values {
                assert!(c.fast_bounds() || b.len() > 12);
                let i = if c.fast_bounds() {
                    c.classic_index_fast(position(v), || v)
                } else {
                    HistogramConfig::classic_index(b, v)
                };
                assert_eq!(
                    i,
                    b.partition_point(|&bound| bound < v),
                    "{v} in {bounds:?}"
                );
            }
        }
    }
}
