//! Against the real carbon-cache 1.1 (Debian `graphite-carbon`): whisper files hold our values
//! at our timestamps (plain paths and Graphite 1.1 tags), increments per report, no NaN, and a
//! carbon restart survived with a reconnect. Fails, never skips, when carbon or whisper is
//! missing (`.ci/run` installs them).
#![allow(clippy::doc_markdown, reason = "product names in prose")]
#![allow(clippy::float_cmp, reason = "whisper stores the doubles we sent")]
#![allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]

mod support;

use metered_push::Reporter;
use metered_push::graphite::{Config, GraphiteSink};
use metered_runtime_core::Registry;
use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{Daemon, TempDir, free_port, wait_for};

fn start_carbon(dir: &Path, port: u16) -> Daemon {
    let d = dir.display();
    std::fs::write(
        dir.join("storage-schemas.conf"),
        "[all]\npattern = .*\nretentions = 1s:1d\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("carbon.conf"),
        format!(
            "[cache]\nSTORAGE_DIR = {d}/storage\nLOCAL_DATA_DIR = {d}/whisper\n\
             WHITELISTS_DIR = {d}/lists\nCONF_DIR = {d}\nLOG_DIR = {d}/log\nPID_DIR = {d}\n\
             USER =\nMAX_CACHE_SIZE = inf\nMAX_UPDATES_PER_SECOND = inf\n\
             MAX_CREATES_PER_MINUTE = inf\nENABLE_TAGS = False\nTAG_HASH_FILENAMES = False\n\
             LINE_RECEIVER_INTERFACE = 127.0.0.1\nLINE_RECEIVER_PORT = {port}\n\
             ENABLE_UDP_LISTENER = False\nPICKLE_RECEIVER_INTERFACE = 127.0.0.1\n\
             PICKLE_RECEIVER_PORT = {}\nCACHE_QUERY_INTERFACE = 127.0.0.1\n\
             CACHE_QUERY_PORT = {}\nWHISPER_AUTOFLUSH = True\n",
            free_port(),
            free_port()
        ),
    )
    .unwrap();
    let daemon = Daemon::start(
        "carbon-cache",
        Command::new("/usr/bin/carbon-cache")
            .arg(format!("--config={d}/carbon.conf"))
            .arg(format!("--pidfile={d}/carbon.pid"))
            .args(["--nodaemon", "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_for(20, "carbon's line receiver", || {
        TcpStream::connect(("127.0.0.1", port)).ok()
    });
    daemon
}

/// Every whisper file under `dir`, as its path (`.wsp` dropped) -> `(time, value)` points.
fn whisper(dir: &Path) -> BTreeMap<String, Vec<(u64, f64)>> {
    let script = r"
import json, os, sys, time, whisper
root = sys.argv[1]
out = {}
now = int(time.time())
for d, _, files in os.walk(root):
    for f in files:
        if f.endswith('.wsp'):
            p = os.path.join(d, f)
            (start, end, step), values = whisper.fetch(p, now - 600, now + 5)
            out[os.path.relpath(p, root)[:-4]] = [
                [start + i * step, v] for i, v in enumerate(values) if v is not None]
print(json.dumps(out))
";
    let out = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("Debian's /usr/bin/python3 with python3-whisper; .ci/run installs it");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: BTreeMap<String, Vec<(u64, f64)>> = serde_json::from_slice(&out.stdout).unwrap();
    v
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sleeps into the next whole second, so that each report has a timestamp of its own.
fn next_second() -> u64 {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    std::thread::sleep(
        Duration::from_nanos(1_000_000_000 - u64::from(t.subsec_nanos()))
            + Duration::from_millis(10),
    );
    now_secs()
}

#[test]
fn carbon_stores_our_values_at_our_timestamps_and_survives_a_restart() {
    let dir = TempDir::new("carbon");
    let port = free_port();
    let mut carbon = start_carbon(&dir.0, port);
    let data = dir.0.join("whisper");

    let r = Arc::new(Registry::new());
    let requests = r.counter("app.requests").unwrap();
    let routes = r.counter_family("app.routes", &["route"]).unwrap();
    let temp = r.gauge("app.temp").unwrap();
    let lat = r.timer("app.lat").unwrap();
    r.fn_gauge("app.broken", || f64::NAN).unwrap();
    let reporter = Reporter::builder(
        r.clone(),
        GraphiteSink::new(("127.0.0.1", port), Config::default()).unwrap(),
    )
    .interval(Duration::from_hours(1))
    .log(|_| {})
    .start()
    .unwrap();

    let mut times = Vec::new();
    for (n, g, ms) in [(3u64, -4i64, 10u64), (5, 6, 40)] {
        let t = next_second();
        requests.add(n);
        routes.get(&["/x y"]).unwrap().add(n * 10);
        temp.set(g);
        lat.record(Duration::from_millis(ms));
        reporter.report_now();
        assert_eq!(
            now_secs(),
            t,
            "the report left its second; timestamps would merge"
        );
        times.push(t);
    }
    let files = wait_for(60, "both reports in whisper", || {
        let w = whisper(&data);
        // carbon writes each whisper file on its own schedule: wait for every one checked.
        ["app/requests", "app/temp", "app/lat/count", "app/lat/max"]
            .iter()
            .all(|k| w.get(*k).map_or(0, Vec::len) == 2)
            .then_some(w)
    });
    assert_eq!(files["app/requests"], [(times[0], 3.0), (times[1], 5.0)]);
    assert_eq!(files["app/temp"], [(times[0], -4.0), (times[1], 6.0)]);
    assert_eq!(files["app/lat/count"], [(times[0], 1.0), (times[1], 1.0)]);
    assert_eq!(files["app/lat/max"][0], (times[0], 10.0));
    let max2 = files["app/lat/max"][1].1;
    assert!((max2 - 40.0).abs() <= 0.4, "{max2}");
    // No NaN line was sent, so the broken gauge has no file.
    assert!(!files.keys().any(|k| k.contains("broken")), "{files:?}");
    // The tagged series: carbon's `_tagged/<hash>/<hash>/<name with . as _DOT_>;tags`.
    let tagged: Vec<(&String, &Vec<(u64, f64)>)> = files
        .iter()
        .filter(|(k, _)| k.starts_with("_tagged/") && k.ends_with("/app_DOT_routes;route=_x_y"))
        .collect();
    assert_eq!(tagged.len(), 1, "{:?}", files.keys());
    assert_eq!(*tagged[0].1, [(times[0], 30.0), (times[1], 50.0)]);

    // carbon restarts: the sink notices the closed connection, fails while carbon is down
    // (counted), reconnects once it is back, and the buffered report arrives.
    carbon.stop();
    let before = reporter.stats();
    let t_down = next_second();
    requests.add(7);
    reporter.report_now();
    let down = reporter.stats();
    assert_eq!(down.failures, before.failures + 1, "{down:?}");
    let _carbon = start_carbon(&dir.0, port);
    next_second();
    requests.add(11);
    let stats = reporter.stop();
    assert_eq!(stats.sent, before.sent + 2, "{stats:?}");
    let files = wait_for(60, "the reports after the restart", || {
        let w = whisper(&data);
        (w["app/requests"].len() == 4).then_some(w)
    });
    let after: Vec<(u64, f64)> = files["app/requests"][2..].to_vec();
    assert_eq!(after[0], (t_down, 7.0));
    assert_eq!(after[1].1, 11.0);
}
