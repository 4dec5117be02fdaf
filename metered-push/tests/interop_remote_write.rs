//! Against real remote write receivers: Prometheus 2.42 (Debian `prometheus`, started with
//! `--web.enable-remote-write-receiver`, and `--enable-feature=native-histograms` for the
//! native histogram test) and VictoriaMetrics 1.79 (Debian `victoria-metrics`, `/api/v1/write`).
//! Every series and value pushed is read back; counters across pushes equal the increments;
//! `histogram_quantile` on our native histogram equals our quantile within 1 %; an out-of-order
//! request is dropped whole and counted; a receiver that goes away and comes back gets what
//! the buffer held, and what it dropped is counted exactly. Fails, never skips, when a server
//! is missing (`.ci/run` installs them).
#![allow(clippy::doc_markdown, reason = "product names in prose")]
#![allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
#![allow(
    clippy::many_single_char_names,
    reason = "t, s, r, l and v in short closures over samples"
)]
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    reason = "small test counts and millisecond timestamps"
)]
#![allow(
    clippy::float_cmp,
    reason = "the receivers must store exactly the doubles we sent"
)]

mod support;

use metered_push::delta::Report;
use metered_push::remote_write::proto::WriteRequest;
use metered_push::remote_write::{Config, Histograms, RemoteWriteSink};
use metered_push::{Encoded, Reporter, SendError, Sink};
use metered_runtime_core::{HistogramConfig, Registry, Snapshot};
use prost::Message as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use support::{Daemon, TempDir, free_port, wait_for};

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into()
}

fn get(url: &str) -> Option<(u16, String)> {
    let mut r = http().get(url).call().ok()?;
    let status = r.status().as_u16();
    Some((status, r.body_mut().read_to_string().ok()?))
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn start_prometheus(dir: &Path, port: u16, native: bool) -> Daemon {
    let cfg = dir.join("prometheus.yml");
    std::fs::write(&cfg, "global: {}\n").unwrap();
    let mut cmd = Command::new("prometheus");
    cmd.arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg("--web.enable-remote-write-receiver");
    if native {
        cmd.arg("--enable-feature=native-histograms");
    }
    let daemon = Daemon::start(
        "prometheus",
        cmd.stdout(Stdio::null()).stderr(Stdio::null()),
    );
    wait_for(30, "prometheus /-/ready", || {
        get(&format!("http://127.0.0.1:{port}/-/ready")).filter(|(s, _)| *s == 200)
    });
    daemon
}

/// The `data.result` of a Prometheus instant query at `time` (seconds).
fn query(port: u16, q: &str, time: f64) -> Vec<Value> {
    let url = format!(
        "http://127.0.0.1:{port}/api/v1/query?query={}&time={time:.3}",
        enc(q)
    );
    let (status, body) = get(&url).unwrap();
    assert_eq!(status, 200, "{q}: {body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["data"]["result"].as_array().unwrap().clone()
}

/// A series' labels as a sorted map.
type Labels = BTreeMap<String, String>;

fn labels_of(metric: &Value) -> Labels {
    metric
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// Every float sample a Prometheus holds from the last hour before `now`, by series:
/// `(timestamp ms, value)` in time order.
fn everything(port: u16, now: f64) -> BTreeMap<Labels, Vec<(i64, f64)>> {
    query(port, "{__name__=~\".+\"}[1h]", now)
        .iter()
        .map(|s| {
            let values = s["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    let t = (p[0].as_f64().unwrap() * 1000.0).round() as i64;
                    let v = prom_float(p[1].as_str().unwrap());
                    (t, v)
                })
                .collect();
            (labels_of(&s["metric"]), values)
        })
        .collect()
}

fn prom_float(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().unwrap(),
    }
}

/// What a set of requests carried: float samples by series.
fn pushed(requests: &[WriteRequest]) -> BTreeMap<Labels, Vec<(i64, f64)>> {
    let mut out: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
    for r in requests {
        for ts in &r.timeseries {
            let labels: Labels = ts
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            assert_eq!(labels.len(), ts.labels.len(), "duplicate labels");
            let names: Vec<&str> = ts.labels.iter().map(|l| l.name.as_str()).collect();
            assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
            out.entry(labels)
                .or_default()
                .extend(ts.samples.iter().map(|s| (s.timestamp, s.value)));
        }
    }
    out
}

/// What a tap saw: the report times it encoded and the requests the receiver accepted.
#[derive(Default)]
struct Seen {
    times: Vec<SystemTime>,
    accepted: Vec<WriteRequest>,
}

/// The remote write sink with a clock that can be set back (as a process whose clock jumps),
/// keeping what it encoded and what the receiver accepted.
struct Tap {
    inner: RemoteWriteSink,
    shift_ms: Arc<AtomicI64>,
    seen: Arc<Mutex<Seen>>,
}

impl Tap {
    fn new(inner: RemoteWriteSink) -> (Tap, Arc<AtomicI64>, Arc<Mutex<Seen>>) {
        let shift = Arc::new(AtomicI64::new(0));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let tap = Tap {
            inner,
            shift_ms: shift.clone(),
            seen: seen.clone(),
        };
        (tap, shift, seen)
    }
}

impl Sink for Tap {
    fn name(&self) -> &'static str {
        "remote_write"
    }
    fn encode(&mut self, report: &Report) -> Encoded {
        self.inner.encode(report)
    }
    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        let shift = self.shift_ms.load(Ordering::Relaxed);
        let time = if shift < 0 {
            report.time - Duration::from_millis(shift.unsigned_abs())
        } else {
            report.time
        };
        self.seen.lock().unwrap().times.push(time);
        self.inner.payloads(snapshot, time)
    }
    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.inner.send(payload)?;
        let raw = snap::raw::Decoder::new().decompress_vec(payload).unwrap();
        let request = WriteRequest::decode(raw.as_slice()).unwrap();
        self.seen.lock().unwrap().accepted.push(request);
        Ok(())
    }
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

fn seconds_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

const HOSTILE: &[&str] = &[
    "plain",
    "sp ace",
    "com,ma",
    "eq=ual",
    "quo\"te",
    "back\\slash",
    "ünï ☃",
    "new\nline",
    "{brace}",
];

#[test]
fn prometheus_stores_every_series_and_value_and_counters_equal_the_increments() {
    let dir = TempDir::new("rw-prom");
    let port = free_port();
    let _prom = start_prometheus(&dir.0, port, false);

    let r = Arc::new(Registry::new());
    let routes = r.counter_family("app.requests", &["route"]).unwrap();
    let temp = r.gauge("app.temp").unwrap();
    let ratio = r.float_gauge("app.ratio").unwrap();
    let events = r.meter("app.events").unwrap();
    let lat = r.timer("app.lat").unwrap();
    let sizes = r
        .histogram_with(
            "app.size",
            HistogramConfig::new().bounds(&[1.0, 3.0, 7.0]).cumulative(),
        )
        .unwrap();
    let config = Config::new()
        .external_label("job", "checkout")
        .unwrap()
        .external_label("instance", "127.0.0.1:1")
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let (tap, _, seen) = Tap::new(RemoteWriteSink::new(&url).unwrap().config(config));
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let reporter = Reporter::builder(r.clone(), tap)
        .interval(Duration::from_hours(1))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap();

    let increments = [3u64, 10, 1];
    for (round, inc) in increments.iter().enumerate() {
        let round = round as u64 + 1;
        for (i, h) in HOSTILE.iter().enumerate() {
            routes.get(&[h]).unwrap().add(inc * (i as u64 + 1));
        }
        temp.set(-round.cast_signed());
        ratio.set(0.5 * round as f64);
        events.mark_n(round);
        lat.record(Duration::from_millis(10 * round));
        sizes.record(round as f64 * 2.0).unwrap();
        reporter.report_now();
        std::thread::sleep(Duration::from_millis(5)); // distinct millisecond timestamps
    }
    let s = reporter.stop();
    assert_eq!(
        (s.reports, s.sent, s.failures, s.dropped),
        (4, 4, 0, 0),
        "{logs:?}"
    );

    let seen = seen.lock().unwrap();
    let sent = pushed(&seen.accepted);
    let stored = everything(port, seconds_now());
    // Every series and value pushed, and nothing else, comes back.
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        sent.keys().collect::<Vec<_>>()
    );
    for (labels, samples) in &sent {
        assert_eq!(&stored[labels], samples, "{labels:?}");
    }
    // Named as the text exposition names them, with the external labels.
    let series = |name: &str, extra: &[(&str, &str)]| -> Vec<f64> {
        let mut l: Labels = [
            ("__name__", name),
            ("job", "checkout"),
            ("instance", "127.0.0.1:1"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        l.retain(|_, v| !v.is_empty());
        stored
            .get(&l)
            .unwrap_or_else(|| panic!("{l:?} in {:?}", stored.keys()))
            .iter()
            .map(|p| p.1)
            .collect()
    };
    // Counters: the cumulative totals, whose differences are the increments.
    for (i, h) in HOSTILE.iter().enumerate() {
        let k = i as f64 + 1.0;
        let got = series("app_requests_total", &[("route", h)]);
        assert_eq!(got, [3.0 * k, 13.0 * k, 14.0 * k, 14.0 * k], "{h:?}");
        let steps: Vec<f64> = got.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(steps, [10.0 * k, k, 0.0]);
    }
    assert_eq!(series("app_temp", &[]), [-1.0, -2.0, -3.0, -3.0]);
    assert_eq!(series("app_ratio", &[]), [0.5, 1.0, 1.5, 1.5]);
    assert_eq!(series("app_events_total", &[]), [1.0, 3.0, 6.0, 6.0]);
    assert_eq!(
        series("app_size_bucket", &[("le", "3.0")]),
        [1.0, 1.0, 1.0, 1.0]
    );
    assert_eq!(
        series("app_size_bucket", &[("le", "7.0")]),
        [1.0, 2.0, 3.0, 3.0]
    );
    assert_eq!(
        series("app_size_bucket", &[("le", "+Inf")]),
        [1.0, 2.0, 3.0, 3.0]
    );
    assert_eq!(series("app_size_sum", &[]), [2.0, 6.0, 12.0, 12.0]);
    assert_eq!(series("app_lat_seconds_count", &[]), [1.0, 2.0, 3.0, 3.0]);
    assert_eq!(
        series("app_lat_seconds_bucket", &[("le", "0.025")]),
        [1.0, 2.0, 2.0, 2.0]
    );
    // The timer's ladder: 15 bounds and +Inf.
    let lat_buckets = stored
        .keys()
        .filter(|l| l["__name__"] == "app_lat_seconds_bucket")
        .count();
    assert_eq!(lat_buckets, 16);
    // PromQL sees the counters as counters: between reports 1 and 3, 10 + 1 requests.
    let (t1, t3) = (millis(seen.times[0]), millis(seen.times[2]));
    let q = format!(
        "app_requests_total{{route=\"plain\"}} - app_requests_total{{route=\"plain\"}} offset {}ms",
        t3 - t1
    );
    let inc = query(port, &q, t3 as f64 / 1000.0);
    assert_eq!(inc.len(), 1, "{inc:?}");
    assert_eq!(inc[0]["value"][1], "11", "{inc:?}");
}

#[test]
fn prometheus_native_histogram_quantiles_equal_ours_within_one_percent() {
    let dir = TempDir::new("rw-native");
    let port = free_port();
    let _prom = start_prometheus(&dir.0, port, true);

    let r = Arc::new(Registry::new());
    let lat = r.timer("rpc.latency").unwrap();
    let sizes = r
        .histogram_with("rpc.size", HistogramConfig::new().cumulative())
        .unwrap();
    // Log-uniform from 1 ms to 10 s, and some zeros in the zero bucket.
    let n = 5000;
    for i in 0..n {
        let v = 1e-3 * 10f64.powf(4.0 * f64::from(i) / f64::from(n));
        lat.record(Duration::from_secs_f64(v));
        sizes.record(v * 1000.0).unwrap();
    }
    for _ in 0..50 {
        sizes.record(0.0).unwrap();
    }
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let sink = RemoteWriteSink::new(&url)
        .unwrap()
        .config(Config::new().histograms(Histograms::Both));
    let (tap, _, seen) = Tap::new(sink);
    let reporter = Reporter::builder(r.clone(), tap)
        .interval(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    reporter.report_now();
    let s = reporter.stop();
    assert_eq!((s.sent, s.failures, s.dropped), (2, 0, 0), "{s:?}");
    let t = millis(seen.lock().unwrap().times[0]) as f64 / 1000.0;

    let snapshot = r.snapshot();
    let scalar = |q: &str| -> f64 {
        let res = query(port, q, t);
        assert_eq!(res.len(), 1, "{q}: {res:?}");
        prom_float(res[0]["value"][1].as_str().unwrap())
    };
    for (name, metric) in [
        ("rpc_latency_seconds", "rpc.latency"),
        ("rpc_size", "rpc.size"),
    ] {
        let h = match &snapshot.get(metric).unwrap().value {
            metered_runtime_core::Value::Timer(t) => &t.histogram,
            metered_runtime_core::Value::Histogram(h) => h,
            v => panic!("{v:?}"),
        };
        assert_eq!(
            scalar(&format!("histogram_count({name})")),
            h.sketch.count() as f64
        );
        assert_eq!(scalar(&format!("histogram_sum({name})")), h.sum);
        for q in [0.01, 0.1, 0.5, 0.9, 0.99, 0.999] {
            let theirs = scalar(&format!("histogram_quantile({q}, {name})"));
            let ours = h.sketch.quantile(q);
            assert!(
                (theirs - ours).abs() <= 0.01 * ours,
                "{name} q{q}: Prometheus {theirs}, ours {ours}"
            );
        }
        // The classic series beside it (Histograms::Both) hold the same count.
        assert_eq!(
            scalar(&format!("{name}_count")),
            h.sketch.count() as f64,
            "{name}"
        );
    }
    // The zeros are in the zero bucket, `[0, 2^-40]`: ours says 0, Prometheus interpolates
    // inside that bucket.
    let zero = scalar("histogram_quantile(0.005, rpc_size)");
    assert!((0.0..=2f64.powi(-40)).contains(&zero), "{zero}");
}

#[test]
fn prometheus_drops_an_out_of_order_request_whole_and_it_is_counted() {
    let dir = TempDir::new("rw-ooo");
    let port = free_port();
    let _prom = start_prometheus(&dir.0, port, false);

    let r = Arc::new(Registry::new());
    let jobs = r.counter("jobs").unwrap();
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let (tap, shift, seen) = Tap::new(RemoteWriteSink::new(&url).unwrap());
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let reporter = Reporter::builder(r.clone(), tap)
        .interval(Duration::from_hours(1))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap();
    jobs.add(5);
    reporter.report_now();
    assert_eq!(reporter.stats().sent, 1);

    // The clock jumps back a minute; a new series rides in the same request.
    shift.store(-60_000, Ordering::Relaxed);
    // Sorted before `jobs_total`, it is appended before the out-of-order sample is met.
    let late = r.counter("aa.late").unwrap();
    late.add(7);
    jobs.add(1);
    reporter.report_now();
    let s = reporter.stats();
    assert_eq!((s.sent, s.failures, s.dropped), (1, 1, 1), "{logs:?}");
    {
        let logs = logs.lock().unwrap();
        assert_eq!(logs.len(), 1, "{logs:?}");
        assert!(logs[0].contains("HTTP 400"), "{logs:?}");
        assert!(logs[0].contains("out of order"), "{logs:?}");
    }
    // Nothing of that request is stored, not even the new series.
    let now = seconds_now();
    assert!(query(port, "aa_late_total[1h]", now).is_empty());
    let jobs_now = everything(port, now);
    let jobs_series: Vec<_> = jobs_now
        .iter()
        .filter(|(l, _)| l["__name__"] == "jobs_total")
        .collect();
    assert_eq!(jobs_series.len(), 1);
    assert_eq!(
        jobs_series[0].1.iter().map(|p| p.1).collect::<Vec<_>>(),
        [5.0]
    );

    // The clock is right again: the next report is stored, the new series with it.
    shift.store(0, Ordering::Relaxed);
    reporter.report_now();
    std::thread::sleep(Duration::from_millis(5)); // a timestamp of its own for the last one
    let s = reporter.stop();
    assert_eq!((s.sent, s.failures, s.dropped), (3, 1, 1), "{s:?}");
    let seen = seen.lock().unwrap();
    let t = millis(seen.times[2]);
    let stored = everything(port, seconds_now());
    let get = |name: &str| -> Vec<(i64, f64)> {
        stored
            .iter()
            .find(|(l, _)| l["__name__"] == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(
        get("aa_late_total"),
        [(t, 7.0), (millis(seen.times[3]), 7.0)]
    );
    assert_eq!(get("jobs_total")[1], (t, 6.0));
    assert_eq!(
        logs.lock().unwrap().last().unwrap(),
        "remote_write: sending again"
    );
}

#[test]
fn prometheus_down_for_a_while_gets_what_the_buffer_held_and_drops_are_counted() {
    let dir = TempDir::new("rw-down");
    let port = free_port();
    let mut prom = start_prometheus(&dir.0, port, false);

    let r = Arc::new(Registry::new());
    let jobs = r.counter("jobs").unwrap();
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let (tap, _, seen) = Tap::new(
        RemoteWriteSink::new(&url)
            .unwrap()
            .timeout(Duration::from_secs(2)),
    );
    let reporter = Reporter::builder(r.clone(), tap)
        .interval(Duration::from_hours(1))
        .buffer(3)
        // Only the forced flushes of report_now and stop send: no retry in between.
        .backoff(Duration::from_hours(1), Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    jobs.add(1);
    reporter.report_now();

    // Down: five reports fail, the buffer keeps the last three, two are dropped.
    prom.stop();
    for i in 2..=6 {
        jobs.add(i);
        let start = Instant::now();
        reporter.report_now();
        assert!(start.elapsed() < Duration::from_secs(5), "a report hung");
        std::thread::sleep(Duration::from_millis(3));
    }
    let during = reporter.stats();
    assert_eq!(
        (during.sent, during.failures, during.dropped),
        (1, 5, 2),
        "{during:?}"
    );

    // Back (the same data directory and port). The final report makes room for itself by
    // dropping the oldest buffered one (report 4), then 5, 6 and 7 are delivered.
    let _prom = start_prometheus(&dir.0, port, false);
    jobs.add(100);
    let end = reporter.stop();
    assert_eq!(
        (end.reports, end.sent, end.failures, end.dropped),
        (7, 4, 5, 3),
        "{end:?}"
    );
    let seen = seen.lock().unwrap();
    let t: Vec<i64> = seen.times.iter().map(|t| millis(*t)).collect();
    let stored = everything(port, seconds_now());
    let samples = stored
        .iter()
        .find(|(l, _)| l["__name__"] == "jobs_total")
        .map(|(_, v)| v.clone())
        .unwrap();
    // Reports 1, 5, 6 and 7 (cumulative 1, 15, 21, 121); 2, 3 and 4 dropped.
    assert_eq!(
        samples,
        [(t[0], 1.0), (t[4], 15.0), (t[5], 21.0), (t[6], 121.0)]
    );
    assert_eq!(seen.accepted.len(), 4);
}

#[test]
fn a_receiver_that_never_answers_blocks_no_caller() {
    // Accepts connections and reads nothing: each request times out.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let h = held.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            h.lock().unwrap().push(s);
        }
    });
    let r = Arc::new(Registry::new());
    let jobs = r.counter("jobs").unwrap();
    let sink = RemoteWriteSink::new(&url)
        .unwrap()
        .timeout(Duration::from_millis(300));
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_millis(10))
        .backoff(Duration::from_millis(1), Duration::from_millis(1))
        .log(|_| {})
        .start()
        .unwrap();
    // The reporter thread is stuck in requests; recording and reading stats go on.
    let start = Instant::now();
    for _ in 0..100_000 {
        jobs.inc();
    }
    let _ = reporter.stats();
    assert!(start.elapsed() < Duration::from_secs(1));
    wait_for(10, "two timed-out requests", || {
        (reporter.stats().failures >= 2).then_some(())
    });
    let s = reporter.stop();
    assert_eq!(s.sent, 0);
    assert!(s.failures >= 3, "{s:?}");
    assert_eq!(jobs.get(), 100_000);
}

#[test]
fn victoria_metrics_stores_the_series_and_values_pushed() {
    let dir = TempDir::new("rw-vm");
    let port = free_port();
    let _vm = Daemon::start(
        "victoria-metrics",
        Command::new("victoria-metrics")
            .arg(format!("-storageDataPath={}", dir.0.display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_for(20, "victoria-metrics /health", || {
        get(&format!("{base}/health")).filter(|(s, _)| *s == 200)
    });
    let r = Arc::new(Registry::new());
    let routes = r.counter_family("app.requests", &["route"]).unwrap();
    let ratio = r.float_gauge("app.ratio").unwrap();
    let sizes = r
        .histogram_with(
            "app.size",
            HistogramConfig::new().bounds(&[1.0, 10.0]).cumulative(),
        )
        .unwrap();
    let config = Config::new().external_label("job", "vm-test").unwrap();
    let sink = RemoteWriteSink::new(&format!("{base}/api/v1/write"))
        .unwrap()
        .config(config);
    let (tap, _, seen) = Tap::new(sink);
    let reporter = Reporter::builder(r.clone(), tap)
        .interval(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    for round in 1..=2u32 {
        for h in HOSTILE {
            routes.get(&[h]).unwrap().add(u64::from(round));
        }
        ratio.set(0.25 * f64::from(round));
        sizes.record(f64::from(round) * 4.0).unwrap();
        reporter.report_now();
        std::thread::sleep(Duration::from_millis(5));
    }
    let s = reporter.stop();
    assert_eq!((s.sent, s.failures), (3, 0), "{s:?}");
    let sent = pushed(&seen.lock().unwrap().accepted);
    let points: usize = sent.values().map(Vec::len).sum();

    let export = format!("{base}/api/v1/export?match[]={}", enc("{job=\"vm-test\"}"));
    let stored: BTreeMap<Labels, Vec<(i64, f64)>> =
        wait_for(30, "the samples in VictoriaMetrics", || {
            // Makes the just-written samples searchable now instead of within seconds.
            get(&format!("{base}/internal/force_flush"))?;
            let (_, body) = get(&export)?;
            let v: BTreeMap<Labels, Vec<(i64, f64)>> = body
                .lines()
                .map(|l| {
                    let s: Value = serde_json::from_str(l).unwrap();
                    let t = s["timestamps"].as_array().unwrap();
                    let v = s["values"].as_array().unwrap();
                    let samples = t
                        .iter()
                        .zip(v)
                        .map(|(t, v)| (t.as_i64().unwrap(), v.as_f64().unwrap()))
                        .collect();
                    (labels_of(&s["metric"]), samples)
                })
                .collect();
            let n: usize = v.values().map(Vec::len).sum();
            (n >= points).then_some(v)
        });
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        sent.keys().collect::<Vec<_>>()
    );
    for (labels, samples) in &sent {
        assert_eq!(&stored[labels], samples, "{labels:?}");
    }
    let find = |name: &str, route: Option<&str>| {
        stored
            .iter()
            .find(|(l, _)| {
                l["__name__"] == name
                    && route.is_none_or(|r| l.get("route").map(String::as_str) == Some(r))
            })
            .map(|(_, v)| v.iter().map(|p| p.1).collect::<Vec<_>>())
            .unwrap()
    };
    assert_eq!(find("app_requests_total", Some("ünï ☃")), [1.0, 3.0, 3.0]);
    assert_eq!(
        find("app_requests_total", Some("new\nline")),
        [1.0, 3.0, 3.0]
    );
    assert_eq!(find("app_ratio", None), [0.25, 0.5, 0.5]);
    assert_eq!(find("app_size_sum", None), [4.0, 12.0, 12.0]);
}

/// Why classic histograms are the default: Prometheus 2.42 started without
/// `--enable-feature=native-histograms` answers a request holding one with a 500 and stores
/// nothing of it, so it stays in the buffer and is retried (a 5xx), as Prometheus' own queue
/// would; the same registry sent with classic histograms is stored.
#[test]
fn prometheus_without_native_histograms_refuses_them_and_stores_classic_ones() {
    let dir = TempDir::new("rw-no-native");
    let port = free_port();
    let _prom = start_prometheus(&dir.0, port, false);
    let r = Arc::new(Registry::new());
    r.timer("rpc.latency")
        .unwrap()
        .record(Duration::from_millis(20));
    let url = format!("http://127.0.0.1:{port}/api/v1/write");
    let native = RemoteWriteSink::new(&url)
        .unwrap()
        .config(Config::new().histograms(Histograms::Native));
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let s = Reporter::builder(r.clone(), native)
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap()
        .stop();
    // The refused payload stays buffered for a retry; at stop it is counted as dropped.
    assert_eq!((s.sent, s.failures, s.dropped), (0, 1, 1), "{s:?}");
    let logs = logs.lock().unwrap();
    assert!(
        logs[0].contains("HTTP 500: native histograms are disabled"),
        "{logs:?}"
    );
    // Not even the float series of that request (the problem gauge) are stored.
    assert!(everything(port, seconds_now()).is_empty());

    let classic = RemoteWriteSink::new(&url).unwrap();
    let s = Reporter::builder(r.clone(), classic)
        .log(|_| {})
        .start()
        .unwrap()
        .stop();
    assert_eq!((s.sent, s.failures), (1, 0), "{s:?}");
    let stored = everything(port, seconds_now());
    let count = stored
        .iter()
        .find(|(l, _)| l["__name__"] == "rpc_latency_seconds_count")
        .map(|(_, v)| v[0].1);
    assert_eq!(count, Some(1.0));
}
