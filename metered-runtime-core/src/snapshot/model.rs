//! What a snapshot holds: every metric's value at one moment, and the family each is exported in.

use crate::descriptor::TypeLabel;
use crate::metric::histogram::HistogramSnapshot;
use crate::metric::meter::MeterSnapshot;
use crate::metric::timer::TimerSnapshot;
use crate::metric::{MetricKind, Unit};

use std::sync::Arc;

/// The value of one metric at the moment of the snapshot.
///
/// Each kind reads as a variant of its own, except [`FnGauge`](crate::FnGauge): a function
/// gauge is a floating-point gauge whose value is computed when it is read, and no format
/// exports the two differently, so its result is a [`Value::FloatGauge`] (or a
/// [`Value::Error`]); [`MetricSnapshot::kind`] still tells them apart. An up-down counter has
/// its own variant although it holds an integer as a gauge does, because formats tell them
/// apart (OpenTelemetry exports it as a non-monotonic sum, a gauge as a gauge).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A counter's count.
    Counter(u64),
    /// A counter of fractional amounts, finite and not negative: only collectors yield it
    /// ([`Collection::float_counter`](crate::collector::Collection::float_counter)), for
    /// totals kept as fractions, such as CPU seconds at the clock tick's resolution. Its
    /// [`MetricSnapshot::kind`] is [`MetricKind::Counter`].
    FloatCounter(f64),
    /// An integer gauge's value.
    Gauge(i64),
    /// An up-down counter's value.
    UpDownCounter(i64),
    /// A floating-point gauge's value, or a function gauge's result.
    FloatGauge(f64),
    /// A meter's count and rates.
    Meter(MeterSnapshot),
    /// A histogram's statistics.
    Histogram(HistogramSnapshot),
    /// A timer's rates and statistics (durations in seconds).
    Timer(TimerSnapshot),
    /// The metric could not be read: a function gauge that panicked or returned NaN.
    Error(String),
}

/// One metric (or one child of a labelled family) in a [`Snapshot`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSnapshot {
    /// The full dotted name (the family's name for a family child).
    pub name: String,
    /// The kind.
    pub kind: MetricKind,
    /// Help text (`""` if none).
    pub help: String,
    /// Unit.
    pub unit: Unit,
    /// Labels: constant labels of a declared metric, or a family child's label values.
    pub labels: Vec<(String, String)>,
    /// Whether this is a child of a labelled family.
    pub from_family: bool,
    /// How to export it as a family labelled by type, if declared so.
    pub type_label: Option<TypeLabel>,
    /// The value.
    pub value: Value,
}

/// Every metric of a registry at one moment, sorted by name (family children by label values).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, snapshot::Value};
/// let r = Registry::new();
/// r.counter("app.requests").unwrap().add(3);
/// r.gauge("app.queue.depth").unwrap().set(7);
/// let s = r.snapshot();
/// assert_eq!(s.metrics()[0].name, "app.queue.depth");
/// assert_eq!(s.get("app.requests").unwrap().value, Value::Counter(3));
/// assert_eq!(s.to_json(), r#"{"app":{"queue":{"depth":{"value":7}},"requests":{"value":3}}}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub(super) metrics: Vec<MetricSnapshot>,
    /// For each of `metrics`, the family it is exported in.
    pub(super) exported: Vec<Exported>,
}

/// The family a metric of a snapshot is exported in, as the registry computed it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Exported {
    pub(super) exposition: Arc<str>,
    pub(super) keys: Arc<[String]>,
}

impl Snapshot {
    /// Every metric.
    #[must_use]
    pub fn metrics(&self) -> &[MetricSnapshot] {
        &self.metrics
    }

    /// The first metric named `name` (for a family, its first child).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&MetricSnapshot> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

#[cfg(all(test, any(feature = "prometheus", feature = "openmetrics")))]
impl Snapshot {
    /// A snapshot built by hand, for tests of the encoders' defences against snapshots that
    /// did not come from one registry: each metric with the exposition name and the label keys
    /// it is exported under, taken as given.
    pub(crate) fn from_parts(parts: Vec<(MetricSnapshot, &str, &[&str])>) -> Snapshot {
        let (metrics, exported) = parts
            .into_iter()
            .map(|(m, exposition, keys)| {
                let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
                let exported = Exported {
                    exposition: exposition.into(),
                    keys: keys.into(),
                };
                (m, exported)
            })
            .unzip();
        Snapshot { metrics, exported }
    }
}
