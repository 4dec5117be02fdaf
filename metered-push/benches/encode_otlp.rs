//! What the OTLP sink costs per push of 10,000 series: encode time (request messages and
//! protobuf bytes, then gzip as sent) and bytes on the wire per series, for counters (ten
//! families of 1,000 children labelled `route` and `status`, pseudo-random routes and counts),
//! timers (the same shape, 20 durations of 1 to 60 ms each, as exponential histograms, lossless
//! and at most 160 buckets as OpenTelemetry SDKs default to) and the same timers as
//! explicit-bucket histograms at 10 bounds. The baseline in the same run is what every push
//! sink pays before encoding: the registry snapshot and the reporter's delta report.
//!
//! `cargo bench -p metered-push --features otlp --bench encode_otlp -- --warm-up-time 1 --measurement-time 3`
//!
//! The sizes are printed before the timings (`otlp/<case>: N bytes raw, M gzip, per series`).
//!
//! Times are the **CPU time** of the benchmark thread (`/proc/thread-self/schedstat`, Linux),
//! not wall time: on a machine shared with other builds the wall time measures the neighbours.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
#![allow(
    clippy::cast_precision_loss,
    reason = "byte counts and series counts far below 2^53"
)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use metered_push::delta::DeltaState;
use metered_push::otlp::proto::metric::Data;
use metered_push::otlp::{Config, Encoder, Histograms, OtlpSink};
use metered_runtime_core::Registry;
use prost::Message as _;
use std::time::{Duration, SystemTime};

const SERIES: u64 = 10_000;
/// Families of 1,000 label sets each (a family's default cap), as in the render benchmarks.
const FAMILIES: u64 = 10;
const PER_FAMILY: u64 = SERIES / FAMILIES;

/// A pseudo-random sequence (64-bit LCG), so label values and counts are not trivially
/// compressible runs.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// The label values of series `i`: a route of a few path segments and a status code.
fn labels(rng: &mut Lcg, i: u64) -> (String, &'static str) {
    let route = format!(
        "/api/v{}/{:x}/items/{}",
        rng.next() % 3 + 1,
        rng.next() % 4096,
        i
    );
    let status = ["200", "201", "404", "500"][usize::try_from(rng.next() % 4).unwrap()];
    (route, status)
}

fn counters() -> Registry {
    let r = Registry::new();
    let mut rng = Lcg(1);
    for k in 0..FAMILIES {
        let f = r
            .counter_family(&format!("app.http.requests{k}"), &["route", "status"])
            .unwrap();
        for i in 0..PER_FAMILY {
            let (route, status) = labels(&mut rng, i);
            f.get(&[&route, status])
                .unwrap()
                .add(rng.next() % 1_000_000);
        }
    }
    r
}

fn timers() -> Registry {
    let r = Registry::new();
    let mut rng = Lcg(2);
    for k in 0..FAMILIES {
        let f = r
            .timer_family(&format!("app.http.latency{k}"), &["route", "status"])
            .unwrap();
        for i in 0..PER_FAMILY {
            let (route, status) = labels(&mut rng, i);
            let t = f.get(&[&route, status]).unwrap();
            for _ in 0..20 {
                // 1 ms to about 60 ms, a spread typical of request latencies.
                t.record(Duration::from_micros(1000 + rng.next() % 59_000));
            }
        }
    }
    r
}

fn sizes(name: &str, r: &Registry, config: &Config) {
    let snapshot = r.snapshot();
    let report = DeltaState::new().report(&snapshot, SystemTime::now());
    let mut enc = Encoder::new(config.clone()).unwrap();
    let requests = enc.encode(&report, &snapshot);
    let points: usize = requests
        .iter()
        .flat_map(|q| &q.resource_metrics)
        .flat_map(|m| &m.scope_metrics)
        .flat_map(|m| &m.metrics)
        .map(|m| match &m.data {
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(points, 10_000, "{name}: every series is in the request");
    let raw: usize = requests.iter().map(prost::Message::encoded_len).sum();
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

/// Nanoseconds the calling thread has run on a CPU.
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux) gives the thread's CPU time")
}

/// Runs `f` `iters` times; the CPU time it took.
fn cpu_time(iters: u64, mut f: impl FnMut()) -> Duration {
    let start = cpu_ns();
    for _ in 0..iters {
        f();
    }
    Duration::from_nanos(cpu_ns() - start)
}

fn bench(c: &mut Criterion) {
    let cases = [
        ("counters", counters(), Config::new("bench")),
        ("timers_exponential", timers(), Config::new("bench")),
        (
            "timers_exponential_160",
            timers(),
            Config::new("bench").histograms(Histograms::Exponential {
                max_buckets: Some(160),
            }),
        ),
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
            b.iter_custom(|iters| {
                cpu_time(iters, || {
                    let s = r.snapshot();
                    black_box(state.report(&s, SystemTime::now()));
                })
            });
        });
        let mut enc = Encoder::new(config.clone()).unwrap();
        g.bench_function(format!("{name}/encode_protobuf"), |b| {
            b.iter_custom(|iters| {
                cpu_time(iters, || {
                    let requests = enc.encode(black_box(&report), &snapshot);
                    let bytes: usize = requests.iter().map(|q| q.encode_to_vec().len()).sum();
                    black_box(bytes);
                })
            });
        });
        let mut sink = OtlpSink::new("http://127.0.0.1:4318", config.clone()).unwrap();
        g.bench_function(format!("{name}/encode_protobuf_gzip"), |b| {
            b.iter_custom(|iters| {
                cpu_time(iters, || {
                    black_box(sink.bodies(black_box(&report), &snapshot));
                })
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
