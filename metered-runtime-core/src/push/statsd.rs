//! The StatsD encoder: a [`Report`] as StatsD lines packed into UDP datagrams.
//!
//! Lines, for a metric named `N` (with the configured prefix in front, dotted names as they are):
//!
//! - counter: `N:INC|c` with the increment, left out when it is 0;
//! - gauge, up-down counter, float gauge: `N:VALUE|g`; a negative value as `N:0|g` then
//!   `N:VALUE|g` in one datagram, since StatsD reads `N:-5|g` alone as a decrement; a NaN or
//!   infinite value is left out;
//! - meter: `N.count:INC|c` (left out when 0), and `N.mean_rate`, `N.m1_rate`, `N.m5_rate`,
//!   `N.m15_rate` as gauges (events per second);
//! - timer: `N.count:INC|c` with the events of the interval (left out when 0); when the
//!   interval recorded any, `N.sum`, `N.mean`, `N.min`, `N.max`, `N.p50`, `N.p75`, `N.p95`,
//!   `N.p99`, `N.p999` as `|ms` (milliseconds with decimals); and the rates as for a meter;
//! - histogram: `N.count` as for a timer, and the same statistics as gauges in the histogram's
//!   own unit;
//! - an unreadable metric: nothing.
//!
//! The statistics are those of the values recorded since the previous report
//! ([`Distribution`]); each is a StatsD metric of its own, so with one report per StatsD
//! flush interval StatsD's `upper`, `lower` and `mean` of `N.p99` are our p99.
//!
//! Labels become, by [`Tags`]: DogStatsD tags `|#k:v,k2:v2`, or Graphite-1.1-style name
//! suffixes `N;k=v;k2=v2` (which Etsy StatsD keeps in the name), or nothing. The characters
//! StatsD's syntax reserves are replaced by `_`: `:`, `|`, `@` and newlines in names and tag
//! parts, `,` and `#` in tags, `;` and `=` in suffixed label keys and values.
//!
//! Lines are joined with `\n` into datagrams of at most [`Config::max_datagram`] bytes (1432 by
//! default: a 1500-byte Ethernet MTU less IP and UDP headers, with room for options); a line is
//! never split, and a line longer than a datagram is dropped and counted in
//! [`Encoded::oversized`].
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::Registry;
//! use metered_runtime::push::{delta::DeltaState, statsd};
//! let r = Registry::new();
//! r.counter("app.requests").unwrap().add(3);
//! r.gauge("app.temp").unwrap().set(-5);
//! let report_snapshot = r.snapshot();
//! let report = DeltaState::new().report(&report_snapshot, std::time::SystemTime::now());
//! let out = statsd::encode(&report, &statsd::Config::default());
//! assert_eq!(out.datagrams, [b"app.requests:3|c\napp.temp:0|g\napp.temp:-5|g".to_vec()]);
//! ```

use super::delta::{Distribution, Rates, Report, ReportValue};
use std::fmt::Write as _;

/// How labels are sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Tags {
    /// As name suffixes `;k=v` (Graphite 1.1 tags, which Etsy StatsD passes through).
    #[default]
    NameSuffix,
    /// As DogStatsD tags `|#k:v,k2:v2`.
    DogStatsd,
    /// Not at all (children of a family then add up in StatsD).
    Drop,
}

/// Encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Put in front of every name, e.g. `"myapp."` (nothing is added between).
    pub prefix: String,
    /// How labels are sent.
    pub tags: Tags,
    /// The largest datagram, in bytes.
    pub max_datagram: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            prefix: String::new(),
            tags: Tags::NameSuffix,
            max_datagram: 1432,
        }
    }
}

/// The datagrams of one report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    /// Each at most [`Config::max_datagram`] bytes, lines separated by `\n`.
    pub datagrams: Vec<Vec<u8>>,
    /// Lines left out because they alone exceed a datagram.
    pub oversized: u64,
}

fn clean(out: &mut String, s: &str, extra: &[char]) {
    for c in s.chars() {
        if matches!(c, ':' | '|' | '@' | '\n' | '\r') || c.is_control() || extra.contains(&c) {
            out.push('_');
        } else {
            out.push(c);
        }
    }
}

struct Lines<'a> {
    cfg: &'a Config,
    /// The name with prefix and suffixed labels, the tag part (`|#...` or empty).
    base: String,
    tags: String,
    /// Groups of lines that must travel in one datagram.
    groups: Vec<String>,
}

impl Lines<'_> {
    fn name(&self, stat: &str) -> String {
        let mut n = String::with_capacity(self.base.len() + stat.len() + 1);
        match self.base.find(';') {
            Some(i) if !stat.is_empty() => {
                n.push_str(&self.base[..i]);
                n.push('.');
                n.push_str(stat);
                n.push_str(&self.base[i..]);
            }
            _ => {
                n.push_str(&self.base);
                if !stat.is_empty() {
                    n.push('.');
                    n.push_str(stat);
                }
            }
        }
        n
    }

    fn line(&mut self, stat: &str, value: &str, kind: &str) {
        let l = format!("{}:{value}|{kind}{}", self.name(stat), self.tags);
        self.groups.push(l);
    }

    fn count(&mut self, stat: &str, n: u64) {
        if n > 0 {
            self.line(stat, &n.to_string(), "c");
        }
    }

    fn gauge(&mut self, stat: &str, v: f64) {
        if !v.is_finite() {
            return;
        }
        if v < 0.0 {
            let name = self.name(stat);
            let g = format!("{name}:0|g{t}\n{name}:{v}|g{t}", t = self.tags);
            self.groups.push(g);
        } else {
            self.line(stat, &format!("{v}"), "g");
        }
    }

    fn rates(&mut self, r: &Rates) {
        for (stat, v) in r.named() {
            self.gauge(stat, v);
        }
    }

    /// `scale` turns reported units into sent ones; `timer` sends `|ms` instead of `|g`.
    fn distribution(&mut self, d: &Distribution, scale: f64, timer: bool) {
        self.count("count", d.count);
        if d.count == 0 {
            return;
        }
        for (stat, v) in d.statistics() {
            let v = v * scale;
            if !timer {
                self.gauge(stat, v);
            } else if v.is_finite() {
                self.line(stat, &format!("{v}"), "ms");
            }
        }
    }
}

/// Encodes `report` as StatsD datagrams (see the [module docs](self) for the lines).
#[must_use]
pub fn encode(report: &Report, cfg: &Config) -> Encoded {
    let mut lines = Lines {
        cfg,
        base: String::new(),
        tags: String::new(),
        groups: Vec::new(),
    };
    for m in &report.metrics {
        lines.base.clear();
        lines.tags.clear();
        clean(&mut lines.base, &lines.cfg.prefix, &[]);
        clean(&mut lines.base, m.name, &[]);
        match cfg.tags {
            Tags::NameSuffix => {
                for (k, v) in m.labels {
                    lines.base.push(';');
                    clean(&mut lines.base, k, &[';', '=']);
                    lines.base.push('=');
                    clean(&mut lines.base, v, &[';', '=']);
                }
            }
            Tags::DogStatsd => {
                for (i, (k, v)) in m.labels.iter().enumerate() {
                    lines.tags.push_str(if i == 0 { "|#" } else { "," });
                    clean(&mut lines.tags, k, &[',', '#']);
                    lines.tags.push(':');
                    clean(&mut lines.tags, v, &[',', '#']);
                }
            }
            Tags::Drop => {}
        }
        match &m.value {
            ReportValue::Counter(n) => lines.count("", *n),
            #[allow(clippy::cast_precision_loss, reason = "StatsD gauges are doubles")]
            ReportValue::Gauge(g) => {
                if *g < 0 {
                    let name = lines.name("");
                    let t = &lines.tags;
                    lines.groups.push(format!("{name}:0|g{t}\n{name}:{g}|g{t}"));
                } else {
                    lines.line("", &g.to_string(), "g");
                }
            }
            ReportValue::FloatGauge(g) => lines.gauge("", *g),
            ReportValue::FloatCounter(n) => {
                if n.is_finite() && *n > 0.0 {
                    lines.line("", &format!("{n}"), "c");
                }
            }
            ReportValue::Meter(r) => {
                lines.count("count", r.count);
                lines.rates(r);
            }
            ReportValue::Histogram(d) => lines.distribution(d, 1.0, false),
            ReportValue::Timer(d, r) => {
                lines.distribution(d, 1000.0, true);
                lines.rates(r);
            }
            ReportValue::Error(_) => {}
        }
    }
    pack(lines.groups, cfg.max_datagram)
}

fn pack(groups: Vec<String>, max: usize) -> Encoded {
    let mut out = Encoded::default();
    let mut current = String::new();
    for g in groups {
        if g.len() > max {
            out.oversized += 1 + g.matches('\n').count() as u64;
            continue;
        }
        if !current.is_empty() && current.len() + 1 + g.len() > max {
            out.datagrams
                .push(std::mem::take(&mut current).into_bytes());
        }
        if !current.is_empty() {
            current.push('\n');
        }
        let _ = write!(current, "{g}");
    }
    if !current.is_empty() {
        out.datagrams.push(current.into_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Registry;
    use crate::push::delta::DeltaState;
    use std::time::{Duration, SystemTime};

    fn text(e: &Encoded) -> Vec<String> {
        e.datagrams
            .iter()
            .map(|d| String::from_utf8(d.clone()).unwrap())
            .collect()
    }

    #[test]
    fn every_kind_golden() {
        let r = Registry::new();
        r.counter("c").unwrap().add(2);
        r.gauge("g").unwrap().set(7);
        r.up_down_counter("u").unwrap().add(-3);
        r.float_gauge("f").unwrap().set(-0.25);
        r.fn_gauge("bad", || f64::NAN).unwrap();
        r.meter("m").unwrap().mark_n(4);
        r.histogram("h").unwrap().record(2.5).unwrap();
        r.timer("t").unwrap().record(Duration::from_micros(1500));
        let mut s = DeltaState::new();
        let rep_snapshot = r.snapshot();
        let rep = s.report(&rep_snapshot, SystemTime::now());
        let cfg = Config {
            prefix: "app.".into(),
            ..Config::default()
        };
        let out = encode(&rep, &cfg);
        let all = text(&out).join("\n");
        let rates = |n: &str| {
            let mut v = Vec::new();
            for s in ["mean_rate", "m1_rate", "m5_rate", "m15_rate"] {
                v.push(format!("app.{n}.{s}:"));
            }
            v
        };
        let mut expected_prefixes = vec![
            "app.c:2|c".to_owned(),
            "app.f:0|g".into(),
            "app.f:-0.25|g".into(),
            "app.g:7|g".into(),
            "app.h.count:1|c".into(),
            "app.h.sum:2.5|g".into(),
            "app.h.mean:2.5|g".into(),
            "app.h.min:2.5|g".into(),
            "app.h.max:2.5|g".into(),
            "app.h.p50:2.5|g".into(),
            "app.h.p75:2.5|g".into(),
            "app.h.p95:2.5|g".into(),
            "app.h.p99:2.5|g".into(),
            "app.h.p999:2.5|g".into(),
            "app.m.count:4|c".into(),
        ];
        expected_prefixes.extend(rates("m"));
        expected_prefixes.extend(
            [
                "app.t.count:1|c",
                "app.t.sum:1.5|ms",
                "app.t.mean:1.5|ms",
                "app.t.min:1.5|ms",
                "app.t.max:1.5|ms",
                "app.t.p50:1.5|ms",
                "app.t.p75:1.5|ms",
                "app.t.p95:1.5|ms",
                "app.t.p99:1.5|ms",
                "app.t.p999:1.5|ms",
            ]
            .map(String::from),
        );
        expected_prefixes.extend(rates("t"));
        expected_prefixes.extend(["app.u:0|g".to_owned(), "app.u:-3|g".into()]);
        let got: Vec<&str> = all.lines().collect();
        assert_eq!(got.len(), expected_prefixes.len(), "{all}");
        for (g, e) in got.iter().zip(&expected_prefixes) {
            assert!(g.starts_with(e.as_str()), "{g} vs {e}");
            if e.ends_with(':') {
                assert!(g.ends_with("|g"), "{g}");
            }
        }
        assert_eq!(out.oversized, 0);

        // Nothing recorded since: only gauges and rates go out again.
        let again_snapshot = r.snapshot();
        let again = text(&encode(&s.report(&again_snapshot, SystemTime::now()), &cfg)).join("\n");
        assert!(!again.contains("|c"), "{again}");
        assert!(!again.contains("|ms"), "{again}");
        assert!(again.contains("app.g:7|g"), "{again}");
    }

    #[test]
    fn labels_as_suffix_or_dogstatsd_tags_with_reserved_characters_replaced() {
        let r = Registry::new();
        let f = r.counter_family("req", &["path", "code"]).unwrap();
        f.get(&["/a:b|c;d=e", "2,0#0"]).unwrap().add(1);
        let h = r.histogram_family("lat", &["k"]).unwrap();
        h.get(&["v"]).unwrap().record(1.0).unwrap();
        let rep_snapshot = r.snapshot();
        let rep = DeltaState::new().report(&rep_snapshot, SystemTime::now());
        let suffix = text(&encode(&rep, &Config::default())).join("\n");
        assert!(suffix.contains("lat.count;k=v:1|c"), "{suffix}");
        assert!(
            suffix.contains("req;path=/a_b_c_d_e;code=2,0#0:1|c"),
            "{suffix}"
        );
        let dog = Config {
            tags: Tags::DogStatsd,
            ..Config::default()
        };
        let dog = text(&encode(&rep, &dog)).join("\n");
        assert!(dog.contains("lat.count:1|c|#k:v"), "{dog}");
        assert!(dog.contains("req:1|c|#path:/a_b_c;d=e,code:2_0_0"), "{dog}");
        let none = Config {
            tags: Tags::Drop,
            ..Config::default()
        };
        assert!(text(&encode(&rep, &none)).join("\n").contains("\nreq:1|c"));
    }

    #[test]
    fn datagrams_never_split_lines_or_negative_gauge_pairs() {
        let r = Registry::new();
        for i in 0..300 {
            r.gauge(&format!("some.fairly.long.gauge.name.{i:03}"))
                .unwrap()
                .set(-1_000_000 - i);
        }
        let long = "y".repeat(1500);
        r.counter_family("x", &["k"])
            .unwrap()
            .get(&[&long])
            .unwrap()
            .inc();
        let rep_snapshot = r.snapshot();
        let rep = DeltaState::new().report(&rep_snapshot, SystemTime::now());
        let out = encode(&rep, &Config::default());
        assert_eq!(out.oversized, 1);
        let mut seen = 0;
        for d in text(&out) {
            assert!(d.len() <= 1432, "{}", d.len());
            assert!(!d.ends_with('\n') && !d.starts_with('\n'));
            let lines: Vec<&str> = d.lines().collect();
            assert_eq!(lines.len() % 2, 0);
            for pair in lines.chunks(2) {
                let name = pair[0].strip_suffix(":0|g").unwrap();
                assert!(pair[1].starts_with(&format!("{name}:-")), "{pair:?}");
                seen += 1;
            }
        }
        assert_eq!(seen, 300);
    }
}
