//! Point-in-time snapshots of a registry, and their nested view (tapes' `get_stats()` shape).

use crate::descriptor::TypeLabel;
use crate::metric::histogram::HistogramSnapshot;
use crate::metric::meter::MeterSnapshot;
use crate::metric::timer::TimerSnapshot;
use crate::metric::{MetricKind, Unit};
use crate::registry::{MetricRef, Registry};

use std::sync::Arc;

mod tree;
mod visit;

pub use tree::Node;
pub use visit::{FamilyHeader, FamilySnapshot, Series, Visit};

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
    metrics: Vec<MetricSnapshot>,
    /// For each of `metrics`, the family it is exported in.
    exported: Vec<Exported>,
}

/// The family a metric of a snapshot is exported in, as the registry computed it.
#[derive(Debug, Clone, PartialEq)]
struct Exported {
    exposition: Arc<str>,
    keys: Arc<[String]>,
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

fn value_of(m: &MetricRef) -> Value {
    match m {
        MetricRef::Counter(c) => Value::Counter(c.get()),
        MetricRef::Gauge(g) => Value::Gauge(g.get()),
        MetricRef::UpDownCounter(c) => Value::UpDownCounter(c.get()),
        MetricRef::FloatGauge(g) => Value::FloatGauge(g.get()),
        MetricRef::FnGauge(g) => match g.get() {
            Ok(v) => Value::FloatGauge(v),
            Err(e) => Value::Error(e.to_string()),
        },
        MetricRef::Meter(m) => Value::Meter(m.snapshot()),
        MetricRef::Histogram(h) => Value::Histogram(h.snapshot()),
        MetricRef::Timer(t) => Value::Timer(t.snapshot()),
        MetricRef::Family(_) => Value::Error("a family has no single value".into()),
    }
}

impl Registry {
    /// Reads every metric now. Function gauges are evaluated; one that panics gives a
    /// [`Value::Error`] and the snapshot goes on.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let mut metrics = Vec::new();
        let mut exported = Vec::new();
        for e in self.metrics() {
            let (exposition, exposition_keys) = e.exported();
            let base = MetricSnapshot {
                name: e.name().to_owned(),
                kind: e.kind(),
                help: e.help().to_owned(),
                unit: e.unit(),
                labels: e.labels().to_vec(),
                from_family: false,
                type_label: e.type_label(),
                value: Value::Counter(0),
            };
            if let MetricRef::Family(f) = e.metric() {
                let keys = f.keys().to_vec();
                for (values, child) in f.children() {
                    let mut labels = base.labels.clone();
                    labels.extend(keys.iter().cloned().zip(values));
                    metrics.push(MetricSnapshot {
                        labels,
                        from_family: true,
                        value: value_of(&child),
                        ..base.clone()
                    });
                    exported.push(Exported {
                        exposition: Arc::clone(&exposition),
                        keys: Arc::clone(&exposition_keys),
                    });
                }
            } else {
                metrics.push(MetricSnapshot {
                    value: value_of(e.metric()),
                    ..base
                });
                exported.push(Exported {
                    exposition,
                    keys: exposition_keys,
                });
            }
        }
        Snapshot { metrics, exported }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected values are exact")]
mod tests {
    use super::*;

    #[test]
    fn broken_fn_gauge_is_an_error_value_not_a_crash() {
        let r = Registry::new();
        r.fn_gauge("svc.temp", || panic!("sensor gone")).unwrap();
        r.fn_gauge("svc.nan", || f64::NAN).unwrap();
        r.counter("svc.ok").unwrap().inc();
        let s = r.snapshot();
        assert_eq!(
            s.get("svc.temp").unwrap().value,
            Value::Error("gauge function rejects the value (panicked: sensor gone)".into())
        );
        assert_eq!(
            s.get("svc.nan").unwrap().value,
            Value::Error("gauge function rejects the value NaN".into())
        );
        assert_eq!(s.get("svc.ok").unwrap().value, Value::Counter(1));
        let json = s.to_json();
        // A strict JSON reader (no NaN, no infinities) accepts it.
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["svc"]["ok"]["value"], 1);
    }
}
