//! The pure part of the sink: reports and snapshots to `ExportMetricsServiceRequest`s.

use super::proto::{
    AggregationTemporality, Buckets, ExponentialHistogram, ExponentialHistogramDataPoint,
    ExportMetricsServiceRequest, Gauge, Histogram, HistogramDataPoint, InstrumentationScope,
    KeyValue, Metric, NumberDataPoint, Resource, ResourceMetrics, ScopeMetrics, Sum, metric,
    number_data_point,
};
use crate::delta::{Rates, Report, ReportValue};
use metered_runtime_core::metric::histogram::ZERO_THRESHOLD;
use metered_runtime_core::snapshot::{MetricSnapshot, Value};
use metered_runtime_core::{Error, MetricKind, Result, Snapshot, Unit};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The instrumentation scope name every request carries.
pub const SCOPE_NAME: &str = "metered-runtime";

/// What sums and histograms cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Temporality {
    /// Each point covers everything since the series' start time, which stays fixed (the
    /// default, and what Prometheus-style receivers expect).
    #[default]
    Cumulative,
    /// Each point covers the interval since this sink's previous report (what StatsD-style
    /// backends and some vendors expect). Up-down counters stay cumulative (their delta is
    /// not kept), which OTLP allows per metric.
    Delta,
}

/// How histograms and timers are sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Histograms {
    /// As OTLP exponential histograms carrying our base-2 buckets as they are (the default):
    /// lossless, every bucket count and the zero bucket exact.
    Exponential {
        /// At most this many buckets per point: a wider histogram is sent at a coarser scale
        /// (each step halves the buckets and doubles their width, exactly, as a merge
        /// would). `None` (the default) sends the recording scale, 6.
        max_buckets: Option<usize>,
    },
    /// As explicit-bucket histograms at these upper bounds (increasing, finite). A histogram
    /// configured with bounds of its own is sent at those, with exact counts under
    /// cumulative temporality. Otherwise counts are read from the exponential buckets: a
    /// value within one bucket width (0.55 %) of a bound may be counted on the other side
    /// of it.
    Explicit {
        /// The upper bounds for histograms without bounds of their own.
        bounds: Vec<f64>,
    },
}

impl Default for Histograms {
    fn default() -> Self {
        Histograms::Exponential { max_buckets: None }
    }
}

/// What the OTLP sink sends: the resource, temporality, and how each kind is mapped.
///
/// ```
/// use metered_push::otlp::{Config, Histograms, Temporality};
/// let config = Config::new("checkout")
///     .resource_attribute("deployment.environment.name", "prod")
///     .resource_attribute("service.instance.id", "checkout-7f9c")
///     .temporality(Temporality::Delta)
///     .histograms(Histograms::Explicit { bounds: vec![0.005, 0.01, 0.1, 1.0] })
///     .rates(true);
/// assert_eq!(config.service_name(), "checkout");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    service_name: String,
    resource: Vec<(String, String)>,
    temporality: Temporality,
    histograms: Histograms,
    rates: bool,
    max_points: usize,
}

impl Config {
    /// Sends as the service `service_name` (the `service.name` resource attribute),
    /// cumulative, histograms exponential, no rate gauges.
    pub fn new(service_name: impl Into<String>) -> Self {
        Config {
            service_name: service_name.into(),
            resource: Vec::new(),
            temporality: Temporality::Cumulative,
            histograms: Histograms::default(),
            rates: false,
            max_points: 10_000,
        }
    }

    /// The `service.name` resource attribute.
    #[must_use]
    pub fn service_name(&self) -> &str {
        &self.service_name
    }

    /// Adds a resource attribute (string-valued), such as `service.instance.id`,
    /// `service.namespace`, `host.name` or `deployment.environment.name`. A later one with the
    /// same key replaces an earlier one; `service.name` is set by [`Config::new`] and
    /// replaced here too.
    #[must_use]
    pub fn resource_attribute(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let (key, value) = (key.into(), value.into());
        if key == "service.name" {
            self.service_name = value;
            return self;
        }
        self.resource.retain(|(k, _)| *k != key);
        self.resource.push((key, value));
        self
    }

    /// Cumulative (default) or delta temporality.
    #[must_use]
    pub fn temporality(mut self, temporality: Temporality) -> Self {
        self.temporality = temporality;
        self
    }

    /// Exponential (default) or explicit-bucket histograms.
    #[must_use]
    pub fn histograms(mut self, histograms: Histograms) -> Self {
        self.histograms = histograms;
        self
    }

    /// Also send the rates of meters and timers as gauges `<name>.mean_rate`, `.m1_rate`,
    /// `.m5_rate`, `.m15_rate` (unit events per second, `1/s`). Off by default: receivers
    /// compute rates from the sums themselves.
    #[must_use]
    pub fn rates(mut self, on: bool) -> Self {
        self.rates = on;
        self
    }

    /// At most this many data points per request (default 10,000; at least 1): a larger
    /// report is split into several requests, each with the resource and scope.
    #[must_use]
    pub fn max_points_per_request(mut self, points: usize) -> Self {
        self.max_points = points.max(1);
        self
    }

    fn check(&self) -> Result<()> {
        let invalid = |reason: String| Err(Error::InvalidConfig { reason });
        match &self.histograms {
            Histograms::Explicit { bounds } => {
                if bounds.iter().any(|b| !b.is_finite()) {
                    return invalid(format!(
                        "OTLP explicit bounds {bounds:?} are not all finite"
                    ));
                }
                if bounds.windows(2).any(|w| w[0] >= w[1]) {
                    return invalid(format!(
                        "OTLP explicit bounds {bounds:?} are not strictly increasing"
                    ));
                }
            }
            Histograms::Exponential {
                max_buckets: Some(0),
            } => return invalid("OTLP `max_buckets` must be at least 1".to_owned()),
            Histograms::Exponential { .. } => {}
        }
        Ok(())
    }
}

/// The OTLP encoder: turns each report of a [`Reporter`](crate::Reporter) (or any
/// [`DeltaState`](crate::delta::DeltaState) report with the snapshot it came from) into
/// requests, keeping the per-series start times of cumulative temporality. Pure: no I/O.
///
/// **Start times.** Under cumulative temporality a series' start time is fixed when the
/// encoder first sees it: the process' start time (read from `/proc` on Linux; elsewhere the
/// encoder's creation) for series in its first report, the previous report's time for a
/// series that appeared since (the registry had not created it at that snapshot, so nothing
/// was recorded before). A series that disappears and comes back is a new series with a new
/// start. Under delta temporality a point's start is the previous report's time.
///
/// ```
/// use metered_push::delta::DeltaState;
/// use metered_push::otlp::{Config, Encoder, proto::metric::Data};
/// use metered_runtime_core::Registry;
/// use std::time::SystemTime;
/// let r = Registry::new();
/// r.counter("app.requests").unwrap().add(3);
/// let mut state = DeltaState::new();
/// let mut enc = Encoder::new(Config::new("svc")).unwrap();
/// let snapshot = r.snapshot();
/// let report = state.report(&snapshot, SystemTime::now());
/// let requests = enc.encode(&report, &snapshot);
/// let metric = &requests[0].resource_metrics[0].scope_metrics[0].metrics[0];
/// assert_eq!(metric.name, "app.requests");
/// let Some(Data::Sum(sum)) = &metric.data else { panic!("a sum") };
/// assert!(sum.is_monotonic);
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    config: Config,
    resource: Resource,
    scope: InstrumentationScope,
    origin: u64,
    previous: Option<u64>,
    /// Start times by series, keyed by a hash of name and labels (the series themselves kept
    /// to tell hash collisions apart), with the number of the report that last saw them.
    starts: HashMap<u64, Vec<Known>>,
    reports: u64,
}

/// Nanoseconds since the Unix epoch (0 before it).
fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "seconds since 1970 as nanoseconds fit in u64 until 2554"
)]
fn process_start() -> Option<u64> {
    let s = metered_runtime_core::collector::ProcessStats::read().ok()?;
    (s.start_time_seconds.is_finite() && s.start_time_seconds > 0.0)
        .then_some((s.start_time_seconds * 1e9) as u64)
}

/// The UCUM unit of a metric: `s`, `By`, `1`, an annotation `{requests}`, or none.
#[must_use]
pub fn ucum(kind: MetricKind, unit: Unit) -> String {
    if kind == MetricKind::Timer {
        return "s".to_owned();
    }
    match unit {
        Unit::None => String::new(),
        Unit::Seconds => "s".to_owned(),
        Unit::Bytes => "By".to_owned(),
        Unit::Ratio => "1".to_owned(),
        other => format!("{{{}}}", other.as_str()),
    }
}

fn attributes(labels: &[(String, String)]) -> Vec<KeyValue> {
    labels
        .iter()
        .map(|(k, v)| KeyValue::string(k.as_str(), v.as_str()))
        .collect()
}

fn number(
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    value: number_data_point::Value,
) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        value: Some(value),
        flags: 0,
    }
}

fn int(v: u64) -> number_data_point::Value {
    number_data_point::Value::AsInt(i64::try_from(v).unwrap_or(i64::MAX))
}

/// The distribution to send: from the cumulative snapshot or the report's delta.
struct Dist<'a> {
    count: u64,
    sum: f64,
    min_max: Option<(f64, f64)>,
    schema: i32,
    zero: u64,
    buckets: &'a [(i32, u64)],
    /// Exact per-bucket counts at the histogram's own bounds (cumulative only).
    classic: &'a [(f64, u64)],
}

/// The geometric midpoint of bucket `index` at `schema` (our indexing: bucket `i` is
/// `(2^((i-1) / 2^schema), 2^(i / 2^schema)]`).
fn midpoint(schema: i32, index: i32) -> f64 {
    ((f64::from(index) - 0.5) * (-f64::from(schema)).exp2()).exp2()
}

/// The buckets at `schema - by`: bucket `i` goes to `ceil(i / 2^by)`, counts added.
fn downscale(buckets: &[(i32, u64)], by: u32) -> Vec<(i32, u64)> {
    let mut out: Vec<(i32, u64)> = Vec::with_capacity(buckets.len());
    let by = by.min(40);
    for &(i, c) in buckets {
        let j = (i64::from(i) + (1i64 << by) - 1) >> by;
        let j = i32::try_from(j).unwrap_or(i32::MAX);
        match out.last_mut() {
            Some((k, n)) if *k == j => *n += c,
            _ => out.push((j, c)),
        }
    }
    out
}

/// The number of buckets from the first to the last (inclusive).
fn span(buckets: &[(i32, u64)]) -> u64 {
    match (buckets.first(), buckets.last()) {
        (Some(&(a, _)), Some(&(b, _))) => {
            u64::try_from(i64::from(b) - i64::from(a) + 1).unwrap_or(0)
        }
        _ => 0,
    }
}

/// The coarsest scale OTLP allows.
const MIN_SCALE: i32 = -10;

fn exponential(
    d: &Dist<'_>,
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    max_buckets: Option<usize>,
) -> ExponentialHistogramDataPoint {
    let mut scale = d.schema;
    let mut coarser = None;
    if let Some(max) = max_buckets.map(|m| u64::try_from(m).unwrap_or(u64::MAX)) {
        let mut by = 0;
        let mut b = d.buckets.to_vec();
        while span(&b) > max && scale > MIN_SCALE {
            by += 1;
            scale -= 1;
            b = downscale(d.buckets, by);
        }
        if by > 0 {
            coarser = Some(b);
        }
    }
    let buckets = coarser.as_deref().unwrap_or(d.buckets);
    let positive = buckets.first().map(|&(first, _)| {
        let mut counts = vec![0u64; usize::try_from(span(buckets)).unwrap_or(0)];
        for &(i, c) in buckets {
            if let Some(slot) = usize::try_from(i64::from(i) - i64::from(first))
                .ok()
                .and_then(|j| counts.get_mut(j))
            {
                *slot = c;
            }
        }
        // OTLP's bucket `i` covers (base^i, base^(i+1)]; ours `i` covers
        // (2^((i-1)/2^s), 2^(i/2^s)]: the same bucket is OTLP's `i - 1`.
        Buckets {
            offset: first - 1,
            bucket_counts: counts,
        }
    });
    ExponentialHistogramDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        count: d.count,
        sum: Some(d.sum),
        scale,
        zero_count: d.zero,
        positive,
        negative: None,
        flags: 0,
        min: d.min_max.map(|m| m.0),
        max: d.min_max.map(|m| m.1),
        zero_threshold: ZERO_THRESHOLD,
    }
}

fn explicit(
    d: &Dist<'_>,
    attributes: Vec<KeyValue>,
    start: u64,
    time: u64,
    bounds: &[f64],
) -> HistogramDataPoint {
    let (bounds, counts) = if d.classic.is_empty() {
        let mut counts = vec![0u64; bounds.len() + 1];
        let slot = |v: f64| bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
        counts[slot(0.0)] += d.zero;
        for &(i, c) in d.buckets {
            counts[slot(midpoint(d.schema, i))] += c;
        }
        (bounds.to_vec(), counts)
    } else {
        // The histogram's own cumulative counts, `+Inf` last: per-bucket counts.
        let mut b = Vec::with_capacity(d.classic.len());
        let mut counts = Vec::with_capacity(d.classic.len());
        let mut below = 0;
        for &(bound, cumulative) in d.classic {
            if bound.is_finite() {
                b.push(bound);
            }
            counts.push(cumulative.saturating_sub(below));
            below = cumulative;
        }
        (b, counts)
    };
    HistogramDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: time,
        count: d.count,
        sum: Some(d.sum),
        bucket_counts: counts,
        explicit_bounds: bounds,
        flags: 0,
        min: d.min_max.map(|m| m.0),
        max: d.min_max.map(|m| m.1),
    }
}

/// The metrics of one report being built, in the snapshot's order, one per name.
#[derive(Default)]
struct Out {
    metrics: Vec<Metric>,
    by_name: HashMap<String, usize>,
}

impl Out {
    /// The data of the metric named `name`, made by `data` the first time.
    fn metric(
        &mut self,
        name: &str,
        description: &str,
        unit: &str,
        data: impl FnOnce() -> metric::Data,
    ) -> &mut metric::Data {
        // A family's children are consecutive: the last metric is the usual hit.
        let at = match self.metrics.last() {
            Some(m) if m.name == name => self.metrics.len() - 1,
            _ => {
                if let Some(&at) = self.by_name.get(name) {
                    at
                } else {
                    self.by_name.insert(name.to_owned(), self.metrics.len());
                    self.metrics.push(Metric {
                        name: name.to_owned(),
                        description: description.to_owned(),
                        unit: unit.to_owned(),
                        data: None,
                    });
                    self.metrics.len() - 1
                }
            }
        };
        self.metrics[at].data.get_or_insert_with(data)
    }
}

fn rates_unit(kind: MetricKind, unit: Unit) -> String {
    match unit {
        Unit::Other(s) if kind != MetricKind::Timer => format!("{{{s}}}/s"),
        _ => "1/s".to_owned(),
    }
}

/// One series' fixed start time.
#[derive(Debug, Clone)]
struct Known {
    name: String,
    labels: Vec<(String, String)>,
    start: u64,
    /// The number of the last report that had the series.
    seen: u64,
}

/// When and how one series' point is stamped.
#[derive(Clone, Copy)]
struct Stamp {
    /// The series' fixed start (cumulative points, up-down counters).
    fixed: u64,
    /// The start of this point (fixed, or the previous report's time under delta).
    start: u64,
    time: u64,
    /// Whether the encoder sees the series for the first time (a delta then covers
    /// everything since creation, so its min and max are exact).
    new: bool,
}

fn rates_of(s: &metered_runtime_core::MeterSnapshot) -> Rates {
    Rates {
        count: s.count,
        mean_rate: s.mean_rate,
        m1: s.m1,
        m5: s.m5,
        m15: s.m15,
    }
}

fn push_number(data: &mut metric::Data, p: NumberDataPoint) {
    match data {
        metric::Data::Sum(s) => s.data_points.push(p),
        metric::Data::Gauge(g) => g.data_points.push(p),
        metric::Data::Histogram(_) | metric::Data::ExponentialHistogram(_) => {}
    }
}

fn sum(monotonic: bool, temporality: AggregationTemporality) -> impl FnOnce() -> metric::Data {
    move || {
        metric::Data::Sum(Sum {
            data_points: Vec::new(),
            aggregation_temporality: temporality as i32,
            is_monotonic: monotonic,
        })
    }
}

fn gauge() -> metric::Data {
    metric::Data::Gauge(Gauge {
        data_points: Vec::new(),
    })
}

impl Encoder {
    /// An encoder for `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for explicit bounds that are not finite and strictly
    /// increasing, or `max_buckets` of 0.
    pub fn new(config: Config) -> Result<Self> {
        config.check()?;
        let mut attrs = vec![KeyValue::string(
            "service.name",
            config.service_name.as_str(),
        )];
        attrs.extend(attributes(&config.resource));
        Ok(Encoder {
            resource: Resource {
                attributes: attrs,
                dropped_attributes_count: 0,
            },
            scope: InstrumentationScope {
                name: SCOPE_NAME.to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
                attributes: Vec::new(),
                dropped_attributes_count: 0,
            },
            origin: process_start().unwrap_or_else(|| nanos(SystemTime::now())),
            previous: None,
            starts: HashMap::new(),
            reports: 0,
            config,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The start time given to series of the first report (the process' start, or the
    /// encoder's creation), in nanoseconds since the Unix epoch.
    #[must_use]
    pub fn origin(&self) -> u64 {
        self.origin
    }

    /// Encodes `report` (made from `snapshot`) as requests of at most
    /// [`max_points_per_request`](Config::max_points_per_request) data points each (none when
    /// there is nothing to send). Cumulative values come from `snapshot`, delta values from
    /// `report`; metrics that could not be read ([`Value::Error`]) are left out.
    pub fn encode(
        &mut self,
        report: &Report,
        snapshot: &Snapshot,
    ) -> Vec<super::proto::ExportMetricsServiceRequest> {
        let time = nanos(report.time);
        let first_start = self.previous.unwrap_or(self.origin);
        let delta_start = report.previous.map_or(self.origin, nanos);
        let cumulative = self.config.temporality == Temporality::Cumulative;
        self.reports += 1;
        let mut out = Out::default();
        for (i, m) in snapshot.metrics().iter().enumerate() {
            // The report lists the snapshot's metrics in its order.
            let delta = report
                .metrics
                .get(i)
                .filter(|r| !cumulative && r.name == m.name && r.labels == m.labels)
                .map(|r| &r.value);
            let (fixed, known) = self.start_of(m, first_start);
            let stamp = Stamp {
                fixed,
                start: if delta.is_some() { delta_start } else { fixed },
                time,
                new: !known,
            };
            self.metric(&mut out, m, delta, stamp);
        }
        // Series gone from the registry are forgotten: back, they are new series.
        let seen = self.reports;
        self.starts.retain(|_, v| {
            v.retain(|s| s.seen == seen);
            !v.is_empty()
        });
        self.previous = Some(time);
        self.requests(out.metrics)
    }

    /// The fixed start of `m`'s series (`first` if it is new, then kept), and whether it was
    /// known. Allocates only for a new series.
    fn start_of(&mut self, m: &MetricSnapshot, first: u64) -> (u64, bool) {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        m.name.hash(&mut h);
        m.labels.hash(&mut h);
        let bucket = self.starts.entry(h.finish()).or_default();
        let seen = self.reports;
        if let Some(s) = bucket
            .iter_mut()
            .find(|s| s.name == m.name && s.labels == m.labels)
        {
            s.seen = seen;
            return (s.start, true);
        }
        bucket.push(Known {
            name: m.name.clone(),
            labels: m.labels.clone(),
            start: first,
            seen,
        });
        (first, false)
    }

    fn metric(&self, out: &mut Out, m: &MetricSnapshot, delta: Option<&ReportValue>, at: Stamp) {
        let temporality = if delta.is_some() {
            AggregationTemporality::Delta
        } else {
            AggregationTemporality::Cumulative
        };
        let unit = ucum(m.kind, m.unit);
        let attrs = || attributes(&m.labels);
        let (name, help) = (m.name.as_str(), m.help.as_str());
        let mut rates = None;
        match &m.value {
            Value::Counter(c) => {
                let v = match delta {
                    Some(ReportValue::Counter(d)) => *d,
                    _ => *c,
                };
                let data = out.metric(name, help, &unit, sum(true, temporality));
                push_number(data, number(attrs(), at.start, at.time, int(v)));
            }
            Value::FloatCounter(c) => {
                let v = match delta {
                    Some(ReportValue::FloatCounter(d)) => *d,
                    _ => *c,
                };
                let data = out.metric(name, help, &unit, sum(true, temporality));
                let v = number_data_point::Value::AsDouble(v);
                push_number(data, number(attrs(), at.start, at.time, v));
            }
            Value::Gauge(g) => {
                let data = out.metric(name, help, &unit, gauge);
                let v = number_data_point::Value::AsInt(*g);
                push_number(data, number(attrs(), 0, at.time, v));
            }
            Value::UpDownCounter(g) => {
                // Always cumulative: the report keeps no delta of an up-down counter.
                let cumulative = AggregationTemporality::Cumulative;
                let data = out.metric(name, help, &unit, sum(false, cumulative));
                let v = number_data_point::Value::AsInt(*g);
                push_number(data, number(attrs(), at.fixed, at.time, v));
            }
            Value::FloatGauge(g) => {
                let data = out.metric(name, help, &unit, gauge);
                let v = number_data_point::Value::AsDouble(*g);
                push_number(data, number(attrs(), 0, at.time, v));
            }
            Value::Meter(s) => {
                let r = match delta {
                    Some(ReportValue::Meter(r)) => *r,
                    _ => rates_of(s),
                };
                let data = out.metric(name, help, &unit, sum(true, temporality));
                push_number(data, number(attrs(), at.start, at.time, int(r.count)));
                rates = Some(r);
            }
            Value::Histogram(h) => self.histogram(out, m, h, delta, temporality, at),
            Value::Timer(t) => {
                self.histogram(out, m, &t.histogram, delta, temporality, at);
                rates = Some(rates_of(&t.rates));
            }
            // A metric that could not be read (`Value::Error`) is left out, as every push
            // encoder does. `Value` is non-exhaustive: a kind added later needs an arm here.
            _ => {}
        }
        if let (true, Some(r)) = (self.config.rates, rates) {
            let unit = rates_unit(m.kind, m.unit);
            for (suffix, v) in r.named() {
                let data = out.metric(&format!("{name}.{suffix}"), "", &unit, gauge);
                let v = number_data_point::Value::AsDouble(v);
                push_number(data, number(attrs(), 0, at.time, v));
            }
        }
    }

    fn histogram(
        &self,
        out: &mut Out,
        m: &MetricSnapshot,
        h: &metered_runtime_core::HistogramSnapshot,
        delta: Option<&ReportValue>,
        temporality: AggregationTemporality,
        at: Stamp,
    ) {
        let dist = match delta {
            Some(ReportValue::Histogram(d) | ReportValue::Timer(d, _)) => Dist {
                count: d.count,
                sum: d.sum,
                // Later deltas' min and max are bucket edges, not values: left out.
                min_max: (at.new && d.count > 0).then_some((d.min, d.max)),
                schema: d.schema(),
                zero: d.zero_count(),
                buckets: d.buckets(),
                classic: &[],
            },
            _ => Dist {
                count: h.count,
                sum: h.sum,
                min_max: (h.count > 0).then_some((h.min, h.max)),
                schema: h.sketch.schema(),
                zero: h.sketch.zero_count(),
                buckets: h.sketch.buckets(),
                classic: &h.buckets,
            },
        };
        let unit = ucum(m.kind, m.unit);
        let attrs = attributes(&m.labels);
        let t = temporality as i32;
        match &self.config.histograms {
            Histograms::Exponential { max_buckets } => {
                let data = out.metric(&m.name, &m.help, &unit, || {
                    metric::Data::ExponentialHistogram(ExponentialHistogram {
                        data_points: Vec::new(),
                        aggregation_temporality: t,
                    })
                });
                if let metric::Data::ExponentialHistogram(e) = data {
                    let p = exponential(&dist, attrs, at.start, at.time, *max_buckets);
                    e.data_points.push(p);
                }
            }
            Histograms::Explicit { bounds } => {
                let data = out.metric(&m.name, &m.help, &unit, || {
                    metric::Data::Histogram(Histogram {
                        data_points: Vec::new(),
                        aggregation_temporality: t,
                    })
                });
                if let metric::Data::Histogram(e) = data {
                    e.data_points
                        .push(explicit(&dist, attrs, at.start, at.time, bounds));
                }
            }
        }
    }

    /// The metrics as requests of at most `max_points` data points, a metric's points split
    /// across requests where needed.
    fn requests(&self, metrics: Vec<Metric>) -> Vec<ExportMetricsServiceRequest> {
        let max = self.config.max_points;
        let mut requests = Vec::new();
        let mut batch: Vec<Metric> = Vec::new();
        let mut points = 0;
        for mut m in metrics {
            loop {
                let n = points_of(&m);
                if points + n <= max {
                    points += n;
                    batch.push(m);
                    break;
                }
                let (head, rest) = split(m, max - points);
                if let Some(h) = head {
                    batch.push(h);
                }
                requests.push(self.request(std::mem::take(&mut batch)));
                points = 0;
                m = rest;
            }
        }
        if !batch.is_empty() {
            requests.push(self.request(batch));
        }
        requests
    }

    fn request(&self, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
        ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: Some(self.resource.clone()),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(self.scope.clone()),
                    metrics,
                    schema_url: String::new(),
                }],
                schema_url: String::new(),
            }],
        }
    }
}

fn points_of(m: &Metric) -> usize {
    match &m.data {
        Some(metric::Data::Sum(s)) => s.data_points.len(),
        Some(metric::Data::Gauge(g)) => g.data_points.len(),
        Some(metric::Data::Histogram(h)) => h.data_points.len(),
        Some(metric::Data::ExponentialHistogram(e)) => e.data_points.len(),
        None => 0,
    }
}

/// The first `n` points of `m` (`None` for 0) and the rest.
fn split(mut m: Metric, n: usize) -> (Option<Metric>, Metric) {
    fn cut<T>(points: &mut Vec<T>, n: usize) -> Vec<T> {
        let rest = points.split_off(n.min(points.len()));
        std::mem::replace(points, rest)
    }
    if n == 0 {
        return (None, m);
    }
    let data = match &mut m.data {
        Some(metric::Data::Sum(s)) => Some(metric::Data::Sum(Sum {
            data_points: cut(&mut s.data_points, n),
            ..*s
        })),
        Some(metric::Data::Gauge(g)) => Some(metric::Data::Gauge(Gauge {
            data_points: cut(&mut g.data_points, n),
        })),
        Some(metric::Data::Histogram(h)) => Some(metric::Data::Histogram(Histogram {
            data_points: cut(&mut h.data_points, n),
            ..*h
        })),
        Some(metric::Data::ExponentialHistogram(e)) => {
            Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: cut(&mut e.data_points, n),
                ..*e
            }))
        }
        None => None,
    };
    let head = Metric {
        name: m.name.clone(),
        description: m.description.clone(),
        unit: m.unit.clone(),
        data,
    };
    (Some(head), m)
}
