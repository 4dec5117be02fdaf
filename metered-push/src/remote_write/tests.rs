//! Unit tests of the remote write sink against a loopback stub receiver: the wire format, the
//! headers, and what each answer leads to.

use super::*;
use crate::Reporter;
use metered_runtime_core::{HistogramConfig, Registry};
use prost::Message as _;
use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A request the stub received: its headers (lower-cased names) and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn request(&self) -> proto::WriteRequest {
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&self.body)
            .unwrap();
        proto::WriteRequest::decode(raw.as_slice()).unwrap()
    }
}

/// A loopback HTTP receiver answering each request with the next status of `answers` (204
/// when none is left), keeping every request it answered.
struct Stub {
    url: String,
    answers: Arc<Mutex<VecDeque<u16>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Stub {
    fn start() -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/v1/write", listener.local_addr().unwrap());
        let answers = Arc::new(Mutex::new(VecDeque::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let (queue, kept) = (answers.clone(), received.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut headers = Vec::new();
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                loop {
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    let (n, v) = l.split_once(':').unwrap();
                    headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
                }
                let len: usize = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let status = queue.lock().unwrap().pop_front().unwrap_or(204);
                kept.lock().unwrap().push(Received { headers, body });
                let text = format!("answer {status}");
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Stub {
            url,
            answers,
            received,
        }
    }

    fn answer(&self, statuses: &[u16]) {
        self.answers.lock().unwrap().extend(statuses);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn value(ts: &proto::TimeSeries, name: &str) -> Option<String> {
    ts.labels
        .iter()
        .find(|l| l.name == name)
        .map(|l| l.value.clone())
}

#[test]
fn a_request_has_the_headers_and_body_the_protocol_requires() {
    let stub = Stub::start();
    let mut sink = RemoteWriteSink::new(&stub.url)
        .unwrap()
        .bearer_token("t0k")
        .header("X-Scope-OrgID", "tenant-a");
    let r = Registry::new();
    r.counter("jobs").unwrap().add(2);
    let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    let encoded = sink.payloads(&r.snapshot(), t);
    assert_eq!((encoded.payloads.len(), encoded.dropped), (1, 0));
    sink.send(&encoded.payloads[0]).unwrap();
    let got = &stub.received()[0];
    assert_eq!(got.header("content-encoding"), Some("snappy"));
    assert_eq!(got.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(
        got.header("x-prometheus-remote-write-version"),
        Some("0.1.0")
    );
    assert_eq!(got.header("authorization"), Some("Bearer t0k"));
    assert_eq!(got.header("x-scope-orgid"), Some("tenant-a"));
    let req = got.request();
    assert_eq!(req.timeseries[0].labels.len(), 1);
    assert_eq!(value(&req.timeseries[0], "__name__").unwrap(), "jobs_total");
    assert_eq!(
        req.timeseries[0].samples,
        [proto::Sample {
            value: 2.0,
            timestamp: 1_700_000_000_123
        }]
    );
    // The problem gauge of the exposition comes along, as on /metrics.
    assert_eq!(req.timeseries.len(), 7);
}

#[test]
fn answers_are_classified_as_prometheus_does() {
    let stub = Stub::start();
    let mut sink = RemoteWriteSink::new(&stub.url).unwrap();
    stub.answer(&[204, 200, 500, 503, 429, 400, 401, 404, 413]);
    let expected = [
        Some(true),
        Some(true),
        Some(false),
        Some(false),
        Some(false),
        None,
        None,
        None,
        None,
    ];
    for want in expected {
        let got = sink.send(b"x");
        // Some(true): success; Some(false): retried; None: dropped for good.
        let class = match &got {
            Ok(()) => Some(true),
            Err(e) if e.retry => Some(false),
            Err(_) => None,
        };
        assert_eq!(class, want, "{got:?}");
        if let Err(e) = got {
            assert!(
                e.message.contains("HTTP") && e.message.contains("answer"),
                "{e}"
            );
        }
    }
    // Nothing listening: retried.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut down = RemoteWriteSink::new(&format!("http://127.0.0.1:{port}/api/v1/write")).unwrap();
    assert!(down.send(b"x").unwrap_err().retry);
}

#[test]
fn the_reporter_retries_5xx_drops_4xx_and_never_sends_twice() {
    let stub = Stub::start();
    let r = Arc::new(Registry::new());
    let jobs = r.counter("jobs").unwrap();
    let reporter = Reporter::builder(r.clone(), RemoteWriteSink::new(&stub.url).unwrap())
        .interval(Duration::from_hours(1))
        // Only the forced flushes of report_now and stop retry: no retry in between.
        .backoff(Duration::from_hours(1), Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    // Report 1: a 503, then a 429, then accepted. Report 2: a 400 (dropped). Report 3: ok.
    stub.answer(&[503]);
    jobs.add(1);
    reporter.report_now();
    stub.answer(&[429]);
    reporter.report_now(); // report 2 queued behind report 1, which fails again
    stub.answer(&[204, 400]);
    jobs.add(10);
    reporter.report_now(); // reports 1, 2 and 3 sent in order: 1 ok, 2 dropped, 3 ok
    let s = reporter.stop(); // report 4
    assert_eq!(
        (s.reports, s.sent, s.failures, s.dropped),
        (4, 3, 3, 1),
        "{s:?}"
    );
    let got = stub.received();
    let timestamps: Vec<i64> = got
        .iter()
        .map(|g| g.request().timeseries[0].samples[0].timestamp)
        .collect();
    let values: Vec<f64> = got
        .iter()
        .map(|g| g.request().timeseries[0].samples[0].value)
        .collect();
    // 1 (503), 1 (429), 1 (ok), 2 (400), 3, 4: each success once, in time order.
    assert_eq!(values, [1.0, 1.0, 1.0, 1.0, 11.0, 11.0]);
    assert_eq!(timestamps[0], timestamps[1]);
    assert_eq!(timestamps[1], timestamps[2]);
    assert!(timestamps.windows(2).skip(2).all(|w| w[0] <= w[1]));
}

#[test]
fn a_full_buffer_drops_the_oldest_request_and_counts_it() {
    let stub = Stub::start();
    let r = Arc::new(Registry::new());
    let jobs = r.counter("jobs").unwrap();
    let reporter = Reporter::builder(r.clone(), RemoteWriteSink::new(&stub.url).unwrap())
        .interval(Duration::from_hours(1))
        .buffer(2)
        // Only the forced flushes of report_now and stop retry: no retry in between.
        .backoff(Duration::from_hours(1), Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    stub.answer(&[500; 5]);
    for i in 1..=5 {
        jobs.add(i);
        reporter.report_now();
    }
    let s = reporter.stop();
    // Five failed attempts; of reports 1 to 6, 1 to 4 dropped from a buffer of 2.
    assert_eq!((s.sent, s.failures, s.dropped), (2, 5, 4), "{s:?}");
    let delivered: Vec<f64> = stub
        .received()
        .iter()
        .skip(5)
        .map(|g| g.request().timeseries[0].samples[0].value)
        .collect();
    assert_eq!(delivered, [15.0, 15.0]);
}

#[test]
fn requests_are_split_without_splitting_a_series() {
    let r = Registry::new();
    let f = r.counter_family("calls", &["n"]).unwrap();
    for i in 0..25 {
        f.get(&[&format!("{i:02}")]).unwrap().inc();
    }
    let sink = RemoteWriteSink::new("http://h:1/api/v1/write")
        .unwrap()
        .max_samples_per_request(10);
    let reqs = sink.requests(&r.snapshot(), UNIX_EPOCH);
    let sizes: Vec<usize> = reqs.iter().map(|q| q.timeseries.len()).collect();
    // 25 series and the 6 of the problem gauge.
    assert_eq!(sizes, [10, 10, 10, 1]);
    let names: Vec<String> = reqs
        .iter()
        .flat_map(|q| &q.timeseries)
        .filter_map(|t| value(t, "n"))
        .collect();
    let expected: Vec<String> = (0..25).map(|i| format!("{i:02}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn native_histograms_carry_the_sketch_as_spans_and_deltas() {
    let r = Registry::new();
    let h = r
        .histogram_with("sizes", HistogramConfig::new().cumulative())
        .unwrap();
    for v in [0.0, 1.0, 1.01, 1.05, 2.0, 2.0, 2.0] {
        h.record(v).unwrap();
    }
    let sink = RemoteWriteSink::new("http://h:1/api/v1/write")
        .unwrap()
        .config(Config::new().histograms(Histograms::Native));
    let reqs = sink.requests(&r.snapshot(), UNIX_EPOCH + Duration::from_secs(1));
    let ts = &reqs[0].timeseries[0];
    assert_eq!(value(ts, "__name__").unwrap(), "sizes");
    assert!(ts.samples.is_empty());
    let n = &ts.histograms[0];
    assert_eq!(n.count, Some(proto::histogram::Count::CountInt(7)));
    assert_eq!(
        n.zero_count,
        Some(proto::histogram::ZeroCount::ZeroCountInt(1))
    );
    assert_eq!(n.zero_threshold.to_bits(), 2f64.powi(-40).to_bits());
    assert_eq!((n.schema, n.timestamp), (6, 1000));
    assert!((n.sum - 9.06).abs() < 1e-12, "{}", n.sum);
    assert_eq!(
        n.positive_spans,
        [
            proto::BucketSpan {
                offset: 0,
                length: 2
            },
            proto::BucketSpan {
                offset: 3,
                length: 1
            },
            proto::BucketSpan {
                offset: 58,
                length: 1
            },
        ]
    );
    // Counts 1, 1, 1, 3 as deltas.
    assert_eq!(n.positive_deltas, [1, 0, 0, 2]);
    // Decoded back, the counts add up to the count.
    let total: i64 = n
        .positive_deltas
        .iter()
        .scan(0, |c, d| {
            *c += d;
            Some(*c)
        })
        .sum();
    assert_eq!(total + 1, 7);
}

#[test]
fn encode_alone_sends_nothing_and_counts_it() {
    let mut sink = RemoteWriteSink::new("http://h:1/api/v1/write").unwrap();
    let empty = Registry::new().snapshot();
    let report = crate::delta::DeltaState::new().report(&empty, UNIX_EPOCH);
    assert_eq!(
        sink.encode(&report),
        Encoded {
            payloads: vec![],
            dropped: 1
        }
    );
}

#[test]
fn urls_are_checked() {
    let e = RemoteWriteSink::new("ftp://x").unwrap_err();
    assert!(e.to_string().contains("does not start with http://"), "{e}");
    if !cfg!(feature = "tls") {
        let e = RemoteWriteSink::new("https://x/api/v1/write").unwrap_err();
        assert!(e.to_string().contains("enable the `tls` feature"), "{e}");
    }
}

#[test]
fn the_streamed_bytes_are_those_prost_writes_for_the_structs() {
    let r = Registry::new();
    r.counter("jobs").unwrap().add(3);
    r.counter("zero").unwrap();
    r.gauge("neg").unwrap().set(-5);
    r.float_gauge("ratio").unwrap().set(0.25);
    r.meter("events").unwrap().mark();
    let f = r.counter_family("calls", &["route"]).unwrap();
    f.get(&["/a ünï \"q\""]).unwrap().add(300);
    f.get(&[&"x".repeat(300)]).unwrap().inc();
    let h = r
        .histogram_with("sizes", HistogramConfig::new().bounds(&[1.0]).cumulative())
        .unwrap();
    for v in [0.0, 0.5, 3.0, 1e9] {
        h.record(v).unwrap();
    }
    r.timer("lat").unwrap().record(Duration::from_millis(3));
    for histograms in [Histograms::Classic, Histograms::Native, Histograms::Both] {
        let config = Config::new()
            .external_label("job", "j")
            .unwrap()
            .histograms(histograms);
        let sink = RemoteWriteSink::new("http://h:1/api/v1/write")
            .unwrap()
            .config(config)
            .max_samples_per_request(7);
        for t in [
            UNIX_EPOCH,
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        ] {
            let structs: Vec<Vec<u8>> = sink
                .requests(&r.snapshot(), t)
                .iter()
                .map(prost::Message::encode_to_vec)
                .collect();
            let streamed = sink.protobuf(&r.snapshot(), t);
            assert!(structs.len() > 1);
            assert_eq!(streamed, structs, "{histograms:?} at {t:?}");
        }
    }
}
