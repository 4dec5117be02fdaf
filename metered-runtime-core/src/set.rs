//! Metric sets applied to types: the trait a type that owns a set implements, the trait every
//! set implements for the macros, and the instances created at run time for generic types.

use crate::descriptor::{Descriptor, StaticMetric};
use crate::name::template::{Cx, Spec, from_spec, render_one, short_type_name, snake_case};
use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

/// A type that owns an instance of the metric set `S`, made by `#[derive(Metered)]` with
/// `#[metrics(set = S)]` (see `metered_runtime::metric_set!` for the whole pattern, with a trait
/// whose default methods record into the implementing type's metrics).
///
/// Each type that applies a set gets its own `static` instance with its own names. Written by
/// hand, an implementation is a `static` per type:
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{HasMetrics, Timer};
///
/// struct Endpoint { latency: Timer }
///
/// trait Handler: HasMetrics<Endpoint> {
///     fn get(&self) -> u32 {
///         let _t = self.metrics().latency.time();
///         self.get_impl()
///     }
///     fn get_impl(&self) -> u32;
/// }
///
/// struct Users;
/// static USERS: Endpoint = Endpoint { latency: Timer::new() };
/// impl HasMetrics<Endpoint> for Users {
///     fn metric_set() -> &'static Endpoint { &USERS }
///     fn metrics(&self) -> &'static Endpoint { &USERS }
/// }
/// impl Handler for Users {
///     fn get_impl(&self) -> u32 { 7 }
/// }
///
/// assert_eq!(Users.get(), 7);
/// assert_eq!(Users::metric_set().latency.count(), 1);
/// ```
pub trait HasMetrics<S: 'static> {
    /// This type's instance of the set.
    fn metric_set() -> &'static S
    where
        Self: Sized;

    /// This type's instance of the set, from a value (usable in trait default methods and
    /// through `dyn` references).
    fn metrics(&self) -> &'static S;
}

/// Implemented by every metric set (`metric_set!` and the hidden set of an inline derive).
pub trait SetDef: Sized + Send + Sync + 'static {
    /// The metrics, in declaration order.
    const SPECS: &'static [Spec];
    /// A new instance, every metric at zero.
    fn fresh() -> Self;
    /// Metric `i` of this instance.
    fn metric(&'static self, i: usize) -> StaticMetric;
}

/// The instances of one set per concrete type, for `per_instantiation`.
#[derive(Debug)]
pub struct PerType(RwLock<BTreeMap<TypeId, &'static (dyn Any + Send + Sync)>>);

/// One concrete type's instance of a set, with its names in declaration order.
#[derive(Debug)]
pub struct Instance<S> {
    /// The metrics.
    pub set: S,
    /// Their names.
    pub names: &'static [&'static str],
}

impl PerType {
    /// An empty cache.
    #[must_use]
    pub const fn new() -> Self {
        PerType(RwLock::new(BTreeMap::new()))
    }
}

impl Default for PerType {
    fn default() -> Self {
        Self::new()
    }
}

/// The instance of `S` for the concrete type `T`: created, named after `type_name::<T>()` (paths
/// removed) and registered on the first call for `T`; afterwards one read lock and one map
/// look-up. The instance and its names are leaked: once per type and set.
pub fn per_type<S: SetDef, T: ?Sized + 'static>(
    cache: &'static PerType,
    module: &'static str,
    file: &'static str,
    line: u32,
) -> &'static Instance<S> {
    let id = TypeId::of::<T>();
    let found = |m: &BTreeMap<TypeId, &'static (dyn Any + Send + Sync)>| {
        m.get(&id).and_then(|a| a.downcast_ref::<Instance<S>>())
    };
    if let Some(s) = found(&cache.0.read().unwrap_or_else(PoisonError::into_inner)) {
        return s;
    }
    let mut map = cache.0.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(s) = found(&map) {
        return s;
    }
    let ty: &'static str = short_type_name(std::any::type_name::<T>()).leak();
    let cx = Cx {
        ty,
        ty_snake: snake_case(ty).leak(),
        module,
    };
    let names: Vec<&'static str> = S::SPECS
        .iter()
        .map(|spec| &*render_one(spec.name, &cx).leak())
        .collect();
    let instance: &'static Instance<S> = Box::leak(Box::new(Instance {
        set: S::fresh(),
        names: names.leak(),
    }));
    for (i, spec) in S::SPECS.iter().enumerate() {
        let family = render_one(spec.family, &cx).leak();
        let d = from_spec(instance.set.metric(i), spec, instance.names[i], family, ty);
        let d: &'static Descriptor = Box::leak(Box::new(d.location(module, file, line)));
        // A clash is reported by `self_check().problems`; the instance still records.
        crate::registry().register_or_note(d);
    }
    map.insert(id, instance);
    instance
}
