//! Sparse bucket counts that merge exactly: what exporters read and what quantiles come from.

use super::layout::{SCHEMA, ZERO_THRESHOLD, bucket_edges, downscaled, midpoint};
use super::quantile::nearest_rank;
use crate::error::{Error, Result};

/// The coarsest schema a sketch can be downscaled to (OpenTelemetry's smallest scale).
const MIN_SCHEMA: i32 = -10;

/// Sparse base-2 exponential bucket counts, in reported units (seconds for timers): what a
/// histogram's quantiles are computed from, what merges exactly across histograms and
/// processes, and what a Prometheus native histogram or an OpenTelemetry exponential histogram
/// carries.
///
/// What an exporter reads:
/// - [`schema`](Self::schema): 6 for every histogram and timer (64 buckets per power of two);
///   OpenTelemetry calls it the scale. A merge of sketches of two schemas has the coarser one.
/// - [`zero_threshold`](Self::zero_threshold) (`2^-40`) and [`zero_count`](Self::zero_count):
///   the values in `[0, zero_threshold]`.
/// - [`buckets`](Self::buckets): the non-empty positive buckets as `(index, count)`, by
///   increasing index. Bucket `i` holds `(2^((i-1)/2^schema), 2^(i/2^schema)]`
///   ([`bucket_edges`](Self::bucket_edges)): Prometheus' indexing. OpenTelemetry numbers the same
///   bucket `i - 1`.
/// - [`spans`](Self::spans): the same counts as runs of consecutive buckets, the form of both
///   wire formats (see there how to convert).
///
/// Counts are not cumulative, and there are no negative buckets (histograms take no negative
/// values).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Histogram, HistogramConfig};
/// let a = Histogram::with_config(HistogramConfig::new().cumulative());
/// let b = Histogram::with_config(HistogramConfig::new().cumulative());
/// a.record(1.0)?;
/// a.record(0.0)?;
/// b.record(3.0)?;
/// let mut s = a.snapshot().sketch;
/// s.merge(&b.snapshot().sketch)?;
/// assert_eq!((s.schema(), s.count(), s.zero_count()), (6, 3, 1));
/// // 1 ends bucket 0; 3 = 2^(101.4/64) is in bucket 102.
/// assert_eq!(s.buckets(), [(0, 1), (102, 1)]);
/// assert!((s.quantile(1.0) - 3.0).abs() < 3.0 * 0.0055);
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sketch {
    schema: i32,
    zero_threshold: f64,
    pub(super) zero: u64,
    pub(super) count: u64,
    /// `(bucket index, count)`, indices strictly increasing, counts non-zero.
    pub(super) buckets: Vec<(i32, u64)>,
}

/// A run of consecutive buckets of a [`Sketch`]: bucket `start + j` holds `counts[j]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketSpan {
    /// The index of the first bucket (Prometheus' indexing).
    pub start: i32,
    /// The counts of the buckets `start`, `start + 1`, ...; inner ones may be 0 where
    /// [`Sketch::spans`] bridged a gap.
    pub counts: Vec<u64>,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch::new()
    }
}

impl Sketch {
    /// An empty sketch at the recording schema (6) and zero threshold (`2^-40`).
    #[must_use]
    pub const fn new() -> Self {
        Sketch {
            schema: SCHEMA,
            zero_threshold: ZERO_THRESHOLD,
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

    /// The schema: bucket `i` ends at `2^(i / 2^schema)`.
    #[must_use]
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// Values at most [`zero_threshold`](Self::zero_threshold), zero included.
    #[must_use]
    pub fn zero_count(&self) -> u64 {
        self.zero
    }

    /// The upper (inclusive) edge of the zero bucket: `2^-40`.
    #[must_use]
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The non-empty positive buckets as `(index, count)`, by increasing index.
    #[must_use]
    pub fn buckets(&self) -> &[(i32, u64)] {
        &self.buckets
    }

    /// The lower (exclusive) and upper (inclusive) edge of bucket `index` at this schema.
    #[must_use]
    pub fn bucket_edges(&self, index: i32) -> (f64, f64) {
        bucket_edges(self.schema, index)
    }

    /// The buckets as runs of consecutive indices. Two runs separated by at most `max_gap`
    /// empty buckets are joined (the empty ones get count 0), so `spans(0)` gives only non-empty
    /// buckets and `spans(u32::MAX)` a single dense run.
    ///
    /// - A Prometheus native histogram takes them as spans: the first span's offset is its
    ///   `start`, every later offset is `start - (previous start + previous length)`, and the
    ///   counts are sent as deltas from the previous bucket.
    /// - An OpenTelemetry exponential histogram takes one run (`spans(u32::MAX)`) with
    ///   `offset = start - 1` and the counts as they are.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{BucketSpan, Histogram, HistogramConfig};
    /// let h = Histogram::with_config(HistogramConfig::new().cumulative());
    /// for v in [1.0, 1.01, 1.05, 2.0] {
    ///     h.record(v)?;
    /// }
    /// let s = h.snapshot().sketch;
    /// assert_eq!(s.buckets(), [(0, 1), (1, 1), (5, 1), (64, 1)]);
    /// let spans = s.spans(3);
    /// assert_eq!(spans[0], BucketSpan { start: 0, counts: vec![1, 1, 0, 0, 0, 1] });
    /// assert_eq!(spans[1], BucketSpan { start: 64, counts: vec![1] });
    /// assert_eq!(s.spans(u32::MAX).len(), 1);
    /// # Ok::<(), metered_runtime::Error>(())
    /// ```
    #[must_use]
    pub fn spans(&self, max_gap: u32) -> Vec<BucketSpan> {
        let mut spans: Vec<BucketSpan> = Vec::new();
        for &(i, c) in &self.buckets {
            match spans.last_mut() {
                Some(span)
                    if i64::from(i) - i64::from(span.start)
                        <= i64::try_from(span.counts.len()).unwrap_or(i64::MAX)
                            + i64::from(max_gap) =>
                {
                    let len = usize::try_from(i - span.start).unwrap_or(usize::MAX);
                    span.counts.resize(len, 0);
                    span.counts.push(c);
                }
                _ => spans.push(BucketSpan {
                    start: i,
                    counts: vec![c],
                }),
            }
        }
        spans
    }

    /// The same counts at the coarser `schema`: bucket `i` goes to `ceil(i / 2^(self.schema -
    /// schema))`, the bucket that holds it (each step down sums two neighbours, `2j - 1` and
    /// `2j`, into `j`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `schema` is finer than this sketch's or below -10.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Histogram, HistogramConfig};
    /// let h = Histogram::with_config(HistogramConfig::new().cumulative());
    /// for v in [1.0, 1.01, 1.05, 2.0] {
    ///     h.record(v)?;
    /// }
    /// let coarse = h.snapshot().sketch.downscale(0)?; // one bucket per power of two
    /// assert_eq!(coarse.buckets(), [(0, 1), (1, 3)]); // (0.5, 1] and (1, 2]
    /// # Ok::<(), metered_runtime::Error>(())
    /// ```
    pub fn downscale(&self, schema: i32) -> Result<Sketch> {
        if schema > self.schema || schema < MIN_SCHEMA {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "cannot downscale a sketch of schema {} to schema {schema}; expected one from \
                     {MIN_SCHEMA} to {}",
                    self.schema, self.schema
                ),
            });
        }
        let by = u32::try_from(self.schema - schema).unwrap_or(0);
        let mut out = Sketch {
            schema,
            buckets: Vec::with_capacity(self.buckets.len()),
            ..*self
        };
        for &(i, c) in &self.buckets {
            let j = downscaled(i, by);
            match out.buckets.last_mut() {
                Some((last, n)) if *last == j => *n = n.wrapping_add(c),
                _ => out.buckets.push((j, c)),
            }
        }
        Ok(out)
    }

    /// Adds `other`'s counts bucket by bucket. If the schemas differ, the result has the
    /// coarser one (the finer sketch is [downscaled](Self::downscale) first).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the zero thresholds differ (nothing is changed then).
    pub fn merge(&mut self, other: &Sketch) -> Result<()> {
        if self.zero_threshold.to_bits() != other.zero_threshold.to_bits() {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "cannot merge sketches with zero thresholds {} and {}",
                    self.zero_threshold, other.zero_threshold
                ),
            });
        }
        if other.schema < self.schema {
            *self = self.downscale(other.schema)?;
        }
        let downscaled_other;
        let other = if other.schema > self.schema {
            downscaled_other = other.downscale(self.schema)?;
            &downscaled_other
        } else {
            other
        };
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
    /// cumulative counts (so of the same schema).
    pub(super) fn since(&self, base: &Sketch) -> Sketch {
        let mut out = Sketch {
            zero: self.zero.saturating_sub(base.zero),
            buckets: Vec::new(),
            ..*self
        };
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

    /// The nearest-rank estimate of quantile `q` (see the [module docs](super)): the geometric
    /// midpoint of the bucket holding the value of rank `max(1, ceil(q * n))` (0 for the zero
    /// bucket), within 0.54 % of that value at schema 6. 0 when empty. Not clamped to the exact
    /// min and max; [`HistogramSnapshot::quantile`](super::HistogramSnapshot::quantile) is.
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
                return midpoint(self.schema, i);
            }
        }
        self.buckets
            .last()
            .map_or(0.0, |&(i, _)| midpoint(self.schema, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(zero: u64, buckets: &[(i32, u64)]) -> Sketch {
        Sketch {
            zero,
            count: zero + buckets.iter().map(|b| b.1).sum::<u64>(),
            buckets: buckets.to_vec(),
            ..Sketch::new()
        }
    }

    #[test]
    fn sketch_merge_and_since() {
        let a = sketch(1, &[(1, 2), (5, 1)]);
        let b = sketch(0, &[(-3, 1), (5, 2), (9, 1)]);
        let mut m = a.clone();
        m.merge(&b).unwrap();
        assert_eq!(m.buckets, [(-3, 1), (1, 2), (5, 3), (9, 1)]);
        assert_eq!((m.count, m.zero), (8, 1));
        let d = m.since(&a);
        assert_eq!(d.buckets, b.buckets);
        assert_eq!(d.count, 4);
        let mut other = Sketch::new();
        other.zero_threshold = 1e-9;
        assert!(m.merge(&other).is_err());
        assert_eq!(m.count, 8);
    }

    #[test]
    fn downscale_sums_neighbours_and_merge_takes_the_coarser_schema() {
        let s = sketch(
            2,
            &[(-2, 1), (-1, 1), (0, 1), (1, 1), (2, 1), (3, 4), (64, 1)],
        );
        let d = s.downscale(5).unwrap();
        assert_eq!(d.schema(), 5);
        // ceil(i / 2): -2, -1 -> -1, 0; 0 -> 0; 1, 2 -> 1; 3 -> 2; 64 -> 32.
        assert_eq!(d.buckets, [(-1, 1), (0, 2), (1, 2), (2, 4), (32, 1)]);
        assert_eq!((d.count, d.zero), (s.count, 2));
        let d0 = s.downscale(0).unwrap();
        // ceil(i / 64): -2, -1, 0 -> 0; 1, 2, 3, 64 -> 1.
        assert_eq!(d0.buckets, [(0, 3), (1, 7)]);
        assert!(s.downscale(7).is_err());
        assert!(s.downscale(-11).is_err());
        let mut m = s.clone();
        m.merge(&d).unwrap();
        assert_eq!(m.schema(), 5);
        assert_eq!(m.count, 2 * s.count);
        let mut n = d.clone();
        n.merge(&s).unwrap();
        assert_eq!(n, m);
    }

    #[test]
    fn spans_join_small_gaps() {
        let s = sketch(0, &[(-2, 1), (0, 2), (4, 3), (5, 1)]);
        let tight = s.spans(0);
        assert_eq!(tight.len(), 3);
        assert_eq!(
            tight[2],
            BucketSpan {
                start: 4,
                counts: vec![3, 1]
            }
        );
        let loose = s.spans(3);
        assert_eq!(loose.len(), 1);
        assert_eq!(
            loose[0],
            BucketSpan {
                start: -2,
                counts: vec![1, 0, 2, 0, 0, 0, 3, 1]
            }
        );
        assert_eq!(s.spans(1).len(), 2);
        assert!(Sketch::new().spans(0).is_empty());
    }
}
