//! Per-sink delta state: what a sink sent last, and the [`Report`] of what changed since.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::Registry;
//! use metered_runtime::push::delta::{DeltaState, ReportValue};
//! use std::time::SystemTime;
//! let r = Registry::new();
//! let c = r.counter("app.requests").unwrap();
//! let mut state = DeltaState::new();
//! c.add(5);
//! let first_snapshot = r.snapshot();
//! let first = state.report(&first_snapshot, SystemTime::now());
//! assert_eq!(first.get("app.requests").unwrap().value, ReportValue::Counter(5));
//! c.add(2);
//! let second_snapshot = r.snapshot();
//! let second = state.report(&second_snapshot, SystemTime::now());
//! assert_eq!(second.get("app.requests").unwrap().value, ReportValue::Counter(2));
//! ```

use crate::metric::MetricKind;
use crate::metric::histogram::{HistogramSnapshot, bucket_edges, nearest_rank};
use crate::snapshot::{Snapshot, Value};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::time::SystemTime;

/// What changed since the previous report of one [`DeltaState`].
///
/// It borrows the names and labels of the snapshot it was made from: a report costs no copy
/// of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Report<'a> {
    /// When the snapshot was taken.
    pub time: SystemTime,
    /// When the previous report of this state was taken (`None` for the first).
    pub previous: Option<SystemTime>,
    /// Every metric of the snapshot, in the snapshot's order.
    pub metrics: Vec<ReportMetric<'a>>,
}

impl<'a> Report<'a> {
    /// The first metric named `name` (for a family, its first child).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ReportMetric<'a>> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// One metric (or one family child) of a [`Report`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMetric<'a> {
    /// The full dotted name.
    pub name: &'a str,
    /// The kind.
    pub kind: MetricKind,
    /// Labels: constant labels, then a family child's label values.
    pub labels: &'a [(String, String)],
    /// What to send.
    pub value: ReportValue,
}

/// The value of a metric in a [`Report`].
#[derive(Debug, Clone, PartialEq)]
pub enum ReportValue {
    /// A counter's increment since the previous report (the whole count if it went down, as
    /// after a reset).
    Counter(u64),
    /// A fractional counter's increment since the previous report (a collector's
    /// `float_counter`, such as CPU seconds; the whole value if it went down).
    FloatCounter(f64),
    /// An integer gauge's or up-down counter's current value.
    Gauge(i64),
    /// A floating-point gauge's current value (a function gauge's result).
    FloatGauge(f64),
    /// A meter: its increment and its current rates.
    Meter(Rates),
    /// A histogram: the distribution recorded since the previous report.
    Histogram(Distribution),
    /// A timer: durations (seconds) recorded since the previous report, and its rates.
    Timer(Distribution, Rates),
    /// The metric could not be read.
    Error(String),
}

/// A meter's (or timer's) increment since the previous report and its current rates (events
/// per second).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Events since the previous report.
    pub count: u64,
    /// Mean rate since the meter started.
    pub mean_rate: f64,
    /// One-minute rate.
    pub m1: f64,
    /// Five-minute rate.
    pub m5: f64,
    /// Fifteen-minute rate.
    pub m15: f64,
}

impl Rates {
    /// The rates under the names every push encoder sends them with: `mean_rate`, `m1_rate`,
    /// `m5_rate`, `m15_rate`.
    #[must_use]
    pub fn named(&self) -> [(&'static str, f64); 4] {
        [
            ("mean_rate", self.mean_rate),
            ("m1_rate", self.m1),
            ("m5_rate", self.m5),
            ("m15_rate", self.m15),
        ]
    }
}

/// The values recorded between two reports, from the difference of the histogram's cumulative
/// bucket counts.
///
/// `count` and `sum` are exact. `min` and `max` are exact for the first report (everything
/// since creation); later they are the edges of the lowest and highest bucket that changed
/// (within 1 %), clamped into the histogram's exact lifetime range. Quantiles are nearest-rank
/// estimates over the changed buckets, as the histogram's own are over its window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    /// Values recorded in the interval.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest (see above; 0 when empty).
    pub min: f64,
    /// The largest (see above; 0 when empty).
    pub max: f64,
    /// The sketch's schema, which the bucket indices are at.
    schema: i32,
    zero: u64,
    buckets: Vec<(i32, u64)>,
}

impl Distribution {
    /// The statistics every push encoder sends, under their names: `sum`, `mean`, `min`,
    /// `max` and the quantiles `p50`, `p75`, `p95`, `p99`, `p999`.
    #[must_use]
    pub fn statistics(&self) -> [(&'static str, f64); 9] {
        [
            ("sum", self.sum),
            ("mean", self.mean()),
            ("min", self.min),
            ("max", self.max),
            ("p50", self.quantile(0.5)),
            ("p75", self.quantile(0.75)),
            ("p95", self.quantile(0.95)),
            ("p99", self.quantile(0.99)),
            ("p999", self.quantile(0.999)),
        ]
    }

    /// The schema the [`buckets`](Self::buckets) are at (as [`Sketch::schema`](crate::Sketch::schema)).
    #[must_use]
    pub fn schema(&self) -> i32 {
        self.schema
    }

    /// Values of the interval in the zero bucket (as [`Sketch::zero_count`](crate::Sketch::zero_count)).
    #[must_use]
    pub fn zero_count(&self) -> u64 {
        self.zero
    }

    /// The interval's non-empty positive buckets as `(index, count)`, by increasing index, in
    /// the indexing of [`Sketch::buckets`](crate::Sketch::buckets): with
    /// [`zero_count`](Self::zero_count) they add up to `count`, so exponential-histogram
    /// exports of deltas are lossless.
    #[must_use]
    pub fn buckets(&self) -> &[(i32, u64)] {
        &self.buckets
    }

    /// `sum / count` (0 when empty).
    #[must_use]
    #[allow(clippy::cast_precision_loss, reason = "a count below 2^53")]
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }

    /// The nearest-rank estimate of quantile `q` in `[0, 1]` over the interval: the geometric midpoint of
    /// the bucket holding that rank, clamped into `[min, max]`; 0 when empty.
    #[must_use]
    pub fn quantile(&self, q: f64) -> f64 {
        let n = self.zero + self.buckets.iter().map(|&(_, c)| c).sum::<u64>();
        if n == 0 {
            return 0.0;
        }
        let rank = nearest_rank(q, n);
        let mut seen = self.zero;
        if rank <= seen {
            return 0.0_f64.clamp(self.min, self.max);
        }
        for &(i, c) in &self.buckets {
            seen += c;
            if seen >= rank {
                let (l, u) = bucket_edges(self.schema, i);
                return (l * u).sqrt().clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[derive(Debug, Clone)]
enum Last {
    Count(u64),
    Float(f64),
    Dist {
        count: u64,
        sum: f64,
        zero: u64,
        buckets: Vec<(i32, u64)>,
    },
}

/// What one sink sent last, per metric. Each sink keeps its own, so two sinks at different
/// intervals each send exactly what happened since their own previous report.
///
/// A report looks each metric up by a hash of its name and labels, compared by reference: the
/// state copies a metric's name and labels once, when it first sees it, not on every report.
#[derive(Debug, Clone, Default)]
pub struct DeltaState {
    /// Per hash of (name, labels), the metrics of that hash (almost always one).
    last: HashMap<u64, Vec<Seen>>,
    hasher: RandomState,
    /// Reports made so far: a metric not seen in the latest one is forgotten.
    generation: u64,
    previous: Option<SystemTime>,
}

/// One metric a [`DeltaState`] keeps.
#[derive(Debug, Clone)]
struct Seen {
    name: String,
    labels: Vec<(String, String)>,
    /// What was sent last (`None` while taken by the report in progress).
    last: Option<Last>,
    /// The report that saw it last.
    generation: u64,
}

impl DeltaState {
    /// A state that has sent nothing: its first report holds everything since creation.
    #[must_use]
    pub fn new() -> Self {
        DeltaState::default()
    }

    /// The hash of a metric's identity.
    fn key(&self, name: &str, labels: &[(String, String)]) -> u64 {
        let mut h = self.hasher.build_hasher();
        name.hash(&mut h);
        labels.hash(&mut h);
        h.finish()
    }

    /// What was sent last for (name, labels), taken out, unless this report has seen that
    /// metric already (a snapshot listing it twice: the second counts from nothing, as a
    /// metric seen for the first time).
    fn take(&mut self, key: u64, name: &str, labels: &[(String, String)]) -> Option<Last> {
        let generation = self.generation;
        let seen = self
            .last
            .get_mut(&key)?
            .iter_mut()
            .find(|s| s.name == name && s.labels == labels)?;
        if seen.generation == generation {
            return None;
        }
        seen.last.take()
    }

    /// Keeps `keep` as what was sent for (name, labels) in this report.
    fn keep(&mut self, key: u64, name: &str, labels: &[(String, String)], keep: Last) {
        let generation = self.generation;
        let entries = self.last.entry(key).or_default();
        if let Some(seen) = entries
            .iter_mut()
            .find(|s| s.name == name && s.labels == labels)
        {
            seen.last = Some(keep);
            seen.generation = generation;
        } else {
            entries.push(Seen {
                name: name.to_owned(),
                labels: labels.to_vec(),
                last: Some(keep),
                generation,
            });
        }
    }

    /// The report of `snapshot` (taken at `time`) against this state's previous report, which
    /// it then replaces. Metrics gone from the registry are forgotten.
    pub fn report<'a>(&mut self, snapshot: &'a Snapshot, time: SystemTime) -> Report<'a> {
        self.generation = self.generation.wrapping_add(1);
        let mut metrics = Vec::with_capacity(snapshot.metrics().len());
        for m in snapshot.metrics() {
            let key = self.key(&m.name, &m.labels);
            let last = self.take(key, &m.name, &m.labels);
            let (value, keep) = match &m.value {
                Value::Counter(c) => (
                    ReportValue::Counter(count_delta(*c, last.as_ref())),
                    Some(Last::Count(*c)),
                ),
                Value::FloatCounter(c) => {
                    let delta = match last {
                        Some(Last::Float(before)) if before <= *c => c - before,
                        _ => *c,
                    };
                    (ReportValue::FloatCounter(delta), Some(Last::Float(*c)))
                }
                Value::Gauge(g) | Value::UpDownCounter(g) => (ReportValue::Gauge(*g), None),
                Value::FloatGauge(g) => (ReportValue::FloatGauge(*g), None),
                Value::Meter(s) => (
                    ReportValue::Meter(Rates {
                        count: count_delta(s.count, last.as_ref()),
                        mean_rate: s.mean_rate,
                        m1: s.m1,
                        m5: s.m5,
                        m15: s.m15,
                    }),
                    Some(Last::Count(s.count)),
                ),
                Value::Histogram(h) => {
                    let (d, keep) = distribution(h, last.as_ref());
                    (ReportValue::Histogram(d), Some(keep))
                }
                Value::Timer(t) => {
                    let (d, keep) = distribution(&t.histogram, last.as_ref());
                    let r = &t.rates;
                    let rates = Rates {
                        count: d.count,
                        mean_rate: r.mean_rate,
                        m1: r.m1,
                        m5: r.m5,
                        m15: r.m15,
                    };
                    (ReportValue::Timer(d, rates), Some(keep))
                }
                Value::Error(e) => (ReportValue::Error(e.clone()), None),
            };
            if let Some(keep) = keep {
                self.keep(key, &m.name, &m.labels, keep);
            }
            metrics.push(ReportMetric {
                name: &m.name,
                kind: m.kind,
                labels: &m.labels,
                value,
            });
        }
        let generation = self.generation;
        self.last.retain(|_, entries| {
            entries.retain(|s| s.generation == generation && s.last.is_some());
            !entries.is_empty()
        });
        let previous = self.previous.replace(time);
        Report {
            time,
            previous,
            metrics,
        }
    }
}

fn count_delta(now: u64, last: Option<&Last>) -> u64 {
    match last {
        Some(Last::Count(before)) if *before <= now => now - before,
        _ => now,
    }
}

fn distribution(h: &HistogramSnapshot, last: Option<&Last>) -> (Distribution, Last) {
    let sketch = &h.sketch;
    let keep = Last::Dist {
        count: h.count,
        sum: h.sum,
        zero: sketch.zero_count(),
        buckets: sketch.buckets().to_vec(),
    };
    let schema = sketch.schema();
    let base = match last {
        // A histogram whose count went down was replaced or reset: start again from nothing.
        Some(Last::Dist {
            count,
            sum,
            zero,
            buckets,
        }) if *count <= h.count => Some((*count, *sum, *zero, buckets.as_slice())),
        _ => None,
    };
    let Some((count, sum, zero, old)) = base else {
        let d = Distribution {
            count: h.count,
            sum: h.sum,
            min: h.min,
            max: h.max,
            schema,
            zero: sketch.zero_count(),
            buckets: sketch.buckets().to_vec(),
        };
        return (d, keep);
    };
    let mut buckets = Vec::new();
    let mut b = old.iter().peekable();
    for &(i, c) in sketch.buckets() {
        while b.next_if(|&&(j, _)| j < i).is_some() {}
        let before = b.next_if(|&&(j, _)| j == i).map_or(0, |&(_, c)| c);
        if c > before {
            buckets.push((i, c - before));
        }
    }
    let zero = sketch.zero_count().saturating_sub(zero);
    let n = h.count - count;
    let (mut min, mut max) = (0.0, 0.0);
    if n > 0 {
        let lo = if zero > 0 {
            0.0
        } else {
            buckets
                .first()
                .map_or(0.0, |&(i, _)| bucket_edges(schema, i).0)
        };
        let hi = buckets
            .last()
            .map_or(0.0, |&(i, _)| bucket_edges(schema, i).1);
        min = lo.clamp(h.min, h.max);
        max = hi.clamp(h.min, h.max);
    }
    let d = Distribution {
        count: n,
        sum: if n == 0 { 0.0 } else { h.sum - sum },
        min,
        max,
        schema,
        zero,
        buckets,
    };
    (d, keep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn fractional_counters_go_out_as_increments() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};
        let r = Registry::new();
        let bits = Arc::new(AtomicU64::new(1.5f64.to_bits()));
        let seen = Arc::clone(&bits);
        r.register_collector("cpu", move |out: &mut crate::collector::Collection| {
            out.float_counter("cpu.seconds", "CPU time.", &[])?
                .set(&[], f64::from_bits(seen.load(Ordering::Relaxed)))?;
            Ok(())
        })
        .unwrap();
        let mut s = DeltaState::new();
        let one_snapshot = r.snapshot();
        let one = s.report(&one_snapshot, at(1));
        assert_eq!(
            one.get("cpu.seconds").unwrap().value,
            ReportValue::FloatCounter(1.5)
        );
        bits.store(2.25f64.to_bits(), Ordering::Relaxed);
        let two_snapshot = r.snapshot();
        let two = s.report(&two_snapshot, at(2));
        assert_eq!(
            two.get("cpu.seconds").unwrap().value,
            ReportValue::FloatCounter(0.75)
        );
    }

    #[test]
    fn counters_and_meters_go_out_as_increments() {
        let r = Registry::new();
        let c = r.counter("a.c").unwrap();
        let m = r.meter("a.m").unwrap();
        let mut s = DeltaState::new();
        c.add(3);
        m.mark_n(4);
        let one_snapshot = r.snapshot();
        let one = s.report(&one_snapshot, at(1));
        assert_eq!(one.previous, None);
        assert_eq!(one.get("a.c").unwrap().value, ReportValue::Counter(3));
        let ReportValue::Meter(rates) = one.get("a.m").unwrap().value else {
            panic!("a meter")
        };
        assert_eq!(rates.count, 4);
        let two_snapshot = r.snapshot();
        let two = s.report(&two_snapshot, at(2));
        assert_eq!(two.previous, Some(at(1)));
        assert_eq!(two.get("a.c").unwrap().value, ReportValue::Counter(0));
        c.add(10);
        m.mark();
        let three_snapshot = r.snapshot();
        let three = s.report(&three_snapshot, at(3));
        assert_eq!(three.get("a.c").unwrap().value, ReportValue::Counter(10));
        let ReportValue::Meter(rates) = three.get("a.m").unwrap().value else {
            panic!("a meter")
        };
        assert_eq!(rates.count, 1);
    }

    #[test]
    fn metrics_gone_from_a_report_are_forgotten_and_kinds_are_not_confused() {
        let first_registry = Registry::new();
        let c = first_registry.counter("a.c").unwrap();
        let family = first_registry.counter_family("a.f", &["k"]).unwrap();
        let (x, y) = (family.get(&["x"]).unwrap(), family.get(&["y"]).unwrap());
        let second_registry = Registry::new();
        second_registry.gauge("a.c").unwrap().set(9);
        let mut state = DeltaState::new();
        c.add(5);
        x.add(1);
        y.add(2);
        let first_snapshot = first_registry.snapshot();
        let first = state.report(&first_snapshot, at(1));
        let values: Vec<_> = first.metrics.iter().map(|m| m.value.clone()).collect();
        assert_eq!(
            values,
            [
                ReportValue::Counter(5),
                ReportValue::Counter(1),
                ReportValue::Counter(2)
            ]
        );
        // A report without them (here: a gauge of the same name) forgets them...
        assert_eq!(
            state.report(&second_registry.snapshot(), at(2)).metrics[0].value,
            ReportValue::Gauge(9)
        );
        assert_eq!(state.last.len(), 0);
        // ... so they count from nothing when they come back.
        c.add(2);
        x.add(1);
        let third_snapshot = first_registry.snapshot();
        let third = state.report(&third_snapshot, at(3));
        assert_eq!(third.get("a.c").unwrap().value, ReportValue::Counter(7));
        assert_eq!(third.metrics[1].value, ReportValue::Counter(2));
        assert_eq!(third.metrics[2].value, ReportValue::Counter(2));
        // Each label set keeps its own state: only `x` moved.
        x.add(10);
        let fourth_snapshot = first_registry.snapshot();
        let fourth = state.report(&fourth_snapshot, at(4));
        let values: Vec<_> = fourth.metrics.iter().map(|m| m.value.clone()).collect();
        assert_eq!(
            values,
            [
                ReportValue::Counter(0),
                ReportValue::Counter(10),
                ReportValue::Counter(0)
            ]
        );
        assert_eq!(state.last.values().map(Vec::len).sum::<usize>(), 3);
    }

    #[test]
    fn two_states_are_independent() {
        let r = Registry::new();
        let c = r.counter("a.c").unwrap();
        let (mut fast, mut slow) = (DeltaState::new(), DeltaState::new());
        c.add(1);
        assert_eq!(
            fast.report(&r.snapshot(), at(1)).metrics[0].value,
            ReportValue::Counter(1)
        );
        c.add(2);
        assert_eq!(
            fast.report(&r.snapshot(), at(2)).metrics[0].value,
            ReportValue::Counter(2)
        );
        c.add(4);
        assert_eq!(
            slow.report(&r.snapshot(), at(3)).metrics[0].value,
            ReportValue::Counter(7)
        );
        assert_eq!(
            fast.report(&r.snapshot(), at(3)).metrics[0].value,
            ReportValue::Counter(4)
        );
    }

    #[test]
    fn timers_report_the_interval_distribution() {
        let r = Registry::new();
        let t = r.timer("a.t").unwrap();
        let mut s = DeltaState::new();
        for ms in [10, 20, 30] {
            t.record(Duration::from_millis(ms));
        }
        let one_snapshot = r.snapshot();
        let one = s.report(&one_snapshot, at(1));
        let ReportValue::Timer(d, rates) = &one.get("a.t").unwrap().value else {
            panic!("a timer")
        };
        assert_eq!((d.count, rates.count), (3, 3));
        assert!((d.sum - 0.06).abs() < 1e-12);
        assert_eq!((d.min, d.max), (0.01, 0.03));
        assert!((d.quantile(0.5) - 0.02).abs() < 0.0002);
        assert!((d.mean() - 0.02).abs() < 1e-12);

        for _ in 0..4 {
            t.record(Duration::from_millis(100));
        }
        let two_snapshot = r.snapshot();
        let two = s.report(&two_snapshot, at(2));
        let ReportValue::Timer(d, _) = &two.get("a.t").unwrap().value else {
            panic!("a timer")
        };
        assert_eq!(d.count, 4);
        assert!((d.sum - 0.4).abs() < 1e-12);
        // The interval saw only 100 ms values: 10-30 ms from before are not in it.
        assert!((d.min - 0.1).abs() < 0.001, "{}", d.min);
        assert_eq!(d.max, 0.1);
        assert!((d.quantile(0.0) - 0.1).abs() < 0.001);

        let three_snapshot = r.snapshot();

        let three = s.report(&three_snapshot, at(3));
        let ReportValue::Timer(d, _) = &three.get("a.t").unwrap().value else {
            panic!("a timer")
        };
        assert_eq!(
            (d.count, d.sum, d.min, d.max, d.quantile(0.99)),
            (0, 0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn histograms_with_zeros_and_family_children_keep_their_own_state() {
        let r = Registry::new();
        let f = r.histogram_family("a.h", &["k"]).unwrap();
        let mut s = DeltaState::new();
        f.get(&["x"]).unwrap().record(0.0).unwrap();
        f.get(&["y"]).unwrap().record(5.0).unwrap();
        let one_snapshot = r.snapshot();
        let one = s.report(&one_snapshot, at(1));
        assert_eq!(one.metrics.len(), 2);
        f.get(&["y"]).unwrap().record(0.0).unwrap();
        let two_snapshot = r.snapshot();
        let two = s.report(&two_snapshot, at(2));
        let counts: Vec<u64> = two
            .metrics
            .iter()
            .map(|m| match &m.value {
                ReportValue::Histogram(d) => d.count,
                v => panic!("{v:?}"),
            })
            .collect();
        assert_eq!(counts, [0, 1]);
        let ReportValue::Histogram(d) = &two.metrics[1].value else {
            unreachable!()
        };
        assert_eq!((d.min, d.quantile(0.5), d.sum), (0.0, 0.0, 0.0));
    }

    #[test]
    fn gauges_and_errors_pass_through() {
        let r = Registry::new();
        r.gauge("a.g").unwrap().set(-5);
        r.float_gauge("a.f").unwrap().set(1.5);
        r.fn_gauge("a.n", || f64::NAN).unwrap();
        let rep_snapshot = r.snapshot();
        let rep = DeltaState::new().report(&rep_snapshot, at(1));
        assert_eq!(rep.get("a.g").unwrap().value, ReportValue::Gauge(-5));
        assert_eq!(rep.get("a.f").unwrap().value, ReportValue::FloatGauge(1.5));
        assert!(matches!(
            rep.get("a.n").unwrap().value,
            ReportValue::Error(_)
        ));
    }
}
