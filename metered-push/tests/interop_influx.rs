//! Against the real InfluxDB 1.x (`influxd`, Debian `influxdb`) through `/write`, and
//! VictoriaMetrics (Debian `victoria-metrics`) through the 2.x API `/api/v2/write`: series,
//! tags (hostile ones too) and field values and types read back; no field type conflict across
//! reports; a rejected write dropped and counted; the server stopped and started again with
//! every buffered report delivered. Fails, never skips, when a server is missing (`.ci/run`
//! installs them).
#![allow(clippy::doc_markdown, reason = "product names in prose")]
#![allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
#![allow(clippy::cast_precision_loss, reason = "small test counts")]
#![allow(
    clippy::float_cmp,
    reason = "InfluxDB must store exactly the doubles we sent"
)]

mod support;

use metered_push::influx::InfluxSink;
use metered_push::{Reporter, Stats};
use metered_runtime_core::Registry;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Daemon, TempDir, free_port, wait_for};

fn http() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
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

fn start_influxd(dir: &Path, port: u16) -> Daemon {
    let cfg = dir.join("influxdb.conf");
    let d = dir.display();
    std::fs::write(
        &cfg,
        format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{}\"\n\
             [meta]\n  dir = \"{d}/meta\"\n\
             [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [monitor]\n  store-enabled = false\n",
            free_port()
        ),
    )
    .unwrap();
    let daemon = Daemon::start(
        "influxd",
        Command::new("influxd")
            .args(["run", "-config"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_for(20, "influxd /ping", || {
        get(&format!("http://127.0.0.1:{port}/ping")).filter(|(s, _)| *s == 204)
    });
    daemon
}

fn influxql(port: u16, q: &str) -> Value {
    let url = format!("http://127.0.0.1:{port}/query?db=t&epoch=ns&q={}", enc(q));
    let (status, body) = get(&url).unwrap();
    assert_eq!(status, 200, "{q}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// `SELECT *` of a measurement as rows of column name -> value.
fn rows(port: u16, measurement: &str) -> Vec<serde_json::Map<String, Value>> {
    let v = influxql(port, &format!("SELECT * FROM \"{measurement}\""));
    let Some(series) = v["results"][0]["series"].as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for s in series {
        let cols: Vec<&str> = s["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        for row in s["values"].as_array().unwrap() {
            let row = row.as_array().unwrap();
            out.push(
                cols.iter()
                    .zip(row)
                    .map(|(c, v)| ((*c).to_owned(), v.clone()))
                    .collect(),
            );
        }
    }
    out
}

fn field_types(port: u16, measurement: &str) -> Vec<(String, String)> {
    let v = influxql(port, &format!("SHOW FIELD KEYS FROM \"{measurement}\""));
    v["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().unwrap().to_owned(),
                kv[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

const HOSTILE: &[&str] = &[
    "plain",
    "sp ace",
    "com,ma",
    "eq=ual",
    "quo\"te",
    "back\\slash",
    "\\lead",
    "ünï ☃",
    "a=b,c d\\,e",
    "trail\\",
    "new\nline",
];

/// What InfluxDB stores for a label value: itself, except as the encoder documents (a line
/// break becomes a space, a trailing backslash gets a space after it).
fn stored(label: &str) -> String {
    let s = label.replace('\n', " ");
    if s.ends_with('\\') {
        format!("{s} ")
    } else {
        s
    }
}

#[test]
fn influxdb_1x_stores_series_tags_and_typed_fields_and_survives_a_restart() {
    let dir = TempDir::new("influx");
    let port = free_port();
    let mut influxd = start_influxd(&dir.0, port);
    let create = format!(
        "http://127.0.0.1:{port}/query?q={}",
        enc("CREATE DATABASE t")
    );
    let mut resp = http().post(&create).send(&b""[..]).unwrap();
    assert_eq!(
        resp.status().as_u16(),
        200,
        "{:?}",
        resp.body_mut().read_to_string()
    );

    let r = Arc::new(Registry::new());
    let routes = r.counter_family("app.requests", &["route"]).unwrap();
    let temp = r.gauge("app.temp").unwrap();
    let ratio = r.float_gauge("app.ratio").unwrap();
    let lat = r.timer("app.lat").unwrap();
    let sizes = r.histogram("app.size").unwrap();
    let logs = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = logs.clone();
    let base = format!("http://127.0.0.1:{port}");
    let reporter = Reporter::builder(r.clone(), InfluxSink::v1(&base, "t").unwrap())
        .interval(Duration::from_hours(1))
        .log(move |s| l.lock().unwrap().push(s.to_owned()))
        .start()
        .unwrap();

    let mut total = 0;
    for round in 1..=3u64 {
        for (i, h) in HOSTILE.iter().enumerate() {
            routes.get(&[h]).unwrap().add(round * (i as u64 + 1));
        }
        total += round;
        temp.set(-round.cast_signed());
        // Integral in round 2: still a float field, never a type change.
        ratio.set(if round == 2 { 2.0 } else { 0.5 * round as f64 });
        lat.record(Duration::from_millis(10 * round));
        sizes.record(round as f64).unwrap();
        reporter.report_now();
        std::thread::sleep(Duration::from_millis(5)); // distinct nanosecond timestamps anyway
    }
    let s = reporter.stats();
    assert_eq!(
        (s.reports, s.sent, s.failures, s.dropped),
        (3, 3, 0, 0),
        "{logs:?}"
    );

    // Every hostile tag value comes back as it was, with the increments of each report.
    let req = rows(port, "app.requests");
    assert_eq!(req.len(), 3 * HOSTILE.len());
    for (i, h) in HOSTILE.iter().enumerate() {
        let mine: Vec<u64> = req
            .iter()
            .filter(|row| row["route"] == stored(h))
            .map(|row| row["count"].as_u64().unwrap())
            .collect();
        let k = i as u64 + 1;
        assert_eq!(mine, [k, 2 * k, 3 * k], "route {h:?}: {req:?}");
    }
    assert_eq!(total, 6);
    let types = |m| field_types(port, m);
    assert_eq!(types("app.requests"), [("count".into(), "integer".into())]);
    assert_eq!(types("app.temp"), [("value".into(), "integer".into())]);
    assert_eq!(types("app.ratio"), [("value".into(), "float".into())]);
    let lat_types = types("app.lat");
    assert!(lat_types.contains(&("count".into(), "integer".into())));
    assert!(lat_types.contains(&("p99".into(), "float".into())));
    assert!(lat_types.iter().all(|(k, t)| k == "count" || t == "float"));
    let temps: Vec<i64> = rows(port, "app.temp")
        .iter()
        .map(|r| r["value"].as_i64().unwrap())
        .collect();
    assert_eq!(temps, [-1, -2, -3]);
    let ratios: Vec<f64> = rows(port, "app.ratio")
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(ratios, [0.5, 2.0, 1.5]);
    let lat_rows = rows(port, "app.lat");
    let maxes: Vec<f64> = lat_rows
        .iter()
        .map(|r| r["max"].as_f64().unwrap())
        .collect();
    assert_eq!(maxes[0], 0.01);
    for (got, ms) in maxes.iter().zip([10.0, 20.0, 30.0]) {
        assert!((got * 1000.0 - ms).abs() <= ms * 0.01, "{maxes:?}");
    }
    let sums: Vec<f64> = rows(port, "app.size")
        .iter()
        .map(|r| r["sum"].as_f64().unwrap())
        .collect();
    assert_eq!(sums, [1.0, 2.0, 3.0]);

    // A database that does not exist: rejected for good, dropped and counted, logged once.
    let lost = Reporter::builder(r.clone(), InfluxSink::v1(&base, "nope").unwrap())
        .log(|_| {})
        .start()
        .unwrap()
        .stop();
    assert_eq!((lost.sent, lost.failures, lost.dropped), (0, 1, 1));

    // influxd goes away: each forced report fails once, is buffered, nothing blocks.
    influxd.stop();
    let before: Stats = reporter.stats();
    for _ in 0..3 {
        routes.get(&["plain"]).unwrap().add(100);
        reporter.report_now();
    }
    let during = reporter.stats();
    assert_eq!(during.failures, before.failures + 3);
    assert_eq!((during.sent, during.dropped), (before.sent, 0));
    assert_eq!(logs.lock().unwrap().len(), 1, "{logs:?}");
    assert!(logs.lock().unwrap()[0].starts_with("influx: send failed: POST"));

    // Back again (same data directory): the three buffered reports and the final one arrive.
    let _influxd = start_influxd(&dir.0, port);
    routes.get(&["plain"]).unwrap().add(1000);
    let end = reporter.stop();
    assert_eq!(end.sent, during.sent + 4, "{end:?} {logs:?}");
    assert_eq!(end.dropped, 0);
    let plain: u64 = rows(port, "app.requests")
        .iter()
        .filter(|row| row["route"] == "plain")
        .map(|row| row["count"].as_u64().unwrap())
        .sum();
    assert_eq!(plain, 6 + 300 + 1000);
    assert_eq!(logs.lock().unwrap()[1], "influx: sending again");
}

#[test]
fn victoria_metrics_takes_the_2x_write_api_with_org_bucket_and_token() {
    let dir = TempDir::new("vm");
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
    r.float_gauge("app.ratio").unwrap().set(0.25);
    let sink = InfluxSink::v2(&base, "my-org", "my-bucket", "secret").unwrap();
    let reporter = Reporter::builder(r.clone(), sink)
        .interval(Duration::from_hours(1))
        .log(|_| {})
        .start()
        .unwrap();
    routes.get(&["/a b"]).unwrap().add(3);
    reporter.report_now();
    routes.get(&["/a b"]).unwrap().add(4);
    let s = reporter.stop();
    assert_eq!((s.sent, s.failures), (2, 0));

    let export = format!(
        "{base}/api/v1/export?match[]={}",
        enc("{__name__=~\"app.*\"}")
    );
    let series: Vec<Value> = wait_for(20, "the points in VictoriaMetrics", || {
        // Makes the just-written samples searchable now instead of within a few seconds.
        get(&format!("{base}/internal/force_flush"))?;
        let (_, body) = get(&export)?;
        let v: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let points: usize = v
            .iter()
            .map(|s| s["values"].as_array().unwrap().len())
            .sum();
        (points >= 3).then_some(v)
    });
    let find = |name: &str| {
        series
            .iter()
            .find(|s| s["metric"]["__name__"] == name)
            .unwrap_or_else(|| panic!("{name} in {series:?}"))
    };
    let req = find("app.requests_count");
    assert_eq!(req["metric"]["route"], "/a b");
    assert_eq!(req["values"], serde_json::json!([3, 4]));
    let ratio = find("app.ratio_value");
    assert_eq!(ratio["values"][0], 0.25);
}

/// A request id with everything a string field must escape, and a line break.
fn request_id(thread: u64, i: u64) -> String {
    format!("req \"{thread}\"\\{i},x=y\nz")
}

#[test]
fn influxdb_1x_stores_event_points_from_many_threads_and_survives_a_restart() {
    use metered_push::points::{Point, PointWriter};
    let dir = TempDir::new("points");
    let port = free_port();
    let mut influxd = start_influxd(&dir.0, port);
    let create = format!(
        "http://127.0.0.1:{port}/query?q={}",
        enc("CREATE DATABASE t")
    );
    assert_eq!(
        http()
            .post(&create)
            .send(&b""[..])
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let base = format!("http://127.0.0.1:{port}");
    let writer = Arc::new(
        PointWriter::builder(InfluxSink::v1(&base, "t").unwrap())
            .flush_every(Duration::from_millis(50))
            .batch(64)
            .log(|_| {})
            .start()
            .unwrap(),
    );
    let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let threads: Vec<_> = (0..4u64)
        .map(|thread| {
            let w = Arc::clone(&writer);
            std::thread::spawn(move || {
                for i in 0..100u64 {
                    let p = Point::new("requests")
                        .tag("service", "api")
                        .tag("route", HOSTILE[(i % 9) as usize])
                        .tag("status_code", if i % 10 == 0 { "500" } else { "200" })
                        .tag("thread", &thread.to_string())
                        .field("request_id", request_id(thread, i))
                        .field("execution_time", 0.001 * (i + 1) as f64)
                        .at(t0 + Duration::from_nanos(i));
                    assert!(w.emit(p));
                    if i % 10 == 0 {
                        assert!(
                            w.emit(
                                Point::new("errors")
                                    .tag("service", "api")
                                    .tag("thread", &thread.to_string())
                                    .field("code", 500)
                                    .field_opt("detail", None::<&str>)
                            )
                        );
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    writer.emit(
        Point::new("subtask_final")
            .tag("task_type", "ingest")
            .field("ok", true)
            .field("subtasks", 12)
            .at(t0),
    );
    writer.flush();
    let s = writer.stats();
    assert_eq!((s.failures, s.dropped), (0, 0), "{s:?}");

    let req = rows(port, "requests");
    assert_eq!(req.len(), 400);
    let mut ids: Vec<String> = req
        .iter()
        .map(|r| r["request_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (0..4)
        .flat_map(|t| (0..100).map(move |i| request_id(t, i)))
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
    assert!(req.iter().all(|r| r["route"]
        == stored(
            HOSTILE[usize::try_from(r["time"].as_u64().unwrap() % 1_000_000_000 % 9).unwrap()]
        )));
    assert_eq!(req.iter().filter(|r| r["status_code"] == "500").count(), 40);
    let errors = rows(port, "errors");
    assert_eq!(errors.len(), 40);
    assert!(
        errors
            .iter()
            .all(|r| r["code"] == 500 && r.get("detail").is_none())
    );
    // Emission time by default: recent, not the fixed time of the requests.
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert!(errors.iter().all(|r| {
        let t = u128::from(r["time"].as_u64().unwrap());
        t <= now_ns && now_ns - t < 60_000_000_000
    }));
    let fin = rows(port, "subtask_final");
    assert_eq!(fin.len(), 1);
    assert_eq!(
        (fin[0]["ok"].clone(), fin[0]["subtasks"].clone()),
        (Value::Bool(true), Value::from(12))
    );
    assert_eq!(
        field_types(port, "subtask_final"),
        [
            ("ok".into(), "boolean".into()),
            ("subtasks".into(), "integer".into())
        ]
    );
    assert_eq!(
        field_types(port, "requests"),
        [
            ("execution_time".into(), "float".into()),
            ("request_id".into(), "string".into())
        ]
    );

    // influxd goes away: emitting still never blocks; the batch is kept and the failure counted.
    influxd.stop();
    let before = writer.stats();
    for i in 0..10 {
        assert!(writer.emit(Point::new("requests").tag("thread", "late").field("n", i)));
    }
    writer.flush();
    let during = writer.stats();
    assert_eq!(during.failures, before.failures + 1);
    let _influxd = start_influxd(&dir.0, port);
    let end = Arc::into_inner(writer).unwrap().stop();
    assert_eq!(end.dropped, 0);
    assert_eq!(end.sent, during.sent + 1);
    let late = rows(port, "requests")
        .iter()
        .filter(|r| r["thread"] == "late")
        .count();
    assert_eq!(late, 10);
}
