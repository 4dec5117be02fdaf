//! The OTLP metrics messages this sink sends, written as prost structs (no `protoc`).
//!
//! Field numbers and wire types are those of `opentelemetry/proto/collector/metrics/v1`,
//! `metrics/v1`, `common/v1` and `resource/v1` of the OpenTelemetry protocol (OTLP 1.x). Only
//! what the sink writes is declared: exemplars, summaries, negative buckets' users, array and
//! key-value-list attribute values and the string-table fields of later protocol versions are
//! left out (a decoder skips what it does not know, and this sink never writes them).
//!
//! ```
//! use metered_push::otlp::proto::{AnyValue, KeyValue, any_value};
//! use prost::Message as _;
//! let kv = KeyValue::string("service.name", "checkout");
//! let bytes = kv.encode_to_vec();
//! assert_eq!(KeyValue::decode(bytes.as_slice()).unwrap(), kv);
//! assert_eq!(
//!     kv.value,
//!     Some(AnyValue { value: Some(any_value::Value::StringValue("checkout".into())) })
//! );
//! ```
#![allow(
    missing_docs,
    clippy::doc_markdown,
    reason = "prost's derive generates undocumented accessors for optional fields"
)]

/// `ExportMetricsServiceRequest`: the body of a `POST /v1/metrics`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsServiceRequest {
    /// One entry per resource (this sink sends one).
    #[prost(message, repeated, tag = "1")]
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// `ExportMetricsServiceResponse`: what a receiver answers (with a 200).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsServiceResponse {
    /// Set when the receiver accepted only part of the request.
    #[prost(message, optional, tag = "1")]
    pub partial_success: Option<ExportMetricsPartialSuccess>,
}

/// `ExportMetricsPartialSuccess`: how many data points a receiver rejected, and why.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportMetricsPartialSuccess {
    /// Data points rejected (0 with a message: a warning).
    #[prost(int64, tag = "1")]
    pub rejected_data_points: i64,
    /// The receiver's explanation.
    #[prost(string, tag = "2")]
    pub error_message: String,
}

/// `ResourceMetrics`: the metrics of one resource (the process).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ResourceMetrics {
    /// The resource: `service.name` and the configured attributes.
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// One entry per instrumentation scope (this sink sends one).
    #[prost(message, repeated, tag = "2")]
    pub scope_metrics: Vec<ScopeMetrics>,
    /// The semantic-conventions schema of the resource attributes (empty: none).
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `Resource`: the entity producing the metrics.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Resource {
    /// Its attributes.
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Attributes left out (always 0 here).
    #[prost(uint32, tag = "2")]
    pub dropped_attributes_count: u32,
}

/// `ScopeMetrics`: the metrics of one instrumentation scope.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ScopeMetrics {
    /// The scope: this toolkit's name and version.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
    /// The semantic-conventions schema of the metrics (empty: none).
    #[prost(string, tag = "3")]
    pub schema_url: String,
}

/// `InstrumentationScope`: the library that recorded the metrics.
#[derive(Clone, PartialEq, prost::Message)]
pub struct InstrumentationScope {
    /// Its name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Its version.
    #[prost(string, tag = "2")]
    pub version: String,
    /// Its attributes (none here).
    #[prost(message, repeated, tag = "3")]
    pub attributes: Vec<KeyValue>,
    /// Attributes left out (always 0 here).
    #[prost(uint32, tag = "4")]
    pub dropped_attributes_count: u32,
}

/// `KeyValue`: one attribute.
#[derive(Clone, PartialEq, prost::Message)]
pub struct KeyValue {
    /// The attribute's key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Its value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

impl KeyValue {
    /// A string-valued attribute.
    #[must_use]
    pub fn string(key: impl Into<String>, value: impl Into<String>) -> Self {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.into())),
            }),
        }
    }
}

/// `AnyValue`: an attribute value (this sink writes strings, booleans, integers and doubles).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AnyValue {
    /// The value; `None` is an empty value.
    #[prost(oneof = "any_value::Value", tags = "1, 2, 3, 4")]
    pub value: Option<any_value::Value>,
}

/// The variants of [`AnyValue`].
pub mod any_value {
    /// `AnyValue.value`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Value {
        /// `string_value`.
        #[prost(string, tag = "1")]
        StringValue(String),
        /// `bool_value`.
        #[prost(bool, tag = "2")]
        BoolValue(bool),
        /// `int_value`.
        #[prost(int64, tag = "3")]
        IntValue(i64),
        /// `double_value`.
        #[prost(double, tag = "4")]
        DoubleValue(f64),
    }
}

/// `Metric`: one named metric and its data points.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Metric {
    /// The name (dotted, as registered).
    #[prost(string, tag = "1")]
    pub name: String,
    /// The help text.
    #[prost(string, tag = "2")]
    pub description: String,
    /// The unit, in UCUM (`s`, `By`, `1`).
    #[prost(string, tag = "3")]
    pub unit: String,
    /// The data.
    #[prost(oneof = "metric::Data", tags = "5, 7, 9, 10")]
    pub data: Option<metric::Data>,
}

/// The variants of [`Metric`].
pub mod metric {
    /// `Metric.data`.
    #[derive(Clone, PartialEq, prost::Oneof)]
    pub enum Data {
        /// `gauge`.
        #[prost(message, tag = "5")]
        Gauge(super::Gauge),
        /// `sum`.
        #[prost(message, tag = "7")]
        Sum(super::Sum),
        /// `histogram` (explicit bounds).
        #[prost(message, tag = "9")]
        Histogram(super::Histogram),
        /// `exponential_histogram`.
        #[prost(message, tag = "10")]
        ExponentialHistogram(super::ExponentialHistogram),
    }
}

/// `AggregationTemporality`: what the points of a sum or histogram cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum AggregationTemporality {
    /// Not set (invalid for a sum or histogram).
    Unspecified = 0,
    /// Each point covers the interval since the previous point.
    Delta = 1,
    /// Each point covers everything since a fixed start time.
    Cumulative = 2,
}

/// `Gauge`: values sampled at a time.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Gauge {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
}

/// `Sum`: a counter (monotonic) or an up-down counter.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sum {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
    /// Delta or cumulative.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
    /// Whether the sum only goes up.
    #[prost(bool, tag = "3")]
    pub is_monotonic: bool,
}

/// `Histogram`: explicit-bucket histograms.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Histogram {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<HistogramDataPoint>,
    /// Delta or cumulative.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
}

/// `ExponentialHistogram`: base-2 exponential histograms.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExponentialHistogram {
    /// The points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<ExponentialHistogramDataPoint>,
    /// Delta or cumulative.
    #[prost(enumeration = "AggregationTemporality", tag = "2")]
    pub aggregation_temporality: i32,
}

/// `NumberDataPoint`: one value of a gauge or sum.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NumberDataPoint {
    /// The series' attributes (a family child's labels).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval (sums), in nanoseconds since the Unix epoch; 0 for gauges.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// When the value was read, in nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// The value.
    #[prost(oneof = "number_data_point::Value", tags = "4, 6")]
    pub value: Option<number_data_point::Value>,
    /// Flags (0).
    #[prost(uint32, tag = "8")]
    pub flags: u32,
}

/// The variants of [`NumberDataPoint`].
pub mod number_data_point {
    /// `NumberDataPoint.value`.
    #[derive(Clone, Copy, PartialEq, prost::Oneof)]
    pub enum Value {
        /// `as_double`.
        #[prost(double, tag = "4")]
        AsDouble(f64),
        /// `as_int`.
        #[prost(sfixed64, tag = "6")]
        AsInt(i64),
    }
}

/// `HistogramDataPoint`: one explicit-bucket histogram.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HistogramDataPoint {
    /// The series' attributes.
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval, in nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// End of the interval, in nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Values counted.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Their sum.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// Per-bucket (not cumulative) counts, one more than `explicit_bounds`.
    #[prost(fixed64, repeated, tag = "6")]
    pub bucket_counts: Vec<u64>,
    /// Upper (inclusive) bounds, increasing.
    #[prost(double, repeated, tag = "7")]
    pub explicit_bounds: Vec<f64>,
    /// Flags (0).
    #[prost(uint32, tag = "10")]
    pub flags: u32,
    /// The smallest value of the interval.
    #[prost(double, optional, tag = "11")]
    pub min: Option<f64>,
    /// The largest value of the interval.
    #[prost(double, optional, tag = "12")]
    pub max: Option<f64>,
}

/// `ExponentialHistogramDataPoint`: one base-2 exponential histogram.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExponentialHistogramDataPoint {
    /// The series' attributes.
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
    /// Start of the interval, in nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// End of the interval, in nanoseconds since the Unix epoch.
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Values counted: `zero_count` plus every bucket count.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Their sum.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// The scale: bucket `i` covers `(base^i, base^(i+1)]`, `base = 2^(2^-scale)`.
    #[prost(sint32, tag = "6")]
    pub scale: i32,
    /// Values in `[-zero_threshold, zero_threshold]`.
    #[prost(fixed64, tag = "7")]
    pub zero_count: u64,
    /// Buckets of positive values.
    #[prost(message, optional, tag = "8")]
    pub positive: Option<Buckets>,
    /// Buckets of negative values (never set: histograms take no negative values).
    #[prost(message, optional, tag = "9")]
    pub negative: Option<Buckets>,
    /// Flags (0).
    #[prost(uint32, tag = "10")]
    pub flags: u32,
    /// The smallest value of the interval.
    #[prost(double, optional, tag = "12")]
    pub min: Option<f64>,
    /// The largest value of the interval.
    #[prost(double, optional, tag = "13")]
    pub max: Option<f64>,
    /// The zero bucket's upper edge.
    #[prost(double, tag = "14")]
    pub zero_threshold: f64,
}

/// `ExponentialHistogramDataPoint.Buckets`: a dense run of bucket counts.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Buckets {
    /// The index of the first bucket.
    #[prost(sint32, tag = "1")]
    pub offset: i32,
    /// Counts of buckets `offset`, `offset + 1`, ...
    #[prost(uint64, repeated, tag = "2")]
    pub bucket_counts: Vec<u64>,
}
