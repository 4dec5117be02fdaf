//! Collectors: families computed at snapshot time, cached on the registry's clock, failing
//! without taking the snapshot down; the process collector and the latency probe.
#![allow(clippy::float_cmp, reason = "the expected values are exact")]

use metered_runtime::collector::{
    Collection, ERRORS_FAMILY, FAILURE_FAMILY, LatencyProbe, ProcessCollector, ProcessStats,
};
use metered_runtime::snapshot::Value;
use metered_runtime::{Error, ManualClock, MetricKind, Registry, Snapshot, Timer, Unit};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// (exposition name, [(labels, value)]) for every family of `s`.
type Flat = Vec<(String, Vec<(Vec<(String, String)>, Value)>)>;

fn flat(s: &Snapshot) -> Flat {
    s.families()
        .iter()
        .map(|f| {
            let series = f
                .series
                .iter()
                .map(|s| {
                    let labels = s
                        .labels()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    (labels, s.metric.value.clone())
                })
                .collect();
            (f.header.exposition_name.to_owned(), series)
        })
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn errors_of(s: &Snapshot, collector: &str) -> Option<u64> {
    s.metrics()
        .iter()
        .find(|m| m.name == ERRORS_FAMILY && m.labels == labels(&[("collector", collector)]))
        .map(|m| match m.value {
            Value::Counter(n) => n,
            ref v => panic!("errors series holds {v:?}"),
        })
}

fn failure_of(s: &Snapshot, collector: &str) -> Option<String> {
    s.metrics()
        .iter()
        .find(|m| m.name == FAILURE_FAMILY && m.labels == labels(&[("collector", collector)]))
        .map(|m| match &m.value {
            Value::Error(e) => e.clone(),
            v => panic!("failure series holds {v:?}"),
        })
}

#[test]
fn collector_families_are_ordinary_families_in_the_snapshot() {
    let r = Registry::new();
    r.counter("app.requests").unwrap().add(5);
    r.register_collector("pool", |out: &mut Collection| {
        let mut w = out.gauge("workers", "Workers by state.", &["state", "arch"])?;
        w.set(&[("state", "idle"), ("arch", "amd64")], 3)?;
        w.set(&[("arch", "arm64"), ("state", "busy")], 2)?;
        w.set(&[("state", "busy")], 1)?;
        out.float_gauge("pool.load", "Load.", &[])?
            .unit(Unit::Ratio)
            .set(&[], 0.25)?;
        Ok(())
    })
    .unwrap();
    let s = r.snapshot();
    let families = s.families();
    let names: Vec<&str> = families.iter().map(|f| f.header.exposition_name).collect();
    assert_eq!(
        names,
        [
            "app_requests",
            "metered_collector_errors",
            "pool_load_ratio",
            "workers"
        ]
    );
    let workers = &families[3].header;
    assert_eq!(workers.kind, MetricKind::Gauge);
    assert_eq!(workers.help, "Workers by state.");
    assert_eq!(workers.label_keys, ["state", "arch"]);
    assert_eq!(
        flat(&s)[3].1,
        [
            (labels(&[("state", "busy"), ("arch", "")]), Value::Gauge(1)),
            (
                labels(&[("state", "busy"), ("arch", "arm64")]),
                Value::Gauge(2)
            ),
            (
                labels(&[("state", "idle"), ("arch", "amd64")]),
                Value::Gauge(3)
            ),
        ]
    );
    assert_eq!(flat(&s)[2].1, [(vec![], Value::FloatGauge(0.25))]);
    assert_eq!(errors_of(&s, "pool"), Some(0));
    assert_eq!(failure_of(&s, "pool"), None);
    // The flat list stays sorted by name, and the JSON view nests collector families too.
    let metric_names: Vec<&str> = s.metrics().iter().map(|m| m.name.as_str()).collect();
    let mut sorted = metric_names.clone();
    sorted.sort_unstable();
    assert_eq!(metric_names, sorted);
    assert_eq!(
        s.to_json(),
        concat!(
            r#"{"app":{"requests":{"value":5}},"#,
            r#""metered":{"collector":{"errors":{"collector=pool":{"value":0}}}},"#,
            r#""pool":{"load":{"value":0.25}},"#,
            r#""workers":{"state=busy,arch=":{"value":1},"state=busy,arch=arm64":{"value":2},"#,
            r#""state=idle,arch=amd64":{"value":3}}}"#
        )
    );
    // Registered metrics and collectors are listed apart.
    assert_eq!(r.names(), ["app.requests"]);
    assert_eq!(r.collector_names(), ["pool"]);
}

#[test]
fn histograms_at_custom_bounds_from_per_bucket_or_cumulative_counts() {
    const DAYS: [f64; 8] = [1.0, 3.0, 7.0, 14.0, 30.0, 90.0, 365.0, f64::INFINITY];
    let registry = Registry::new();
    registry
        .register_collector("users", |out: &mut Collection| {
            let mut h =
                out.histogram("user_activity", "Days since activity.", &["scope"], &DAYS)?;
            h.per_bucket(&[("scope", "a")], &[4, 2, 0, 1, 0, 0, 3, 5], 2000.0)?;
            h.cumulative(&[("scope", "b")], &[1, 1, 1, 1, 1, 1, 1, 2], 400.5)?;
            // Bounds without the +Inf are the same bounds.
            out.histogram("other", "", &[], &DAYS[..7])?
                .cumulative(&[], &[0; 8], 0.0)?;
            Ok(())
        })
        .unwrap();
    let snap = registry.snapshot();
    let Value::Histogram(a) = &snap
        .metrics()
        .iter()
        .find(|m| m.labels == labels(&[("scope", "a")]))
        .unwrap()
        .value
    else {
        panic!("not a histogram")
    };
    let expected: Vec<(f64, u64)> = DAYS
        .iter()
        .copied()
        .zip([4, 6, 6, 7, 7, 7, 10, 15])
        .collect();
    assert_eq!(a.buckets, expected);
    assert_eq!((a.count, a.sum, a.window_count), (15, 2000.0, 15));
    assert!((a.mean - 2000.0 / 15.0).abs() < 1e-12);
    assert!(a.min.is_nan() && a.max.is_nan() && a.quantiles.q50.is_nan());
    let Value::Histogram(b) = &snap
        .metrics()
        .iter()
        .find(|m| m.labels == labels(&[("scope", "b")]))
        .unwrap()
        .value
    else {
        panic!("not a histogram")
    };
    assert_eq!(
        (b.count, b.sum, b.buckets[7]),
        (2, 400.5, (f64::INFINITY, 2))
    );
    let Value::Histogram(o) = &snap.get("other").unwrap().value else {
        panic!("not a histogram")
    };
    assert_eq!(o.buckets.len(), 8);
    assert_eq!(o.count, 0);
    let family = snap
        .families()
        .into_iter()
        .find(|f| f.header.exposition_name == "user_activity")
        .unwrap();
    assert_eq!(family.header.kind, MetricKind::Histogram);
    assert_eq!(family.series.len(), 2);
    // Unknown statistics are null in JSON, never NaN.
    let json = snap.to_json();
    assert!(!json.contains("NaN"), "{json}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["user_activity"]["scope=a"]["count"], 15);
    assert!(parsed["user_activity"]["scope=a"]["q50"].is_null());
}

#[test]
fn results_are_reused_for_the_cache_time_on_the_registry_clock() {
    let clock = Arc::new(ManualClock::new());
    let r = Registry::with_clock(clock.clone());
    let runs = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&runs);
    r.register_collector_cached(
        "db",
        Duration::from_secs(30),
        move |out: &mut Collection| {
            let n = counted.fetch_add(1, Ordering::Relaxed) + 1;
            out.gauge("rows", "Rows.", &[])?
                .set(&[], i64::try_from(n)?)?;
            Ok(())
        },
    )
    .unwrap();
    let uncached = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&uncached);
    r.register_collector("cheap", move |out: &mut Collection| {
        counted.fetch_add(1, Ordering::Relaxed);
        out.gauge("cheap", "", &[])?.set(&[], 1)?;
        Ok(())
    })
    .unwrap();
    let rows = |s: &Snapshot| s.get("rows").unwrap().value.clone();
    assert_eq!(rows(&r.snapshot()), Value::Gauge(1));
    clock.advance(Duration::from_secs(29));
    assert_eq!(rows(&r.snapshot()), Value::Gauge(1));
    clock.advance(Duration::from_secs(1));
    assert_eq!(rows(&r.snapshot()), Value::Gauge(2));
    assert_eq!(rows(&r.snapshot()), Value::Gauge(2));
    assert_eq!(runs.load(Ordering::Relaxed), 2);
    assert_eq!(uncached.load(Ordering::Relaxed), 4);
}

#[test]
fn a_failing_collector_gives_error_series_and_the_rest_of_the_snapshot_stays() {
    let clock = Arc::new(ManualClock::new());
    let r = Registry::with_clock(clock.clone());
    r.gauge("app.up").unwrap().set(1);
    r.register_collector("broken", |out: &mut Collection| {
        out.gauge("half", "", &[])?.set(&[], 1)?;
        Err("database is locked".into())
    })
    .unwrap();
    r.register_collector_cached("panics", Duration::from_secs(10), |_: &mut Collection| {
        panic!("index out of range")
    })
    .unwrap();
    r.register_collector("fine", |out: &mut Collection| {
        out.gauge("fine", "", &[])?.set(&[], 7)?;
        Ok(())
    })
    .unwrap();
    let s = r.snapshot();
    assert_eq!(s.get("app.up").unwrap().value, Value::Gauge(1));
    assert_eq!(s.get("fine").unwrap().value, Value::Gauge(7));
    assert!(
        s.get("half").is_none(),
        "a failed run yields none of its families"
    );
    assert_eq!(failure_of(&s, "broken").unwrap(), "database is locked");
    assert_eq!(
        failure_of(&s, "panics").unwrap(),
        "panicked: index out of range"
    );
    assert_eq!(failure_of(&s, "fine"), None);
    assert_eq!(errors_of(&s, "broken"), Some(1));
    assert_eq!(errors_of(&s, "panics"), Some(1));
    assert_eq!(errors_of(&s, "fine"), Some(0));
    let json: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(
        json["metered"]["collector"]["failure"]["collector=panics"]["error"],
        "panicked: index out of range"
    );
    // Runs count, cached failures do not.
    let s = r.snapshot();
    assert_eq!(errors_of(&s, "broken"), Some(2));
    assert_eq!(errors_of(&s, "panics"), Some(1));
    clock.advance(Duration::from_secs(10));
    assert_eq!(errors_of(&r.snapshot(), "panics"), Some(2));
    // The error families are one family each, labelled by collector.
    let families = s.families();
    let errors = families
        .iter()
        .find(|f| f.header.exposition_name == "metered_collector_errors")
        .unwrap();
    assert_eq!(errors.header.kind, MetricKind::Counter);
    assert_eq!(errors.header.label_keys, ["collector"]);
    assert_eq!(errors.series.len(), 3);
}

#[test]
fn a_family_clashing_in_the_exposition_is_left_out_and_reported() {
    let r = Registry::new();
    r.counter("jobs").unwrap().inc(); // takes jobs, jobs_total, jobs_created
    r.gauge("queue.depth").unwrap().set(2);
    r.register_collector("a", |out: &mut Collection| {
        out.gauge("jobs_total", "", &[])?.set(&[], 9)?; // a sample of the counter
        out.gauge("queue_depth", "", &[])?.set(&[], 9)?; // the gauge's exposition name
        out.gauge("queue", "", &[])?.set(&[], 9)?; // a dotted prefix of a registered name
        out.gauge("shared", "", &[])?.set(&[], 1)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("b", |out: &mut Collection| {
        out.gauge("shared", "", &[])?.set(&[], 2)?; // collector a has it
        out.gauge("own", "", &[])?.set(&[], 3)?;
        Ok(())
    })
    .unwrap();
    let s = r.snapshot();
    let names: Vec<String> = flat(&s).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "jobs",
            "metered_collector_errors",
            "metered_collector_failure",
            "own",
            "queue_depth",
            "shared"
        ]
    );
    assert_eq!(s.get("queue.depth").unwrap().value, Value::Gauge(2));
    assert_eq!(s.get("shared").unwrap().value, Value::Gauge(1));
    let a = failure_of(&s, "a").unwrap();
    assert_eq!(
        a,
        "family \"jobs_total\" left out: \"jobs_total\" exports the name \"jobs_total\", which \
         the registered family \"jobs\" exports too; family \"queue_depth\" left out: \
         \"queue_depth\" exports the name \"queue_depth\", which the registered family \
         \"queue_depth\" exports too; family \"queue\" left out: \"queue\" overlaps the \
         registered name \"queue.depth\": one is a dotted prefix of the other"
    );
    assert!(failure_of(&s, "b").unwrap().contains("\"shared\""));
    assert_eq!(errors_of(&s, "a"), Some(1));
    assert_eq!(errors_of(&s, "b"), Some(1));
}

#[test]
fn bad_collector_output_is_an_err_never_a_panic() {
    let mut out = Collection::default();
    assert!(matches!(
        out.gauge("a..b", "", &[]),
        Err(Error::InvalidName { .. })
    ));
    assert!(matches!(
        out.gauge("a", "", &["k", "k"]),
        Err(Error::InvalidLabel { .. })
    ));
    assert!(matches!(
        out.gauge("b", "", &["bad-key"]),
        Err(Error::InvalidLabel { .. })
    ));
    assert!(matches!(
        out.histogram("h", "", &["le"], &[1.0]),
        Err(Error::InvalidLabel { .. })
    ));
    assert!(matches!(
        out.histogram("h", "", &[], &[2.0, 1.0]),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        out.histogram("h", "", &[], &[f64::NAN]),
        Err(Error::InvalidConfig { .. })
    ));
    let mut h = out.histogram("h", "", &[], &[1.0, 2.0]).unwrap();
    assert_eq!(
        h.cumulative(&[], &[3, 2, 4], 1.0).unwrap_err().to_string(),
        "collected histogram \"h\" rejects the value [3, 2, 4] (cumulative counts must not decrease)"
    );
    assert!(h.cumulative(&[], &[1, 2], 1.0).is_err());
    assert!(h.cumulative(&[], &[1, 2, 3], f64::NAN).is_err());
    assert!(h.per_bucket(&[], &[u64::MAX, 1, 0], 1.0).is_err());
    assert!(matches!(
        out.gauge("h", "", &[]),
        Err(Error::InvalidConfig { .. })
    ));
    let mut f = out.float_gauge("f", "", &["k"]).unwrap();
    assert!(f.set(&[], f64::NAN).is_err());
    assert!(f.set(&[("k", "1"), ("k", "2")], 1.0).is_err());
    assert_eq!(
        f.set(&[("x", "1")], 1.0).unwrap_err().to_string(),
        "invalid labels for \"f\": label key \"x\" is not one of the family's keys [k]"
    );
    let mut c = out.float_counter("fc", "", &[]).unwrap();
    assert_eq!(
        c.set(&[], -0.5).unwrap_err().to_string(),
        "collected counter \"fc\" rejects the value -0.5"
    );
    assert!(c.set(&[], f64::INFINITY).is_err());
    assert!(c.set(&[], -0.0).is_ok()); // zero, whatever its sign
    let r = Registry::new();
    r.register_collector("c", |_: &mut Collection| Ok(()))
        .unwrap();
    assert!(
        r.register_collector("c", |_: &mut Collection| Ok(()))
            .is_err()
    );
    assert!(
        r.register_collector("", |_: &mut Collection| Ok(()))
            .is_err()
    );
    assert!(r.remove_collector("c"));
    assert!(!r.remove_collector("c"));
    assert!(r.snapshot().metrics().is_empty());
}

#[cfg(target_os = "linux")]
#[test]
fn process_statistics_are_plausible() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let s = ProcessStats::read().unwrap();
    assert!(s.resident_memory_bytes > 0);
    assert!(s.resident_memory_max_bytes >= s.resident_memory_bytes);
    assert!(s.virtual_memory_bytes >= s.resident_memory_bytes);
    // btime is whole seconds, so the start can read up to a second late.
    assert!(
        s.start_time_seconds <= now + 1.0,
        "{} > {now}",
        s.start_time_seconds
    );
    assert!(
        s.start_time_seconds > now - 3600.0,
        "{}",
        s.start_time_seconds
    );
    assert!(s.open_fds >= 3 && s.max_fds >= s.open_fds, "{s:?}");
    assert!(s.threads >= 1);
    assert!(s.cpu_user_seconds >= 0.0 && s.cpu_system_seconds >= 0.0);
    assert_eq!(s.clk_tck, 100);

    let r = Registry::new();
    r.register_collector("process", ProcessCollector::new())
        .unwrap();
    let snap = r.snapshot();
    let names: Vec<String> = flat(&snap).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "metered_collector_errors",
            "process_cpu_seconds",
            "process_cpu_system_seconds",
            "process_cpu_user_seconds",
            "process_max_fds",
            "process_open_fds",
            "process_resident_memory_bytes",
            "process_resident_memory_max_bytes",
            "process_start_time_seconds",
            "process_threads",
            "process_virtual_memory_bytes",
        ]
    );
    let Value::Gauge(rss) = snap.get("process.resident_memory_bytes").unwrap().value else {
        panic!("not a gauge")
    };
    assert!(rss > 0);
    // Exact to the tick: user and system time are each a whole number of ticks.
    let Value::FloatCounter(cpu) = snap.get("process.cpu_seconds_total").unwrap().value else {
        panic!("not a fractional counter")
    };
    let ticks = cpu * 100.0;
    assert!((ticks - ticks.round()).abs() < 1e-6, "{cpu}");
    assert!(
        cpu >= s.cpu_user_seconds + s.cpu_system_seconds - 1e-9,
        "{cpu} {s:?}"
    );
    let ticks = s.cpu_seconds * 100.0;
    assert!((ticks - ticks.round()).abs() < 1e-6, "{s:?}");
    assert!((s.cpu_seconds - (s.cpu_user_seconds + s.cpu_system_seconds)).abs() < 1e-9);
    assert_eq!(errors_of(&snap, "process"), Some(0));
}

#[test]
fn the_latency_probe_records_how_late_it_wakes() {
    let r = Registry::new();
    let probe = LatencyProbe::start(&r, "sched.latency", Duration::from_millis(2)).unwrap();
    let timer = r.find::<Timer>("sched.latency").unwrap().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while timer.count() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(probe);
    let after_stop = timer.count();
    assert!(after_stop >= 3, "{after_stop}");
    let snap = timer.snapshot();
    // Lateness is never negative and, on any machine that runs these tests, under a second.
    assert!(
        snap.histogram.min >= 0.0 && snap.histogram.max < 1.0,
        "{snap:?}"
    );
    // At the probe's fine bounds, 10 µs to 1 s, +Inf last.
    let bounds: Vec<f64> = snap.histogram.buckets.iter().map(|(le, _)| *le).collect();
    let mut expected = LatencyProbe::LATENESS_BOUNDS.to_vec();
    expected.push(f64::INFINITY);
    assert_eq!(bounds, expected);
    assert_eq!(
        snap.histogram.buckets.last().unwrap().1,
        snap.histogram.count
    );
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(
        timer.count(),
        after_stop,
        "the thread stopped with the probe"
    );
    assert!(LatencyProbe::start(&r, "sched.latency", Duration::ZERO).is_err());
    assert!(LatencyProbe::start(&r, "sched", Duration::from_secs(1)).is_err()); // overlaps
}

#[test]
fn concurrent_snapshots_wait_for_one_run_of_a_cached_collector() {
    let r = Arc::new(Registry::with_clock(Arc::new(ManualClock::new())));
    let runs = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&runs);
    r.register_collector_cached(
        "slow",
        Duration::from_secs(30),
        move |out: &mut Collection| {
            counted.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
            out.gauge("slow", "", &[])?.set(&[], 1)?;
            Ok(())
        },
    )
    .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let r = Arc::clone(&r);
            std::thread::spawn(move || r.snapshot().get("slow").unwrap().value.clone())
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), Value::Gauge(1));
    }
    assert_eq!(runs.load(Ordering::Relaxed), 1);
}

#[test]
fn a_collector_that_snapshots_its_own_registry_fails_instead_of_deadlocking() {
    let r = Arc::new(Registry::new());
    let inner = Arc::downgrade(&r);
    let seen = Arc::new(std::sync::Mutex::new(None));
    let seen_inside = Arc::clone(&seen);
    r.register_collector("nosy", move |out: &mut Collection| {
        if let Some(r) = inner.upgrade() {
            *seen_inside.lock().unwrap() = failure_of(&r.snapshot(), "nosy");
        }
        out.gauge("nosy", "", &[])?.set(&[], 1)?;
        Ok(())
    })
    .unwrap();
    let s = r.snapshot();
    assert_eq!(s.get("nosy").unwrap().value, Value::Gauge(1));
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some("the collector took a snapshot of its own registry while it ran")
    );
    assert_eq!(errors_of(&s, "nosy"), Some(0));
}

#[test]
fn an_encoder_walks_collector_families_like_registered_ones() {
    use metered_runtime::snapshot::{FamilyHeader, Series, Visit};
    use metered_runtime::{HistogramSnapshot, MeterSnapshot, TimerSnapshot};
    use std::fmt::Write as _;

    /// Writes one line per family and per series.
    struct Lines(String);
    impl Lines {
        fn series(&mut self, s: &Series<'_>, v: &str) -> std::fmt::Result {
            let l: Vec<String> = s.labels().map(|(k, v)| format!("{k}={v:?}")).collect();
            writeln!(self.0, "  {{{}}} {v}", l.join(","))
        }
    }
    impl Visit for Lines {
        type Error = std::fmt::Error;
        fn family(&mut self, f: &FamilyHeader<'_>) -> std::fmt::Result {
            writeln!(self.0, "{} {} {:?}", f.exposition_name, f.kind, f.help)
        }
        fn counter(&mut self, s: &Series<'_>, n: u64) -> std::fmt::Result {
            self.series(s, &n.to_string())
        }
        fn float_counter(&mut self, s: &Series<'_>, n: f64) -> std::fmt::Result {
            self.series(s, &format!("{n} (fractional)"))
        }
        fn gauge(&mut self, s: &Series<'_>, v: i64) -> std::fmt::Result {
            self.series(s, &v.to_string())
        }
        fn up_down_counter(&mut self, s: &Series<'_>, v: i64) -> std::fmt::Result {
            self.series(s, &v.to_string())
        }
        fn float_gauge(&mut self, s: &Series<'_>, v: f64) -> std::fmt::Result {
            self.series(s, &v.to_string())
        }
        fn meter(&mut self, s: &Series<'_>, m: &MeterSnapshot) -> std::fmt::Result {
            self.series(s, &m.count.to_string())
        }
        fn histogram(&mut self, s: &Series<'_>, h: &HistogramSnapshot) -> std::fmt::Result {
            let b: Vec<String> = h
                .buckets
                .iter()
                .map(|(le, n)| format!("{le}:{n}"))
                .collect();
            self.series(s, &format!("{} {} [{}]", h.count, h.sum, b.join(" ")))
        }
        fn timer(&mut self, s: &Series<'_>, t: &TimerSnapshot) -> std::fmt::Result {
            self.series(s, &t.histogram.count.to_string())
        }
        fn error(&mut self, s: &Series<'_>, e: &str) -> std::fmt::Result {
            self.series(s, &format!("error {e:?}"))
        }
    }

    let r = Registry::new();
    r.gauge("queue").unwrap().set(4);
    r.register_collector("db", |out: &mut Collection| {
        out.histogram("age", "Age in days.", &["scope"], &[1.0, 7.0])?
            .per_bucket(&[("scope", "x")], &[1, 0, 2], 30.0)?;
        out.counter("jobs_total", "Jobs.", &[])?.set(&[], 12)?;
        out.float_counter("cpu_seconds", "CPU time.", &["mode"])?
            .set(&[("mode", "user")], 1.25)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("down", |_: &mut Collection| Err("no route".into()))
        .unwrap();
    let mut out = Lines(String::new());
    r.snapshot().visit(&mut out).unwrap();
    assert_eq!(
        out.0,
        r#"age histogram "Age in days."
  {scope="x"} 3 30 [1:1 7:1 inf:3]
cpu_seconds counter "CPU time."
  {mode="user"} 1.25 (fractional)
jobs counter "Jobs."
  {} 12
metered_collector_errors counter "Runs of a collector that failed (an error, a panic, a family refused)."
  {collector="db"} 0
  {collector="down"} 1
metered_collector_failure gauge "Why a collector's output is missing from this snapshot (JSON view only)."
  {collector="down"} error "no route"
queue gauge ""
  {} 4
"#
    );
}
