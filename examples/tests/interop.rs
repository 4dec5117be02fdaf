//! Our exposition read by the real consumers of `interop.md`: `promtool check metrics` on the
//! 0.0.4 text, Python `prometheus_client`'s parsers on both formats, a real Prometheus 2.42
//! server scraping the built-in endpoint and the axum example, and vmagent scraping the
//! built-in endpoint into a `VictoriaMetrics` 1.79 single node by remote write. A missing program fails
//! these tests (`.ci/run` installs them); nothing is skipped.

use metered_runtime::collector::{Collection, ProcessCollector};
use metered_runtime::export::{Options, Scrape, openmetrics, prometheus};
use metered_runtime::http::{Config, Exporter};
use metered_runtime::{Descriptor, HistogramConfig, Registry, StaticMetric, Timer, TypeLabel};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The hostile label value of `interop.hits`: quotes, backslashes, a newline, non-ASCII.
const HOSTILE: &str = "a\"b\\c\nd ünï ☃ {},=";

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

/// A member of a type-label family, in a leaked static.
fn member(
    name: &'static str,
    family: &'static str,
    ty: &'static str,
    m: StaticMetric,
) -> &'static Descriptor {
    leak(
        Descriptor::new(name, m)
            .help("Per-handler metric.")
            .type_label(TypeLabel {
                family,
                key: "type",
                value: ty,
            }),
    )
}

/// Every kind, families, type-label families, hostile label values, names that need
/// mapping, a name clash and a full family, with known values.
fn hostile_registry() -> &'static Registry {
    let r: &'static Registry = leak(Registry::new());
    r.counter("interop.requests.total").unwrap().add(42);
    r.gauge("interop.queue.depth").unwrap().set(-7);
    r.up_down_counter("interop.inFlight").unwrap().add(3);
    r.float_gauge("interop.temperature").unwrap().set(21.5);
    r.float_gauge("interop.ceiling").unwrap().set(f64::INFINITY);
    r.float_gauge("interop.unknown").unwrap().set(f64::NAN);
    r.fn_gauge("interop.load", || 0.75).unwrap();
    r.fn_gauge("interop.broken", || f64::NAN).unwrap();
    r.meter("interop.jobs").unwrap().mark_n(5);
    let h = r
        .histogram_with(
            "interop.batch.size",
            HistogramConfig::new().bounds(&[1.0, 2.0, 5.0]),
        )
        .unwrap();
    for v in [0.5, 1.5, 1.5, 4.0] {
        h.record(v).unwrap();
    }
    let t = r.timer("interop.db.query").unwrap();
    t.record(Duration::from_millis(3));
    t.record(Duration::from_millis(40));
    for ty in ["UsersHandler", "OrdersHandler"] {
        let timer = leak(Timer::with_config(
            HistogramConfig::new().bounds(&[0.01, 0.1]),
        ));
        timer.record(Duration::from_millis(if ty == "UsersHandler" {
            5
        } else {
            50
        }));
        let errors = leak(metered_runtime::Counter::new());
        errors.add(if ty == "UsersHandler" { 1 } else { 2 });
        let name =
            |what: &str| -> &'static str { leak(format!("interop.handlers.{ty}.{what}")).as_str() };
        r.register(member(
            name("latency"),
            "interop.handlers.latency",
            ty,
            StaticMetric::Timer(timer),
        ))
        .unwrap();
        r.register(member(
            name("errors"),
            "interop.handlers.errors",
            ty,
            StaticMetric::Counter(errors),
        ))
        .unwrap();
    }
    r.counter("9lives.count").unwrap().inc();
    r.gauge("interop.ünï-code:x").unwrap().set(1);
    r.counter("interop.x_y").unwrap().add(1);
    // Clashes with `interop.x_y` (both are `interop_x_y_total`): refused by the registry.
    let clash = r
        .counter("interop.x.y")
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(clash.contains("interop_x_y"), "{clash}");
    let hits = r
        .counter_family("interop.hits", &["path", "taskType"])
        .unwrap();
    hits.get(&[HOSTILE, "x"]).unwrap().inc();
    hits.get(&["", "y"]).unwrap().add(2);
    let sizes = r.histogram_family("interop.payload", &["route"]).unwrap();
    sizes.get(&["/a"]).unwrap().record(300.0).unwrap();
    let ids = r.counter_family("interop.by_id", &["id"]).unwrap();
    for i in 0..1002 {
        ids.get(&[&i.to_string()]).unwrap().inc();
    }
    add_collectors(r);
    r
}

/// The process collector, a collector of families computed at scrape time (label sets that
/// carry only some of the keys, a histogram at custom bounds) and one that fails.
fn add_collectors(r: &Registry) {
    r.register_collector("process", ProcessCollector::new())
        .unwrap();
    r.register_collector_cached("db", Duration::from_secs(30), |out: &mut Collection| {
        out.gauge(
            "work_requests",
            "Work requests by status.",
            &["task_type", "status", "scope"],
        )?
        .set(
            &[
                ("task_type", "Worker"),
                ("status", "pending"),
                ("scope", "debian"),
            ],
            4,
        )?
        .set(&[("status", "running")], 1)?;
        out.histogram(
            "user_activity",
            "Users by days since last activity.",
            &[],
            &[1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0],
        )?
        .cumulative(&[], &[3, 4, 6, 6, 8, 9, 9, 10], 900.0)?;
        out.float_counter("interop.cpu", "Fractional totals.", &["mode"])?
            .set(&[("mode", "user")], 1.25)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("broken", |_: &mut Collection| Err("database away".into()))
        .unwrap();
}

/// Runs `program args` with `input` on stdin; its exit status and output.
fn run(program: &str, args: &[&str], input: &str) -> (std::process::ExitStatus, String, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (.ci/run installs it): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn promtool_accepts_our_text_without_lint_problems() {
    let scrape = Scrape::of(hostile_registry());
    for opts in [
        Options::new(),
        Options::new().meter_rates(true).summaries(true),
    ] {
        let text = prometheus::to_string(&scrape, &opts);
        let (status, stdout, stderr) = run("promtool", &["check", "metrics"], &text);
        assert!(
            status.success(),
            "promtool: {status}\n{stdout}{stderr}\n---\n{text}"
        );
        assert_eq!(stdout.trim(), "", "{stderr}");
    }
}

/// Parses `text` with `prometheus_client` (`module` is `openmetrics.parser` or `parser`) and
/// returns every sample as `name{sorted labels}` -> value text.
fn python_samples(module: &str, text: &str) -> BTreeMap<String, String> {
    let script = format!(
        "import sys, json\n\
         from prometheus_client.{module} import text_string_to_metric_families as parse\n\
         out = []\n\
         for f in parse(sys.stdin.read()):\n\
         \x20   for s in f.samples:\n\
         \x20       out.append([f.type, s.name, sorted(s.labels.items()), repr(float(s.value))])\n\
         print(json.dumps(out))\n"
    );
    let (status, stdout, stderr) = run("python3", &["-c", &script], text);
    assert!(
        status.success(),
        "prometheus_client.{module} refused it: {stderr}\n---\n{text}"
    );
    let parsed: Vec<PySample> = serde_json::from_str(&stdout).unwrap();
    parsed
        .into_iter()
        .map(|(_, name, labels, value)| {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
            (format!("{name}{{{}}}", labels.join(",")), value)
        })
        .collect()
}

/// `[type, name, labels, value]` as the Python script prints them.
type PySample = (String, String, Vec<(String, String)>, String);

fn assert_known_values(samples: &BTreeMap<String, String>) {
    let expect = [
        ("interop_requests_total{}", "42.0"),
        ("interop_queue_depth{}", "-7.0"),
        ("interop_in_flight{}", "3.0"),
        ("interop_temperature{}", "21.5"),
        ("interop_ceiling{}", "inf"),
        ("interop_unknown{}", "nan"),
        ("interop_load{}", "0.75"),
        ("interop_jobs_total{}", "5.0"),
        ("interop_batch_size_bucket{le=\"1.0\"}", "1.0"),
        ("interop_batch_size_bucket{le=\"2.0\"}", "3.0"),
        ("interop_batch_size_bucket{le=\"5.0\"}", "4.0"),
        ("interop_batch_size_bucket{le=\"+Inf\"}", "4.0"),
        ("interop_batch_size_count{}", "4.0"),
        ("interop_batch_size_sum{}", "7.5"),
        ("interop_db_query_seconds_count{}", "2.0"),
        (
            "interop_handlers_latency_seconds_count{type=\"UsersHandler\"}",
            "1.0",
        ),
        (
            "interop_handlers_latency_seconds_bucket{le=\"0.01\",type=\"OrdersHandler\"}",
            "0.0",
        ),
        (
            "interop_handlers_errors_total{type=\"OrdersHandler\"}",
            "2.0",
        ),
        ("_9lives_count_total{}", "1.0"),
        ("interop__n__code_x{}", "1.0"),
        ("interop_x_y_total{}", "1.0"),
        ("interop_by_id_total{id=\"__overflow__\"}", "2.0"),
        (
            "metered_family_overflowed_total{family=\"interop_by_id\"}",
            "2.0",
        ),
        ("metered_export_problems{reason=\"fn_gauge_failed\"}", "1.0"),
        (
            "metered_export_problems{reason=\"collector_failed\"}",
            "1.0",
        ),
        // Collected families, the failed collector counted.
        // Keys a label set leaves out are written with the empty value.
        (
            "work_requests{scope=\"\",status=\"running\",task_type=\"\"}",
            "1.0",
        ),
        (
            "work_requests{scope=\"debian\",status=\"pending\",task_type=\"Worker\"}",
            "4.0",
        ),
        ("user_activity_bucket{le=\"7.0\"}", "6.0"),
        ("user_activity_count{}", "10.0"),
        ("interop_cpu_total{mode=\"user\"}", "1.25"),
        (
            "metered_collector_errors_total{collector=\"broken\"}",
            "1.0",
        ),
        ("metered_collector_errors_total{collector=\"db\"}", "0.0"),
    ];
    for (series, value) in expect {
        assert_eq!(
            samples.get(series).map(String::as_str),
            Some(value),
            "{series}"
        );
    }
    // The hostile value comes back exactly, key mapped to snake case.
    let hostile = format!("interop_hits_total{{path={HOSTILE:?},task_type=\"x\"}}");
    assert_eq!(
        samples.get(&hostile).map(String::as_str),
        Some("1.0"),
        "{samples:#?}"
    );
    assert_eq!(
        samples
            .get("interop_hits_total{path=\"\",task_type=\"y\"}")
            .map(String::as_str),
        Some("2.0")
    );
}

#[test]
fn python_openmetrics_parser_accepts_our_openmetrics() {
    let scrape = Scrape::of(hostile_registry());
    let text = openmetrics::to_string(&scrape, &Options::new());
    assert_known_values(&python_samples("openmetrics.parser", &text));
    let with_extras =
        openmetrics::to_string(&scrape, &Options::new().meter_rates(true).summaries(true));
    let samples = python_samples("openmetrics.parser", &with_extras);
    assert_known_values(&samples);
    // The sketch's estimate of the median (1.5), within its 1 % resolution.
    let median: f64 = samples["interop_batch_size_quantiles{quantile=\"0.5\"}"]
        .parse()
        .unwrap();
    assert!((median - 1.5).abs() < 0.015, "{median}");
    assert!(samples.contains_key("interop_jobs_rate{window=\"1m\"}"));
    // The process collector's figures.
    assert!(samples["process_threads{}"].parse::<f64>().unwrap() >= 1.0);
    let cpu: f64 = samples["process_cpu_seconds_total{}"].parse().unwrap();
    assert!(
        cpu >= 0.0 && (cpu * 100.0 - (cpu * 100.0).round()).abs() < 1e-6,
        "{cpu}"
    );
}

#[test]
fn python_text_parser_reads_our_text_alike() {
    let text = prometheus::to_string(&Scrape::of(hostile_registry()), &Options::new());
    assert_known_values(&python_samples("parser", &text));
}

// ---- A real Prometheus server ----

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

/// `GET path` on `addr` over HTTP/1.1: the status code and the body.
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split(' ').nth(1)?.parse().ok()?;
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Some((code, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
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

/// The values of an instant `PromQL` query, keyed by the series' labels as `k=v,...` (the
/// value text as Prometheus gives it).
fn query(prom: SocketAddr, q: &str) -> BTreeMap<String, String> {
    let Some((200, body)) = http_get(prom, &format!("/api/v1/query?query={}", encode_query(q)))
    else {
        return BTreeMap::new();
    };
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    v["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let labels = s["metric"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, _)| *k != "instance")
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            (labels, s["value"][1].as_str().unwrap_or("").to_owned())
        })
        .collect()
}

fn start_prometheus(targets: &[(&str, SocketAddr)]) -> (Server, SocketAddr) {
    let dir = temp_dir("prometheus");
    let mut jobs = String::new();
    for (job, addr) in targets {
        let _ = writeln!(
            jobs,
            "  - job_name: {job}\n    static_configs:\n      - targets: [\"{addr}\"]"
        );
    }
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{jobs}"),
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

/// The families the registries' collectors computed, as a real Prometheus stored them.
fn assert_collected_families(prom_addr: SocketAddr) {
    let one = |q: &str| {
        let r = query(prom_addr, q);
        assert_eq!(r.len(), 1, "{q}: {r:?}");
        r.into_values().next().unwrap()
    };
    // Families computed by the registry's collectors at each scrape (Prometheus drops the
    // empty labels of the keys a label set leaves out).
    assert_eq!(one("work_requests{status=\"running\"}"), "1");
    assert_eq!(one("user_activity_count"), "10");
    assert_eq!(one("interop_cpu_total"), "1.25");
    let broken: f64 = one("metered_collector_errors_total{collector=\"broken\"}")
        .parse()
        .unwrap();
    assert!(broken >= 1.0, "{broken}");
    assert_eq!(
        one("metered_export_problems{job=\"builtin\",reason=\"collector_failed\"}"),
        "1"
    );
    // The process collector, on both targets.
    let threads = query(prom_addr, "process_threads");
    assert_eq!(threads.len(), 2, "{threads:?}");
    let cpu: f64 = one("process_cpu_seconds_total{job=\"axum\"}")
        .parse()
        .unwrap();
    assert!(cpu >= 0.0, "{cpu}");
}

#[test]
fn a_real_prometheus_scrapes_the_builtin_endpoint_and_the_axum_example() {
    // The built-in endpoint, serving the hostile registry.
    let exporter = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(hostile_registry()),
    )
    .unwrap();
    // The axum example, with some traffic of known size.
    let axum_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let axum = Server {
        child: Command::new(env!("CARGO_BIN_EXE_axum_service"))
            .args(["--listen", &axum_addr.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
        dir: temp_dir("axum"),
    };
    eventually("the axum example answers", &axum, || {
        http_get(axum_addr, "/users/1").filter(|(c, _)| *c == 200)
    });
    for id in 2..=5 {
        assert_eq!(http_get(axum_addr, &format!("/users/{id}")).unwrap().0, 200);
    }
    assert_eq!(http_get(axum_addr, "/orders/3").unwrap().0, 404);

    let (prom, prom_addr) =
        start_prometheus(&[("builtin", exporter.local_addr()), ("axum", axum_addr)]);
    let up = eventually("both targets up", &prom, || {
        let up = query(prom_addr, "up");
        (up.len() == 2 && up.values().all(|v| v == "1")).then_some(up)
    });
    assert_eq!(up.len(), 2);

    // Every sample of the first scrape became a series of its own: no duplicates dropped.
    let scraped = query(prom_addr, "max_over_time(scrape_samples_scraped[1m])");
    let added = query(prom_addr, "max_over_time(scrape_series_added[1m])");
    assert_eq!(scraped, added);
    assert_eq!(scraped.len(), 2);
    let targets = http_get(prom_addr, "/api/v1/targets").unwrap().1;
    let targets: serde_json::Value = serde_json::from_str(&targets).unwrap();
    for t in targets["data"]["activeTargets"].as_array().unwrap() {
        assert_eq!(t["health"], "up", "{t}");
        assert_eq!(t["lastError"], "", "{t}");
    }
    // Prometheus's own counters of dropped samples.
    let (_, own) = http_get(prom_addr, "/metrics").unwrap();
    for counter in [
        "prometheus_target_scrapes_sample_out_of_bounds_total",
        "prometheus_target_scrapes_sample_duplicate_timestamp_total",
        "prometheus_target_scrapes_sample_out_of_order_total",
    ] {
        let line = own
            .lines()
            .find(|l| l.starts_with(counter))
            .unwrap_or_else(|| panic!("{counter} missing"));
        assert!(line.ends_with(" 0"), "{line}");
    }

    // Values, as recorded.
    let one = |q: &str| {
        let r = query(prom_addr, q);
        assert_eq!(r.len(), 1, "{q}: {r:?}");
        r.into_values().next().unwrap()
    };
    assert_eq!(one("interop_requests_total"), "42");
    assert_eq!(one("interop_queue_depth"), "-7");
    assert_eq!(one("interop_batch_size_count"), "4");
    // Rank 2 of 4 falls in (1, 2], which holds ranks 2 and 3: 1 + (2 - 1) * (2 - 1) / 2.
    assert_eq!(
        one("histogram_quantile(0.5, interop_batch_size_bucket)"),
        "1.5"
    );
    assert_eq!(one("interop_hits_total{task_type=\"x\"}"), "1",);
    let hostile = query(prom_addr, "interop_hits_total{task_type=\"x\"}");
    assert!(
        hostile
            .keys()
            .next()
            .unwrap()
            .contains(&format!("path={HOSTILE}")),
        "{hostile:?}"
    );
    assert_eq!(
        one("interop_handlers_errors_total{type=\"OrdersHandler\"}"),
        "2"
    );
    assert_collected_families(prom_addr);
    // The axum example's per-type metrics.
    assert_eq!(
        one("shop_routes_latency_seconds_count{type=\"Users\"}"),
        "5"
    );
    assert_eq!(one("shop_routes_errors_total{type=\"Orders\"}"), "1");
    assert_eq!(one("shop_routes_errors_total{type=\"Users\"}"), "0");
    drop(prom);
    drop(axum);
    exporter.shutdown();
}

// ---- vmagent and VictoriaMetrics ----

/// The latest value of every series `/api/v1/export` of `VictoriaMetrics` gives for `selector`,
/// keyed by the series' labels as `k=v,...` (without `instance`).
fn vm_export(vm: SocketAddr, selector: &str) -> BTreeMap<String, f64> {
    let path = format!("/api/v1/export?match[]={}", encode_query(selector));
    let Some((200, body)) = http_get(vm, &path) else {
        return BTreeMap::new();
    };
    body.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|s| {
            let labels = s["metric"]
                .as_object()?
                .iter()
                .filter(|(k, _)| *k != "instance")
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",");
            // Values in timestamp order; the last is the latest.
            let values = s["values"].as_array()?;
            let times = s["timestamps"].as_array()?;
            let latest = times
                .iter()
                .zip(values)
                .max_by_key(|(t, _)| t.as_i64().unwrap_or(0))?
                .1
                .as_f64()?;
            Some((labels, latest))
        })
        .collect()
}

/// A program of the `victoria-metrics` package, its log in `dir/log`.
fn spawn_vm(program: &str, dir: &Path, args: &[String]) -> Child {
    let log = std::fs::File::create(dir.join("log")).unwrap();
    Command::new(program)
        .args(args)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (.ci/run installs it): {e}"))
}

#[test]
#[allow(
    clippy::float_cmp,
    reason = "the stored values are exact small integers"
)]
fn vmagent_scrapes_the_builtin_endpoint_into_victoria_metrics() {
    let exporter = Exporter::start(
        Config::new()
            .address("127.0.0.1:0".parse().unwrap())
            .registry(hostile_registry()),
    )
    .unwrap();
    // The storage: a single node, written to by remote write.
    let vm_dir = temp_dir("victoria-metrics");
    let vm_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let vm = Server {
        child: spawn_vm(
            "victoria-metrics",
            &vm_dir,
            &[
                format!("-storageDataPath={}", vm_dir.join("data").display()),
                format!("-httpListenAddr={vm_addr}"),
            ],
        ),
        dir: vm_dir,
    };
    eventually("victoria-metrics answers", &vm, || {
        http_get(vm_addr, "/health").filter(|(c, _)| *c == 200)
    });
    // The scraper: vmagent, scraping our endpoint every second and forwarding by remote write.
    let agent_dir = temp_dir("vmagent");
    let config = agent_dir.join("scrape.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: \
             builtin\n    static_configs:\n      - targets: [\"{}\"]\n",
            exporter.local_addr()
        ),
    )
    .unwrap();
    let agent_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let agent = Server {
        child: spawn_vm(
            "vmagent",
            &agent_dir,
            &[
                format!("-httpListenAddr={agent_addr}"),
                format!("-promscrape.config={}", config.display()),
                format!("-remoteWrite.url=http://{vm_addr}/api/v1/write"),
                format!(
                    "-remoteWrite.tmpDataPath={}",
                    agent_dir.join("tmp").display()
                ),
                "-remoteWrite.flushInterval=200ms".to_owned(),
            ],
        ),
        dir: agent_dir,
    };
    // vmagent's own view of the target: healthy, no scrape error.
    let targets = eventually("vmagent scrapes the target", &agent, || {
        let (code, body) = http_get(agent_addr, "/api/v1/targets")?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let active = v["data"]["activeTargets"].as_array()?.clone();
        (code == 200 && active.iter().any(|t| t["health"] == "up")).then_some(active)
    });
    assert_eq!(targets.len(), 1, "{targets:?}");
    assert_eq!(targets[0]["lastError"], "", "{targets:?}");

    // Values, as recorded, read back from the storage.
    let one = |selector: &str| {
        eventually(selector, &vm, || {
            let r = vm_export(vm_addr, selector);
            (r.len() == 1).then(|| r.into_values().next().unwrap_or(f64::NAN))
        })
    };
    assert_eq!(one("up{job=\"builtin\"}"), 1.0);
    assert_eq!(one("interop_requests_total"), 42.0);
    assert_eq!(one("interop_queue_depth"), -7.0);
    assert_eq!(one("interop_batch_size_count"), 4.0);
    assert_eq!(one("interop_batch_size_bucket{le=\"2.0\"}"), 3.0);
    assert_eq!(
        one("interop_handlers_errors_total{type=\"OrdersHandler\"}"),
        2.0
    );
    // The hostile label value arrives intact.
    let hostile = eventually("the hostile series", &vm, || {
        let r = vm_export(vm_addr, "interop_hits_total{task_type=\"x\"}");
        (r.len() == 1).then_some(r)
    });
    let (labels, value) = hostile.into_iter().next().unwrap();
    assert!(labels.contains(&format!("path={HOSTILE}")), "{labels}");
    assert_eq!(value, 1.0);
    // Every sample of a scrape became a series (none dropped as a duplicate), but for the NaN
    // gauge: VictoriaMetrics stores no NaN sample (it reads NaN as a staleness marker).
    let scraped = one("scrape_samples_scraped{job=\"builtin\"}");
    // (Counted through `/api/v1/series`: the export's JSON spells NaN and infinities as no
    // JSON reader takes them.)
    let series = eventually("every series stored", &vm, || {
        let selector = encode_query("{job=\"builtin\",__name__!~\"scrape_.*|up\"}");
        let (_, body) = http_get(vm_addr, &format!("/api/v1/series?match[]={selector}"))?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let n = v["data"].as_array()?.len();
        #[allow(clippy::cast_precision_loss, reason = "a small count")]
        ((n as f64) + 1.0 >= scraped).then_some(n as f64)
    });
    assert_eq!(series + 1.0, scraped);
    assert!(vm_export(vm_addr, "interop_unknown").is_empty());
    drop(agent);
    drop(vm);
    exporter.shutdown();
}
