//! statvent parity costs, with their baselines in the same run: `statvent::Recorder::record`
//! (a name lookup under a read lock, then the window's mutex) against a bare
//! `AtomicU64::fetch_add` and the lock-free `Histogram::record`; and the text form of a
//! registry of 1,000 counters and 100 histograms (`statvent::text::encode`, what a reader of a
//! pipe waits for) against the Prometheus text of the same registry.
//!
//! `cargo bench -p metered-runtime --features statvent,prometheus --bench statvent`
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use metered_runtime::statvent::{Recorder, text};
use metered_runtime::{Histogram, Registry};
use std::sync::atomic::{AtomicU64, Ordering};

fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("statvent_record");
    let bare = AtomicU64::new(0);
    g.bench_function("baseline: bare atomic fetch_add", |b| {
        b.iter(|| bare.fetch_add(black_box(1), Ordering::Relaxed));
    });
    let h = Histogram::new();
    g.bench_function("Histogram::record", |b| {
        b.iter(|| h.record(black_box(0.25)));
    });
    let registry = Registry::new();
    let recorder = Recorder::new(&registry);
    for i in 0..50 {
        recorder.record(&format!("other.{i}.{{0}}"), 1.0).unwrap();
    }
    g.bench_function("Recorder::record (window of 100, 51 names)", |b| {
        b.iter(|| recorder.record(black_box("jobs.{0}.seconds"), black_box(0.25)));
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let registry = Registry::new();
    for i in 0..1000 {
        registry.counter(&format!("app.c{i}")).unwrap().add(i);
    }
    for i in 0..100 {
        let h = registry.histogram(&format!("app.h{i}")).unwrap();
        for v in 0..100 {
            h.record(f64::from(v)).unwrap();
        }
    }
    let snapshot = registry.snapshot();
    let mut g = c.benchmark_group("statvent_encode");
    g.bench_function(
        "baseline: prometheus text, 1000 counters + 100 histograms",
        |b| {
            b.iter(|| metered_runtime::export::render::render(black_box(&snapshot), None, None));
        },
    );
    g.bench_function("statvent text, 1000 counters + 100 histograms", |b| {
        b.iter(|| text::encode(black_box(&snapshot)));
    });
    g.finish();
}

criterion_group!(benches, record, encode);
criterion_main!(benches);
