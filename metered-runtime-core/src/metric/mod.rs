//! Metric kinds, units and the small traits exporters read them through.

pub mod counter;
pub mod family;
pub mod gauge;
pub mod histogram;
pub mod meter;
#[cfg(feature = "dropwizard")]
pub mod reservoir;
pub mod timer;
pub mod up_down;

use std::fmt;

/// What kind of metric a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MetricKind {
    /// A monotonic count: [`Counter`](crate::Counter).
    Counter,
    /// An integer value that goes up and down: [`Gauge`](crate::Gauge).
    Gauge,
    /// An integer that moves by deltas only: [`UpDownCounter`](crate::UpDownCounter).
    UpDownCounter,
    /// A floating-point value: [`FloatGauge`](crate::FloatGauge).
    FloatGauge,
    /// A value computed by a function when a snapshot is taken: [`FnGauge`](crate::FnGauge).
    FnGauge,
    /// A count with mean and 1/5/15-minute rates: [`Meter`](crate::Meter).
    Meter,
    /// A distribution of values: [`Histogram`](crate::Histogram).
    Histogram,
    /// A distribution of durations plus rates: [`Timer`](crate::Timer).
    Timer,
}

impl MetricKind {
    /// The kind's name in lower case, as used in messages and snapshots.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::UpDownCounter => "up-down counter",
            MetricKind::FloatGauge => "float gauge",
            MetricKind::FnGauge => "function gauge",
            MetricKind::Meter => "meter",
            MetricKind::Histogram => "histogram",
            MetricKind::Timer => "timer",
        }
    }
}

impl fmt::Display for MetricKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unit of a metric's values, used by exporters for suffixes (`_seconds`, `_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Unit {
    /// No unit (a plain count or value).
    #[default]
    None,
    /// Seconds. Timers are always in seconds.
    Seconds,
    /// Bytes.
    Bytes,
    /// A ratio, 0 to 1.
    Ratio,
    /// Any other unit, by its name (lower-case, plural, as Prometheus recommends: `requests`).
    Other(&'static str),
}

impl Unit {
    /// The unit's name (`""` for [`Unit::None`]).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::None => "",
            Unit::Seconds => "seconds",
            Unit::Bytes => "bytes",
            Unit::Ratio => "ratio",
            Unit::Other(s) => s,
        }
    }
}
