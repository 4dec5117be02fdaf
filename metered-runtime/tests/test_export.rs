//! Golden tests of the Prometheus 0.0.4 and `OpenMetrics` encoders: whole strings, every kind,
//! and every way a metric is left out.
#![cfg(all(feature = "prometheus", feature = "openmetrics"))]
#![allow(
    clippy::float_cmp,
    clippy::many_single_char_names,
    clippy::doc_markdown,
    reason = "exact values on purpose; short names in tests; OpenMetrics is a name"
)]

use metered_runtime::export::{Options, ProblemKind, Scrape, openmetrics, prometheus};
use metered_runtime::{
    Descriptor, HistogramConfig, ManualClock, Meter, Registry, StaticMetric, Timer, TypeLabel, Unit,
};
use std::sync::Arc;
use std::time::Duration;

/// A timer in a leaked static with a type label (each test gets its own).
fn type_label_timer(name: &'static str, value: &'static str) -> &'static Descriptor {
    let timer: &'static Timer = Box::leak(Box::new(Timer::with_config(
        HistogramConfig::new().bounds(&[0.01, 0.1]),
    )));
    Box::leak(Box::new(
        Descriptor::new(name, StaticMetric::Timer(timer))
            .help("Handler latency.")
            .type_label(TypeLabel {
                family: "my.http.endpoints.latency",
                key: "type",
                value,
            }),
    ))
}

fn timer_of(d: &Descriptor) -> &'static Timer {
    match d.metric() {
        StaticMetric::Timer(t) => t,
        _ => unreachable!("a timer descriptor"),
    }
}

/// One metric of every kind, a type-label family, a labelled family with hostile values.
fn every_kind() -> Registry {
    let r = Registry::new();
    let a = type_label_timer("my.http.endpoints.MyImplHandler.latency", "MyImplHandler");
    let b = type_label_timer("my.http.endpoints.OtherHandler.latency", "OtherHandler");
    r.register(a).unwrap();
    r.register(b).unwrap();
    timer_of(a).record(Duration::from_millis(5));
    timer_of(a).record(Duration::from_millis(50));
    timer_of(b).record(Duration::from_secs(1));
    r.counter("app.requests.total").unwrap().add(3);
    r.gauge("app.queue").unwrap().set(-2);
    r.up_down_counter("app.inFlight").unwrap().add(4);
    r.float_gauge("app.temp").unwrap().set(0.5);
    r.float_gauge("app.ceiling").unwrap().set(f64::INFINITY);
    r.fn_gauge("app.load", || 1.25).unwrap();
    r.fn_gauge("app.broken", || f64::NAN).unwrap();
    r.meter("app.jobs").unwrap().mark_n(2);
    let h = r
        .histogram_with("app.batch", HistogramConfig::new().bounds(&[1.0, 10.0]))
        .unwrap();
    h.record(3.0).unwrap();
    h.record(30.0).unwrap();
    let f = r.counter_family("app.hits", &["path"]).unwrap();
    f.get(&["a\"b\\c\nd ünï"]).unwrap().inc();
    f.get(&["/"]).unwrap().add(2);
    r
}

const EVERY_KIND_PROMETHEUS: &str = r#"# HELP app_batch app.batch (histogram)
# TYPE app_batch histogram
app_batch_bucket{le="1.0"} 0
app_batch_bucket{le="10.0"} 1
app_batch_bucket{le="+Inf"} 2
app_batch_sum 33.0
app_batch_count 2
# HELP app_ceiling app.ceiling (float gauge)
# TYPE app_ceiling gauge
app_ceiling +Inf
# HELP app_hits_total app.hits (counter)
# TYPE app_hits_total counter
app_hits_total{path="/"} 2
app_hits_total{path="a\"b\\c\nd ünï"} 1
# HELP app_in_flight app.inFlight (up-down counter)
# TYPE app_in_flight gauge
app_in_flight 4
# HELP app_jobs_total app.jobs (meter)
# TYPE app_jobs_total counter
app_jobs_total 2
# HELP app_load app.load (function gauge)
# TYPE app_load gauge
app_load 1.25
# HELP app_queue app.queue (gauge)
# TYPE app_queue gauge
app_queue -2
# HELP app_requests_total app.requests.total (counter)
# TYPE app_requests_total counter
app_requests_total 3
# HELP app_temp app.temp (float gauge)
# TYPE app_temp gauge
app_temp 0.5
# HELP my_http_endpoints_latency_seconds Handler latency.
# TYPE my_http_endpoints_latency_seconds histogram
my_http_endpoints_latency_seconds_bucket{type="MyImplHandler",le="0.01"} 1
my_http_endpoints_latency_seconds_bucket{type="MyImplHandler",le="0.1"} 2
my_http_endpoints_latency_seconds_bucket{type="MyImplHandler",le="+Inf"} 2
my_http_endpoints_latency_seconds_sum{type="MyImplHandler"} 0.055
my_http_endpoints_latency_seconds_count{type="MyImplHandler"} 2
my_http_endpoints_latency_seconds_bucket{type="OtherHandler",le="0.01"} 0
my_http_endpoints_latency_seconds_bucket{type="OtherHandler",le="0.1"} 0
my_http_endpoints_latency_seconds_bucket{type="OtherHandler",le="+Inf"} 1
my_http_endpoints_latency_seconds_sum{type="OtherHandler"} 1.0
my_http_endpoints_latency_seconds_count{type="OtherHandler"} 1
# HELP metered_family_overflowed_total Label sets sent to a labelled family's overflow child because the family was full.
# TYPE metered_family_overflowed_total counter
metered_family_overflowed_total{family="app_hits"} 0
# HELP metered_export_problems Metrics left out of this exposition, by reason.
# TYPE metered_export_problems gauge
metered_export_problems{reason="fn_gauge_failed"} 1
metered_export_problems{reason="name_clash"} 0
metered_export_problems{reason="member_mismatch"} 0
metered_export_problems{reason="label_clash"} 0
metered_export_problems{reason="duplicate_series"} 0
metered_export_problems{reason="collector_failed"} 0
"#;

#[test]
fn every_kind_in_prometheus_text() {
    let text = prometheus::to_string(&Scrape::of(&every_kind()), &Options::new());
    assert_eq!(text, EVERY_KIND_PROMETHEUS);
}

#[test]
fn every_kind_in_openmetrics() {
    let text = openmetrics::to_string(&Scrape::of(&every_kind()), &Options::new());
    // The same samples; counter families named without `_total`, a UNIT line where there is a
    // unit, `# EOF` last.
    let expected = EVERY_KIND_PROMETHEUS
        .replace("# HELP app_hits_total", "# HELP app_hits")
        .replace("# TYPE app_hits_total", "# TYPE app_hits")
        .replace("# HELP app_jobs_total", "# HELP app_jobs")
        .replace("# TYPE app_jobs_total", "# TYPE app_jobs")
        .replace("# HELP app_requests_total", "# HELP app_requests")
        .replace("# TYPE app_requests_total", "# TYPE app_requests")
        .replace(
            "# HELP metered_family_overflowed_total",
            "# HELP metered_family_overflowed",
        )
        .replace(
            "# TYPE metered_family_overflowed_total",
            "# TYPE metered_family_overflowed",
        )
        .replace(
            "# TYPE my_http_endpoints_latency_seconds histogram\n",
            "# TYPE my_http_endpoints_latency_seconds histogram\n\
             # UNIT my_http_endpoints_latency_seconds seconds\n",
        )
        + "# EOF\n";
    assert_eq!(text, expected);
    assert_eq!(text.matches("# TYPE").count(), 12);
}

#[test]
fn broken_fn_gauge_is_left_out_with_its_message() {
    let problems = Scrape::of(&every_kind()).problems(&Options::new());
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::FnGaugeFailed);
    assert_eq!(
        problems[0].to_string(),
        "fn_gauge_failed: `app.broken` is left out: gauge function rejects the value NaN"
    );
}

#[test]
fn help_is_escaped_per_format() {
    static T: Timer = Timer::new();
    static D: Descriptor =
        Descriptor::new("svc.t", StaticMetric::Timer(&T)).help("Line one\nsays \"hi\" \\ there.");
    let r = Registry::new();
    r.register(&D).unwrap();
    let s = Scrape::of(&r);
    let p = prometheus::to_string(&s, &Options::new());
    let om = openmetrics::to_string(&s, &Options::new());
    assert_eq!(
        p.lines().next().unwrap(),
        r#"# HELP svc_t_seconds Line one\nsays "hi" \\ there."#
    );
    assert_eq!(
        om.lines().next().unwrap(),
        r#"# HELP svc_t_seconds Line one\nsays \"hi\" \\ there."#
    );
}

#[test]
fn units_become_suffixes_once() {
    static A: metered_runtime::Histogram =
        metered_runtime::Histogram::with_config(HistogramConfig::new().bounds(&[100.0]));
    static B: metered_runtime::Histogram =
        metered_runtime::Histogram::with_config(HistogramConfig::new().bounds(&[100.0]));
    static C: metered_runtime::Counter = metered_runtime::Counter::new();
    static DA: Descriptor =
        Descriptor::new("net.payload", StaticMetric::Histogram(&A)).unit(Unit::Bytes);
    static DB: Descriptor =
        Descriptor::new("net.read.bytes", StaticMetric::Histogram(&B)).unit(Unit::Bytes);
    static DC: Descriptor =
        Descriptor::new("net.sent.bytes.total", StaticMetric::Counter(&C)).unit(Unit::Bytes);
    let r = Registry::new();
    for d in [&DA, &DB, &DC] {
        r.register(d).unwrap();
    }
    let om = openmetrics::to_string(&Scrape::of(&r), &Options::new());
    let heads: Vec<&str> = om.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(
        heads[..9],
        [
            "# HELP net_payload_bytes net.payload (histogram)",
            "# TYPE net_payload_bytes histogram",
            "# UNIT net_payload_bytes bytes",
            "# HELP net_read_bytes net.read.bytes (histogram)",
            "# TYPE net_read_bytes histogram",
            "# UNIT net_read_bytes bytes",
            "# HELP net_sent_bytes net.sent.bytes.total (counter)",
            "# TYPE net_sent_bytes counter",
            "# UNIT net_sent_bytes bytes",
        ]
    );
    assert!(om.contains("\nnet_sent_bytes_total 0\n"));
}

#[test]
fn clashing_names_are_refused_by_the_registry_and_exported_once() {
    let r = Registry::new();
    r.counter("a.b_c").unwrap().add(2);
    let clash = r.counter("a_b.c").map(|_| ()).unwrap_err().to_string();
    assert!(clash.contains("a_b_c"), "{clash}");
    r.counter("x").unwrap().add(3);
    // `x_total` is the counter `x`'s sample name.
    assert!(r.gauge("x_total").is_err());
    let s = Scrape::of(&r);
    let text = prometheus::to_string(&s, &Options::new());
    assert_eq!(text.matches("# TYPE a_b_c_total counter").count(), 1);
    assert!(text.contains("\na_b_c_total 2\n"), "{text}");
    assert!(text.contains("\nx_total 3\n"));
    assert!(
        text.contains("metered_export_problems{reason=\"name_clash\"} 0\n"),
        "{text}"
    );
    assert!(s.problems(&Options::new()).is_empty());
}

#[test]
fn type_label_members_that_disagree_or_repeat_are_refused() {
    static T1: Timer = Timer::new();
    static T2: Timer = Timer::new();
    static C1: metered_runtime::Counter = metered_runtime::Counter::new();
    const fn member(family: &'static str, value: &'static str) -> TypeLabel {
        TypeLabel {
            family,
            key: "type",
            value,
        }
    }
    static D1: Descriptor = Descriptor::new("h.A.latency", StaticMetric::Timer(&T1))
        .type_label(member("h.latency", "A"));
    static D2: Descriptor = Descriptor::new("h2.A.latency", StaticMetric::Timer(&T2))
        .type_label(member("h.latency", "A"));
    static D3: Descriptor = Descriptor::new("h.B.latency", StaticMetric::Counter(&C1))
        .type_label(member("h.latency", "B"));
    let r = Registry::new();
    r.register(&D1).unwrap();
    assert!(r.register(&D2).is_err(), "a second member with type A");
    let other_kind = r.register(&D3).unwrap_err().to_string();
    assert!(
        other_kind.contains("they are a timer and a counter"),
        "{other_kind}"
    );
    let s = Scrape::of(&r);
    assert!(s.problems(&Options::new()).is_empty());
    let text = prometheus::to_string(&s, &Options::new());
    assert_eq!(
        text.matches("# TYPE h_latency_seconds histogram").count(),
        1
    );
    assert_eq!(
        text.matches("h_latency_seconds_count{type=\"A\"} 0")
            .count(),
        1
    );
    assert!(!text.contains("type=\"B\""), "{text}");
}

#[test]
fn label_keys_are_mapped_and_clashes_refused() {
    let r = Registry::new();
    assert!(
        r.counter_family("svc.calls", &["taskType", "task_type"])
            .is_err()
    );
    assert!(r.histogram_family("svc.sizes", &["le"]).is_err());
    let h = r.gauge_family("svc.depth", &["queueName"]).unwrap();
    h.get(&["q"]).unwrap().set(1);
    let s = Scrape::of(&r);
    let text = prometheus::to_string(&s, &Options::new());
    assert!(text.contains("\nsvc_depth{queue_name=\"q\"} 1\n"), "{text}");
    assert!(!text.contains("svc_calls_total{"));
    assert!(!text.contains("svc_sizes_bucket{"));
    assert!(s.problems(&Options::new()).is_empty());
}

#[test]
fn overflow_child_and_counter_are_visible() {
    let r = Registry::new();
    let f = r.counter_family("svc.by_id", &["id"]).unwrap();
    for i in 0..1003 {
        f.get(&[&i.to_string()]).unwrap().inc();
    }
    let text = openmetrics::to_string(&Scrape::of(&r), &Options::new());
    assert!(text.contains("\nsvc_by_id_total{id=\"__overflow__\"} 3\n"));
    assert!(text.contains("\nmetered_family_overflowed_total{family=\"svc_by_id\"} 3\n"));
    // Each family by its exposition name, as the registry computed it: a timer's has its unit.
    let t = r.timer_family("svc.latency", &["id"]).unwrap();
    for i in 0..1001 {
        t.get(&[&i.to_string()])
            .unwrap()
            .record(Duration::from_millis(1));
    }
    let text = openmetrics::to_string(&Scrape::of(&r), &Options::new());
    assert!(
        text.contains("\nmetered_family_overflowed_total{family=\"svc_latency_seconds\"} 1\n"),
        "{text}"
    );
    // A snapshot alone has no overflow counts, but the child is still there.
    let text = openmetrics::to_string(&Scrape::from(r.snapshot()), &Options::new());
    assert!(text.contains("\nsvc_by_id_total{id=\"__overflow__\"} 3\n"));
    assert!(!text.contains("metered_family_overflowed"));
}

#[test]
fn timers_without_bounds_use_the_default_ladder() {
    let r = Registry::new();
    let t = r.timer("svc.call").unwrap();
    t.record(Duration::from_millis(3));
    t.record(Duration::from_millis(40));
    t.record(Duration::from_secs(100));
    let text = prometheus::to_string(&Scrape::of(&r), &Options::new());
    let buckets: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("svc_call_seconds_bucket"))
        .collect();
    assert_eq!(
        buckets,
        [
            "svc_call_seconds_bucket{le=\"0.001\"} 0",
            "svc_call_seconds_bucket{le=\"0.0025\"} 0",
            "svc_call_seconds_bucket{le=\"0.005\"} 1",
            "svc_call_seconds_bucket{le=\"0.01\"} 1",
            "svc_call_seconds_bucket{le=\"0.025\"} 1",
            "svc_call_seconds_bucket{le=\"0.05\"} 2",
            "svc_call_seconds_bucket{le=\"0.1\"} 2",
            "svc_call_seconds_bucket{le=\"0.25\"} 2",
            "svc_call_seconds_bucket{le=\"0.5\"} 2",
            "svc_call_seconds_bucket{le=\"1.0\"} 2",
            "svc_call_seconds_bucket{le=\"2.5\"} 2",
            "svc_call_seconds_bucket{le=\"5.0\"} 2",
            "svc_call_seconds_bucket{le=\"10.0\"} 2",
            "svc_call_seconds_bucket{le=\"30.0\"} 2",
            "svc_call_seconds_bucket{le=\"60.0\"} 2",
            "svc_call_seconds_bucket{le=\"+Inf\"} 3",
        ]
    );
    assert!(text.contains("\nsvc_call_seconds_count 3\n"));
    assert!(!text.contains("summary"));
}

#[test]
fn rates_and_summaries_on_request() {
    let clock = Arc::new(ManualClock::new());
    let meter: &'static Meter = Box::leak(Box::new(Meter::with_clock(clock.clone())));
    let desc: &'static Descriptor = Box::leak(Box::new(
        Descriptor::new("jobs.done", StaticMetric::Meter(meter)).help("Jobs done."),
    ));
    let r = Registry::new();
    r.register(desc).unwrap();
    meter.mark_n(10);
    clock.advance(Duration::from_secs(5));
    let h = r
        .histogram_with(
            "jobs.size",
            HistogramConfig::new().bounds(&[10.0]).cumulative(),
        )
        .unwrap();
    h.record(4.0).unwrap();
    let s = Scrape::of(&r);
    let plain = openmetrics::to_string(&s, &Options::new());
    assert!(!plain.contains("_rate") && !plain.contains("_quantiles"));
    let text = openmetrics::to_string(&s, &Options::new().meter_rates(true).summaries(true));
    let rates = meter.snapshot();
    let (m1, m5, m15) = (
        format!("jobs_done_rate{{window=\"1m\"}} {:?}", rates.m1),
        format!("jobs_done_rate{{window=\"5m\"}} {:?}", rates.m5),
        format!("jobs_done_rate{{window=\"15m\"}} {:?}", rates.m15),
    );
    let lines: Vec<&str> = text.lines().take(18).collect();
    assert_eq!(
        lines,
        [
            "# HELP jobs_done Jobs done.",
            "# TYPE jobs_done counter",
            "jobs_done_total 10",
            "# HELP jobs_done_rate Jobs done. (rate per second)",
            "# TYPE jobs_done_rate gauge",
            &m1,
            &m5,
            &m15,
            "jobs_done_rate{window=\"lifetime\"} 2.0",
            "# HELP jobs_size jobs.size (histogram)",
            "# TYPE jobs_size histogram",
            "jobs_size_bucket{le=\"10.0\"} 1",
            "jobs_size_bucket{le=\"+Inf\"} 1",
            "jobs_size_sum 4.0",
            "jobs_size_count 1",
            "# HELP jobs_size_quantiles jobs.size (histogram) (windowed quantiles)",
            "# TYPE jobs_size_quantiles summary",
            "jobs_size_quantiles{quantile=\"0.5\"} 4.0",
        ]
    );
}

#[test]
fn collector_families_are_exported_and_failures_counted_apart() {
    use metered_runtime::collector::Collection;
    let r = Registry::new();
    r.counter("app.ok").unwrap().inc();
    r.register_collector("db", |out: &mut Collection| {
        out.gauge("work.requests", "Work requests.", &["task_type", "status"])?
            .set(&[("task_type", "build"), ("status", "pending")], 3)?
            .set(&[("status", "running")], 1)?;
        out.histogram(
            "user.activity",
            "Users by days since last activity.",
            &[],
            &[1.0, 7.0, 30.0],
        )?
        .cumulative(&[], &[2, 5, 5, 6], 140.0)?;
        out.float_counter("cpu.seconds", "CPU time.", &[])?
            .set(&[], 0.37)?;
        Ok(())
    })
    .unwrap();
    r.register_collector("broken", |_: &mut Collection| Err("database away".into()))
        .unwrap();
    r.register_collector("bad", |_: &mut Collection| std::panic::panic_any("boom"))
        .unwrap();
    let scrape = Scrape::of(&r);
    let text = openmetrics::to_string(&scrape, &Options::new());
    let expected = "\
# HELP app_ok app.ok (counter)
# TYPE app_ok counter
app_ok_total 1
# HELP cpu_seconds CPU time.
# TYPE cpu_seconds counter
cpu_seconds_total 0.37
# HELP metered_collector_errors Runs of a collector that failed (an error, a panic, a family refused).
# TYPE metered_collector_errors counter
metered_collector_errors_total{collector=\"bad\"} 1
metered_collector_errors_total{collector=\"broken\"} 1
metered_collector_errors_total{collector=\"db\"} 0
# HELP user_activity Users by days since last activity.
# TYPE user_activity histogram
user_activity_bucket{le=\"1.0\"} 2
user_activity_bucket{le=\"7.0\"} 5
user_activity_bucket{le=\"30.0\"} 5
user_activity_bucket{le=\"+Inf\"} 6
user_activity_sum 140.0
user_activity_count 6
# HELP work_requests Work requests.
# TYPE work_requests gauge
work_requests{task_type=\"\",status=\"running\"} 1
work_requests{task_type=\"build\",status=\"pending\"} 3
# HELP metered_export_problems Metrics left out of this exposition, by reason.
# TYPE metered_export_problems gauge
metered_export_problems{reason=\"fn_gauge_failed\"} 0
metered_export_problems{reason=\"name_clash\"} 0
metered_export_problems{reason=\"member_mismatch\"} 0
metered_export_problems{reason=\"label_clash\"} 0
metered_export_problems{reason=\"duplicate_series\"} 0
metered_export_problems{reason=\"collector_failed\"} 2
# EOF
";
    assert_eq!(text, expected);
    let problems: Vec<String> = scrape
        .problems(&Options::new())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            "collector_failed: the collector \"bad\" failed: panicked: boom",
            "collector_failed: the collector \"broken\" failed: database away",
        ]
    );
    // The 0.0.4 text counts them alike.
    let text = prometheus::to_string(&scrape, &Options::new());
    assert!(
        text.contains("\nmetered_export_problems{reason=\"collector_failed\"} 2\n"),
        "{text}"
    );
}
