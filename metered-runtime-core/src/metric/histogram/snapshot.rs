//! A histogram's state at one moment, and merging such states.

use super::quantile::Quantiles;
use super::sketch::Sketch;
use crate::error::{Error, Result};
use std::time::Duration;

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
            reason = "counts are weights of the merged moments; rounding past 2^53 records is negligible"
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
            reason = "a count becomes the divisor of the mean; rounding past 2^53 records is negligible"
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
