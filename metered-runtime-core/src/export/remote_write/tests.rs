//! Unit tests of the remote write series: names, labels, values and order, exactly.

use super::*;
use crate::HistogramConfig;
use crate::registry::Registry;

/// Every series as `labels value` lines, labels as `k=v` joined by `,`.
fn lines(snapshot: &Snapshot, config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    visit(snapshot, config, |s| {
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let value = match s.point {
            Point::Float(v) => format!("{v}"),
            Point::Histogram(h) => format!(
                "native count={} sum={} schema={}",
                h.sketch.count(),
                h.sum,
                h.sketch.schema()
            ),
        };
        out.push(format!("{} {value}", labels.join(",")));
    });
    out
}

fn registry() -> Registry {
    let r = Registry::new();
    r.counter("jobs.done.total").unwrap().add(3);
    r.gauge("queue.depth").unwrap().set(-2);
    r.float_gauge("load").unwrap().set(0.25);
    r.meter("events").unwrap().mark_n(5);
    let sizes = r
        .histogram_with(
            "req.size",
            HistogramConfig::new().bounds(&[1.0, 10.0]).cumulative(),
        )
        .unwrap();
    for v in [0.5, 5.0, 50.0] {
        sizes.record(v).unwrap();
    }
    let routes = r
        .counter_family("http.requests", &["route", "Code"])
        .unwrap();
    routes.get(&["/a \"b\"\n", "200"]).unwrap().add(7);
    routes.get(&["", "500"]).unwrap().inc();
    r
}

const PROBLEMS: [&str; 6] = [
    "__name__=metered_export_problems,reason=fn_gauge_failed 0",
    "__name__=metered_export_problems,reason=name_clash 0",
    "__name__=metered_export_problems,reason=member_mismatch 0",
    "__name__=metered_export_problems,reason=label_clash 0",
    "__name__=metered_export_problems,reason=duplicate_series 0",
    "__name__=metered_export_problems,reason=collector_failed 0",
];

#[test]
fn every_kind_is_named_and_labelled_as_the_text_exposition_names_it() {
    let r = registry();
    let mut expected = vec![
        "__name__=events_total 5",
        // The empty route is no label, as Prometheus reads `route=""`.
        "__name__=http_requests_total,code=500 1",
        "__name__=http_requests_total,code=200,route=/a \"b\"\n 7",
        "__name__=jobs_done_total 3",
        "__name__=load 0.25",
        "__name__=queue_depth -2",
        "__name__=req_size_bucket,le=1.0 1",
        "__name__=req_size_bucket,le=10.0 2",
        "__name__=req_size_bucket,le=+Inf 3",
        "__name__=req_size_sum 55.5",
        "__name__=req_size_count 3",
    ];
    expected.extend(PROBLEMS);
    assert_eq!(lines(&r.snapshot(), &Config::new()), expected);
}

#[test]
fn native_histograms_are_one_series_and_both_sends_both() {
    let r = Registry::new();
    let lat = r.timer("db.get.latency").unwrap();
    lat.record(std::time::Duration::from_millis(250));
    lat.record(std::time::Duration::from_millis(750));
    let native = lines(&r.snapshot(), &Config::new().histograms(Histograms::Native));
    assert_eq!(
        native[0],
        "__name__=db_get_latency_seconds native count=2 sum=1 schema=6"
    );
    assert_eq!(native.len(), 1 + PROBLEMS.len());
    let both = lines(&r.snapshot(), &Config::new().histograms(Histograms::Both));
    assert_eq!(both[0], native[0]);
    // The classic timer ladder: 15 bounds and +Inf, then _sum and _count.
    assert_eq!(both.len(), 1 + 16 + 2 + PROBLEMS.len());
    assert_eq!(both[1], "__name__=db_get_latency_seconds_bucket,le=0.001 0");
    assert_eq!(both[8], "__name__=db_get_latency_seconds_bucket,le=0.25 1");
    assert_eq!(both[17], "__name__=db_get_latency_seconds_sum 1");
    assert_eq!(both[18], "__name__=db_get_latency_seconds_count 2");
    let classic = lines(&r.snapshot(), &Config::new());
    assert_eq!(classic, both[1..]);
}

#[test]
fn external_labels_are_merged_in_order_and_lose_to_the_series_own() {
    let r = Registry::new();
    r.counter_family("calls", &["job"])
        .unwrap()
        .get(&["mine"])
        .unwrap()
        .inc();
    r.gauge("up").unwrap().set(1);
    let config = Config::new()
        .external_label("job", "api")
        .unwrap()
        .external_label("instance", "h:1")
        .unwrap()
        .external_label("Zone", "eu")
        .unwrap()
        .external_label("instance", "h:2")
        .unwrap();
    assert_eq!(
        config.external_labels(),
        [
            ("Zone".to_owned(), "eu".to_owned()),
            ("instance".to_owned(), "h:2".to_owned()),
            ("job".to_owned(), "api".to_owned())
        ]
    );
    let got = lines(&r.snapshot(), &config);
    // Byte order: upper case sorts before `__name__`.
    assert_eq!(
        got[0],
        "Zone=eu,__name__=calls_total,instance=h:2,job=mine 1"
    );
    assert_eq!(got[1], "Zone=eu,__name__=up,instance=h:2,job=api 1");
}

#[test]
fn labels_are_sorted_and_distinct_in_every_series() {
    let r = registry();
    let config = Config::new()
        .external_label("le", "x")
        .unwrap()
        .external_label("a", "1")
        .unwrap()
        .histograms(Histograms::Both)
        .options(Options::new().meter_rates(true).summaries(true));
    let mut n = 0;
    visit(&r.snapshot(), &config, |s| {
        n += 1;
        assert!(
            s.labels.windows(2).all(|w| w[0].0 < w[1].0),
            "{:?}",
            s.labels
        );
        assert!(s.labels.iter().any(|(k, _)| *k == "__name__"));
        assert!(s.labels.iter().all(|(_, v)| !v.is_empty()));
        let le = s.labels.iter().find(|(k, _)| *k == "le").unwrap().1;
        let name = s.labels.iter().find(|(k, _)| *k == "__name__").unwrap().1;
        // A bucket's own `le` wins over the external one.
        assert_eq!(name.ends_with("_bucket"), le != "x", "{:?}", s.labels);
    });
    // 4 rate series for the meter and 6 quantiles for the histogram come on top.
    assert_eq!(n, 11 + PROBLEMS.len() + 1 + 4 + 6);
}

#[test]
fn bad_external_labels_are_errors() {
    for (name, value, why) in [
        ("", "x", "is empty"),
        ("9a", "x", "must start with a letter"),
        ("a-b", "x", "only ASCII letters"),
        ("ünï", "x", "must start with a letter"),
        ("__name__", "x", "is reserved"),
        ("job", "", "empty value"),
    ] {
        let e = Config::new().external_label(name, value).unwrap_err();
        assert!(e.to_string().contains(why), "{name:?}: {e}");
    }
}

#[cfg(feature = "prometheus")]
#[test]
fn the_sample_names_are_those_of_the_text_exposition() {
    use crate::export::{Scrape, prometheus};
    let r = registry();
    let snapshot = r.snapshot();
    let text = prometheus::to_string(&Scrape::from(snapshot.clone()), &Options::new());
    let names: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(['{', ' ']).next().unwrap())
        .collect();
    let mut ours = Vec::new();
    visit(&snapshot, &Config::new(), |s| {
        ours.push(
            s.labels
                .iter()
                .find(|(k, _)| *k == "__name__")
                .unwrap()
                .1
                .to_owned(),
        );
    });
    assert_eq!(ours, names);
}
