//! statvent pipes in one process: read with the real `cat`, stale pipes, files, errors.
#![allow(clippy::unwrap_used, reason = "tests")]

use metered_push::statvent::{Config, Kind, Pipe, ReadOptions, read_dir};
use metered_runtime_core::Registry;
use metered_runtime_core::statvent::{Combine, Number};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("metered-statvent-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn leaked() -> &'static Registry {
    Box::leak(Box::new(Registry::new()))
}

fn cat(path: &std::path::Path) -> String {
    let out = Command::new("cat").arg(path).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cat_prints_a_fresh_snapshot_each_time() {
    let d = dir("cat");
    let r = leaked();
    let jobs = r.counter("jobs.done").unwrap();
    r.float_gauge("pool.load").unwrap().set(0.75);
    jobs.add(2);
    let pipe = Pipe::start(Config::new().dir(&d).registry(r)).unwrap();
    assert_eq!(cat(pipe.path()), "jobs.done: 2\npool.load: 0.750000\n");
    jobs.add(40);
    assert_eq!(cat(pipe.path()), "jobs.done: 42\npool.load: 0.750000\n");
    // Many readers in a row, each gets one whole snapshot.
    for _ in 0..20 {
        assert_eq!(cat(pipe.path()), "jobs.done: 42\npool.load: 0.750000\n");
    }
    let path = pipe.path().to_owned();
    drop(pipe);
    assert!(!path.exists(), "removed on drop");
    std::fs::remove_dir(&d).unwrap();
}

#[test]
fn stale_pipes_do_not_hang_the_reader_and_dead_ones_are_removed() {
    let d = dir("stale");
    std::fs::create_dir_all(&d).unwrap();
    // A process that is gone: its pid names nobody (it was waited for).
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let mode = nix::sys::stat::Mode::from_bits_truncate(0o644);
    let dead_pipe = d.join(format!("{dead}.stats"));
    nix::unistd::mkfifo(&dead_pipe, mode).unwrap();
    // A live process with no writer (pid 1 is always there), and a name without a pid.
    let silent = d.join("1.stats");
    nix::unistd::mkfifo(&silent, mode).unwrap();
    let nameless = d.join("nameless.stats");
    nix::unistd::mkfifo(&nameless, mode).unwrap();
    // Ignored: not `*.stats`, or hidden.
    std::fs::write(d.join("notes.txt"), "x: 1\n").unwrap();
    std::fs::write(d.join(".hidden.stats"), "x: 1\n").unwrap();
    // A live writer beside them.
    let r = leaked();
    r.counter("alive").unwrap().add(5);
    let pipe = Pipe::start(Config::new().dir(&d).registry(r)).unwrap();

    let options = ReadOptions {
        timeout: Duration::from_millis(300),
        ..ReadOptions::default()
    };
    let started = Instant::now();
    let host = read_dir(&d, &options).unwrap();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(host.processes.len(), 1);
    assert_eq!(host.processes[0].pid, Some(std::process::id()));
    assert_eq!(
        host.processes[0].stats,
        [("alive".to_owned(), Number::Int(5))]
    );
    assert_eq!(host.stale, std::slice::from_ref(&dead_pipe));
    let mut unanswered = host.unanswered.clone();
    unanswered.sort();
    assert_eq!(unanswered, [silent.clone(), nameless.clone()]);
    assert!(host.problems.is_empty(), "{:?}", host.problems);
    assert!(!dead_pipe.exists(), "the dead process's pipe is removed");
    assert!(silent.exists() && nameless.exists(), "live ones stay");

    // Without removal, a stale pipe is reported again and kept.
    nix::unistd::mkfifo(&dead_pipe, mode).unwrap();
    let keep = ReadOptions {
        remove_stale: false,
        ..options
    };
    let host = read_dir(&d, &keep).unwrap();
    assert_eq!(host.stale, std::slice::from_ref(&dead_pipe));
    assert!(dead_pipe.exists());
    drop(pipe);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn file_kind_and_python_statvent_files_are_summed() {
    let d = dir("file");
    let r = leaked();
    r.counter("jobs").unwrap().add(3);
    r.gauge("queue").unwrap().set(4);
    let pipe = Pipe::start(Config::new().dir(&d).registry(r).kind(Kind::File {
        every: Duration::from_millis(20),
    }))
    .unwrap();
    assert!(pipe.path().is_file());
    assert_eq!(
        std::fs::read_to_string(pipe.path()).unwrap(),
        "jobs: 3\nqueue: 4\n"
    );
    r.counter("jobs").unwrap().add(1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(pipe.path()).unwrap() != "jobs: 4\nqueue: 4\n" {
        assert!(Instant::now() < deadline, "the file is rewritten");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Another process's output in Python statvent's form (pid 1: alive), garbage included.
    std::fs::write(
        d.join("1.stats"),
        "jobs: 10\nfoo :: now: 2.500000\nbroken line\n",
    )
    .unwrap();
    let host = read_dir(&d, &ReadOptions::default()).unwrap();
    assert_eq!(host.processes.len(), 2);
    let combined = host.combined(Combine::ByStatistic);
    assert_eq!(combined["jobs"], Number::Int(14));
    assert_eq!(combined["queue"], Number::Int(4));
    assert_eq!(combined["foo :: now"], Number::Float(2.5));
    assert_eq!(
        host.problems,
        [format!(
            "{} line 3: no `:` separates a name from a value",
            d.join("1.stats").display()
        )]
    );
    drop(pipe);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn errors_name_the_path() {
    // A directory that cannot be created: its parent is a file.
    let d = dir("errors");
    std::fs::create_dir_all(&d).unwrap();
    let file = d.join("plain");
    std::fs::write(&file, "").unwrap();
    let err = Pipe::start(Config::new().dir(file.join("sub"))).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "cannot create the stats directory {}: Not a directory (os error 20)",
            file.join("sub").display()
        )
    );
    // One pipe per process and directory.
    let first = Pipe::start(Config::new().dir(&d).registry(leaked())).unwrap();
    let err = Pipe::start(Config::new().dir(&d).registry(leaked())).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "invalid configuration: this process has a statvent pipe open at {} already",
            first.path().display()
        )
    );
    drop(first);
    // After the first is gone, a new one starts.
    let again = Pipe::start(Config::new().dir(&d).registry(leaked())).unwrap();
    drop(again);
    let err = Pipe::start(Config::new().dir(&d).kind(Kind::File {
        every: Duration::ZERO,
    }))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: a statvent stats file needs a rewrite interval above zero"
    );
    // A directory that cannot be listed is an error; a missing one an empty host.
    assert!(read_dir(&file, &ReadOptions::default()).is_err());
    assert!(
        read_dir(&d.join("missing"), &ReadOptions::default())
            .unwrap()
            .processes
            .is_empty()
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn the_host_collector_yields_families_with_labels_and_skips_bad_names() {
    use metered_push::statvent::HostCollector;
    use metered_runtime_core::snapshot::Value;
    let d = dir("collector");
    std::fs::create_dir_all(&d).unwrap();
    // Two processes (pid 1 is always alive; a name without a pid never goes stale).
    std::fs::write(
        d.join("1.stats"),
        "http.count{route=\"/a\"}: 3\nhttp.count{route=\"/b\"}: 4\nfoo :: now: 2.5\nload: 1\n",
    )
    .unwrap();
    std::fs::write(
        d.join("other.stats"),
        "http.count{route=\"/a\"}: 10\nload: 0.5\n",
    )
    .unwrap();
    let r = Registry::new();
    r.register_collector("statvent", HostCollector::new(&d))
        .unwrap();
    let snap = r.snapshot();
    let series: Vec<(Vec<(String, String)>, Value)> = snap
        .metrics()
        .iter()
        .filter(|m| m.name == "http.count")
        .map(|m| (m.labels.clone(), m.value.clone()))
        .collect();
    assert_eq!(
        series,
        [
            (vec![("route".into(), "/a".into())], Value::Gauge(13)),
            (vec![("route".into(), "/b".into())], Value::Gauge(4)),
        ]
    );
    assert_eq!(snap.get("load").unwrap().value, Value::FloatGauge(1.5));
    let own = |n: &str| {
        snap.get(&format!("metered.statvent.{n}"))
            .unwrap()
            .value
            .clone()
    };
    assert_eq!(own("processes"), Value::Gauge(2));
    assert_eq!(own("skipped"), Value::Gauge(1)); // `foo :: now` holds spaces
    assert_eq!(own("stale"), Value::Gauge(0));
    assert_eq!(own("unanswered"), Value::Gauge(0));
    std::fs::remove_dir_all(&d).unwrap();
}
