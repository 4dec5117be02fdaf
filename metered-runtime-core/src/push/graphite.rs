//! The Graphite plaintext encoder: a [`Report`] as `path value timestamp\n` lines.
//!
//! Paths are the prefix, the dotted name, and for all but counters and gauges a statistic:
//!
//! - counter: `N INC`, the increment since the previous report;
//! - gauge, up-down counter, float gauge: `N VALUE`;
//! - meter: `N.count INC`, `N.mean_rate`, `N.m1_rate`, `N.m5_rate`, `N.m15_rate` (per second);
//! - histogram: `N.count` (values recorded since the previous report), and when there were
//!   any: `N.sum`, `N.mean`, `N.min`, `N.max`, `N.p50`, `N.p75`, `N.p95`, `N.p99`, `N.p999`;
//! - timer: as a histogram with the statistics in milliseconds, plus the rates of a meter;
//! - an unreadable metric: nothing.
//!
//! A NaN or infinite value is never sent (carbon drops such a line silently). Timestamps are
//! the report's time in whole seconds.
//!
//! **Name sanitising**: in the prefix and the name, every character other than ASCII letters,
//! digits, `_`, `-` and the dots between segments becomes `_` (so a path is always a plain
//! whisper file path). Labels become, by [`Labels`], Graphite 1.1 tags `;key=value` (keys and
//! values sanitised the same way, dots kept, a tag with an empty value left out), or extra path
//! segments `.key.value` after the name, or nothing.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::Registry;
//! use metered_runtime::push::{delta::DeltaState, graphite};
//! use std::time::{Duration, SystemTime};
//! let r = Registry::new();
//! r.counter_family("http.requests", &["route"]).unwrap().get(&["/a b"]).unwrap().add(3);
//! let t = SystemTime::UNIX_EPOCH + Duration::from_millis(2500);
//! let report_snapshot = r.snapshot();
//! let report = DeltaState::new().report(&report_snapshot, t);
//! let text = graphite::encode(&report, &graphite::Config::default());
//! assert_eq!(text, "http.requests;route=_a_b 3 2\n");
//! ```

use super::delta::{Distribution, Rates, Report, ReportValue};
use std::fmt::Write as _;

/// How labels are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Labels {
    /// Graphite 1.1 tags: `path;key=value`.
    #[default]
    Tags,
    /// Path segments: `name.key.value.stat`.
    Path,
    /// Not at all.
    Drop,
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Put in front of every path, e.g. `"myapp."`.
    pub prefix: String,
    /// How labels are sent.
    pub labels: Labels,
}

fn clean(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
            out.push(c);
        } else {
            out.push('_');
        }
    }
}

fn clean_segment(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-') {
            out.push(c);
        } else {
            out.push('_');
        }
    }
}

struct Out<'a> {
    text: String,
    base: String,
    tags: String,
    ts: &'a str,
}

impl Out<'_> {
    fn line(&mut self, stat: &str, value: impl std::fmt::Display) {
        let _ = write!(self.text, "{}", self.base);
        if !stat.is_empty() {
            let _ = write!(self.text, ".{stat}");
        }
        let _ = writeln!(self.text, "{} {value} {}", self.tags, self.ts);
    }
    fn float(&mut self, stat: &str, v: f64) {
        if v.is_finite() {
            self.line(stat, v);
        }
    }
    fn rates(&mut self, r: &Rates) {
        for (k, v) in r.named() {
            self.float(k, v);
        }
    }
    fn distribution(&mut self, d: &Distribution, scale: f64) {
        self.line("count", d.count);
        if d.count == 0 {
            return;
        }
        for (k, v) in d.statistics() {
            self.float(k, v * scale);
        }
    }
}

/// Encodes `report` as Graphite plaintext, every line ending in `\n`.
#[must_use]
pub fn encode(report: &Report, cfg: &Config) -> String {
    let ts = report
        .time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .to_string();
    let mut out = Out {
        text: String::new(),
        base: String::new(),
        tags: String::new(),
        ts: &ts,
    };
    for m in &report.metrics {
        out.base.clear();
        out.tags.clear();
        clean(&mut out.base, &cfg.prefix);
        clean(&mut out.base, m.name);
        for (k, v) in m.labels {
            match cfg.labels {
                Labels::Tags if !k.is_empty() && !v.is_empty() => {
                    out.tags.push(';');
                    clean(&mut out.tags, k);
                    out.tags.push('=');
                    clean(&mut out.tags, v);
                }
                Labels::Path => {
                    out.base.push('.');
                    clean_segment(&mut out.base, k);
                    out.base.push('.');
                    clean_segment(&mut out.base, if v.is_empty() { "_" } else { v });
                }
                _ => {}
            }
        }
        match &m.value {
            ReportValue::Counter(n) => out.line("", n),
            ReportValue::Gauge(g) => out.line("", g),
            ReportValue::FloatGauge(g) | ReportValue::FloatCounter(g) => out.float("", *g),
            ReportValue::Meter(r) => {
                out.line("count", r.count);
                out.rates(r);
            }
            ReportValue::Histogram(d) => out.distribution(d, 1.0),
            ReportValue::Timer(d, r) => {
                out.distribution(d, 1000.0);
                out.rates(r);
            }
            ReportValue::Error(_) => {}
        }
    }
    out.text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use crate::push::delta::DeltaState;
    use std::time::{Duration, SystemTime};

    #[test]
    fn every_kind_golden() {
        let r = Registry::new();
        r.counter("c").unwrap().add(2);
        r.gauge("g").unwrap().set(-7);
        r.float_gauge("f").unwrap().set(0.5);
        r.fn_gauge("bad", || f64::INFINITY).unwrap();
        r.histogram("h").unwrap().record(2.5).unwrap();
        r.timer("t").unwrap().record(Duration::from_micros(1500));
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(7999);
        let mut s = DeltaState::new();
        let cfg = Config {
            prefix: "my app.".into(),
            ..Config::default()
        };
        let text_snapshot = r.snapshot();
        let text = encode(&s.report(&text_snapshot, t), &cfg);
        let mut expected = String::from("my_app.c 2 7\nmy_app.f 0.5 7\nmy_app.g -7 7\n");
        expected.push_str("my_app.h.count 1 7\n");
        for k in [
            "sum", "mean", "min", "max", "p50", "p75", "p95", "p99", "p999",
        ] {
            let _ = writeln!(expected, "my_app.h.{k} 2.5 7");
        }
        expected.push_str("my_app.t.count 1 7\n");
        for k in [
            "sum", "mean", "min", "max", "p50", "p75", "p95", "p99", "p999",
        ] {
            let _ = writeln!(expected, "my_app.t.{k} 1.5 7");
        }
        let (head, rates) = text.split_at(expected.len());
        assert_eq!(head, expected);
        let rates: Vec<&str> = rates
            .lines()
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            rates,
            [
                "my_app.t.mean_rate",
                "my_app.t.m1_rate",
                "my_app.t.m5_rate",
                "my_app.t.m15_rate"
            ]
        );
        // Nothing new: counts of 0 and no statistics.
        let again_snapshot = r.snapshot();
        let again = encode(&s.report(&again_snapshot, t), &cfg);
        assert!(again.contains("my_app.h.count 0 7\n") && !again.contains("my_app.h.sum"));
    }

    #[test]
    fn labels_as_tags_or_path_segments_sanitised() {
        let r = Registry::new();
        let f = r.gauge_family("a.b", &["k", "e"]).unwrap();
        f.get(&["x.y/z;w=~ ü", ""]).unwrap().set(1);
        let rep_snapshot = r.snapshot();
        let rep = DeltaState::new().report(&rep_snapshot, SystemTime::UNIX_EPOCH);
        assert_eq!(encode(&rep, &Config::default()), "a.b;k=x.y_z_w____ 1 0\n");
        let path = Config {
            labels: Labels::Path,
            ..Config::default()
        };
        assert_eq!(encode(&rep, &path), "a.b.k.x_y_z_w____.e._ 1 0\n");
        let drop = Config {
            labels: Labels::Drop,
            ..Config::default()
        };
        assert_eq!(encode(&rep, &drop), "a.b 1 0\n");
    }
}
