//! Many processes' stats as one host view: [`combine`] by a [`Combine`] rule, and [`to_json`] in
//! the shape `python -m statvent.web` serves.
//!
//! # The rule ([`Combine::ByStatistic`], the default)
//! The text form carries no kinds, only names and numbers, so the rule goes by the *statistic
//! word* of a name: the trailing run of ASCII letters, digits and `_` of the name without its
//! labels (`median` in `http.latency.median{route="/a"}`, `95th` in `foo->baz->95th`).
//!
//! | word | combined as | why |
//! | --- | --- | --- |
//! | `median`, `75th`, `95th`, `98th`, `99th`, `99_9th`, `100th`, `max` | the largest | the host's q-quantile lies between the smallest and the largest of the processes' q-quantiles, so the largest is a bound that is never too low; exact for `max` and `100th` |
//! | `min` | the smallest | exact |
//! | `mean` | weighted by the sibling `count` (`N.count` beside `N.mean`) where every process has one, else the plain average of the processes' means | exact with counts |
//! | `stddev` | pooled from the siblings `count` and `mean` where every process has both, else the largest | exact with counts |
//! | anything else | summed | counters, counts and sums add up exactly; rates (`mean_rate`, `m1_rate`...) sum to the host's rate; gauges sum to the host's total (connections, queue depths), as statvent does |
//!
//! A gauge whose sum means nothing (a timestamp, a configured limit) is better read per process
//! (`<pid>.stats`) or named with one of the words above. [`Combine::Sum`] sums every stat,
//! exactly as `statvent.web` does.
//!
//! Integers stay integers while every process's value is one (and the sum fits an `i64`);
//! means and pooled deviations are floats.

use super::text::{Number, split_labels};
use crate::snapshot::Node;
use std::collections::BTreeMap;

/// How the stats of several processes become one (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Combine {
    /// By the statistic word: quantiles and maxima by the largest, minima by the smallest,
    /// means and deviations weighted by counts, everything else summed.
    #[default]
    ByStatistic,
    /// Every stat summed, as `python -m statvent.web` does.
    Sum,
}

#[derive(Clone, Copy, PartialEq)]
enum How {
    Sum,
    Max,
    Min,
    Mean,
    Stddev,
}

/// The statistic word of `name` and the text before it, labels set aside:
/// `("http.latency.", "median", "{route=\"/a\"}")`.
fn word(name: &str) -> (&str, &str, &str) {
    let (base, _) = split_labels(name);
    let labels = &name[base.len()..];
    let start = base
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(base.len(), |(i, _)| i);
    (&base[..start], &base[start..], labels)
}

fn how(word: &str) -> How {
    match word {
        "median" | "75th" | "95th" | "98th" | "99th" | "99_9th" | "100th" | "max" => How::Max,
        "min" => How::Min,
        "mean" => How::Mean,
        "stddev" => How::Stddev,
        _ => How::Sum,
    }
}

/// Combines the stats of each process (one slice per process) into one view, sorted by name.
/// A process that lacks a stat simply contributes nothing to it.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent::{Combine, Number, combine};
/// let a = vec![("jobs".to_owned(), Number::Int(2)), ("lat.count".to_owned(), Number::Int(1)),
///              ("lat.mean".to_owned(), Number::Float(4.0)), ("lat.99th".to_owned(), Number::Float(4.0))];
/// let b = vec![("jobs".to_owned(), Number::Int(5)), ("lat.count".to_owned(), Number::Int(3)),
///              ("lat.mean".to_owned(), Number::Float(2.0)), ("lat.99th".to_owned(), Number::Float(3.0))];
/// let host = combine(&[a.clone(), b.clone()], Combine::ByStatistic);
/// assert_eq!(host["jobs"], Number::Int(7));
/// assert_eq!(host["lat.count"], Number::Int(4));
/// assert_eq!(host["lat.mean"], Number::Float(2.5)); // (1 * 4 + 3 * 2) / 4
/// assert_eq!(host["lat.99th"], Number::Float(4.0));
/// assert_eq!(combine(&[a, b], Combine::Sum)["lat.99th"], Number::Float(7.0));
/// ```
#[must_use]
pub fn combine(processes: &[Vec<(String, Number)>], rule: Combine) -> BTreeMap<String, Number> {
    let per_process: Vec<BTreeMap<&str, Number>> = processes
        .iter()
        .map(|stats| stats.iter().map(|(k, v)| (k.as_str(), *v)).collect())
        .collect();
    let mut names: Vec<&str> = per_process.iter().flat_map(|p| p.keys().copied()).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = BTreeMap::new();
    for name in names {
        let (prefix, w, labels) = word(name);
        let how = match rule {
            Combine::Sum => How::Sum,
            Combine::ByStatistic => how(w),
        };
        let values: Vec<(&BTreeMap<&str, Number>, Number)> = per_process
            .iter()
            .filter_map(|p| p.get(name).map(|v| (p, *v)))
            .collect();
        let sibling = |p: &BTreeMap<&str, Number>, stat: &str| {
            p.get(format!("{prefix}{stat}{labels}").as_str())
                .map(|n| n.as_f64())
        };
        let combined = match how {
            How::Sum => values.iter().fold(Number::Int(0), |acc, (_, v)| acc + *v),
            How::Max => extreme(&values, |a, b| a > b),
            How::Min => extreme(&values, |a, b| a < b),
            How::Mean => mean(&values, &sibling),
            How::Stddev => stddev(&values, &sibling),
        };
        out.insert(name.to_owned(), combined);
    }
    out
}

type Values<'a, 'b> = [(&'a BTreeMap<&'b str, Number>, Number)];
/// A process's sibling stat of the one combined, by statistic word.
type Sibling<'x> = dyn Fn(&BTreeMap<&str, Number>, &str) -> Option<f64> + 'x;

fn extreme(values: &Values<'_, '_>, better: impl Fn(f64, f64) -> bool) -> Number {
    let mut best = values[0].1;
    for (_, v) in &values[1..] {
        if better(v.as_f64(), best.as_f64()) {
            best = *v;
        }
    }
    best
}

#[allow(
    clippy::cast_precision_loss,
    reason = "averaging over a handful of processes"
)]
fn mean(values: &Values<'_, '_>, sibling: &Sibling<'_>) -> Number {
    let counts: Option<Vec<f64>> = values.iter().map(|(p, _)| sibling(p, "count")).collect();
    Number::Float(match counts {
        Some(counts) => {
            let n: f64 = counts.iter().sum();
            if n > 0.0 {
                values
                    .iter()
                    .zip(&counts)
                    .map(|((_, v), c)| v.as_f64() * c)
                    .sum::<f64>()
                    / n
            } else {
                0.0
            }
        }
        None => values.iter().map(|(_, v)| v.as_f64()).sum::<f64>() / values.len() as f64,
    })
}

fn stddev(values: &Values<'_, '_>, sibling: &Sibling<'_>) -> Number {
    let parts: Option<Vec<(f64, f64, f64)>> = values
        .iter()
        .map(|(p, v)| Some((sibling(p, "count")?, sibling(p, "mean")?, v.as_f64())))
        .collect();
    let Some(parts) = parts else {
        return Number::Float(extreme(values, |a, b| a > b).as_f64());
    };
    let n: f64 = parts.iter().map(|(c, _, _)| c).sum();
    if n <= 0.0 {
        return Number::Float(0.0);
    }
    let mu = parts.iter().map(|(c, m, _)| c * m).sum::<f64>() / n;
    let second = parts
        .iter()
        .map(|(c, m, s)| c * (s * s + m * m))
        .sum::<f64>()
        / n;
    Number::Float((second - mu * mu).max(0.0).sqrt())
}

/// The host view as `statvent.web` serves it: `{"processes":N,"stats":{...},"timestamp":T}`,
/// keys sorted, integers as JSON integers, floats as the shortest text that reads back the same,
/// `timestamp` in seconds since the Unix epoch. (`processes`, the number of processes whose
/// stats were read, is ours; statvent's JSON has `stats` and `timestamp` only.)
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::statvent::{Number, to_json};
/// let stats = [("jobs".to_owned(), Number::Int(7)), ("load".to_owned(), Number::Float(0.5))].into();
/// assert_eq!(
///     to_json(&stats, 2, 1764600000.25),
///     r#"{"processes":2,"stats":{"jobs":7,"load":0.5},"timestamp":1764600000.25}"#
/// );
/// ```
#[must_use]
pub fn to_json(stats: &BTreeMap<String, Number>, processes: usize, timestamp: f64) -> String {
    let stats = stats
        .iter()
        .map(|(k, v)| {
            let node = match v {
                Number::Int(i) => Node::Int(*i),
                Number::Float(x) => Node::Float(*x),
            };
            (k.clone(), node)
        })
        .collect();
    let root = Node::Object(BTreeMap::from([
        ("processes".to_owned(), Node::UInt(processes as u64)),
        ("stats".to_owned(), Node::Object(stats)),
        ("timestamp".to_owned(), Node::Float(timestamp)),
    ]));
    let mut out = String::new();
    root.write_json(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, Number)]) -> Vec<(String, Number)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn words_ignore_labels() {
        assert_eq!(
            word("http.latency.median{route=\"/a\"}"),
            ("http.latency.", "median", "{route=\"/a\"}")
        );
        assert_eq!(word("foo->baz->95th"), ("foo->baz->", "95th", ""));
        assert_eq!(word("plain"), ("", "plain", ""));
        assert_eq!(word("ends."), ("ends.", "", ""));
    }

    #[test]
    fn by_statistic_is_exact_for_counts_extremes_means_and_deviations() {
        use Number::{Float, Int};
        // Process a: values 1, 3; process b: values 2, 4, 6.
        let a = stats(&[
            ("h.count", Int(2)),
            ("h.sum", Float(4.0)),
            ("h.min", Float(1.0)),
            ("h.max", Float(3.0)),
            ("h.mean", Float(2.0)),
            ("h.stddev", Float(1.0)),
            ("h.median", Float(1.0)),
            ("g", Int(-2)),
            ("only.a", Float(0.5)),
        ]);
        let b = stats(&[
            ("h.count", Int(3)),
            ("h.sum", Float(12.0)),
            ("h.min", Float(2.0)),
            ("h.max", Float(6.0)),
            ("h.mean", Float(4.0)),
            ("h.stddev", Float((8.0f64 / 3.0).sqrt())),
            ("h.median", Float(4.0)),
            ("g", Int(5)),
        ]);
        let host = combine(&[a, b], Combine::ByStatistic);
        assert_eq!(host["h.count"], Int(5));
        assert_eq!(host["h.sum"], Float(16.0));
        assert_eq!(host["h.min"], Float(1.0));
        assert_eq!(host["h.max"], Float(6.0));
        assert_eq!(host["h.mean"], Float(3.2));
        // The population deviation of 1, 3, 2, 4, 6: mean 3.2, variance 2.96.
        let Float(sd) = host["h.stddev"] else {
            panic!("a float")
        };
        assert!((sd - 2.96f64.sqrt()).abs() < 1e-12, "{sd}");
        assert_eq!(host["h.median"], Float(4.0));
        assert_eq!(host["g"], Int(3));
        assert_eq!(host["only.a"], Float(0.5));
        assert_eq!(host.len(), 9);
    }

    #[test]
    fn without_counts_means_average_and_deviations_take_the_largest() {
        use Number::Float;
        let a = stats(&[("r->mean", Float(1.0)), ("r->stddev", Float(0.5))]);
        let b = stats(&[("r->mean", Float(2.0)), ("r->stddev", Float(0.25))]);
        let host = combine(&[a, b], Combine::ByStatistic);
        assert_eq!(host["r->mean"], Float(1.5));
        assert_eq!(host["r->stddev"], Float(0.5));
    }

    #[test]
    fn sums_stay_integers_until_a_float_or_an_overflow() {
        use Number::{Float, Int};
        let host = combine(
            &[
                stats(&[("i", Int(1)), ("f", Int(1)), ("big", Int(i64::MAX))]),
                stats(&[("i", Int(2)), ("f", Float(0.5)), ("big", Int(1))]),
            ],
            Combine::Sum,
        );
        assert_eq!(host["i"], Int(3));
        assert_eq!(host["f"], Float(1.5));
        assert_eq!(host["big"], Float(9_223_372_036_854_775_808.0));
    }

    #[test]
    fn json_of_an_empty_host() {
        assert_eq!(
            to_json(&BTreeMap::new(), 0, 1.0),
            r#"{"processes":0,"stats":{},"timestamp":1.0}"#
        );
    }
}
