//! Static descriptions of metrics: what the macros emit and `inventory` collects.

use crate::metric::MetricKind;
use crate::metric::Unit;
use crate::metric::counter::Counter;
use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
use crate::metric::histogram::Histogram;
use crate::metric::meter::Meter;
use crate::metric::timer::Timer;
use crate::metric::up_down::UpDownCounter;
use std::fmt;

/// A reference to a metric that lives in a `static`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum StaticMetric {
    /// A counter.
    Counter(&'static Counter),
    /// An integer gauge.
    Gauge(&'static Gauge),
    /// An up-down counter.
    UpDownCounter(&'static UpDownCounter),
    /// A floating-point gauge.
    FloatGauge(&'static FloatGauge),
    /// A gauge computed at snapshot time.
    FnGauge(&'static FnGauge),
    /// A meter.
    Meter(&'static Meter),
    /// A histogram.
    Histogram(&'static Histogram),
    /// A timer.
    Timer(&'static Timer),
}

impl StaticMetric {
    /// The metric's kind.
    #[must_use]
    pub const fn kind(&self) -> MetricKind {
        match self {
            StaticMetric::Counter(_) => MetricKind::Counter,
            StaticMetric::Gauge(_) => MetricKind::Gauge,
            StaticMetric::UpDownCounter(_) => MetricKind::UpDownCounter,
            StaticMetric::FloatGauge(_) => MetricKind::FloatGauge,
            StaticMetric::FnGauge(_) => MetricKind::FnGauge,
            StaticMetric::Meter(_) => MetricKind::Meter,
            StaticMetric::Histogram(_) => MetricKind::Histogram,
            StaticMetric::Timer(_) => MetricKind::Timer,
        }
    }

    /// The address of the metric, to tell two descriptors of one static from two statics.
    pub(crate) fn addr(&self) -> usize {
        match self {
            StaticMetric::Counter(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::Gauge(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::UpDownCounter(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::FloatGauge(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::FnGauge(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::Meter(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::Histogram(m) => std::ptr::from_ref(*m).addr(),
            StaticMetric::Timer(m) => std::ptr::from_ref(*m).addr(),
        }
    }
}

/// Where a metric was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// `module_path!()` of the declaration.
    pub module_path: &'static str,
    /// `file!()` of the declaration.
    pub file: &'static str,
    /// `line!()` of the declaration.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.file, self.line, self.module_path)
    }
}

/// How a templated metric can be exported as one family across types: the name with the type's
/// part taken out, and the type as a label (`my.http.endpoints.latency{type="MyImplHandler"}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeLabel {
    /// The family's dotted name without the type's segment.
    pub family: &'static str,
    /// The label key (`type` unless configured).
    pub key: &'static str,
    /// The label value: the type's name.
    pub value: &'static str,
}

/// A `&'static`, const-built description of a metric declared in a `static`: what the macros
/// generate and submit to `inventory`, and what [`Registry::register`](crate::Registry::register)
/// takes on targets where `inventory` cannot collect.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Descriptor, StaticMetric, Timer, Unit};
/// static LATENCY: Timer = Timer::new();
/// static DESC: Descriptor = Descriptor::new("app.db.latency", StaticMetric::Timer(&LATENCY))
///     .help("Time spent in database calls.")
///     .unit(Unit::Seconds);
/// assert_eq!(DESC.name(), "app.db.latency");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Descriptor {
    name: &'static str,
    metric: StaticMetric,
    help: &'static str,
    unit: Unit,
    labels: &'static [(&'static str, &'static str)],
    type_label: Option<TypeLabel>,
    location: Location,
}

impl Descriptor {
    /// A descriptor with no help, no unit (seconds for timers), no labels.
    #[must_use]
    pub const fn new(name: &'static str, metric: StaticMetric) -> Self {
        let unit = match metric {
            StaticMetric::Timer(_) => Unit::Seconds,
            _ => Unit::None,
        };
        Descriptor {
            name,
            metric,
            help: "",
            unit,
            labels: &[],
            type_label: None,
            location: Location {
                module_path: "",
                file: "",
                line: 0,
            },
        }
    }
    /// Sets the help text.
    #[must_use]
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }
    /// Sets the unit.
    #[must_use]
    pub const fn unit(mut self, unit: Unit) -> Self {
        self.unit = unit;
        self
    }
    /// Sets constant labels, exported with every sample.
    #[must_use]
    pub const fn labels(mut self, labels: &'static [(&'static str, &'static str)]) -> Self {
        self.labels = labels;
        self
    }
    /// Records how to export the metric as a family labelled by type.
    #[must_use]
    pub const fn type_label(mut self, type_label: TypeLabel) -> Self {
        self.type_label = Some(type_label);
        self
    }
    /// Sets where it was declared.
    #[must_use]
    pub const fn location(
        mut self,
        module_path: &'static str,
        file: &'static str,
        line: u32,
    ) -> Self {
        self.location = Location {
            module_path,
            file,
            line,
        };
        self
    }
    /// The full dotted name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        self.name
    }
    /// The metric.
    #[must_use]
    pub const fn metric(&self) -> StaticMetric {
        self.metric
    }
    /// The kind.
    #[must_use]
    pub const fn kind(&self) -> MetricKind {
        self.metric.kind()
    }
    /// The help text (`""` if none).
    #[must_use]
    pub const fn help_text(&self) -> &'static str {
        self.help
    }
    /// The unit.
    #[must_use]
    pub const fn unit_of(&self) -> Unit {
        self.unit
    }
    /// The constant labels.
    #[must_use]
    pub const fn label_pairs(&self) -> &'static [(&'static str, &'static str)] {
        self.labels
    }
    /// The type label, if the declaration asked for one.
    #[must_use]
    pub const fn type_label_of(&self) -> Option<TypeLabel> {
        self.type_label
    }
    /// Where it was declared.
    #[must_use]
    pub const fn location_of(&self) -> Location {
        self.location
    }
}
