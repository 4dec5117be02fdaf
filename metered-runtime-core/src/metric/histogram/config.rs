//! Histogram configuration: classic bucket bounds and the quantile window.

use crate::error::{Error, Result};
use std::time::Duration;

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
    /// [`HistogramSnapshot::buckets`](super::HistogramSnapshot::buckets) (`+Inf` is added). They must be finite and strictly
    /// increasing. Check with [`validate`](Self::validate): invalid bounds are never a panic,
    /// they are ignored (the snapshot then has no classic buckets).
    #[must_use]
    pub const fn bounds(mut self, bounds: &'static [f64]) -> Self {
        self.bounds = Some(bounds);
        self.bounds_valid = bounds_are_valid(bounds);
        self
    }

    /// How far back snapshot quantiles look. `Duration::ZERO` means cumulative: quantiles over
    /// every value recorded. See [`HistogramSnapshot`](super::HistogramSnapshot) for the exact interval covered.
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
    pub(super) fn live_bounds(&self) -> Option<&'static [f64]> {
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
}
