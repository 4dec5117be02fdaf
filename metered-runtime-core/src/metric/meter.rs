//! Meters: a count with a mean rate and 1/5/15-minute exponentially weighted moving average
//! rates, with the semantics of Dropwizard Metrics' `Meter`.
//!
//! Facts taken from Dropwizard Metrics (`ExponentialMovingAverages`, `EWMA`, `Meter`):
//! - a tick every 5 s; `alpha = 1 - exp(-5 / 60 / N)` for N = 1, 5, 15 minutes;
//! - a tick computes `instant = events since the last tick / 5 s`; the first tick sets the rate to
//!   `instant` (even when it is zero), every later one does `rate += alpha * (instant - rate)`;
//! - `mark` and reads both tick first: when `age = now - last tick > 5 s` (strictly), the ticks
//!   due are caught up, the new interval start is aligned to the 5 s grid (`now - age % 5 s`),
//!   the events still uncounted go into the first caught-up tick; so every event counts in the
//!   tick in which it was marked;
//! - after `MAX_TICKS` (9231) or more missed ticks the rates are reset to zero instead (the
//!   uncounted events are dropped, the count keeps them); 9231 is the number of 15-minute ticks
//!   after which even `u64::MAX` events in one tick decay below 1e-4/s;
//! - the mean rate is `count / seconds since the meter started`.
//!
//! # How `mark` stays one store and still counts each event in its own tick
//!
//! Dropwizard's `mark` reads the clock and ticks; that would cost a clock read and a shared
//! compare-and-swap per event. Here `mark` reads a *tick number* kept elsewhere and adds to its
//! thread's shard, which remembers the tick its events belong to:
//! - for meters on the system clock, the tick number is one process-wide integer that a single
//!   background thread, `metered-ticker`, advances on the 5 s grid of the clock's origin;
//! - for meters on a custom clock (a [`ManualClock`](crate::ManualClock) in tests), it is the
//!   meter's own clock reading divided into 5 s ticks since the meter started, so tests drive
//!   every case deterministically.
//!
//! When a thread marks in a later tick than its shard's, it first *folds* (at most once per tick
//! per thread and meter): under the meter's lock it catches the rates up to the new tick exactly
//! as Dropwizard's `tickIfNecessary` would (including the reset after a long gap), then adds the
//! shard's finished tick to them. This works because the moving average is linear in the
//! per-tick instant rates `x_k`: after `K` ticks the rate is `sum c_k (1 - alpha)^(K-1-k) x_k`,
//! with `c_k = 1` for the tick that initialised the average and `alpha` for the others, so a
//! tick's events can be added whenever they arrive, with the weight they have at that moment.
//! A read catches up the same way and adds the events still waiting in the shards without
//! consuming them. Reads and folds are the "ticks first" of Dropwizard's reads and marks, so the
//! rates are Dropwizard's for any pattern of reads: every 5 s, once a minute, once at the end of
//! a long run, or several readers at their own cadences; only float rounding differs.
//!
//! Where this is not exact:
//! - on the system clock the tick number moves when the ticker thread wakes, a little after the
//!   boundary (scheduling latency, usually well under a millisecond), so an event marked in that
//!   moment counts in the tick before; likewise an event marked by a thread beyond the slot
//!   capacity (they share one shard) while another such thread folds that shard;
//! - an event marked (or a read taken) at exactly a multiple of 5 s since the start counts in the
//!   tick that ends there. Dropwizard agrees whenever the meter was marked or read earlier in that
//!   tick; after a tick without any mark or read, Dropwizard starts the next tick at that instant
//!   instead. With a nanosecond clock this is a one-in-five-billion coincidence.
//!
//! # Costs, and the alternative
//!
//! - Threads: one for the whole process, started by the first mark of any meter or timer on the
//!   system clock; it sleeps between ticks and, twelve times a minute, stores one integer. If it
//!   cannot be started, reads still advance the tick number, and events then count in the tick of
//!   the read before them, as if rates were read at that cadence.
//! - Memory per meter: the rate state inline in the meter, then one node per recording thread in
//!   the per-thread shard list every sharded metric uses: 128 bytes (the node's links on one
//!   cache line; count, tick and the count at the tick's start on the next), whatever the number
//!   of CPUs.
//! - Work per tick with 10,000 meters: one store by the ticker, whatever the number of meters;
//!   then each thread that marks a meter in the new tick folds once for it: 10,000 folds per
//!   marking thread at most, each a short uncontended critical section (50 to 60 ns per meter,
//!   0.5 to 0.6 ms per tick for 10,000 meters marked from one thread, measured on a 2-CPU machine
//!   by `cargo run --release -p metered-runtime --example meter_ticks`). Idle meters cost nothing
//!   per tick; reads cost what they did (one pass over the shards).
//! - The other known design, a ticker that ticks every live meter on the grid (Coda Hale's
//!   original), needs a list of live meters (meters reachable from a thread: an `Arc` per meter,
//!   registration on first mark, removal on drop, also for `Family` children and meters in no
//!   registry), visits all 10,000 meters and sums their shards every 5 s whether they were marked
//!   or not, and shifts events by the same wake-up latency; a test clock would have to drive that
//!   thread. Folding on the marking thread keeps idle meters free and needs no list.
//!
//! Readers never see torn or stale state: a read takes the meter's lock, uses the later of its
//! own clock reading and the latest one of any earlier read, and reads every shard's tick, start
//! count and count under that lock, so no interleaving of readers and writers makes a rate
//! negative, larger than the count allows, or the count go backwards.

use crate::clock::{Clock, ClockRef, SystemClock};
use crate::slot::{Shards, Writer};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

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
        // tick, then ticked idle until its rate per second falls to 1e-4 or below
        // (`update(Long.MAX_VALUE)`, then `do { tick(); ticks++ } while (rate > 1e-4)` from 1).
        #[allow(
            clippy::cast_precision_loss,
            reason = "the derivation feeds i64::MAX as a float, as Dropwizard does"
        )]
        let mut rate = i64::MAX as f64 / TICK_SECS; // the first tick initialises
        let a = alpha(15.0);
        let mut ticks = 2;
        while rate > 1e-4 {
            rate += a * (0.0 - rate);
            ticks += 1;
        }
        ticks
    })
}

/// The tick an instant `elapsed` nanoseconds after the start belongs to: tick `k` covers
/// `(5k s, 5(k+1) s]`, and tick 0 also the start itself.
#[inline]
fn tick_of(elapsed: u64) -> u64 {
    elapsed.saturating_sub(1) / TICK_NANOS
}

/// The tick number of the system clock, as last published by the ticker thread or a read.
static SYSTEM_TICK: AtomicU64 = AtomicU64::new(0);

/// Starts the ticker thread once per process (a no-op after the first call).
fn ensure_ticker() {
    static STARTED: OnceLock<bool> = OnceLock::new();
    let _ = STARTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("metered-ticker".into())
            .spawn(|| {
                loop {
                    let now = SystemClock.now_nanos();
                    let tick = tick_of(now);
                    SYSTEM_TICK.fetch_max(tick, Ordering::Relaxed);
                    // Wake at the first nanosecond of the next tick.
                    let next = (tick + 1) * TICK_NANOS + 1;
                    std::thread::sleep(Duration::from_nanos(next.saturating_sub(now)));
                }
            })
            .is_ok()
    });
}

/// The tick value of a shard that has never been marked.
const NEVER: u64 = u64::MAX;

/// One thread's events: all it ever marked, and which of them belong to the tick `tick`.
/// Only a fold (under the meter's lock) changes `tick` and `base`.
///
/// Aligned to 64 bytes: that starts it on the cache line after its list node's links, which
/// other threads read on their way to their own node (64, not 128: a node of 128 bytes instead
/// of 256, measured by `benches/memory.rs`).
#[derive(Debug)]
#[repr(align(64))]
pub(crate) struct TickShard {
    /// Events marked through this shard so far (wrapping).
    total: AtomicU64,
    /// The tick of the events `total - base`; `NEVER` before the first mark.
    tick: AtomicU64,
    /// `total` at the fold that started `tick`.
    base: AtomicU64,
}

impl Default for TickShard {
    fn default() -> Self {
        TickShard {
            total: AtomicU64::new(0),
            tick: AtomicU64::new(NEVER),
            base: AtomicU64::new(0),
        }
    }
}

// The alphas are the constants 1 - exp(-5/60/N), written out because `exp` is not const; a test
// checks them against the formula.
const M1_ALPHA: f64 = 0.079_955_585_370_676_71;
const M5_ALPHA: f64 = 0.016_528_546_178_382_51;
const M15_ALPHA: f64 = 0.005_540_151_995_103_271;
const ALPHAS: [f64; 3] = [M1_ALPHA, M5_ALPHA, M15_ALPHA];

/// The moving averages as Dropwizard would hold them after the ticks done so far, counting the
/// events that folds have handed over.
#[derive(Debug)]
struct RateState {
    /// Ticks done: the averages cover ticks `0..ticks` (Dropwizard's last tick is at
    /// `start + 5 s * ticks`).
    ticks: u64,
    /// Events of ticks before this one were dropped by a reset.
    reset: u64,
    /// The tick that initialised the averages (`None` until the first tick is done).
    init: Option<u64>,
    /// m1, m5, m15 per second.
    rates: [f64; 3],
    /// The latest clock reading of any read, so that reads never go back in time.
    now: u64,
}

impl RateState {
    const fn new(start: u64) -> Self {
        RateState {
            ticks: 0,
            reset: 0,
            init: None,
            rates: [0.0; 3],
            now: start,
        }
    }

    /// Does the ticks due at `tick` (an operation in that tick), as `tickIfNecessary` would.
    fn catch_up(&mut self, tick: u64) {
        if tick <= self.ticks {
            return;
        }
        let gap = tick - self.ticks;
        if gap >= max_ticks() {
            self.rates = [0.0; 3];
            self.reset = tick;
        } else {
            // The first tick done initialises the averages with its instant rate.
            self.init.get_or_insert(self.ticks);
            for (rate, a) in self.rates.iter_mut().zip(ALPHAS) {
                *rate *= decay(a, gap);
            }
        }
        self.ticks = tick;
    }

    /// Adds `events` of tick `tick` to `rates` with their weight after the ticks done.
    #[allow(
        clippy::cast_precision_loss,
        reason = "event counts beyond 2^53 in 5 s do not happen"
    )]
    fn add(&self, rates: &mut [f64; 3], tick: u64, events: u64) {
        if tick < self.reset || tick >= self.ticks || events == 0 {
            return; // dropped by a reset, or the tick is still running
        }
        let instant = events as f64 / TICK_SECS;
        let age = self.ticks - 1 - tick;
        for (rate, a) in rates.iter_mut().zip(ALPHAS) {
            let weight = if self.init == Some(tick) { 1.0 } else { a };
            *rate += weight * decay(a, age) * instant;
        }
    }
}

/// `(1 - alpha)^ticks`.
fn decay(alpha: f64, ticks: u64) -> f64 {
    (1.0 - alpha).powi(i32::try_from(ticks).unwrap_or(i32::MAX))
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

/// A count of events in per-thread shards with the moving averages over them: the engine of
/// [`Meter`] and of a timer's rates (see the [module docs](self)).
#[derive(Debug)]
pub(crate) struct Rates {
    clock: ClockRef,
    start: u64,
    shards: Shards<TickShard>,
    state: Mutex<RateState>,
}

impl Rates {
    /// Rates on the system clock, started at the clock's origin.
    pub(crate) const fn new() -> Self {
        Rates {
            clock: ClockRef::System,
            start: 0,
            shards: Shards::new(),
            state: Mutex::new(RateState::new(0)),
        }
    }

    /// Rates on `clock`, started now.
    pub(crate) fn with_clock(clock: Arc<dyn Clock>) -> Self {
        let start = clock.now_nanos();
        Rates {
            clock: ClockRef::Custom(clock),
            start,
            shards: Shards::new(),
            state: Mutex::new(RateState::new(start)),
        }
    }

    pub(crate) fn clock(&self) -> &ClockRef {
        &self.clock
    }

    fn lock(&self) -> MutexGuard<'_, RateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tick a mark made now belongs to.
    #[inline]
    fn current_tick(&self) -> u64 {
        match &self.clock {
            ClockRef::System => SYSTEM_TICK.load(Ordering::Relaxed),
            ClockRef::Custom(c) => tick_of(c.now_nanos().saturating_sub(self.start)),
        }
    }

    /// Records `n` events in the current tick.
    #[inline]
    pub(crate) fn mark_n(&self, n: u64) {
        #[cfg(feature = "multiprocess")]
        if let Some(id) = self.shards.sourced() {
            let t = crate::slot::ThreadCells::current();
            t.writer().add(t.cell(id), n);
            return;
        }
        let tick = self.current_tick();
        self.shards.with(|shard, w| {
            if shard.tick.load(Ordering::Relaxed) == tick {
                w.add(&shard.total, n);
            } else {
                self.fold(shard, w, tick, n);
            }
        });
    }

    /// A mark in another tick than its shard's: hands the shard's finished tick to the rates.
    #[cold]
    #[inline(never)]
    fn fold(&self, shard: &TickShard, w: Writer, tick: u64, n: u64) {
        if matches!(self.clock, ClockRef::System) {
            ensure_ticker();
        }
        {
            let mut state = self.lock();
            let old = shard.tick.load(Ordering::Relaxed);
            // `old > tick` only on the shared shard, when another thread folded it to a tick this
            // thread has not seen yet: the events then count in that tick.
            if old == NEVER || old < tick {
                state.catch_up(tick);
                let total = shard.total.load(Ordering::Relaxed);
                if old != NEVER {
                    let events = total.wrapping_sub(shard.base.load(Ordering::Relaxed));
                    let mut rates = state.rates;
                    state.add(&mut rates, old, events);
                    state.rates = rates;
                }
                shard.base.store(total, Ordering::Relaxed);
                shard.tick.store(tick, Ordering::Relaxed);
            }
        }
        w.add(&shard.total, n);
    }

    /// Moves the count to the arena cell `make` gives (the multi-process mode); `false` if it has one
    /// already.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt_sourced(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        self.shards.adopt(make)
    }

    /// Events so far (sums the shards without the lock).
    pub(crate) fn count(&self) -> u64 {
        let mut total = 0u64;
        self.shards
            .for_each(|s| total = total.wrapping_add(s.total.load(Ordering::Relaxed)));
        total
    }

    /// Catches up the ticks due by now and reads the count and the rates.
    pub(crate) fn read(&self) -> MeterSnapshot {
        let now = self.clock.now_nanos();
        let mut state = self.lock();
        // A reader that was held up between its clock reading and the lock reads as of the
        // latest reading instead, so time, count and rates never go backwards.
        let now = now.max(state.now);
        state.now = now;
        let tick = tick_of(now.saturating_sub(self.start));
        if matches!(self.clock, ClockRef::System) {
            SYSTEM_TICK.fetch_max(tick, Ordering::Relaxed);
        }
        state.catch_up(tick);
        let mut count = 0u64;
        let mut rates = state.rates;
        self.shards.for_each(|s| {
            let shard_tick = s.tick.load(Ordering::Relaxed);
            let base = s.base.load(Ordering::Relaxed);
            let total = s.total.load(Ordering::Relaxed);
            count = count.wrapping_add(total);
            if shard_tick != NEVER {
                state.add(&mut rates, shard_tick, total.wrapping_sub(base));
            }
        });
        drop(state);
        let elapsed = now.saturating_sub(self.start);
        #[allow(
            clippy::cast_precision_loss,
            reason = "a rate needs no more than 53 bits"
        )]
        let mean_rate = if count == 0 || elapsed == 0 {
            0.0
        } else {
            count as f64 / (elapsed as f64 / 1e9)
        };
        MeterSnapshot {
            count,
            mean_rate,
            m1: rates[0],
            m5: rates[1],
            m15: rates[2],
        }
    }

    /// Heap bytes held (0 until the first mark).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.shards.heap_bytes(|_| 0)
    }
}

/// A count of events with its mean rate and 1/5/15-minute moving average rates per second.
///
/// `mark` is lock-free: it reads the current tick number and adds to the thread's own shard
/// with one relaxed store; once per tick per thread it also hands the finished tick to the rates
/// (see the [module docs](self) for the rules, the costs and the two corner cases where the rates
/// differ from Dropwizard's).
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
/// meter.mark_n(10); // counts in the second tick, however late the next read comes
/// clock.advance(Duration::from_secs(60));
/// let s = meter.snapshot();
/// assert_eq!(s.count, 13);
/// // 3 events / 5 s initialise the rate; then 10 events in the second tick; 12 ticks later:
/// let alpha = 1.0 - (-5.0f64 / 60.0).exp();
/// let m1 = (0.6 + alpha * (2.0 - 0.6)) * (1.0 - alpha).powi(11);
/// assert!((s.m1 - m1).abs() < 1e-12);
/// ```
#[derive(Debug)]
pub struct Meter {
    rates: Rates,
}

impl Meter {
    /// A meter on the system clock (const: it can be a `static`).
    #[must_use]
    pub const fn new() -> Self {
        Meter {
            rates: Rates::new(),
        }
    }

    /// A meter on the given clock, started now.
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Meter {
            rates: Rates::with_clock(clock),
        }
    }

    /// Records one event.
    #[inline]
    pub fn mark(&self) {
        self.rates.mark_n(1);
    }

    /// Records `n` events.
    #[inline]
    pub fn mark_n(&self, n: u64) {
        self.rates.mark_n(n);
    }

    /// Events so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.rates.count()
    }

    /// The count and all rates, catching up due ticks first.
    #[must_use]
    pub fn snapshot(&self) -> MeterSnapshot {
        self.rates.read()
    }

    /// Heap bytes held (0 until the first mark).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.rates.heap_bytes()
    }

    /// The rates engine (for the multi-process mode).
    #[cfg(feature = "multiprocess")]
    pub(crate) fn rates(&self) -> &Rates {
        &self.rates
    }
}

impl Default for Meter {
    fn default() -> Self {
        Meter::new()
    }
}

#[cfg(test)]
mod tests;
