//! Integration tests of timers: durations in seconds, the seconds bucket layout, guards (on
//! return, panic and dropped futures), rates and memory.
#![allow(
    clippy::float_cmp,
    reason = "these tests check exact values on purpose"
)]
#![allow(
    clippy::duration_suboptimal_units,
    reason = "durations are spelled in the unit each test checks"
)]

mod common;

use common::{SplitMix, cumulative, exact};
use metered_runtime::{Error, Histogram, HistogramConfig, ManualClock, Timer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

#[test]
fn timer_bounds_are_exact_in_seconds() {
    let t = Timer::with_config(HistogramConfig::new().bounds(&[0.005, 0.01]));
    t.record(Duration::from_nanos(5_000_000));
    t.record(Duration::from_nanos(5_000_001));
    t.record(Duration::from_millis(10));
    t.record(Duration::from_secs(1));
    assert_eq!(
        t.snapshot().histogram.buckets,
        [(0.005, 1), (0.01, 3), (f64::INFINITY, 4)]
    );
}

#[test]
fn timer_buckets_are_those_of_seconds() {
    // A timer records nanoseconds into the buckets of the same durations in seconds, so its
    // sketch has the layout of a histogram recording seconds: no index offset.
    let (t, h) = (Timer::new(), cumulative());
    let mut rng = SplitMix(7);
    let mut ns: Vec<u64> = (0..20_000)
        .map(|_| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "1 to 3.6e12"
            )]
            let n = (rng.unit() * 3.6e12f64.ln()).exp() as u64;
            n
        })
        .collect();
    // Exact powers of two of seconds end their bucket; 1 ns; 1 hour; zero.
    ns.extend([
        500_000_000,
        1_000_000_000,
        2_000_000_000,
        1_953_125,
        1,
        3_600_000_000_000,
        0,
    ]);
    for &n in &ns {
        t.record(Duration::from_nanos(n));
        #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
        h.record(n as f64 / 1e9).unwrap();
    }
    let (ts, hs) = (t.snapshot().histogram.sketch, h.snapshot().sketch);
    assert_eq!(ts, hs);
    assert_eq!(ts.zero_count(), 1);
    // 1 s is the upper edge of bucket 0, 0.5 s of bucket -64, 2 s of bucket 64.
    let one = Timer::new();
    for n in [1_000_000_000, 500_000_000, 2_000_000_000, 1_000_000_001] {
        one.record(Duration::from_nanos(n));
    }
    assert_eq!(
        one.snapshot().histogram.sketch.buckets(),
        [(-64, 1), (0, 1), (1, 1), (64, 1)]
    );
    // Reported quantiles are in seconds, within 0.55 %.
    let q = t.snapshot().histogram.quantiles.q50;
    #[allow(clippy::cast_precision_loss, reason = "exact below 2^53")]
    let mut sorted: Vec<f64> = ns.iter().map(|&n| n as f64 / 1e9).collect();
    sorted.sort_by(f64::total_cmp);
    let ex = exact(&sorted, 0.5);
    assert!((q - ex).abs() / ex <= 0.0055, "{q} vs {ex}");
}

fn manual_timer() -> (Arc<ManualClock>, Timer) {
    let clock = Arc::new(ManualClock::new());
    let t = Timer::with_clock(HistogramConfig::new(), clock.clone());
    (clock, t)
}

#[test]
fn timer_reports_seconds_and_rates() {
    let (clock, t) = manual_timer();
    t.record(Duration::from_millis(10));
    t.record_secs(0.030).unwrap();
    t.time_fn(|| clock.advance(Duration::from_millis(20)));
    assert!(matches!(
        t.record_secs(-1.0),
        Err(Error::InvalidValue { .. })
    ));
    assert!(matches!(
        t.record_secs(f64::NAN),
        Err(Error::InvalidValue { .. })
    ));
    assert!(t.record_secs(f64::INFINITY).is_err());
    clock.advance(Duration::from_secs(6));
    let s = t.snapshot();
    assert_eq!(s.rates.count, 3);
    assert!((s.rates.m1 - 0.6).abs() < 1e-12);
    assert_eq!((s.histogram.min, s.histogram.max), (0.010, 0.030));
    assert!((s.histogram.sum - 0.060).abs() < 1e-15);
    assert!((s.histogram.quantiles.q50 - 0.020).abs() <= 0.0002);
    assert_eq!(s.histogram.sketch.schema(), 6);
}

#[test]
fn guard_stop_and_discard() {
    let (clock, t) = manual_timer();
    let g = t.time();
    clock.advance(Duration::from_millis(7));
    assert_eq!(g.stop(), Duration::from_millis(7));
    let g = t.time();
    clock.advance(Duration::from_millis(7));
    g.discard();
    assert_eq!(t.count(), 1);
    assert_eq!(std::mem::size_of::<metered_runtime::TimerGuard<'_>>(), 16);
}

#[test]
fn guard_records_on_panic() {
    let (clock, t) = manual_timer();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _g = t.time();
        clock.advance(Duration::from_millis(3));
        panic!("boom");
    }));
    assert!(r.is_err());
    let s = t.snapshot();
    assert_eq!(s.histogram.count, 1);
    assert_eq!(s.histogram.max, 0.003);
}

/// A future that holds a guard and is pending forever.
struct Stuck<'a> {
    timer: &'a Timer,
    guard: Option<metered_runtime::TimerGuard<'a>>,
}

impl Future for Stuck<'_> {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        let timer = self.timer;
        self.guard.get_or_insert_with(|| timer.time());
        Poll::Pending
    }
}

#[test]
fn guard_records_when_future_is_dropped() {
    let (clock, t) = manual_timer();
    let mut fut = Box::pin(Stuck {
        timer: &t,
        guard: None,
    });
    let mut cx = Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    clock.advance(Duration::from_millis(5));
    assert_eq!(t.count(), 0);
    drop(fut);
    assert_eq!(t.count(), 1);
    assert_eq!(t.snapshot().histogram.max, 0.005);
}

#[test]
fn idle_timer_is_small() {
    let t = Timer::new();
    let total = std::mem::size_of::<Timer>() + t.heap_bytes();
    assert_eq!(t.heap_bytes(), 0);
    // 240 bytes of histogram and rates and the pointer to the bounds in nanoseconds, computed
    // on the first record with bounds; 16 more with the multi-process mode's storage ids (see
    // `Timer`'s docs).
    assert!(total <= 264, "idle timer takes {total} bytes");
    let h = Histogram::new();
    assert_eq!(h.heap_bytes(), 0);
}

/// A timer with bounds holds their thresholds in nanoseconds on the heap from its first record
/// (96 bytes), beside the 128 bytes of classic bucket counters of the recording thread's shard;
/// the classic counts are those of the seconds.
#[test]
fn bounds_in_nanoseconds_are_held_from_the_first_record() {
    static BOUNDS: &[f64] = &[0.001, 0.01, 0.1];
    let plain = Timer::new();
    let bounded = Timer::with_config(HistogramConfig::new().bounds(BOUNDS));
    assert_eq!(bounded.heap_bytes(), 0);
    for t in [&plain, &bounded] {
        t.record(Duration::from_millis(5));
        t.record(Duration::from_millis(10));
        t.record(Duration::from_nanos(10_000_001));
    }
    assert_eq!(bounded.heap_bytes(), plain.heap_bytes() + 96 + 128);
    let buckets = bounded.snapshot().histogram.buckets;
    assert_eq!(
        buckets,
        [(0.001, 0), (0.01, 2), (0.1, 3), (f64::INFINITY, 3)]
    );
}

#[test]
fn active_timer_memory_is_bounded() {
    let t = Timer::new();
    // 10 µs to 100 ms, log-uniform, from one thread.
    let mut rng = SplitMix(5);
    for _ in 0..100_000 {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "the log-uniform value lies in 1e4..1e8"
        )]
        let ns = (1e4 * (rng.unit() * 1e4f64.ln()).exp()) as u64;
        t.record(Duration::from_nanos(ns));
    }
    let bytes = t.heap_bytes();
    // 10 µs to 100 ms is 13.3 powers of two: 27 or 28 chunks of 256 bytes in 3 groups.
    assert!(bytes <= 10 * 1024, "active timer holds {bytes} bytes");
    assert!(
        bytes >= 192 + 3 * 128 + 27 * 256,
        "heap_bytes must count the buckets: {bytes}"
    );
    // One more thread adds a shard plus its own powers of two.
    std::thread::scope(|s| {
        s.spawn(|| t.record(Duration::from_micros(50)));
    });
    let more = t.heap_bytes() - bytes;
    // A shard, a group and a chunk (plus what the shard table takes per thread).
    assert!(
        (192 + 128 + 256..=2048).contains(&more),
        "second thread added {more} bytes"
    );
    eprintln!(
        "size_of::<Timer>() = {}, one thread: {bytes} B, second thread: +{more} B",
        std::mem::size_of::<Timer>()
    );
}

#[test]
fn timer_sums_are_exact_integers() {
    let (_, t) = manual_timer();
    // Durations of 2^32 ns and more exercise the high half of the sum of squares.
    let ns = [1u64, 999, 5_000_000_000, 7_000_000_001, 3_600_000_000_000];
    for n in ns {
        t.record(Duration::from_nanos(n));
    }
    let s = t.snapshot().histogram;
    let total: u64 = ns.iter().sum();
    assert_eq!(s.count, 5);
    #[allow(
        clippy::cast_precision_loss,
        reason = "the test's totals are far below 2^53 ns"
    )]
    let (sum, mean) = (total as f64 / 1e9, total as f64 / 5.0 / 1e9);
    assert_eq!(s.sum, sum);
    assert!((s.mean - mean).abs() <= 1e-12 * mean);
    #[allow(
        clippy::cast_precision_loss,
        reason = "the test's totals are far below 2^53 ns"
    )]
    let var = ns
        .iter()
        .map(|&n| (n as f64 / 1e9 - mean).powi(2))
        .sum::<f64>()
        / 5.0;
    assert!(
        (s.stddev - var.sqrt()).abs() <= 1e-9 * var.sqrt(),
        "{}",
        s.stddev
    );
    assert_eq!((s.min, s.max), (1e-9, 3600.0));
}
