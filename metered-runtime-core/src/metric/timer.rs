//! Timers: a histogram of durations plus Dropwizard meter rates.

use crate::clock::{Clock, ClockRef, raw_elapsed_nanos, raw_now};
use crate::error::{Error, Result};
use crate::metric::histogram::{Histogram, HistogramConfig, HistogramSnapshot, LazyNanosBounds};
use crate::metric::meter::{MeterSnapshot, Rates};
use std::sync::Arc;
use std::time::Duration;

/// A timer's state: the rates of timed events and the distribution of their durations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimerSnapshot {
    /// Count, mean rate and 1/5/15-minute rates of timed events.
    pub rates: MeterSnapshot,
    /// Durations in seconds (the sketches' buckets are those of the durations in seconds).
    pub histogram: HistogramSnapshot,
}

/// A histogram of durations plus rates.
///
/// Durations are recorded in nanoseconds and reported in seconds. A timed call costs two clock
/// reads, one histogram record and one meter mark (the rates count each event in the 5 s tick it
/// was recorded in, exactly as a [`Meter`](crate::Meter) does, at any read cadence).
/// [`time`](Timer::time) returns a 16-byte guard that records when dropped: on return, on `?`,
/// during a panic's unwinding and when a future holding it is dropped before completion.
///
/// Memory: `size_of::<Timer>()` is 248 bytes (264 with the `multiprocess` feature) and an idle
/// timer holds no heap memory. A timer with classic bounds computes them as thresholds in
/// nanoseconds on its first record (96 bytes on the heap), so that a timed call finds its
/// classic bucket from the duration without waiting for its exponential bucket. Each recording
/// thread holds a 192-byte shard, plus 256 bytes per half power of two (of seconds) its
/// durations fall in and 128 bytes per eight powers of two; see the
/// [histogram module](crate::metric::histogram) for the layout. One thread recording 10 µs to
/// 100 ms (27 or 28 half powers of two in 3 groups) holds about 7.5 KiB in its shard. Snapshots
/// keep up to about five sparse copies of the bucket counts for the window (16 bytes per
/// non-empty bucket each). The rates add
/// what a [`Meter`](crate::Meter) holds: one tick shard per recording thread, in the per-thread
/// list every sharded metric uses.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{HistogramConfig, ManualClock, Timer};
/// use std::{sync::Arc, time::Duration};
///
/// let clock = Arc::new(ManualClock::new());
/// let timer = Timer::with_clock(HistogramConfig::new(), clock.clone());
/// {
///     let _t = timer.time();
///     clock.advance(Duration::from_millis(20));
/// } // recorded here
/// timer.record(Duration::from_millis(40));
/// let s = timer.snapshot();
/// assert_eq!(s.rates.count, 2);
/// assert_eq!((s.histogram.min, s.histogram.max), (0.020, 0.040));
/// assert!((s.histogram.quantiles.q50 - 0.020).abs() <= 0.0002); // within 1 %
/// ```
#[derive(Debug)]
pub struct Timer {
    histogram: Histogram,
    rates: Rates,
    /// The bounds as thresholds in nanoseconds, for the classic bucket on the record path
    /// (computed on the first record with bounds).
    bounds: LazyNanosBounds,
}

impl Timer {
    /// Its histogram and rates engine (for the multi-process mode).
    #[cfg(feature = "multiprocess")]
    pub(crate) fn parts(&self) -> (&Histogram, &Rates) {
        (&self.histogram, &self.rates)
    }

    /// A timer with the default histogram configuration (const: it can be a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Self::with_config(HistogramConfig::new())
    }

    /// A timer with `config`; its bounds are in seconds.
    #[must_use]
    pub const fn with_config(config: HistogramConfig) -> Self {
        Timer {
            histogram: Histogram::nanos(config),
            rates: Rates::new(),
            bounds: LazyNanosBounds::new(),
        }
    }

    /// A timer measuring time, the window and the rates on `clock`.
    #[must_use]
    pub fn with_clock(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Timer {
            histogram: Histogram::nanos_with_clock(config, clock.clone()),
            rates: Rates::with_clock(clock),
            bounds: LazyNanosBounds::new(),
        }
    }

    #[inline]
    fn start(&self) -> u64 {
        match self.rates.clock() {
            ClockRef::System => raw_now(),
            ClockRef::Custom(c) => c.now_nanos(),
        }
    }

    #[inline]
    fn elapsed_nanos(&self, start: u64) -> u64 {
        match self.rates.clock() {
            ClockRef::System => raw_elapsed_nanos(start),
            ClockRef::Custom(c) => c.now_nanos().saturating_sub(start),
        }
    }

    /// Starts timing; the guard records the elapsed time when dropped.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// static DB: metered_runtime::Timer = metered_runtime::Timer::new();
    /// fn query(up: bool) -> Result<u32, String> {
    ///     let _t = DB.time();
    ///     if !up {
    ///         return Err("down".into()); // recorded on the early return too
    ///     }
    ///     Ok(1)
    /// }
    /// assert!(query(false).is_err());
    /// assert_eq!(DB.count(), 1);
    /// ```
    #[must_use = "the duration is recorded when the guard is dropped"]
    #[inline]
    pub fn time(&self) -> TimerGuard<'_> {
        TimerGuard {
            timer: self,
            start: self.start(),
        }
    }

    /// Records a duration (saturating at `u64::MAX` nanoseconds).
    #[inline]
    pub fn record(&self, d: Duration) {
        self.record_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The record path shared by `record` and the guard: the duration, then the event's tick.
    #[inline]
    fn record_nanos(&self, ns: u64) {
        self.histogram.record_nanos(ns, &self.bounds);
        self.rates.mark_n(1);
    }

    /// Records a duration given in seconds.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] (and nothing recorded) if `secs` is negative, NaN or infinite.
    pub fn record_secs(&self, secs: f64) -> Result<()> {
        match Duration::try_from_secs_f64(secs) {
            Ok(d) if secs.is_finite() => {
                self.record(d);
                Ok(())
            }
            _ => Err(Error::InvalidValue {
                what: "Timer::record_secs".into(),
                value: secs.to_string(),
            }),
        }
    }

    /// Runs `f` and records how long it took (also if it panics).
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let timer = metered_runtime::Timer::new();
    /// assert_eq!(timer.time_fn(|| 6 * 7), 42);
    /// assert_eq!(timer.count(), 1);
    /// ```
    pub fn time_fn<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.time();
        f()
    }

    /// Durations recorded so far (sums the per-thread counts of the rates: meant for reads).
    #[must_use]
    pub fn count(&self) -> u64 {
        self.rates.count()
    }

    /// Rates and the duration histogram, in seconds.
    ///
    /// The rates keep their own count (each record adds to it in the tick it was made, see
    /// [`Meter`](crate::Meter)), so no interleaving of readers and recorders can make them
    /// inconsistent. The two halves are read one after the other: a record that lands between
    /// them is in one count and not yet in the other, so `rates.count` and `histogram.count` can
    /// differ by the records made during the snapshot.
    #[must_use]
    pub fn snapshot(&self) -> TimerSnapshot {
        let histogram = self.histogram.snapshot();
        TimerSnapshot {
            rates: self.rates.read(),
            histogram,
        }
    }

    /// The duration histogram.
    #[cfg_attr(
        not(any(feature = "prometheus", feature = "openmetrics")),
        allow(dead_code, reason = "read by the text encoders")
    )]
    pub(crate) fn histogram(&self) -> &Histogram {
        &self.histogram
    }

    /// The configuration of the duration histogram (bounds in seconds).
    #[must_use]
    pub fn config(&self) -> &HistogramConfig {
        self.histogram.config()
    }

    /// Heap bytes held: the histogram's and the rates' per-thread counts, and the thresholds of
    /// the bounds. 0 until the first record.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.histogram.heap_bytes() + self.rates.heap_bytes() + self.bounds.heap_bytes()
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

/// Times from its creation by [`Timer::time`] until it is dropped, then records.
///
/// It holds a raw clock reading and the timer (16 bytes); ticks become nanoseconds only when it
/// records. [`stop`](TimerGuard::stop) records early and returns the duration;
/// [`discard`](TimerGuard::discard) records nothing.
#[derive(Debug)]
#[must_use = "the duration is recorded when the guard is dropped"]
pub struct TimerGuard<'a> {
    timer: &'a Timer,
    start: u64,
}

impl TimerGuard<'_> {
    /// Records now and returns the duration recorded.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let timer = metered_runtime::Timer::new();
    /// let d = timer.time().stop();
    /// assert!(d < std::time::Duration::from_secs(1));
    /// assert_eq!(timer.count(), 1);
    /// ```
    #[allow(
        clippy::must_use_candidate,
        reason = "recording is the point; the duration is a bonus"
    )]
    pub fn stop(self) -> Duration {
        let ns = self.timer.elapsed_nanos(self.start);
        self.timer.record_nanos(ns);
        std::mem::forget(self);
        Duration::from_nanos(ns)
    }

    /// Drops the guard without recording.
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// let timer = metered_runtime::Timer::new();
    /// timer.time().discard();
    /// assert_eq!(timer.count(), 0);
    /// ```
    pub fn discard(self) {
        std::mem::forget(self);
    }
}

impl Drop for TimerGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        let ns = self.timer.elapsed_nanos(self.start);
        self.timer.record_nanos(ns);
    }
}
