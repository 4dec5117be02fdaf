//! What the OTLP sink costs per push of 10,000 series: encode time (request messages and
//! protobuf bytes, then gzip as sent) and bytes on the wire per series, for counters (one
//! family of 10,000 children), timers (10,000 children with 20 durations each, as exponential
//! histograms) and explicit-bucket timers. The baseline in the same run is what every push
//! sink pays before encoding: the registry snapshot and the reporter's delta report.
//!
//! `cargo bench -p metered-push --features otlp --bench encode_otlp -- --warm-up-time 1 --measurement-time 3`
//!
//! The sizes are printed before the timings (`otlp/<case>: N bytes raw, M gzip, per series`).
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
#![allow(
    clippy::cast_precision_loss,
    reason = "byte counts and series counts far below 2^53"
)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use metered_push::delta::DeltaState;
use metered_push::otlp::{Config, Encoder, Histograms, OtlpSink};
use metered_runtime_core::Registry;
use prost::Message as _;
use std::time::{Duration, SystemTime};

const SERIES: u64 = 10_000;

fn counters() -> Registry {
    let r = Registry::new();
    let f = r
        .counter_family("app.http.requests", &["route", "status"])
        .unwrap();
    for i in 0..SERIES {
        f.get(&[&format!("/api/v1/items/{i}"), "200"])
            .unwrap()
            .add(i * 7 + 1);
    }
    r
}

fn timers() -> Registry {
    let r = Registry::new();
    let f = r
        .timer_family("app.http.latency", &["route", "status"])
        .unwrap();
    for i in 0..SERIES {
        let t = f.get(&[&format!("/api/v1/items/{i}"), "200"]).unwrap();
        for k in 0..20u64 {
            // 1 ms to about 60 ms, a spread typical of request latencies.
            t.record(Duration::from_micros(1000 + (i % 13 + 1) * k * k * 7));
        }
    }
    r
}

fn sizes(name: &str, r: &Registry, config: &Config) {
    let snapshot = r.snapshot();
    let report = DeltaState::new().report(&snapshot, SystemTime::now());
    let mut enc = Encoder::new(config.clone()).unwrap();
    let raw: usize = enc
        .encode(&report, &snapshot)
        .iter()
        .map(prost::Message::encoded_len)
        .sum();
    let mut sink = OtlpSink::new("http://127.0.0.1:4318", config.clone()).unwrap();
    let wire: usize = sink
        .bodies(&report, &snapshot)
        .payloads
        .iter()
        .map(Vec::len)
        .sum();
    let n = SERIES as f64;
    println!(
        "otlp/{name}: {raw} bytes raw, {wire} gzip; per series {:.1} raw, {:.1} gzip",
        raw as f64 / n,
        wire as f64 / n
    );
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("counters", counters(), Config::new("bench")),
        ("timers_exponential", timers(), Config::new("bench")),
        (
            "timers_explicit",
            timers(),
            Config::new("bench").histograms(Histograms::Explicit {
                bounds: vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
            }),
        ),
    ];
    for (name, r, config) in &cases {
        sizes(name, r, config);
    }
    let mut g = c.benchmark_group("otlp");
    g.throughput(Throughput::Elements(SERIES));
    g.sample_size(10);
    for (name, r, config) in &cases {
        let snapshot = r.snapshot();
        let report = DeltaState::new().report(&snapshot, SystemTime::now());
        g.bench_function(format!("{name}/baseline_snapshot_and_report"), |b| {
            let mut state = DeltaState::new();
            b.iter(|| {
                let s = r.snapshot();
                black_box(state.report(&s, SystemTime::now()))
            });
        });
        let mut enc = Encoder::new(config.clone()).unwrap();
        g.bench_function(format!("{name}/encode_protobuf"), |b| {
            b.iter(|| {
                let requests = enc.encode(black_box(&report), &snapshot);
                black_box(
                    requests
                        .iter()
                        .map(|q| q.encode_to_vec().len())
                        .sum::<usize>(),
                )
            });
        });
        let mut sink = OtlpSink::new("http://127.0.0.1:4318", config.clone()).unwrap();
        g.bench_function(format!("{name}/encode_protobuf_gzip"), |b| {
            b.iter(|| black_box(sink.bodies(black_box(&report), &snapshot)));
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
