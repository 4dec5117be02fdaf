//! Gauges: integer, floating-point, and computed at snapshot time.

use crate::error::{Error, Result};
#[cfg(feature = "multiprocess")]
use once_cell::race::OnceRef;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Where a gauge's value lives in the multi-process mode (see `multiproc`): the pair of cells
/// (value, time of the last write) of this process's file, found once when the gauge is named;
/// unset in process.
#[cfg(feature = "multiprocess")]
type Sourced = OnceRef<'static, [AtomicU64; 2]>;

/// The cell holding a gauge's value in the multi-process mode, if it has one; a `write` stamps
/// its time.
#[cfg(feature = "multiprocess")]
#[inline]
fn sourced(cells: &Sourced, write: bool) -> Option<&'static AtomicU64> {
    let pair = cells.get()?;
    if write {
        crate::multiproc::stamp(&pair[1]);
    }
    Some(&pair[0])
}

/// Gives a gauge the cells of the id `make` returns (the multi-process mode); `false` if it has
/// them already.
#[cfg(feature = "multiprocess")]
fn adopt(cells: &Sourced, make: impl FnOnce() -> Option<u32>) -> bool {
    if cells.get().is_some() {
        return false;
    }
    let Some(id) = make() else { return false };
    cells.set(crate::slot::shared_pair(id)).is_ok()
}

/// An integer value that goes up and down (an up-down counter): queue depth, connections.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// static IN_FLIGHT: metered_runtime::Gauge = metered_runtime::Gauge::new();
/// IN_FLIGHT.inc();
/// IN_FLIGHT.add(4);
/// IN_FLIGHT.sub(2);
/// assert_eq!(IN_FLIGHT.get(), 3);
/// IN_FLIGHT.set(-1);
/// assert_eq!(IN_FLIGHT.get(), -1);
/// ```
#[derive(Debug, Default)]
pub struct Gauge {
    value: AtomicI64,
    /// The multi-process mode's cells, if named there.
    #[cfg(feature = "multiprocess")]
    sourced: Sourced,
}

impl Gauge {
    /// A gauge at zero.
    #[must_use]
    pub const fn new() -> Self {
        Gauge {
            value: AtomicI64::new(0),
            #[cfg(feature = "multiprocess")]
            sourced: OnceRef::new(),
        }
    }

    /// Moves its value to the cell `make` gives (the multi-process mode); `false` if it has one.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        adopt(&self.sourced, make)
    }

    /// Its cell in the multi-process mode's file, if it has one (a `write` stamps its time).
    #[cfg(feature = "multiprocess")]
    #[inline]
    fn mp(&self, write: bool) -> Option<&'static AtomicU64> {
        sourced(&self.sourced, write)
    }

    /// Without the multi-process mode: none, and no load on the record path.
    #[cfg(not(feature = "multiprocess"))]
    #[inline]
    #[allow(
        clippy::unused_self,
        clippy::unnecessary_wraps,
        reason = "the signature with the feature"
    )]
    fn mp(&self, _: bool) -> Option<&'static AtomicU64> {
        None
    }

    /// Sets the value.
    #[inline]
    #[allow(clippy::cast_sign_loss, reason = "an i64 kept as bits")]
    pub fn set(&self, v: i64) {
        match self.mp(true) {
            Some(c) => c.store(v as u64, Ordering::Relaxed),
            None => self.value.store(v, Ordering::Relaxed),
        }
    }
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }
    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }
    /// Adds `n` (wrapping).
    #[inline]
    #[allow(clippy::cast_sign_loss, reason = "an i64 kept as bits")]
    pub fn add(&self, n: i64) {
        match self.mp(true) {
            Some(c) => {
                c.fetch_add(n as u64, Ordering::Relaxed);
            }
            None => {
                self.value.fetch_add(n, Ordering::Relaxed);
            }
        }
    }
    /// Subtracts `n` (wrapping).
    #[inline]
    #[allow(clippy::cast_sign_loss, reason = "an i64 kept as bits")]
    pub fn sub(&self, n: i64) {
        match self.mp(true) {
            Some(c) => {
                c.fetch_sub(n as u64, Ordering::Relaxed);
            }
            None => {
                self.value.fetch_sub(n, Ordering::Relaxed);
            }
        }
    }
    /// The current value.
    #[must_use]
    #[allow(clippy::cast_possible_wrap, reason = "an i64 kept as bits")]
    pub fn get(&self) -> i64 {
        match self.mp(false) {
            Some(c) => c.load(Ordering::Relaxed) as i64,
            None => self.value.load(Ordering::Relaxed),
        }
    }
    /// Increments now and decrements when the returned guard drops, however the scope is left
    /// (return, `?`, panic, a dropped future).
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let g = metered_runtime::Gauge::new();
    /// {
    ///     let _in_flight = g.track();
    ///     assert_eq!(g.get(), 1);
    /// }
    /// assert_eq!(g.get(), 0);
    /// ```
    #[must_use = "the gauge goes back down when the guard is dropped"]
    pub fn track(&self) -> GaugeGuard<'_> {
        self.inc();
        GaugeGuard { gauge: self }
    }
}

/// Decrements its [`Gauge`] when dropped; made by [`Gauge::track`].
#[derive(Debug)]
pub struct GaugeGuard<'a> {
    gauge: &'a Gauge,
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// A floating-point value: temperature, ratio, last seen latency.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// let g = metered_runtime::FloatGauge::new();
/// g.set(0.25);
/// g.add(0.5).unwrap();
/// assert_eq!(g.get(), 0.75);
/// assert!(g.set_checked(f64::NAN).is_err());
/// ```
#[derive(Debug, Default)]
pub struct FloatGauge {
    bits: AtomicU64,
    /// The multi-process mode's cells, if named there.
    #[cfg(feature = "multiprocess")]
    sourced: Sourced,
}

impl FloatGauge {
    /// A gauge at 0.0.
    #[must_use]
    pub const fn new() -> Self {
        FloatGauge {
            bits: AtomicU64::new(0),
            #[cfg(feature = "multiprocess")]
            sourced: OnceRef::new(),
        }
    }

    /// Moves its value to the cell `make` gives (the multi-process mode); `false` if it has one.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        adopt(&self.sourced, make)
    }

    /// Its cell in the multi-process mode's file, if it has one (a `write` stamps its time).
    #[cfg(feature = "multiprocess")]
    #[inline]
    fn mp(&self, write: bool) -> Option<&'static AtomicU64> {
        sourced(&self.sourced, write)
    }

    /// Without the multi-process mode: none, and no load on the record path.
    #[cfg(not(feature = "multiprocess"))]
    #[inline]
    #[allow(
        clippy::unused_self,
        clippy::unnecessary_wraps,
        reason = "the signature with the feature"
    )]
    fn mp(&self, _: bool) -> Option<&'static AtomicU64> {
        None
    }

    #[inline]
    fn cell(&self, write: bool) -> &AtomicU64 {
        self.mp(write).unwrap_or(&self.bits)
    }
    /// Sets the value. Non-finite values are stored as given; use [`set_checked`](Self::set_checked)
    /// to refuse them.
    #[inline]
    pub fn set(&self, v: f64) {
        self.cell(true).store(v.to_bits(), Ordering::Relaxed);
    }
    /// Sets the value if it is finite.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] for NaN or an infinity; the gauge keeps its value.
    pub fn set_checked(&self, v: f64) -> Result<()> {
        if v.is_finite() {
            self.set(v);
            Ok(())
        } else {
            Err(Error::InvalidValue {
                what: "FloatGauge::set_checked".into(),
                value: v.to_string(),
            })
        }
    }
    /// Adds `x` (a compare-and-swap loop).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] if `x` is not finite; the gauge keeps its value.
    pub fn add(&self, x: f64) -> Result<()> {
        if !x.is_finite() {
            return Err(Error::InvalidValue {
                what: "FloatGauge::add".into(),
                value: x.to_string(),
            });
        }
        let _ = self
            .cell(true)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                Some((f64::from_bits(b) + x).to_bits())
            });
        Ok(())
    }
    /// Subtracts `x` (a compare-and-swap loop).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] if `x` is not finite; the gauge keeps its value.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let g = metered_runtime::FloatGauge::new();
    /// g.set(1.0);
    /// g.sub(0.25).unwrap();
    /// assert_eq!(g.get(), 0.75);
    /// assert!(g.sub(f64::NAN).is_err());
    /// ```
    pub fn sub(&self, x: f64) -> Result<()> {
        if !x.is_finite() {
            return Err(Error::InvalidValue {
                what: "FloatGauge::sub".into(),
                value: x.to_string(),
            });
        }
        self.add(-x)
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> f64 {
        f64::from_bits(self.cell(false).load(Ordering::Relaxed))
    }
}

type BoxedFn = Box<dyn Fn() -> f64 + Send + Sync>;

enum Producer {
    Fn(fn() -> f64),
    Boxed(BoxedFn),
}

/// A gauge whose value a function computes when a snapshot is taken (tapes' `gauge(name,
/// producer)`).
///
/// A function that panics or returns a non-finite value gives an error for this gauge in the
/// snapshot; the snapshot and the export go on.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// fn queue_len() -> f64 { 7.0 }
/// static QUEUE: metered_runtime::FnGauge = metered_runtime::FnGauge::new(queue_len);
/// assert_eq!(QUEUE.get(), Ok(7.0));
///
/// let broken = metered_runtime::FnGauge::boxed(|| panic!("sensor gone"));
/// assert!(broken.get().unwrap_err().to_string().contains("sensor gone"));
/// ```
pub struct FnGauge {
    producer: Producer,
}

impl FnGauge {
    /// A gauge computed by a plain function (const, so it can be a `static`).
    #[must_use]
    pub const fn new(f: fn() -> f64) -> Self {
        FnGauge {
            producer: Producer::Fn(f),
        }
    }

    /// A gauge computed by a closure.
    #[must_use]
    pub fn boxed(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        FnGauge {
            producer: Producer::Boxed(Box::new(f)),
        }
    }

    /// Evaluates the function now.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] if the function panicked (with its message) or returned NaN or an
    /// infinity.
    pub fn get(&self) -> Result<f64> {
        let result = catch_unwind(AssertUnwindSafe(|| match &self.producer {
            Producer::Fn(f) => f(),
            Producer::Boxed(f) => f(),
        }));
        match result {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(v) => Err(Error::InvalidValue {
                what: "gauge function".into(),
                value: v.to_string(),
            }),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a non-string panic payload".into());
                Err(Error::InvalidValue {
                    what: "gauge function".into(),
                    value: format!("(panicked: {msg})"),
                })
            }
        }
    }
}

impl std::fmt::Debug for FnGauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnGauge").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected values are exact")]
mod tests {
    use super::*;

    #[test]
    fn float_gauge_add_is_exact_for_small_sums() {
        let g = FloatGauge::new();
        for _ in 0..4 {
            g.add(0.25).unwrap();
        }
        assert_eq!(g.get(), 1.0);
        assert!(g.add(f64::INFINITY).is_err());
        assert_eq!(g.get(), 1.0);
    }

    #[test]
    fn fn_gauge_reports_non_finite_values() {
        let g = FnGauge::boxed(|| f64::NAN);
        assert_eq!(
            g.get(),
            Err(Error::InvalidValue {
                what: "gauge function".into(),
                value: "NaN".into()
            })
        );
    }

    #[test]
    fn gauge_guard_survives_panic() {
        let g = Gauge::new();
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let _t = g.track();
            panic!("boom");
        }));
        assert!(r.is_err());
        assert_eq!(g.get(), 0);
    }
}
