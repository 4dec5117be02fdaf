//! Dropwizard's snapshots: sorted samples, with or without weights, and their quantile rules.

use crate::metric::histogram::Quantiles;

/// The accessors both snapshots share: each holds its samples' values sorted in `values`.
macro_rules! sorted_values {
    ($t:ty, $what:literal) => {
        impl $t {
            #[doc = concat!("The number of ", $what, ".")]
            #[must_use]
            pub fn len(&self) -> usize {
                self.values.len()
            }

            #[doc = concat!("Whether there are no ", $what, ".")]
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
        }
    };
}

sorted_values!(UniformSnapshot, "values");
sorted_values!(WeightedSnapshot, "samples");

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
        reason = "the position q * len is non-negative and at most len, as Dropwizard computes it"
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

    /// The arithmetic mean (0 when empty).
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "a reservoir holds at most a few thousand values"
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
        reason = "a reservoir holds at most a few thousand values"
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
        Quantiles::from_fn(|q| self.value(q))
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
        Quantiles::from_fn(|q| self.value(q))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
