//! The registry path of the text encoders (`encode_registry`, what `render` and the endpoint
//! use) writes exactly what the snapshot path writes for `Scrape::of`, for registries holding
//! every kind, families of every kind with overflow, type-label families, constant labels,
//! hostile label values, failing function gauges, collectors (failing ones too), names that
//! clash with the toolkit's own, and after metrics and label sets are added between scrapes.
#![cfg(all(feature = "prometheus", feature = "openmetrics"))]

use metered_runtime::collector::Collection;
use metered_runtime::export::render::{Format, render};
use metered_runtime::export::{Options, Scrape, openmetrics, prometheus};
use metered_runtime::{
    Descriptor, HistogramConfig, Registry, StaticMetric, Timer, TypeLabel, Unit,
};
use std::time::Duration;

fn leaked_timer(
    name: &'static str,
    value: &'static str,
    help: &'static str,
) -> &'static Descriptor {
    let timer: &'static Timer = Box::leak(Box::new(Timer::with_config(
        HistogramConfig::new().bounds(&[0.01, 0.1]),
    )));
    timer.record(Duration::from_millis(value.len() as u64 * 7));
    Box::leak(Box::new(
        Descriptor::new(name, StaticMetric::Timer(timer))
            .help(help)
            .type_label(TypeLabel {
                family: "my.http.endpoints.latency",
                key: "type",
                value,
            }),
    ))
}

fn leaked_counter(
    name: &'static str,
    labels: &'static [(&'static str, &'static str)],
) -> &'static Descriptor {
    let c: &'static metered_runtime::Counter = Box::leak(Box::new(metered_runtime::Counter::new()));
    c.add(name.len() as u64);
    Box::leak(Box::new(
        Descriptor::new(name, StaticMetric::Counter(c))
            .labels(labels)
            .unit(Unit::Bytes),
    ))
}

/// Bounds for the histograms of 15, 16 and 17 bounds.
static B17: [f64; 17] = [
    1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0,
];

/// A registry with everything the encoders handle; the same every call.
fn everything() -> Registry {
    let r = Registry::new();
    for (name, value, help) in [
        ("my.http.endpoints.Zed.latency", "Zed", "Handler latency."),
        (
            "my.http.endpoints.Alpha.latency",
            "Alpha",
            "Handler latency.",
        ),
        ("my.http.endpoints.Mid.latency", "Mid", "Handler latency."),
    ] {
        r.register(leaked_timer(name, value, help)).unwrap();
    }
    r.register(leaked_counter(
        "net.sent",
        &[("peer", "a\"b"), ("zone", "eu\n1")],
    ))
    .unwrap();
    r.counter("app.requests.total").unwrap().add(3);
    r.gauge("app.queue").unwrap().set(-2);
    r.up_down_counter("app.inFlight").unwrap().add(4);
    r.float_gauge("app.temp").unwrap().set(0.5);
    r.float_gauge("app.ceiling").unwrap().set(f64::NEG_INFINITY);
    r.float_gauge("app.nan").unwrap().set(f64::NAN);
    r.fn_gauge("app.load", || 1.25).unwrap();
    r.fn_gauge("app.broken", || f64::NAN).unwrap();
    r.fn_gauge("app.panics", || panic!("sensor gone")).unwrap();
    r.meter("app.jobs").unwrap().mark_n(2);
    // The toolkit's own names, taken by user metrics: left out as name clashes.
    r.gauge("metered.export.problems").unwrap().set(9);
    r.counter("metered.family.overflowed").unwrap().inc();
    let h = r
        .histogram_with("app.batch", HistogramConfig::new().bounds(&[1.0, 10.0]))
        .unwrap();
    h.record(3.0).unwrap();
    h.record(30.0).unwrap();
    // Fifteen, sixteen and seventeen bounds (the bound counters' two layouts), values above.
    for n in [15, 16, 17] {
        let h = r
            .histogram_with(
                &format!("app.wide{n}"),
                HistogramConfig::new().bounds(&B17[..n]),
            )
            .unwrap();
        for v in [0.0, 0.5, 3.0, 15.5, 16.5, 17.0, 99.0, 1e9] {
            h.record(v).unwrap();
        }
    }
    let sketchy = r.histogram("app.sketchy").unwrap();
    for v in [0.3, 7.0, 420.0, 1e7] {
        sketchy.record(v).unwrap();
    }
    r.timer("app.call")
        .unwrap()
        .record(Duration::from_millis(40));
    let hits = r.counter_family("app.hits", &["path", "method"]).unwrap();
    hits.get(&["a\"b\\c\nd ünï", "GET"]).unwrap().inc();
    hits.get(&["/", "POST"]).unwrap().add(2);
    hits.get(&["/", ""]).unwrap().add(5);
    hits.get(&["/a-very-long-path/that/does/not/pack", "GET"])
        .unwrap()
        .add(7);
    let capped = r.gauge_family("app.capped", &["id"]).unwrap();
    for i in 0..1003 {
        capped.get(&[&i.to_string()]).unwrap().set(i);
    }
    r.up_down_counter_family("app.slots", &["pool"])
        .unwrap()
        .get(&["main"])
        .unwrap()
        .add(-3);
    r.float_gauge_family("app.ratio", &["kind"])
        .unwrap()
        .get(&["x"])
        .unwrap()
        .set(0.1);
    r.meter_family("app.events", &["kind"])
        .unwrap()
        .get(&["click"])
        .unwrap()
        .mark_n(4);
    let sizes = r.histogram_family("app.sizes", &["queueName"]).unwrap();
    sizes.get(&["q1"]).unwrap().record(12.0).unwrap();
    let lat = r.timer_family("app.latency", &["route"]).unwrap();
    lat.get(&["/x"]).unwrap().record(Duration::from_millis(3));
    // A labelled family without children: not listed, but its overflow count is.
    r.counter_family("app.unused", &["k"]).unwrap();
    r.register_collector("db", |out: &mut Collection| {
        out.gauge("work.requests", "Work requests.", &["task_type", "status"])?
            .set(&[("task_type", "build"), ("status", "pending")], 3)?
            .set(&[("status", "running")], 1)?;
        out.histogram("user.activity", "Users.", &[], &[1.0, 7.0])?
            .cumulative(&[], &[2, 5, 6], 40.0)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("broken", |_: &mut Collection| Err("database away".into()))
        .unwrap();
    r
}

/// Both paths on two registries built alike (collectors count their runs, so each registry
/// is read once per path).
fn assert_same(build: &dyn Fn() -> Registry) {
    let (a, b) = (build(), build());
    let om = openmetrics::registry_to_string(&a, &Options::new());
    assert_eq!(om, openmetrics::to_string(&Scrape::of(&b), &Options::new()));
    let text = prometheus::registry_to_string(&a, &Options::new());
    assert_eq!(
        text,
        prometheus::to_string(&Scrape::of(&b), &Options::new())
    );
}

#[test]
fn registry_path_writes_what_the_snapshot_path_writes() {
    assert_same(&everything);
    let text = prometheus::registry_to_string(&everything(), &Options::new());
    // The cases are really there.
    for needle in [
        "\napp_hits_total{path=\"a\\\"b\\\\c\\nd ünï\",method=\"GET\"} 1\n",
        "\napp_capped{id=\"__overflow__\"} 1002\n",
        "\nmy_http_endpoints_latency_seconds_count{type=\"Alpha\"} 1\n",
        "\nnet_sent_bytes_total{peer=\"a\\\"b\",zone=\"eu\\n1\"} 8\n",
        "\napp_sketchy_bucket{le=\"+Inf\"} 4\n",
        "\napp_wide16_bucket{le=\"16.0\"} 4\n",
        "\napp_wide16_count 8\n",
        "\napp_wide17_count 8\n",
        "\napp_wide15_bucket{le=\"+Inf\"} 8\n",
        "\nmetered_export_problems{reason=\"name_clash\"} 2\n",
        "\nmetered_export_problems{reason=\"fn_gauge_failed\"} 2\n",
        "\nmetered_export_problems{reason=\"collector_failed\"} 1\n",
        "\nmetered_family_overflowed_total{family=\"app_unused\"} 0\n",
        "\nwork_requests{task_type=\"build\",status=\"pending\"} 3\n",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

#[test]
fn registry_path_follows_new_metrics_and_label_sets() {
    let grow = |r: &Registry| {
        let hits = r.counter_family("app.hits", &["path", "method"]).unwrap();
        hits.get(&["/new", "GET"]).unwrap().add(11);
        hits.get(&["/", "POST"]).unwrap().inc();
        r.counter_family("app.unused", &["k"])
            .unwrap()
            .get(&["now"])
            .unwrap()
            .inc();
        r.counter("app.added").unwrap().add(5);
        r.register(leaked_timer(
            "my.http.endpoints.Beta.latency",
            "Beta",
            "Handler latency.",
        ))
        .unwrap();
    };
    let (a, b) = (everything(), everything());
    // A first scrape keeps what the registry path derives; the second must see the changes.
    let _ = prometheus::registry_to_string(&a, &Options::new());
    let _ = prometheus::to_string(&Scrape::of(&b), &Options::new());
    grow(&a);
    grow(&b);
    let text = prometheus::registry_to_string(&a, &Options::new());
    assert_eq!(
        text,
        prometheus::to_string(&Scrape::of(&b), &Options::new())
    );
    assert!(text.contains("\napp_hits_total{path=\"/new\",method=\"GET\"} 11\n"));
    assert!(text.contains("\napp_hits_total{path=\"/\",method=\"POST\"} 3\n"));
    assert!(text.contains("\napp_unused_total{k=\"now\"} 1\n"));
    assert!(text.contains("\napp_added_total 5\n"));
    assert!(text.contains("_count{type=\"Beta\"} 1\n"));
    // Values recorded after the label sets were rendered are read live.
    a.counter_family("app.hits", &["path", "method"])
        .unwrap()
        .get(&["/new", "GET"])
        .unwrap()
        .add(100);
    let text = openmetrics::registry_to_string(&a, &Options::new());
    assert!(text.contains("\napp_hits_total{path=\"/new\",method=\"GET\"} 111\n"));
}

#[test]
fn options_beyond_the_defaults_take_the_snapshot_path() {
    let opts = Options::new().meter_rates(true).summaries(true);
    let (a, b) = (everything(), everything());
    let text = openmetrics::registry_to_string(&a, &opts);
    assert!(text.contains("# TYPE app_jobs_rate gauge\n"));
    assert!(text.contains("# TYPE app_batch_quantiles summary\n"));
    // Rates depend on time: compare the lines that do not.
    let stable = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains("_rate") && !l.contains("_quantiles"))
            .map(str::to_owned)
            .collect()
    };
    let other = openmetrics::to_string(&Scrape::of(&b), &opts);
    assert_eq!(stable(&text), stable(&other));
}

#[test]
fn render_of_a_registry_is_its_registry_path() {
    let (a, b) = (everything(), everything());
    let out = render(&a, Some("application/openmetrics-text"), None);
    assert_eq!(out.format, Format::OpenMetrics);
    let mut expected = Vec::new();
    Format::OpenMetrics.encode(&Scrape::of(&b), &Options::new(), &mut expected);
    assert_eq!(
        String::from_utf8(out.body).unwrap(),
        String::from_utf8(expected).unwrap()
    );
}
