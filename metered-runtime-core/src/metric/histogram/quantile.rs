//! The quantile rule shared by histograms (and the Dropwizard reservoirs): nearest rank, and
//! the standard quantile levels.

/// The nearest rank of quantile `q` among `n` values: `max(1, ceil(q * n))`, at most `n`.
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "q is clamped to [0, 1], so the product is a non-negative whole number at most n"
)]
pub fn nearest_rank(q: f64, n: u64) -> u64 {
    let r = (q.clamp(0.0, 1.0) * n as f64).ceil();
    (r as u64).clamp(1, n.max(1))
}

/// The standard quantiles of a snapshot (windowed, see [`HistogramSnapshot`](super::HistogramSnapshot)).
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

    pub(crate) fn from_fn(mut f: impl FnMut(f64) -> f64) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn nearest_rank_rules() {
        assert_eq!(nearest_rank(0.5, 4), 2);
        assert_eq!(nearest_rank(0.0, 4), 1);
        assert_eq!(nearest_rank(1.0, 4), 4);
        assert_eq!(nearest_rank(0.999, 10), 10);
        assert_eq!(nearest_rank(0.5, 0), 1);
    }
}
