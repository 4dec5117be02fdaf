//! [`Registry`]: metrics by name; get-or-create, typed look-ups, explicit registration, listing.

use super::entry::Entry;
use super::identity::Identities;
use super::model::{FamilyMember, Handle, Metric, MetricRef};
use crate::clock::{Clock, ClockRef, SystemClock};
use crate::collector::{Collector, Registered};
use crate::descriptor::Descriptor;
use crate::error::{Error, Result};
use crate::metric::MetricKind;
use crate::metric::counter::Counter;
use crate::metric::family::Family;
use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
use crate::metric::histogram::{Histogram, HistogramConfig};
use crate::metric::meter::Meter;
use crate::metric::timer::Timer;
use crate::metric::up_down::UpDownCounter;
use crate::name::{overlaps, validate_name};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

#[derive(Debug, Default)]
struct Inner {
    by_name: BTreeMap<Arc<str>, Entry>,
    identities: Identities,
    problems: Vec<Error>,
    /// How many metrics were registered so far: what the exporters' cached plan is checked
    /// against.
    generation: u64,
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

    fn insert(&mut self, mut entry: Entry) -> Result<()> {
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
        let placement = self.identities.place(&entry)?;
        entry.exposition = Arc::clone(placement.exposition());
        entry.exposition_keys = placement.keys().into();
        self.identities.commit(placement, &entry);
        self.by_name.insert(Arc::clone(&entry.name), entry);
        self.generation += 1;
        Ok(())
    }
}

/// Metrics by name.
///
/// The [global registry](crate::registry) holds every statically declared metric of every linked crate
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
    /// Collectors by name (see [`register_collector`](Registry::register_collector)).
    collectors: RwLock<BTreeMap<String, Arc<Registered>>>,
    /// What collector caching reads time from.
    clock: ClockRef,
    /// What the text encoders derived from the registered metrics (see `crate::export`), with
    /// the generation it was derived at.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    exported: Mutex<Option<(u64, Arc<dyn Any + Send + Sync>)>>,
}

macro_rules! get_or_create {
    ($($(#[$doc:meta])* $fn:ident: $ty:ident,)*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// [`Error::InvalidName`], [`Error::KindMismatch`] if the name is taken by another kind,
        /// [`Error::NameOverlap`] if it is a dotted prefix of a registered name or extends one,
        /// [`Error::InvalidLabel`] if it is a family of this kind.
        pub fn $fn(&self, name: &str) -> Result<Handle<$ty>> {
            self.get_or_create(name, $ty::new)
        }
    )*};
}

/// The family of `M`s that `metric`, registered under `name`, is, or the error saying what it is.
fn family_of<'a, M: FamilyMember>(name: &str, metric: &'a MetricRef) -> Result<&'a Arc<Family<M>>> {
    match metric {
        MetricRef::Family(f) => M::unwrap(f),
        _ => None,
    }
    .ok_or_else(|| mismatch(name, metric, M::KIND))
}

/// The error for `found`, registered under `name`, when a `requested` was asked for: another
/// kind, or the same kind as a family where a single metric was asked for, or the reverse.
fn mismatch(name: &str, found: &MetricRef, requested: MetricKind) -> Error {
    let existing = found.kind();
    if existing != requested {
        return Error::KindMismatch {
            name: name.to_owned(),
            existing,
            requested,
        };
    }
    let reason = match found {
        MetricRef::Family(f) => format!(
            "registered as a {existing} family with label keys [{}], asked for as a single {requested}",
            f.keys().join(", ")
        ),
        _ => format!("registered as a single {existing} without labels, asked for as a family"),
    };
    Error::InvalidLabel {
        family: name.to_owned(),
        reason,
    }
}

impl Registry {
    /// An empty registry, independent of the global one.
    #[must_use]
    pub fn new() -> Self {
        SystemClock::start();
        Registry::default()
    }

    /// An empty registry whose own time-dependent work (how long a collector's result is
    /// reused) reads `clock`; metrics keep their own clocks.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{ManualClock, Registry};
    /// use std::sync::Arc;
    /// let clock = Arc::new(ManualClock::new());
    /// let r = Registry::with_clock(clock.clone());
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        SystemClock::start();
        Registry {
            clock: ClockRef::Custom(clock),
            ..Registry::default()
        }
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
        let entry = Entry::dynamic(name, make()?);
        let metric = entry.metric.clone();
        inner.insert(entry)?;
        #[cfg(feature = "multiprocess")]
        self.registered(&inner, name);
        Ok(metric)
    }

    /// The `M` named `name`, made by `make` if absent.
    pub(crate) fn get_or_create<M: Metric>(
        &self,
        name: &str,
        make: impl Fn() -> M,
    ) -> Result<Handle<M>> {
        let metric = self.get_or_insert(name, &mut || {
            Ok(M::into_ref(Handle::Shared(Arc::new(make()))))
        })?;
        M::from_ref(&metric)
            .cloned()
            .ok_or_else(|| mismatch(name, &metric, M::KIND))
    }

    get_or_create! {
        /// The counter named `name`, created if absent.
        counter: Counter,
        /// The integer gauge named `name`, created if absent.
        gauge: Gauge,
        /// The up-down counter named `name`, created if absent.
        up_down_counter: UpDownCounter,
        /// The floating-point gauge named `name`, created if absent.
        float_gauge: FloatGauge,
        /// The meter named `name`, created if absent.
        meter: Meter,
        /// The histogram named `name` (default configuration), created if absent.
        histogram: Histogram,
        /// The timer named `name` (default configuration), created if absent.
        timer: Timer,
    }

    /// The metric of kind `M` named `name`, if one is registered. Unlike the get-or-create
    /// methods ([`timer`](Self::timer) and the others), it never creates a metric, so a typo
    /// finds nothing instead of a new metric at zero.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Counter, Registry, Timer};
    /// use std::time::Duration;
    ///
    /// let r = Registry::new();
    /// r.timer("db.get.latency").unwrap().record(Duration::from_millis(3));
    ///
    /// let latency = r.find::<Timer>("db.get.latency").unwrap().unwrap();
    /// assert_eq!(latency.count(), 1);
    /// assert!(r.find::<Timer>("db.get.latncy").unwrap().is_none()); // a typo finds nothing
    /// assert_eq!(
    ///     r.find::<Counter>("db.get.latency").unwrap_err().to_string(),
    ///     r#"metric "db.get.latency" is registered as a timer, not a counter"#
    /// );
    /// assert_eq!(r.names(), ["db.get.latency"]); // nothing was created
    /// ```
    ///
    /// # Errors
    /// [`Error::KindMismatch`] naming both kinds if `name` is another kind;
    /// [`Error::InvalidLabel`] if it is a family of `M`s (read it with
    /// [`find_family`](Self::find_family)).
    pub fn find<M: Metric>(&self, name: &str) -> Result<Option<Handle<M>>> {
        let inner = self.read();
        let Some(e) = inner.by_name.get(name) else {
            return Ok(None);
        };
        match M::from_ref(&e.metric) {
            Some(h) => Ok(Some(h.clone())),
            None => Err(mismatch(name, &e.metric, M::KIND)),
        }
    }

    /// The family of `M`s named `name`, if one is registered (whatever its label keys); never
    /// creates one.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Counter, Registry};
    /// let r = Registry::new();
    /// r.counter_family("http.requests", &["status"]).unwrap().get(&["200"]).unwrap().inc();
    /// let f = r.find_family::<Counter>("http.requests").unwrap().unwrap();
    /// assert_eq!(f.get(&["200"]).unwrap().get(), 1);
    /// assert!(r.find_family::<Counter>("http.request").unwrap().is_none());
    /// assert!(r.find::<Counter>("http.requests").is_err()); // a family, not a single counter
    /// ```
    ///
    /// # Errors
    /// [`Error::KindMismatch`] if `name` is another kind; [`Error::InvalidLabel`] if it is a
    /// single `M` without labels.
    pub fn find_family<M: FamilyMember>(&self, name: &str) -> Result<Option<Arc<Family<M>>>> {
        let inner = self.read();
        let Some(e) = inner.by_name.get(name) else {
            return Ok(None);
        };
        family_of::<M>(name, &e.metric).map(|f| Some(Arc::clone(f)))
    }

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
        let metric = self.get_or_insert(name, &mut || {
            Family::new(name, keys).map(|f| MetricRef::Family(M::wrap(Arc::new(f))))
        })?;
        let family = family_of::<M>(name, &metric)?;
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
        self.get_or_create(name, || Histogram::with_config(config))
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
        self.write()
            .insert(Entry::dynamic(name, MetricRef::FnGauge(handle.clone())))?;
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
            && existing.static_addr == Some(d.metric().addr())
        {
            return Ok(());
        }
        inner.insert(Entry::declared(d))?;
        #[cfg(feature = "multiprocess")]
        self.registered(&inner, d.name());
        Ok(())
    }

    /// Names a metric just registered in the multi-process mode's file, under the registry's
    /// lock (before anyone else can record into it), if this is the global registry.
    #[cfg(feature = "multiprocess")]
    fn registered(&self, inner: &Inner, name: &str) {
        if super::global::is_global(self)
            && let Some(e) = inner.by_name.get(name)
        {
            crate::multiproc::registered(e);
        }
    }

    /// Every registered metric, sorted by name.
    #[must_use]
    pub fn metrics(&self) -> Vec<Entry> {
        self.read().by_name.values().cloned().collect()
    }

    /// Every registered metric, sorted by name, and the generation of that list (how many
    /// metrics were registered so far), read at once.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn metrics_at(&self) -> (u64, Vec<Entry>) {
        let inner = self.read();
        (inner.generation, inner.by_name.values().cloned().collect())
    }

    /// The registration generation (see [`metrics_at`](Self::metrics_at)).
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn generation(&self) -> u64 {
        self.read().generation
    }

    /// Where the text encoders keep what they derived from the registered metrics.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn export_cache(&self) -> &Mutex<Option<(u64, Arc<dyn Any + Send + Sync>)>> {
        &self.exported
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

    /// Registers `collector` under `name`: it runs at every [`snapshot`](Self::snapshot) and
    /// its families appear there as ordinary families. See [`collector`](crate::collector).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `name` is empty, holds a control character, or names a
    /// registered collector.
    pub fn register_collector(
        &self,
        name: &str,
        collector: impl Collector + 'static,
    ) -> Result<()> {
        self.register_collector_cached(name, std::time::Duration::ZERO, collector)
    }

    /// Registers `collector` under `name`, its result reused for `ttl` (as the registry's
    /// clock measures it, see [`with_clock`](Self::with_clock)) before it runs again: for a
    /// collector that queries a database, for example. A failed run is reused as long.
    ///
    /// # Errors
    /// As [`register_collector`](Self::register_collector).
    pub fn register_collector_cached(
        &self,
        name: &str,
        ttl: std::time::Duration,
        collector: impl Collector + 'static,
    ) -> Result<()> {
        if name.is_empty() || name.chars().any(char::is_control) {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "a collector's name must be non-empty text without control characters, \
                     not {name:?}"
                ),
            });
        }
        let mut collectors = self
            .collectors
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if collectors.contains_key(name) {
            return Err(Error::InvalidConfig {
                reason: format!("a collector named {name:?} is registered already"),
            });
        }
        collectors.insert(
            name.to_owned(),
            Arc::new(Registered::new(name, ttl, Box::new(collector))),
        );
        Ok(())
    }

    /// Removes the collector named `name`; whether there was one.
    pub fn remove_collector(&self, name: &str) -> bool {
        self.collectors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name)
            .is_some()
    }

    /// The names of the registered collectors, sorted.
    #[must_use]
    pub fn collector_names(&self) -> Vec<String> {
        self.collectors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// The registered collectors, sorted by name, and the time now on the registry's clock.
    pub(crate) fn collectors_now(&self) -> (Vec<Arc<Registered>>, u64) {
        let collectors = self
            .collectors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        (collectors, self.clock.now_nanos())
    }

    /// Why a family that is not registered (a collector's), named `name` and exported as
    /// `exposition` with samples of a `kind`, cannot be exported beside the registered
    /// metrics, if it cannot.
    pub(crate) fn foreign_clash(
        &self,
        name: &str,
        exposition: &str,
        kind: MetricKind,
    ) -> Option<String> {
        let inner = self.read();
        if let Some(e) = inner.by_name.get(name) {
            return Some(format!("{name:?} is the name of a registered {}", e.kind()));
        }
        if let Some(existing) = inner.overlap(name) {
            return Some(format!(
                "{name:?} overlaps the registered name {existing:?}: one is a dotted prefix of \
                 the other"
            ));
        }
        inner
            .identities
            .meets(exposition, kind)
            .map(|(sample, owner)| {
                format!(
                    "{exposition:?} exports the name {sample:?}, which the registered family \
                 {owner:?} exports too"
                )
            })
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
