//! The one mapping from dotted names to exposition names (Prometheus text, `OpenMetrics` and
//! every format with their rules), for metric and family names and for label keys.
//!
//! See [`exposition_name`] for the rules.

use crate::metric::{MetricKind, Unit};

/// Rules 1 and 2, the one character mapping every exporter shares (the encoders call it too):
/// ASCII lower-case letters, digits and `_` kept; an upper-case letter lowered, with a `_`
/// before it after a lower-case letter or digit (Prometheus names are snake case:
/// `MyImplHandler` gives `my_impl_handler`); anything else `_`; a leading digit prefixed with `_`.
pub(crate) fn sanitize(s: &str, out: &mut String) {
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        out.push('_');
    }
    let mut after_lower_or_digit = false;
    for c in s.chars() {
        match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                after_lower_or_digit = true;
            }
            'A'..='Z' => {
                if after_lower_or_digit {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
                after_lower_or_digit = false;
            }
            _ => {
                out.push('_');
                after_lower_or_digit = false;
            }
        }
    }
}

/// The exposition name of a metric or family, computed once by the registry for each.
///
/// A metric's exposition name is computed from its dotted name, kind and unit:
///
/// 1. every character other than an ASCII letter, digit or `_` becomes `_` (dots, `-`, `:`,
///    which Prometheus keeps for recording rules, and any non-ASCII character, one `_` each);
///    an upper-case letter is lowered, with a `_` before it after a lower-case letter or digit
///    (`getUser` gives `get_user`, as promtool's snake-case lint wants);
/// 2. a name that starts with a digit gets a leading `_`;
/// 3. for a counter or a meter, a trailing `_total` is taken off: it is the suffix of the
///    sample, written once by the encoder (`jobs.done.total` and `jobs.done` both give the
///    family `jobs_done` and the sample `jobs_done_total`);
/// 4. the unit's name is appended as `_<unit>` unless the name already ends with it (a timer is
///    in seconds: `db.get.latency` gives `db_get_latency_seconds`).
///
/// A label key follows rules 1 and 2. Two names that map to the same exposition name
/// (`a.b_c` and `a_b.c`) are refused by the registry, as are names whose samples would collide
/// (a gauge `jobs_total` beside a counter `jobs`): see [`sample_names`].
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{MetricKind, Unit, exposition_name};
/// assert_eq!(exposition_name("db.get.latency", MetricKind::Timer, Unit::Seconds), "db_get_latency_seconds");
/// assert_eq!(exposition_name("jobs.done.total", MetricKind::Counter, Unit::None), "jobs_done");
/// assert_eq!(exposition_name("io.read", MetricKind::Counter, Unit::Bytes), "io_read_bytes");
/// assert_eq!(exposition_name("9lives.ünï-x", MetricKind::Gauge, Unit::None), "_9lives__n__x");
/// ```
#[must_use]
pub fn exposition_name(name: &str, kind: MetricKind, unit: Unit) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    sanitize(name, &mut out);
    if matches!(kind, MetricKind::Counter | MetricKind::Meter)
        && let Some(base) = out.strip_suffix("_total")
        && !base.is_empty()
    {
        out.truncate(base.len());
    }
    let unit = unit.as_str();
    if !unit.is_empty() {
        let mut suffix = String::from("_");
        sanitize(unit, &mut suffix);
        if !out.ends_with(&suffix) {
            out.push_str(&suffix);
        }
    }
    out
}

/// The exposition form of a label key: rules 1 and 2 of [`exposition_name`].
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// assert_eq!(metered_runtime::exposition_label_key("task-type"), "task_type");
/// assert_eq!(metered_runtime::exposition_label_key("type"), "type");
/// ```
#[must_use]
pub fn exposition_label_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 1);
    sanitize(key, &mut out);
    out
}

/// The names a family of `kind` exported as `name` takes in the exposition: its own name and
/// those of its samples (`_total` and `_created` for counters and meters; `_bucket`, `_sum`,
/// `_count` and `_created` for histograms and timers). The registry refuses a metric whose
/// names meet another family's.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{MetricKind, sample_names};
/// assert_eq!(sample_names("jobs", MetricKind::Counter), ["jobs", "jobs_total", "jobs_created"]);
/// assert_eq!(sample_names("depth", MetricKind::Gauge), ["depth"]);
/// ```
#[must_use]
pub fn sample_names(name: &str, kind: MetricKind) -> Vec<String> {
    let suffixes: &[&str] = match kind {
        MetricKind::Counter | MetricKind::Meter => &["", "_total", "_created"],
        MetricKind::Gauge
        | MetricKind::UpDownCounter
        | MetricKind::FloatGauge
        | MetricKind::FnGauge => &[""],
        MetricKind::Histogram | MetricKind::Timer => &["", "_bucket", "_sum", "_count", "_created"],
    };
    suffixes.iter().map(|s| format!("{name}{s}")).collect()
}

/// Label keys that the samples of a `kind` use themselves, so a metric cannot carry them:
/// `le` for a histogram's buckets and `quantile` for its quantiles.
#[must_use]
pub(crate) fn reserved_label_keys(kind: MetricKind) -> &'static [&'static str] {
    match kind {
        MetricKind::Histogram | MetricKind::Timer => &["le", "quantile"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_once_and_suffixes_are_not_doubled() {
        use MetricKind as K;
        use Unit as U;
        let cases = [
            ("a.b_c", K::Gauge, U::None, "a_b_c"),
            ("a_b.c", K::Gauge, U::None, "a_b_c"),
            ("http.requests", K::Counter, U::None, "http_requests"),
            ("http.requests_total", K::Counter, U::None, "http_requests"),
            ("http.requests.total", K::Meter, U::None, "http_requests"),
            ("total", K::Counter, U::None, "total"),
            ("queue.total", K::Gauge, U::None, "queue_total"),
            ("latency", K::Timer, U::Seconds, "latency_seconds"),
            ("latency.seconds", K::Timer, U::Seconds, "latency_seconds"),
            ("sent", K::Counter, U::Bytes, "sent_bytes"),
            ("load", K::FloatGauge, U::Ratio, "load_ratio"),
            ("hits", K::Counter, U::Other("requests"), "hits_requests"),
            ("a:b-c", K::Gauge, U::None, "a_b_c"),
            ("1st.try", K::Gauge, U::None, "_1st_try"),
            ("ünï", K::Gauge, U::None, "_n_"),
        ];
        for (name, kind, unit, expected) in cases {
            assert_eq!(exposition_name(name, kind, unit), expected, "{name}");
        }
    }

    #[test]
    fn the_character_mapping_covers_every_class_of_character() {
        let cases = [
            ("a.b.c", "a_b_c"),
            ("a_b.c", "a_b_c"),
            ("MyImplHandler", "my_impl_handler"),
            ("v2Api", "v2_api"),
            ("HTTP", "http"),
            ("a:b-c d", "a_b_c_d"),
            ("9lives", "_9lives"),
            ("ünï", "_n_"),
            ("_x", "_x"),
            ("temp.°c", "temp__c"),
        ];
        for (input, expected) in cases {
            assert_eq!(exposition_label_key(input), expected, "{input}");
        }
    }

    #[test]
    fn label_keys_follow_the_same_rules() {
        let mapped: Vec<String> = ["task_type", "task-type", "2nd", "ü"]
            .into_iter()
            .map(exposition_label_key)
            .collect();
        assert_eq!(mapped, ["task_type", "task_type", "_2nd", "_"]);
    }

    #[test]
    fn samples_by_kind() {
        assert_eq!(
            sample_names("t_seconds", MetricKind::Timer),
            [
                "t_seconds",
                "t_seconds_bucket",
                "t_seconds_sum",
                "t_seconds_count",
                "t_seconds_created"
            ]
        );
        assert_eq!(sample_names("x", MetricKind::UpDownCounter), ["x"]);
        assert_eq!(
            reserved_label_keys(MetricKind::Histogram),
            ["le", "quantile"]
        );
        assert!(reserved_label_keys(MetricKind::Counter).is_empty());
    }
}
