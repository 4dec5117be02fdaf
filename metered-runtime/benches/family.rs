//! The cost of looking up an existing child of a labelled family and counting into it, ours beside
//! prometheus-client 0.25's `get_or_create` in the same run. Each family holds 1,000 label sets.
//!
//! `cargo bench -p metered-runtime --bench family`
//!
//! prometheus-client's lookup takes the label set by reference to its owned type, so its rows come
//! in two forms: the label set built once outside the loop (the lookup alone), and built on each
//! call from `&str` values (what a call site with run-time values pays). Ours takes `&[&str]`.
//!
//! A second group times what a family pays for a new label set's metric: a timer built at run
//! time, with and without 12 classic bounds, and with its first record, beside
//! prometheus-client's histogram with the same buckets.
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use std::time::Duration;

const SETS: usize = 1000;

type Vecs = Vec<(String, String)>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct Labels {
    method: String,
    status: String,
}

fn status(i: usize) -> String {
    (100 + i).to_string()
}

fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("Family::get of an existing label set + inc");

    let ours = metered_runtime::Family::<metered_runtime::Counter>::new("b", &["method", "status"])
        .unwrap()
        .with_max_children(SETS);
    for i in 0..SETS {
        ours.get(&["GET", &status(i)]).unwrap().inc();
    }
    g.bench_function("metered, short values (packed key)", |b| {
        b.iter(|| ours.get(black_box(&["GET", "600"])).unwrap().inc());
    });
    let long = metered_runtime::Family::<metered_runtime::Counter>::new("b", &["method", "status"])
        .unwrap()
        .with_max_children(SETS);
    for i in 0..SETS {
        long.get(&["OPTIONS", &format!("status-{i}")])
            .unwrap()
            .inc();
    }
    g.bench_function("metered, long values", |b| {
        b.iter(|| {
            long.get(black_box(&["OPTIONS", "status-500"]))
                .unwrap()
                .inc();
        });
    });

    let vec_labels = |m: &str, s: &str| {
        vec![
            ("method".to_owned(), m.to_owned()),
            ("status".to_owned(), s.to_owned()),
        ]
    };
    let theirs = prometheus_client::metrics::family::Family::<
        Vecs,
        prometheus_client::metrics::counter::Counter,
    >::default();
    for i in 0..SETS {
        theirs.get_or_create(&vec_labels("GET", &status(i))).inc();
    }
    let built = vec_labels("GET", "600");
    g.bench_function("prometheus-client, Vec labels built once", |b| {
        b.iter(|| theirs.get_or_create(black_box(&built)).inc());
    });
    g.bench_function("prometheus-client, Vec labels built per call", |b| {
        b.iter(|| {
            theirs
                .get_or_create(&vec_labels(black_box("GET"), black_box("600")))
                .inc()
        });
    });

    let derived = prometheus_client::metrics::family::Family::<
        Labels,
        prometheus_client::metrics::counter::Counter,
    >::default();
    let label = |m: &str, s: &str| Labels {
        method: m.to_owned(),
        status: s.to_owned(),
    };
    for i in 0..SETS {
        derived.get_or_create(&label("GET", &status(i))).inc();
    }
    let built = label("GET", "600");
    g.bench_function("prometheus-client, derived labels built once", |b| {
        b.iter(|| derived.get_or_create(black_box(&built)).inc());
    });
    g.bench_function("prometheus-client, derived labels built per call", |b| {
        b.iter(|| {
            derived
                .get_or_create(&label(black_box("GET"), black_box("600")))
                .inc()
        });
    });
    g.finish();
}

/// The bounds of the construction rows: Prometheus' 11 default buckets plus 30 s.
const BOUNDS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn construction(c: &mut Criterion) {
    use metered_runtime::{HistogramConfig, Timer};
    let mut g = c.benchmark_group("a child's metric built at run time");
    g.bench_function("metered: Timer::with_config, no bounds", |b| {
        b.iter(|| Timer::with_config(black_box(HistogramConfig::new())));
    });
    g.bench_function("metered: Timer::with_config, 12 bounds", |b| {
        b.iter(|| Timer::with_config(HistogramConfig::new().bounds(black_box(&BOUNDS))));
    });
    g.bench_function("prometheus-client: Histogram::new, 12 buckets", |b| {
        b.iter(|| prometheus_client::metrics::histogram::Histogram::new(black_box(BOUNDS)));
    });
    // A timer computes its bounds in nanoseconds on its first record, and allocates its
    // per-thread storage then: these rows include both.
    g.bench_function(
        "metered: Timer::with_config, 12 bounds, + first record",
        |b| {
            b.iter(|| {
                let t = Timer::with_config(HistogramConfig::new().bounds(black_box(&BOUNDS)));
                t.record(Duration::from_millis(3));
                t
            });
        },
    );
    g.bench_function(
        "prometheus-client: Histogram::new, 12 buckets, + first observe",
        |b| {
            b.iter(|| {
                let h = prometheus_client::metrics::histogram::Histogram::new(black_box(BOUNDS));
                h.observe(0.003);
                h
            });
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = lookup, construction
}
criterion_main!(benches);
