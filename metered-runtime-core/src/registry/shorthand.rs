//! One-line recording into the global registry by name, for code without a handle at hand.

use super::global::registry;
use crate::error::Result;

/// Adds `n` to the global counter `name`, creating it if needed.
///
/// # Errors
/// As [`Registry::counter`](crate::Registry::counter).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// metered_runtime::incr("doc.incr.jobs", 2).unwrap();
/// assert_eq!(metered_runtime::registry().counter("doc.incr.jobs").unwrap().get(), 2);
/// ```
pub fn incr(name: &str, n: u64) -> Result<()> {
    registry().counter(name)?.add(n);
    Ok(())
}

/// Sets the global floating-point gauge `name`, creating it if needed.
///
/// # Errors
/// As [`Registry::float_gauge`](crate::Registry::float_gauge), and
/// [`Error::InvalidValue`](crate::Error::InvalidValue) for NaN or an infinity.
pub fn set(name: &str, v: f64) -> Result<()> {
    registry().float_gauge(name)?.set_checked(v)
}

/// Records `v` in the global histogram `name`, creating it if needed.
///
/// # Errors
/// As [`Registry::histogram`](crate::Registry::histogram), and
/// [`Error::InvalidValue`](crate::Error::InvalidValue) for a negative or non-finite value.
pub fn record(name: &str, v: f64) -> Result<()> {
    registry().histogram(name)?.record(v)
}
