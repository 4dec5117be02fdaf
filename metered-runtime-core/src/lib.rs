//! The runtime of [metered-runtime](https://docs.rs/metered-runtime): metric types, registries
//! and snapshots. Depend on `metered-runtime`, which re-exports all of this together with the
//! macros; this crate exists so that the runtime compiles in parallel with the macros' `syn`
//! instead of after it.
//!
//! Examples name the crate `metered_runtime`, as users do.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![cfg_attr(
    test,
    allow(clippy::float_cmp, reason = "unit tests check exact values on purpose")
)]

pub mod auth;
mod clock;
mod collect;
pub mod collector;
mod descriptor;
mod error;
#[cfg(any(
    feature = "prometheus",
    feature = "openmetrics",
    feature = "native-histogram"
))]
pub mod export;
/// Encoders of snapshots: without the `prometheus` and `openmetrics` features, the JSON views
/// only ([`json`](export::json)).
#[cfg(not(any(
    feature = "prometheus",
    feature = "openmetrics",
    feature = "native-histogram"
)))]
pub mod export {
    pub mod json;
}
mod instrument;
pub mod metric;
#[cfg(feature = "multiprocess")]
pub mod multiproc;
mod name;
#[cfg(feature = "push")]
pub mod push;
mod registry;
mod set;
mod slot;
pub mod snapshot;
#[cfg(feature = "statvent")]
pub mod statvent;

#[doc(hidden)]
pub mod __private;

pub use clock::{Clock, ManualClock, SystemClock};
pub use descriptor::{Descriptor, Location, StaticMetric, TypeLabel};
pub use error::{Error, Result};
pub use instrument::Classify;
pub use metric::counter::Counter;
pub use metric::family::Family;
pub use metric::gauge::{FloatGauge, FnGauge, Gauge, GaugeGuard};
pub use metric::histogram::{
    BucketSpan, Histogram, HistogramConfig, HistogramSnapshot, Quantiles, Sketch,
};
pub use metric::meter::{Meter, MeterSnapshot};
#[cfg(feature = "dropwizard")]
pub use metric::reservoir;
pub use metric::timer::{Timer, TimerGuard, TimerSnapshot};
pub use metric::up_down::{UpDownCounter, UpDownGuard};
pub use metric::{MetricKind, Unit};
pub use name::exposition::{exposition_label_key, exposition_name, sample_names};
pub use name::validate_name;
pub use registry::{
    Entry, FamilyMember, FamilyRef, Handle, Metric, MetricRef, Origin, Registry, SelfCheck, incr,
    record, registry, self_check, set,
};
pub use set::HasMetrics;
pub use snapshot::{MetricSnapshot, Snapshot, Value};
