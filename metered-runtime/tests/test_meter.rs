//! The meter against a direct model of Dropwizard's `Meter` (which ticks inside `mark`) over
//! random mark and read schedules, its rates at the usual read cadences, readers racing writers,
//! and the registry's overlap rule against brute force.
#![allow(
    clippy::float_cmp,
    reason = "exact equality is the first, cheapest check"
)]

use metered_runtime::{Clock, HistogramConfig, ManualClock, Meter, MeterSnapshot, Registry, Timer};
use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

const TICK: u64 = 5_000_000_000;

/// Dropwizard's algorithm written out plainly: `mark` and reads both call `tick_if_necessary`.
struct Reference {
    start: u64,
    last_tick: u64,
    count: u64,
    uncounted: u64,
    rates: [(f64, bool, f64); 3], // (rate, initialized, alpha)
}

impl Reference {
    fn new(start: u64) -> Self {
        let alpha = |m: f64| 1.0 - (-5.0 / 60.0 / m).exp();
        Reference {
            start,
            last_tick: start,
            count: 0,
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
                #[allow(clippy::cast_precision_loss, reason = "test counts are far below 2^53")]
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
        self.count += n;
        self.uncounted += n;
    }
    fn read(&mut self, now: u64) -> [f64; 3] {
        self.tick_if_necessary(now);
        self.rates.map(|r| r.0)
    }
    #[allow(clippy::cast_precision_loss, reason = "test counts are far below 2^53")]
    fn mean_rate(&self, now: u64) -> f64 {
        let elapsed = now - self.start;
        if self.count == 0 || elapsed == 0 {
            0.0
        } else {
            self.count as f64 / (elapsed as f64 / 1e9)
        }
    }
    /// The one case the meter documents as different: an operation at exactly a multiple of 5 s
    /// since the start after a tick without any operation (Dropwizard then starts a tick there).
    fn differs_at(&self, now: u64) -> bool {
        (now - self.start).is_multiple_of(TICK) && now - self.last_tick >= 2 * TICK
    }
}

/// Equal to 1e-9 relative. Values below 1e-290/s count as equal: that deep in the decay the
/// model's own tick-by-tick arithmetic runs into subnormal floats and keeps no relative precision.
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || a.abs().max(b.abs()) < 1e-290
}

fn assert_matches(what: &str, got: &MeterSnapshot, want: [f64; 3], count: u64) {
    assert_eq!(got.count, count, "{what}");
    for (name, g, w) in [
        ("m1", got.m1, want[0]),
        ("m5", got.m5, want[1]),
        ("m15", got.m15, want[2]),
    ] {
        assert!(close(g, w), "{what}: {name} = {g}, Dropwizard {w}");
    }
}

enum Cmd {
    Mark(u64),
    Read,
}

/// A meter on a manual clock plus worker threads, so that one schedule marks and reads through
/// several threads (several shards) in a fixed order.
struct Rig {
    clock: Arc<ManualClock>,
    meter: Arc<Meter>,
    workers: Vec<(mpsc::Sender<Cmd>, mpsc::Receiver<Option<MeterSnapshot>>)>,
    handles: Vec<std::thread::JoinHandle<()>>,
}

impl Rig {
    fn new(start: u64, threads: usize) -> Self {
        let clock = Arc::new(ManualClock::new());
        clock.advance(Duration::from_nanos(start));
        let meter = Arc::new(Meter::with_clock(clock.clone()));
        let (mut workers, mut handles) = (Vec::new(), Vec::new());
        for _ in 0..threads {
            let (cmd_tx, cmd_rx) = mpsc::channel::<Cmd>();
            let (out_tx, out_rx) = mpsc::channel();
            let m = Arc::clone(&meter);
            handles.push(std::thread::spawn(move || {
                for cmd in cmd_rx {
                    let out = match cmd {
                        Cmd::Mark(n) => {
                            m.mark_n(n);
                            None
                        }
                        Cmd::Read => Some(m.snapshot()),
                    };
                    out_tx.send(out).unwrap();
                }
            }));
            workers.push((cmd_tx, out_rx));
        }
        Rig {
            clock,
            meter,
            workers,
            handles,
        }
    }
    /// Runs `cmd` on worker `thread`, or on this thread if there is no such worker.
    fn run(&self, thread: usize, cmd: Cmd) -> Option<MeterSnapshot> {
        match self.workers.get(thread) {
            Some((tx, rx)) => {
                tx.send(cmd).unwrap();
                rx.recv().unwrap()
            }
            None => match cmd {
                Cmd::Mark(n) => {
                    self.meter.mark_n(n);
                    None
                }
                Cmd::Read => Some(self.meter.snapshot()),
            },
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.workers.clear();
        for h in self.handles.drain(..) {
            h.join().unwrap();
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Mark { thread: usize, n: u64 },
    Read { thread: usize },
}

fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 0u64..2_000_000_000,
        // Exact multiples of 2.5 s: operations on tick boundaries.
        2 => (0u64..13).prop_map(|k| k * 2_500_000_000),
        3 => 0u64..120_000_000_000,
        1 => 0u64..7_200_000_000_000,
        // Around the reset: 9229 to 9233 ticks without any operation.
        1 => (9229u64..9234, 0u64..TICK).prop_map(|(t, r)| t * TICK + r),
        1 => (9230u64..9232).prop_map(|t| t * TICK),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0usize..4, 0u64..1000).prop_map(|(thread, n)| Op::Mark { thread, n }),
        1 => (0usize..4).prop_map(|thread| Op::Read { thread }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random marks and reads from four threads (three workers and this one), long idle gaps and
    /// the 9231-tick reset: every read gives Dropwizard's rates.
    #[test]
    fn matches_dropwizard_for_any_schedule(
        start in 0u64..20_000_000_000,
        steps in prop::collection::vec((gap(), op()), 1..80),
    ) {
        let rig = Rig::new(start, 3);
        let mut model = Reference::new(start);
        let mut now = start;
        for (i, (dt, op)) in steps.into_iter().enumerate() {
            now += dt;
            if model.differs_at(now) {
                now += 1; // stay off the documented corner case
            }
            rig.clock.set(Duration::from_nanos(now));
            match op {
                Op::Mark { thread, n } => {
                    rig.run(thread, Cmd::Mark(n));
                    model.mark(now, n);
                }
                Op::Read { thread } => {
                    let got = rig.run(thread, Cmd::Read).unwrap();
                    let want = model.read(now);
                    assert_matches(&format!("step {i}, read at {now} ns"), &got, want, model.count);
                    prop_assert!(close(got.mean_rate, model.mean_rate(now)));
                }
            }
        }
        // A final read after the last tick has run out.
        now += 7_000_000_000;
        rig.clock.set(Duration::from_nanos(now));
        let got = rig.run(0, Cmd::Read).unwrap();
        assert_matches("final read", &got, model.read(now), model.count);
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

/// Marks `per_step(k)` events at `k * 100 ms` for `secs` seconds, reading
/// every `read_every` seconds (never if `None`), then reads once more 1 ms after the last mark.
/// Returns that read and Dropwizard's rates for the same marks.
fn run_cadence(
    secs: u64,
    per_step: &dyn Fn(u64) -> u64,
    read_every: Option<u64>,
) -> (MeterSnapshot, [f64; 3]) {
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    let mut model = Reference::new(0);
    for step in 1..=secs * 10 {
        let now = step * 100_000_000;
        clock.set(Duration::from_nanos(now));
        let n = per_step(step);
        meter.mark_n(n);
        model.mark(now, n);
        if read_every.is_some_and(|r| step % (r * 10) == 0) {
            let _ = meter.snapshot();
            let _ = model.read(now);
        }
    }
    let now = secs * 1_000_000_000 + 1_000_000;
    clock.set(Duration::from_nanos(now));
    (meter.snapshot(), model.read(now))
}

/// The scenario: 10 events/s, read every 5 s, every 15 s (a Prometheus scrape), every
/// 60 s (a `StatsD` or Graphite reporter), or once after 10 minutes. Dropwizard's meter, which
/// ticks in `mark`, shows 10/s on all three averages; so must this one at every cadence (the
/// lazily ticked meter before showed m1 = 9.58, 9.18, 6.07 and 0.06).
#[test]
fn ten_per_second_reads_ten_per_second_at_every_cadence() {
    for read_every in [Some(5), Some(15), Some(60), None] {
        let (got, want) = run_cadence(600, &|_| 1, read_every);
        assert_eq!(want, [10.0; 3], "the model");
        assert_matches(&format!("read every {read_every:?} s"), &got, want, 6000);
        assert!(close(got.mean_rate, 6000.0 / 600.001), "{got:?}");
    }
}

/// A timer's rates follow the same rules: 10 timed calls per second, read once a minute.
#[test]
fn timer_rates_are_right_at_a_one_minute_cadence() {
    let clock = Arc::new(ManualClock::new());
    let timer = Timer::with_clock(HistogramConfig::new(), clock.clone());
    for step in 1..=6000u64 {
        let t = timer.time();
        clock.set(Duration::from_nanos(step * 100_000_000));
        drop(t); // recorded at the end of the call, at step * 100 ms
        if step % 600 == 0 {
            let _ = timer.snapshot();
        }
    }
    clock.advance(Duration::from_millis(1));
    let s = timer.snapshot();
    assert_matches("timer", &s.rates, [10.0; 3], 6000);
    assert_eq!(s.histogram.count, 6000);
}

/// A rate that changes (10/s for 10 min, 2/s for 3 min, 0 for 2 min): the same Dropwizard value
/// at every cadence.
#[test]
fn a_changing_rate_reads_the_same_at_every_cadence() {
    let per_step = |k: u64| match k {
        0..=6000 => 1,
        6001..=7800 => u64::from(k.is_multiple_of(5)),
        _ => 0,
    };
    let (reference, want) = run_cadence(900, &per_step, Some(5));
    // m1 was about 2 + 8 e^-3 = 2.4/s when the marks stopped; two idle minutes later it has
    // fallen by e^-2, to about 0.32/s.
    assert!(want[0] > 0.3 && want[0] < 0.35, "{want:?}");
    assert_matches("every 5 s", &reference, want, 6360);
    for read_every in [Some(10), Some(15), Some(60), Some(300), None] {
        let (got, _) = run_cadence(900, &per_step, read_every);
        assert_matches(&format!("every {read_every:?} s"), &got, want, 6360);
    }
}

/// Two readers on their own threads at different cadences while the clock runs and one thread
/// marks: each sees its count grow and sane rates, and the rates end as Dropwizard's.
#[test]
fn concurrent_readers_at_different_cadences() {
    let clock = Arc::new(ManualClock::new());
    let meter = Meter::with_clock(clock.clone());
    let mut model = Reference::new(0);
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let readers: Vec<_> = [Duration::from_micros(50), Duration::from_micros(700)]
            .into_iter()
            .map(|pause| {
                let (meter, done) = (&meter, &done);
                s.spawn(move || {
                    let (mut last, mut reads) = (0, 0u32);
                    while !done.load(Ordering::Relaxed) {
                        let r = meter.snapshot();
                        assert!(r.count >= last, "count went back: {} < {last}", r.count);
                        assert_sane("concurrent reader", &r, u64::MAX);
                        last = r.count;
                        reads += 1;
                        std::thread::sleep(pause);
                    }
                    reads
                })
            })
            .collect();
        // 5 minutes of 20 events/s, then 5 of 4 events/s, in 50 ms steps.
        for step in 1..=12_000u64 {
            let now = step * 50_000_000;
            clock.set(Duration::from_nanos(now));
            let n = if step <= 6000 {
                1
            } else {
                u64::from(step.is_multiple_of(5))
            };
            meter.mark_n(n);
            model.mark(now, n);
            if step % 500 == 0 {
                std::thread::sleep(Duration::from_millis(1)); // let the readers in
            }
        }
        done.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    });
    let now = 600_000_000_001;
    clock.set(Duration::from_nanos(now));
    assert_matches(
        "after the readers",
        &meter.snapshot(),
        model.read(now),
        model.count,
    );
}

/// Meters and timers on the system clock that no registry knows (a `Family` child, a plain
/// `static`) tick on the process-wide grid without any read: events marked in two different
/// ticks count in two ticks. (This test waits for two real tick boundaries, 5 to 15 s; it
/// checks against the ticks the marks were actually made in, so a slow machine cannot fail it.)
#[test]
fn system_clock_meters_outside_registries_tick_without_reads() {
    use metered_runtime::{Family, SystemClock};
    static STATIC_METER: Meter = Meter::new();
    static STATIC_TIMER: Timer = Timer::new();
    let family = Family::<Meter>::new("jobs.done", &["queue"]).unwrap();
    let child = family.get(&["a"]).unwrap();
    // Waits until at least 0.5 s into a tick (the ticker publishes a new tick a little after
    // the boundary) and returns that tick and how far into it we are.
    let settle = || loop {
        let now = SystemClock.now_nanos();
        let into = (now.max(1) - 1) % TICK;
        if (500_000_000..4_000_000_000).contains(&into) {
            return (now.max(1) - 1) / TICK;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mark = |n: u64| {
        child.mark_n(n);
        STATIC_METER.mark_n(n);
        for _ in 0..n {
            STATIC_TIMER.record(Duration::from_micros(10));
        }
    };
    let first = settle();
    mark(50);
    // Sleep into the next tick without reading: only the ticker can tell the marks about it.
    std::thread::sleep(Duration::from_nanos(TICK - 500_000_000));
    let second = settle();
    assert!(second > first);
    mark(20);
    std::thread::sleep(Duration::from_nanos(TICK - 500_000_000));
    let _ = settle();
    let now = SystemClock.now_nanos();
    for (what, got) in [
        ("family child", child.snapshot()),
        ("static meter", STATIC_METER.snapshot()),
        ("static timer", STATIC_TIMER.snapshot().rates),
    ] {
        // A model meter started at the clock's origin, marked in the two ticks.
        let mut model = Reference::new(0);
        model.mark(first * TICK + 1, 50);
        model.mark(second * TICK + 1, 20);
        let want = model.read(now);
        assert!(want[0] > 0.0);
        assert_matches(what, &got, want, 70);
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
    #[allow(clippy::cast_precision_loss, reason = "test counts are far below 2^53")]
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
