//! Unit tests of the OTLP encoder and sink.
#![allow(
    clippy::many_single_char_names,
    clippy::float_cmp,
    reason = "short names in small tests; exact doubles are what the encoder must copy"
)]

use super::proto::{
    ExponentialHistogramDataPoint, ExportMetricsServiceRequest, HistogramDataPoint, Metric,
    NumberDataPoint, any_value, metric::Data, number_data_point,
};
use super::*;
use crate::delta::DeltaState;
use metered_runtime_core::{HistogramConfig, Registry};
use std::io::Read as _;
use std::time::{Duration, UNIX_EPOCH};

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const S: u64 = 1_000_000_000;

/// Encodes one report of `r` at `time` through `enc` and `state`.
fn push(
    enc: &mut Encoder,
    state: &mut DeltaState,
    r: &Registry,
    time: SystemTime,
) -> Vec<ExportMetricsServiceRequest> {
    let snapshot = r.snapshot();
    let report = state.report(&snapshot, time);
    enc.encode(&report, &snapshot)
}

fn metrics(requests: &[ExportMetricsServiceRequest]) -> Vec<&Metric> {
    requests
        .iter()
        .flat_map(|q| &q.resource_metrics)
        .flat_map(|rm| &rm.scope_metrics)
        .flat_map(|sm| &sm.metrics)
        .collect()
}

fn find<'a>(requests: &'a [ExportMetricsServiceRequest], name: &str) -> &'a Metric {
    metrics(requests)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn numbers(m: &Metric) -> (&[NumberDataPoint], Option<(i32, bool)>) {
    match &m.data {
        Some(Data::Sum(s)) => (
            &s.data_points,
            Some((s.aggregation_temporality, s.is_monotonic)),
        ),
        Some(Data::Gauge(g)) => (&g.data_points, None),
        d => panic!("{}: not a number metric: {d:?}", m.name),
    }
}

fn int(p: &NumberDataPoint) -> i64 {
    match p.value {
        Some(number_data_point::Value::AsInt(v)) => v,
        v => panic!("not an int: {v:?}"),
    }
}

fn double(p: &NumberDataPoint) -> f64 {
    match p.value {
        Some(number_data_point::Value::AsDouble(v)) => v,
        v => panic!("not a double: {v:?}"),
    }
}

fn exp_points(m: &Metric) -> (&[ExponentialHistogramDataPoint], i32) {
    match &m.data {
        Some(Data::ExponentialHistogram(h)) => (&h.data_points, h.aggregation_temporality),
        d => panic!("{}: not an exponential histogram: {d:?}", m.name),
    }
}

fn explicit_points(m: &Metric) -> (&[HistogramDataPoint], i32) {
    match &m.data {
        Some(Data::Histogram(h)) => (&h.data_points, h.aggregation_temporality),
        d => panic!("{}: not a histogram: {d:?}", m.name),
    }
}

const CUMULATIVE: i32 = proto::AggregationTemporality::Cumulative as i32;
const DELTA: i32 = proto::AggregationTemporality::Delta as i32;

#[test]
fn resource_scope_kinds_units_and_attributes() {
    let r = Registry::new();
    r.counter("app.requests").unwrap().add(3);
    r.gauge("app.queue").unwrap().set(-4);
    r.float_gauge("app.ratio").unwrap().set(0.25);
    r.up_down_counter("app.inflight").unwrap().add(2);
    r.meter("app.events").unwrap().mark_n(5);
    r.timer("app.latency")
        .unwrap()
        .record(Duration::from_millis(20));
    let fam = r.counter_family("app.routes", &["route"]).unwrap();
    fam.get(&["/a"]).unwrap().add(1);
    fam.get(&["/b"]).unwrap().add(2);
    let config = Config::new("svc")
        .resource_attribute("service.instance.id", "i-1")
        .resource_attribute("deployment.environment.name", "test");
    let mut enc = Encoder::new(config).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(100));
    assert_eq!(q.len(), 1);
    let rm = &q[0].resource_metrics[0];
    let attrs: Vec<(&str, &str)> = rm
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .iter()
        .map(|kv| match &kv.value.as_ref().unwrap().value {
            Some(any_value::Value::StringValue(s)) => (kv.key.as_str(), s.as_str()),
            v => panic!("{v:?}"),
        })
        .collect();
    assert_eq!(
        attrs,
        [
            ("service.name", "svc"),
            ("service.instance.id", "i-1"),
            ("deployment.environment.name", "test")
        ]
    );
    let scope = rm.scope_metrics[0].scope.as_ref().unwrap();
    assert_eq!(
        (scope.name.as_str(), scope.version.as_str()),
        ("metered-runtime", env!("CARGO_PKG_VERSION"))
    );

    let names: Vec<(&str, &str)> = metrics(&q)
        .iter()
        .map(|m| (m.name.as_str(), m.unit.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("app.events", ""),
            ("app.inflight", ""),
            ("app.latency", "s"),
            ("app.queue", ""),
            ("app.ratio", ""),
            ("app.requests", ""),
            ("app.routes", ""),
        ]
    );
    let (p, sum) = numbers(find(&q, "app.requests"));
    assert_eq!((int(&p[0]), sum), (3, Some((CUMULATIVE, true))));
    assert_eq!(p[0].time_unix_nano, 100 * S);
    assert_eq!(p[0].start_time_unix_nano, enc.origin());
    assert!(enc.origin() < 100 * S || enc.origin() > 1_000_000 * S);
    let (p, sum) = numbers(find(&q, "app.queue"));
    assert_eq!((int(&p[0]), sum, p[0].start_time_unix_nano), (-4, None, 0));
    let (p, _) = numbers(find(&q, "app.ratio"));
    assert_eq!(double(&p[0]), 0.25);
    let (p, sum) = numbers(find(&q, "app.inflight"));
    assert_eq!((int(&p[0]), sum), (2, Some((CUMULATIVE, false))));
    let (p, sum) = numbers(find(&q, "app.events"));
    assert_eq!((int(&p[0]), sum), (5, Some((CUMULATIVE, true))));
    let (p, _) = numbers(find(&q, "app.routes"));
    let routes: Vec<(String, i64)> = p
        .iter()
        .map(|p| {
            let kv = &p.attributes[0];
            let Some(any_value::Value::StringValue(v)) = &kv.value.as_ref().unwrap().value else {
                panic!()
            };
            (format!("{}={v}", kv.key), int(p))
        })
        .collect();
    assert_eq!(routes, [("route=/a".into(), 1), ("route=/b".into(), 2)]);
    let (h, t) = exp_points(find(&q, "app.latency"));
    assert_eq!((h.len(), h[0].count, t), (1, 1, CUMULATIVE));
    assert_eq!((h[0].min, h[0].max), (Some(0.02), Some(0.02)));
}

#[test]
fn units_are_ucum() {
    use metered_runtime_core::Unit;
    assert_eq!(ucum(MetricKind::Timer, Unit::None), "s");
    assert_eq!(ucum(MetricKind::Histogram, Unit::Seconds), "s");
    assert_eq!(ucum(MetricKind::Gauge, Unit::Bytes), "By");
    assert_eq!(ucum(MetricKind::FloatGauge, Unit::Ratio), "1");
    assert_eq!(
        ucum(MetricKind::Counter, Unit::Other("requests")),
        "{requests}"
    );
    assert_eq!(ucum(MetricKind::Counter, Unit::None), "");
}

use metered_runtime_core::MetricKind;

/// Every value recorded lies in the OTLP bucket the point puts it in:
/// `(base^i, base^(i+1)]`, `base = 2^(2^-scale)`.
fn otlp_bucket_of(p: &ExponentialHistogramDataPoint, v: f64) -> i32 {
    let base = (-f64::from(p.scale)).exp2().exp2();
    let pos = p.positive.as_ref().unwrap();
    for (j, &c) in pos.bucket_counts.iter().enumerate() {
        let i = pos.offset + i32::try_from(j).unwrap();
        let (lo, hi) = (base.powi(i), base.powi(i + 1));
        if c > 0 && lo < v && v <= hi * (1.0 + 1e-12) {
            return i;
        }
    }
    panic!("{v} is in no non-empty bucket of {pos:?}")
}

#[test]
fn exponential_buckets_are_ours_shifted_by_one_index() {
    let r = Registry::new();
    let h = r
        .histogram_with("app.h", HistogramConfig::new().cumulative())
        .unwrap();
    for v in [0.0, 1.0, 3.0, 3.0, 1000.0] {
        h.record(v).unwrap();
    }
    let mut enc = Encoder::new(Config::new("svc")).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(10));
    let (p, _) = exp_points(find(&q, "app.h"));
    let p = &p[0];
    assert_eq!((p.scale, p.zero_count, p.count), (6, 1, 5));
    assert_eq!(p.zero_threshold, 2f64.powi(-40));
    assert_eq!(p.sum, Some(1007.0));
    let pos = p.positive.as_ref().unwrap();
    // Ours: 1.0 ends bucket 0, so OTLP's bucket -1 = (2^(-1/64), 1].
    assert_eq!(pos.offset, -1);
    assert_eq!(
        pos.bucket_counts.iter().sum::<u64>() + p.zero_count,
        p.count
    );
    assert_eq!(otlp_bucket_of(p, 1.0), -1);
    assert_eq!(otlp_bucket_of(p, 3.0), 101);
    assert_eq!(pos.bucket_counts[102], 2);
    assert_eq!(otlp_bucket_of(p, 1000.0), 637);
    assert!(p.negative.is_none());
}

#[test]
fn max_buckets_downscales_exactly() {
    let r = Registry::new();
    let h = r
        .histogram_with("app.h", HistogramConfig::new().cumulative())
        .unwrap();
    let values = [0.001, 0.5, 1.0, 3.0, 700.0, 1e6];
    for v in values {
        h.record(v).unwrap();
    }
    let config = Config::new("svc").histograms(Histograms::Exponential {
        max_buckets: Some(20),
    });
    let mut enc = Encoder::new(config).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(10));
    let (p, _) = exp_points(find(&q, "app.h"));
    let p = &p[0];
    let pos = p.positive.as_ref().unwrap();
    assert!(pos.bucket_counts.len() <= 20, "{}", pos.bucket_counts.len());
    // 2^-10 .. 2^20: 30 powers of two fit 20 buckets at scale -1 (2 per bucket... 15 of them).
    assert_eq!(p.scale, -1);
    assert_eq!(pos.bucket_counts.iter().sum::<u64>(), 6);
    for v in values {
        otlp_bucket_of(p, v);
    }
    assert!(
        Encoder::new(Config::new("s").histograms(Histograms::Exponential {
            max_buckets: Some(0)
        }))
        .is_err()
    );
}

#[test]
fn cumulative_start_times_stay_fixed_and_new_series_start_at_the_previous_report() {
    let r = Registry::new();
    let c = r.counter("a.c").unwrap();
    let mut enc = Encoder::new(Config::new("svc")).unwrap();
    let mut state = DeltaState::new();
    c.add(1);
    let one = push(&mut enc, &mut state, &r, at(10));
    c.add(2);
    let late = r.counter("a.late").unwrap();
    late.add(7);
    let two = push(&mut enc, &mut state, &r, at(20));
    c.add(3);
    let three = push(&mut enc, &mut state, &r, at(30));
    let start = |q: &[ExportMetricsServiceRequest], n: &str| {
        let (p, _) = numbers(find(q, n));
        (p[0].start_time_unix_nano, p[0].time_unix_nano, int(&p[0]))
    };
    let origin = enc.origin();
    assert_eq!(start(&one, "a.c"), (origin, 10 * S, 1));
    assert_eq!(start(&two, "a.c"), (origin, 20 * S, 3));
    assert_eq!(start(&three, "a.c"), (origin, 30 * S, 6));
    // a.late did not exist at 10 s: its start is that report's time, then fixed.
    assert_eq!(start(&two, "a.late"), (10 * S, 20 * S, 7));
    assert_eq!(start(&three, "a.late"), (10 * S, 30 * S, 7));
}

#[test]
fn delta_points_cover_the_interval_and_sum_to_the_totals() {
    let r = Registry::new();
    let c = r.counter("a.c").unwrap();
    let h = r.histogram("a.h").unwrap();
    let u = r.up_down_counter("a.u").unwrap();
    let mut enc = Encoder::new(Config::new("svc").temporality(Temporality::Delta)).unwrap();
    let mut state = DeltaState::new();
    let mut total = 0i64;
    let mut hist_total = 0u64;
    let mut buckets_total: Vec<(i32, u64)> = Vec::new();
    for (t, n) in [(10u64, 2i64), (20, 0), (30, 5)] {
        c.add(u64::try_from(n).unwrap());
        u.add(n);
        for k in 0..n {
            h.record(f64::from(i32::try_from(k).unwrap() + 1)).unwrap();
        }
        let q = push(&mut enc, &mut state, &r, at(t));
        let (p, sum) = numbers(find(&q, "a.c"));
        assert_eq!(sum, Some((DELTA, true)));
        assert_eq!(int(&p[0]), n);
        let expected_start = if t == 10 { enc.origin() } else { (t - 10) * S };
        assert_eq!(p[0].start_time_unix_nano, expected_start);
        total += int(&p[0]);
        let (hp, temporality) = exp_points(find(&q, "a.h"));
        assert_eq!(temporality, DELTA);
        let hp = &hp[0];
        assert_eq!(hp.count, u64::try_from(n).unwrap());
        if let Some(pos) = &hp.positive {
            assert_eq!(
                pos.bucket_counts.iter().sum::<u64>() + hp.zero_count,
                hp.count
            );
            for (j, &k) in pos.bucket_counts.iter().enumerate() {
                if k > 0 {
                    buckets_total.push((pos.offset + i32::try_from(j).unwrap(), k));
                }
            }
        }
        // Min and max only where exact: the series' first delta.
        assert_eq!(hp.min.is_some(), t == 10, "at {t}");
        hist_total += hp.count;
        // The up-down counter stays cumulative with a fixed start.
        let (up, sum) = numbers(find(&q, "a.u"));
        assert_eq!(sum, Some((CUMULATIVE, false)));
        assert_eq!(up[0].start_time_unix_nano, enc.origin());
    }
    assert_eq!(total, 7);
    assert_eq!(hist_total, 7);
    // The deltas' buckets add up to the cumulative histogram's.
    let mut cum = Encoder::new(Config::new("svc")).unwrap();
    let q = push(&mut cum, &mut DeltaState::new(), &r, at(40));
    let (p, _) = exp_points(find(&q, "a.h"));
    let pos = p[0].positive.as_ref().unwrap();
    let mut want: Vec<(i32, u64)> = pos
        .bucket_counts
        .iter()
        .enumerate()
        .filter(|&(_, &k)| k > 0)
        .map(|(j, &k)| (pos.offset + i32::try_from(j).unwrap(), k))
        .collect();
    buckets_total.sort_unstable();
    let mut merged: Vec<(i32, u64)> = Vec::new();
    for (i, k) in buckets_total {
        match merged.last_mut() {
            Some((j, n)) if *j == i => *n += k,
            _ => merged.push((i, k)),
        }
    }
    want.sort_unstable();
    assert_eq!(merged, want);
}

#[test]
fn explicit_buckets_at_configured_bounds() {
    let r = Registry::new();
    let h = r.histogram("a.h").unwrap();
    let own = r
        .histogram_with("a.own", HistogramConfig::new().bounds(&[1.0, 10.0]))
        .unwrap();
    for v in [0.0, 0.5, 1.0, 2.0, 50.0] {
        h.record(v).unwrap();
        own.record(v).unwrap();
    }
    let config = Config::new("svc").histograms(Histograms::Explicit {
        bounds: vec![0.75, 5.0],
    });
    let mut enc = Encoder::new(config).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(10));
    let (p, t) = explicit_points(find(&q, "a.h"));
    assert_eq!(t, CUMULATIVE);
    assert_eq!(p[0].explicit_bounds, [0.75, 5.0]);
    assert_eq!(p[0].bucket_counts, [2, 2, 1]);
    assert_eq!((p[0].count, p[0].sum), (5, Some(53.5)));
    assert_eq!((p[0].min, p[0].max), (Some(0.0), Some(50.0)));
    let (p, _) = explicit_points(find(&q, "a.own"));
    assert_eq!(p[0].explicit_bounds, [1.0, 10.0]);
    assert_eq!(p[0].bucket_counts, [3, 1, 1]);
    for bad in [vec![1.0, 1.0], vec![2.0, 1.0], vec![f64::INFINITY]] {
        let e = Encoder::new(Config::new("s").histograms(Histograms::Explicit { bounds: bad }))
            .unwrap_err();
        assert!(e.to_string().contains("explicit bounds"), "{e}");
    }
}

#[test]
fn rates_as_gauges_for_every_family_child() {
    let r = Registry::new();
    let f = r.meter_family("a.m", &["k"]).unwrap();
    f.get(&["x"]).unwrap().mark_n(2);
    f.get(&["y"]).unwrap().mark_n(3);
    r.timer("a.t").unwrap().record(Duration::from_millis(1));
    let mut enc = Encoder::new(Config::new("svc").rates(true)).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(10));
    let names: Vec<&str> = metrics(&q).iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "a.m",
            "a.m.mean_rate",
            "a.m.m1_rate",
            "a.m.m5_rate",
            "a.m.m15_rate",
            "a.t",
            "a.t.mean_rate",
            "a.t.m1_rate",
            "a.t.m5_rate",
            "a.t.m15_rate"
        ]
    );
    let m1 = find(&q, "a.m.m1_rate");
    assert_eq!(m1.unit, "1/s");
    assert_eq!(numbers(m1).0.len(), 2);
    assert_eq!(numbers(find(&q, "a.m")).0.len(), 2);
}

#[test]
fn large_reports_are_split_into_requests() {
    let r = Registry::new();
    let f = r.counter_family("a.c", &["i"]).unwrap();
    for i in 0..7 {
        f.get(&[&i.to_string()]).unwrap().add(1);
    }
    r.gauge("a.g").unwrap().set(1);
    let mut enc = Encoder::new(Config::new("svc").max_points_per_request(3)).unwrap();
    let q = push(&mut enc, &mut DeltaState::new(), &r, at(10));
    let per: Vec<Vec<(String, usize)>> = q
        .iter()
        .map(|req| {
            assert_eq!(
                req.resource_metrics[0]
                    .resource
                    .as_ref()
                    .unwrap()
                    .attributes
                    .len(),
                1
            );
            metrics(std::slice::from_ref(req))
                .iter()
                .map(|m| (m.name.clone(), numbers(m).0.len()))
                .collect()
        })
        .collect();
    let v = |n: &str, k| (n.to_owned(), k);
    assert_eq!(
        per,
        [
            vec![v("a.c", 3)],
            vec![v("a.c", 3)],
            vec![v("a.c", 1), v("a.g", 1)]
        ]
    );
}

#[test]
fn sink_bodies_are_gzip_protobuf_and_urls_checked() {
    let r = Registry::new();
    r.counter("a.c").unwrap().add(4);
    let mut sink = OtlpSink::new("http://127.0.0.1:4318/", Config::new("svc")).unwrap();
    assert_eq!(sink.url(), "http://127.0.0.1:4318/v1/metrics");
    let snapshot = r.snapshot();
    let report = DeltaState::new().report(&snapshot, at(10));
    let encoded = sink.encode_with_snapshot(&report, &snapshot);
    assert_eq!((encoded.payloads.len(), encoded.dropped), (1, 0));
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(encoded.payloads[0].as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    let q = ExportMetricsServiceRequest::decode(raw.as_slice()).unwrap();
    assert_eq!(int(&numbers(find(&[q], "a.c")).0[0]), 4);
    // Without the snapshot nothing can be sent: counted as dropped, not silently lost.
    assert_eq!(sink.encode(&report).dropped, 1);

    let plain = OtlpSink::with_url("http://h:1/otlp/v1/metrics", Config::new("s"))
        .unwrap()
        .gzip(false);
    assert_eq!(plain.url(), "http://h:1/otlp/v1/metrics");
    let e = OtlpSink::new("h:4318", Config::new("s")).unwrap_err();
    assert!(e.to_string().contains("does not start with http://"), "{e}");
    if !cfg!(feature = "tls") {
        let e = OtlpSink::new("https://h", Config::new("s")).unwrap_err();
        assert!(e.to_string().contains("enable the `tls` feature"), "{e}");
    }
}

#[test]
fn error_messages_from_status_bodies() {
    #[derive(Clone, PartialEq, prost::Message)]
    struct Status {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    let body = Status {
        code: 3,
        message: "bad metric".into(),
    }
    .encode_to_vec();
    assert_eq!(error_message(&body), "bad metric");
    assert_eq!(
        error_message(b" not protobuf \xff"),
        "not protobuf \u{fffd}"
    );
    assert_eq!(error_message(&[b'x'; 400]).len(), 300);
    assert!(retryable(429) && retryable(503) && !retryable(500) && !retryable(400));
}

#[test]
fn a_series_gone_and_back_is_a_new_series_with_a_new_start() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let r = Registry::new();
    let on = Arc::new(AtomicBool::new(true));
    let flag = on.clone();
    r.register_collector(
        "sometimes",
        move |out: &mut metered_runtime_core::collector::Collection| {
            if flag.load(Ordering::Relaxed) {
                out.float_counter("c.x", "Sometimes there.", &[])?
                    .set(&[], 2.5)?;
            }
            Ok(())
        },
    )
    .unwrap();
    let mut enc = Encoder::new(Config::new("svc")).unwrap();
    let mut state = DeltaState::new();
    let start =
        |q: &[ExportMetricsServiceRequest]| numbers(find(q, "c.x")).0[0].start_time_unix_nano;
    let one = push(&mut enc, &mut state, &r, at(10));
    assert_eq!(start(&one), enc.origin());
    on.store(false, Ordering::Relaxed);
    let two = push(&mut enc, &mut state, &r, at(20));
    assert!(metrics(&two).iter().all(|m| m.name != "c.x"));
    on.store(true, Ordering::Relaxed);
    let three = push(&mut enc, &mut state, &r, at(30));
    assert_eq!(start(&three), 20 * S);
    assert_eq!(double(&numbers(find(&three, "c.x")).0[0]), 2.5);
}
