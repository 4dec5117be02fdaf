//! The hot path while a push sink fails: a counter increment and a timer record with no
//! reporter, and with a reporter every millisecond to a Graphite port that refuses connections
//! (every report fails, is buffered, retried with a 1 ms backoff, and dropped when the buffer
//! is full), with a bare `AtomicU64::fetch_add` as the baseline in the same run.
//!
//! `cargo bench -p metered-push --features graphite --bench failing_sink`
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use metered_push::Reporter;
use metered_push::graphite::{Config, GraphiteSink};
use metered_runtime_core::Registry;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

fn refused_port() -> u16 {
    // Bound then dropped: nothing listens there during the run.
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn bench(c: &mut Criterion) {
    let baseline = AtomicU64::new(0);
    c.bench_function("baseline/atomic_fetch_add", |b| {
        b.iter(|| baseline.fetch_add(black_box(1), Ordering::Relaxed));
    });

    let r = Arc::new(Registry::new());
    let counter = r.counter("bench.requests").unwrap();
    let timer = r.timer("bench.latency").unwrap();
    for i in 0..200 {
        r.counter(&format!("bench.filler.c{i}")).unwrap().inc();
    }
    c.bench_function("counter_inc/no_reporter", |b| b.iter(|| counter.inc()));
    c.bench_function("timer_record/no_reporter", |b| {
        b.iter(|| timer.record(black_box(Duration::from_micros(150))));
    });

    let sink = GraphiteSink::new(("127.0.0.1", refused_port()), Config::default()).unwrap();
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_millis(1))
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .buffer(16)
        .log(|_| {})
        .start()
        .unwrap();
    c.bench_function("counter_inc/failing_sink", |b| b.iter(|| counter.inc()));
    c.bench_function("timer_record/failing_sink", |b| {
        b.iter(|| timer.record(black_box(Duration::from_micros(150))));
    });
    let stats = reporter.stop();
    assert!(stats.failures > 0 && stats.sent == 0, "{stats:?}");
    eprintln!("failing sink during the run: {stats:?}");
}

criterion_group!(benches, bench);
criterion_main!(benches);
