//! The multi-process mode across real OS processes: this binary re-executes itself as workers
//! (`MP_WORKER` set), which record into their files in one directory while the test kills some
//! of them with `SIGKILL`; the aggregated view must equal exactly what the workers completed.
//!
//! A worker reports what it completed on its stdout, a pipe the test reads: "done N" is printed
//! only after the N operations returned. A worker to be killed mid-run is told to stop after
//! `MP_PAUSE` operations per thread: it prints "done N" then waits, and the test kills it while
//! the other workers keep recording. So every completed operation is known exactly, and a
//! killed worker's count cannot include an operation in flight.

#![allow(
    clippy::float_cmp,
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    clippy::many_single_char_names,
    reason = "a test: exact float sums on purpose (multiples of 0.5), one scenario in phases"
)]

use metered_runtime::multiproc::{self, Aggregator, GaugeMode, Scope};
use metered_runtime::snapshot::Value;
use metered_runtime::{HistogramConfig, Registry, Snapshot, registry};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const THREADS: u64 = 2;
const OPS: u64 = 5_000;

fn value(i: u64) -> f64 {
    // Multiples of 0.5: every partial sum is exact in f64, in any order.
    f64::from(u32::try_from(i % 97).unwrap() + 1) * 0.5
}

fn micros(i: u64) -> u64 {
    i % 50 + 1
}

/// The worker: `MP_OPS` operations on each of `THREADS` threads, or `MP_PAUSE` and then wait.
fn worker(id: &str) {
    let dir = std::env::var("MP_DIR").unwrap();
    let ops: u64 = std::env::var("MP_OPS").unwrap().parse().unwrap();
    let pause: Option<u64> = std::env::var("MP_PAUSE").ok().map(|p| p.parse().unwrap());
    multiproc::enable(&dir).unwrap();
    let r = registry();
    r.gauge("mp.alive").unwrap().set(1);
    r.gauge("mp.worker_id")
        .unwrap()
        .set(id.parse::<i64>().unwrap());
    let barrier = Arc::new(Barrier::new(usize::try_from(THREADS).unwrap() + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            let id = id.to_owned();
            std::thread::spawn(move || {
                let r = registry();
                let ops_c = r.counter("mp.ops").unwrap();
                let by_worker = r.counter_family("mp.by_worker", &["worker"]).unwrap();
                let mine = by_worker.get(&[&id]).unwrap();
                let hist = r
                    .histogram_with("mp.size", HistogramConfig::new().bounds(&[5.0, 20.0]))
                    .unwrap();
                let timer = r.timer("mp.handle").unwrap();
                let meter = r.meter("mp.events").unwrap();
                let in_flight = r.up_down_counter("mp.balance").unwrap();
                let n = pause.unwrap_or(ops);
                for i in 0..n {
                    ops_c.inc();
                    mine.inc();
                    hist.record(value(i)).unwrap();
                    timer.record(Duration::from_micros(micros(i)));
                    meter.mark();
                    in_flight.add(2);
                    in_flight.sub(1);
                }
                barrier.wait();
            })
        })
        .collect();
    barrier.wait();
    let n = pause.unwrap_or(ops) * THREADS;
    println!("done {n}");
    if pause.is_some() {
        loop {
            std::thread::sleep(Duration::from_mins(1));
        }
    }
    for t in threads {
        t.join().unwrap();
    }
}

/// A worker killed at an unknown moment: one thread, one operation after another, each
/// reported after it returned; new family children (series records appended to the file) every
/// 16 operations, so the kill may land in the middle of an append.
fn stream_worker() {
    multiproc::enable(std::env::var("MP_DIR").unwrap()).unwrap();
    let r = registry();
    let ops = r.counter("mp.stream.ops").unwrap();
    let churn = r.counter_family("mp.stream.churn", &["n"]).unwrap();
    let sizes = r.histogram("mp.stream.size").unwrap();
    for i in 0u64.. {
        ops.inc();
        churn.get(&[&(i / 16).to_string()]).unwrap().inc();
        sizes.record(value(i)).unwrap();
        println!("done {}", i + 1);
    }
}

/// A writer into a shared buffer (what the push reporter's sink sent).
struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn spawn(dir: &Path, id: u32, ops: u64, pause: Option<u64>) -> Child {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.env("MP_WORKER", id.to_string())
        .env("MP_DIR", dir)
        .env("MP_OPS", ops.to_string())
        .stdout(Stdio::piped());
    if let Some(p) = pause {
        c.env("MP_PAUSE", p.to_string());
    }
    c.spawn().unwrap()
}

/// Reads the worker's "done N" line.
fn done(child: &mut Child) -> u64 {
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("done ")
        .unwrap_or_else(|| panic!("worker said {line:?}"))
        .parse()
        .unwrap()
}

/// What the workers completed, for the expected values.
#[derive(Default, Debug, Clone, Copy)]
struct Expected {
    ops: u64,
    sum: f64,
    nanos: u128,
}

impl Expected {
    fn add(&mut self, per_thread: u64) {
        for _ in 0..THREADS {
            for i in 0..per_thread {
                self.ops += 1;
                self.sum += value(i);
                self.nanos += u128::from(micros(i)) * 1000;
            }
        }
    }
}

fn counter(s: &Snapshot, name: &str) -> u64 {
    match s.get(name).map(|m| &m.value) {
        Some(Value::Counter(n)) => *n,
        other => panic!("{name}: {other:?}"),
    }
}

fn check_totals(s: &Snapshot, e: &Expected, what: &str) {
    assert_eq!(counter(s, "mp.ops"), e.ops, "{what}: counter");
    let Some(Value::Histogram(h)) = s.get("mp.size").map(|m| &m.value) else {
        panic!("{what}: no histogram")
    };
    assert_eq!((h.count, h.sum), (e.ops, e.sum), "{what}: histogram");
    assert_eq!(h.sketch.count(), e.ops, "{what}: buckets");
    assert_eq!(
        h.buckets.last(),
        Some(&(f64::INFINITY, e.ops)),
        "{what}: classic"
    );
    let Some(Value::Timer(t)) = s.get("mp.handle").map(|m| &m.value) else {
        panic!("{what}: no timer")
    };
    assert_eq!(t.rates.count, e.ops, "{what}: timer count");
    assert_eq!(t.histogram.count, e.ops, "{what}: timer histogram");
    #[allow(
        clippy::cast_precision_loss,
        reason = "the aggregator converts the same way"
    )]
    let secs = e.nanos as f64 / 1e9;
    assert_eq!(t.histogram.sum, secs, "{what}: timer sum");
    assert_eq!((t.histogram.min, t.histogram.max), (1e-6, 50e-6));
    let Some(Value::Meter(m)) = s.get("mp.events").map(|m| &m.value) else {
        panic!("{what}: no meter")
    };
    assert_eq!(m.count, e.ops, "{what}: meter");
    let Some(Value::UpDownCounter(b)) = s.get("mp.balance").map(|m| &m.value) else {
        panic!("{what}: no up-down counter")
    };
    assert_eq!(*b, i64::try_from(e.ops).unwrap(), "{what}: up-down counter");
}

fn per_worker(s: &Snapshot, id: &str) -> Option<u64> {
    s.metrics()
        .iter()
        .find(|m| m.name == "mp.by_worker" && m.labels == [("worker".into(), id.into())])
        .map(|m| match m.value {
            Value::Counter(n) => n,
            ref v => panic!("{v:?}"),
        })
}

fn gauge(s: &Snapshot, name: &str) -> Vec<(Vec<(String, String)>, i64)> {
    s.metrics()
        .iter()
        .filter(|m| m.name == name)
        .map(|m| match m.value {
            Value::Gauge(v) => (m.labels.clone(), v),
            ref v => panic!("{v:?}"),
        })
        .collect()
}

fn temp_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("metered-mp-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "mp"))
        .collect();
    v.sort();
    v
}

fn main() {
    if let Ok(id) = std::env::var("MP_WORKER") {
        if id == "stream" {
            stream_worker();
        } else {
            worker(&id);
        }
        return;
    }
    let dir = temp_dir();
    let view = Aggregator::new(&dir)
        .gauge_mode("mp.worker_id", GaugeMode::PerProcess(Scope::Live))
        .gauge_mode("mp.alive", GaugeMode::Sum(Scope::Live));
    let mut expected = Expected::default();

    // Phase 1: four workers record in parallel; two are killed mid-run, two run to the end.
    let mut finishing = vec![spawn(&dir, 0, OPS, None), spawn(&dir, 2, OPS, None)];
    let mut killed = vec![
        (1, spawn(&dir, 1, OPS, Some(1_234))),
        (3, spawn(&dir, 3, OPS, Some(3_210))),
    ];
    for (id, child) in &mut killed {
        let n = done(child);
        // Live workers are counted in live-mode gauges.
        let s = view.snapshot();
        assert!(
            gauge(&s, "mp.worker_id")
                .iter()
                .any(|(l, v)| *v == *id && l[0].0 == "pid")
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        expected.add(n / THREADS);
        eprintln!("worker {id}: killed after {n} completed operations");
    }
    for child in &mut finishing {
        let n = done(child);
        assert!(child.wait().unwrap().success());
        expected.add(n / THREADS);
    }
    let s = view.snapshot();
    check_totals(&s, &expected, "after the kills");
    assert_eq!(per_worker(&s, "1"), Some(2 * 1_234));
    assert_eq!(per_worker(&s, "3"), Some(2 * 3_210));
    assert_eq!(per_worker(&s, "0"), Some(2 * OPS));
    eprintln!(
        "phase 1: {} operations completed by 4 workers (2 killed), aggregated {}",
        expected.ops,
        counter(&s, "mp.ops")
    );
    // Every worker is dead: live-mode gauges have nothing left.
    assert!(gauge(&s, "mp.worker_id").is_empty());
    assert!(gauge(&s, "mp.alive").is_empty());
    // Over all processes (dead ones until compacted), each mode merges the four workers' ids.
    for (mode, want) in [
        (GaugeMode::Sum(Scope::All), vec![6]),
        (GaugeMode::Min(Scope::All), vec![0]),
        (GaugeMode::Max(Scope::All), vec![3]),
        (GaugeMode::PerProcess(Scope::All), vec![0, 1, 2, 3]),
    ] {
        let all = Aggregator::new(&dir).gauge_mode("mp.worker_id", mode);
        let mut got: Vec<i64> = gauge(&all.snapshot(), "mp.worker_id")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        got.sort_unstable();
        assert_eq!(got, want, "{mode:?}");
    }
    let latest = Aggregator::new(&dir).gauge_mode("mp.worker_id", GaugeMode::Latest(Scope::All));
    let got = gauge(&latest.snapshot(), "mp.worker_id");
    assert!(got.len() == 1 && (0..4).contains(&got[0].1), "{got:?}");

    // Phase 2: a restarted worker adds to the counts of the dead ones (monotonic).
    let before = counter(&s, "mp.ops");
    let mut restarted = spawn(&dir, 1, 777, Some(777));
    let n = done(&mut restarted);
    let s = view.snapshot();
    expected.add(n / THREADS);
    assert_eq!(counter(&s, "mp.ops"), before + n);
    assert_eq!(per_worker(&s, "1"), Some(2 * 1_234 + n));
    assert_eq!(gauge(&s, "mp.alive"), [(vec![], 1)]);
    assert_eq!(gauge(&s, "mp.worker_id").len(), 1);
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    check_totals(&view.snapshot(), &expected, "after the restart");

    // Phase 2b: a worker killed at a moment nobody chose, possibly in the middle of an
    // operation or of an append to its file. Its file still reads; its counts are those of the
    // operations it reported, plus at most the one in flight (whose parts it may have done in
    // part: each part counts at most once).
    let mut stream = Command::new(std::env::current_exe().unwrap())
        .env("MP_WORKER", "stream")
        .env("MP_DIR", &dir)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(stream.stdout.take().unwrap());
    let mut line = String::new();
    let mut reported = 0u64;
    while reported < 3_000 {
        line.clear();
        out.read_line(&mut line).unwrap();
        reported = line.trim().strip_prefix("done ").unwrap().parse().unwrap();
    }
    stream.kill().unwrap();
    stream.wait().unwrap();
    // Whatever it printed before the kill.
    for l in out.lines() {
        if let Some(n) = l.unwrap().strip_prefix("done ") {
            reported = n.parse().unwrap();
        }
    }
    let s = view.snapshot();
    let ops = counter(&s, "mp.stream.ops");
    let churn: u64 = s
        .metrics()
        .iter()
        .filter(|m| m.name == "mp.stream.churn")
        .map(|m| match m.value {
            Value::Counter(n) => n,
            ref v => panic!("{v:?}"),
        })
        .sum();
    let Some(Value::Histogram(h)) = s.get("mp.stream.size").map(|m| &m.value) else {
        panic!("no stream histogram")
    };
    eprintln!(
        "stream worker: killed after {reported} reported operations; counter {ops}, family {churn}, histogram {}",
        h.count
    );
    for (what, n) in [("counter", ops), ("family", churn), ("histogram", h.count)] {
        assert!(
            n == reported || n == reported + 1,
            "{what}: {n} for {reported} reported"
        );
    }
    assert!(
        h.count <= churn && churn <= ops,
        "the parts of one operation run in order"
    );
    assert!(view.stats().unwrap().skipped.is_empty());
    check_totals(&s, &expected, "beside the stream worker");

    // Phase 3: a garbage file and a truncated one are reported and skipped; the rest is exact.
    let real = dir.join(&files(&dir)[0]);
    let bytes = std::fs::read(&real).unwrap();
    std::fs::write(dir.join("truncated.mp"), &bytes[..4096]).unwrap();
    std::fs::write(
        dir.join("garbage.mp"),
        b"this is not a metrics file at all, no",
    )
    .unwrap();
    let stats = view.stats().unwrap();
    assert_eq!(stats.skipped.len(), 2, "{stats:?}");
    assert_eq!((stats.live, stats.dead), (0, 6));
    let s = view.snapshot();
    check_totals(&s, &expected, "beside corrupt files");
    assert!(counter(&s, "metered.multiprocess.skipped_files") >= 2);

    // Phase 4: compaction folds the six dead files into one; nothing changes in the view.
    // Liveness is the file lock, never the pid: a dead file renamed to carry the pid of a live
    // process (this one, as after pid reuse) is still dead and compacted.
    let dead = files(&dir)[0].clone();
    let incarnation = dead.split_once('-').unwrap().1.to_owned();
    let reused = format!("{}-{incarnation}", std::process::id());
    std::fs::rename(dir.join(&dead), dir.join(&reused)).unwrap();
    let kept = std::fs::read(dir.join(&reused)).unwrap();
    assert_eq!(view.compact().unwrap(), 6);
    assert_eq!(
        files(&dir),
        ["compacted.mp", "garbage.mp", "truncated.mp"],
        "dead files deleted"
    );
    check_totals(&view.snapshot(), &expected, "after compaction");
    // A compaction that crashed after replacing the compacted file but before deleting the
    // dead ones left a file that the compacted one already counts: it is not counted twice.
    std::fs::write(dir.join(&reused), &kept).unwrap();
    check_totals(&view.snapshot(), &expected, "a compacted file left behind");
    assert_eq!(
        view.compact().unwrap(),
        1,
        "deleted, without being added again"
    );
    check_totals(&view.snapshot(), &expected, "after the crash's clean-up");
    assert_eq!(view.compact().unwrap(), 0);
    // A worker after compaction, then a second compaction that folds it in too.
    let mut late = spawn(&dir, 5, 100, None);
    expected.add(done(&mut late) / THREADS);
    late.wait().unwrap();
    check_totals(&view.snapshot(), &expected, "compacted plus a new worker");
    assert_eq!(view.compact().unwrap(), 1);
    let s = view.snapshot();
    check_totals(&s, &expected, "after the second compaction");
    assert_eq!(per_worker(&s, "5"), Some(200));

    // Phase 5: the merged view through an exporter (Prometheus text) of another registry.
    let r = Registry::new();
    view.register(&r).unwrap();
    let out = metered_runtime::export::render::render(&r, None, None);
    let text = String::from_utf8(out.body).unwrap();
    assert!(
        text.contains(&format!("\nmp_ops_total {}\n", expected.ops)),
        "{text}"
    );
    assert!(text.contains(&format!("\nmp_size_count {}\n", expected.ops)));
    assert!(text.contains("\nmp_by_worker_total{worker=\"3\"} 6420\n"));
    // And the JSON view of the same registry.
    let json: serde_json::Value = serde_json::from_str(&r.snapshot().to_json()).unwrap();
    assert_eq!(json["mp"]["ops"]["value"], expected.ops, "{json}");
    // And a push reporter of it (the JSON stream sink, one report on stop).
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = metered_runtime::push::stream::JsonSink::writer(Shared(Arc::clone(&sent)));
    let shared = Arc::new(Registry::new());
    view.register(&shared).unwrap();
    let push = metered_runtime::push::Reporter::builder(shared, sink)
        .interval(Duration::from_hours(1))
        .start()
        .unwrap();
    let _ = push.stop();
    let text = String::from_utf8(sent.lock().unwrap().clone()).unwrap();
    let report: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(
        report["metrics"]["mp"]["ops"]["value"], expected.ops,
        "{report}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
    eprintln!(
        "test_multiprocess: all phases passed ({} operations)",
        expected.ops
    );
}
