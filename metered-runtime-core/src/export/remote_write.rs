//! The series of a Prometheus remote write request, named and labelled exactly as the text
//! exposition 0.0.4 ([`prometheus`](super::prometheus)) names them: the same adapter builds
//! both, so a series pushed by remote write and the same series scraped are one series.
//!
//! This module is pure (no protobuf, no I/O): [`visit`] hands each series of a snapshot to a
//! closure as sorted labels and one point; the `metered-push` crate's remote write sink
//! (`metered_runtime::push::remote_write`) turns them into a `WriteRequest`.
//!
//! What a series is, by kind (see the [export module](super) for names):
//! - counter, meter: `<name>_total`, the cumulative count;
//! - gauge (integer, float, function): `<name>`;
//! - histogram, timer: with [`Histograms::Classic`] (the default) the classic series
//!   `<name>_bucket{le="..."}` (cumulative, `+Inf` last), `<name>_sum` and `<name>_count`;
//!   with [`Histograms::Native`] one series `<name>` whose point is the histogram itself
//!   ([`Point::Histogram`]), for a native histogram; [`Histograms::Both`] sends both;
//! - meter rates and quantile summaries when the exposition [`Options`] ask for them, and the
//!   toolkit's own `metered_export_problems` gauge, as in the text exposition.
//!
//! What a reporter does not have is left out: the `metered_family_overflowed_total` counter
//! of a [`Scrape`](super::Scrape) of a registry (visit takes a snapshot alone), and staleness
//! markers for series that disappeared.
//!
//! Labels are sorted by name (byte order), `__name__` among them, each name once: a series'
//! own label wins over an [external label](Config::external_label) of the same name, and a
//! label whose value is empty is left out (Prometheus takes an empty value for no label).
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::Registry;
//! use metered_runtime::export::remote_write::{Config, Point, visit};
//! let r = Registry::new();
//! r.counter_family("http.requests", &["route"])?.get(&["/a"])?.add(3);
//! let config = Config::new().external_label("job", "api")?;
//! let mut seen = Vec::new();
//! visit(&r.snapshot(), &config, |s| {
//!     if let Point::Float(v) = s.point {
//!         seen.push((format!("{:?}", s.labels), v));
//!     }
//! });
//! assert_eq!(seen[0], (
//!     r#"[("__name__", "http_requests_total"), ("job", "api"), ("route", "/a")]"#.to_owned(),
//!     3.0,
//! ));
//! # Ok::<(), metered_runtime::Error>(())
//! ```

use super::model::{self, Sample, Series as ModelSeries, Type};
use super::scrape::Options;
use super::text::{LeCache, push_f64};
use crate::error::{Error, Result};
use crate::metric::histogram::HistogramSnapshot;
use crate::snapshot::Snapshot;

/// Which series histograms and timers are sent as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Histograms {
    /// Classic histograms: `_bucket{le}`, `_sum` and `_count` series, at the bounds the text
    /// exposition uses. Every receiver stores them (VictoriaMetrics 1.79 drops native ones
    /// with a 204, and Prometheus 2.42 refuses a request holding one with a 500 unless
    /// started with `--enable-feature=native-histograms`).
    #[default]
    Classic,
    /// Native histograms: one series per histogram carrying its exponential buckets as they
    /// are (schema 6, lossless).
    Native,
    /// Both, the classic series beside the native one (for a migration).
    Both,
}

/// What [`visit`] sends.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::export::{Options, remote_write::{Config, Histograms}};
/// let c = Config::new()
///     .external_label("job", "checkout")?
///     .external_label("instance", "10.0.0.7:9100")?
///     .histograms(Histograms::Native)
///     .options(Options::new().meter_rates(true));
/// assert_eq!(c.external_labels()[0], ("instance".to_owned(), "10.0.0.7:9100".to_owned()));
/// assert!(Config::new().external_label("bad-name", "x").is_err());
/// assert!(Config::new().external_label("__name__", "x").is_err());
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    options: Options,
    histograms: Histograms,
    /// Sorted by name, names distinct.
    external: Vec<(String, String)>,
}

/// Whether `name` is a label name Prometheus accepts and that is not reserved:
/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
fn check_label_name(name: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(Error::InvalidConfig {
            reason: format!("external label name {name:?} {why}"),
        })
    };
    let mut bytes = name.bytes();
    match bytes.next() {
        None => return invalid("is empty"),
        Some(b) if !(b.is_ascii_alphabetic() || b == b'_') => {
            return invalid("must start with a letter or `_`");
        }
        Some(_) => {}
    }
    if !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return invalid("may hold only ASCII letters, digits and `_`");
    }
    if name.starts_with("__") {
        return invalid("is reserved (names starting with `__` are Prometheus' own)");
    }
    Ok(())
}

impl Config {
    /// Classic histograms, the exposition's default [`Options`], no external labels.
    #[must_use]
    pub fn new() -> Self {
        Config::default()
    }

    /// Adds the label `name="value"` to every series (e.g. `job`, `instance`), unless the
    /// series has a label of that name itself. Setting a name again replaces its value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `name` is not a Prometheus label name
    /// (`[a-zA-Z_][a-zA-Z0-9_]*`), starts with `__` (reserved), or `value` is empty (which
    /// Prometheus takes for no label).
    pub fn external_label(mut self, name: &str, value: &str) -> Result<Self> {
        check_label_name(name)?;
        if value.is_empty() {
            return Err(Error::InvalidConfig {
                reason: format!("external label {name:?} has an empty value"),
            });
        }
        match self
            .external
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
        {
            Ok(i) => value.clone_into(&mut self.external[i].1),
            Err(i) => self.external.insert(i, (name.to_owned(), value.to_owned())),
        }
        Ok(self)
    }

    /// Which series histograms and timers are sent as (default [`Histograms::Classic`]).
    #[must_use]
    pub fn histograms(mut self, histograms: Histograms) -> Self {
        self.histograms = histograms;
        self
    }

    /// The exposition options (meter rates, quantile summaries), as for the text formats.
    #[must_use]
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// The external labels, sorted by name.
    #[must_use]
    pub fn external_labels(&self) -> &[(String, String)] {
        &self.external
    }

    /// Which series histograms and timers are sent as.
    #[must_use]
    pub fn histogram_mode(&self) -> Histograms {
        self.histograms
    }
}

/// The one point of a [`Series`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Point<'a> {
    /// A float sample (counts, gauges, classic bucket counts, sums).
    Float(f64),
    /// A native histogram: the cumulative [`sketch`](HistogramSnapshot::sketch) (schema, zero
    /// bucket and buckets) and [`sum`](HistogramSnapshot::sum) are what it carries.
    Histogram(&'a HistogramSnapshot),
}

/// One series of a remote write request, as [`visit`] hands it over.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series<'a> {
    /// `(name, value)` sorted by name, `__name__` among them, names distinct, values not
    /// empty.
    pub labels: &'a [(&'a str, &'a str)],
    /// Its value.
    pub point: Point<'a>,
}

/// Calls `each` for every series of `snapshot`, family by family in the order of their
/// exposition names (the order of the text exposition). See the [module docs](self) for what
/// a series is.
pub fn visit(snapshot: &Snapshot, config: &Config, mut each: impl FnMut(&Series<'_>)) {
    let m = model::build_parts(snapshot, &[], config.options);
    let mut le = LeCache::default();
    let mut names = Names::default();
    let mut level = String::new();
    // Buffers reused from series to series (see `recycle`).
    let mut own_spare = Vec::new();
    let mut base_spare = Vec::new();
    let mut out_spare = Vec::new();
    for f in &m.families {
        names.set(&f.name, f.ty);
        for s in &f.series {
            let mut own = recycle(std::mem::take(&mut own_spare));
            own_labels(s, &mut own);
            own.sort_unstable_by(|a, b| a.0.cmp(b.0));
            // The series' own labels and the external ones, sorted, once per series.
            let mut base = recycle(std::mem::take(&mut base_spare));
            merge_external(&own, &config.external, &mut base);
            let mut emit = |name: &str, extra: Option<(&str, &str)>, point: Point<'_>| {
                let mut labels = recycle(std::mem::take(&mut out_spare));
                labels.extend_from_slice(&base);
                let at = labels.partition_point(|(k, _)| *k < "__name__");
                labels.insert(at, ("__name__", name));
                if let Some((k, v)) = extra {
                    // `le` and `quantile` are no label of the series' own: only an external
                    // label can have their name, and it loses.
                    match labels.binary_search_by(|(n, _)| (*n).cmp(k)) {
                        Ok(i) => labels[i].1 = v,
                        Err(i) => labels.insert(i, (k, v)),
                    }
                }
                each(&Series {
                    labels: &labels,
                    point,
                });
                out_spare = recycle(labels);
            };
            match &s.sample {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "remote write samples are doubles; counts beyond 2^53 round"
                )]
                Sample::Uint(n) => emit(&names.scalar, None, Point::Float(*n as f64)),
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "remote write samples are doubles; values beyond 2^53 round"
                )]
                Sample::Int(n) => emit(&names.scalar, None, Point::Float(*n as f64)),
                Sample::Float(v) => emit(&names.scalar, None, Point::Float(*v)),
                Sample::Histogram {
                    buckets,
                    sum,
                    histogram,
                } => {
                    if config.histograms != Histograms::Classic {
                        emit(&f.name, None, Point::Histogram(histogram));
                    }
                    if config.histograms != Histograms::Native {
                        for (i, &(bound, count)) in buckets.iter().enumerate() {
                            #[allow(
                                clippy::cast_precision_loss,
                                reason = "remote write samples are doubles"
                            )]
                            let count = count as f64;
                            emit(
                                &names.bucket,
                                Some(("le", le.get(i, bound))),
                                Point::Float(count),
                            );
                        }
                        emit(&names.sum, None, Point::Float(*sum));
                        #[allow(
                            clippy::cast_precision_loss,
                            reason = "remote write samples are doubles"
                        )]
                        let count = buckets.last().map_or(0, |b| b.1) as f64;
                        emit(&names.count, None, Point::Float(count));
                    }
                }
                Sample::Summary(quantiles) => {
                    for &(q, v) in quantiles {
                        level.clear();
                        push_f64(&mut level, q);
                        emit(&f.name, Some(("quantile", &level)), Point::Float(v));
                    }
                }
            }
            base_spare = recycle(base);
            own_spare = recycle(own);
        }
    }
}

/// An emptied vector of label pairs of any lifetime, on the allocation of `v` (collecting an
/// empty `into_iter` of a type of the same layout reuses the buffer), so that the label
/// buffers are allocated once per visit rather than once per series.
fn recycle<'b>(mut v: Vec<(&str, &str)>) -> Vec<(&'b str, &'b str)> {
    v.clear();
    v.into_iter().map(|_| ("", "")).collect()
}

/// The sample names of the family being visited.
#[derive(Default)]
struct Names {
    scalar: String,
    bucket: String,
    sum: String,
    count: String,
}

impl Names {
    fn set(&mut self, name: &str, ty: Type) {
        let suffixed = |out: &mut String, suffix: &str| {
            out.clear();
            out.push_str(name);
            out.push_str(suffix);
        };
        suffixed(
            &mut self.scalar,
            if ty == Type::Counter { "_total" } else { "" },
        );
        if ty == Type::Histogram {
            suffixed(&mut self.bucket, "_bucket");
            suffixed(&mut self.sum, "_sum");
            suffixed(&mut self.count, "_count");
        }
    }
}

/// The labels of a series as the text exposition writes them (the type label, the metric's
/// labels, a companion's label), those with an empty value left out.
fn own_labels<'a>(s: &'a ModelSeries<'a>, out: &mut Vec<(&'a str, &'a str)>) {
    if let Some((k, v)) = &s.pre {
        out.push((k, v));
    }
    for (k, (_, v)) in s.keys.iter().zip(s.labels.iter()) {
        out.push((k, v));
    }
    if let Some((k, v)) = s.post {
        out.push((k, v));
    }
    out.retain(|(_, v)| !v.is_empty());
}

/// `own` (sorted) and the sorted external labels merged into `out`, sorted, leaving out the
/// external labels whose name a series label has.
fn merge_external<'a>(
    own: &[(&'a str, &'a str)],
    external: &'a [(String, String)],
    out: &mut Vec<(&'a str, &'a str)>,
) {
    let mut own = own.iter().copied().peekable();
    let mut ext = external
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .peekable();
    loop {
        let next = match (own.peek(), ext.peek()) {
            (Some(a), Some(b)) => match a.0.cmp(b.0) {
                std::cmp::Ordering::Less => own.next(),
                std::cmp::Ordering::Greater => ext.next(),
                std::cmp::Ordering::Equal => {
                    ext.next();
                    own.next()
                }
            },
            (Some(_), None) => own.next(),
            (None, Some(_)) => ext.next(),
            (None, None) => return,
        };
        out.extend(next);
    }
}

#[cfg(test)]
mod tests;
