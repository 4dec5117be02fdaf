//! The type-erased metric model: what a registry holds for each name, whatever its kind.

use crate::descriptor::StaticMetric;
use crate::metric::MetricKind;
use crate::metric::counter::Counter;
use crate::metric::family::Family;
use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
use crate::metric::histogram::Histogram;
use crate::metric::meter::Meter;
use crate::metric::timer::Timer;
use crate::metric::up_down::UpDownCounter;
use std::ops::Deref;
use std::sync::Arc;

/// A shared handle to a metric: a `&'static` for metrics declared in statics, an `Arc` for
/// metrics created at run time. Dereferences to the metric; cheap to clone.
#[derive(Debug)]
pub enum Handle<T: 'static> {
    /// A metric in a `static`.
    Static(&'static T),
    /// A metric created at run time.
    Shared(Arc<T>),
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        match self {
            Handle::Static(r) => Handle::Static(r),
            Handle::Shared(a) => Handle::Shared(Arc::clone(a)),
        }
    }
}

impl<T> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Handle::Static(r) => r,
            Handle::Shared(a) => a,
        }
    }
}

impl<T> Handle<T> {
    /// Whether two handles point at the same metric.
    #[must_use]
    pub fn ptr_eq(&self, other: &Self) -> bool {
        std::ptr::eq(&raw const **self, &raw const **other)
    }
}

/// A registered metric of any kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum MetricRef {
    /// A counter.
    Counter(Handle<Counter>),
    /// An integer gauge.
    Gauge(Handle<Gauge>),
    /// An up-down counter.
    UpDownCounter(Handle<UpDownCounter>),
    /// A floating-point gauge.
    FloatGauge(Handle<FloatGauge>),
    /// A computed gauge.
    FnGauge(Handle<FnGauge>),
    /// A meter.
    Meter(Handle<Meter>),
    /// A histogram.
    Histogram(Handle<Histogram>),
    /// A timer.
    Timer(Handle<Timer>),
    /// A labelled family.
    Family(FamilyRef),
}

/// A registered labelled family of any kind.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FamilyRef {
    /// Counters.
    Counter(Arc<Family<Counter>>),
    /// Integer gauges.
    Gauge(Arc<Family<Gauge>>),
    /// Up-down counters.
    UpDownCounter(Arc<Family<UpDownCounter>>),
    /// Floating-point gauges.
    FloatGauge(Arc<Family<FloatGauge>>),
    /// Meters.
    Meter(Arc<Family<Meter>>),
    /// Histograms.
    Histogram(Arc<Family<Histogram>>),
    /// Timers.
    Timer(Arc<Family<Timer>>),
}

impl FamilyRef {
    /// The kind of the family's members.
    #[must_use]
    pub fn kind(&self) -> MetricKind {
        match self {
            FamilyRef::Counter(_) => MetricKind::Counter,
            FamilyRef::Gauge(_) => MetricKind::Gauge,
            FamilyRef::UpDownCounter(_) => MetricKind::UpDownCounter,
            FamilyRef::FloatGauge(_) => MetricKind::FloatGauge,
            FamilyRef::Meter(_) => MetricKind::Meter,
            FamilyRef::Histogram(_) => MetricKind::Histogram,
            FamilyRef::Timer(_) => MetricKind::Timer,
        }
    }

    /// The label keys.
    #[must_use]
    pub fn keys(&self) -> &[String] {
        match self {
            FamilyRef::Counter(f) => f.keys(),
            FamilyRef::Gauge(f) => f.keys(),
            FamilyRef::UpDownCounter(f) => f.keys(),
            FamilyRef::FloatGauge(f) => f.keys(),
            FamilyRef::Meter(f) => f.keys(),
            FamilyRef::Histogram(f) => f.keys(),
            FamilyRef::Timer(f) => f.keys(),
        }
    }
}

/// Metric kinds that can make up a labelled [`Family`] in a registry.
pub trait FamilyMember: Default + Sized + 'static {
    /// The members' kind.
    const KIND: MetricKind;
    /// Wraps a family of this kind for the registry.
    fn wrap(family: Arc<Family<Self>>) -> FamilyRef;
    /// The family, if `f` is of this kind.
    fn unwrap(f: &FamilyRef) -> Option<&Arc<Family<Self>>>;
}

macro_rules! family_member {
    ($($ty:ident),*) => {$(
        impl FamilyMember for $ty {
            const KIND: MetricKind = MetricKind::$ty;
            fn wrap(family: Arc<Family<Self>>) -> FamilyRef {
                FamilyRef::$ty(family)
            }
            fn unwrap(f: &FamilyRef) -> Option<&Arc<Family<Self>>> {
                match f {
                    FamilyRef::$ty(family) => Some(family),
                    _ => None,
                }
            }
        }
    )*};
}

family_member!(
    Counter,
    Gauge,
    UpDownCounter,
    FloatGauge,
    Meter,
    Histogram,
    Timer
);

impl MetricRef {
    /// The metric's kind.
    #[must_use]
    pub fn kind(&self) -> MetricKind {
        match self {
            MetricRef::Counter(_) => MetricKind::Counter,
            MetricRef::Gauge(_) => MetricKind::Gauge,
            MetricRef::UpDownCounter(_) => MetricKind::UpDownCounter,
            MetricRef::FloatGauge(_) => MetricKind::FloatGauge,
            MetricRef::FnGauge(_) => MetricKind::FnGauge,
            MetricRef::Meter(_) => MetricKind::Meter,
            MetricRef::Histogram(_) => MetricKind::Histogram,
            MetricRef::Timer(_) => MetricKind::Timer,
            MetricRef::Family(f) => f.kind(),
        }
    }

    /// The label keys of a family; empty for a single metric.
    #[must_use]
    pub fn label_keys(&self) -> &[String] {
        match self {
            MetricRef::Family(f) => f.keys(),
            _ => &[],
        }
    }

    pub(crate) fn from_static(m: StaticMetric) -> Self {
        match m {
            StaticMetric::Counter(r) => MetricRef::Counter(Handle::Static(r)),
            StaticMetric::Gauge(r) => MetricRef::Gauge(Handle::Static(r)),
            StaticMetric::UpDownCounter(r) => MetricRef::UpDownCounter(Handle::Static(r)),
            StaticMetric::FloatGauge(r) => MetricRef::FloatGauge(Handle::Static(r)),
            StaticMetric::FnGauge(r) => MetricRef::FnGauge(Handle::Static(r)),
            StaticMetric::Meter(r) => MetricRef::Meter(Handle::Static(r)),
            StaticMetric::Histogram(r) => MetricRef::Histogram(Handle::Static(r)),
            StaticMetric::Timer(r) => MetricRef::Timer(Handle::Static(r)),
        }
    }
}
