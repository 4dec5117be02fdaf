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
    /// (they become `null`).
    #[must_use]
    pub fn to_flat_json(&self) -> String {
        let mut out = String::new();
        self.to_flat_tree().write_json(&mut out);
        out
    }

    /// The nested view as compact JSON, with keys sorted. Never contains `NaN` or infinities
    /// (they become `null`).
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.to_tree().write_json(&mut out);
        out
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
