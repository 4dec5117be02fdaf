//! Compatibility module (feature `dropwizard`, off by default): sampling reservoirs with
//! Dropwizard Metrics' exact semantics, for users who need numbers that match a Dropwizard (or
//! tapes) service value for value. No metric uses them; feed them yourself.
//!
//! The default [`Histogram`](crate::Histogram) is usually the better choice: it is lock-free,
//! sees every value and has a bounded error. These reservoirs sample, and each takes a `Mutex`
//! on every update (Dropwizard's decaying reservoir locks too). They read time through a
//! [`Clock`](crate::Clock) and draw random numbers from a seedable splitmix64 generator, so tests are exact.
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
//! Quantiles are reported in the histogram's [`Quantiles`](crate::Quantiles), filled at the same
//! levels by the same code; only the per-level rule differs (Dropwizard interpolates, the
//! histogram takes the nearest rank).
//!
//! tapes' quantiles are off by one position compared with Dropwizard's; we follow Dropwizard.
//! One difference: `u` is drawn from `(0, 1]` rather than `[0, 1)`, so a priority is never
//! infinite.

mod sample;
mod snapshot;

pub use sample::{
    ExpDecayReservoir, SlidingTimeWindowReservoir, SlidingWindowReservoir, UniformReservoir,
};
pub use snapshot::{UniformSnapshot, WeightedSnapshot};

use std::sync::{Mutex, PoisonError};
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

#[cfg(test)]
mod tests {
    use super::*;

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
