//! Protobuf exposition speed and size: registries of 10,000 counters (families of 1,000) and of
//! 1,000 histograms (8 configured bounds, 100 values over three decades each, so about 100
//! native buckets per series), encoded as the protobuf exposition (native and classic buckets)
//! beside the 0.0.4 text of the same registry in the same run (the baseline).
//!
//! `cargo bench -p metered-runtime --features protobuf --bench encode_protobuf --
//! --warm-up-time 1 --measurement-time 3`
//!
//! `scrape` rows include taking the snapshot (what a scrape costs); `encode only` rows encode
//! a snapshot taken beforehand. Output sizes are printed once per registry.
#![allow(missing_docs, reason = "a benchmark binary")]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use metered_runtime::export::{Options, Scrape, prometheus, protobuf};
use metered_runtime::{HistogramConfig, Registry};
use std::hint::black_box;

const BOUNDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

fn counters() -> Registry {
    let r = Registry::new();
    for k in 0..10 {
        let f = r
            .counter_family(&format!("bench.requests{k}"), &["id"])
            .unwrap();
        for i in 0..1_000_u64 {
            f.get(&[&i.to_string()]).unwrap().add(i);
        }
    }
    r
}

fn histograms() -> Registry {
    let r = Registry::new();
    for i in 0..1_000 {
        let h = r
            .histogram_with(
                &format!("bench.latency{i}"),
                HistogramConfig::new().bounds(BOUNDS),
            )
            .unwrap();
        for k in 0..100_u32 {
            // 1 ms to 1 s, log-spread.
            h.record(1e-3 * 10f64.powf(3.0 * f64::from(k) / 100.0))
                .unwrap();
        }
    }
    r
}

fn encode(c: &mut Criterion) {
    for (kind, n, r) in [
        ("counters", 10_000, counters()),
        ("histograms", 1_000, histograms()),
    ] {
        let mut g = c.benchmark_group(format!("protobuf {kind}"));
        let scrape = Scrape::of(&r);
        let opts = Options::new();
        eprintln!(
            "{kind} {n}: 0.0.4 {} B, protobuf {} B",
            prometheus::to_string(&scrape, &opts).len(),
            protobuf::to_vec(&scrape, &opts).len(),
        );
        g.bench_function(BenchmarkId::new("0.0.4 scrape", n), |b| {
            b.iter(|| prometheus::to_string(&Scrape::of(&r), &opts).len());
        });
        g.bench_function(BenchmarkId::new("protobuf scrape", n), |b| {
            b.iter(|| protobuf::to_vec(&Scrape::of(&r), &opts).len());
        });
        g.bench_function(BenchmarkId::new("0.0.4 encode only", n), |b| {
            b.iter(|| prometheus::to_string(black_box(&scrape), &opts).len());
        });
        g.bench_function(BenchmarkId::new("protobuf encode only", n), |b| {
            b.iter(|| protobuf::to_vec(black_box(&scrape), &opts).len());
        });
        g.finish();
    }
}

criterion_group!(benches, encode);
criterion_main!(benches);
