//! The Prometheus protobuf exposition format (feature `protobuf`): `io.prometheus.client`
//! `MetricFamily` messages, each preceded by its length as a varint, the format Prometheus asks
//! for first when native histograms are enabled (`--enable-feature=native-histograms`), and
//! the only scrape format that carries them.
//!
//! Families, names, help and labels are exactly the 0.0.4 text's (the same adapter builds
//! both), with these differences the format makes:
//! - a counter's family name carries its `_total` (as the 0.0.4 `# TYPE` line does), and its
//!   sample is a `Counter` value;
//! - a histogram or timer is one `Histogram` message: `sample_count`, `sample_sum`, the
//!   native histogram of its sketch ([`native`](super::native): schema, zero threshold and
//!   count, positive spans and deltas; no negative buckets), and its classic buckets when
//!   bounds are configured ([`HistogramConfig::bounds`](crate::HistogramConfig::bounds);
//!   cumulative, without the implicit `+Inf`). Without configured bounds there are no classic
//!   buckets: the native ones say more. A sketch whose schema Prometheus refuses (coarser than
//!   -4, only possible after merging with such a sketch) is sent as a classic histogram at the
//!   text format's buckets instead;
//! - the windowed quantiles of [`Options::summaries`](super::Options::summaries) are gauges
//!   with a `quantile` label, so that a scraper stores the same series as from the text
//!   (a `Summary` message would add `_count` and `_sum` series that the text does not have);
//! - numbers are `double`s, so integers above 2^53 are rounded.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, export::{Options, Scrape, protobuf}};
//! let r = Registry::new();
//! r.counter("jobs.done").unwrap().add(2);
//! let body = protobuf::to_vec(&Scrape::of(&r), &Options::new());
//! // The first message: its length (one byte), then field 1 (the name, 15 bytes).
//! assert_eq!(&body[1..18], b"\x0a\x0fjobs_done_total");
//! ```

use super::model::{self, Family, Options, Sample, Scrape, Series, Type};
use super::native::NativeHistogram;
use super::text::push_f64;
use prost::Message as _;

/// The `Content-Type` of this format.
pub const CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// The messages of `io.prometheus.client` (client_model's `metrics.proto`, a proto2 file) that
/// the exposition uses, field for field. The deltas are packed: every protobuf parser reads
/// both forms of a repeated number, and packed takes half the bytes of proto2's default
/// (one byte for most deltas instead of two).
pub(crate) mod wire {
    /// `MetricType`: the values of `MetricFamily.type`.
    pub(crate) const COUNTER: i32 = 0;
    /// `MetricType.GAUGE`.
    pub(crate) const GAUGE: i32 = 1;
    /// `MetricType.HISTOGRAM`.
    pub(crate) const HISTOGRAM: i32 = 4;

    /// `MetricFamily`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct MetricFamily {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub help: String,
        #[prost(int32, tag = "3")]
        pub r#type: i32,
        #[prost(message, repeated, tag = "4")]
        pub metric: Vec<Metric>,
    }

    /// `Metric`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Metric {
        #[prost(message, repeated, tag = "1")]
        pub label: Vec<LabelPair>,
        #[prost(message, optional, tag = "2")]
        pub gauge: Option<Gauge>,
        #[prost(message, optional, tag = "3")]
        pub counter: Option<Counter>,
        #[prost(message, optional, tag = "7")]
        pub histogram: Option<Histogram>,
    }

    /// `LabelPair`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct LabelPair {
        #[prost(string, tag = "1")]
        pub name: String,
        #[prost(string, tag = "2")]
        pub value: String,
    }

    /// `Gauge`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Gauge {
        #[prost(double, tag = "1")]
        pub value: f64,
    }

    /// `Counter`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Counter {
        #[prost(double, tag = "1")]
        pub value: f64,
    }

    /// `Histogram`: classic buckets and the native (sparse exponential) form.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Histogram {
        #[prost(uint64, tag = "1")]
        pub sample_count: u64,
        #[prost(double, tag = "2")]
        pub sample_sum: f64,
        #[prost(message, repeated, tag = "3")]
        pub bucket: Vec<Bucket>,
        #[prost(sint32, tag = "5")]
        pub schema: i32,
        #[prost(double, tag = "6")]
        pub zero_threshold: f64,
        #[prost(uint64, tag = "7")]
        pub zero_count: u64,
        #[prost(message, repeated, tag = "12")]
        pub positive_span: Vec<BucketSpan>,
        #[prost(sint64, repeated, tag = "13")]
        pub positive_delta: Vec<i64>,
    }

    /// `Bucket`: a classic bucket, cumulative.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct Bucket {
        #[prost(uint64, tag = "1")]
        pub cumulative_count: u64,
        #[prost(double, tag = "2")]
        pub upper_bound: f64,
    }

    /// `BucketSpan`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(crate) struct BucketSpan {
        #[prost(sint32, tag = "1")]
        pub offset: i32,
        #[prost(uint32, tag = "2")]
        pub length: u32,
    }
}

fn label(name: &str, value: &str) -> wire::LabelPair {
    wire::LabelPair {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// The labels of `s` in the text's order (type label, the metric's own, then the companion's),
/// plus `extra`.
fn labels(s: &Series<'_>, extra: Option<(&str, &str)>) -> Vec<wire::LabelPair> {
    let mut out = Vec::with_capacity(s.keys.len() + 2);
    if let Some((k, v)) = &s.pre {
        out.push(label(k, v));
    }
    for (k, (_, v)) in s.keys.iter().zip(s.labels) {
        out.push(label(k, v));
    }
    if let Some((k, v)) = s.post {
        out.push(label(k, v));
    }
    if let Some((k, v)) = extra {
        out.push(label(k, v));
    }
    out
}

#[allow(
    clippy::cast_precision_loss,
    reason = "the format's numbers are doubles; the module docs say integers above 2^53 round"
)]
fn scalar(ty: Type, s: &Series<'_>, value: f64) -> wire::Metric {
    let (gauge, counter) = if ty == Type::Counter {
        (None, Some(wire::Counter { value }))
    } else {
        (Some(wire::Gauge { value }), None)
    };
    wire::Metric {
        label: labels(s, None),
        gauge,
        counter,
        histogram: None,
    }
}

/// The `Histogram` message of one series: native buckets from the sketch (classic ones at the
/// model's buckets if the sketch cannot be sent natively), classic ones only at configured
/// bounds.
fn histogram(buckets: &[(f64, u64)], sum: f64, h: &crate::HistogramSnapshot) -> wire::Histogram {
    let classic = |buckets: &[(f64, u64)]| {
        buckets
            .iter()
            .filter(|b| b.0 != f64::INFINITY)
            .map(|&(upper_bound, cumulative_count)| wire::Bucket {
                cumulative_count,
                upper_bound,
            })
            .collect()
    };
    let classic_count = buckets.last().map_or(0, |b| b.1);
    match NativeHistogram::from_sketch(&h.sketch, sum) {
        Ok(n) => wire::Histogram {
            sample_count: n.count,
            sample_sum: n.sum,
            bucket: if h.buckets.is_empty() {
                Vec::new()
            } else {
                classic(buckets)
            },
            schema: n.schema,
            zero_threshold: n.zero_threshold,
            zero_count: n.zero_count,
            positive_span: n
                .positive_spans
                .iter()
                .map(|s| wire::BucketSpan {
                    offset: s.offset,
                    length: s.length,
                })
                .collect(),
            positive_delta: n.positive_deltas,
        },
        Err(_) => wire::Histogram {
            sample_count: classic_count,
            sample_sum: sum,
            bucket: classic(buckets),
            ..wire::Histogram::default()
        },
    }
}

/// The `MetricFamily` message of one family of the model.
#[allow(
    clippy::cast_precision_loss,
    reason = "the format's numbers are doubles; the module docs say integers above 2^53 round"
)]
fn family(f: &Family<'_>) -> wire::MetricFamily {
    let (name, ty) = match f.ty {
        Type::Counter => (format!("{}_total", f.name), wire::COUNTER),
        Type::Gauge | Type::Summary => ((*f.name).to_owned(), wire::GAUGE),
        Type::Histogram => ((*f.name).to_owned(), wire::HISTOGRAM),
    };
    let mut metric = Vec::with_capacity(f.series.len());
    for s in &f.series {
        match &s.sample {
            Sample::Uint(n) => metric.push(scalar(f.ty, s, *n as f64)),
            Sample::Int(n) => metric.push(scalar(f.ty, s, *n as f64)),
            Sample::Float(v) => metric.push(scalar(f.ty, s, *v)),
            Sample::Histogram {
                buckets,
                sum,
                histogram: h,
            } => metric.push(wire::Metric {
                label: labels(s, None),
                histogram: Some(histogram(buckets, *sum, h)),
                ..wire::Metric::default()
            }),
            Sample::Summary(quantiles) => {
                for &(q, v) in quantiles {
                    let mut level = String::new();
                    push_f64(&mut level, q);
                    metric.push(wire::Metric {
                        label: labels(s, Some(("quantile", &level))),
                        gauge: Some(wire::Gauge { value: v }),
                        ..wire::Metric::default()
                    });
                }
            }
        }
    }
    wire::MetricFamily {
        name,
        help: f.help.clone().into_owned(),
        r#type: ty,
        metric,
    }
}

/// Appends the delimited `MetricFamily` messages of `scrape` to `out`, one per family, in the
/// text formats' order.
pub fn encode(scrape: &Scrape, opts: &Options, out: &mut Vec<u8>) {
    let m = model::build(scrape, *opts);
    for f in &m.families {
        let message = family(f);
        // A Vec grows as needed, so encoding into it cannot run out of room.
        let _ = message.encode_length_delimited(out);
    }
}

/// The protobuf exposition of `scrape`.
#[must_use]
pub fn to_vec(scrape: &Scrape, opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    encode(scrape, opts, &mut out);
    out
}

#[cfg(test)]
mod tests;
