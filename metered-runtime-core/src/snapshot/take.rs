//! Taking a snapshot: every metric of a registry read now.

use super::model::{Exported, MetricSnapshot, Snapshot, Value};
use crate::registry::{Entry, MetricRef, Registry};
use std::sync::Arc;

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
    /// [`Value::Error`] and the snapshot goes on. Collectors run (or their cached result is
    /// reused) and their families are listed with the registered ones, sorted by name; see
    /// [`collector`](crate::collector).
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot_of(&self.metrics())
    }

    /// The snapshot of `entries` (registered metrics, sorted by name) and of the collectors.
    pub(crate) fn snapshot_of(&self, entries: &[Entry]) -> Snapshot {
        let mut metrics = Vec::new();
        let mut exported = Vec::new();
        for e in entries {
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
        let mut collected = self.collected();
        if !collected.is_empty() {
            let mut all: Vec<(MetricSnapshot, Exported)> =
                metrics.into_iter().zip(exported).collect();
            all.append(&mut collected);
            // Stable: a family's children keep their order.
            all.sort_by(|a, b| a.0.name.cmp(&b.0.name));
            (metrics, exported) = all.into_iter().unzip();
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
