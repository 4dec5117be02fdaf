//! Sparse bucket counts that merge exactly.

use super::layout::midpoint;
use super::quantile::nearest_rank;
use crate::error::{Error, Result};

/// Sparse log-linear bucket counts: what a histogram's quantiles are computed from, and what
/// merges exactly across histograms and processes.
///
/// Bucket `i` covers [`bucket_edges(i)`](super::bucket_edges) in recorded units; values are reported
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
    pub(super) divisor: f64,
    pub(super) zero: u64,
    pub(super) count: u64,
    /// `(bucket index, count)`, indices strictly increasing, counts non-zero.
    pub(super) buckets: Vec<(u32, u64)>,
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
    pub(super) fn since(&self, base: &Sketch) -> Sketch {
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

    /// The nearest-rank estimate of quantile `q` (see the [module docs](super)): the midpoint of
    /// the bucket holding the value of rank `max(1, ceil(q * n))`, in reported units. 0 when
    /// empty. Not clamped to the exact min and max; [`HistogramSnapshot::quantile`](super::HistogramSnapshot::quantile) is.
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

#[cfg(test)]
mod tests {
    use super::*;
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
}
