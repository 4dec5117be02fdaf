//! Against the real Etsy StatsD 0.9 (node): several reports, zero bad lines, counters equal to
//! the increments, gauges (negative ones too) and timer statistics equal to ours, and a StatsD
//! restart survived. Fails, never skips, when node or statsd is missing (`.ci/run` installs
//! them into `/opt/statsd`; `STATSD_BIN` overrides the path).
#![allow(clippy::doc_markdown, reason = "product names in prose")]
#![allow(
    clippy::float_cmp,
    reason = "StatsD must store exactly the doubles we sent"
)]
#![allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
#![allow(
    clippy::cast_precision_loss,
    reason = "small test counts compared as the doubles StatsD stores"
)]

mod support;

use metered_push::delta::DeltaState;
use metered_push::statsd::{Config, StatsdSink, Tags, encode};
use metered_push::{Reporter, Stats};
use metered_runtime_core::Registry;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use support::{Daemon, TempDir, free_port, wait_for};

const BACKEND: &str = r#"
const fs = require('fs');
exports.init = function (startup, config, events) {
  events.on('flush', function (ts, m) {
    fs.appendFileSync(config.jsonOut, JSON.stringify({
      counters: m.counters, gauges: m.gauges, timers: m.timers
    }) + "\n");
  });
  return true;
};
"#;

struct Statsd {
    daemon: Daemon,
    out: std::path::PathBuf,
}

fn statsd_bin() -> String {
    std::env::var("STATSD_BIN")
        .unwrap_or_else(|_| "/opt/statsd/node_modules/statsd/bin/statsd".to_owned())
}

fn start_statsd(dir: &Path, port: u16, mgmt: u16) -> Statsd {
    let bin = statsd_bin();
    assert!(
        Path::new(&bin).exists(),
        "Etsy StatsD is missing at {bin}; .ci/run installs it"
    );
    let backend = dir.join("json_backend.js");
    std::fs::write(&backend, BACKEND).unwrap();
    let out = dir.join("flushes.jsonl");
    let config = dir.join("config.js");
    std::fs::write(
        &config,
        format!(
            "{{ address: \"127.0.0.1\", mgmt_address: \"127.0.0.1\", port: {port}, \
             mgmt_port: {mgmt}, flushInterval: 200, backends: [\"{}\"], \
             jsonOut: \"{}\" }}",
            backend.display(),
            out.display()
        ),
    )
    .unwrap();
    let daemon = Daemon::start(
        "node (Etsy StatsD)",
        Command::new("node")
            .arg(&bin)
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_for(10, "statsd health", || {
        let mut s = TcpStream::connect(("127.0.0.1", mgmt)).ok()?;
        s.write_all(b"health\n").ok()?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).ok()?;
        line.contains("up").then_some(())
    });
    Statsd { daemon, out }
}

fn flushes(s: &Statsd) -> Vec<Value> {
    std::fs::read_to_string(&s.out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits for the first flush after `after` flushes that holds timer data, and returns it.
fn next_flush_with_timers(s: &Statsd, after: usize) -> (Value, usize) {
    wait_for(10, "a statsd flush with our data", || {
        let all = flushes(s);
        all.iter()
            .enumerate()
            .skip(after)
            .find(|(_, f)| f["timers"].as_object().is_some_and(|t| !t.is_empty()))
            .map(|(i, f)| (f.clone(), i + 1))
    })
}

fn bad_lines(f: &Value) -> f64 {
    f["counters"]["statsd.bad_lines_seen"].as_f64().unwrap()
}

/// Checks every line we would send for this report against what StatsD flushed.
fn check_lines(expected: &metered_push::delta::Report, cfg: &Config, flush: &Value) {
    let enc = encode(expected, cfg);
    assert_eq!(enc.oversized, 0);
    let mut checked = 0;
    for d in &enc.datagrams {
        let text = std::str::from_utf8(d).unwrap();
        for line in text.lines() {
            let (line, tags) = line.split_once("|#").unwrap_or((line, ""));
            let (name, rest) = line.split_once(':').unwrap();
            let (value, kind) = rest.split_once('|').unwrap();
            // Etsy StatsD's key for tagged lines: `name;k=v`, then `/` becomes `-`.
            let mut key = name.to_owned();
            for t in tags.split(',').filter(|t| !t.is_empty()) {
                key.push(';');
                key.push_str(&t.replacen(':', "=", 1));
            }
            let key = key.replace('/', "-");
            let name = key.as_str();
            let v: f64 = value.parse().unwrap();
            let got = match kind {
                "c" => flush["counters"][name].as_f64(),
                "g" => flush["gauges"][name].as_f64(),
                "ms" => {
                    let t = flush["timers"][name].as_array().unwrap();
                    assert_eq!(t.len(), 1, "{name}: {t:?}");
                    t[0].as_f64()
                }
                k => panic!("unexpected type {k}"),
            };
            if kind == "g" && v == 0.0 && text.contains(&format!("{name}:-")) {
                continue; // the `0` in front of a negative gauge
            }
            if name.ends_with("_rate") {
                // Rates depend on the moment of reading, which differs from the mirror's.
                assert!(got.is_some_and(f64::is_finite), "{line} in {flush}");
                continue;
            }
            // Equal to the last bit or two: StatsD's own arithmetic on a value can move its last
            // digit (seen on a p95 of 994.5994234836331 flushed as ...332).
            let got = got.unwrap_or(f64::NAN);
            assert!(
                (got - v).abs() <= 1e-12 * v.abs().max(1.0),
                "{line} in {flush}"
            );
            checked += 1;
        }
    }
    // requests, temp, ratio, jobs.count, routes, lat.count and the nine timer statistics.
    assert_eq!(checked, 15);
}

#[test]
fn etsy_statsd_receives_increments_gauges_and_timer_statistics() {
    let dir = TempDir::new("statsd");
    let (port, mgmt) = (free_port(), free_port());
    let mut statsd = start_statsd(&dir.0, port, mgmt);

    let r = Arc::new(Registry::new());
    let requests = r.counter("app.requests").unwrap();
    let temp = r.gauge("app.temp").unwrap();
    let ratio = r.float_gauge("app.ratio").unwrap();
    let lat = r.timer("app.lat").unwrap();
    let jobs = r.meter("app.jobs").unwrap();
    let routes = r.counter_family("app.routes", &["route"]).unwrap();
    let cfg = Config {
        prefix: "t.".into(),
        tags: Tags::DogStatsd,
        ..Config::default()
    };
    let reporter = Reporter::builder(
        r.clone(),
        StatsdSink::new(("127.0.0.1", port), cfg.clone()).unwrap(),
    )
    .interval(Duration::from_hours(1))
    .start()
    .unwrap();
    // The same reports, computed beside the reporter, to compare with what StatsD stored.
    let mut mirror = DeltaState::new();

    let mut seen = 0;
    let mut total_requests = 0;
    let mut flushed_requests = 0.0;
    let rounds: [(u64, i64, f64, &[u64]); 4] = [
        (3, 3, 0.5, &[10, 20, 30]),
        (5, -5, -0.25, &[100, 100, 100, 100]),
        (7, -2, 2.0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]),
        (1, 12, 0.0, &[7]),
    ];
    for (i, &(n, g, f, ms)) in rounds.iter().enumerate() {
        requests.add(n);
        total_requests += n;
        temp.set(g);
        ratio.set(f);
        jobs.mark_n(n * 2);
        routes.get(&["/a"]).unwrap().add(n);
        for &m in ms {
            lat.record(Duration::from_millis(m));
        }
        reporter.report_now();
        let snapshot = r.snapshot();
        let expected = mirror.report(&snapshot, SystemTime::now());
        let (flush, next) = next_flush_with_timers(&statsd, seen);
        seen = next;
        assert_eq!(bad_lines(&flush), 0.0, "round {i}: {flush}");
        // No over-counting: each flush holds this round's increment, not a running total.
        assert_eq!(flush["counters"]["t.app.requests"].as_f64(), Some(n as f64));
        flushed_requests += flush["counters"]["t.app.requests"].as_f64().unwrap();
        assert_eq!(
            flush["counters"]["t.app.jobs.count"].as_f64(),
            Some((n * 2) as f64)
        );
        assert_eq!(flush["counters"]["t.app.routes;route=/a"].as_f64(), None);
        // Etsy StatsD turns DogStatsD tags into `;k=v` and sanitises `/` to `-`.
        assert_eq!(
            flush["counters"]["t.app.routes;route=-a"].as_f64(),
            Some(n as f64)
        );
        // A negative gauge is the value, not a decrement of the previous one.
        assert_eq!(
            flush["gauges"]["t.app.temp"].as_f64(),
            Some(g as f64),
            "{flush}"
        );
        assert_eq!(flush["gauges"]["t.app.ratio"].as_f64(), Some(f));
        let timer_count = flush["counters"]["t.app.lat.count"].as_f64().unwrap();
        assert_eq!(timer_count, ms.len() as f64);
        let sum: u64 = ms.iter().sum();
        let got_sum = flush["timers"]["t.app.lat.sum"][0].as_f64().unwrap();
        assert!((got_sum - sum as f64).abs() < 1e-9, "{got_sum} vs {sum}");
        let got_max = flush["timers"]["t.app.lat.max"][0].as_f64().unwrap();
        let max = *ms.iter().max().unwrap() as f64;
        assert!((got_max - max).abs() <= max * 0.01, "{got_max} vs {max}");
        check_lines(&expected, &cfg, &flush);
    }
    assert_eq!(flushed_requests, total_requests as f64);
    let all = flushes(&statsd);
    assert!(all.iter().all(|f| bad_lines(f) == 0.0));

    // StatsD goes away: reports go on, nothing blocks or panics; sends to the closed port
    // fail (ICMP port unreachable comes back on loopback) and are counted.
    statsd.daemon.stop();
    let before: Stats = reporter.stats();
    for _ in 0..4 {
        requests.add(1);
        lat.record(Duration::from_millis(5));
        reporter.report_now();
        std::thread::sleep(Duration::from_millis(20));
    }
    let during = reporter.stats();
    assert_eq!(during.reports, before.reports + 4);
    assert!(during.failures > before.failures, "{during:?}");
    assert_eq!(during.dropped, 0);

    // Back on the same port: delivery resumes.
    let _ = std::fs::remove_file(&statsd.out);
    let statsd = start_statsd(&dir.0, port, mgmt);
    requests.add(40);
    lat.record(Duration::from_millis(9));
    let flush = wait_for(10, "delivery after the restart", || {
        reporter.report_now();
        std::thread::sleep(Duration::from_millis(250));
        let all = flushes(&statsd);
        all.iter()
            .find(|f| {
                f["counters"]["t.app.requests"]
                    .as_f64()
                    .is_some_and(|c| c >= 40.0)
            })
            .cloned()
    });
    assert_eq!(bad_lines(&flush), 0.0);
    let stats = reporter.stop();
    assert!(stats.sent > during.sent, "{stats:?}");
}
