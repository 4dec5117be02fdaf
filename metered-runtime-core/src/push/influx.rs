//! The InfluxDB line protocol encoder: a [`Report`] as one point per metric.
//!
//! A point is `MEASUREMENT,TAGS FIELDS TIMESTAMP`: the measurement is the prefix and the dotted
//! name as they are, the tags are the labels (sorted by key; an empty value is left out, as
//! InfluxDB does not store it), the timestamp is the report's time in nanoseconds. Fields, by
//! kind, each always of the same type (InfluxDB rejects a batch whose field changes type):
//!
//! - counter: `count=INCi`, the increment since the previous report (integer; counts beyond
//!   `i64::MAX`, InfluxDB's largest integer, are written as `i64::MAX`);
//! - gauge, up-down counter: `value=Vi` (integer);
//! - float gauge: `value=V` (float); left out while NaN or infinite;
//! - meter: `count=INCi`, and `mean_rate`, `m1_rate`, `m5_rate`, `m15_rate` (floats, per second);
//! - histogram: `count=Ni` (values recorded since the previous report), and `sum`, `mean`,
//!   `min`, `max`, `p50`, `p75`, `p95`, `p99`, `p999` (floats, 0 for an empty interval);
//! - timer: as a histogram, in seconds, plus the rates of a meter;
//! - an unreadable metric: nothing.
//!
//! Escaping follows the protocol: `,` and space in measurements; `,`, `=` and space in tag keys,
//! tag values and field keys, each with a backslash. The protocol has no escape for a newline,
//! so line breaks (and other control characters) in names and labels become spaces (escaped),
//! and a trailing backslash in a tag value gets a space after it so that it escapes nothing.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::Registry;
//! use metered_runtime::push::{delta::DeltaState, influx};
//! use std::time::{Duration, SystemTime};
//! let r = Registry::new();
//! r.counter_family("http.requests", &["route"]).unwrap().get(&["/a b"]).unwrap().add(3);
//! let t = SystemTime::UNIX_EPOCH + Duration::from_secs(2);
//! let report_snapshot = r.snapshot();
//! let report = DeltaState::new().report(&report_snapshot, t);
//! let lines = influx::encode(&report, &influx::Config::default());
//! assert_eq!(lines, ["http.requests,route=/a\\ b count=3i 2000000000"]);
//! ```

use super::delta::{Distribution, Rates, Report, ReportValue};
use std::fmt::Write as _;

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Put in front of every measurement, e.g. `"myapp."`.
    pub prefix: String,
    /// Tags added to every point, after the labels (a label of the same key wins).
    pub tags: Vec<(String, String)>,
}

fn escape(out: &mut String, s: &str, specials: &[char]) {
    for c in s.chars() {
        if c.is_control() {
            out.push_str("\\ ");
        } else {
            if specials.contains(&c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    if out.ends_with('\\') && !out.ends_with("\\\\") {
        out.push_str("\\ ");
    }
}

const KEY: &[char] = &[',', '=', ' '];

struct Fields(String);

impl Fields {
    fn sep(&mut self) {
        if !self.0.is_empty() {
            self.0.push(',');
        }
    }
    fn int(&mut self, k: &str, v: impl std::fmt::Display) {
        self.sep();
        let _ = write!(self.0, "{k}={v}i");
    }
    /// A count as an integer field: InfluxDB integers are signed 64-bit, so a count beyond
    /// `i64::MAX` is written as `i64::MAX` rather than rejected.
    fn count(&mut self, k: &str, n: u64) {
        self.int(k, i64::try_from(n).unwrap_or(i64::MAX));
    }
    fn float(&mut self, k: &str, v: f64) {
        if v.is_finite() {
            self.sep();
            let _ = write!(self.0, "{k}={v}");
        }
    }
    fn rates(&mut self, r: &Rates) {
        for (k, v) in r.named() {
            self.float(k, v);
        }
    }
    fn distribution(&mut self, d: &Distribution) {
        self.count("count", d.count);
        for (k, v) in d.statistics() {
            self.float(k, v);
        }
    }
}

/// Encodes `report` as line-protocol lines (no trailing newlines), one per metric with a value.
#[must_use]
pub fn encode(report: &Report, cfg: &Config) -> Vec<String> {
    let ts = report
        .time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut lines = Vec::with_capacity(report.metrics.len());
    for m in &report.metrics {
        let mut f = Fields(String::new());
        match &m.value {
            ReportValue::Counter(n) => f.count("count", *n),
            ReportValue::Gauge(g) => f.int("value", g),
            ReportValue::FloatGauge(g) => f.float("value", *g),
            // Always a float field, so its type never changes between writes.
            ReportValue::FloatCounter(n) => f.float("count", *n),
            ReportValue::Meter(r) => {
                f.count("count", r.count);
                f.rates(r);
            }
            ReportValue::Histogram(d) => f.distribution(d),
            ReportValue::Timer(d, r) => {
                f.distribution(d);
                f.rates(r);
            }
            ReportValue::Error(_) => {}
        }
        if f.0.is_empty() {
            continue;
        }
        let mut line = String::new();
        escape(&mut line, &cfg.prefix, &[',', ' ']);
        escape(&mut line, m.name, &[',', ' ']);
        let mut tags: Vec<(&str, &str)> = m
            .labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for (k, v) in &cfg.tags {
            if !tags.iter().any(|(t, _)| t == k) {
                tags.push((k, v));
            }
        }
        tags.sort_unstable();
        for (k, v) in tags {
            push_tag(&mut line, k, v);
        }
        let _ = write!(line, " {} {ts}", f.0);
        lines.push(line);
    }
    lines
}

/// Appends `,k=v` with both escaped; a tag with an empty key or value is left out (the line
/// protocol has no empty tags).
fn push_tag(line: &mut String, k: &str, v: &str) {
    if k.is_empty() || v.is_empty() {
        return;
    }
    line.push(',');
    escape(line, k, KEY);
    line.push('=');
    escape(line, v, KEY);
}

/// A field value of a [`Point`].
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// An integer, written `5i`.
    Int(i64),
    /// A float, written as the shortest decimal that reads back the same; a point whose float
    /// field is NaN or infinite leaves that field out.
    Float(f64),
    /// A boolean, written `true` / `false`.
    Bool(bool),
    /// A string, written quoted with `"` and `\` escaped.
    Str(String),
}

impl From<i64> for FieldValue {
    fn from(v: i64) -> Self {
        FieldValue::Int(v)
    }
}
impl From<i32> for FieldValue {
    fn from(v: i32) -> Self {
        FieldValue::Int(i64::from(v))
    }
}
impl From<u32> for FieldValue {
    fn from(v: u32) -> Self {
        FieldValue::Int(i64::from(v))
    }
}
impl From<f64> for FieldValue {
    fn from(v: f64) -> Self {
        FieldValue::Float(v)
    }
}
impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Bool(v)
    }
}
impl From<&str> for FieldValue {
    fn from(v: &str) -> Self {
        FieldValue::Str(v.to_owned())
    }
}
impl From<String> for FieldValue {
    fn from(v: String) -> Self {
        FieldValue::Str(v)
    }
}

/// One event: a point of series `measurement` with tags, fields and an optional timestamp
/// (the LUNA tasks monitoring model: every request a point of `requests`).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::push::influx::Point;
/// use std::time::{Duration, SystemTime};
/// let p = Point::new("requests")
///     .tag("route", "/a b")
///     .tag("status_code", "200")
///     .field("request_id", "r-\"1\"")
///     .field("execution_time", 0.25)
///     .at(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
/// assert_eq!(
///     p.to_line(SystemTime::UNIX_EPOCH).unwrap(),
///     r#"requests,route=/a\ b,status_code=200 request_id="r-\"1\"",execution_time=0.25 1000000000"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldValue)>,
    time: Option<std::time::SystemTime>,
}

impl Point {
    /// A point of series `measurement`, with no tags or fields yet.
    #[must_use]
    pub fn new(measurement: &str) -> Self {
        Point {
            measurement: measurement.to_owned(),
            tags: Vec::new(),
            fields: Vec::new(),
            time: None,
        }
    }

    /// Adds a tag (tags are written sorted by key; an empty value is left out).
    #[must_use]
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Adds a field.
    #[must_use]
    pub fn field(mut self, key: &str, value: impl Into<FieldValue>) -> Self {
        self.fields.push((key.to_owned(), value.into()));
        self
    }

    /// Adds a field when `value` is `Some`.
    #[must_use]
    pub fn field_opt(self, key: &str, value: Option<impl Into<FieldValue>>) -> Self {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// The event's time (default: the time given to [`to_line`](Self::to_line), the time of
    /// emission for a point writer).
    #[must_use]
    pub fn at(mut self, time: std::time::SystemTime) -> Self {
        self.time = Some(time);
        self
    }

    /// Whether a time was set.
    #[must_use]
    pub fn has_time(&self) -> bool {
        self.time.is_some()
    }

    /// The line-protocol line, timestamped with the point's time or else `default_time`.
    /// `None` when no field has a value to write (the protocol needs one).
    #[must_use]
    pub fn to_line(&self, default_time: std::time::SystemTime) -> Option<String> {
        let mut fields = String::new();
        for (k, v) in &self.fields {
            if matches!(v, FieldValue::Float(x) if !x.is_finite()) || k.is_empty() {
                continue;
            }
            if !fields.is_empty() {
                fields.push(',');
            }
            escape(&mut fields, k, KEY);
            fields.push('=');
            match v {
                FieldValue::Int(i) => {
                    let _ = write!(fields, "{i}i");
                }
                FieldValue::Float(x) => {
                    let _ = write!(fields, "{x}");
                }
                FieldValue::Bool(b) => {
                    let _ = write!(fields, "{b}");
                }
                FieldValue::Str(t) => {
                    fields.push('"');
                    for c in t.chars() {
                        if matches!(c, '"' | '\\') {
                            fields.push('\\');
                        }
                        fields.push(c);
                    }
                    fields.push('"');
                }
            }
        }
        if fields.is_empty() {
            return None;
        }
        let mut line = String::new();
        escape(&mut line, &self.measurement, &[',', ' ']);
        let mut tags: Vec<&(String, String)> = self.tags.iter().collect();
        tags.sort();
        for (k, v) in tags {
            push_tag(&mut line, k, v);
        }
        let ts = self
            .time
            .unwrap_or(default_time)
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let _ = write!(line, " {fields} {ts}");
        Some(line)
    }
}

/// A value that can be a tag of a [`Point`]: text. What `#[derive(Point)]` accepts on a
/// `#[point(tag)]` field.
///
/// Implemented for the string-like types (`str`, `String`, `Cow<str>`, `Box<str>`,
/// `Rc<str>`, `Arc<str>`, `char`), for the integer types and `bool` (written in decimal and as
/// `true`/`false`, one text per value), for references to these, and for `Option<T>`, whose
/// `None` is the empty text, which the encoder leaves out. Floats are not tags: their text is
/// not one per value (`0.1 + 0.2`), and a measured quantity belongs in a field. Implement it
/// for your own types, such as an enum of task types:
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::push::influx::TagValue;
/// use std::borrow::Cow;
/// enum TaskType { Ingest, Export }
/// impl TagValue for TaskType {
///     fn tag_value(&self) -> Cow<'_, str> {
///         Cow::Borrowed(match self {
///             TaskType::Ingest => "ingest",
///             TaskType::Export => "export",
///         })
///     }
/// }
/// assert_eq!(TaskType::Export.tag_value(), "export");
/// assert_eq!(TaskType::Ingest.tag_value(), "ingest");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a point tag",
    label = "a tag must be text",
    note = "tags are string-like types (`String`, `&str`, `Cow<str>`, ...), integers, `bool`, or types implementing `TagValue`; make a measured value a field instead"
)]
pub trait TagValue {
    /// The tag's text (an empty text leaves the tag out).
    fn tag_value(&self) -> std::borrow::Cow<'_, str>;
}

impl TagValue for str {
    fn tag_value(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(self)
    }
}

macro_rules! tag_as_str {
    ($($t:ty),*) => {$(
        impl TagValue for $t {
            fn tag_value(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(&**self)
            }
        }
    )*};
}
tag_as_str!(
    String,
    std::borrow::Cow<'_, str>,
    Box<str>,
    std::rc::Rc<str>,
    std::sync::Arc<str>
);

macro_rules! tag_as_display {
    ($($t:ty),*) => {$(
        impl TagValue for $t {
            fn tag_value(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Owned(self.to_string())
            }
        }
    )*};
}
tag_as_display!(
    char, bool, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize
);

impl<T: TagValue + ?Sized> TagValue for &T {
    fn tag_value(&self) -> std::borrow::Cow<'_, str> {
        (**self).tag_value()
    }
}

impl<T: TagValue> TagValue for Option<T> {
    fn tag_value(&self) -> std::borrow::Cow<'_, str> {
        self.as_ref()
            .map_or(std::borrow::Cow::Borrowed(""), TagValue::tag_value)
    }
}

/// A value that can be a field of a [`Point`]; what `#[derive(Point)]` accepts on a field.
///
/// - integers as integer fields (`5i`); `u64`, `usize`, `i128` and `u128` beyond `i64`'s
///   range, InfluxDB's integers, are written as `i64::MAX` or `i64::MIN`, as counters are;
/// - `f64` and `f32` as floats (left out while NaN or infinite);
/// - [`Duration`](std::time::Duration) as a float of seconds;
/// - `bool` as a boolean; the string-like types and `char` as strings;
/// - `Option<T>`: `None` leaves the field out;
/// - references to any of these.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::push::influx::{FieldValue, PointField};
/// use std::time::Duration;
/// assert_eq!(7_u16.field_value(), Some(FieldValue::Int(7)));
/// assert_eq!(u64::MAX.field_value(), Some(FieldValue::Int(i64::MAX)));
/// assert_eq!(Duration::from_millis(250).field_value(), Some(FieldValue::Float(0.25)));
/// assert_eq!(None::<bool>.field_value(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a point field",
    label = "not an integer, float, bool, string or `Duration`",
    note = "fields are integers, floats, `bool`, string-like types, `Duration`, `Option`s of these, or types implementing `PointField`"
)]
pub trait PointField {
    /// The field's value; `None` leaves the field out.
    fn field_value(&self) -> Option<FieldValue>;
}

macro_rules! field_int {
    ($($t:ty),*) => {$(
        impl PointField for $t {
            fn field_value(&self) -> Option<FieldValue> {
                Some(FieldValue::Int(i64::from(*self)))
            }
        }
    )*};
}
field_int!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! field_int_saturating {
    ($($t:ty),*) => {$(
        impl PointField for $t {
            fn field_value(&self) -> Option<FieldValue> {
                let v = i64::try_from(*self).unwrap_or(if *self > 0 { i64::MAX } else { i64::MIN });
                Some(FieldValue::Int(v))
            }
        }
    )*};
}
field_int_saturating!(u64, usize, i128, u128, isize);

impl PointField for f64 {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Float(*self))
    }
}
impl PointField for f32 {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Float(f64::from(*self)))
    }
}
impl PointField for std::time::Duration {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Float(self.as_secs_f64()))
    }
}
impl PointField for bool {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Bool(*self))
    }
}
impl PointField for char {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Str(self.to_string()))
    }
}
impl PointField for str {
    fn field_value(&self) -> Option<FieldValue> {
        Some(FieldValue::Str(self.to_owned()))
    }
}

macro_rules! field_str {
    ($($t:ty),*) => {$(
        impl PointField for $t {
            fn field_value(&self) -> Option<FieldValue> {
                Some(FieldValue::Str(String::from(&**self)))
            }
        }
    )*};
}
field_str!(
    String,
    std::borrow::Cow<'_, str>,
    Box<str>,
    std::rc::Rc<str>,
    std::sync::Arc<str>
);

impl<T: PointField + ?Sized> PointField for &T {
    fn field_value(&self) -> Option<FieldValue> {
        (**self).field_value()
    }
}

impl<T: PointField> PointField for Option<T> {
    fn field_value(&self) -> Option<FieldValue> {
        self.as_ref().and_then(PointField::field_value)
    }
}

/// A value that can be the event time of a [`Point`]; what `#[derive(Point)]` accepts on its
/// `#[point(timestamp)]` field: a [`SystemTime`](std::time::SystemTime), an integer count of
/// nanoseconds (`u64`, `u128`, `i64`; a negative count is before the Unix epoch, which the
/// encoder writes as 0) or a
/// [`Duration`](std::time::Duration) since the Unix epoch, or an `Option` of these (`None`:
/// the time of emission).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::push::influx::PointTime;
/// use std::time::{Duration, SystemTime};
/// let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_500);
/// assert_eq!(1_500_u64.point_time(), Some(t));
/// assert_eq!(None::<u64>.point_time(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a point's timestamp",
    label = "not a time",
    note = "a timestamp is a `SystemTime`, integer nanoseconds since the Unix epoch (`u64`, `u128`, `i64`), a `Duration` since the epoch, or an `Option` of these"
)]
pub trait PointTime {
    /// The event time; `None`: the time of emission.
    fn point_time(&self) -> Option<std::time::SystemTime>;
}

impl PointTime for std::time::SystemTime {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        Some(*self)
    }
}
impl PointTime for std::time::Duration {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        std::time::UNIX_EPOCH.checked_add(*self)
    }
}
impl PointTime for u64 {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        std::time::Duration::from_nanos(*self).point_time()
    }
}
impl PointTime for u128 {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        let secs = u64::try_from(*self / 1_000_000_000).ok()?;
        let nanos = u32::try_from(*self % 1_000_000_000).ok()?;
        std::time::Duration::new(secs, nanos).point_time()
    }
}
impl PointTime for i64 {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        let d = std::time::Duration::from_nanos(self.unsigned_abs());
        if *self >= 0 {
            std::time::UNIX_EPOCH.checked_add(d)
        } else {
            std::time::UNIX_EPOCH.checked_sub(d)
        }
    }
}
impl<T: PointTime + ?Sized> PointTime for &T {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        (**self).point_time()
    }
}
impl<T: PointTime> PointTime for Option<T> {
    fn point_time(&self) -> Option<std::time::SystemTime> {
        self.as_ref().and_then(PointTime::point_time)
    }
}

#[cfg(test)]
mod tests;
