//! Per-type named metrics with Dropwizard semantics: counters, gauges, meters, histograms and
//! timers; an `inventory`-backed registry that lists every declared metric before any of them
//! records; snapshots in tapes' nested shape.
//!
//! ```
//! use metered_runtime::{Counter, Descriptor, Registry, StaticMetric, Timer};
//!
//! // Metrics are plain statics: const-constructed, no lazy initialisation, no registry lookup
//! // on the record path. (The `Metered` derive and `#[metered]` generate these for you.)
//! static REQUESTS: Counter = Counter::new();
//! static REQUESTS_DESC: Descriptor =
//!     Descriptor::new("shop.checkout.requests", StaticMetric::Counter(&REQUESTS)).help("Checkouts.");
//!
//! REQUESTS.inc();
//! REQUESTS.add(2);
//!
//! // A registry of our own (the global `registry()` collects every static through inventory).
//! let registry = Registry::new();
//! registry.register(&REQUESTS_DESC).unwrap();
//! registry.gauge("shop.checkout.in_flight").unwrap().set(1);
//! assert_eq!(
//!     registry.snapshot().to_json(),
//!     r#"{"shop":{"checkout":{"in_flight":{"value":1},"requests":{"value":3}}}}"#
//! );
//! ```
//!
//! # Memory and the record path
//! Counters, meters, histograms and timers keep one shard per recording thread (a thread owns
//! its shard and updates it with plain relaxed stores), allocated on the first record. An idle
//! metric holds a single pointer. See [`slot_capacity`] for how many threads get a shard of their
//! own; the rest share one more shard updated with atomic read-modify-write operations.
//!
//! # Features
//! - `serde`: [`Snapshot`] implements `serde::Serialize` (the nested view).
//! - `tsc`: timers read the CPU's time-stamp counter through `quanta` instead of
//!   [`std::time::Instant`], which makes a timed call several times cheaper.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]
#![cfg_attr(test, allow(clippy::float_cmp))] // unit tests check exact values on purpose

mod clock;
mod descriptor;
mod error;
pub mod metric;
mod name;
mod registry;
mod set;
mod slot;
pub mod snapshot;

#[doc(hidden)]
pub mod __private;

pub use clock::{Clock, ManualClock, SystemClock};
pub use descriptor::{Descriptor, Location, StaticMetric, TypeLabel};
pub use error::{Error, Result};
pub use metric::counter::Counter;
pub use metric::family::Family;
pub use metric::gauge::{FloatGauge, FnGauge, Gauge, GaugeGuard};
pub use metric::histogram::{Histogram, HistogramConfig, HistogramSnapshot, Quantiles, Sketch};
pub use metric::meter::{Meter, MeterSnapshot};
pub use metric::reservoir;
pub use metric::timer::{Timer, TimerGuard, TimerSnapshot};
pub use metric::up_down::{UpDownCounter, UpDownGuard};
pub use metric::{MetricKind, Unit};
pub use name::validate_name;
pub use registry::{
    Entry, Handle, MetricRef, Origin, Registry, SelfCheck, incr, record, registry, self_check, set,
};
pub use set::{Classify, HasMetrics};
pub use slot::slot_capacity;
pub use snapshot::{MetricSnapshot, Snapshot, Value};

#[doc = include_str!("../docs/derive.md")]
pub use metered_macros::Metered;
#[doc = include_str!("../docs/metered.md")]
pub use metered_macros::metered;
#[doc = include_str!("../docs/metric_set.md")]
pub use metered_macros::metric_set;
