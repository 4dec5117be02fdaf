//! Unit tests of the adapter, on hand-built snapshots among others.

use super::*;
use crate::descriptor::TypeLabel;
use crate::registry::Registry;
use crate::snapshot::Snapshot;

fn metric(name: &str, kind: MetricKind, value: Value) -> MetricSnapshot {
    MetricSnapshot {
        name: name.to_owned(),
        kind,
        help: String::new(),
        unit: Unit::None,
        labels: Vec::new(),
        from_family: false,
        type_label: None,
        value,
    }
}

fn member(name: &str, ty: &'static str, kind: MetricKind, value: Value) -> MetricSnapshot {
    MetricSnapshot {
        type_label: Some(TypeLabel {
            family: "svc.calls",
            key: "type",
            value: ty,
        }),
        ..metric(name, kind, value)
    }
}

fn labelled(name: &str, labels: &[(&str, &str)], value: Value) -> MetricSnapshot {
    MetricSnapshot {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        from_family: true,
        ..metric(name, MetricKind::Counter, value)
    }
}

/// Families written, and problems as `reason: message`.
fn outcome(parts: Vec<(MetricSnapshot, &str, &[&str])>) -> (Vec<String>, Vec<String>) {
    let scrape = Scrape::from(Snapshot::from_parts(parts));
    let model = build(&scrape, Options::new());
    let families = model
        .families
        .iter()
        .map(|f| format!("{} {}", f.name, f.series.len()))
        .collect();
    let problems = model.problems.iter().map(ToString::to_string).collect();
    (families, problems)
}

#[test]
fn a_hand_built_snapshot_with_clashes_is_exported_without_them() {
    let (families, problems) = outcome(vec![
        // Two metrics under one exposition name: the first is kept.
        (
            metric("a.b_c", MetricKind::Counter, Value::Counter(1)),
            "a_b_c",
            &[],
        ),
        (
            metric("a_b.c", MetricKind::Counter, Value::Counter(2)),
            "a_b_c",
            &[],
        ),
        // A gauge named as the counter's sample.
        (
            metric("a.b_c_total", MetricKind::Gauge, Value::Gauge(3)),
            "a_b_c_total",
            &[],
        ),
        // Type-label members: one of another kind, one repeating a type.
        (
            member("svc.A.calls", "A", MetricKind::Counter, Value::Counter(1)),
            "svc_calls",
            &["type"],
        ),
        (
            member("svc.B.calls", "B", MetricKind::Gauge, Value::Gauge(1)),
            "svc_calls",
            &["type"],
        ),
        (
            member("svc.A2.calls", "A", MetricKind::Counter, Value::Counter(5)),
            "svc_calls",
            &["type"],
        ),
        (
            member("svc.C.calls", "C", MetricKind::Counter, Value::Counter(2)),
            "svc_calls",
            &["type"],
        ),
        // Label keys that clash, and one that is not in exposition form.
        (
            labelled("hits", &[("k", "1"), ("k", "2")], Value::Counter(1)),
            "hits",
            &["k", "k"],
        ),
        (
            labelled("rows", &[("Row-Kind", "x")], Value::Counter(1)),
            "rows",
            &["Row-Kind"],
        ),
    ]);
    assert_eq!(
        families,
        [
            "a_b_c 1",
            "hits 0",
            "rows 0",
            "svc_calls 2",
            "metered_export_problems 6"
        ]
    );
    assert_eq!(
        problems,
        [
            "name_clash: `a_b.c` is left out: its exposition name clashes with `a.b_c` on \"a_b_c\"",
            "name_clash: `a.b_c_total` is left out: its exposition name clashes with `a.b_c` on \"a_b_c_total\"",
            "label_clash: `hits` is left out: two label keys map to \"k\"",
            "label_clash: `rows` is left out: label key \"Row-Kind\" is not in exposition form",
            "duplicate_series: `svc.A2.calls` is left out: another member of `svc.calls` has the same labels",
            "member_mismatch: `svc.B.calls` is left out: it is a gauge in \"\" but its type-label family `svc.calls` holds a counter in \"\"",
        ]
    );
}

#[test]
fn a_registry_snapshot_needs_no_defence() {
    let r = Registry::new();
    r.counter("a.b_c").unwrap().inc();
    assert!(r.counter("a_b.c").is_err());
    let f = r.counter_family("hits", &["k"]).unwrap();
    f.get(&["1"]).unwrap().inc();
    let scrape = Scrape::of(&r);
    assert_eq!(build(&scrape, Options::new()).problems, []);
}
