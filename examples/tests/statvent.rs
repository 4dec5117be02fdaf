//! statvent parity across real processes: `statvent_worker` children create their pipes, `cat`
//! reads them, the `statvent_web` service sums them over HTTP, and a worker killed with SIGKILL
//! leaves a stale pipe that neither hangs nor breaks the service.

#![allow(
    clippy::float_cmp,
    reason = "the service's values are compared exactly on purpose"
)]

use serde_json::{Value, json};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "metered-statvent-examples-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A running child, its stdin (closing it ends the child) and its first line of output.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    first_line: String,
    _stdout: BufReader<ChildStdout>,
}

impl Running {
    fn spawn(bin: &str, args: &[&str]) -> Running {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first_line = String::new();
        stdout.read_line(&mut first_line).unwrap();
        assert!(!first_line.is_empty(), "{bin} printed nothing");
        Running {
            child,
            stdin,
            first_line: first_line.trim_end().to_owned(),
            _stdout: stdout,
        }
    }

    fn worker(dir: &Path, args: &[&str]) -> Running {
        let mut all = vec!["--pipe-dir", dir.to_str().unwrap()];
        all.extend_from_slice(args);
        let w = Running::spawn(env!("CARGO_BIN_EXE_statvent_worker"), &all);
        assert!(w.first_line.starts_with("ready "), "{}", w.first_line);
        w
    }

    fn web(dir: &Path, extra: &[&str]) -> (Running, String) {
        let mut all = vec!["--pipe-dir", dir.to_str().unwrap(), "--port", "0"];
        all.extend_from_slice(extra);
        let w = Running::spawn(env!("CARGO_BIN_EXE_statvent_web"), &all);
        let addr = w
            .first_line
            .strip_prefix("listening on http://")
            .and_then(|rest| rest.strip_suffix("/stats"))
            .unwrap_or_else(|| panic!("{}", w.first_line))
            .to_owned();
        (w, addr)
    }

    fn pipe(&self) -> PathBuf {
        PathBuf::from(self.first_line.rsplit(' ').next().unwrap())
    }

    /// Closes stdin and waits: the child removes its pipe and exits 0.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

fn cat(path: &Path) -> String {
    let out = Command::new("cat").arg(path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 GET; the status line and the body.
fn get(addr: &str, path: &str) -> (String, String) {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

fn stats_line(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .parse()
        .unwrap()
}

#[test]
fn a_worker_pipe_reads_with_cat() {
    let d = dir("cat");
    let w = Running::worker(
        &d,
        &["--requests", "3", "--queue", "2", "--latency", "4,1,3,2"],
    );
    let pid = w.child.id();
    assert_eq!(w.pipe(), d.join(format!("{pid}.stats")));
    let text = cat(&w.pipe());
    let exact: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("worker.size."))
        .collect();
    assert_eq!(
        exact,
        [
            "worker.latency.100th: 4.000000",
            "worker.latency.95th: 3.000000",
            "worker.latency.99th: 3.000000",
            "worker.latency.mean: 2.500000",
            "worker.latency.median: 2.000000",
            "worker.queue: 2",
            "worker.requests: 3",
        ]
    );
    // The histogram: exact count, sum and extremes; quantiles within the sketch's 1 %.
    let size: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("worker.size."))
        .collect();
    assert_eq!(
        size[..6],
        [
            "worker.size.count: 4",
            "worker.size.sum: 10.000000",
            "worker.size.min: 1.000000",
            "worker.size.max: 4.000000",
            "worker.size.mean: 2.500000",
            "worker.size.stddev: 1.118034",
        ]
    );
    assert!((stats_line(&text, "worker.size.median") - 2.0).abs() <= 0.02);
    assert_eq!(size.len(), 12);
    // A second read is a fresh, whole snapshot.
    assert_eq!(cat(&w.pipe()), text);
    let pipe = w.pipe();
    w.finish();
    assert!(!pipe.exists(), "the worker removed its pipe on exit");
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_web_service_sums_every_worker() {
    let d = dir("web");
    let a = Running::worker(
        &d,
        &["--requests", "3", "--queue", "2", "--latency", "1,2,3,4"],
    );
    let b = Running::worker(
        &d,
        &[
            "--requests",
            "4",
            "--queue",
            "-5",
            "--latency",
            "10,20",
            "--window",
            "1",
        ],
    );
    let (web, addr) = Running::web(&d, &[]);
    let (status, body) = get(&addr, "/stats");
    assert_eq!(status, "HTTP/1.1 200 OK");
    let response: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(response["processes"], 2);
    assert!(response["timestamp"].as_f64().unwrap() > 1.7e9);
    let host = response["stats"].as_object().unwrap();
    // Worker b's window holds only its latest value, 20.
    let mut exact = host.clone();
    exact.retain(|k, _| {
        !k.starts_with("worker.size.")
            || ["count", "sum", "min", "max", "mean"]
                .iter()
                .any(|s| k.ends_with(s))
    });
    assert_eq!(
        Value::Object(exact),
        json!({
            "worker.latency.100th": 20.0,
            "worker.latency.95th": 20.0,
            "worker.latency.99th": 20.0,
            "worker.latency.mean": 11.25,
            "worker.latency.median": 20.0,
            "worker.queue": -3,
            "worker.requests": 7,
            "worker.size.count": 6,
            "worker.size.sum": 40.0,
            "worker.size.min": 1.0,
            "worker.size.max": 20.0,
            "worker.size.mean": 40.0 / 6.0,
        })
    );
    // The pooled deviation of 1, 2, 3, 4, 10, 20, from each worker's count, mean and stddev
    // (as rounded to six decimals in the pipes).
    let sd = host["worker.size.stddev"].as_f64().unwrap();
    let exact_sd =
        ((1.0 + 4.0 + 9.0 + 16.0 + 100.0 + 400.0) / 6.0 - (40.0f64 / 6.0).powi(2)).sqrt();
    assert!((sd - exact_sd).abs() < 1e-5, "{sd} {exact_sd}");
    // Quantiles: the largest of the workers' own, as their pipes tell them.
    let (ta, tb) = (cat(&a.pipe()), cat(&b.pipe()));
    for q in ["median", "75th", "95th", "98th", "99th", "99_9th"] {
        let name = format!("worker.size.{q}");
        let largest = stats_line(&ta, &name).max(stats_line(&tb, &name));
        assert_eq!(host[&name].as_f64().unwrap(), largest, "{name}");
    }
    assert_eq!(host.len(), 19);

    // The same view on /metrics.
    let (status, text) = get(&addr, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    for line in [
        "worker_requests 7",
        "worker_queue -3",
        "worker_size_count 6",
        "worker_size_sum 40.0",
        "worker_latency_100th 20.0",
        "metered_statvent_processes 2",
        "metered_statvent_stale 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    let (status, body) = get(&addr, "/nowhere");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    assert_eq!(
        body,
        r#"{"error":"not found","hint":"try /stats or /metrics","path":"/nowhere"}"#
    );
    a.finish();
    b.finish();
    // Both gone: an empty host.
    let (_, body) = get(&addr, "/stats");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["processes"].clone(), v["stats"].clone()),
        (json!(0), json!({}))
    );
    web.finish();
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_killed_worker_leaves_a_stale_pipe_that_neither_hangs_nor_counts() {
    let d = dir("killed");
    let live = Running::worker(&d, &["--requests", "5"]);
    let mut killed = Running::worker(&d, &["--requests", "100"]);
    let stale = killed.pipe();
    killed.child.kill().unwrap(); // SIGKILL: no chance to remove the pipe
    killed.child.wait().unwrap(); // reaped, so its pid names nobody
    assert!(stale.exists());
    let (web, addr) = Running::web(&d, &["--sum", "--timeout-ms", "500"]);
    let started = Instant::now();
    let (status, body) = get(&addr, "/stats");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(status, "HTTP/1.1 200 OK");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["processes"], 1);
    let expected = json!({
        "worker.queue": 0,
        "worker.requests": 5,
        "worker.size.count": 0,
        "worker.size.sum": 0.0,
    });
    assert_eq!(v["stats"], expected);
    assert!(!stale.exists(), "the stale pipe was removed");
    // Later reads do not wait for it any more.
    let (_, body) = get(&addr, "/stats");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["stats"],
        expected
    );
    live.finish();
    web.finish();
    std::fs::remove_dir_all(&d).unwrap();
}
