//! Prometheus native histograms from our exponential sketches (feature `native-histogram`):
//! the form that the protobuf exposition, remote write 1.0 (`histograms`) and any other
//! Prometheus wire format carry. Pure and std-only: the encoders write the fields of a
//! [`NativeHistogram`] as their format wants.
//!
//! A [`Sketch`] already uses Prometheus' bucket indexing (bucket `i` holds
//! `(2^((i-1)/2^schema), 2^(i/2^schema)]`), so nothing is re-bucketed: the schema, zero
//! threshold and counts go out as they are, and a receiver's `histogram_quantile` works on the
//! same buckets our quantiles come from.
//!
//! Only the positive side is ever filled: histograms and timers take no negative values, so
//! the negative spans and deltas of the wire formats are always empty.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Histogram, HistogramConfig, export::native::{NativeHistogram, Span}};
//! let h = Histogram::with_config(HistogramConfig::new().cumulative());
//! for v in [1.0, 1.01, 1.05, 2.0, 0.0] {
//!     h.record(v)?;
//! }
//! let n = NativeHistogram::from_snapshot(&h.snapshot())?;
//! assert_eq!((n.schema, n.zero_count, n.count), (6, 1, 5));
//! assert!((n.sum - 5.06).abs() < 1e-9);
//! // Buckets 0, 1, 5 and 64: the gap of three empty buckets after 1 starts a new span.
//! assert_eq!(n.positive_spans, [
//!     Span { offset: 0, length: 2 },
//!     Span { offset: 3, length: 1 },
//!     Span { offset: 58, length: 1 },
//! ]);
//! assert_eq!(n.positive_deltas, [1, 0, 0, 0]);
//! assert_eq!(n.positive_buckets()?, [(0, 1), (1, 1), (5, 1), (64, 1)]);
//! # Ok::<(), metered_runtime::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::metric::histogram::{HistogramSnapshot, Sketch};

/// The finest schema Prometheus accepts for a native histogram.
pub const MAX_SCHEMA: i32 = 8;
/// The coarsest schema Prometheus accepts for a native histogram.
pub const MIN_SCHEMA: i32 = -4;

/// Empty buckets between two runs that are sent as zero deltas rather than as a new span.
/// A span costs two numbers and a zero delta one, so bridging up to two is never larger on
/// the wire (the choice Prometheus' own client makes).
pub const MAX_GAP: u32 = 2;

/// A run of consecutive buckets in a native histogram: `offset` is the distance from the end
/// of the previous span (from bucket 0 for the first span) to this span's first bucket, and
/// `length` the number of buckets in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// The gap before this span: its first index minus the end of the previous span (for the
    /// first span, its first index).
    pub offset: i32,
    /// The number of consecutive buckets the span covers.
    pub length: u32,
}

/// A histogram in Prometheus' native (sparse exponential) form.
///
/// Counts are integers. `positive_deltas` holds one entry per bucket the spans cover, in
/// order: the first bucket's count, then each bucket's count minus the previous bucket's,
/// across span boundaries (the wire formats' delta encoding). Deltas are computed in wrapping
/// 64-bit arithmetic, so any `u64` count survives the round trip exactly.
///
/// The negative side (`negative_span`, `negative_delta` on the wire) is always empty: the
/// histograms record no negative values.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeHistogram {
    /// Resolution: bucket `i` ends at `2^(i / 2^schema)`; from [`MIN_SCHEMA`] to [`MAX_SCHEMA`].
    pub schema: i32,
    /// The upper (inclusive) edge of the zero bucket, which holds values in
    /// `[-zero_threshold, zero_threshold]`.
    pub zero_threshold: f64,
    /// Values in the zero bucket.
    pub zero_count: u64,
    /// Values recorded: `zero_count` plus every bucket's count.
    pub count: u64,
    /// The sum of the values recorded.
    pub sum: f64,
    /// Runs of positive buckets, by increasing index.
    pub positive_spans: Vec<Span>,
    /// Delta-encoded counts of the buckets the spans cover.
    pub positive_deltas: Vec<i64>,
}

impl NativeHistogram {
    /// The native form of `sketch`, with `sum` as the sum of its values (a sketch counts but
    /// does not sum; [`from_snapshot`](Self::from_snapshot) takes both from a snapshot).
    /// Gaps of up to [`MAX_GAP`] empty buckets are sent as zero deltas inside one span.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the sketch's schema is outside what Prometheus accepts
    /// ([`MIN_SCHEMA`] to [`MAX_SCHEMA`]; a sketch merged down below -4 cannot be sent), or
    /// a span offset does not fit in an `i32` (not for buckets a histogram records).
    pub fn from_sketch(sketch: &Sketch, sum: f64) -> Result<NativeHistogram> {
        let schema = sketch.schema();
        if !(MIN_SCHEMA..=MAX_SCHEMA).contains(&schema) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "a sketch of schema {schema} has no Prometheus native form; native \
                     histograms take schemas from {MIN_SCHEMA} to {MAX_SCHEMA}"
                ),
            });
        }
        let buckets = sketch.buckets();
        let mut positive_spans: Vec<Span> = Vec::new();
        let mut positive_deltas = Vec::with_capacity(buckets.len());
        // One past the last index of the current span; bucket 0 before the first span.
        let mut end = 0_i64;
        let mut previous = 0_u64;
        for &(index, count) in buckets {
            let gap = i64::from(index) - end;
            match positive_spans.last_mut() {
                Some(span) if gap <= i64::from(MAX_GAP) => {
                    // Bridge the empty buckets with zero counts (gap is at most MAX_GAP).
                    for _ in 0..gap {
                        positive_deltas.push(wrapping_delta(0, previous));
                        previous = 0;
                    }
                    span.length += u32::try_from(gap).unwrap_or(0) + 1;
                }
                _ => positive_spans.push(Span {
                    offset: i32::try_from(gap).map_err(|_| Error::InvalidConfig {
                        reason: format!("a span offset of {gap} buckets is outside the i32 range"),
                    })?,
                    length: 1,
                }),
            }
            positive_deltas.push(wrapping_delta(count, previous));
            previous = count;
            end = i64::from(index) + 1;
        }
        Ok(NativeHistogram {
            schema,
            zero_threshold: sketch.zero_threshold(),
            zero_count: sketch.zero_count(),
            count: sketch.count(),
            sum,
            positive_spans,
            positive_deltas,
        })
    }

    /// The native form of a histogram's (or timer's, in seconds) cumulative state: its
    /// [`sketch`](HistogramSnapshot::sketch) and [`sum`](HistogramSnapshot::sum).
    ///
    /// # Errors
    /// As [`from_sketch`](Self::from_sketch).
    pub fn from_snapshot(h: &HistogramSnapshot) -> Result<NativeHistogram> {
        NativeHistogram::from_sketch(&h.sketch, h.sum)
    }

    /// The non-empty positive buckets as `(index, count)` by increasing index, decoded from
    /// the spans and deltas as a receiver does: for a histogram made by
    /// [`from_sketch`](Self::from_sketch), exactly the sketch's
    /// [`buckets`](Sketch::buckets).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the spans do not cover exactly as many buckets as there are
    /// deltas, or an index leaves the `i32` range.
    pub fn positive_buckets(&self) -> Result<Vec<(i32, u64)>> {
        let covered: u64 = self
            .positive_spans
            .iter()
            .map(|s| u64::from(s.length))
            .sum();
        if covered != self.positive_deltas.len() as u64 {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "the spans cover {covered} buckets but there are {} deltas",
                    self.positive_deltas.len()
                ),
            });
        }
        let mut out = Vec::with_capacity(self.positive_deltas.len());
        let mut deltas = self.positive_deltas.iter();
        let mut index = 0_i64;
        let mut count = 0_u64;
        for span in &self.positive_spans {
            index += i64::from(span.offset);
            for _ in 0..span.length {
                let i = i32::try_from(index).map_err(|_| Error::InvalidConfig {
                    reason: format!("bucket index {index} is outside the i32 range"),
                })?;
                // `covered` equals the number of deltas, so there is always one here.
                let d = deltas.next().copied().unwrap_or(0);
                count = count.wrapping_add_signed(d);
                if count != 0 {
                    out.push((i, count));
                }
                index += 1;
            }
        }
        Ok(out)
    }
}

/// `count - previous` as the wire's signed delta, in wrapping 64-bit arithmetic (the
/// receiver adds deltas the same way, so the bits of every count come back).
fn wrapping_delta(count: u64, previous: u64) -> i64 {
    i64::from_ne_bytes(count.wrapping_sub(previous).to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Histogram, HistogramConfig};

    fn sketch_of(values: &[f64]) -> HistogramSnapshot {
        let h = Histogram::with_config(HistogramConfig::new().cumulative());
        for &v in values {
            h.record(v).unwrap();
        }
        h.snapshot()
    }

    #[test]
    fn spans_and_deltas_of_known_buckets() {
        // 1 ends bucket 0, 1.01 is in 1, 1.05 in 5 (2^(4.5/64) = 1.0500), 2 ends bucket 64,
        // 0.5 ends bucket -64, 1.02 is in bucket 2 (2^(1.83/64)).
        let s = sketch_of(&[1.0, 1.01, 1.01, 1.02, 1.05, 1.05, 1.05, 2.0, 0.5, 0.0, 0.0]);
        assert_eq!(
            s.sketch.buckets(),
            [(-64, 1), (0, 1), (1, 2), (2, 1), (5, 3), (64, 1)]
        );
        let n = NativeHistogram::from_snapshot(&s).unwrap();
        assert_eq!(n.schema, 6);
        assert_eq!(n.zero_threshold, 2f64.powi(-40));
        assert_eq!((n.zero_count, n.count), (2, 11));
        assert_eq!(n.sum, s.sum);
        // -64 alone; 0..=5 bridged (gap of two: buckets 3 and 4); 64 alone.
        assert_eq!(
            n.positive_spans,
            [
                Span {
                    offset: -64,
                    length: 1
                },
                Span {
                    offset: 63,
                    length: 6
                },
                Span {
                    offset: 58,
                    length: 1
                },
            ]
        );
        // Counts 1 | 1 2 1 0 0 3 | 1.
        assert_eq!(n.positive_deltas, [1, 0, 1, -1, -1, 0, 3, -2]);
        assert_eq!(n.positive_buckets().unwrap(), s.sketch.buckets());
    }

    #[test]
    fn a_gap_of_three_starts_a_span() {
        // 1.0386 = 2^(3.5/64) is in bucket 4: buckets 1 to 3 are empty.
        let s = sketch_of(&[1.0, 1.0386]);
        assert_eq!(s.sketch.buckets(), [(0, 1), (4, 1)]);
        let n = NativeHistogram::from_snapshot(&s).unwrap();
        assert_eq!(
            n.positive_spans,
            [
                Span {
                    offset: 0,
                    length: 1
                },
                Span {
                    offset: 3,
                    length: 1
                }
            ]
        );
        assert_eq!(n.positive_deltas, [1, 0]);
    }

    #[test]
    fn empty_and_zero_only() {
        let n = NativeHistogram::from_snapshot(&sketch_of(&[])).unwrap();
        assert_eq!((n.count, n.zero_count, n.sum), (0, 0, 0.0));
        assert!(n.positive_spans.is_empty() && n.positive_deltas.is_empty());
        assert!(n.zero_threshold > 0.0);
        let n = NativeHistogram::from_snapshot(&sketch_of(&[0.0, 1e-13])).unwrap();
        assert_eq!((n.count, n.zero_count), (2, 2));
        assert!(n.positive_buckets().unwrap().is_empty());
    }

    #[test]
    fn round_trip_over_many_values_and_coarser_schemas() {
        let values: Vec<f64> = (1..=5000).map(|i| f64::from(i).powf(1.7) * 1e-4).collect();
        let s = sketch_of(&values);
        for schema in [6, 3, 0, -4] {
            let sketch = s.sketch.downscale(schema).unwrap();
            let n = NativeHistogram::from_sketch(&sketch, s.sum).unwrap();
            assert_eq!(n.schema, schema);
            assert_eq!(n.positive_buckets().unwrap(), sketch.buckets(), "{schema}");
            // The same runs as the sketch's own `spans(MAX_GAP)`, in Prometheus' offsets.
            let runs = sketch.spans(MAX_GAP);
            assert_eq!(n.positive_spans.len(), runs.len());
            let mut end = 0;
            for (span, run) in n.positive_spans.iter().zip(&runs) {
                assert_eq!(span.offset, run.start - end);
                assert_eq!(span.length as usize, run.counts.len());
                end = run.start + i32::try_from(run.counts.len()).unwrap();
            }
            let covered: u32 = n.positive_spans.iter().map(|s| s.length).sum();
            assert_eq!(covered as usize, n.positive_deltas.len());
            // Every span after the first starts past a gap of more than MAX_GAP buckets.
            assert!(n.positive_spans[1..].iter().all(|s| s.offset > 2));
            let total: u64 = n.positive_buckets().unwrap().iter().map(|b| b.1).sum();
            assert_eq!(total + n.zero_count, n.count);
        }
    }

    #[test]
    fn schemas_prometheus_refuses_are_errors() {
        let s = sketch_of(&[1.0, 3.0]).sketch.downscale(-5).unwrap();
        let e = NativeHistogram::from_sketch(&s, 4.0).unwrap_err();
        assert!(e.to_string().contains("schema -5"), "{e}");
    }

    #[test]
    fn deltas_wrap_for_huge_counts() {
        assert_eq!(wrapping_delta(u64::MAX, 0), -1);
        assert_eq!(wrapping_delta(0, u64::MAX), 1);
        assert_eq!(wrapping_delta(5, 7), -2);
        let n = NativeHistogram {
            schema: 0,
            zero_threshold: 0.0,
            zero_count: 0,
            count: u64::MAX,
            sum: 0.0,
            positive_spans: vec![Span {
                offset: 1,
                length: 2,
            }],
            positive_deltas: vec![-1, 0],
        };
        assert_eq!(
            n.positive_buckets().unwrap(),
            [(1, u64::MAX), (2, u64::MAX)]
        );
    }

    #[test]
    fn inconsistent_spans_are_errors() {
        let n = NativeHistogram {
            schema: 0,
            zero_threshold: 0.0,
            zero_count: 0,
            count: 1,
            sum: 1.0,
            positive_spans: vec![Span {
                offset: 0,
                length: 2,
            }],
            positive_deltas: vec![1],
        };
        assert!(
            n.positive_buckets()
                .unwrap_err()
                .to_string()
                .contains("cover 2 buckets but there are 1 deltas")
        );
    }
}
