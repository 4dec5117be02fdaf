//! The validated model the expansion generates from: what `check` produces out of the syntax
//! tree and the attribute arguments. Nothing here can be wrong any more; everything the user
//! got wrong has been reported, and left out or replaced by a placeholder.

use crate::ast::TypeModel;
use crate::template::Part;
use proc_macro2::Span;
use syn::{Attribute, Ident, LitStr, Path, Visibility};

/// A metric kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Timer,
    Meter,
    Counter,
    Gauge,
    UpDownCounter,
    FloatGauge,
    FnGauge,
    Histogram,
}

impl Kind {
    /// Every kind, in the order messages list them.
    pub const ALL: [Kind; 8] = [
        Kind::Timer,
        Kind::Meter,
        Kind::Counter,
        Kind::Gauge,
        Kind::UpDownCounter,
        Kind::FloatGauge,
        Kind::FnGauge,
        Kind::Histogram,
    ];

    pub fn from_ident(i: &Ident) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| i == k.name())
    }

    /// The name of the runtime type, which the `StaticMetric` variant shares.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Timer => "Timer",
            Kind::Meter => "Meter",
            Kind::Counter => "Counter",
            Kind::Gauge => "Gauge",
            Kind::UpDownCounter => "UpDownCounter",
            Kind::FloatGauge => "FloatGauge",
            Kind::FnGauge => "FnGauge",
            Kind::Histogram => "Histogram",
        }
    }

    /// [`Kind::name`] as an identifier.
    pub fn ident(self) -> Ident {
        Ident::new(self.name(), Span::call_site())
    }

    /// Whether the kind is a histogram underneath and takes `buckets`, `window`, `cumulative`.
    pub fn is_histogram(self) -> bool {
        matches!(self, Kind::Timer | Kind::Histogram)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Kind::Timer => "timer",
            Kind::Meter => "meter",
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::UpDownCounter => "up-down counter",
            Kind::FloatGauge => "float gauge",
            Kind::FnGauge => "function gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A metric's unit, as the runtime's `Unit` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
    Ratio,
    /// A plural unit name of lower-case letters and `_`, like `requests`.
    Other(String),
}

/// The family and label key of a type label: the template without its type segment, and the
/// key the type's name is given under.
pub type Family = (Vec<Part>, String);

/// A validated metric of a set.
pub struct Metric {
    pub ident: Ident,
    pub kind: Kind,
    pub template: LitStr,
    pub parts: Vec<Part>,
    /// Family pieces and label key, if a type label was asked for.
    pub type_label: Option<Family>,
    pub help: String,
    pub unit: Option<Unit>,
    /// The histogram configuration of a `Histogram` or `Timer`, if options were given.
    pub config: Option<HistConfig>,
    /// The function of an `FnGauge` (`None` beside an error: a placeholder is generated).
    pub value: Option<Path>,
}

/// A validated `HistogramConfig`: classic bounds (finite, strictly increasing, non-empty) and
/// the quantile window.
#[derive(Debug, Clone, PartialEq)]
pub struct HistConfig {
    pub bounds: Option<Vec<f64>>,
    pub window: Option<Window>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// `window = "..."`, in milliseconds (never zero).
    Millis(u64),
    /// `cumulative`.
    Cumulative,
}

/// What the methods of one `#[metered]` item (or the fn itself) are named after.
pub struct Site {
    /// `crate = path`.
    pub krate: Option<Path>,
    /// The self type's name (the last segment of its path, without `r#`), if it has one.
    pub ty: Option<String>,
    /// The trait's name of an `impl Trait for T` block.
    pub trait_: Option<String>,
}

/// A validated instrumented fn: the template its metrics are named from and what it records.
pub struct Instrumented {
    pub parts: Vec<Part>,
    pub type_label: Option<Family>,
    /// The user's function telling errors, `error = path`.
    pub error: Option<Path>,
}

/// A validated `#[derive(Metered)]`.
pub struct Derive<'a> {
    pub ty: TypeModel<'a>,
    /// `crate = path`.
    pub krate: Option<Path>,
    pub per_instantiation: bool,
    pub metrics: Metrics,
}

/// Where a derived type's metrics are declared.
pub enum Metrics {
    /// Listed on the type itself.
    Inline(Vec<Metric>),
    /// A set declared with `metric_set!`, `set = path`.
    Set(Path),
}

/// A validated `metric_set!`.
pub struct Set {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub ident: Ident,
    /// `crate = path`.
    pub krate: Option<Path>,
    pub metrics: Vec<Metric>,
}

/// What a field of a point struct is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Tag,
    Field,
    Timestamp,
}

/// A validated field of a point struct: its Rust name and type, its key and role.
pub struct PointMember<'a> {
    pub ident: &'a Ident,
    pub ty: &'a syn::Type,
    /// The tag or field key (unused for the timestamp).
    pub key: String,
    pub role: Role,
}

/// A validated `#[derive(Point)]`.
pub struct PointDerive<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub generics: &'a syn::Generics,
    /// The series (measurement); empty beside an error.
    pub series: String,
    /// `crate = path`.
    pub krate: Option<Path>,
    /// Tags, fields and the timestamp, in declaration order (skipped fields left out).
    pub members: Vec<PointMember<'a>>,
}
