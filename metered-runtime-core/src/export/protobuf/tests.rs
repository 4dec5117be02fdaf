use super::wire::{self, MetricFamily};
use super::*;
use crate::{HistogramConfig, Registry};
use std::time::Duration;

fn decode(mut body: &[u8]) -> Vec<MetricFamily> {
    let mut out = Vec::new();
    while !body.is_empty() {
        out.push(MetricFamily::decode_length_delimited(&mut body).unwrap());
    }
    out
}

fn family<'a>(families: &'a [MetricFamily], name: &str) -> &'a MetricFamily {
    families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name}"))
}

fn labels(m: &wire::Metric) -> Vec<(&str, &str)> {
    m.label
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect()
}

/// Bucket `(index, count)` pairs decoded from a message's spans and deltas.
fn native_buckets(h: &wire::Histogram) -> Vec<(i32, u64)> {
    NativeHistogram {
        schema: h.schema,
        zero_threshold: h.zero_threshold,
        zero_count: h.zero_count,
        count: h.sample_count,
        sum: h.sample_sum,
        positive_spans: h
            .positive_span
            .iter()
            .map(|s| crate::export::native::Span {
                offset: s.offset,
                length: s.length,
            })
            .collect(),
        positive_deltas: h.positive_delta.clone(),
    }
    .positive_buckets()
    .unwrap()
}

#[test]
fn counters_gauges_and_labels() {
    let r = Registry::new();
    r.counter("jobs.done").unwrap().add(2);
    r.gauge("app.queue.depth").unwrap().set(-7);
    let f = r.counter_family("http.hits", &["code"]).unwrap();
    f.get(&["200"]).unwrap().add(5);
    f.get(&["500"]).unwrap().inc();
    let fams = decode(&to_vec(&Scrape::of(&r), &Options::new()));
    let jobs = family(&fams, "jobs_done_total");
    assert_eq!(jobs.r#type, wire::COUNTER);
    assert_eq!(jobs.help, "jobs.done (counter)");
    assert_eq!(jobs.metric.len(), 1);
    assert_eq!(jobs.metric[0].counter, Some(wire::Counter { value: 2.0 }));
    assert!(jobs.metric[0].label.is_empty());
    let depth = family(&fams, "app_queue_depth");
    assert_eq!(depth.r#type, wire::GAUGE);
    assert_eq!(depth.metric[0].gauge, Some(wire::Gauge { value: -7.0 }));
    let hits = family(&fams, "http_hits_total");
    let got: Vec<_> = hits
        .metric
        .iter()
        .map(|m| (labels(m), m.counter.as_ref().unwrap().value))
        .collect();
    assert_eq!(
        got,
        [(vec![("code", "200")], 5.0), (vec![("code", "500")], 1.0)]
    );
    // metered's own problems gauge, one series per reason, all 0.
    let problems = family(&fams, "metered_export_problems");
    assert_eq!(problems.metric.len(), crate::export::ProblemKind::ALL.len());
    assert!(
        problems
            .metric
            .iter()
            .all(|m| m.gauge == Some(wire::Gauge { value: 0.0 }))
    );
    let overflowed = family(&fams, "metered_family_overflowed_total");
    assert_eq!(labels(&overflowed.metric[0]), [("family", "http_hits")]);
    assert_eq!(
        overflowed.metric[0].counter,
        Some(wire::Counter { value: 0.0 })
    );
    // Families in the text's order.
    let names: Vec<_> = fams.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "app_queue_depth",
            "http_hits_total",
            "jobs_done_total",
            "metered_family_overflowed_total",
            "metered_export_problems"
        ]
    );
}

#[test]
fn histograms_carry_native_buckets_and_configured_classic_ones() {
    let r = Registry::new();
    let bounded = r
        .histogram_with(
            "rows.read",
            HistogramConfig::new().bounds(&[1.0, 2.0]).cumulative(),
        )
        .unwrap();
    for v in [0.0, 1.0, 1.01, 1.05, 2.0, 3.0] {
        bounded.record(v).unwrap();
    }
    let plain = r
        .histogram_with("rows.sent", HistogramConfig::new().cumulative())
        .unwrap();
    for v in [1.0, 1.0, 0.5] {
        plain.record(v).unwrap();
    }
    let fams = decode(&to_vec(&Scrape::of(&r), &Options::new()));

    let read = family(&fams, "rows_read");
    assert_eq!(read.r#type, wire::HISTOGRAM);
    let h = read.metric[0].histogram.as_ref().unwrap();
    assert_eq!(h.sample_count, 6);
    assert!((h.sample_sum - 8.06).abs() < 1e-9);
    // Cumulative, without the implicit +Inf.
    let classic: Vec<_> = h
        .bucket
        .iter()
        .map(|b| (b.upper_bound, b.cumulative_count))
        .collect();
    assert_eq!(classic, [(1.0, 2), (2.0, 5)]);
    assert_eq!(h.schema, 6);
    assert_eq!(h.zero_threshold, 2f64.powi(-40));
    assert_eq!(h.zero_count, 1);
    // 1 ends bucket 0, 1.01 is in 1, 1.05 in 5, 2 ends 64, 3 is in 102.
    assert_eq!(
        native_buckets(h),
        [(0, 1), (1, 1), (5, 1), (64, 1), (102, 1)]
    );
    assert_eq!(h.positive_delta, [1, 0, 0, 0, 0]);
    let spans: Vec<_> = h
        .positive_span
        .iter()
        .map(|s| (s.offset, s.length))
        .collect();
    assert_eq!(spans, [(0, 2), (3, 1), (58, 1), (37, 1)]);

    let sent = family(&fams, "rows_sent");
    let h = sent.metric[0].histogram.as_ref().unwrap();
    assert!(
        h.bucket.is_empty(),
        "no bounds configured: no classic buckets"
    );
    assert_eq!((h.sample_count, h.sample_sum, h.zero_count), (3, 2.5, 0));
    assert_eq!(native_buckets(h), [(-64, 1), (0, 2)]);
    assert_eq!(h.positive_delta, [1, 1]);
}

#[test]
fn timers_are_in_seconds_and_summaries_are_quantile_gauges() {
    let r = Registry::new();
    let timer = r.timer("db.query").unwrap();
    timer.record(Duration::from_millis(250));
    timer.record(Duration::from_millis(500));
    let opts = Options::new().summaries(true);
    let fams = decode(&to_vec(&Scrape::of(&r), &opts));
    let seconds = family(&fams, "db_query_seconds");
    let h = seconds.metric[0].histogram.as_ref().unwrap();
    assert_eq!(h.sample_count, 2);
    assert!((h.sample_sum - 0.75).abs() < 1e-9);
    // 0.25 ends bucket -128 and 0.5 ends bucket -64.
    assert_eq!(native_buckets(h), [(-128, 1), (-64, 1)]);
    let summary = family(&fams, "db_query_seconds_quantiles");
    assert_eq!(summary.r#type, wire::GAUGE);
    let levels: Vec<_> = summary.metric.iter().map(|m| labels(m)[0]).collect();
    assert_eq!(
        levels,
        [
            ("quantile", "0.5"),
            ("quantile", "0.75"),
            ("quantile", "0.95"),
            ("quantile", "0.98"),
            ("quantile", "0.99"),
            ("quantile", "0.999")
        ]
    );
    let median = summary.metric[0].gauge.as_ref().unwrap().value;
    assert!((median - 0.25).abs() < 0.25 * 0.01, "{median}");
}

/// Every series the protobuf exposition names (name and labels, histograms by their `_count`)
/// is one the 0.0.4 text names, and the other way round: one mapping for both.
#[test]
fn the_same_series_as_the_text() {
    let r = Registry::new();
    r.counter("jobs.done").unwrap().add(2);
    r.meter("jobs.started").unwrap().mark_n(3);
    let g = r.gauge_family("pool.size", &["pool", "zone"]).unwrap();
    g.get(&["a", "eu"]).unwrap().set(1);
    g.get(&["b", "us"]).unwrap().set(2);
    let h = r.histogram_family("rows", &["table"]).unwrap();
    h.get(&["t1"]).unwrap().record(4.0).unwrap();
    r.timer("db.query")
        .unwrap()
        .record(Duration::from_millis(3));
    let opts = Options::new().summaries(true).meter_rates(true);
    let scrape = Scrape::of(&r);
    let text = crate::export::prometheus::to_string(&scrape, &opts);
    let histograms: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" histogram"))
        .collect();
    let mut from_text: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(id, _)| id.to_owned()))
        .filter(|id| {
            !histograms.iter().any(|h| {
                id.starts_with(&format!("{h}_bucket")) || id.starts_with(&format!("{h}_sum"))
            })
        })
        .map(|id| {
            let Some((name, rest)) = id.split_once('{') else {
                return id
                    .strip_suffix("_count")
                    .filter(|n| histograms.contains(n))
                    .map_or(id.clone(), str::to_owned);
            };
            let name = name
                .strip_suffix("_count")
                .filter(|n| histograms.contains(n))
                .unwrap_or(name);
            format!("{name}{{{rest}")
        })
        .collect();
    let mut from_protobuf: Vec<String> = decode(&to_vec(&scrape, &opts))
        .iter()
        .flat_map(|f| {
            f.metric.iter().map(|m| {
                if m.label.is_empty() {
                    return f.name.clone();
                }
                let l: Vec<String> = m
                    .label
                    .iter()
                    .map(|l| format!("{}=\"{}\"", l.name, l.value))
                    .collect();
                format!("{}{{{}}}", f.name, l.join(","))
            })
        })
        .collect();
    from_text.sort();
    from_protobuf.sort();
    assert!(from_text.len() > 20, "{from_text:?}");
    assert_eq!(from_protobuf, from_text);
}

#[test]
fn a_sketch_prometheus_cannot_take_is_sent_as_a_classic_histogram() {
    let mut h = crate::HistogramSnapshot {
        count: 2,
        sum: 4.0,
        ..crate::HistogramSnapshot::default()
    };
    let one = crate::Histogram::with_config(HistogramConfig::new().cumulative());
    one.record(1.0).unwrap();
    one.record(3.0).unwrap();
    h.sketch = one.snapshot().sketch.downscale(-6).unwrap();
    let m = histogram(&[(2.0, 1), (f64::INFINITY, 2)], 4.0, &h);
    assert_eq!((m.sample_count, m.sample_sum), (2, 4.0));
    assert_eq!(
        m.bucket,
        [wire::Bucket {
            cumulative_count: 1,
            upper_bound: 2.0
        }]
    );
    assert!(m.positive_span.is_empty() && m.positive_delta.is_empty());
    assert_eq!((m.schema, m.zero_threshold), (0, 0.0));
}

#[test]
fn the_wire_bytes_of_a_histogram() {
    let one = crate::Histogram::with_config(HistogramConfig::new().cumulative());
    one.record(1.0).unwrap();
    one.record(2.0).unwrap();
    let h = one.snapshot();
    let m = histogram(&[(f64::INFINITY, 2)], h.sum, &h);
    let mut expected = vec![0x08, 2]; // sample_count = 2
    expected.push(0x11); // sample_sum, a double: 3.0
    expected.extend_from_slice(&3f64.to_le_bytes());
    expected.extend_from_slice(&[0x28, 12]); // schema, sint32 6 zigzagged
    expected.push(0x31); // zero_threshold, a double: 2^-40
    expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x70, 0x3d]);
    // zero_count 0 is the default: not written.
    // positive_span {length 1} (offset 0 is the default), then {offset 63, length 1}.
    expected.extend_from_slice(&[0x62, 2, 0x10, 1]);
    expected.extend_from_slice(&[0x62, 4, 0x08, 126, 0x10, 1]);
    // positive_delta, packed: two bytes, sint64 1 and 0 zigzagged.
    expected.extend_from_slice(&[0x6a, 2, 2, 0]);
    assert_eq!(m.encode_to_vec(), expected);
}

#[test]
fn the_wire_bytes_of_a_counter_family() {
    let r = Registry::new();
    r.counter("jobs.done").unwrap().add(2);
    let body = to_vec(&Scrape::of(&r), &Options::new());
    let mut expected = vec![51]; // the message's length, a varint
    expected.extend_from_slice(b"\x0a\x0fjobs_done_total"); // name
    expected.extend_from_slice(b"\x12\x13jobs.done (counter)"); // help
    // type COUNTER (0) is the default: not written.
    // metric { counter { value: 2.0 } }, no labels.
    expected.extend_from_slice(&[0x22, 11, 0x1a, 9, 0x09]);
    expected.extend_from_slice(&2f64.to_le_bytes());
    assert_eq!(&body[..expected.len()], expected.as_slice());
    // Then metered's own problems family, and nothing else.
    let rest = decode(&body[expected.len()..]);
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].name, "metered_export_problems");
}
