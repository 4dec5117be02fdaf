//! Used by the code the macros generate. Not public API: it changes without notice.
//!
//! Re-exports only: every item lives in the module of its concern.
#![doc(hidden)]

pub use crate::collect::{Registration, Registrations};
pub use crate::descriptor::{Descriptor, Location, StaticMetric, TypeLabel};
pub use crate::instrument::{Call, Classify, Probe, ProbeClassify, ProbeDefault, call};
pub use crate::metric::Unit;
pub use crate::metric::counter::Counter;
pub use crate::metric::gauge::{FloatGauge, FnGauge, Gauge};
pub use crate::metric::histogram::{Histogram, HistogramConfig};
pub use crate::metric::meter::Meter;
pub use crate::metric::timer::{Timer, TimerGuard};
pub use crate::metric::up_down::UpDownCounter;
pub use crate::name::template::{
    Cx, Piece, Spec, descriptor, names, render, rendered_len, short_type_name, snake_case,
    string_at,
};
#[cfg(feature = "influx")]
pub use crate::push::influx::{Point, PointField, PointTime, TagValue};
pub use crate::set::{HasMetrics, Instance, PerType, SetDef, per_type};
pub use ::core;
pub use ::std;
pub use inventory;
pub use inventory::submit;
