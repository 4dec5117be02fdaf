//! The multi-process mode: its record path against the in-process one, in one run (with a bare
//! atomic add as the baseline), and aggregated reads of a directory of per-process files.
//!
//! `cargo bench -p metered-runtime --features multiprocess --bench multiproc`
//!
//! - `record/*`: the in-process metrics are made and first recorded before the mode is enabled
//!   (their chunks are on the heap); the multi-process ones are registered after (their cells
//!   are in this process's mapped file). Both run the same code on different memory.
//! - `scrape/8x10000`: one [`Aggregator::snapshot`] of 8 processes' files with 10,000 series
//!   each (8,000 counters, 1,000 histograms, 1,000 gauges), made by child processes of this
//!   binary before the timing starts;
//! - `scrape/8x10000+1000dead`: the same directory plus the files of 1,000 exited processes
//!   (10 series each, the same names), before and after [`Aggregator::compact`].
#![allow(missing_docs, reason = "a benchmark binary")]
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::many_single_char_names,
    reason = "benchmark set-up values, far below the limits"
)]

use criterion::{BenchmarkId, Criterion, black_box};
use metered_runtime::multiproc::{self, Aggregator};
use metered_runtime::{Counter, Gauge, Histogram, Timer, registry};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A child process: enable the mode in `MP_DIR`, make `MP_SERIES` series, record, exit.
fn worker() {
    let dir = std::env::var("MP_DIR").unwrap();
    let series: usize = std::env::var("MP_SERIES").unwrap().parse().unwrap();
    multiproc::enable(&dir).unwrap();
    let r = registry();
    let counters = r.counter_family("bench.requests", &["route"]).unwrap();
    let hist = r.histogram_family("bench.sizes", &["route"]).unwrap();
    let gauges = r.gauge_family("bench.depth", &["route"]).unwrap();
    for i in 0..series {
        let route = format!("/r{}", i / 10);
        match i % 10 {
            8 => hist
                .get(&[&route])
                .unwrap()
                .record((i % 1000) as f64)
                .unwrap(),
            9 => gauges.get(&[&route]).unwrap().set(i as i64),
            _ => counters
                .get(&[&format!("{route}/{}", i % 10)])
                .unwrap()
                .add(i as u64),
        }
    }
}

fn spawn_all(dir: &Path, n: usize, series: usize) {
    let exe = std::env::current_exe().unwrap();
    let mut running = Vec::new();
    for _ in 0..n {
        running.push(
            Command::new(&exe)
                .env("MP_WORKER", "1")
                .env("MP_DIR", dir)
                .env("MP_SERIES", series.to_string())
                .spawn()
                .unwrap(),
        );
        if running.len() >= 16 {
            assert!(running.remove(0).wait().unwrap().success());
        }
    }
    for mut c in running {
        assert!(c.wait().unwrap().success());
    }
}

fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("metered-mp-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn record(c: &mut Criterion) {
    // In process: made and touched before the mode is on.
    let local_counter = Box::leak(Box::new(Counter::new()));
    local_counter.inc();
    let local_hist = Box::leak(Box::new(Histogram::new()));
    local_hist.record(1.0).unwrap();
    let local_timer = Box::leak(Box::new(Timer::new()));
    local_timer.record(Duration::from_micros(1));
    let dir = fresh("record");
    multiproc::enable(&dir).unwrap();
    let r = registry();
    // Handles dereferenced once, as the in-process metrics are plain references.
    let mp_counter: &'static Counter = Box::leak(Box::new(r.counter("bench.mp.counter").unwrap()));
    let mp_hist: &'static Histogram =
        Box::leak(Box::new(r.histogram("bench.mp.histogram").unwrap()));
    let mp_timer: &'static Timer = Box::leak(Box::new(r.timer("bench.mp.timer").unwrap()));
    let mp_gauge: &'static Gauge = Box::leak(Box::new(r.gauge("bench.mp.gauge").unwrap()));
    let local_gauge = Gauge::new();
    let bare = AtomicU64::new(0);

    let mut g = c.benchmark_group("record");
    g.bench_function("bare_atomic_add", |b| {
        b.iter(|| bare.fetch_add(1, Ordering::Relaxed));
    });
    g.bench_function("counter/in_process", |b| {
        b.iter(|| black_box(&*local_counter).inc());
    });
    g.bench_function("counter/multiprocess", |b| {
        b.iter(|| black_box(&*mp_counter).inc());
    });
    let mut v = 1.0f64;
    g.bench_function("histogram/in_process", |b| {
        b.iter(|| {
            v = if v > 1e6 { 1.0 } else { v * 1.37 };
            black_box(&*local_hist).record(v)
        });
    });
    g.bench_function("histogram/multiprocess", |b| {
        b.iter(|| {
            v = if v > 1e6 { 1.0 } else { v * 1.37 };
            black_box(&*mp_hist).record(v)
        });
    });
    let d = Duration::from_micros(250);
    g.bench_function("timer_record/in_process", |b| {
        b.iter(|| black_box(&*local_timer).record(d));
    });
    g.bench_function("timer_record/multiprocess", |b| {
        b.iter(|| black_box(&*mp_timer).record(d));
    });
    g.bench_function("gauge_set/in_process", |b| {
        b.iter(|| black_box(&local_gauge).set(7));
    });
    g.bench_function("gauge_set/multiprocess", |b| {
        b.iter(|| black_box(&*mp_gauge).set(7));
    });
    g.finish();
    assert_eq!(multiproc::process().unwrap().overflowed(), 0);
    let _ = std::fs::remove_dir_all(dir);
}

fn scrape(c: &mut Criterion) {
    let dir = fresh("scrape");
    spawn_all(&dir, 8, 10_000);
    let view = Aggregator::new(&dir);
    assert_eq!(view.stats().unwrap().dead, 8);
    let mut g = c.benchmark_group("scrape");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("8x10000", "8_files"), |b| {
        b.iter(|| black_box(view.snapshot()));
    });
    spawn_all(&dir, 1_000, 10);
    assert_eq!(view.stats().unwrap().dead, 1_008);
    g.bench_function(
        BenchmarkId::new("8x10000+1000dead", "before_compaction"),
        |b| {
            b.iter(|| black_box(view.snapshot()));
        },
    );
    assert_eq!(view.compact().unwrap(), 1_008);
    assert_eq!(view.stats().unwrap().dead, 1);
    g.bench_function(
        BenchmarkId::new("8x10000+1000dead", "after_compaction"),
        |b| {
            b.iter(|| black_box(view.snapshot()));
        },
    );
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

fn main() {
    if std::env::var_os("MP_WORKER").is_some() {
        worker();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    // The scrape set-up starts 1,008 processes: skip it when a filter names other groups only.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.chars().any(char::is_alphabetic))
        .collect();
    let wants = |group: &str| filters.is_empty() || filters.iter().any(|f| f.starts_with(group));
    if wants("scrape") {
        scrape(&mut c);
    }
    if wants("record") {
        record(&mut c);
    }
    c.final_summary();
}
