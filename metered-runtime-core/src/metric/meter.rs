//! Meters: a count with a mean rate and 1/5/15-minute exponentially weighted moving average
//! rates, with the semantics of Dropwizard Metrics' `Meter`.
//!
//! Facts taken from Dropwizard Metrics (`ExponentialMovingAverages`, `EWMA`, `Meter`):
//! - a tick every 5 s; `alpha = 1 - exp(-5 / 60 / N)` for N = 1, 5, 15 minutes;
//! - a tick computes `instant = events since the last tick / 5 s`; the first tick sets the rate to
//!   `instant` (even when it is zero), every later one does `rate += alpha * (instant - rate)`;
//! - missed ticks are caught up when `age > 5 s` (strictly), the new interval start is aligned to
//!   the 5 s grid (`now - age % 5 s`), the events still uncounted go into the first caught-up tick;
//! - after `MAX_TICKS` (9231) or more missed ticks the rates are reset to zero instead; 9231 is the
//!   number of 15-minute ticks after which even `u64::MAX` events in one tick decay below 1e-4/s;
//! - the mean rate is `count / seconds since the meter started`.
//!
//! One deliberate difference: Dropwizard also ticks inside `mark`, which costs a clock read. Here
//! `mark` is one atomic add (a plain store on the thread's own shard) and ticks happen only when
//! rates are read. Events marked since the previous read therefore all count in the first tick
//! that the read catches up. The rates are Dropwizard's exactly whenever rates are read at least
//! once per 5 s tick, as a scraping exporter does; with rarer reads, events recorded in later
//! ticks are aged as if they happened in the first pending one.

use crate::clock::{Clock, ClockRef};
use crate::metric::counter::Counter;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Nanoseconds between two ticks.
pub const TICK_NANOS: u64 = 5_000_000_000;
const TICK_SECS: f64 = 5.0;

fn alpha(minutes: f64) -> f64 {
    1.0 - (-TICK_SECS / 60.0 / minutes).exp()
}

/// Missed ticks at or beyond which the rates reset instead of decaying tick by tick.
#[must_use]
pub fn max_ticks() -> u64 {
    static MAX: OnceLock<u64> = OnceLock::new();
    *MAX.get_or_init(|| {
        // Dropwizard derives it the same way: one 15-minute average fed the largest count in one
        // tick, then ticked idle until its rate per second falls to 1e-4 or below.
        // (`update(Long.MAX_VALUE)`, then `do { tick(); ticks++ } while (rate > 1e-4)` from 1).
        let mut ewma = Ewma {
            rate: 0.0,
            initialized: false,
            alpha: alpha(15.0),
        };
        let mut ticks = 1;
        let mut events = i64::MAX.unsigned_abs();
        loop {
            ewma.tick(events);
            events = 0;
            ticks += 1;
            if ewma.rate <= 1e-4 {
                break;
            }
        }
        ticks
    })
}

#[derive(Debug, Clone, Copy)]
struct Ewma {
    rate: f64,
    initialized: bool,
    alpha: f64,
}

impl Ewma {
    #[allow(
        clippy::cast_precision_loss,
        reason = "event counts beyond 2^53 per 5 s do not happen"
    )]
    fn tick(&mut self, events: u64) {
        let instant = events as f64 / TICK_SECS;
        if self.initialized {
            self.rate += self.alpha * (instant - self.rate);
        } else {
            self.rate = instant;
            self.initialized = true;
        }
    }
}

/// The rates of a meter or timer at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MeterSnapshot {
    /// Events so far.
    pub count: u64,
    /// Events per second since the meter started.
    pub mean_rate: f64,
    /// One-minute exponentially weighted moving average rate, per second.
    pub m1: f64,
    /// Five-minute rate, per second.
    pub m5: f64,
    /// Fifteen-minute rate, per second.
    pub m15: f64,
}

#[derive(Debug)]
struct RateState {
    /// Start of the current tick interval, on the clock's time line.
    last_tick: u64,
    /// The count at the last tick.
    last_count: u64,
    m1: Ewma,
    m5: Ewma,
    m15: Ewma,
}

/// Lazily ticked moving averages over a count owned elsewhere (a meter's counter, a timer's
/// histogram). Only reads take its lock.
#[derive(Debug)]
pub(crate) struct Rates {
    clock: ClockRef,
    start: u64,
    state: Mutex<RateState>,
}

impl Rates {
    /// Rates on the system clock, started at the clock's origin.
    pub(crate) const fn new() -> Self {
        Rates {
            clock: ClockRef::System,
            start: 0,
            state: Mutex::new(RateState::new(0)),
        }
    }

    /// Rates on `clock`, started now.
    pub(crate) fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let start = clock.now_nanos();
        Rates {
            clock: ClockRef::Custom(clock),
            start,
            state: Mutex::new(RateState::new(start)),
        }
    }

    pub(crate) fn clock(&self) -> &ClockRef {
        &self.clock
    }

    /// Catches up the ticks due by now and reads the rates for a total of `count` events.
    pub(crate) fn read(&self, count: u64) -> MeterSnapshot {
        let now = self.clock.now_nanos();
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let s = &mut *guard;
        let age = now.saturating_sub(s.last_tick);
        if age > TICK_NANOS {
            s.last_tick = now - age % TICK_NANOS;
            let required = age / TICK_NANOS;
            let pending = count.wrapping_sub(s.last_count);
            s.last_count = count;
            if required >= max_ticks() {
                for e in [&mut s.m1, &mut s.m5, &mut s.m15] {
                    e.rate = 0.0;
                }
            } else {
                for i in 0..required {
                    let events = if i == 0 { pending } else { 0 };
                    s.m1.tick(events);
                    s.m5.tick(events);
                    s.m15.tick(events);
                }
            }
        }
        let elapsed = now.saturating_sub(self.start);
        #[allow(
            clippy::cast_precision_loss,
            reason = "counts and nanoseconds below 2^53 are exact in f64"
        )]
        let mean_rate = if count == 0 || elapsed == 0 {
            0.0
        } else {
            count as f64 / (elapsed as f64 / 1e9)
        };
        MeterSnapshot {
            count,
            mean_rate,
            m1: s.m1.rate,
            m5: s.m5.rate,
            m15: s.m15.rate,
        }
    }
}

impl RateState {
    const fn new(start: u64) -> Self {
        // The alphas are the constants 1 - exp(-5/60/N), written out because `exp` is not const;
        // a test checks them against the formula.
        RateState {
            last_tick: start,
            last_count: 0,
            m1: Ewma {
                rate: 0.0,
                initialized: false,
                alpha: M1_ALPHA,
            },
            m5: Ewma {
                rate: 0.0,
                initialized: false,
                alpha: M5_ALPHA,
            },
            m15: Ewma {
                rate: 0.0,
                initialized: false,
                alpha: M15_ALPHA,
            },
        }
    }
}

const M1_ALPHA: f64 = 0.079_955_585_370_676_71;
const M5_ALPHA: f64 = 0.016_528_546_178_382_51;
const M15_ALPHA: f64 = 0.005_540_151_995_103_271;

/// A count of events with its mean rate and 1/5/15-minute moving average rates per second.
///
/// `mark` is lock-free and costs one store to the thread's own shard; the rates are computed
/// when read (see the [module docs](self) for the exact rules and the one difference from
/// Dropwizard).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{ManualClock, Meter};
/// use std::{sync::Arc, time::Duration};
///
/// let clock = Arc::new(ManualClock::new());
/// let meter = Meter::with_clock(clock.clone());
/// meter.mark_n(3);
/// clock.advance(Duration::from_secs(6)); // one tick is due
/// let s = meter.snapshot();
/// assert_eq!(s.count, 3);
/// assert!((s.m1 - 0.6).abs() < 1e-12); // 3 events / 5 s
/// ```
#[derive(Debug)]
pub struct Meter {
    count: Counter,
    rates: Rates,
}

impl Meter {
    /// A meter on the system clock (const: it can be a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Meter {
            count: Counter::new(),
            rates: Rates::new(),
        }
    }

    /// A meter on the given clock, started now.
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Meter {
            count: Counter::new(),
            rates: Rates::with_clock(clock),
        }
    }

    /// Records one event.
    #[inline]
    pub fn mark(&self) {
        self.count.inc();
    }

    /// Records `n` events.
    #[inline]
    pub fn mark_n(&self, n: u64) {
        self.count.add(n);
    }

    /// Events so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count.get()
    }

    /// The count and all rates, catching up due ticks first.
    #[must_use]
    pub fn snapshot(&self) -> MeterSnapshot {
        self.rates.read(self.count.get())
    }

    /// Heap bytes held (0 until the first mark).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.count.heap_bytes()
    }
}

impl Default for Meter {
    fn default() -> Self {
        Meter::new()
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "the expected values are exact")]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::time::Duration;

    fn close(a: f64, b: f64) -> bool {
        if b == 0.0 {
            a == 0.0
        } else {
            ((a - b) / b).abs() <= 1e-9
        }
    }

    fn meter() -> (Arc<ManualClock>, Meter) {
        let clock = Arc::new(ManualClock::new());
        let m = Meter::with_clock(clock.clone());
        (clock, m)
    }

    #[test]
    fn alphas_match_formula() {
        assert!(close(M1_ALPHA, alpha(1.0)));
        assert!(close(M5_ALPHA, alpha(5.0)));
        assert!(close(M15_ALPHA, alpha(15.0)));
    }

    #[test]
    fn max_ticks_is_dropwizards() {
        assert_eq!(max_ticks(), 9231);
    }

    #[test]
    fn first_tick_initialises_then_decays_per_minute() {
        let (clock, m) = meter();
        m.mark_n(3);
        clock.advance(Duration::from_nanos(TICK_NANOS + 1));
        let s = m.snapshot();
        assert!(
            close(s.m1, 0.6) && close(s.m5, 0.6) && close(s.m15, 0.6),
            "{s:?}"
        );
        for k in 1..=10u32 {
            clock.advance(Duration::from_mins(1));
            let s = m.snapshot();
            let k = f64::from(k);
            assert!(close(s.m1, 0.6 * (-k).exp()), "k={k} m1={}", s.m1);
            assert!(close(s.m5, 0.6 * (-k / 5.0).exp()), "k={k} m5={}", s.m5);
            assert!(close(s.m15, 0.6 * (-k / 15.0).exp()), "k={k} m15={}", s.m15);
        }
    }

    #[test]
    fn no_tick_at_exactly_five_seconds() {
        let (clock, m) = meter();
        m.mark();
        clock.advance(Duration::from_secs(5));
        assert_eq!(m.snapshot().m1, 0.0);
        clock.advance(Duration::from_nanos(1));
        assert!(close(m.snapshot().m1, 0.2));
    }

    #[test]
    fn first_tick_with_zero_events_initialises_to_zero() {
        let (clock, m) = meter();
        clock.advance(Duration::from_secs(6));
        assert_eq!(m.snapshot().m1, 0.0);
        m.mark_n(5);
        clock.advance(Duration::from_secs(5));
        // Second tick: 0 + alpha * (1/s - 0).
        assert!(close(m.snapshot().m1, M1_ALPHA * 1.0));
    }

    #[test]
    fn catch_up_is_aligned_to_the_grid() {
        let (clock, m) = meter();
        m.mark_n(10);
        clock.advance(Duration::from_millis(12_500)); // 2 ticks due, next boundary at 15 s
        let after_two = m.snapshot().m1;
        assert!(close(after_two, 2.0 * (1.0 - M1_ALPHA)));
        clock.advance(Duration::from_millis(2_600)); // 15.1 s: a third tick is due
        assert!(close(m.snapshot().m1, 2.0 * (1.0 - M1_ALPHA).powi(2)));
    }

    #[test]
    fn long_idle_gap_resets() {
        let (clock, m) = meter();
        m.mark_n(100);
        clock.advance(Duration::from_secs(6));
        assert!(m.snapshot().m15 > 0.0);
        clock.advance(Duration::from_nanos(TICK_NANOS * 9231));
        let s = m.snapshot();
        assert_eq!((s.m1, s.m5, s.m15), (0.0, 0.0, 0.0));
        // One tick fewer decays instead of resetting.
        let (clock, m) = meter();
        m.mark_n(100);
        clock.advance(Duration::from_secs(6));
        assert!(close(m.snapshot().m15, 20.0));
        clock.advance(Duration::from_nanos(TICK_NANOS * 9230));
        let s = m.snapshot();
        let expected = 20.0 * (1.0 - M15_ALPHA).powi(9230);
        assert!(
            s.m15 > 0.0 && close(s.m15, expected),
            "{} vs {expected}",
            s.m15
        );
    }

    #[test]
    fn mean_rate_is_count_over_elapsed() {
        let (clock, m) = meter();
        assert_eq!(m.snapshot().mean_rate, 0.0);
        m.mark_n(30);
        clock.advance(Duration::from_secs(10));
        assert!(close(m.snapshot().mean_rate, 3.0));
    }
}
