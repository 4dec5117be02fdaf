//! Render speed: registries of 1,000 and 10,000 series (counters in labelled families of 1,000;
//! histograms with 8 configured buckets) to Prometheus text 0.0.4, OpenMetrics and JSON, beside
//! prometheus-client's OpenMetrics text encoder on the same series in the same run.
//!
//! `cargo bench -p metered-runtime --features prometheus,openmetrics --bench render --
//! --warm-up-time 1 --measurement-time 3`
//!
//! The `metered 0.0.4` and `metered OpenMetrics` rows read the registry as a scrape does
//! (`encode_registry`, what `render` and the endpoint call: values read where they live,
//! label sets rendered once and kept); `via snapshot` takes `Scrape::of` first, `encode only`
//! encodes a snapshot taken beforehand, `JSON` takes a snapshot and writes the nested view.
//! Output sizes are printed once per registry.
#![allow(
    missing_docs,
    clippy::doc_markdown,
    reason = "a benchmark binary; OpenMetrics is a name"
)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use metered_runtime::export::{Options, Scrape, openmetrics, prometheus};
use metered_runtime::{HistogramConfig, Registry};
use prometheus_client::metrics::counter::Counter as PcCounter;
use prometheus_client::metrics::family::Family as PcFamily;
use prometheus_client::metrics::histogram::Histogram as PcHistogram;
use std::hint::black_box;

const BOUNDS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const SIZES: [usize; 2] = [1_000, 10_000];

/// A value recorded into histogram `i`, spread over the buckets.
fn sample(i: usize, k: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "small integers")]
    let x = ((i * 7 + k * 13) % 100) as f64;
    x / 80.0
}

/// Families of 1,000 label sets each (a family's default cap).
const PER_FAMILY: usize = 1_000;

fn metered_counters(n: usize) -> Registry {
    let r = Registry::new();
    for k in 0..n / PER_FAMILY {
        let f = r
            .counter_family(&format!("bench.requests{k}"), &["id"])
            .unwrap();
        for i in 0..PER_FAMILY {
            f.get(&[&i.to_string()]).unwrap().add(i as u64);
        }
    }
    r
}

fn metered_histograms(n: usize) -> Registry {
    let r = Registry::new();
    for i in 0..n {
        let h = r
            .histogram_with(
                &format!("bench.latency{i}"),
                HistogramConfig::new().bounds(BOUNDS),
            )
            .unwrap();
        for k in 0..4 {
            h.record(sample(i, k)).unwrap();
        }
    }
    r
}

fn pc_counters(n: usize) -> prometheus_client::registry::Registry {
    let mut r = prometheus_client::registry::Registry::default();
    for k in 0..n / PER_FAMILY {
        let f = PcFamily::<Vec<(String, String)>, PcCounter>::default();
        for i in 0..PER_FAMILY {
            f.get_or_create(&vec![("id".to_owned(), i.to_string())])
                .inc_by(i as u64);
        }
        r.register(format!("bench_requests{k}"), "bench.requests (counter)", f);
    }
    r
}

fn pc_histograms(n: usize) -> prometheus_client::registry::Registry {
    let mut r = prometheus_client::registry::Registry::default();
    for i in 0..n {
        let h = PcHistogram::new(BOUNDS.iter().copied());
        for k in 0..4 {
            h.observe(sample(i, k));
        }
        r.register(format!("bench_latency{i}"), "bench.latency (histogram)", h);
    }
    r
}

fn render(c: &mut Criterion) {
    for (kind, make, make_pc) in [
        (
            "counters",
            metered_counters as fn(usize) -> Registry,
            pc_counters as fn(usize) -> prometheus_client::registry::Registry,
        ),
        ("histograms", metered_histograms, pc_histograms),
    ] {
        let mut g = c.benchmark_group(format!("render {kind}"));
        for n in SIZES {
            let r = make(n);
            let pc = make_pc(n);
            let scrape = Scrape::of(&r);
            let opts = Options::new();
            let mut pc_text = String::new();
            prometheus_client::encoding::text::encode(&mut pc_text, &pc).unwrap();
            eprintln!(
                "{kind} {n}: 0.0.4 {} B, OpenMetrics {} B, JSON {} B, prometheus-client {} B",
                prometheus::to_string(&scrape, &opts).len(),
                openmetrics::to_string(&scrape, &opts).len(),
                r.snapshot().to_json().len(),
                pc_text.len()
            );
            // The registry path writes exactly what the snapshot path writes.
            assert_eq!(
                openmetrics::registry_to_string(&r, &opts),
                openmetrics::to_string(&Scrape::of(&r), &opts)
            );
            g.bench_function(BenchmarkId::new("metered 0.0.4", n), |b| {
                b.iter(|| prometheus::registry_to_string(black_box(&r), &opts).len());
            });
            g.bench_function(BenchmarkId::new("metered OpenMetrics", n), |b| {
                b.iter(|| openmetrics::registry_to_string(black_box(&r), &opts).len());
            });
            g.bench_function(BenchmarkId::new("metered JSON", n), |b| {
                b.iter(|| r.snapshot().to_json().len());
            });
            g.bench_function(
                BenchmarkId::new("metered OpenMetrics via snapshot", n),
                |b| {
                    b.iter(|| openmetrics::to_string(&Scrape::of(black_box(&r)), &opts).len());
                },
            );
            g.bench_function(
                BenchmarkId::new("metered OpenMetrics encode only", n),
                |b| {
                    b.iter(|| openmetrics::to_string(black_box(&scrape), &opts).len());
                },
            );
            g.bench_function(BenchmarkId::new("prometheus-client OpenMetrics", n), |b| {
                b.iter(|| {
                    // Its output reserved at its final size: no growth counted against it.
                    let mut out = String::with_capacity(pc_text.len());
                    prometheus_client::encoding::text::encode(&mut out, black_box(&pc)).unwrap();
                    out.len()
                });
            });
        }
        g.finish();
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
