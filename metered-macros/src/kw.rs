//! Attribute names and argument keys, defined once.

/// The derive's helper attribute and `metric_set!`'s option attribute.
pub const METRICS: &str = "metrics";
/// The attribute macro, also accepted on methods inside an instrumented `impl` block.
pub const METERED: &str = "metered";

pub const SET: &str = "set";
pub const TYPE_LABEL: &str = "type_label";
pub const PER_INSTANTIATION: &str = "per_instantiation";
pub const CRATE: &str = "crate";
pub const HELP: &str = "help";
pub const UNIT: &str = "unit";
pub const NAME: &str = "name";
pub const ERROR: &str = "error";
pub const SKIP: &str = "skip";
pub const BUCKETS: &str = "buckets";
pub const WINDOW: &str = "window";
pub const CUMULATIVE: &str = "cumulative";
pub const VALUE: &str = "value";

/// Metric kinds accepted in `name: Kind = "template"`, with the runtime type and the
/// `StaticMetric` variant of each.
pub const KINDS: &[&str] = &[
    "Timer",
    "Meter",
    "Counter",
    "Gauge",
    "UpDownCounter",
    "FloatGauge",
    "FnGauge",
    "Histogram",
];

/// Keys accepted by `#[metrics(...)]` on a derive (beside metrics).
pub const DERIVE_KEYS: &[&str] = &[SET, TYPE_LABEL, PER_INSTANTIATION, CRATE];
/// Keys accepted by `#[metrics(...)]` inside `metric_set!`.
pub const SET_KEYS: &[&str] = &[TYPE_LABEL, CRATE];
/// Keys accepted after a metric, in parentheses.
pub const METRIC_KEYS: &[&str] = &[HELP, UNIT, TYPE_LABEL, BUCKETS, WINDOW, CUMULATIVE, VALUE];
/// Keys accepted by `#[metered(...)]` on an `impl` block or a `fn`.
pub const METERED_KEYS: &[&str] = &[NAME, ERROR, TYPE_LABEL, CRATE];
/// Keys accepted by `#[metered(...)]` on a method inside an instrumented `impl` block.
pub const METHOD_KEYS: &[&str] = &[SKIP, NAME, ERROR, TYPE_LABEL];

/// `a`, `b` and `c` as "`a`, `b`, `c`" for messages.
pub fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
