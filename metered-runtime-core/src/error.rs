//! The one error type of metered-runtime.

use crate::metric::MetricKind;
use std::fmt;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong at run time. Every variant names the metric involved.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A metric name that metered cannot use.
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The name is registered already as a metric of another kind.
    KindMismatch {
        /// The name asked for.
        name: String,
        /// The kind it is registered as.
        existing: MetricKind,
        /// The kind that was asked for.
        requested: MetricKind,
    },
    /// The name is a dotted prefix of, or extends, a registered name (`a.b` against `a.b.c`), so
    /// the two could not both appear in the nested snapshot.
    NameOverlap {
        /// The name asked for.
        name: String,
        /// The registered name it collides with.
        existing: String,
    },
    /// Two different metrics were registered under one name (for example by two types in
    /// different modules whose templates render the same name).
    Duplicate {
        /// The name.
        name: String,
        /// Where the first was declared.
        first: String,
        /// Where the second was declared.
        second: String,
    },
    /// Two metrics that cannot both be exported: their names map to one exposition name
    /// (`a.b_c` and `a_b.c`), a sample of one takes the other's name (a gauge `jobs_total`
    /// beside a counter `jobs`), or they are members of one type-label family that disagree on
    /// kind, unit, help or label keys, or carry the same type.
    ExpositionClash {
        /// The metric being registered.
        name: String,
        /// Where it was declared (or that it was created at run time).
        origin: String,
        /// The registered metric it clashes with.
        existing: String,
        /// Where that one was declared.
        existing_origin: String,
        /// How they clash.
        reason: String,
    },
    /// A label key or a set of label values that a family cannot use.
    InvalidLabel {
        /// The family's name.
        family: String,
        /// What is wrong.
        reason: String,
    },
    /// A value that the metric rejects (negative, NaN or infinite where that has no meaning).
    InvalidValue {
        /// The metric or operation.
        what: String,
        /// The value, as text (it may be NaN).
        value: String,
    },
    /// A configuration that cannot work (for example unsorted histogram bounds).
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// An I/O error from an exporter or reporter, with the path or address involved.
    Io {
        /// What was being done, with the path or address.
        context: String,
        /// The operating system's message.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidName { name, reason } => {
                write!(f, "invalid metric name {name:?}: {reason}")
            }
            Error::KindMismatch {
                name,
                existing,
                requested,
            } => write!(
                f,
                "metric {name:?} is registered as a {existing}, not a {requested}"
            ),
            Error::NameOverlap { name, existing } => write!(
                f,
                "metric name {name:?} overlaps the registered name {existing:?}: one is a dotted prefix of the other"
            ),
            Error::Duplicate {
                name,
                first,
                second,
            } => write!(
                f,
                "metric {name:?} is declared twice: at {first} and at {second}"
            ),
            Error::ExpositionClash {
                name,
                origin,
                existing,
                existing_origin,
                reason,
            } => write!(
                f,
                "metric {name:?} ({origin}) clashes with {existing:?} ({existing_origin}) in the exposition: {reason}"
            ),
            Error::InvalidLabel { family, reason } => {
                write!(f, "invalid labels for {family:?}: {reason}")
            }
            Error::InvalidValue { what, value } => write!(f, "{what} rejects the value {value}"),
            Error::InvalidConfig { reason } => write!(f, "invalid configuration: {reason}"),
            Error::Io { context, message } => write!(f, "{context}: {message}"),
        }
    }
}

impl std::error::Error for Error {}
