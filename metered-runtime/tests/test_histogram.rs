//! Integration tests of histograms: accuracy against exact quantiles, merging, windows,
//! classic buckets, the exporters' read API and memory.
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
use metered_runtime::{Error, Histogram, HistogramConfig, ManualClock, Quantiles};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// Records `values` and checks every quantile within 1 % and the exact statistics.
fn check(values: &[f64]) {
    let h = cumulative();
    for &v in values {
        h.record(v).unwrap();
    }
    let s = h.snapshot();
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(s.count, values.len() as u64);
    assert_eq!(s.min, sorted[0]);
    assert_eq!(s.max, *sorted.last().unwrap());
    let sum: f64 = values.iter().sum();
    assert!((s.sum - sum).abs() <= 1e-9 * sum.abs().max(1.0));
    for q in Quantiles::LEVELS
        .into_iter()
        .chain([0.0, 0.1, 0.33, 0.9, 1.0])
    {
        let (est, ex) = (s.quantile(q), exact(&sorted, q));
        if ex == 0.0 {
            assert_eq!(est, 0.0, "q={q}");
        } else {
            assert!(
                (est - ex).abs() / ex <= 0.01,
                "q={q}: estimate {est} exact {ex}"
            );
        }
    }
    assert_eq!(s.quantiles.q99, s.quantile(0.99));
}

#[test]
fn single_value_is_exact() {
    let h = cumulative();
    h.record(123.456).unwrap();
    let s = h.snapshot();
    assert_eq!(s.quantiles.q50, 123.456);
    assert_eq!(s.quantiles.q999, 123.456);
    assert_eq!((s.mean, s.stddev), (123.456, 0.0));
}

#[test]
fn all_equal_values_are_exact() {
    let h = cumulative();
    for _ in 0..1000 {
        h.record(7.25).unwrap();
    }
    let s = h.snapshot();
    assert_eq!(s.quantiles.q50, 7.25);
    assert_eq!(s.quantiles.q999, 7.25);
    assert_eq!(s.mean, 7.25);
    assert!(s.stddev <= 1e-6, "{}", s.stddev);
}

#[test]
fn zeros_are_counted_exactly() {
    let h = cumulative();
    for v in [0.0, 0.0, 0.0, 5.0] {
        h.record(v).unwrap();
    }
    let s = h.snapshot();
    assert_eq!(s.sketch.zero_count(), 3);
    assert_eq!(s.quantiles.q50, 0.0);
    assert_eq!(s.quantiles.q75, 0.0);
    // 5 = 2^(148.6/64) is in bucket 149: the estimate is its geometric midpoint 2^(148.5/64).
    assert!((s.quantiles.q95 - 2f64.powf(148.5 / 64.0)).abs() < 1e-12);
    assert!((s.quantiles.q95 - 5.0).abs() <= 5.0 * 0.0055);
    check(&[0.0, 0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn negative_zero_is_zero() {
    let h = Histogram::with_config(
        HistogramConfig::new()
            .cumulative()
            .bounds(&[-1.0, 0.0, 1.0]),
    );
    h.record(-0.0).unwrap();
    h.record(2.0).unwrap();
    let s = h.snapshot();
    assert_eq!((s.sketch.zero_count(), s.min, s.max), (1, 0.0, 2.0));
    assert_eq!(s.sketch.buckets(), [(64, 1)]);
    assert_eq!(
        s.buckets,
        [(-1.0, 0), (0.0, 1), (1.0, 1), (f64::INFINITY, 2)]
    );
}

#[test]
fn rejects_negative_nan_and_infinite() {
    let h = cumulative();
    for v in [-1.0, -0.0001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(
            matches!(h.record(v), Err(Error::InvalidValue { .. })),
            "{v}"
        );
    }
    assert_eq!(h.count(), 0);
    assert_eq!(h.snapshot().count, 0);
}

#[test]
fn nanoseconds_from_one_ns_to_one_hour() {
    let mut rng = SplitMix(1);
    let log_max = 3.6e12f64.ln();
    let values: Vec<f64> = (0..20_000)
        .map(|_| (rng.unit() * log_max).exp().round().max(1.0))
        .collect();
    check(&values);
    check(&[1.0, 3.6e12]);
}

#[test]
fn uniform_values() {
    let mut rng = SplitMix(2);
    let values: Vec<f64> = (0..10_000).map(|_| rng.unit() * 1000.0).collect();
    check(&values);
}

#[test]
fn exponential_and_log_normal_values() {
    let mut rng = SplitMix(3);
    let exp: Vec<f64> = (0..10_000).map(|_| -rng.unit().ln() * 250.0).collect();
    check(&exp);
    // Box-Muller normal, exponentiated.
    let lognormal: Vec<f64> = (0..10_000)
        .map(|_| {
            let (u1, u2) = (rng.unit(), rng.unit());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (10.0 + 2.0 * z).exp()
        })
        .collect();
    check(&lognormal);
}

#[test]
fn a_million_log_normal_and_uniform_values() {
    let mut rng = SplitMix(6);
    let lognormal: Vec<f64> = (0..1_000_000)
        .map(|_| {
            let (u1, u2) = (rng.unit(), rng.unit());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            // Median 1 ms in seconds, a spread of 1.5 e-folds: 10 µs to 100 ms mostly.
            (-6.9 + 1.5 * z).exp()
        })
        .collect();
    check(&lognormal);
    let uniform: Vec<f64> = (0..1_000_000).map(|_| rng.unit() * 1e6).collect();
    check(&uniform);
}

#[test]
fn mean_and_stddev_are_exact() {
    let h = cumulative();
    for v in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
        h.record(v).unwrap();
    }
    let s = h.snapshot();
    assert_eq!(s.mean, 5.0);
    assert!((s.stddev - 2.0).abs() < 1e-12);
}

proptest! {
    #[test]
    fn quantiles_within_one_percent(values in prop::collection::vec(1e-9f64..1e15, 1..300)) {
        check(&values);
    }
}

#[test]
fn merged_snapshots_equal_one_histogram() {
    let mut rng = SplitMix(4);
    let (a, b, all) = (cumulative(), cumulative(), cumulative());
    for i in 0..5000 {
        let v = (rng.unit() * 20.0).exp();
        if i % 3 == 0 { &a } else { &b }.record(v).unwrap();
        all.record(v).unwrap();
    }
    a.record(0.0).unwrap();
    all.record(0.0).unwrap();
    let mut merged = a.snapshot();
    merged.merge(&b.snapshot()).unwrap();
    let one = all.snapshot();
    assert_eq!(merged.sketch, one.sketch);
    assert_eq!(merged.window_sketch, one.window_sketch);
    assert_eq!(merged.quantiles, one.quantiles);
    assert_eq!(
        (merged.count, merged.min, merged.max),
        (one.count, one.min, one.max)
    );
    assert!((merged.sum - one.sum).abs() <= 1e-9 * one.sum);
    assert!((merged.stddev - one.stddev).abs() <= 1e-6 * one.stddev);
    // Merging into an empty snapshot gives the other one.
    let mut empty = metered_runtime::HistogramSnapshot::default();
    empty.merge(&one).unwrap();
    assert_eq!(empty.quantiles, one.quantiles);
}

#[test]
fn merge_rejects_different_bounds() {
    let a = Histogram::with_config(HistogramConfig::new().bounds(&[1.0]));
    let b = Histogram::with_config(HistogramConfig::new().bounds(&[2.0]));
    a.record(1.0).unwrap();
    b.record(1.0).unwrap();
    let mut s = a.snapshot();
    assert!(matches!(
        s.merge(&b.snapshot()),
        Err(Error::InvalidConfig { .. })
    ));
}

#[test]
fn classic_buckets_are_exact_and_cumulative() {
    static DAYS: &[f64] = &[1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0];
    let h = Histogram::with_config(HistogramConfig::new().bounds(DAYS));
    assert!(h.config().validate().is_ok());
    for v in [0.0, 1.0, 1.000_000_1, 3.0, 6.9, 7.0, 7.0001, 400.0, 365.0] {
        h.record(v).unwrap();
    }
    let s = h.snapshot();
    assert_eq!(
        s.buckets,
        [
            (1.0, 2),
            (3.0, 4),
            (7.0, 6),
            (14.0, 7),
            (30.0, 7),
            (90.0, 7),
            (365.0, 8),
            (f64::INFINITY, 9)
        ]
    );
    assert!(cumulative().snapshot().buckets.is_empty());
}

#[test]
fn window_forgets_old_values() {
    let clock = Arc::new(ManualClock::new());
    let h = Histogram::with_clock(
        HistogramConfig::new().window(Duration::from_secs(60)),
        clock.clone(),
    );
    for _ in 0..100 {
        h.record(1000.0).unwrap();
    }
    // Reads every 15 s: the first 60 s the window reaches back to creation.
    let s = h.snapshot();
    assert_eq!((s.window, s.window_count), (Duration::ZERO, 100));
    assert_eq!(s.quantiles.q50, 1000.0);
    for _ in 0..4 {
        clock.advance(Duration::from_secs(15));
        let _ = h.snapshot();
    }
    for _ in 0..10 {
        h.record(10.0).unwrap();
    }
    clock.advance(Duration::from_secs(15));
    let s = h.snapshot();
    // Now 75 s: the base is the read at 15 s, taken after the first 100 values.
    assert_eq!(s.window, Duration::from_secs(60));
    assert_eq!(s.window_count, 10);
    assert!((s.quantiles.q99 - 10.0).abs() <= 0.1, "{:?}", s.quantiles);
    // Cumulative fields still cover everything.
    assert_eq!((s.count, s.min, s.max), (110, 10.0, 1000.0));
    assert_eq!(s.sum, 100_100.0);
    // Nothing recorded in the last 60 s: empty window.
    clock.advance(Duration::from_secs(61));
    let s = h.snapshot();
    assert_eq!((s.window_count, s.quantiles.q50), (0, 0.0));
    assert_eq!(s.count, 110);
}

#[test]
fn rare_reads_cover_since_previous_read() {
    let clock = Arc::new(ManualClock::new());
    let h = Histogram::with_clock(HistogramConfig::new(), clock.clone());
    h.record(1.0).unwrap();
    clock.advance(Duration::from_secs(10));
    assert_eq!(h.snapshot().window_count, 1);
    h.record(2.0).unwrap();
    clock.advance(Duration::from_secs(300));
    h.record(3.0).unwrap();
    let s = h.snapshot();
    assert_eq!(s.window, Duration::from_secs(300));
    assert_eq!(s.window_count, 2);
    // The bucket midpoint of 2 (not clamped: min and max are 1 and 3).
    assert!((s.quantiles.q50 - 2.0).abs() <= 0.02, "{}", s.quantiles.q50);
}

#[test]
fn zero_window_is_cumulative() {
    let clock = Arc::new(ManualClock::new());
    let h = Histogram::with_clock(HistogramConfig::new().window(Duration::ZERO), clock.clone());
    h.record(5.0).unwrap();
    let _ = h.snapshot();
    clock.advance(Duration::from_secs(3600));
    h.record(6.0).unwrap();
    let s = h.snapshot();
    assert_eq!((s.window, s.window_count), (Duration::from_secs(3600), 2));
    assert!((s.quantiles.q50 - 5.0).abs() <= 0.05, "{}", s.quantiles.q50);
    assert_eq!(s.quantiles.q99, 6.0); // clamped to max
}

#[test]
fn records_from_many_threads() {
    let h = Arc::new(cumulative());
    let hs: Vec<_> = (0..4)
        .map(|t| {
            let h = Arc::clone(&h);
            std::thread::spawn(move || {
                for i in 1..=1000 {
                    h.record(f64::from(t * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in hs {
        t.join().unwrap();
    }
    let s = h.snapshot();
    assert_eq!((s.count, s.min, s.max), (4000, 1.0, 4000.0));
    assert!((s.quantiles.q50 - 2000.0).abs() / 2000.0 <= 0.01);
}

#[test]
fn exporters_read_schema_zero_bucket_and_spans() {
    let h = cumulative();
    for v in [0.0, 1e-13, 1.0, 1.0, 1.5, 1.5, 1.5, 3.0] {
        h.record(v).unwrap();
    }
    let s = h.snapshot().sketch;
    assert_eq!((s.schema(), s.zero_threshold()), (6, 2f64.powi(-40)));
    assert_eq!((s.zero_count(), s.count()), (2, 8));
    // 1 = 2^(0/64); 1.5 = 2^(37.4/64); 3 = 2^(101.4/64).
    assert_eq!(s.buckets(), [(0, 2), (38, 3), (102, 1)]);
    for &(i, _) in s.buckets() {
        let (lower, upper) = s.bucket_edges(i);
        assert!((upper / lower - 2f64.powf(1.0 / 64.0)).abs() < 1e-12);
    }
    let spans = s.spans(0);
    assert_eq!(spans.len(), 3);
    assert_eq!((spans[1].start, spans[1].counts.clone()), (38, vec![3]));
    let dense = s.spans(u32::MAX);
    assert_eq!(dense.len(), 1);
    assert_eq!(dense[0].counts.len(), 103);
    assert_eq!(dense[0].counts.iter().sum::<u64>(), 6);
    // Downscaled to schema 0 (one bucket per power of two): (0.5, 1], (1, 2], (2, 4].
    let coarse = s.downscale(0).unwrap();
    assert_eq!(coarse.buckets(), [(0, 2), (1, 3), (2, 1)]);
    // A merge of two schemas is at the coarser one, and exact there.
    let mut m = s.clone();
    m.merge(&coarse).unwrap();
    assert_eq!(m.schema(), 0);
    assert_eq!(m.buckets(), [(0, 4), (1, 6), (2, 2)]);
    assert_eq!(m.zero_count(), 4);
}

#[test]
fn histogram_memory_within_one_power_of_two() {
    let h = cumulative();
    for i in 0..1000 {
        h.record(1.0 + f64::from(i) / 1000.0).unwrap();
    }
    // (1, 2] is two chunks of 32 buckets in one group, plus bucket 0 (the value 1) in a third
    // chunk of another group: shard 192 + 2 groups + 3 chunks, plus the shard table.
    let shard = 192 + 2 * 128 + 3 * 256;
    let bytes = h.heap_bytes();
    assert!(
        (shard..=shard + 1024).contains(&bytes),
        "{bytes} bytes for values within one power of two"
    );
    let one = cumulative();
    one.record(1.5).unwrap();
    let single = one.heap_bytes();
    assert!(
        (192 + 128 + 256..=192 + 128 + 256 + 1024).contains(&single),
        "{single}"
    );
    eprintln!("one value: {single} B; 1000 values in [1, 2): {bytes} B");
}

#[test]
fn registry_rejects_invalid_bounds() {
    let r = metered_runtime::Registry::new();
    let bad = HistogramConfig::new().bounds(&[3.0, 1.0]);
    assert!(matches!(
        r.histogram_with("app.bad", bad),
        Err(Error::InvalidConfig { .. })
    ));
    let good = HistogramConfig::new().bounds(&[1.0, 3.0]);
    let h = r.histogram_with("app.good", good).unwrap();
    h.record(2.0).unwrap();
    assert_eq!(
        h.snapshot().buckets,
        [(1.0, 0), (3.0, 1), (f64::INFINITY, 1)]
    );
}
