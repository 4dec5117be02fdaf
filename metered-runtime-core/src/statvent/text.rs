//! The `name: value` text form: [`encode`] a snapshot, [`parse`] it back (see the
//! [module docs](super) for what each kind becomes).

use crate::metric::histogram::HistogramSnapshot;
use crate::metric::meter::MeterSnapshot;
use crate::snapshot::{Snapshot, Value};
use std::fmt::{self, Write as _};

/// One stat's value: an integer or a float, as the text form tells them apart (a value with a
/// decimal point or an exponent is a float).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent::Number;
/// assert_eq!(Number::Int(3).to_string(), "3");
/// assert_eq!(Number::Float(0.25).to_string(), "0.250000");
/// assert_eq!(Number::Int(2) + Number::Float(0.5), Number::Float(2.5));
/// assert_eq!(Number::Int(2) + Number::Int(5), Number::Int(7));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The value as a float.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "a float view of an integer stat, used where floats are summed anyway"
    )]
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

impl std::ops::Add for Number {
    type Output = Number;

    /// The sum: an integer while both are integers (and it fits), a float otherwise, as a
    /// statvent stat "stays a float once you use a float".
    fn add(self, other: Number) -> Number {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.checked_add(b).map_or_else(
                || Number::Float(self.as_f64() + other.as_f64()),
                Number::Int,
            ),
            _ => Number::Float(self.as_f64() + other.as_f64()),
        }
    }
}

impl fmt::Display for Number {
    /// Integers as integers, floats with six decimals (`%f`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x:.6}"),
        }
    }
}

/// The statistic words of a histogram's quantiles in the text form, with their levels.
pub const QUANTILE_WORDS: [(&str, f64); 6] = [
    ("median", 0.5),
    ("75th", 0.75),
    ("95th", 0.95),
    ("98th", 0.98),
    ("99th", 0.99),
    ("99_9th", 0.999),
];

struct Out {
    text: String,
    labels: String,
}

impl Out {
    fn line(&mut self, name: &str, stat: &str, value: Number) {
        if let Number::Float(x) = value
            && !x.is_finite()
        {
            return;
        }
        self.text.push_str(name);
        if !stat.is_empty() {
            self.text.push('.');
            self.text.push_str(stat);
        }
        let _ = writeln!(self.text, "{}: {value}", self.labels);
    }

    fn int(&mut self, name: &str, stat: &str, v: u64) {
        match i64::try_from(v) {
            Ok(i) => self.line(name, stat, Number::Int(i)),
            // Beyond i64: still an integer in the text.
            Err(_) => {
                let _ = writeln!(self.text, "{name}.{stat}{}: {v}", self.labels);
            }
        }
    }

    fn rates(&mut self, name: &str, m: &MeterSnapshot) {
        for (stat, v) in [
            ("mean_rate", m.mean_rate),
            ("m1_rate", m.m1),
            ("m5_rate", m.m5),
            ("m15_rate", m.m15),
        ] {
            self.line(name, stat, Number::Float(v));
        }
    }

    fn histogram(&mut self, name: &str, h: &HistogramSnapshot) {
        self.int(name, "count", h.count);
        self.line(name, "sum", Number::Float(h.sum));
        if h.count == 0 {
            return;
        }
        for (stat, v) in [
            ("min", h.min),
            ("max", h.max),
            ("mean", h.mean),
            ("stddev", h.stddev),
        ] {
            self.line(name, stat, Number::Float(v));
        }
        let q = &h.quantiles;
        for (stat, v) in QUANTILE_WORDS
            .iter()
            .map(|(w, _)| *w)
            .zip([q.q50, q.q75, q.q95, q.q98, q.q99, q.q999])
        {
            self.line(name, stat, Number::Float(v));
        }
    }
}

/// Appends `{k="v",...}` with `\\`, `"` and newlines escaped.
fn write_labels(out: &mut String, labels: &[(String, String)]) {
    out.clear();
    if labels.is_empty() {
        return;
    }
    out.push('{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(k);
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out.push('}');
}

/// `snapshot` in the text form, every line ending in `\n` (see the [module docs](super)).
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, statvent::text};
/// let r = Registry::new();
/// let h = r.histogram("db.rows").unwrap();
/// h.record(4.0).unwrap();
/// let text = text::encode(&r.snapshot());
/// assert!(text.starts_with("db.rows.count: 1\ndb.rows.sum: 4.000000\ndb.rows.min: 4.000000\n"));
/// ```
#[must_use]
pub fn encode(snapshot: &Snapshot) -> String {
    let mut out = Out {
        text: String::new(),
        labels: String::new(),
    };
    for m in snapshot.metrics() {
        write_labels(&mut out.labels, &m.labels);
        let name = m.name.as_str();
        match &m.value {
            Value::Counter(c) => match i64::try_from(*c) {
                Ok(i) => out.line(name, "", Number::Int(i)),
                Err(_) => {
                    let _ = writeln!(out.text, "{name}{}: {c}", out.labels);
                }
            },
            Value::Gauge(g) | Value::UpDownCounter(g) => out.line(name, "", Number::Int(*g)),
            Value::FloatCounter(x) | Value::FloatGauge(x) => out.line(name, "", Number::Float(*x)),
            Value::Meter(s) => {
                out.int(name, "count", s.count);
                out.rates(name, s);
            }
            Value::Histogram(h) => out.histogram(name, h),
            Value::Timer(t) => {
                out.histogram(name, &t.histogram);
                out.rates(name, &t.rates);
            }
            Value::Error(_) => {}
        }
    }
    out.text
}

/// What [`parse`] read: the stats in the order of the text, and the lines it could not read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    /// `(name, value)` per readable line.
    pub stats: Vec<(String, Number)>,
    /// `(line number from 1, why)` per line that is not `name: value` with a number.
    pub problems: Vec<(usize, String)>,
}

/// Reads the text form: each line split at its last `:`, the name and the value trimmed; an
/// integer if the value reads as one (an `u64` beyond `i64` reads as a float), a float
/// otherwise (`1.5`, `1e3`, `nan` and `inf` are left out as problems). Blank lines are skipped.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent::{Number, text};
/// let p = text::parse("a.b.c.d: 42\nMy Nice Stat: 123.45\nno value here\n");
/// assert_eq!(p.stats, [
///     ("a.b.c.d".to_owned(), Number::Int(42)),
///     ("My Nice Stat".to_owned(), Number::Float(123.45)),
/// ]);
/// assert_eq!(p.problems, [(3, "no `:` separates a name from a value".to_owned())]);
/// ```
#[must_use]
pub fn parse(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((name, raw)) = line.rsplit_once(':') else {
            parsed
                .problems
                .push((i + 1, "no `:` separates a name from a value".into()));
            continue;
        };
        let (name, raw) = (name.trim(), raw.trim());
        if name.is_empty() {
            parsed.problems.push((i + 1, "the name is empty".into()));
            continue;
        }
        let value = if let Ok(n) = raw.parse::<i64>() {
            Number::Int(n)
        } else {
            match raw.parse::<f64>() {
                Ok(x) if x.is_finite() => Number::Float(x),
                _ => {
                    parsed
                        .problems
                        .push((i + 1, format!("{raw:?} is not a finite number")));
                    continue;
                }
            }
        };
        parsed.stats.push((name.to_owned(), value));
    }
    parsed
}

/// Splits a stat name of the text form into its base name and its labels: `http.count{route="/a"}`
/// is `("http.count", [("route", "/a")])`. A name without a well-formed trailing label set is
/// all base name.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent::text::split_labels;
/// assert_eq!(
///     split_labels(r#"http.count{route="/a\"b",code="200"}"#),
///     ("http.count", vec![("route".into(), "/a\"b".into()), ("code".into(), "200".into())])
/// );
/// assert_eq!(split_labels("odd{name"), ("odd{name", vec![]));
/// ```
#[must_use]
pub fn split_labels(name: &str) -> (&str, Vec<(String, String)>) {
    if name.ends_with('}') {
        for (at, _) in name.match_indices('{') {
            if let Some(labels) = parse_labels(&name[at + 1..name.len() - 1])
                && at > 0
            {
                return (&name[..at], labels);
            }
        }
    }
    (name, Vec::new())
}

fn parse_labels(mut s: &str) -> Option<Vec<(String, String)>> {
    let mut labels = Vec::new();
    while !s.is_empty() {
        let (key, rest) = s.split_once("=\"")?;
        if key.is_empty() || key.contains([',', '"', '{', '}', '=']) {
            return None;
        }
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (i, '"') => break i,
                (_, c) => value.push(c),
            }
        };
        labels.push((key.to_owned(), value));
        s = &rest[end + 1..];
        if let Some(more) = s.strip_prefix(',') {
            if more.is_empty() {
                return None;
            }
            s = more;
        } else if !s.is_empty() {
            return None;
        }
    }
    Some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HistogramConfig, Registry};
    use std::time::Duration;

    #[test]
    fn numbers_print_six_decimals_and_integers() {
        let p = |n: Number| n.to_string();
        assert_eq!(p(Number::Int(0)), "0");
        assert_eq!(p(Number::Int(-17)), "-17");
        assert_eq!(p(Number::Float(0.0)), "0.000000");
        assert_eq!(p(Number::Float(2.0)), "2.000000");
        assert_eq!(p(Number::Float(-0.125)), "-0.125000");
        assert_eq!(p(Number::Float(1.000_000_4)), "1.000000");
        assert_eq!(p(Number::Float(1.000_000_6)), "1.000001");
        assert_eq!(p(Number::Float(1e20)), "100000000000000000000.000000");
    }

    #[test]
    fn every_kind_in_the_text_form() {
        let r = Registry::new();
        r.counter("a.counter").unwrap().add(7);
        r.gauge("b.gauge").unwrap().set(-3);
        r.up_down_counter("c.updown").unwrap().add(2);
        r.float_gauge("d.float").unwrap().set(0.25);
        r.fn_gauge("e.fn", || 2.5).unwrap();
        r.fn_gauge("e.nan", || f64::NAN).unwrap();
        r.meter("f.meter").unwrap().mark_n(10);
        let hist = r
            .histogram_with("g.hist", HistogramConfig::default())
            .unwrap();
        for v in [1.0, 2.0, 3.0, 4.0] {
            hist.record(v).unwrap();
        }
        r.histogram("h.empty").unwrap();
        r.gauge_family("i.family", &["k"])
            .unwrap()
            .get(&["a\"b\\c\nd"])
            .unwrap()
            .set(1);
        let snap = r.snapshot();
        let text = encode(&snap);
        // Rates depend on the time the test takes: written as the snapshot holds them.
        let Value::Meter(m) = &snap.get("f.meter").unwrap().value else {
            panic!("a meter")
        };
        let Value::Histogram(hs) = &snap.get("g.hist").unwrap().value else {
            panic!("a histogram")
        };
        let q = &hs.quantiles;
        let expected = format!(
            "a.counter: 7\nb.gauge: -3\nc.updown: 2\nd.float: 0.250000\ne.fn: 2.500000\n\
             f.meter.count: 10\nf.meter.mean_rate: {:.6}\nf.meter.m1_rate: {:.6}\n\
             f.meter.m5_rate: {:.6}\nf.meter.m15_rate: {:.6}\n\
             g.hist.count: 4\ng.hist.sum: 10.000000\ng.hist.min: 1.000000\ng.hist.max: 4.000000\n\
             g.hist.mean: 2.500000\ng.hist.stddev: 1.118034\ng.hist.median: {:.6}\n\
             g.hist.75th: {:.6}\ng.hist.95th: {:.6}\ng.hist.98th: {:.6}\ng.hist.99th: {:.6}\n\
             g.hist.99_9th: {:.6}\nh.empty.count: 0\nh.empty.sum: 0.000000\n\
             i.family{{k=\"a\\\"b\\\\c\\nd\"}}: 1\n",
            m.mean_rate, m.m1, m.m5, m.m15, q.q50, q.q75, q.q95, q.q98, q.q99, q.q999
        );
        assert_eq!(text, expected);
        // Quantiles within the sketch's 1 %: the median of 1..4 by nearest rank is 2.
        assert!((q.q50 - 2.0).abs() <= 0.02, "{}", q.q50);
        // Every line reads back; labels split off again.
        let parsed = parse(&text);
        assert!(parsed.problems.is_empty());
        assert_eq!(parsed.stats.len(), text.lines().count());
        let last = &parsed.stats.last().unwrap().0;
        assert_eq!(
            split_labels(last),
            ("i.family", vec![("k".into(), "a\"b\\c\nd".into())])
        );
    }

    #[test]
    fn timers_write_seconds_and_rates() {
        let r = Registry::new();
        let t = r.timer("t").unwrap();
        t.record(Duration::from_millis(500));
        let s = r.snapshot();
        let Value::Timer(ts) = &s.get("t").unwrap().value else {
            panic!("a timer")
        };
        let text = encode(&s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[..4],
            [
                "t.count: 1",
                "t.sum: 0.500000",
                "t.min: 0.500000",
                "t.max: 0.500000"
            ]
        );
        assert_eq!(lines[4], "t.mean: 0.500000");
        assert_eq!(lines[12], format!("t.mean_rate: {:.6}", ts.rates.mean_rate));
        assert_eq!(lines[15], format!("t.m15_rate: {:.6}", ts.rates.m15));
        assert_eq!(lines.len(), 16);
    }

    #[test]
    fn parse_reads_python_statvent_lines_and_reports_problems() {
        let p = parse(
            "foo.bar: 12\nfoo :: now: 1764600000.123456\n\n: 3\nx: abc\ny: nan\nz: 18446744073709551615\n",
        );
        assert_eq!(
            p.stats,
            [
                ("foo.bar".to_owned(), Number::Int(12)),
                (
                    "foo :: now".to_owned(),
                    Number::Float(1_764_600_000.123_456)
                ),
                ("z".to_owned(), Number::Float(18_446_744_073_709_551_615.0)),
            ]
        );
        assert_eq!(
            p.problems,
            [
                (4, "the name is empty".to_owned()),
                (5, "\"abc\" is not a finite number".to_owned()),
                (6, "\"nan\" is not a finite number".to_owned()),
            ]
        );
    }

    #[test]
    fn malformed_label_sets_stay_in_the_name() {
        for name in [
            "a{k=\"v\"",
            "a{k=v}",
            "{k=\"v\"}",
            "a{k=\"v\",}",
            "a{k=\"v\"x}",
        ] {
            assert_eq!(split_labels(name), (name, vec![]), "{name}");
        }
        assert_eq!(
            split_labels("a{b}.c{k=\"v\"}"),
            ("a{b}.c", vec![("k".into(), "v".into())])
        );
    }
}
