//! Against a real OTLP/HTTP receiver (`rotel` from PyPI, which answers as an OpenTelemetry
//! collector does and prints what it decoded), with the request bodies we sent decoded again
//! by the official `opentelemetry-proto` Python package (`tests/otlp_check.py`), which checks
//! the semantics rotel does not: monotonic sums never decrease, bucket counts add up to the
//! count, start times stay fixed under cumulative temporality, deltas sum to the totals. Also:
//! a receiver down for a while then back, and a scripted receiver answering 503 with
//! `Retry-After`, 429, 400 and 500. Fails, never skips, when rotel or the Python package is
//! missing (`.ci/run` installs them).
#![allow(clippy::doc_markdown, reason = "product names in prose")]
#![allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
#![allow(
    clippy::cast_precision_loss,
    clippy::float_cmp,
    reason = "small test counts; the decoder must see exactly the doubles we sent"
)]

mod support;

use metered_push::delta::Report;
use metered_push::otlp::{Config, Histograms, OtlpSink, Temporality};
use metered_push::{Encoded, Reporter, SendError, Sink, Stats};
use metered_runtime_core::{HistogramConfig, Registry, Snapshot};
use serde_json::Value;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Daemon, TempDir, free_port, wait_for};

/// The `rotel-agent` binary the `rotel` wheel ships inside its package directory.
fn rotel_agent() -> PathBuf {
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); .ci/run installs rotel"));
    assert!(
        out.status.success(),
        "the rotel package is missing (.ci/run installs it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim());
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// A running rotel, its stdout (the decoded metrics) in a file.
struct Rotel {
    _daemon: Daemon,
    out: PathBuf,
}

impl Rotel {
    fn start(dir: &Path, port: u16) -> Rotel {
        let out = dir.join(format!("rotel-{port}.out"));
        let file = std::fs::File::create(&out).unwrap();
        let daemon = Daemon::start(
            "rotel-agent",
            Command::new(rotel_agent())
                .arg("start")
                .args(["--otlp-http-endpoint", &format!("127.0.0.1:{port}")])
                .args([
                    "--otlp-grpc-endpoint",
                    &format!("127.0.0.1:{}", free_port()),
                ])
                .args(["--exporter", "blackhole"])
                .args([
                    "--debug-log",
                    "metrics",
                    "--debug-log-verbosity",
                    "detailed",
                ])
                .arg("--pid-file")
                .arg(dir.join(format!("rotel-{port}.pid")))
                .arg("--log-file")
                .arg(dir.join(format!("rotel-{port}.log")))
                .env("NO_COLOR", "1")
                .stdout(file)
                .stderr(Stdio::null()),
        );
        wait_for(20, "rotel listening", || {
            TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Rotel {
            _daemon: daemon,
            out,
        }
    }

    /// What rotel printed, without terminal colours.
    fn log(&self) -> String {
        let raw = std::fs::read_to_string(&self.out).unwrap_or_default();
        let mut text = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                text.push(c);
            }
        }
        text
    }

    /// Waits until rotel has printed `n` decoded `ResourceMetrics`.
    fn wait_for_requests(&self, n: usize) -> String {
        wait_for(10, "rotel to print the requests", || {
            let log = self.log();
            (log.matches("ResourceMetrics #0").count() >= n).then_some(log)
        })
    }
}

/// An OTLP sink that also keeps every body it delivered, for the Python decoder.
struct Capture {
    inner: OtlpSink,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Sink for Capture {
    fn name(&self) -> &'static str {
        "otlp"
    }
    fn encode(&mut self, report: &Report) -> Encoded {
        self.inner.encode(report)
    }
    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        self.inner.encode_with_snapshot(report, snapshot)
    }
    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        self.inner.send(payload)?;
        self.sent.lock().unwrap().push(payload.to_vec());
        Ok(())
    }
}

fn capture(url: &str, config: Config) -> (Capture, Arc<Mutex<Vec<Vec<u8>>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let sink = Capture {
        inner: OtlpSink::new(url, config).unwrap(),
        sent: sent.clone(),
    };
    (sink, sent)
}

/// Runs `tests/otlp_check.py` on the bodies; its JSON summary.
fn decode(dir: &Path, mode: &str, service: &str, bodies: &[Vec<u8>]) -> Value {
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otlp_check.py"))
        .args([mode, service]);
    for (i, b) in bodies.iter().enumerate() {
        let p = dir.join(format!("{mode}-body-{i}.bin"));
        std::fs::write(&p, b).unwrap();
        cmd.arg(p);
    }
    let out = cmd.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "the opentelemetry-proto check failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The registry's sketch buckets in OTLP's indexing (ours minus one), as the checker prints.
fn otlp_buckets(r: &Registry, name: &str) -> Value {
    let snapshot = r.snapshot();
    let metered_runtime_core::Value::Histogram(h) = &snapshot.get(name).unwrap().value else {
        panic!("{name} is a histogram")
    };
    h.sketch
        .buckets()
        .iter()
        .map(|&(i, c)| ((i - 1).to_string(), Value::from(c)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[test]
fn rotel_accepts_cumulative_pushes_and_the_official_decoder_confirms_their_semantics() {
    let dir = TempDir::new("otlp-cumulative");
    let port = free_port();
    let rotel = Rotel::start(&dir.0, port);
    let r = Arc::new(Registry::new());
    let requests = r.counter("app.requests").unwrap();
    let routes = r.counter_family("app.routes", &["route"]).unwrap();
    let queue = r.gauge("app.queue").unwrap();
    let ratio = r.float_gauge("app.ratio").unwrap();
    let inflight = r.up_down_counter("app.inflight").unwrap();
    let events = r.meter("app.events").unwrap();
    let latency = r.timer("app.latency").unwrap();
    let sizes = r
        .histogram_with("app.size", HistogramConfig::new().cumulative())
        .unwrap();
    let config = Config::new("interop").resource_attribute("service.instance.id", "test-1");
    let (sink, sent) = capture(&format!("http://127.0.0.1:{port}"), config);
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    let mut total = 0;
    for round in 1..=4u64 {
        requests.add(round);
        total += round;
        routes.get(&["/a"]).unwrap().add(1);
        routes.get(&["/b b"]).unwrap().add(round * 10);
        queue.set(-round.cast_signed());
        ratio.set(0.25 * round as f64);
        inflight.add(if round % 2 == 0 { -1 } else { 3 });
        events.mark_n(round * 2);
        latency.record(Duration::from_millis(10 * round));
        sizes.record(0.0).unwrap();
        sizes.record(1.0).unwrap();
        sizes.record(round as f64 * 100.0).unwrap();
        // A series created between pushes.
        if round == 3 {
            r.counter("app.late").unwrap().add(9);
        }
        reporter.report_now();
    }
    let stats = reporter.stop(); // a fifth, final push
    assert_eq!(
        stats,
        Stats {
            reports: 5,
            sent: 5,
            failures: 0,
            dropped: 0
        }
    );
    let bodies = sent.lock().unwrap().clone();
    assert_eq!(bodies.len(), 5);
    // gzip on the wire.
    assert!(bodies.iter().all(|b| b.starts_with(&[0x1f, 0x8b])));

    // rotel decoded every request and shows our metrics as sent.
    let log = rotel.wait_for_requests(5);
    assert!(!log.contains("Failed to decode"), "{log}");
    for needle in [
        "service.name: Str(interop)",
        "service.instance.id: Str(test-1)",
        "InstrumentationScope metered-runtime",
        "-> Name: app.requests",
        "-> DataType: Sum",
        "-> IsMonotonic: true",
        "-> AggregationTemporality: AGGREGATION_TEMPORALITY_CUMULATIVE",
        "-> Name: app.latency",
        "-> Unit: s",
        "-> DataType: ExponentialHistogram",
        "-> Name: app.queue",
        "-> DataType: Gauge",
        "-> Name: app.late",
        "route: Str(/b b)",
        // 1.0 ends our bucket 0; rotel reads OTLP bucket -1 at scale 6 as (2^(-1/64), 1].
        "Bucket (0.9892280131939755, 1], Count: 4",
        "Bucket [0, 0], Count: 4",
    ] {
        assert!(
            log.contains(needle),
            "rotel's output lacks {needle:?}:\n{log}"
        );
    }
    let line = format!("Value: {total}");
    assert!(
        log.lines().any(|l| l.trim() == line),
        "no {line:?} in:\n{log}"
    );

    // The official decoder: semantics, and values equal to what was recorded.
    let v = decode(&dir.0, "cumulative", "interop", &bodies);
    assert_eq!(v["pushes"], 5);
    let totals = &v["totals"];
    assert_eq!(totals["app.requests{}"], total);
    assert_eq!(totals["app.routes{route=/a}"], 4);
    assert_eq!(totals["app.routes{route=/b b}"], 100);
    assert_eq!(totals["app.queue{}"], -4);
    assert_eq!(totals["app.ratio{}"], 1.0);
    assert_eq!(totals["app.inflight{}"], 4);
    assert_eq!(totals["app.events{}"], 20);
    assert_eq!(totals["app.late{}"], 9);
    let size = &v["histograms"]["app.size{}"];
    assert_eq!(size["count"], 12);
    assert_eq!(size["zero"], 4);
    assert_eq!(size["sum"], 4.0 + 1000.0);
    assert_eq!(size["scale"], 6);
    assert_eq!(
        (size["min"].as_f64(), size["max"].as_f64()),
        (Some(0.0), Some(400.0))
    );
    // Lossless: every bucket as the registry holds it, at OTLP's index.
    assert_eq!(size["buckets"], otlp_buckets(&r, "app.size"));
    let lat = &v["histograms"]["app.latency{}"];
    assert_eq!(lat["count"], 4);
    assert!((lat["sum"].as_f64().unwrap() - 0.1).abs() < 1e-9, "{lat}");
}

#[test]
fn delta_pushes_sum_to_the_totals_and_explicit_histograms_reach_rotel() {
    let dir = TempDir::new("otlp-delta");
    let port = free_port();
    let rotel = Rotel::start(&dir.0, port);
    let r = Arc::new(Registry::new());
    let requests = r.counter("app.requests").unwrap();
    let events = r.meter_family("app.events", &["kind"]).unwrap();
    let sizes = r.histogram("app.size").unwrap();
    let latency = r.timer("app.latency").unwrap();
    let bounds = vec![0.005, 0.02, 0.1];
    let config = Config::new("delta")
        .temporality(Temporality::Delta)
        .histograms(Histograms::Explicit {
            bounds: bounds.clone(),
        });
    let (sink, sent) = capture(&format!("http://127.0.0.1:{port}"), config);
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    let mut want_lat = [0u64; 4];
    for round in 1..=4u64 {
        requests.add(round * 3);
        events.get(&["x"]).unwrap().mark_n(round);
        for k in 0..round {
            sizes.record((k + round) as f64).unwrap();
            let ms = 3 * k * round + 1;
            latency.record(Duration::from_millis(ms));
            let s = ms as f64 / 1000.0;
            want_lat[bounds.iter().position(|&b| s <= b).unwrap_or(3)] += 1;
        }
        reporter.report_now();
    }
    let stats = reporter.stop();
    assert_eq!((stats.sent, stats.failures, stats.dropped), (5, 0, 0));
    let bodies = sent.lock().unwrap().clone();
    let log = rotel.wait_for_requests(5);
    for needle in [
        "-> AggregationTemporality: AGGREGATION_TEMPORALITY_DELTA",
        "-> DataType: Histogram",
        "ExplicitBounds #2: 0.1",
        "-> Name: app.events",
        "kind: Str(x)",
    ] {
        assert!(
            log.contains(needle),
            "rotel's output lacks {needle:?}:\n{log}"
        );
    }
    let v = decode(&dir.0, "delta", "delta", &bodies);
    assert_eq!(v["totals"]["app.requests{}"], 30);
    assert_eq!(v["totals"]["app.events{kind=x}"], 10);
    let size = &v["histograms"]["app.size{}"];
    assert_eq!(size["count"], 10);
    // 1+2+3+4 pushes of values k + round.
    let want_sum: u64 = (1..=4u64).map(|n| (0..n).map(|k| k + n).sum::<u64>()).sum();
    assert_eq!(size["sum"], want_sum as f64);
    let lat = &v["histograms"]["app.latency{}"];
    assert_eq!(lat["count"], 10);
    assert_eq!(lat["bounds"], serde_json::json!(bounds));
    // The latencies fall well inside their buckets, so the sketch-derived counts are exact.
    let got: Vec<u64> = (0..4)
        .map(|i| lat["buckets"][i.to_string()].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(got, want_lat);
}

#[test]
fn a_receiver_down_then_back_gets_what_the_queue_held_and_the_drops_are_counted() {
    let dir = TempDir::new("otlp-down");
    let port = free_port();
    let r = Arc::new(Registry::new());
    let c = r.counter("app.requests").unwrap();
    let (sink, sent) = capture(&format!("http://127.0.0.1:{port}"), Config::new("down"));
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_hours(1))
        .buffer(3)
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap();
    // Nothing listens: five reports, each returns promptly, the buffer keeps the last three.
    for n in 1..=5u64 {
        c.add(n);
        let t = Instant::now();
        reporter.report_now();
        assert!(t.elapsed() < Duration::from_secs(5), "report_now blocked");
    }
    let down = reporter.stats();
    assert_eq!((down.reports, down.sent, down.dropped), (5, 0, 2));
    assert!(down.failures >= 5, "{down:?}");
    assert!(sent.lock().unwrap().is_empty());
    // Recording never waits for the reporter.
    c.add(100);

    let rotel = Rotel::start(&dir.0, port);
    // The reporter's own retries (backoff at most 50 ms) deliver what the buffer held.
    let back = wait_for(10, "the held reports delivered", || {
        let s = reporter.stats();
        (s.sent == 3).then_some(s)
    });
    assert_eq!((back.reports, back.dropped), (5, 2));
    c.add(1000);
    reporter.report_now();
    let up = reporter.stats();
    assert_eq!((up.reports, up.sent, up.dropped), (6, 4, 2));
    let stats = reporter.stop();
    assert_eq!((stats.sent, stats.dropped), (5, 2));
    let logs = logs.lock().unwrap().clone();
    assert_eq!(logs.len(), 2, "one failure episode, one recovery: {logs:?}");
    assert!(logs[0].contains("send failed"), "{logs:?}");
    assert!(logs[1].contains("sending again"), "{logs:?}");

    // Delivered in order: the cumulative values of reports 3, 4, 5 (held), 6 and the last.
    let bodies = sent.lock().unwrap().clone();
    rotel.wait_for_requests(5);
    let mut values = Vec::new();
    for (i, b) in bodies.iter().enumerate() {
        let v = decode(&dir.0, "cumulative", "down", std::slice::from_ref(b));
        assert_eq!(v["pushes"], 1, "body {i}");
        values.push(v["totals"]["app.requests{}"].as_u64().unwrap());
    }
    assert_eq!(values, [6, 10, 15, 1115, 1115]);
    // And together they are one valid cumulative stream.
    decode(&dir.0, "cumulative", "down", &bodies);
}

/// A receiver answering each request with the next scripted status (and headers), recording
/// when each request came and its body length.
/// When each request came, and its body's length.
type Seen = Arc<Mutex<Vec<(Instant, usize)>>>;

fn scripted(script: Vec<(u16, &'static str)>) -> (u16, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    std::thread::spawn(move || {
        let mut script = script.into_iter();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            s.lock().unwrap().push((Instant::now(), length));
            let (status, headers) = script.next().unwrap_or((200, ""));
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n{headers}\r\n"
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (port, seen)
}

#[test]
fn retryable_answers_are_retried_after_retry_after_and_rejections_dropped_and_counted() {
    let (port, seen) = scripted(vec![
        (503, "Retry-After: 1\r\n"),
        (200, ""),
        (429, ""),
        (200, ""),
        (400, ""),
        (500, ""),
    ]);
    let r = Arc::new(Registry::new());
    r.counter("app.requests").unwrap().inc();
    let sink = OtlpSink::new(&format!("http://127.0.0.1:{port}"), Config::new("s")).unwrap();
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_hours(1))
        .backoff(Duration::from_millis(5), Duration::from_millis(5))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap();
    // 503 with Retry-After: 1. The reporter's own schedule retries, not before a second.
    reporter.report_now();
    let s = wait_for(10, "the retry", || {
        let s = reporter.stats();
        (s.sent == 1).then_some(s)
    });
    assert_eq!((s.failures, s.dropped), (1, 0));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2);
        let waited = seen[1].0 - seen[0].0;
        assert!(
            waited >= Duration::from_millis(950),
            "retried after {waited:?}"
        );
        assert!(
            seen[0].1 > 0 && seen[0].1 == seen[1].1,
            "the same body again"
        );
    }
    // 429 without Retry-After: retried after the 5 ms backoff.
    reporter.report_now();
    let s = wait_for(10, "the 429 retry", || {
        let s = reporter.stats();
        (s.sent == 2).then_some(s)
    });
    assert_eq!((s.failures, s.dropped), (2, 0));
    // 400, then 500: neither is retryable in OTLP; each is dropped and counted.
    reporter.report_now();
    reporter.report_now();
    std::thread::sleep(Duration::from_millis(100));
    let s = reporter.stats();
    assert_eq!((s.sent, s.failures, s.dropped), (2, 4, 2), "{s:?}");
    assert_eq!(
        seen.lock().unwrap().len(),
        6,
        "no retry of a rejected request"
    );
    let logs = logs.lock().unwrap().clone();
    assert!(logs.iter().any(|l| l.contains("HTTP 503")), "{logs:?}");
    assert!(logs.iter().any(|l| l.contains("HTTP 400")), "{logs:?}");
    drop(reporter);
}

#[test]
fn a_receiver_that_never_answers_times_out_without_holding_up_the_program() {
    // Accepts connections, reads nothing, answers nothing.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().unwrap().push(stream);
        }
    });
    let r = Arc::new(Registry::new());
    let c = r.counter("app.requests").unwrap();
    let sink = OtlpSink::new(&format!("http://127.0.0.1:{port}"), Config::new("s"))
        .unwrap()
        .timeout(Duration::from_millis(300));
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_millis(50))
        .backoff(Duration::from_millis(10), Duration::from_millis(10))
        .buffer(2)
        .log(|_| {})
        .start()
        .unwrap();
    // While the reporter thread waits on the silent receiver, recording goes on untouched.
    let t = Instant::now();
    for _ in 0..1_000_000 {
        c.inc();
    }
    assert_eq!(c.get(), 1_000_000);
    let s = wait_for(20, "timeouts counted", || {
        let s = reporter.stats();
        (s.failures >= 3).then_some(s)
    });
    assert_eq!(s.sent, 0);
    assert!(
        t.elapsed() >= Duration::from_millis(600),
        "three 300 ms timeouts"
    );
    // The buffer stays bounded (2): what fell out is counted.
    assert!(s.reports > 2 && s.dropped >= s.reports - 2, "{s:?}");
    let stats = reporter.stop();
    assert_eq!(stats.sent, 0);
    // Nothing was ever delivered: every report is counted as dropped, the last two at stop.
    assert_eq!(stats.dropped, stats.reports, "{stats:?}");
    assert!(
        !held.lock().unwrap().is_empty(),
        "the receiver saw our connections"
    );
}
