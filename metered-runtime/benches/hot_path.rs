//! Hot-path costs: a histogram record and a timed call (guard created and dropped).
#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use metered_runtime::{Histogram, Timer};

static HIST: Histogram = Histogram::new();
static TIMER: Timer = Timer::new();

fn hot_path(c: &mut Criterion) {
    let mut v = 1.0f64;
    c.bench_function("histogram_record", |b| {
        b.iter(|| {
            v = if v > 1e6 { 1.0 } else { v * 1.37 };
            HIST.record(black_box(v))
        });
    });
    c.bench_function("timer_guard", |b| b.iter(|| drop(black_box(TIMER.time()))));
    // One clock read and no record: the floor under a timed call.
    c.bench_function("timer_guard_discard", |b| {
        b.iter(|| black_box(TIMER.time()).discard());
    });
}

criterion_group!(benches, hot_path);
criterion_main!(benches);
