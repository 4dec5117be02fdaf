//! The JSON views of a snapshot, both validated against the published JSON Schema
//! (`metered-runtime/schema/snapshot.schema.json`):
//! - nested ([`Snapshot::to_tree`], [`Snapshot::to_json`]): names split on their dots into
//!   nested objects (tapes' `get_stats()` shape);
//! - flat ([`Snapshot::to_flat_tree`], [`Snapshot::to_flat_json`]): one key per metric, its
//!   full dotted name (`{"app.requests": {"value": 3}}`).
//!
//! At each metric an object of its fields; a labelled family's holds one such object per
//! child, keyed by `key=value,key=value`. Never `NaN` or infinities: they become `null`.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! let r = metered_runtime::Registry::new();
//! r.counter("app.requests").unwrap().add(3);
//! r.gauge_family("app.depth", &["queue"]).unwrap().get(&["a"]).unwrap().set(2);
//! let s = r.snapshot();
//! assert_eq!(s.to_json(), r#"{"app":{"depth":{"queue=a":{"value":2}},"requests":{"value":3}}}"#);
//! assert_eq!(s.to_flat_json(), r#"{"app.depth":{"queue=a":{"value":2}},"app.requests":{"value":3}}"#);
//! ```

use crate::metric::histogram::HistogramSnapshot;
use crate::metric::meter::MeterSnapshot;
use crate::snapshot::{MetricSnapshot, Snapshot, Value};
use std::collections::BTreeMap;

impl Snapshot {
    /// The nested view: names split on their dots into nested objects; at each leaf an object
    /// of the metric's fields (see [`Node`]); a family's leaf holds one such object per child,
    /// keyed by `key=value,key=value`.
    #[must_use]
    pub fn to_tree(&self) -> Node {
        let mut root = BTreeMap::new();
        for m in self.metrics() {
            let mut node = &mut root;
            let segments: Vec<&str> = m.name.split('.').collect();
            let (last, parents) = segments.split_last().unwrap_or((&"", &[]));
            for seg in parents {
                node = object_entry(node, seg);
            }
            insert(node, last, m);
        }
        Node::Object(root)
    }

    /// The flat view: one key per metric, its full dotted name; at each an object of the
    /// metric's fields (see [`Node`]), a family's holding one such object per child, keyed by
    /// `key=value,key=value`, as in the nested view.
    #[must_use]
    pub fn to_flat_tree(&self) -> Node {
        let mut root = BTreeMap::new();
        for m in self.metrics() {
            insert(&mut root, &m.name, m);
        }
        Node::Object(root)
    }

    /// The flat view as compact JSON, with keys sorted. Never contains `NaN` or infinities
    /// (they become `null`). Written directly, without building the [`Node`] tree: the same
    /// bytes as `self.to_flat_tree().write_json(..)`.
    #[must_use]
    pub fn to_flat_json(&self) -> String {
        let mut out = String::new();
        if !write_direct(self, false, &mut out) {
            out.clear();
            self.to_flat_tree().write_json(&mut out);
        }
        out
    }

    /// The nested view as compact JSON, with keys sorted. Never contains `NaN` or infinities
    /// (they become `null`). Written directly, without building the [`Node`] tree: the same
    /// bytes as `self.to_tree().write_json(..)`.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        if !write_direct(self, true, &mut out) {
            out.clear();
            self.to_tree().write_json(&mut out);
        }
        out
    }
}

/// One metric's place in a view: the keys from the root to its fields object.
struct Placed<'a> {
    /// Name segments (the whole name in the flat view), then a family child's label set key
    /// (`key=value,...`).
    path: Vec<&'a str>,
    /// The metric whose fields sit at the end of `path`.
    metric: &'a MetricSnapshot,
}

/// Writes the nested (`nested`) or flat view of `snapshot` to `out` without a tree: the metrics
/// sorted by their path of keys, objects opened and closed as the paths move. Returns `false`
/// (and leaves `out` to be discarded) when two metrics would share an object in the tree
/// (the same path twice, or a path that extends another's): such a snapshot, which the
/// registry never produces, goes through the tree, whose merging rules then apply.
fn write_direct(snapshot: &Snapshot, nested: bool, out: &mut String) -> bool {
    let metrics = snapshot.metrics();
    // The label set keys of family children, built once (the paths borrow them).
    let keys: Vec<Option<String>> = metrics
        .iter()
        .map(|m| m.from_family.then(|| label_key(m)))
        .collect();
    let mut placed: Vec<Placed<'_>> = metrics
        .iter()
        .zip(&keys)
        .map(|(m, key)| {
            let mut path: Vec<&str> = if nested {
                m.name.split('.').collect()
            } else {
                vec![m.name.as_str()]
            };
            if let Some(key) = key {
                path.push(key);
            }
            Placed { path, metric: m }
        })
        .collect();
    // Key order at every level is the tree's (`BTreeMap<String, _>`: bytewise), so the order
    // of the paths is the order of a depth-first walk of the tree.
    placed.sort_by(|a, b| a.path.cmp(&b.path));
    let extends = |a: &[&str], b: &[&str]| b.len() >= a.len() && b[..a.len()] == *a;
    if placed.windows(2).any(|w| extends(&w[0].path, &w[1].path)) {
        return false;
    }
    out.reserve(metrics.len() * 64);
    out.push('{');
    let mut open: Vec<&str> = Vec::new();
    let mut comma = false;
    for p in &placed {
        let (leaf, parents) = p.path.split_last().unwrap_or((&"", &[]));
        let common = open.iter().zip(parents).take_while(|(a, b)| a == b).count();
        for _ in common..open.len() {
            out.push('}');
            comma = true;
        }
        open.truncate(common);
        for seg in &parents[common..] {
            if comma {
                out.push(',');
            }
            write_json_string(out, seg);
            out.push_str(":{");
            comma = false;
            open.push(seg);
        }
        if comma {
            out.push(',');
        }
        write_json_string(out, leaf);
        out.push(':');
        write_fields(out, &p.metric.value);
        comma = true;
    }
    for _ in 0..open.len() {
        out.push('}');
    }
    out.push('}');
    true
}

/// A family child's key in both views: its labels as `key=value,key=value`.
fn label_key(m: &MetricSnapshot) -> String {
    let mut key = String::new();
    for (i, (k, v)) in m.labels.iter().enumerate() {
        if i > 0 {
            key.push(',');
        }
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

/// A field value of the direct writer (as [`Node`]'s leaves).
#[derive(Clone, Copy)]
enum Field<'a> {
    UInt(u64),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

fn meter_field_list(s: &MeterSnapshot) -> [(&'static str, Field<'static>); 5] {
    [
        ("count", Field::UInt(s.count)),
        ("mean_rate", Field::Float(s.mean_rate)),
        ("m1", Field::Float(s.m1)),
        ("m5", Field::Float(s.m5)),
        ("m15", Field::Float(s.m15)),
    ]
}

fn histogram_field_list(h: &HistogramSnapshot) -> [(&'static str, Field<'static>); 12] {
    let q = &h.quantiles;
    [
        ("count", Field::UInt(h.count)),
        ("sum", Field::Float(h.sum)),
        ("min", Field::Float(h.min)),
        ("max", Field::Float(h.max)),
        ("mean", Field::Float(h.mean)),
        ("stddev", Field::Float(h.stddev)),
        ("q50", Field::Float(q.q50)),
        ("q75", Field::Float(q.q75)),
        ("q95", Field::Float(q.q95)),
        ("q98", Field::Float(q.q98)),
        ("q99", Field::Float(q.q99)),
        ("q999", Field::Float(q.q999)),
    ]
}

/// Writes a metric's fields object as [`fields`] builds it: keys sorted, and for a timer the
/// rates' fields over the histogram's where both have one (`count`), as the tree's later
/// insert replaces the earlier.
fn write_fields(out: &mut String, v: &Value) {
    let mut list: Vec<(&str, Field<'_>)> = Vec::with_capacity(17);
    match v {
        Value::Counter(c) => list.push(("value", Field::UInt(*c))),
        Value::Gauge(g) | Value::UpDownCounter(g) => list.push(("value", Field::Int(*g))),
        Value::FloatGauge(g) | Value::FloatCounter(g) => list.push(("value", Field::Float(*g))),
        Value::Meter(s) => list.extend(meter_field_list(s)),
        Value::Histogram(h) => list.extend(histogram_field_list(h)),
        Value::Timer(t) => {
            list.extend(histogram_field_list(&t.histogram));
            list.extend(meter_field_list(&t.rates));
        }
        Value::Error(e) => list.push(("error", Field::Str(e))),
    }
    // Stable: of two equal keys the later stays last, and is the one kept.
    list.sort_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    let mut first = true;
    for (i, &(k, f)) in list.iter().enumerate() {
        if list.get(i + 1).is_some_and(|next| next.0 == k) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        write_json_string(out, k);
        out.push(':');
        write_field(out, f);
    }
    out.push('}');
}

fn write_field(out: &mut String, f: Field<'_>) {
    use std::fmt::Write as _;
    match f {
        Field::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        Field::Int(n) => {
            let _ = write!(out, "{n}");
        }
        // As `Node::write_json`: the shortest text that reads back as the same f64.
        Field::Float(x) if x.is_finite() => {
            let _ = write!(out, "{x:?}");
        }
        Field::Float(_) => out.push_str("null"),
        Field::Str(s) => write_json_string(out, s),
    }
}

/// Puts the fields of `m` under `key` of `node`: directly, or for a family child under its
/// label set.
fn insert(node: &mut BTreeMap<String, Node>, key: &str, m: &MetricSnapshot) {
    let fields = fields(&m.value);
    if m.from_family {
        let labels = m
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        object_entry(node, key).insert(labels, fields);
    } else {
        node.insert(key.to_owned(), fields);
    }
}

fn object_entry<'a>(
    map: &'a mut BTreeMap<String, Node>,
    key: &str,
) -> &'a mut BTreeMap<String, Node> {
    // Every node at a name segment is an object (a namespace, a metric's fields or a family's
    // children): numbers only ever sit one level below a metric's name, under field names, and
    // the registry refuses a name that extends another, so no field name is ever a segment.
    match map
        .entry(key.to_owned())
        .or_insert_with(|| Node::Object(BTreeMap::new()))
    {
        Node::Object(m) => m,
        _ => unreachable!("a name segment always holds an object"),
    }
}

fn meter_fields(m: &mut BTreeMap<String, Node>, s: &MeterSnapshot) {
    m.insert("count".into(), Node::UInt(s.count));
    m.insert("mean_rate".into(), Node::Float(s.mean_rate));
    m.insert("m1".into(), Node::Float(s.m1));
    m.insert("m5".into(), Node::Float(s.m5));
    m.insert("m15".into(), Node::Float(s.m15));
}

fn histogram_fields(m: &mut BTreeMap<String, Node>, h: &HistogramSnapshot) {
    m.insert("count".into(), Node::UInt(h.count));
    let q = &h.quantiles;
    for (k, v) in [
        ("sum", h.sum),
        ("min", h.min),
        ("max", h.max),
        ("mean", h.mean),
        ("stddev", h.stddev),
        ("q50", q.q50),
        ("q75", q.q75),
        ("q95", q.q95),
        ("q98", q.q98),
        ("q99", q.q99),
        ("q999", q.q999),
    ] {
        m.insert(k.into(), Node::Float(v));
    }
}

fn fields(v: &Value) -> Node {
    let mut m = BTreeMap::new();
    match v {
        Value::Counter(c) => {
            m.insert("value".into(), Node::UInt(*c));
        }
        Value::Gauge(g) | Value::UpDownCounter(g) => {
            m.insert("value".into(), Node::Int(*g));
        }
        Value::FloatGauge(g) | Value::FloatCounter(g) => {
            m.insert("value".into(), Node::Float(*g));
        }
        Value::Meter(s) => meter_fields(&mut m, s),
        Value::Histogram(h) => histogram_fields(&mut m, h),
        Value::Timer(t) => {
            histogram_fields(&mut m, &t.histogram);
            meter_fields(&mut m, &t.rates);
        }
        Value::Error(e) => {
            m.insert("error".into(), Node::Str(e.clone()));
        }
    }
    Node::Object(m)
}

/// A node of the nested view: what [`Snapshot::to_tree`] builds and both the JSON writer and
/// the `serde` feature serialise.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Nested names, or a metric's fields.
    Object(BTreeMap<String, Node>),
    /// An unsigned count.
    UInt(u64),
    /// A signed value.
    Int(i64),
    /// A floating-point value; non-finite ones are written as `null`.
    Float(f64),
    /// Text (an error message).
    Str(String),
}

impl Node {
    /// Appends this node as JSON to `out`.
    pub fn write_json(&self, out: &mut String) {
        use std::fmt::Write as _;
        match self {
            Node::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(out, k);
                    out.push(':');
                    v.write_json(out);
                }
                out.push('}');
            }
            Node::UInt(n) => {
                let _ = write!(out, "{n}");
            }
            Node::Int(n) => {
                let _ = write!(out, "{n}");
            }
            Node::Float(x) if x.is_finite() => {
                // `{:?}` is the shortest text that reads back as the same f64, and keeps a `.0`
                // or exponent so the value stays a float in every JSON reader.
                let _ = write!(out, "{x:?}");
            }
            Node::Float(_) => out.push_str("null"),
            Node::Str(s) => write_json_string(out, s),
        }
    }
}

/// Writes `s` as a JSON string literal (RFC 8259 escaping).
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(feature = "serde")]
impl serde::Serialize for Node {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap as _;
        match self {
            Node::Object(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Node::UInt(n) => s.serialize_u64(*n),
            Node::Int(n) => s.serialize_i64(*n),
            Node::Float(x) if x.is_finite() => s.serialize_f64(*x),
            Node::Float(_) => s.serialize_none(),
            Node::Str(t) => s.serialize_str(t),
        }
    }
}

/// Serialises as the nested view ([`Snapshot::to_tree`]).
#[cfg(feature = "serde")]
impl serde::Serialize for Snapshot {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_tree().serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;

    /// A registry with every kind, families with hostile label values, names sharing prefixes
    /// and segments that sort differently as whole names and as segments.
    fn rich() -> Registry {
        use std::time::Duration;
        let r = Registry::new();
        r.counter("app.requests").unwrap().add(3);
        r.counter("app.requests_total.x").unwrap().inc();
        r.counter("app.b").unwrap().inc();
        r.counter("app-z.c").unwrap().inc();
        r.counter("app.bb.c").unwrap().inc();
        r.gauge("app.depth").unwrap().set(-4);
        r.float_gauge("app.ratio").unwrap().set(0.25);
        r.float_gauge("app.nan").unwrap().set(f64::NAN);
        r.up_down_counter("app.inflight").unwrap().add(2);
        r.meter("z.events").unwrap().mark_n(7);
        let h = r.histogram("h.sizes").unwrap();
        for v in [0.0, 1.5, 3.0, 1e9] {
            h.record(v).unwrap();
        }
        r.histogram("h.empty").unwrap();
        r.timer("t.db").unwrap().record(Duration::from_millis(20));
        r.fn_gauge("f.ok", || 1.5).unwrap();
        r.fn_gauge("f.panics", || panic!("no value")).unwrap();
        let f = r.counter_family("svc.requests", &["path", "code"]).unwrap();
        for (path, code) in [
            ("/a\"b", "200"),
            ("/c\n", "500"),
            ("/é,x=y", "200"),
            ("/", ""),
        ] {
            f.get(&[path, code]).unwrap().inc();
        }
        let t = r.timer_family("svc.latency", &["route"]).unwrap();
        t.get(&["/z"]).unwrap().record(Duration::from_micros(5));
        t.get(&["/a"]).unwrap().record(Duration::from_secs(2));
        r
    }

    #[test]
    fn the_direct_writer_writes_the_tree_byte_for_byte() {
        let s = rich().snapshot();
        let (mut nested, mut flat) = (String::new(), String::new());
        s.to_tree().write_json(&mut nested);
        s.to_flat_tree().write_json(&mut flat);
        assert_eq!(s.to_json(), nested);
        assert_eq!(s.to_flat_json(), flat);
        assert!(nested.contains(r#""panics":{"error":"#), "{nested}");
        assert!(nested.contains(r#""nan":{"value":null}"#), "{nested}");
        let empty = Registry::new().snapshot();
        assert_eq!(
            (empty.to_json(), empty.to_flat_json()),
            ("{}".into(), "{}".into())
        );
    }

    #[cfg(any(feature = "prometheus", feature = "openmetrics"))]
    #[test]
    fn snapshots_whose_metrics_share_an_object_take_the_tree() {
        let s = rich().snapshot();
        let find = |name: &str| s.metrics().iter().find(|m| m.name == name).unwrap().clone();
        let mut clash = find("app.b");
        clash.name = "app.b.deeper".into();
        let mut twice = find("app.depth");
        twice.value = Value::Gauge(9);
        let parts = vec![
            (find("app.b"), "app_b_total", &[][..]),
            (clash, "app_b_deeper_total", &[][..]),
            (find("app.depth"), "app_depth", &[][..]),
            (twice, "app_depth", &[][..]),
        ];
        let odd = Snapshot::from_parts(parts);
        let (mut nested, mut flat) = (String::new(), String::new());
        odd.to_tree().write_json(&mut nested);
        odd.to_flat_tree().write_json(&mut flat);
        assert_eq!(odd.to_json(), nested);
        assert_eq!(odd.to_flat_json(), flat);
        // The later of two equal names wins, as in the tree.
        assert!(flat.contains(r#""app.depth":{"value":9}"#), "{flat}");
    }

    #[test]
    fn json_escapes_and_nests_families() {
        let r = Registry::new();
        let f = r.counter_family("svc.requests", &["path"]).unwrap();
        f.get(&["/a\"b"]).unwrap().add(2);
        f.get(&["/c\n"]).unwrap().inc();
        assert_eq!(
            r.snapshot().to_json(),
            r#"{"svc":{"requests":{"path=/a\"b":{"value":2},"path=/c\n":{"value":1}}}}"#
        );
    }

    #[test]
    fn floats_never_become_nan_in_json() {
        let mut out = String::new();
        Node::Float(f64::NAN).write_json(&mut out);
        Node::Float(f64::INFINITY).write_json(&mut out);
        Node::Float(0.5).write_json(&mut out);
        Node::Float(1.0).write_json(&mut out);
        Node::Float(1e-7).write_json(&mut out);
        assert_eq!(out, "nullnull0.51.01e-7");
    }
}
