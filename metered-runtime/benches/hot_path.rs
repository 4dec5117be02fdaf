//! Hot-path costs, with their baselines in the same run: a bare `AtomicU64::fetch_add`, a bare
//! pair of `Instant::now()` reads, a bare pair of raw TSC reads through `quanta` (the clock the
//! default build's timers read), that `Instant` pair plus a hand-written classic histogram (the
//! floor of any timer built on `Instant`), and a bare shared atomic hit by two threads.
//!
//! Peers, timed the same way in the same run (an `#[inline(never)]` call site, the same 8
//! bounds): prometheus-client 0.25 (`Histogram::observe` of an `Instant` pair), the `prometheus`
//! crate 0.14 (`Histogram::start_timer`, dropped) and the `metrics` crate 0.24 with
//! `metrics-util`'s atomic registry storage (what `metrics-exporter-prometheus` records into:
//! the value is pushed into a lock-free bucket, and the bounds are applied at scrape time).
//!
//! `cargo bench -p metered-runtime --bench hot_path` (the default build reads the TSC clock;
//! `--no-default-features` reads `Instant`).
//!
//! Rows marked "not inlined" call the metric through an `#[inline(never)]` wrapper, as a binary
//! that calls it from several places does: the cost users see, and the one the targets are for.
//! Two-thread figures are per operation per thread: each thread runs the same number of
//! operations on one shared metric and the slower thread's time is divided by that number.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use metered_runtime::{Counter, Histogram, HistogramConfig, Meter, Timer};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// Runs `op` `iters` times on each of two threads at once; returns the slower thread's time.
fn two_threads<T: Send + Sync + 'static>(shared: &Arc<T>, iters: u64, op: fn(&T)) -> Duration {
    let barrier = Arc::new(Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let (s, b) = (Arc::clone(shared), Arc::clone(&barrier));
            std::thread::spawn(move || {
                op(&s); // warm: the thread's shard exists before timing starts
                b.wait();
                let start = Instant::now();
                for _ in 0..iters {
                    op(&s);
                }
                start.elapsed()
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .max()
        .unwrap()
}

/// Eight classic bounds, as a latency histogram in seconds might have.
static BOUNDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// The same eight bounds in microseconds, for a histogram of values from 1 to 1e6.
static MICROS: &[f64] = &[5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6];

/// The next value of a per-thread generator: varying values, so that the bucket index is really
/// computed; one generator per thread, so that two threads share nothing but the metric.
fn next_value() -> f64 {
    thread_local! {
        static NEXT: Cell<u64> = const { Cell::new(1) };
    }
    let v = NEXT.with(|n| {
        let v = n.get();
        n.set(v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        v
    });
    // 1 to about 1e6: 20 powers of two.
    #[allow(clippy::cast_precision_loss, reason = "20-bit integers")]
    let x = (v >> 44) as f64 + 1.0;
    x
}

#[inline(never)]
fn record_not_inlined(h: &Histogram, v: f64) {
    let _ = h.record(v);
}

#[inline(never)]
fn time_not_inlined(t: &Timer) {
    drop(t.time());
}

#[inline(never)]
fn record_duration_not_inlined(t: &Timer, d: Duration) {
    t.record(d);
}

#[inline(never)]
fn prometheus_client_timed(h: &prometheus_client::metrics::histogram::Histogram) {
    let start = Instant::now();
    h.observe(start.elapsed().as_secs_f64());
}

#[inline(never)]
fn prometheus_timed(h: &prometheus::Histogram) {
    drop(h.start_timer());
}

#[inline(never)]
fn metrics_timed(h: &metrics::Histogram) {
    let start = Instant::now();
    h.record(start.elapsed());
}

/// A `metrics` recorder over `metrics-util`'s atomic storage (histograms in an `AtomicBucket`).
struct AtomicRecorder(
    metrics_util::registry::Registry<metrics::Key, metrics_util::registry::AtomicStorage>,
);

impl metrics::Recorder for AtomicRecorder {
    fn describe_counter(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_gauge(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn describe_histogram(
        &self,
        _: metrics::KeyName,
        _: Option<metrics::Unit>,
        _: metrics::SharedString,
    ) {
    }
    fn register_counter(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        self.0
            .get_or_create_counter(key, |c| metrics::Counter::from_arc(c.clone()))
    }
    fn register_gauge(&self, key: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        self.0
            .get_or_create_gauge(key, |g| metrics::Gauge::from_arc(g.clone()))
    }
    fn register_histogram(
        &self,
        key: &metrics::Key,
        _: &metrics::Metadata<'_>,
    ) -> metrics::Histogram {
        self.0
            .get_or_create_histogram(key, |h| metrics::Histogram::from_arc(h.clone()))
    }
}

/// Runs `op` `iters` times, then `reset` outside the timing.
fn timed_then(iters: u64, op: impl Fn(), reset: impl Fn()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    let elapsed = start.elapsed();
    reset();
    elapsed
}

fn peers(c: &mut Criterion) {
    let mut g = c.benchmark_group("peers, timed call, 8 bounds, not inlined");
    let pc = prometheus_client::metrics::histogram::Histogram::new(BOUNDS.iter().copied());
    g.bench_function("prometheus-client 0.25: Instant pair + observe", |b| {
        b.iter(|| prometheus_client_timed(black_box(&pc)));
    });
    let prom = prometheus::Histogram::with_opts(
        prometheus::HistogramOpts::new("bench", "bench").buckets(BOUNDS.to_vec()),
    )
    .unwrap();
    g.bench_function("prometheus 0.14: start_timer + drop", |b| {
        b.iter(|| prometheus_timed(black_box(&prom)));
    });
    let recorder = AtomicRecorder(metrics_util::registry::Registry::atomic());
    let key = metrics::Key::from_name("bench");
    let handle = metrics::Recorder::register_histogram(
        &recorder,
        &key,
        &metrics::Metadata::new("bench", metrics::Level::INFO, None),
    );
    g.bench_function(
        "metrics 0.24 + metrics-util atomic storage: Instant pair + record",
        |b| {
            b.iter_custom(|n| {
                // The bucket keeps every value until a scrape drains it: drain after each batch.
                timed_then(
                    n,
                    || metrics_timed(black_box(&handle)),
                    || {
                        recorder.0.visit_histograms(|_, h| h.clear());
                    },
                )
            });
        },
    );
    let timer = Timer::with_config(HistogramConfig::new().bounds(BOUNDS));
    g.bench_function("metered: Timer::time (guard start + drop)", |b| {
        b.iter(|| time_not_inlined(black_box(&timer)));
    });
    g.finish();
}

fn record_value(h: &Histogram) {
    let _ = h.record(black_box(next_value()));
}

/// A `#[metered]` fn: a timer, an error meter and an in-flight count around a trivial body.
#[metered_runtime::metered(name = "bench.{fn}")]
fn instrumented(x: u64) -> Result<u64, u64> {
    if x == u64::MAX { Err(x) } else { Ok(x + 1) }
}

fn single_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("1 thread");
    let atomic = AtomicU64::new(0);
    g.bench_function("baseline: AtomicU64::fetch_add", |b| {
        b.iter(|| black_box(&atomic).fetch_add(1, Ordering::Relaxed));
    });
    g.bench_function("baseline: Instant::now() pair", |b| {
        b.iter(|| {
            let s = Instant::now();
            black_box(s);
            black_box(Instant::now())
        });
    });
    let tsc = quanta::Clock::new();
    g.bench_function("baseline: TSC read pair (quanta raw)", |b| {
        b.iter(|| {
            let s = black_box(&tsc).raw();
            black_box(s);
            black_box(black_box(&tsc).raw())
        });
    });
    // The floor of any timer that reads `Instant` twice: the pair, a linear search of 8 bounds
    // and two atomic adds (what a hand-written classic histogram does).
    let hand: [AtomicU64; 9] = std::array::from_fn(|_| AtomicU64::new(0));
    let hand_sum = AtomicU64::new(0);
    g.bench_function(
        "baseline: Instant pair + hand-written 8-bound histogram",
        |b| {
            b.iter(|| {
                let start = Instant::now();
                let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                #[allow(clippy::cast_precision_loss, reason = "short durations")]
                let secs = ns as f64 / 1e9;
                let i = BOUNDS
                    .iter()
                    .position(|&b| secs <= b)
                    .unwrap_or(BOUNDS.len());
                black_box(&hand[i]).fetch_add(1, Ordering::Relaxed);
                black_box(&hand_sum).fetch_add(ns, Ordering::Relaxed);
            });
        },
    );
    let counter = Counter::new();
    g.bench_function("Counter::inc", |b| b.iter(|| black_box(&counter).inc()));
    let meter = Meter::new();
    g.bench_function("Meter::mark", |b| b.iter(|| black_box(&meter).mark()));
    let histogram = Histogram::new();
    g.bench_function("Histogram::record", |b| {
        b.iter(|| record_value(black_box(&histogram)));
    });
    let timer = Timer::new();
    g.bench_function("Timer::time (guard start + drop)", |b| {
        b.iter(|| drop(black_box(&timer).time()));
    });
    g.bench_function("Histogram::record, not inlined", |b| {
        b.iter(|| record_not_inlined(black_box(&histogram), black_box(next_value())));
    });
    let bounded = Histogram::with_config(HistogramConfig::new().bounds(MICROS));
    g.bench_function("Histogram::record, 8 bounds, not inlined", |b| {
        b.iter(|| record_not_inlined(black_box(&bounded), black_box(next_value())));
    });
    g.bench_function("Timer::record(Duration), not inlined", |b| {
        b.iter(|| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "integers below 2^21"
            )]
            let d = Duration::from_nanos(next_value() as u64 * 100); // 100 ns to 0.1 s
            record_duration_not_inlined(black_box(&timer), black_box(d));
        });
    });
    let bounded_timer = Timer::with_config(HistogramConfig::new().bounds(BOUNDS));
    g.bench_function("Timer::record(Duration), 8 bounds, not inlined", |b| {
        b.iter(|| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "integers below 2^21"
            )]
            let d = Duration::from_nanos(next_value() as u64 * 100); // 100 ns to 0.1 s
            record_duration_not_inlined(black_box(&bounded_timer), black_box(d));
        });
    });
    g.bench_function("Timer::time (guard start + drop), not inlined", |b| {
        b.iter(|| time_not_inlined(black_box(&timer)));
    });
    g.bench_function("Timer::time, 8 bounds, not inlined", |b| {
        b.iter(|| time_not_inlined(black_box(&bounded_timer)));
    });
    g.bench_function("#[metered] fn call", |b| {
        b.iter(|| instrumented(black_box(1)));
    });
    // One clock read and no record: the floor under a timed call.
    g.bench_function("Timer::time + discard (one clock read)", |b| {
        b.iter(|| black_box(&timer).time().discard());
    });
    g.finish();
}

fn two_thread(c: &mut Criterion) {
    let mut g = c.benchmark_group("2 threads, one metric");
    let atomic = Arc::new(AtomicU64::new(0));
    g.bench_function("baseline: shared AtomicU64::fetch_add", |b| {
        b.iter_custom(|n| {
            two_threads(&atomic, n, |a| {
                black_box(a).fetch_add(1, Ordering::Relaxed);
            })
        });
    });
    let counter = Arc::new(Counter::new());
    g.bench_function("Counter::inc", |b| {
        b.iter_custom(|n| two_threads(&counter, n, |c| black_box(c).inc()));
    });
    let meter = Arc::new(Meter::new());
    g.bench_function("Meter::mark", |b| {
        b.iter_custom(|n| two_threads(&meter, n, |m| black_box(m).mark()));
    });
    let histogram = Arc::new(Histogram::new());
    g.bench_function("Histogram::record", |b| {
        b.iter_custom(|n| two_threads(&histogram, n, |h| record_value(black_box(h))));
    });
    let timer = Arc::new(Timer::new());
    let unit = Arc::new(());
    g.bench_function("#[metered] fn call", |b| {
        b.iter_custom(|n| {
            two_threads(&unit, n, |()| {
                let _ = instrumented(black_box(1));
            })
        });
    });
    g.bench_function("Timer::time (guard start + drop)", |b| {
        b.iter_custom(|n| two_threads(&timer, n, |t| drop(black_box(t).time())));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = single_thread, two_thread, peers
}
criterion_main!(benches);
