//! The messages of a remote write 1.0 request (`prometheus.WriteRequest` of Prometheus'
//! `remote.proto` and `types.proto`), written as prost structs since no `protoc` is needed
//! for so few: field numbers and types are those of the protocol. Only what a sender fills is
//! here (no exemplars, no negative buckets: our histograms take no negative values).
//!
//! ```
//! use metered_push::remote_write::proto::{Label, Sample, TimeSeries, WriteRequest};
//! use prost::Message as _;
//! let req = WriteRequest {
//!     timeseries: vec![TimeSeries {
//!         labels: vec![Label { name: "__name__".into(), value: "up".into() }],
//!         samples: vec![Sample { value: 1.0, timestamp: 1_700_000_000_000 }],
//!         histograms: vec![],
//!     }],
//!     metadata: vec![],
//! };
//! let bytes = req.encode_to_vec();
//! assert_eq!(WriteRequest::decode(bytes.as_slice())?, req);
//! # Ok::<(), prost::DecodeError>(())
//! ```

use metered_runtime_core::HistogramSnapshot;
use metered_runtime_core::export::native::NativeHistogram;

/// The request body (before snappy compression).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    /// The series, each with its samples or histograms.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// Metric metadata (type, help, unit); this sink sends none.
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// One series: its labels (sorted by name, `__name__` among them) and its points.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// The labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Float samples, in timestamp order.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Native histograms, in timestamp order.
    #[prost(message, repeated, tag = "4")]
    pub histograms: Vec<Histogram>,
}

/// A label.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Label {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// A float sample.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// A native histogram sample with integer counts.
///
/// Buckets are given as spans of consecutive bucket indices and, over all spans in order, the
/// count of each bucket as a delta from the previous bucket's (the first from 0). Bucket `i`
/// holds `(2^((i-1)/2^schema), 2^(i/2^schema)]`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// How many values.
    #[prost(oneof = "histogram::Count", tags = "1, 2")]
    pub count: Option<histogram::Count>,
    /// Their sum.
    #[prost(double, tag = "3")]
    pub sum: f64,
    /// The resolution: `2^schema` buckets per power of two (from -4 to 8).
    #[prost(sint32, tag = "4")]
    pub schema: i32,
    /// The upper edge of the zero bucket.
    #[prost(double, tag = "5")]
    pub zero_threshold: f64,
    /// How many values are in the zero bucket.
    #[prost(oneof = "histogram::ZeroCount", tags = "6, 7")]
    pub zero_count: Option<histogram::ZeroCount>,
    /// The spans of the positive buckets.
    #[prost(message, repeated, tag = "11")]
    pub positive_spans: Vec<BucketSpan>,
    /// The positive bucket counts as deltas.
    #[prost(sint64, repeated, tag = "12")]
    pub positive_deltas: Vec<i64>,
    /// A hint about counter resets ([`histogram::ResetHint`] as `i32`).
    #[prost(enumeration = "histogram::ResetHint", tag = "14")]
    pub reset_hint: i32,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "15")]
    pub timestamp: i64,
}

/// The `oneof`s and the enumeration of [`Histogram`].
pub mod histogram {
    /// The count of a histogram.
    #[derive(Clone, Copy, PartialEq, prost::Oneof)]
    pub enum Count {
        /// An integer count (what this sink sends).
        #[prost(uint64, tag = "1")]
        CountInt(u64),
        /// A float count (for float histograms).
        #[prost(double, tag = "2")]
        CountFloat(f64),
    }

    /// The count of a histogram's zero bucket.
    #[derive(Clone, Copy, PartialEq, prost::Oneof)]
    pub enum ZeroCount {
        /// An integer count (what this sink sends).
        #[prost(uint64, tag = "6")]
        ZeroCountInt(u64),
        /// A float count (for float histograms).
        #[prost(double, tag = "7")]
        ZeroCountFloat(f64),
    }

    /// Whether the histogram's counts were reset since the previous sample.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum ResetHint {
        /// Unknown: the receiver detects resets (what this sink sends: our counts are
        /// cumulative, and a restarted process starts again from 0).
        Unknown = 0,
        /// A reset happened.
        Yes = 1,
        /// No reset happened.
        No = 2,
        /// A gauge histogram: counts may go down.
        Gauge = 3,
    }
}

/// A run of consecutive buckets: `offset` is the gap (in buckets) from the end of the previous
/// span, or the index of the first bucket for the first span.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct BucketSpan {
    /// The gap before this span.
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    /// How many buckets it has.
    #[prost(uint32, tag = "2")]
    pub length: u32,
}

/// Metric metadata (unused by this sink, decoded for completeness).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct MetricMetadata {
    /// The type, as Prometheus numbers them (0 unknown, 1 counter, 2 gauge, 3 histogram, ...).
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The family name.
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Unit.
    #[prost(string, tag = "5")]
    pub unit: String,
}

impl Histogram {
    /// The remote write form of a native histogram (the shared conversion of
    /// [`export::native`](metered_runtime_core::export::native)) at `timestamp` (ms).
    #[must_use]
    pub fn from_native(n: &NativeHistogram, timestamp: i64) -> Self {
        Histogram {
            count: Some(histogram::Count::CountInt(n.count)),
            sum: n.sum,
            schema: n.schema,
            zero_threshold: n.zero_threshold,
            zero_count: Some(histogram::ZeroCount::ZeroCountInt(n.zero_count)),
            positive_spans: n
                .positive_spans
                .iter()
                .map(|s| BucketSpan {
                    offset: s.offset,
                    length: s.length,
                })
                .collect(),
            positive_deltas: n.positive_deltas.clone(),
            reset_hint: histogram::ResetHint::Unknown as i32,
            timestamp,
        }
    }

    /// The native histogram of `h` at `timestamp` (ms): its cumulative sketch's schema, zero
    /// bucket and buckets as they are, and its sum.
    ///
    /// ```
    /// use metered_push::remote_write::proto::{BucketSpan, Histogram, histogram::Count};
    /// let h = metered_runtime_core::Histogram::with_config(
    ///     metered_runtime_core::HistogramConfig::new().cumulative(),
    /// );
    /// for v in [1.0, 1.01, 1.05, 2.0] {
    ///     h.record(v)?;
    /// }
    /// let n = Histogram::from_snapshot(&h.snapshot(), 7)?;
    /// assert_eq!((n.count, n.schema, n.timestamp), (Some(Count::CountInt(4)), 6, 7));
    /// // Buckets 0, 1, 5 and 64: 0-1 and 5 share a span (a gap of 3 is too wide).
    /// assert_eq!(n.positive_spans, [
    ///     BucketSpan { offset: 0, length: 2 },
    ///     BucketSpan { offset: 3, length: 1 },
    ///     BucketSpan { offset: 58, length: 1 },
    /// ]);
    /// assert_eq!(n.positive_deltas, [1, 0, 0, 0]);
    /// # Ok::<(), metered_runtime_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// If the sketch's schema is one Prometheus does not take (a sketch merged down below
    /// schema -4), as [`NativeHistogram::from_snapshot`].
    pub fn from_snapshot(
        h: &HistogramSnapshot,
        timestamp: i64,
    ) -> metered_runtime_core::Result<Self> {
        Ok(Histogram::from_native(
            &NativeHistogram::from_snapshot(h)?,
            timestamp,
        ))
    }
}
