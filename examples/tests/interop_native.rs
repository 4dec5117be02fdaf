//! Native histograms over scrape, read by real consumers (`interop.md`): a Prometheus 2.42
//! server started with `--enable-feature=native-histograms` scrapes the built-in endpoint,
//! which answers it in the protobuf exposition, and its `histogram_count` and
//! `histogram_quantile` must match what we recorded; Python's official `protobuf` package
//! decodes the same body (plain and gzip) and the values it reads are checked here. A missing
//! program fails these tests (`.ci/run` installs them); nothing is skipped.

#![allow(
    clippy::float_cmp,
    reason = "counts and recorded integers come back as floats, exactly"
)]

use metered_runtime::export::protobuf::CONTENT_TYPE;
use metered_runtime::http::{Config, Exporter};
use metered_runtime::{Handle, Histogram, HistogramConfig, Registry, Timer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What Prometheus 2.42 sends with `--enable-feature=native-histograms`.
const NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;\
    encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,\
    application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// A label value that the text format must escape and protobuf carries as it is.
const HOSTILE: &str = "a\"b\\c\nd ünï ☃ {},=";

/// Values recorded into the native histogram.
const N: u32 = 20_000;

/// Known values: `N` log-spread values from 1 ms to 10 s (deterministic), the same into a
/// histogram with classic bounds, a timer, a counter, a gauge and a labelled counter family.
struct Fixture {
    registry: &'static Registry,
    values: Vec<f64>,
    latency: Handle<Histogram>,
    bounded: Handle<Histogram>,
    timer: Handle<Timer>,
}

fn fixture() -> Fixture {
    let r: &'static Registry = Box::leak(Box::new(Registry::new()));
    // A low-discrepancy sequence: the fractional parts of i times the golden ratio.
    let values: Vec<f64> = (0..N)
        .map(|i| {
            let u = (f64::from(i) * 0.618_033_988_749_895).fract();
            1e-3 * 10f64.powf(4.0 * u)
        })
        .collect();
    let latency = r
        .histogram_with("native.latency", HistogramConfig::new().cumulative())
        .unwrap();
    let bounded = r
        .histogram_with(
            "native.bounded",
            HistogramConfig::new()
                .bounds(&[0.01, 0.1, 1.0])
                .cumulative(),
        )
        .unwrap();
    for &v in &values {
        latency.record(v).unwrap();
        bounded.record(v).unwrap();
    }
    let timer = r.timer("native.query").unwrap();
    for ms in [3, 5, 8, 13, 21, 34, 55, 89, 144, 233] {
        timer.record(Duration::from_millis(ms));
    }
    r.counter("native.jobs").unwrap().add(42);
    r.gauge("native.queue.depth").unwrap().set(-7);
    let hits = r.counter_family("native.hits", &["code"]).unwrap();
    hits.get(&["200"]).unwrap().add(9);
    hits.get(&["500"]).unwrap().add(2);
    r.counter_family("native.paths", &["path"])
        .unwrap()
        .get(&[HOSTILE])
        .unwrap()
        .add(3);
    Fixture {
        registry: r,
        values,
        latency,
        bounded,
        timer,
    }
}

/// The exact nearest-rank quantile of `values`.
fn exact_quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank of a few thousand values"
    )]
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1]
}

fn assert_close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance * want.abs(),
        "{what}: {got} is not within {tolerance} of {want}"
    );
}

// ---- HTTP and processes ----

/// A process killed (by its PID) and a directory removed on drop.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn temp_dir(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("metered-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A response: status, lower-cased header lines, body bytes.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `GET path` on `addr` over HTTP/1.1 with extra request headers.
fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Option<Response> {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        let _ = write!(req, "{k}: {v}\r\n");
    }
    req.push_str("\r\n");
    conn.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).ok()?;
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let Ok(n) = usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16) else {
            break;
        };
        let rest = &body[eol + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        body = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    out
}

fn encode_query(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The result array of an instant `PromQL` query (empty when the query fails).
fn query_raw(prom: SocketAddr, q: &str) -> Vec<serde_json::Value> {
    let Some(r) = get(
        prom,
        &format!("/api/v1/query?query={}", encode_query(q)),
        &[],
    ) else {
        return Vec::new();
    };
    if r.status != 200 {
        return Vec::new();
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
    v["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// The float values of an instant query, keyed by the series' labels as `k=v,...` (without
/// `__name__`, `instance` and `job`).
fn query(prom: SocketAddr, q: &str) -> BTreeMap<String, f64> {
    query_raw(prom, q)
        .iter()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| !matches!(k.as_str(), "instance" | "job" | "__name__"))
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let value = s["value"][1]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            (labels, value)
        })
        .collect()
}

fn start_prometheus(target: SocketAddr) -> (Server, SocketAddr) {
    let dir = temp_dir("prometheus-native");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: \
             native\n    static_configs:\n      - targets: [\"{target}\"]\n"
        ),
    )
    .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--web.listen-address={addr}"))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg("--enable-feature=native-histograms")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run prometheus (.ci/run installs it): {e}"));
    (Server { child, dir }, addr)
}

fn log_of(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("log")).unwrap_or_default()
}

/// Polls `check` until it returns `Some`, for at most 30 s.
fn eventually<T>(what: &str, server: &Server, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 30 s\n{}",
            log_of(&server.dir)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_real_prometheus_scrapes_native_histograms_over_protobuf() {
    let f = fixture();
    let exporter = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(f.registry),
    )
    .unwrap();
    let (prom, prom_addr) = start_prometheus(exporter.local_addr());
    eventually("the target is up", &prom, || {
        let up = query(prom_addr, "up");
        (up.values().next() == Some(&1.0)).then_some(())
    });
    let targets = get(prom_addr, "/api/v1/targets", &[]).unwrap();
    let targets: serde_json::Value = serde_json::from_slice(&targets.body).unwrap();
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(target["lastError"], "", "{target}");

    let one = |q: &str| {
        let r = query(prom_addr, q);
        assert_eq!(r.len(), 1, "{q}: {r:?}");
        r.into_values().next().unwrap()
    };
    // Stored as native histograms: the raw series carries a `histogram`, and no classic
    // `_bucket` series exist (2.42 keeps only the native form of a histogram that has one).
    let raw = query_raw(prom_addr, "native_latency");
    assert_eq!(raw.len(), 1, "{raw:?}");
    assert!(raw[0].get("histogram").is_some(), "{raw:?}");
    assert!(query(prom_addr, "native_bounded_bucket").is_empty());
    assert!(query(prom_addr, "native_latency_count").is_empty());

    assert_eq!(one("histogram_count(native_latency)"), f64::from(N));
    assert_eq!(one("histogram_count(native_bounded)"), f64::from(N));
    let sum: f64 = f.values.iter().sum();
    assert_close(
        "histogram_sum",
        one("histogram_sum(native_latency)"),
        sum,
        1e-9,
    );
    let ours = f.latency.snapshot();
    for q in [0.5, 0.9, 0.99] {
        let theirs = one(&format!("histogram_quantile({q}, native_latency)"));
        // Within 1 % of our quantile, and of the exact one.
        assert_close(&format!("q{q} vs ours"), theirs, ours.quantile(q), 0.01);
        assert_close(
            &format!("q{q} vs exact"),
            theirs,
            exact_quantile(&f.values, q),
            0.01,
        );
        let bounded = one(&format!("histogram_quantile({q}, native_bounded)"));
        assert_close(&format!("bounded q{q}"), bounded, theirs, 1e-12);
    }
    // The timer, in seconds: 10 durations, the median 21 ms (rank 5 of 10).
    assert_eq!(one("histogram_count(native_query_seconds)"), 10.0);
    assert_close(
        "timer sum",
        one("histogram_sum(native_query_seconds)"),
        0.605,
        1e-9,
    );
    let timer = f.timer.snapshot();
    for q in [0.5, 0.9] {
        let theirs = one(&format!("histogram_quantile({q}, native_query_seconds)"));
        assert_close(
            &format!("timer q{q}"),
            theirs,
            timer.histogram.sketch.quantile(q),
            0.01,
        );
    }
    assert_close(
        "timer median",
        one("histogram_quantile(0.5, native_query_seconds)"),
        0.021,
        0.01,
    );
    // Counters and gauges, named as the text names them.
    assert_eq!(one("native_jobs_total"), 42.0);
    assert_eq!(one("native_queue_depth"), -7.0);
    let hits = query(prom_addr, "native_hits_total");
    assert_eq!(
        hits,
        BTreeMap::from([("code=200".to_owned(), 9.0), ("code=500".to_owned(), 2.0)])
    );
    assert_eq!(
        query(prom_addr, "native_paths_total"),
        BTreeMap::from([(format!("path={HOSTILE}"), 3.0)])
    );
    assert_eq!(
        one("sum(metered_export_problems)"),
        0.0,
        "nothing is left out"
    );
    drop(prom);
    exporter.shutdown();
}

/// A Python program (official `protobuf` package, messages built at run time from
/// `io.prometheus.client`'s `metrics.proto`, proto2) that decodes delimited `MetricFamily`
/// messages from the files in `argv` and prints them as JSON, one list per file.
const DECODER: &str = r#"
import gzip, json, sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal.decoder import _DecodeVarint32
from google.protobuf.unknown_fields import UnknownFieldSet

F = descriptor_pb2.FieldDescriptorProto
fd = descriptor_pb2.FileDescriptorProto(name="metrics.proto", package="io.prometheus.client", syntax="proto2")
enum = fd.enum_type.add(name="MetricType")
for i, n in enumerate(["COUNTER", "GAUGE", "SUMMARY", "UNTYPED", "HISTOGRAM", "GAUGE_HISTOGRAM"]):
    enum.value.add(name=n, number=i)
def message(name, fields):
    m = fd.message_type.add(name=name)
    for number, fname, ftype, repeated, type_name in fields:
        f = m.field.add(name=fname, number=number, type=ftype,
                        label=F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL)
        if type_name:
            f.type_name = ".io.prometheus.client." + type_name
message("LabelPair", [(1, "name", F.TYPE_STRING, False, None), (2, "value", F.TYPE_STRING, False, None)])
message("Gauge", [(1, "value", F.TYPE_DOUBLE, False, None)])
message("Counter", [(1, "value", F.TYPE_DOUBLE, False, None)])
message("Quantile", [(1, "quantile", F.TYPE_DOUBLE, False, None), (2, "value", F.TYPE_DOUBLE, False, None)])
message("Summary", [(1, "sample_count", F.TYPE_UINT64, False, None), (2, "sample_sum", F.TYPE_DOUBLE, False, None),
                    (3, "quantile", F.TYPE_MESSAGE, True, "Quantile")])
message("Untyped", [(1, "value", F.TYPE_DOUBLE, False, None)])
message("Bucket", [(1, "cumulative_count", F.TYPE_UINT64, False, None), (2, "upper_bound", F.TYPE_DOUBLE, False, None),
                   (4, "cumulative_count_float", F.TYPE_DOUBLE, False, None)])
message("BucketSpan", [(1, "offset", F.TYPE_SINT32, False, None), (2, "length", F.TYPE_UINT32, False, None)])
message("Histogram", [
    (1, "sample_count", F.TYPE_UINT64, False, None), (4, "sample_count_float", F.TYPE_DOUBLE, False, None),
    (2, "sample_sum", F.TYPE_DOUBLE, False, None), (3, "bucket", F.TYPE_MESSAGE, True, "Bucket"),
    (5, "schema", F.TYPE_SINT32, False, None), (6, "zero_threshold", F.TYPE_DOUBLE, False, None),
    (7, "zero_count", F.TYPE_UINT64, False, None), (8, "zero_count_float", F.TYPE_DOUBLE, False, None),
    (9, "negative_span", F.TYPE_MESSAGE, True, "BucketSpan"), (10, "negative_delta", F.TYPE_SINT64, True, None),
    (11, "negative_count", F.TYPE_DOUBLE, True, None),
    (12, "positive_span", F.TYPE_MESSAGE, True, "BucketSpan"), (13, "positive_delta", F.TYPE_SINT64, True, None),
    (14, "positive_count", F.TYPE_DOUBLE, True, None)])
message("Metric", [(1, "label", F.TYPE_MESSAGE, True, "LabelPair"), (2, "gauge", F.TYPE_MESSAGE, False, "Gauge"),
                   (3, "counter", F.TYPE_MESSAGE, False, "Counter"), (4, "summary", F.TYPE_MESSAGE, False, "Summary"),
                   (5, "untyped", F.TYPE_MESSAGE, False, "Untyped"), (7, "histogram", F.TYPE_MESSAGE, False, "Histogram"),
                   (6, "timestamp_ms", F.TYPE_INT64, False, None)])
m = fd.message_type.add(name="MetricFamily")
for number, fname, ftype, label, type_name in [
        (1, "name", F.TYPE_STRING, F.LABEL_OPTIONAL, None), (2, "help", F.TYPE_STRING, F.LABEL_OPTIONAL, None),
        (3, "type", F.TYPE_ENUM, F.LABEL_OPTIONAL, "MetricType"), (4, "metric", F.TYPE_MESSAGE, F.LABEL_REPEATED, "Metric")]:
    f = m.field.add(name=fname, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = ".io.prometheus.client." + type_name
pool = descriptor_pool.DescriptorPool()
pool.Add(fd)
MetricFamily = message_factory.GetMessageClass(pool.FindMessageTypeByName("io.prometheus.client.MetricFamily"))
TYPES = ["COUNTER", "GAUGE", "SUMMARY", "UNTYPED", "HISTOGRAM", "GAUGE_HISTOGRAM"]

def check_known(msg):
    # Every field we sent is one of metrics.proto's, down to the nested messages.
    if len(UnknownFieldSet(msg)):
        raise SystemExit("unknown fields in " + type(msg).__name__)
    for field, value in msg.ListFields():
        if field.type == F.TYPE_MESSAGE:
            for v in (value if field.is_repeated else [value]):
                check_known(v)

def decode(body):
    out, pos = [], 0
    while pos < len(body):
        size, pos = _DecodeVarint32(body, pos)
        mf = MetricFamily()
        mf.ParseFromString(body[pos:pos + size])
        check_known(mf)
        pos += size
        metrics = []
        for met in mf.metric:
            d = {"labels": [[l.name, l.value] for l in met.label]}
            for kind in ("counter", "gauge", "summary", "untyped"):
                if met.HasField(kind):
                    d[kind] = getattr(met, kind).value if kind != "summary" else None
            if met.HasField("histogram"):
                h = met.histogram
                # Decode spans and deltas into (index, count) of the non-empty buckets.
                buckets, index, count, deltas = [], 0, 0, list(h.positive_delta)
                for span in h.positive_span:
                    index += span.offset
                    for _ in range(span.length):
                        count += deltas.pop(0)
                        if count < 0:
                            raise SystemExit("negative bucket count in " + mf.name)
                        if count:
                            buckets.append([index, count])
                        index += 1
                if deltas:
                    raise SystemExit("deltas left over in " + mf.name)
                d["histogram"] = {
                    "count": h.sample_count, "sum": h.sample_sum, "schema": h.schema,
                    "zero_threshold": h.zero_threshold, "zero_count": h.zero_count,
                    "negative": len(h.negative_span) + len(h.negative_delta),
                    "classic": [[b.upper_bound, b.cumulative_count] for b in h.bucket],
                    "buckets": buckets,
                }
            metrics.append(d)
        out.append({"name": mf.name, "help": mf.help, "type": TYPES[mf.type], "metrics": metrics})
    return out

result = []
for path in sys.argv[1:]:
    body = open(path, "rb").read()
    if path.endswith(".gz"):
        body = gzip.decompress(body)
    result.append(decode(body))
print(json.dumps(result))
"#;

/// Python's decoding of the bodies in `files` (names ending in `.gz` are gunzipped first).
fn python_decode(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(DECODER)
        .args(files)
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    assert!(
        out.status.success(),
        "the protobuf decoder failed (pip install protobuf==7.36.2): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn python_protobuf_decodes_our_endpoint_plain_and_gzipped() {
    let f = fixture();
    let exporter = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(f.registry),
    )
    .unwrap();
    let addr = exporter.local_addr();
    let plain = get(addr, "/metrics", &[("Accept", NATIVE_ACCEPT)]).unwrap();
    let zipped = get(
        addr,
        "/metrics",
        &[("Accept", NATIVE_ACCEPT), ("Accept-Encoding", "gzip")],
    )
    .unwrap();
    // Without the protobuf type in `Accept`, the text as before.
    let text = get(addr, "/metrics", &[("Accept", "text/plain;version=0.0.4")]).unwrap();
    exporter.shutdown();
    for r in [&plain, &zipped] {
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(CONTENT_TYPE));
    }
    assert_eq!(
        plain.header("content-type"),
        Some(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; \
             encoding=delimited"
        )
    );
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(zipped.header("content-encoding"), Some("gzip"));
    assert_eq!(
        text.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = String::from_utf8(text.body).unwrap();
    assert!(text.contains("\nnative_jobs_total 42\n"), "{text}");

    let dir = temp_dir("protobuf-decode");
    let files = [dir.join("plain.bin"), dir.join("zipped.gz")];
    std::fs::write(&files[0], &plain.body).unwrap();
    std::fs::write(&files[1], &zipped.body).unwrap();
    let decoded = python_decode(&files);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(decoded.len(), 2);
    assert_eq!(decoded[0], decoded[1], "gzip changes nothing");
    assert_decoded(&f, decoded[0].as_array().unwrap(), &text);
}

/// What Python decoded from our protobuf exposition of the fixture, against the fixture and
/// the text exposition of the same registry.
fn assert_decoded(f: &Fixture, families: &[serde_json::Value], text: &str) {
    let family = |name: &str| {
        families
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no family {name} in {families:?}"))
    };

    // Every family the text has, under the same name (a counter's with its `_total`).
    let text_families: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .collect();
    let names: Vec<&str> = families
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, text_families);

    let jobs = family("native_jobs_total");
    assert_eq!(jobs["type"], "COUNTER");
    assert_eq!(jobs["help"], "native.jobs (counter)");
    assert_eq!(jobs["metrics"][0]["counter"], 42.0);
    let depth = family("native_queue_depth");
    assert_eq!(depth["type"], "GAUGE");
    assert_eq!(depth["metrics"][0]["gauge"], -7.0);
    let hits = &family("native_hits_total")["metrics"];
    assert_eq!(hits[0]["labels"], serde_json::json!([["code", "200"]]));
    assert_eq!(hits[0]["counter"], 9.0);
    assert_eq!(hits[1]["labels"], serde_json::json!([["code", "500"]]));
    assert_eq!(hits[1]["counter"], 2.0);
    let paths = &family("native_paths_total")["metrics"][0];
    assert_eq!(paths["labels"], serde_json::json!([["path", HOSTILE]]));
    assert_eq!(paths["counter"], 3.0);

    // The histograms: the native buckets Python decoded are exactly the sketch's.
    let at_most = |bound: f64| f.values.iter().filter(|&&v| v <= bound).count();
    // Cumulative counts at the configured bounds, without +Inf.
    let classic = serde_json::json!([
        [0.01, at_most(0.01)],
        [0.1, at_most(0.1)],
        [1.0, at_most(1.0)]
    ]);
    for (name, handle, classic) in [
        ("native_latency", &f.latency, serde_json::json!([])),
        ("native_bounded", &f.bounded, classic),
    ] {
        let fam = family(name);
        assert_eq!(fam["type"], "HISTOGRAM");
        let h = &fam["metrics"][0]["histogram"];
        let ours = handle.snapshot();
        assert_eq!(h["count"], u64::from(N), "{name}");
        assert_close(name, h["sum"].as_f64().unwrap(), ours.sum, 1e-12);
        assert_eq!(h["schema"], 6);
        assert_close(
            "zero threshold",
            h["zero_threshold"].as_f64().unwrap(),
            2f64.powi(-40),
            1e-15,
        );
        assert_eq!(h["zero_count"], 0);
        assert_eq!(h["negative"], 0);
        let buckets: Vec<(i32, u64)> = h["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    i32::try_from(b[0].as_i64().unwrap()).unwrap(),
                    b[1].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(buckets, ours.sketch.buckets(), "{name}");
        assert!(buckets.len() > 800, "{}", buckets.len());
        assert_eq!(h["classic"], classic, "{name}");
    }
    let timer = family("native_query_seconds");
    let h = &timer["metrics"][0]["histogram"];
    assert_eq!(h["count"], 10);
    assert_close("timer sum", h["sum"].as_f64().unwrap(), 0.605, 1e-9);
    let ours = f.timer.snapshot();
    let buckets = h["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), ours.histogram.sketch.buckets().len());
    assert_eq!(buckets.len(), 10);
}
