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

/// `#[derive(Point)]`'s attribute, on the struct and on its fields.
pub const POINT: &str = "point";
pub const SERIES: &str = "series";
pub const TAG: &str = "tag";
pub const FIELD: &str = "field";
pub const TIMESTAMP: &str = "timestamp";

/// `a`, `b` and `c` as "`a`, `b`, `c`" for messages.
pub fn list<'a>(keys: impl IntoIterator<Item = &'a str>) -> String {
    keys.into_iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
