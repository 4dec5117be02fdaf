//! What remote write costs per series: 10,000 counter series (ten families of 10 routes by
//! 100 status codes, two labels, plus the `job` and `instance` external labels) encoded as one
//! push (protobuf, then snappy, in requests of 2,000 series), the bytes on the wire per series printed (raw and
//! compressed), and 100 timers as classic histograms (16 buckets, `_sum`, `_count`) and as
//! native ones.
//!
//! Timed: the snapshot of the registry; the encode of that snapshot into request bodies (what
//! the reporter thread does each interval); the text exposition 0.0.4 of the same snapshot, as
//! a reference; a whole push (snapshot, encode, `POST` to a loopback receiver that answers 204)
//! from which the series per second one reporter thread pushes follow. Baselines in the same
//! run: a bare `AtomicU64::fetch_add` and an `Instant::now()`.
//!
//! `cargo bench -p metered-push --features remote-write --bench encode_remote_write -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, reason = "criterion_group! generates undocumented items")]
#![allow(
    clippy::cast_precision_loss,
    reason = "byte counts over series counts, printed"
)]

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use metered_push::Sink as _;
use metered_push::remote_write::{Config, Histograms, RemoteWriteSink};
use metered_runtime_core::export::{Options, Scrape, prometheus};
use metered_runtime_core::{HistogramConfig, Registry, Snapshot};
use prost::Message as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

const SERIES: u64 = 10_000;

/// A loopback receiver that reads each request (keep-alive) and answers 204.
fn receiver() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                loop {
                    let mut len = 0usize;
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((n, v)) = l.split_once(':')
                            && n.eq_ignore_ascii_case("content-length")
                        {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    if stream
                        .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// Ten families of 1,000 label sets (a family's default cap) each: 10 routes by 100 status
/// codes.
fn counters() -> Registry {
    let r = Registry::new();
    for k in 0..SERIES / 1000 {
        let f = r
            .counter_family(
                &format!("svc{k}.http.server.requests"),
                &["route", "status"],
            )
            .unwrap();
        for i in 0..1000 {
            let route = format!("/api/v1/resource{}", i / 100);
            let status = format!("{}", 200 + i % 100);
            f.get(&[&route, &status]).unwrap().add(i * 7 + 1);
        }
    }
    r
}

fn timers() -> Registry {
    let r = Registry::new();
    for i in 0..100 {
        let t = r
            .histogram_with(&format!("svc.op{i:03}.latency"), HistogramConfig::new())
            .unwrap();
        for j in 0..1000u32 {
            t.record(1e-4 * f64::from(j % 997 + 1) * f64::from(i + 1))
                .unwrap();
        }
    }
    r
}

/// Prints the size of one push of `snapshot`: raw protobuf and snappy, per series.
fn print_sizes(what: &str, sink: &RemoteWriteSink, snapshot: &Snapshot, series_of_ours: u64) {
    let requests = sink.requests(snapshot, SystemTime::now());
    let series: usize = requests.iter().map(|r| r.timeseries.len()).sum();
    let raw: usize = requests.iter().map(|r| r.encode_to_vec().len()).sum();
    let wire: usize = sink
        .payloads(snapshot, SystemTime::now())
        .payloads
        .iter()
        .map(Vec::len)
        .sum();
    eprintln!(
        "{what}: {series_of_ours} metric series -> {series} remote write series in {} requests; \
         {raw} bytes protobuf ({:.1} per remote write series), {wire} bytes snappy ({:.1} per \
         series, {:.1} per metric series)",
        requests.len(),
        raw as f64 / series as f64,
        wire as f64 / series as f64,
        wire as f64 / series_of_ours as f64,
    );
}

fn bench(c: &mut Criterion) {
    let baseline = AtomicU64::new(0);
    c.bench_function("baseline/atomic_fetch_add", |b| {
        b.iter(|| baseline.fetch_add(black_box(1), Ordering::Relaxed));
    });
    c.bench_function("baseline/instant_now", |b| b.iter(Instant::now));

    let config = Config::new()
        .external_label("job", "checkout")
        .unwrap()
        .external_label("instance", "10.0.0.7:8080")
        .unwrap();
    let url = receiver();
    let sink = RemoteWriteSink::new(&url).unwrap().config(config.clone());

    let r = counters();
    let snapshot = r.snapshot();
    // The 10,000 series and the toolkit's own problem gauge (6 series).
    let sent: usize = sink
        .requests(&snapshot, SystemTime::now())
        .iter()
        .map(|q| q.timeseries.len())
        .sum();
    assert_eq!(sent, 10_006);
    print_sizes("counters", &sink, &snapshot, SERIES);
    let text = prometheus::to_string(&Scrape::from(snapshot.clone()), &Options::new());
    eprintln!(
        "counters: text exposition 0.0.4 {} bytes ({:.1} per series)",
        text.len(),
        text.len() as f64 / SERIES as f64
    );
    let mut g = c.benchmark_group("remote_write_10k_counters");
    g.throughput(Throughput::Elements(SERIES));
    g.bench_function("snapshot", |b| b.iter(|| black_box(r.snapshot())));
    g.bench_function("encode", |b| {
        b.iter(|| black_box(sink.payloads(&snapshot, SystemTime::now())));
    });
    g.bench_function("encode/requests_only", |b| {
        b.iter(|| black_box(sink.requests(&snapshot, SystemTime::now())));
    });
    let requests = sink.requests(&snapshot, SystemTime::now());
    g.bench_function("encode/protobuf_only", |b| {
        b.iter(|| {
            for q in &requests {
                black_box(q.encode_to_vec());
            }
        });
    });
    let bodies: Vec<Vec<u8>> = requests.iter().map(prost::Message::encode_to_vec).collect();
    g.bench_function("encode/snappy_only", |b| {
        let mut snappy = snap::raw::Encoder::new();
        b.iter(|| {
            for body in &bodies {
                black_box(snappy.compress_vec(body).unwrap());
            }
        });
    });
    g.bench_function("text_0.0.4_reference", |b| {
        let scrape = Scrape::from(snapshot.clone());
        b.iter(|| black_box(prometheus::to_string(&scrape, &Options::new())));
    });
    let mut pushing = RemoteWriteSink::new(&url).unwrap().config(config.clone());
    g.bench_function("push_loopback", |b| {
        b.iter(|| {
            let s = r.snapshot();
            for p in pushing.payloads(&s, SystemTime::now()).payloads {
                pushing.send(&p).unwrap();
            }
        });
    });
    g.finish();

    let t = timers();
    let snapshot = t.snapshot();
    let native = RemoteWriteSink::new(&url)
        .unwrap()
        .config(config.histograms(Histograms::Native));
    print_sizes("100 timers, classic", &sink, &snapshot, 100);
    print_sizes("100 timers, native", &native, &snapshot, 100);
    let mut g = c.benchmark_group("remote_write_100_histograms");
    g.throughput(Throughput::Elements(100));
    g.bench_function("encode_classic", |b| {
        b.iter(|| black_box(sink.payloads(&snapshot, SystemTime::now())));
    });
    g.bench_function("encode_native", |b| {
        b.iter(|| black_box(native.payloads(&snapshot, SystemTime::now())));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
