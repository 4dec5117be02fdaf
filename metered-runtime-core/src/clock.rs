//! Time sources. Every rate and duration in metered reads time through a [`Clock`], so tests can
//! drive it exactly with a [`ManualClock`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// A monotonic source of time in nanoseconds since an arbitrary fixed origin.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// clock.advance(std::time::Duration::from_secs(2));
/// assert_eq!(clock.now_nanos(), 2_000_000_000);
/// ```
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Nanoseconds since this clock's origin; never decreases.
    fn now_nanos(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now_nanos(&self) -> u64 {
        (**self).now_nanos()
    }
}

/// The process-wide monotonic clock. Its origin is the first time any metered code reads it.
///
/// With the `tsc` feature, it reads the CPU's time-stamp counter through `quanta` (calibrated
/// against the OS clock, with the OS clock as fallback where the counter is not usable).
/// Without it, it reads [`std::time::Instant`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// The TSC clock and its scale, fixed once: `ns = ticks * int + ticks * frac / 2^64`.
///
/// `quanta` scales a tick difference with a 128-bit product and a shift by a calibrated amount;
/// a shift by a variable amount is a chain of several instructions on x86, and a timed call waits
/// for the chain from its second clock read to its store. Here the scale is split into whole
/// nanoseconds per tick (0 with any counter faster than 1 GHz, 1 where `quanta` falls back to
/// the OS clock, whose readings are nanoseconds already) and a 64-bit fraction, so the common
/// case is the high half of one multiply. Both parts are read off `quanta`'s own calibration (the
/// nanoseconds of 2^40 ticks, rounded down), so the result differs from `quanta`'s by that
/// rounding, one part in the nanoseconds of 2^40 ticks (about 3e-12 at 3 GHz), and `quanta`'s
/// own; the test allows 1e-11 relative plus 2 ns.
#[cfg(feature = "tsc")]
#[derive(Debug)]
struct Tsc {
    clock: quanta::Clock,
    int: u64,
    frac: u64,
}

#[cfg(feature = "tsc")]
impl Tsc {
    fn new() -> Tsc {
        let clock = quanta::Clock::new();
        let ns_per_2_40 = clock.delta_as_nanos(0, 1 << 40);
        Tsc {
            int: ns_per_2_40 >> 40,
            frac: ns_per_2_40 << 24,
            clock,
        }
    }

    /// Nanoseconds in `ticks`, saturating.
    #[inline]
    fn nanos(&self, ticks: u64) -> u64 {
        // A branch, not a select: the same every time, so predicted, and the common case's
        // chain is the multiply alone.
        if self.int == 0 {
            mul_high(ticks, self.frac)
        } else {
            self.nanos_whole(ticks)
        }
    }

    /// [`nanos`](Self::nanos) for a counter at 1 GHz or slower (or the OS clock's nanoseconds).
    #[cold]
    #[inline(never)]
    fn nanos_whole(&self, ticks: u64) -> u64 {
        mul_high(ticks, self.frac).saturating_add(ticks.saturating_mul(self.int))
    }
}

/// The high half of `a * b`.
#[cfg(feature = "tsc")]
#[inline]
fn mul_high(a: u64, b: u64) -> u64 {
    #[allow(clippy::cast_possible_truncation, reason = "the high half")]
    let high = ((u128::from(a) * u128::from(b)) >> 64) as u64;
    high
}

#[cfg(feature = "tsc")]
#[inline]
fn tsc() -> &'static Tsc {
    static CLOCK: OnceLock<Tsc> = OnceLock::new();
    CLOCK.get_or_init(Tsc::new)
}

/// A raw reading of the system clock, cheap to take; measure from it with [`raw_elapsed_nanos`].
#[inline]
pub(crate) fn raw_now() -> u64 {
    #[cfg(feature = "tsc")]
    {
        tsc().clock.raw()
    }
    #[cfg(not(feature = "tsc"))]
    {
        SystemClock.now_nanos()
    }
}

/// Nanoseconds since a [`raw_now`] reading (0 if the clock reads earlier than `start`).
#[inline]
pub(crate) fn raw_elapsed_nanos(start: u64) -> u64 {
    #[cfg(feature = "tsc")]
    {
        let tsc = tsc();
        let end = tsc.clock.raw();
        // The counters of two cores can differ: a reading before `start` is no time at all.
        if end <= start {
            return 0;
        }
        tsc.nanos(end - start)
    }
    #[cfg(not(feature = "tsc"))]
    {
        SystemClock.now_nanos().saturating_sub(start)
    }
}

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl SystemClock {
    /// Fixes the clock's origin now, if nothing has read the clock yet. The registry calls this
    /// when it is first accessed, so mean rates of static meters count from then at the latest.
    pub fn start() {
        let _ = origin();
    }
}

impl Clock for SystemClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        u64::try_from(origin().elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::new();
/// clock.advance(Duration::from_millis(1500));
/// clock.set(Duration::from_secs(10));
/// assert_eq!(clock.now_nanos(), 10_000_000_000);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock at time zero.
    #[must_use]
    pub const fn new() -> Self {
        ManualClock {
            nanos: AtomicU64::new(0),
        }
    }

    /// Moves the clock forward by `d` (saturating at `u64::MAX` nanoseconds).
    pub fn advance(&self, d: Duration) {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_add(add))
            });
    }

    /// Sets the clock to `t` since its origin. Setting it backwards is ignored: clocks are monotonic.
    pub fn set(&self, t: Duration) {
        let t = u64::try_from(t.as_nanos()).unwrap_or(u64::MAX);
        self.nanos.fetch_max(t, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_nanos(&self) -> u64 {
        self.nanos.load(Ordering::Relaxed)
    }
}

/// Which clock a metric reads: the system clock (the default, const-constructible) or a shared
/// custom one.
#[derive(Debug, Clone, Default)]
pub(crate) enum ClockRef {
    #[default]
    System,
    Custom(Arc<dyn Clock>),
}

impl ClockRef {
    #[inline]
    pub(crate) fn now_nanos(&self) -> u64 {
        match self {
            ClockRef::System => SystemClock.now_nanos(),
            ClockRef::Custom(c) => c.now_nanos(),
        }
    }
}

#[cfg(all(test, feature = "tsc"))]
mod tests {
    use super::*;

    /// The split scale gives `quanta`'s nanoseconds (to its rounding) from one tick to a
    /// century of ticks, and saturates instead of wrapping.
    #[test]
    fn tsc_scale_agrees_with_quanta() {
        let tsc = tsc();
        for ticks in [
            0u64,
            1,
            2,
            1_000,
            123_456_789,
            1 << 32,
            1 << 40,
            1 << 50,
            1 << 58,
        ] {
            let ours = tsc.nanos(ticks);
            let theirs = tsc.clock.delta_as_nanos(0, ticks);
            #[allow(clippy::cast_precision_loss, reason = "a relative difference")]
            let close = ours.abs_diff(theirs) as f64 <= 2.0 + theirs as f64 * 1e-11;
            assert!(
                close,
                "{ticks} ticks: {ours} ns against quanta's {theirs} ns"
            );
        }
        assert!(tsc.nanos(u64::MAX) >= tsc.nanos(u64::MAX / 2));
        let start = raw_now();
        std::thread::sleep(Duration::from_millis(20));
        let ns = raw_elapsed_nanos(start);
        assert!(
            (20_000_000..2_000_000_000).contains(&ns),
            "{ns} ns for a 20 ms sleep"
        );
        assert_eq!(raw_elapsed_nanos(u64::MAX), 0);
    }
}
