//! The meter against a direct model of Dropwizard's `Meter` (which ticks inside `mark`), and the
#![allow(clippy::float_cmp)] // exact equality is the first, cheapest check
//! registry's overlap rule against brute force.

use metered_runtime::{Clock, HistogramConfig, ManualClock, Meter, MeterSnapshot, Registry, Timer};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

const TICK: u64 = 5_000_000_000;

/// Dropwizard's algorithm written out plainly: `mark` and reads both call `tick_if_necessary`.
struct Reference {
    last_tick: u64,
    uncounted: u64,
    rates: [(f64, bool, f64); 3], // (rate, initialized, alpha)
}

impl Reference {
    fn new() -> Self {
        let alpha = |m: f64| 1.0 - (-5.0 / 60.0 / m).exp();
        Reference {
            last_tick: 0,
            uncounted: 0,
            rates: [
                (0.0, false, alpha(1.0)),
                (0.0, false, alpha(5.0)),
                (0.0, false, alpha(15.0)),
            ],
        }
    }
    fn tick_if_necessary(&mut self, now: u64) {
        let age = now - self.last_tick;
        if age > TICK {
            self.last_tick = now - age % TICK;
            let required = age / TICK;
            if required >= 9231 {
                for r in &mut self.rates {
                    r.0 = 0.0;
                }
                self.uncounted = 0;
                return;
            }
            for _ in 0..required {
                #[allow(clippy::cast_precision_loss)]
                let instant = self.uncounted as f64 / 5.0;
                self.uncounted = 0;
                for r in &mut self.rates {
                    if r.1 {
                        r.0 += r.2 * (instant - r.0);
                    } else {
                        r.0 = instant;
                        r.1 = true;
                    }
                }
            }
        }
    }
    fn mark(&mut self, now: u64, n: u64) {
        self.tick_if_necessary(now);
        self.uncounted += n;
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || ((a - b) / b.abs().max(f64::MIN_POSITIVE)).abs() <= 1e-9
}

proptest! {
    /// Read at least once per mark (as an exporter scraping every tick does): the rates are
    /// Dropwizard's exactly.
    #[test]
    fn matches_dropwizard_when_read_between_marks(steps in prop::collection::vec((0u64..40_000_000_000, 0u64..1000), 1..60)) {
        let clock = Arc::new(ManualClock::new());
        let meter = Meter::with_clock(clock.clone());
        let mut reference = Reference::new();
        let mut now = 0;
        for (dt, n) in steps {
            now += dt;
            clock.advance(Duration::from_nanos(dt));
            let _ = meter.snapshot();
            meter.mark_n(n);
            reference.mark(now, n);
        }
        now += 7_000_000_000;
        clock.advance(Duration::from_secs(7));
        reference.tick_if_necessary(now);
        let s = meter.snapshot();
        for (got, want) in [s.m1, s.m5, s.m15].into_iter().zip(reference.rates.iter().map(|r| r.0)) {
            prop_assert!(close(got, want), "got {got}, want {want}");
        }
    }

    /// Two names conflict exactly when one is a dotted prefix of the other.
    #[test]
    fn overlap_rule_matches_brute_force(names in prop::collection::vec("[ab]{1,2}(\\.[ab]{1,2}){0,2}", 1..12)) {
        let r = Registry::new();
        let mut accepted: Vec<String> = Vec::new();
        for n in names {
            let conflict = accepted.iter().any(|a| a != &n && (a.starts_with(&format!("{n}.")) || n.starts_with(&format!("{a}."))));
            let result = r.counter(&n);
            prop_assert_eq!(result.is_err(), conflict, "{} against {:?}", n, accepted);
            if !conflict && !accepted.contains(&n) {
                accepted.push(n);
            }
        }
        accepted.sort();
        prop_assert_eq!(r.names(), accepted);
    }
}

/// A manual clock that can park one chosen thread inside its `n`-th clock read, so that a test
/// can run other readers and writers while that reader is stopped between two of its reads.
#[derive(Debug, Default)]
struct ParkingClock {
    now: AtomicU64,
    reads: AtomicUsize,
    plan: Mutex<Option<(ThreadId, usize)>>,
    parked: (Mutex<bool>, Condvar),
    released: (Mutex<bool>, Condvar),
}

impl ParkingClock {
    fn advance(&self, d: Duration) {
        self.now
            .fetch_add(u64::try_from(d.as_nanos()).unwrap(), Ordering::SeqCst);
    }
    /// Parks `thread` in its `n`-th clock read from now on (0-based).
    fn park(&self, thread: ThreadId, n: usize) {
        *self.plan.lock().unwrap() = Some((thread, n));
        *self.parked.0.lock().unwrap() = false;
        *self.released.0.lock().unwrap() = false;
    }
    fn wait_parked(&self) {
        let (m, cv) = &self.parked;
        let _g = cv.wait_while(m.lock().unwrap(), |p| !*p).unwrap();
    }
    fn release(&self) {
        let (m, cv) = &self.released;
        *m.lock().unwrap() = true;
        cv.notify_all();
    }
}

impl Clock for ParkingClock {
    fn now_nanos(&self) -> u64 {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let park_now = {
            let mut plan = self.plan.lock().unwrap();
            match &mut *plan {
                Some((t, n)) if *t == std::thread::current().id() => {
                    if *n == 0 {
                        *plan = None;
                        true
                    } else {
                        *n -= 1;
                        false
                    }
                }
                _ => false,
            }
        };
        if park_now {
            let (m, cv) = &self.parked;
            *m.lock().unwrap() = true;
            cv.notify_all();
            let (m, cv) = &self.released;
            let _g = cv.wait_while(m.lock().unwrap(), |r| !*r).unwrap();
        }
        self.now.load(Ordering::SeqCst)
    }
}

/// Rates that no interleaving may produce: negative, not finite, or more than every event counted
/// so far in one 5 s tick.
fn assert_sane(what: &str, s: &MeterSnapshot, marked: u64) {
    assert!(
        s.count <= marked,
        "{what}: count {} > {marked} marked",
        s.count
    );
    #[allow(clippy::cast_precision_loss)]
    let most = s.count as f64 / 5.0;
    for (name, r) in [("m1", s.m1), ("m5", s.m5), ("m15", s.m15)] {
        assert!(
            r.is_finite() && r >= 0.0 && r <= most * (1.0 + 1e-12),
            "{what}: {name} = {r} with count {}",
            s.count
        );
    }
    assert!(
        s.mean_rate.is_finite() && s.mean_rate >= 0.0,
        "{what}: {s:?}"
    );
}

/// What the race test drives: a meter, or a timer through its rates.
trait Subject: Sync {
    fn mark(&self, n: u64);
    fn rates(&self) -> MeterSnapshot;
}

impl Subject for Meter {
    fn mark(&self, n: u64) {
        self.mark_n(n);
    }
    fn rates(&self) -> MeterSnapshot {
        self.snapshot()
    }
}

impl Subject for Timer {
    fn mark(&self, n: u64) {
        for _ in 0..n {
            self.record(Duration::from_micros(250));
        }
    }
    fn rates(&self) -> MeterSnapshot {
        self.snapshot().rates
    }
}

/// Reader A is parked inside its `k`-th clock read, for every `k` one snapshot makes, so that it
/// stops between each pair of its reads in turn. Meanwhile events are marked, the clock crosses
/// tick boundaries and reader B reads; then the clock moves on and A resumes. Whatever A and B
/// saw must be sane, and a later read must see every event.
fn race_readers(make: &dyn Fn(Arc<ParkingClock>) -> Box<dyn Subject>) {
    let reads_per_snapshot = {
        let clock = Arc::new(ParkingClock::default());
        let m = make(clock.clone());
        let before = clock.reads.load(Ordering::SeqCst);
        let _ = m.rates();
        clock.reads.load(Ordering::SeqCst) - before
    };
    assert!(reads_per_snapshot >= 1);
    for k in 0..reads_per_snapshot {
        let clock = Arc::new(ParkingClock::default());
        let m = make(clock.clone());
        m.mark(100);
        clock.advance(Duration::from_secs(6));
        let _ = m.rates(); // the first tick: 100 events
        m.mark(100);
        let (a, b, b_ran_while_a_parked) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                clock.park(std::thread::current().id(), k);
                m.rates()
            });
            clock.wait_parked();
            m.mark(1000);
            clock.advance(Duration::from_secs(5));
            let b = s.spawn(|| m.rates());
            // B may have to wait for A (then it finishes after A resumes); give it a moment.
            let mut waited = 0;
            while !b.is_finished() && waited < 200 {
                std::thread::sleep(Duration::from_millis(5));
                waited += 1;
            }
            let b_ran = b.is_finished();
            clock.advance(Duration::from_secs(6));
            clock.release();
            (a.join().unwrap(), b.join().unwrap(), b_ran)
        });
        let what = format!("park at read {k} (B ran meanwhile: {b_ran_while_a_parked})");
        assert_sane(&format!("{what}, A"), &a, 1200);
        assert_sane(&format!("{what}, B"), &b, 1200);
        let c = m.rates();
        assert_eq!(c.count, 1200, "{what}");
        assert_sane(&format!("{what}, after"), &c, 1200);
        // The rates after both readers are the ones no race could disturb: 100 events in the
        // first tick, 1100 in the second, 0 in the third.
        let alpha = 1.0 - (-5.0f64 / 60.0).exp();
        let want = (20.0 + alpha * (220.0 - 20.0)) * (1.0 - alpha);
        assert!(close(c.m1, want), "{what}: m1 {} want {want}", c.m1);
    }
}

#[test]
fn racing_meter_readers_see_sane_rates() {
    race_readers(&|c| Box::new(Meter::with_clock(c)));
}

#[test]
fn racing_timer_readers_see_sane_rates() {
    race_readers(&|c| Box::new(Timer::with_clock(HistogramConfig::new(), c)));
}
