//! Registries: every metric by name, for listing, by-name access and export. The record path
//! never touches a registry.

mod entry;
mod global;
mod model;
mod shorthand;

pub use entry::{Entry, Origin};
pub use global::{SelfCheck, registry, self_check};
pub use model::{FamilyMember, FamilyRef, Handle, MetricRef};
pub use shorthand::{incr, record, set};

use crate::clock::SystemClock;
use crate::descriptor::{Descriptor, StaticMetric};
use crate::error::{Error, Result};
use crate::metric::counter::Counter;
use crate::metric::family::Family;
use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
use crate::metric::histogram::{Histogram, HistogramConfig};
use crate::metric::meter::Meter;
use crate::metric::timer::Timer;
use crate::metric::up_down::UpDownCounter;
use crate::metric::{MetricKind, Unit};
use crate::name::{overlaps, validate_name};
use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

#[derive(Debug, Default)]
struct Inner {
    by_name: BTreeMap<Arc<str>, Entry>,
    problems: Vec<Error>,
}

impl Inner {
    /// The registered name that `name` overlaps on a dot boundary, if any.
    fn overlap(&self, name: &str) -> Option<&str> {
        // A registered dotted prefix of `name`.
        for (i, b) in name.bytes().enumerate() {
            if b == b'.'
                && let Some((k, _)) = self.by_name.get_key_value(&name[..i])
            {
                return Some(k);
            }
        }
        // A registered name that extends `name`.
        let extended = format!("{name}.");
        self.by_name
            .range::<str, _>((
                std::ops::Bound::Included(extended.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .map(|(k, _)| &**k)
            .filter(|k| overlaps(k, name))
    }

    fn insert(&mut self, entry: Entry) -> Result<()> {
        if let Some(existing) = self.by_name.get(&entry.name) {
            return Err(if existing.kind() == entry.kind() {
                Error::Duplicate {
                    name: entry.name.to_string(),
                    first: existing.origin.to_string(),
                    second: entry.origin.to_string(),
                }
            } else {
                Error::KindMismatch {
                    name: entry.name.to_string(),
                    existing: existing.kind(),
                    requested: entry.kind(),
                }
            });
        }
        if let Some(existing) = self.overlap(&entry.name) {
            return Err(Error::NameOverlap {
                name: entry.name.to_string(),
                existing: existing.to_owned(),
            });
        }
        self.by_name.insert(Arc::clone(&entry.name), entry);
        Ok(())
    }
}

/// Metrics by name.
///
/// The [global registry](registry) holds every statically declared metric of every linked crate
/// (collected through `inventory`) plus those created at run time; [`Registry::new`] makes an
/// independent one, for tests or for a component that exports on its own.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Error, MetricKind, Registry};
/// let r = Registry::new();
/// let a = r.timer("app.db.query").unwrap();
/// let b = r.timer("app.db.query").unwrap();
/// assert!(a.ptr_eq(&b)); // get-or-create: one instance per name
/// assert!(matches!(r.counter("app.db.query"), Err(Error::KindMismatch { .. })));
/// assert!(matches!(r.counter("app.db"), Err(Error::NameOverlap { .. })));
/// assert_eq!(r.names(), ["app.db.query"]);
/// ```
#[derive(Debug, Default)]
pub struct Registry {
    inner: RwLock<Inner>,
}

macro_rules! get_or_create {
    ($(#[$doc:meta])* $fn:ident, $ty:ident, $variant:ident, $make:expr) => {
        $(#[$doc])*
        ///
        /// # Errors
        /// [`Error::InvalidName`], [`Error::KindMismatch`] if the name is taken by another kind,
        /// [`Error::NameOverlap`] if it is a dotted prefix of a registered name or extends one.
        pub fn $fn(&self, name: &str) -> Result<Handle<$ty>> {
            match self.get_or_insert(name, &mut || Ok(MetricRef::$variant(Handle::Shared(Arc::new($make)))))? {
                MetricRef::$variant(h) => Ok(h),
                other => Err(Error::KindMismatch { name: name.to_owned(), existing: other.kind(), requested: MetricKind::$variant }),
            }
        }
    };
}

impl Registry {
    /// An empty registry, independent of the global one.
    #[must_use]
    pub fn new() -> Self {
        SystemClock::start();
        Registry::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    // `dyn`: one copy of this cold path instead of one per metric kind.
    fn get_or_insert(
        &self,
        name: &str,
        make: &mut dyn FnMut() -> Result<MetricRef>,
    ) -> Result<MetricRef> {
        if let Some(e) = self.read().by_name.get(name) {
            return Ok(e.metric.clone());
        }
        validate_name(name)?;
        let mut inner = self.write();
        if let Some(e) = inner.by_name.get(name) {
            return Ok(e.metric.clone());
        }
        let entry = Entry {
            name: name.into(),
            help: "".into(),
            unit: Unit::None,
            labels: Arc::new([]),
            type_label: None,
            origin: Origin::Dynamic,
            metric: make()?,
        };
        let metric = entry.metric.clone();
        inner.insert(entry)?;
        Ok(metric)
    }

    get_or_create!(
        /// The counter named `name`, created if absent.
        counter, Counter, Counter, Counter::new());
    get_or_create!(
        /// The integer gauge named `name`, created if absent.
        gauge, Gauge, Gauge, Gauge::new());
    get_or_create!(
        /// The up-down counter named `name`, created if absent.
        up_down_counter, UpDownCounter, UpDownCounter, UpDownCounter::new());
    get_or_create!(
        /// The floating-point gauge named `name`, created if absent.
        float_gauge, FloatGauge, FloatGauge, FloatGauge::new());
    get_or_create!(
        /// The meter named `name`, created if absent.
        meter, Meter, Meter, Meter::new());
    get_or_create!(
        /// The histogram named `name` (default configuration), created if absent.
        histogram, Histogram, Histogram, Histogram::new());
    get_or_create!(
        /// The timer named `name` (default configuration), created if absent.
        timer, Timer, Timer, Timer::new());

    /// The family of `M`s named `name` with label keys `keys`, created if absent. The typed
    /// shorthands ([`counter_family`](Self::counter_family) and the others) call this.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Meter, Registry};
    /// let r = Registry::new();
    /// let f = r.family::<Meter>("jobs.done", &["queue"]).unwrap();
    /// f.get(&["email"]).unwrap().mark();
    /// assert!(std::sync::Arc::ptr_eq(&f, &r.meter_family("jobs.done", &["queue"]).unwrap()));
    /// ```
    ///
    /// # Errors
    /// As [`Registry::counter`], and [`Error::InvalidLabel`] for bad keys or when the name is
    /// registered with other keys or without labels.
    pub fn family<M: FamilyMember>(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<M>>> {
        let kind = M::KIND;
        let metric = self.get_or_insert(name, &mut || {
            Family::new(name, keys).map(|f| MetricRef::Family(M::wrap(Arc::new(f))))
        })?;
        match &metric {
            MetricRef::Family(f) if f.kind() == kind => {
                let family = M::unwrap(f).ok_or_else(|| Error::KindMismatch {
                    name: name.to_owned(),
                    existing: f.kind(),
                    requested: kind,
                })?;
                if family
                    .keys()
                    .iter()
                    .map(String::as_str)
                    .eq(keys.iter().copied())
                {
                    Ok(Arc::clone(family))
                } else {
                    Err(Error::InvalidLabel {
                        family: name.to_owned(),
                        reason: format!(
                            "registered with label keys [{}], asked for with [{}]",
                            family.keys().join(", "),
                            keys.join(", ")
                        ),
                    })
                }
            }
            MetricRef::Family(f) => Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: f.kind(),
                requested: kind,
            }),
            other if other.kind() == kind => Err(Error::InvalidLabel {
                family: name.to_owned(),
                reason: format!(
                    "registered as a single {kind} without labels, asked for as a family"
                ),
            }),
            other => Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: other.kind(),
                requested: kind,
            }),
        }
    }

    /// The family of counters named `name` with label keys `keys`, created if absent.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let r = metered_runtime::Registry::new();
    /// let f = r.counter_family("work.requests", &["task_type", "status", "scope"]).unwrap();
    /// f.get(&["build", "ok", "ci"]).unwrap().inc();
    /// assert!(r.counter_family("work.requests", &["status"]).is_err()); // other keys
    /// ```
    ///
    /// # Errors
    /// As [`Registry::counter`], and [`Error::InvalidLabel`] for bad keys or when the name is
    /// registered with other keys or without labels.
    pub fn counter_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<Counter>>> {
        self.family::<Counter>(name, keys)
    }

    /// The family of integer gauges named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn gauge_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<Gauge>>> {
        self.family::<Gauge>(name, keys)
    }

    /// The family of up-down counters named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn up_down_counter_family(
        &self,
        name: &str,
        keys: &[&str],
    ) -> Result<Arc<Family<UpDownCounter>>> {
        self.family::<UpDownCounter>(name, keys)
    }

    /// The family of floating-point gauges named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn float_gauge_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<FloatGauge>>> {
        self.family::<FloatGauge>(name, keys)
    }

    /// The family of meters named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn meter_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<Meter>>> {
        self.family::<Meter>(name, keys)
    }

    /// The family of histograms named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn histogram_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<Histogram>>> {
        self.family::<Histogram>(name, keys)
    }

    /// The family of timers named `name`; see [`Registry::counter_family`].
    ///
    /// # Errors
    /// As [`Registry::counter_family`].
    pub fn timer_family(&self, name: &str, keys: &[&str]) -> Result<Arc<Family<Timer>>> {
        self.family::<Timer>(name, keys)
    }

    /// The histogram named `name`, created with `config` if absent (an existing one keeps its
    /// configuration).
    ///
    /// # Errors
    /// As [`Registry::histogram`], and [`Error::InvalidConfig`] if `config` does not validate
    /// ([`HistogramConfig::validate`]).
    pub fn histogram_with(&self, name: &str, config: HistogramConfig) -> Result<Handle<Histogram>> {
        config.validate()?;
        match self.get_or_insert(name, &mut || {
            Ok(MetricRef::Histogram(Handle::Shared(Arc::new(
                Histogram::with_config(config),
            ))))
        })? {
            MetricRef::Histogram(h) => Ok(h),
            other => Err(Error::KindMismatch {
                name: name.to_owned(),
                existing: other.kind(),
                requested: MetricKind::Histogram,
            }),
        }
    }

    /// Registers a gauge computed by `f` at snapshot time.
    ///
    /// # Errors
    /// As [`Registry::counter`]; also [`Error::Duplicate`] if a function gauge of that name exists.
    pub fn fn_gauge(
        &self,
        name: &str,
        f: impl Fn() -> f64 + Send + Sync + 'static,
    ) -> Result<Handle<FnGauge>> {
        validate_name(name)?;
        let handle = Handle::Shared(Arc::new(FnGauge::boxed(f)));
        let entry = Entry {
            name: name.into(),
            help: "".into(),
            unit: Unit::None,
            labels: Arc::new([]),
            type_label: None,
            origin: Origin::Dynamic,
            metric: MetricRef::FnGauge(handle.clone()),
        };
        self.write().insert(entry)?;
        Ok(handle)
    }

    /// Registers a statically declared metric: the explicit path for targets where `inventory`
    /// collects nothing (staticlibs, Miri, some linkers), and the way to add a static to an
    /// independent registry. Registering the same descriptor (same name, same static) again is
    /// a no-op.
    ///
    /// # Errors
    /// [`Error::InvalidName`], [`Error::Duplicate`] when another metric of that name is
    /// registered (with both locations), [`Error::KindMismatch`], [`Error::NameOverlap`].
    pub fn register(&self, d: &'static Descriptor) -> Result<()> {
        validate_name(d.name())?;
        let mut inner = self.write();
        if let Some(existing) = inner.by_name.get(d.name())
            && same_static(&existing.metric, d.metric())
        {
            return Ok(());
        }
        inner.insert(Entry {
            name: d.name().into(),
            help: d.help_text().into(),
            unit: d.unit_of(),
            labels: d
                .label_pairs()
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            type_label: d.type_label_of(),
            origin: Origin::Static(d.location_of()),
            metric: MetricRef::from_static(d.metric()),
        })
    }

    /// Every registered metric, sorted by name.
    #[must_use]
    pub fn metrics(&self) -> Vec<Entry> {
        self.read().by_name.values().cloned().collect()
    }

    /// Every registered name, sorted.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.read()
            .by_name
            .keys()
            .map(ToString::to_string)
            .collect()
    }

    /// The metric named `name`, if registered.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Entry> {
        self.read().by_name.get(name).cloned()
    }

    /// Problems met while registering declared metrics (those collected through `inventory`
    /// and per-instantiation metrics created on first use): duplicates with both locations,
    /// overlaps, kind clashes. Empty when all is well.
    #[must_use]
    pub fn problems(&self) -> Vec<Error> {
        self.read().problems.clone()
    }

    /// Registers `d`; a failure is kept in [`problems`](Self::problems) instead of returned
    /// (for declarations that have no caller to return it to).
    pub(crate) fn register_or_note(&self, d: &'static Descriptor) {
        if let Err(e) = self.register(d) {
            self.write().problems.push(e);
        }
    }
}

fn same_static(existing: &MetricRef, m: StaticMetric) -> bool {
    let addr = match existing {
        MetricRef::Counter(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::Gauge(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::UpDownCounter(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::FloatGauge(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::FnGauge(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::Meter(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::Histogram(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        MetricRef::Timer(Handle::Static(r)) => std::ptr::from_ref(*r).addr(),
        _ => return false,
    };
    addr == m.addr()
}
