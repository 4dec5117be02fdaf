//! What an exposition is made from ([`Scrape`]), how it is asked for ([`Options`]), and what it
//! had to leave out ([`Problem`]).

use crate::registry::{FamilyRef, MetricRef, Registry};
use crate::snapshot::Snapshot;
use std::fmt;

/// What an exposition is made from: a [`Snapshot`] and, when taken from a [`Registry`], how
/// many label sets each labelled family sent to its overflow child.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, export::Scrape};
/// let r = Registry::new();
/// r.counter("jobs.done").unwrap().inc();
/// let scrape = Scrape::of(&r);
/// assert_eq!(scrape.snapshot().metrics().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    pub(super) snapshot: Snapshot,
    /// Each labelled family's exposition name and overflow count.
    pub(super) overflowed: Vec<(String, u64)>,
}

impl Scrape {
    /// Reads `registry` now: its snapshot and every labelled family's overflow count.
    #[must_use]
    pub fn of(registry: &Registry) -> Self {
        let overflowed = registry
            .metrics()
            .iter()
            .filter_map(|e| match e.metric() {
                MetricRef::Family(f) => Some((e.exposition_name().to_owned(), overflowed(f))),
                _ => None,
            })
            .collect();
        Scrape {
            snapshot: registry.snapshot(),
            overflowed,
        }
    }

    /// The snapshot.
    #[must_use]
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl From<Snapshot> for Scrape {
    /// A scrape of a snapshot alone: overflow children are visible by their labels, but no
    /// overflow counts are exported.
    fn from(snapshot: Snapshot) -> Self {
        Scrape {
            snapshot,
            overflowed: Vec::new(),
        }
    }
}

pub(super) fn overflowed(f: &FamilyRef) -> u64 {
    match f {
        FamilyRef::Counter(f) => f.overflowed(),
        FamilyRef::Gauge(f) => f.overflowed(),
        FamilyRef::UpDownCounter(f) => f.overflowed(),
        FamilyRef::FloatGauge(f) => f.overflowed(),
        FamilyRef::Meter(f) => f.overflowed(),
        FamilyRef::Histogram(f) => f.overflowed(),
        FamilyRef::Timer(f) => f.overflowed(),
    }
}

/// What the text encoders export beyond the defaults.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// let opts = metered_runtime::export::Options::new().meter_rates(true).summaries(true);
/// assert!(opts.has_meter_rates() && opts.has_summaries());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub(super) meter_rates: bool,
    pub(super) summaries: bool,
}

impl Options {
    /// The defaults: no meter rate gauges, no quantile summaries.
    #[must_use]
    pub const fn new() -> Self {
        Options {
            meter_rates: false,
            summaries: false,
        }
    }

    /// Also export each meter's rates as a gauge family `<name>_rate` with a `window` label
    /// (`1m`, `5m`, `15m`, `lifetime`), in events per second.
    #[must_use]
    pub const fn meter_rates(mut self, on: bool) -> Self {
        self.meter_rates = on;
        self
    }

    /// Also export each histogram's and timer's windowed quantiles as a summary family
    /// `<name>_quantiles` (quantiles 0.5, 0.75, 0.95, 0.98, 0.99, 0.999, no `_sum`/`_count`:
    /// those are on the histogram).
    #[must_use]
    pub const fn summaries(mut self, on: bool) -> Self {
        self.summaries = on;
        self
    }

    /// Whether meter rates are exported.
    #[must_use]
    pub const fn has_meter_rates(&self) -> bool {
        self.meter_rates
    }

    /// Whether quantile summaries are exported.
    #[must_use]
    pub const fn has_summaries(&self) -> bool {
        self.summaries
    }
}

/// Why a metric was left out of an exposition. Each is counted in the toolkit's own gauge
/// `metered_export_problems{reason="..."}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A function gauge panicked or returned NaN (its message is in the JSON view).
    FnGaugeFailed,
    /// Two metrics map to the same exposition name (or to each other's sample names).
    NameClash,
    /// A member of a type-label family differs from the family in kind or unit.
    MemberMismatch,
    /// Label keys that collide once mapped, or a reserved key (`le`, `quantile`).
    LabelClash,
    /// Two members of a type-label family with the same labels.
    DuplicateSeries,
    /// A collector failed (an error, a panic, or a family it yields refused): its
    /// `metered.collector.failure{collector}` series holds the message, in the JSON view
    /// and in [`Scrape::problems`].
    CollectorFailed,
}

impl ProblemKind {
    /// Every kind, in the order the problem gauge lists them.
    pub const ALL: [ProblemKind; 6] = [
        ProblemKind::FnGaugeFailed,
        ProblemKind::NameClash,
        ProblemKind::MemberMismatch,
        ProblemKind::LabelClash,
        ProblemKind::DuplicateSeries,
        ProblemKind::CollectorFailed,
    ];

    /// The value of the `reason` label.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ProblemKind::FnGaugeFailed => "fn_gauge_failed",
            ProblemKind::NameClash => "name_clash",
            ProblemKind::MemberMismatch => "member_mismatch",
            ProblemKind::LabelClash => "label_clash",
            ProblemKind::DuplicateSeries => "duplicate_series",
            ProblemKind::CollectorFailed => "collector_failed",
        }
    }
}

/// A metric left out of an exposition, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Why.
    pub kind: ProblemKind,
    /// What, naming the metric(s) involved.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

/// The name of the toolkit's own problem gauge.
pub(crate) const PROBLEMS_NAME: &str = "metered_export_problems";
/// The base name of the toolkit's own overflow counter.
pub(crate) const OVERFLOWED_NAME: &str = "metered_family_overflowed";
