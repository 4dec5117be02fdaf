//! A snapshot grouped by exported family, and the one trait every encoder reads it through.

use super::model::{MetricSnapshot, Snapshot, Value};
use crate::metric::histogram::HistogramSnapshot;
use crate::metric::meter::MeterSnapshot;
use crate::metric::timer::TimerSnapshot;
use crate::metric::{MetricKind, Unit};
use std::sync::Arc;

/// What every series of one exported family shares: what an encoder writes once per family
/// (`# HELP`, `# TYPE`, `# UNIT`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyHeader<'a> {
    /// The exposition name ([`exposition_name`](crate::exposition_name)), computed by the
    /// registry; without sample suffixes such as `_total` or `_bucket`.
    pub exposition_name: &'a str,
    /// The dotted name: the metric's, or the type-label family's (the template without the
    /// type's segment).
    pub name: &'a str,
    /// The kind of every series (a function gauge's series are read as float gauges).
    pub kind: MetricKind,
    /// Help text (`""` if none).
    pub help: &'a str,
    /// Unit.
    pub unit: Unit,
    /// The label keys of every series, in exposition form.
    pub label_keys: &'a [String],
}

/// One series of a family: one metric, or one child of a labelled family, or one type's member
/// of a type-label family.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The metric as the flat snapshot lists it.
    pub metric: &'a MetricSnapshot,
    keys: &'a [String],
}

impl<'a> Series<'a> {
    /// The label values, in the order of [`FamilyHeader::label_keys`]: constant labels, then
    /// the type or the family child's values.
    pub fn label_values(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let m = self.metric;
        m.labels
            .iter()
            .map(|(_, v)| v.as_str())
            .chain(m.type_label.map(|t| t.value))
    }

    /// The label keys, in exposition form, as the registry computed them.
    #[cfg(any(feature = "prometheus", feature = "openmetrics"))]
    pub(crate) fn keys(&self) -> &'a [String] {
        self.keys
    }

    /// The labels as (exposition key, value) pairs.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        self.keys
            .iter()
            .map(String::as_str)
            .zip(self.label_values())
    }
}

/// One exported family of a snapshot with its series, sorted by label values.
#[derive(Debug, Clone)]
pub struct FamilySnapshot<'a> {
    /// What the series share.
    pub header: FamilyHeader<'a>,
    /// The series.
    pub series: Vec<Series<'a>>,
}

/// Reads a snapshot family by family: [`Snapshot::visit`] calls [`family`](Self::family), then
/// one method per series for its kind, then [`end_family`](Self::end_family).
///
/// Every kind has a method of its own and none has a default, so a kind added later fails to
/// compile in every encoder until the encoder handles it: there is no wildcard arm for it to
/// fall into.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{HistogramSnapshot, MeterSnapshot, Registry, TimerSnapshot};
/// use metered_runtime::snapshot::{FamilyHeader, Series, Visit};
/// use std::fmt::Write as _;
///
/// /// Writes `name{labels} value` lines for the integer kinds, counts the rest.
/// struct Lines(String, usize);
/// impl Lines {
///     fn line(&mut self, s: &Series<'_>, v: i128) -> std::fmt::Result {
///         let labels: Vec<String> = s.labels().map(|(k, v)| format!("{k}={v:?}")).collect();
///         writeln!(self.0, "{}{{{}}} {v}", s.metric.name, labels.join(","))
///     }
/// }
/// impl Visit for Lines {
///     type Error = std::fmt::Error;
///     fn family(&mut self, f: &FamilyHeader<'_>) -> std::fmt::Result {
///         writeln!(self.0, "[{}] {}", f.exposition_name, f.kind)
///     }
///     fn counter(&mut self, s: &Series<'_>, n: u64) -> std::fmt::Result { self.line(s, n.into()) }
///     fn gauge(&mut self, s: &Series<'_>, v: i64) -> std::fmt::Result { self.line(s, v.into()) }
///     fn up_down_counter(&mut self, s: &Series<'_>, v: i64) -> std::fmt::Result {
///         self.line(s, v.into())
///     }
///     fn float_counter(&mut self, _: &Series<'_>, _: f64) -> std::fmt::Result { self.1 += 1; Ok(()) }
///     fn float_gauge(&mut self, _: &Series<'_>, _: f64) -> std::fmt::Result { self.1 += 1; Ok(()) }
///     fn meter(&mut self, _: &Series<'_>, _: &MeterSnapshot) -> std::fmt::Result {
///         self.1 += 1;
///         Ok(())
///     }
///     fn histogram(&mut self, _: &Series<'_>, _: &HistogramSnapshot) -> std::fmt::Result {
///         self.1 += 1;
///         Ok(())
///     }
///     fn timer(&mut self, _: &Series<'_>, _: &TimerSnapshot) -> std::fmt::Result {
///         self.1 += 1;
///         Ok(())
///     }
///     fn error(&mut self, _: &Series<'_>, _: &str) -> std::fmt::Result { self.1 += 1; Ok(()) }
/// }
///
/// let r = Registry::new();
/// let f = r.counter_family("http.requests", &["status"]).unwrap();
/// f.get(&["500"]).unwrap().inc();
/// f.get(&["200"]).unwrap().add(2);
/// r.up_down_counter("http.in_flight").unwrap().inc();
/// r.timer("http.latency").unwrap();
///
/// let mut out = Lines(String::new(), 0);
/// r.snapshot().visit(&mut out).unwrap();
/// assert_eq!(out.0, "\
/// [http_in_flight] up-down counter
/// http.in_flight{} 1
/// [http_latency_seconds] timer
/// [http_requests] counter
/// http.requests{status=\"200\"} 2
/// http.requests{status=\"500\"} 1
/// ");
/// assert_eq!(out.1, 1);
/// ```
pub trait Visit {
    /// What the visitor can fail with (for example `std::fmt::Error` or `std::io::Error`).
    type Error;

    /// A family starts; its series follow.
    ///
    /// # Errors
    /// Whatever the visitor fails with; the walk stops there.
    fn family(&mut self, family: &FamilyHeader<'_>) -> Result<(), Self::Error>;

    /// A counter's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn counter(&mut self, series: &Series<'_>, count: u64) -> Result<(), Self::Error>;

    /// A counter's series whose count is fractional (finite, not negative): a collector's
    /// [`float_counter`](crate::collector::Collection::float_counter). The family's kind is
    /// [`MetricKind::Counter`].
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn float_counter(&mut self, series: &Series<'_>, count: f64) -> Result<(), Self::Error>;

    /// An integer gauge's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn gauge(&mut self, series: &Series<'_>, value: i64) -> Result<(), Self::Error>;

    /// An up-down counter's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn up_down_counter(&mut self, series: &Series<'_>, value: i64) -> Result<(), Self::Error>;

    /// A floating-point gauge's series, or a function gauge's.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn float_gauge(&mut self, series: &Series<'_>, value: f64) -> Result<(), Self::Error>;

    /// A meter's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn meter(&mut self, series: &Series<'_>, meter: &MeterSnapshot) -> Result<(), Self::Error>;

    /// A histogram's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn histogram(
        &mut self,
        series: &Series<'_>,
        histogram: &HistogramSnapshot,
    ) -> Result<(), Self::Error>;

    /// A timer's series.
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn timer(&mut self, series: &Series<'_>, timer: &TimerSnapshot) -> Result<(), Self::Error>;

    /// A series that could not be read (a function gauge that panicked or returned NaN).
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn error(&mut self, series: &Series<'_>, message: &str) -> Result<(), Self::Error>;

    /// A family ends (nothing by default).
    ///
    /// # Errors
    /// As [`family`](Self::family).
    fn end_family(&mut self, family: &FamilyHeader<'_>) -> Result<(), Self::Error> {
        let _ = family;
        Ok(())
    }
}

impl Snapshot {
    /// Every exported family, sorted by exposition name, each with its series sorted by label
    /// values: every family contiguous, in a stable order. A labelled family without children
    /// yet has no series and is not listed.
    #[must_use]
    pub fn families(&self) -> Vec<FamilySnapshot<'_>> {
        // A family's children come one after another and share the registry's name: find
        // the runs, order them by name (stable: a family's runs keep their order), and merge
        // the runs of one name.
        let n = self.metrics.len();
        let mut runs: Vec<(&str, usize, usize)> = Vec::new();
        let mut start = 0;
        while start < n {
            let name = &self.exported[start].exposition;
            let mut end = start + 1;
            while end < n && Arc::ptr_eq(&self.exported[end].exposition, name) {
                end += 1;
            }
            runs.push((name, start, end));
            start = end;
        }
        runs.sort_by(|a, b| a.0.cmp(b.0));
        let mut families = Vec::with_capacity(runs.len());
        let mut at = 0;
        while at < runs.len() {
            let exposition_name = runs[at].0;
            let mut series = Vec::new();
            while at < runs.len() && runs[at].0 == exposition_name {
                let (_, from, to) = runs[at];
                series.extend((from..to).map(|i| Series {
                    metric: &self.metrics[i],
                    keys: &self.exported[i].keys,
                }));
                at += 1;
            }
            series.sort_by(|a, b| a.label_values().cmp(b.label_values()));
            let Some(first) = series.first() else {
                continue;
            };
            let m = first.metric;
            let header = FamilyHeader {
                exposition_name,
                name: m.type_label.map_or(m.name.as_str(), |t| t.family),
                kind: m.kind,
                help: &m.help,
                unit: m.unit,
                label_keys: first.keys,
            };
            families.push(FamilySnapshot { header, series });
        }
        families
    }

    /// Walks every family of [`families`](Self::families) through `visitor`.
    ///
    /// # Errors
    /// The visitor's first error; the walk stops there.
    pub fn visit<V: Visit + ?Sized>(&self, visitor: &mut V) -> Result<(), V::Error> {
        for family in self.families() {
            visitor.family(&family.header)?;
            for s in &family.series {
                match &s.metric.value {
                    Value::Counter(n) => visitor.counter(s, *n)?,
                    Value::FloatCounter(n) => visitor.float_counter(s, *n)?,
                    Value::Gauge(v) => visitor.gauge(s, *v)?,
                    Value::UpDownCounter(v) => visitor.up_down_counter(s, *v)?,
                    Value::FloatGauge(v) => visitor.float_gauge(s, *v)?,
                    Value::Meter(m) => visitor.meter(s, m)?,
                    Value::Histogram(h) => visitor.histogram(s, h)?,
                    Value::Timer(t) => visitor.timer(s, t)?,
                    Value::Error(e) => visitor.error(s, e)?,
                }
            }
            visitor.end_family(&family.header)?;
        }
        Ok(())
    }
}
