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
    /// The family whatever its kind: the one place that matches on every kind of family.
    fn any(&self) -> &dyn AnyFamily {
        match self {
            FamilyRef::Counter(f) => &**f,
            FamilyRef::Gauge(f) => &**f,
            FamilyRef::UpDownCounter(f) => &**f,
            FamilyRef::FloatGauge(f) => &**f,
            FamilyRef::Meter(f) => &**f,
            FamilyRef::Histogram(f) => &**f,
            FamilyRef::Timer(f) => &**f,
        }
    }

    /// The kind of the family's members.
    #[must_use]
    pub fn kind(&self) -> MetricKind {
        self.any().kind()
    }

    /// The label keys.
    #[must_use]
    pub fn keys(&self) -> &[String] {
        self.any().keys()
    }

    /// Every child as a metric of its own, with its label values, sorted by label values.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{MetricKind, MetricRef, Registry};
    /// let r = Registry::new();
    /// r.counter_family("jobs.done", &["queue"]).unwrap().get(&["email"]).unwrap().add(2);
    /// let Some(MetricRef::Family(f)) = r.get("jobs.done").map(|e| e.metric().clone()) else {
    ///     unreachable!()
    /// };
    /// let children = f.children();
    /// assert_eq!(children[0].0, ["email"]);
    /// assert_eq!(children[0].1.kind(), MetricKind::Counter);
    /// ```
    #[must_use]
    pub fn children(&self) -> Vec<(Vec<String>, MetricRef)> {
        self.any().children()
    }
}

/// What a family offers whatever its members' kind.
trait AnyFamily {
    fn kind(&self) -> MetricKind;
    fn keys(&self) -> &[String];
    fn children(&self) -> Vec<(Vec<String>, MetricRef)>;
}

impl<M: FamilyMember> AnyFamily for Family<M> {
    fn kind(&self) -> MetricKind {
        M::KIND
    }
    fn keys(&self) -> &[String] {
        Family::keys(self)
    }
    fn children(&self) -> Vec<(Vec<String>, MetricRef)> {
        Family::children(self)
            .into_iter()
            .map(|(labels, m)| (labels, M::into_ref(Handle::Shared(m))))
            .collect()
    }
}

/// The metric types a registry holds under a name, one per [`MetricKind`]: what
/// [`Registry::find`](crate::Registry::find) is generic over.
pub trait Metric: Send + Sync + Sized + 'static {
    /// The kind.
    const KIND: MetricKind;
    /// Wraps a handle for the registry.
    fn into_ref(handle: Handle<Self>) -> MetricRef;
    /// The handle, if `m` is a single metric of this kind.
    fn from_ref(m: &MetricRef) -> Option<&Handle<Self>>;
}

/// Metric kinds that can make up a labelled [`Family`] in a registry.
pub trait FamilyMember: Metric + Default {
    /// Wraps a family of this kind for the registry.
    fn wrap(family: Arc<Family<Self>>) -> FamilyRef;
    /// The family, if `f` is of this kind.
    fn unwrap(f: &FamilyRef) -> Option<&Arc<Family<Self>>>;
}

macro_rules! metric {
    ($($ty:ident),*) => {$(
        impl Metric for $ty {
            const KIND: MetricKind = MetricKind::$ty;
            fn into_ref(handle: Handle<Self>) -> MetricRef {
                MetricRef::$ty(handle)
            }
            fn from_ref(m: &MetricRef) -> Option<&Handle<Self>> {
                match m {
                    MetricRef::$ty(handle) => Some(handle),
                    _ => None,
                }
            }
        }
    )*};
}

metric! { Counter, Gauge, UpDownCounter, FloatGauge, FnGauge, Meter, Histogram, Timer }

macro_rules! family_member {
    ($($ty:ident),*) => {$(
        impl FamilyMember for $ty {
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

family_member! { Counter, Gauge, UpDownCounter, FloatGauge, Meter, Histogram, Timer }

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
