//! The adapter from a [`Snapshot`] to what the text encoders write: families keyed by
//! exposition name, their series, and the problems met on the way. This is the only file of the
//! exporters that reads the snapshot's and the registry's types, so a change there is handled
//! here once for every format.

use crate::collector::FAILURE_FAMILY;
use crate::metric::histogram::HistogramSnapshot;
use crate::metric::{MetricKind, Unit};
use crate::name::exposition::sanitize;
use crate::snapshot::{
    FamilyHeader, FamilySnapshot, MetricSnapshot, Series as SnapshotSeries, Snapshot, Value,
};
use std::borrow::Cow;
use std::collections::HashMap;

use super::live::{Header, LiveSeries, Read};
use super::scrape::{OVERFLOWED_NAME, PROBLEMS_NAME};
pub use super::scrape::{Options, Problem, ProblemKind, Scrape};
use super::text::Texts;

/// Bounds (in seconds) of the classic buckets of a timer that has none configured.
pub const DEFAULT_SECONDS_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Bounds of the classic buckets of a histogram that has none configured: 1, 2.5 and 5 times
/// each power of ten from 0.01 to 1,000,000.
pub const DEFAULT_BOUNDS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1e3,
    2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6,
];

/// The exposition type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    Counter,
    Gauge,
    Histogram,
    Summary,
}

/// One sample group (a series, or a histogram's buckets, sum and count).
#[derive(Debug)]
pub(crate) enum Sample<'a> {
    Uint(u64),
    Int(i64),
    Float(f64),
    /// Cumulative `(upper bound, count)` with `+Inf` last (its count is the `_count`).
    Histogram {
        buckets: Cow<'a, [(f64, u64)]>,
        sum: f64,
        /// The histogram itself, for formats that carry its exponential buckets.
        #[cfg_attr(
            not(any(feature = "protobuf", feature = "remote-write")),
            allow(
                dead_code,
                reason = "only the protobuf exposition and remote write read the sketch"
            )
        )]
        histogram: &'a HistogramSnapshot,
    },
    Summary([(f64, f64); 6]),
}

/// One series of a family: labels in order `pre`, then `keys` with the values of `labels`, then
/// `post`. Keys are in exposition form already (the registry's).
#[derive(Debug)]
pub(crate) struct Series<'a> {
    pub pre: Option<(&'a str, Cow<'a, str>)>,
    pub keys: &'a [String],
    /// The metric's labels: only their values are written, under `keys`.
    pub labels: &'a [(String, String)],
    pub post: Option<(&'static str, &'static str)>,
    pub sample: Sample<'a>,
}

/// A family: one HELP/TYPE block.
#[derive(Debug)]
pub(crate) struct Family<'a> {
    /// The exposition name (without `_total` for counters; with the unit suffix).
    pub name: Cow<'a, str>,
    pub ty: Type,
    pub help: Cow<'a, str>,
    /// The unit, mapped (`""` for none); always a suffix of `name` when not empty.
    #[cfg_attr(
        not(feature = "openmetrics"),
        allow(dead_code, reason = "only OpenMetrics writes units")
    )]
    pub unit: Cow<'static, str>,
    pub series: Vec<Series<'a>>,
    /// Series read where they live, written after `series` (see `live`).
    pub live: Option<LiveSeries<'a>>,
    /// For a family written live, what the registry keeps for it (its header lines in each
    /// format, its name ready to be appended) and the texts they are in.
    pub header: Option<(&'a Header, &'a Texts)>,
}

/// Everything the encoders write, in order.
#[derive(Debug)]
pub(crate) struct Model<'a> {
    pub families: Vec<Family<'a>>,
    pub problems: Vec<Problem>,
}

impl Model<'_> {
    /// About how many bytes the text formats take, to reserve the output once.
    pub(crate) fn estimated_len(&self) -> usize {
        self.families
            .iter()
            .map(|f| {
                let lines: usize = f
                    .series
                    .iter()
                    .map(|s| match &s.sample {
                        Sample::Histogram { buckets, .. } => buckets.len() + 2,
                        Sample::Summary(q) => q.len(),
                        _ => 1,
                    })
                    .sum::<usize>()
                    + f.live.map_or(0, |l| {
                        l.len() * if f.ty == Type::Histogram { 12 } else { 1 }
                    });
                2 * f.name.len() + f.help.len() + 40 + lines * (f.name.len() + 32)
            })
            .sum()
    }
}

/// FNV-1a: names are short and not attacker-chosen, so a fast hash beats the default one.
#[derive(Default)]
struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Fnv = std::hash::BuildHasherDefault<FnvHasher>;

struct Builder<'a> {
    opts: Options,
    families: Vec<Family<'a>>,
    /// Sample names taken, by the dotted name that took them (`""`: metered's own metrics).
    claimed: HashMap<String, (Type, &'a str), Fnv>,
    /// Sample names taken before this exposition began (by a registry's live families, see
    /// `live::Plan`).
    base: Option<&'a Claims>,
    /// A buffer for looking up sample names without allocating.
    scratch: String,
    problems: Vec<Problem>,
}

pub(crate) fn exposition_type(kind: MetricKind) -> Type {
    match kind {
        MetricKind::Counter | MetricKind::Meter => Type::Counter,
        MetricKind::Gauge
        | MetricKind::UpDownCounter
        | MetricKind::FloatGauge
        | MetricKind::FnGauge => Type::Gauge,
        MetricKind::Histogram | MetricKind::Timer => Type::Histogram,
    }
}

pub(crate) fn unit_name(kind: MetricKind, unit: Unit) -> Cow<'static, str> {
    if kind == MetricKind::Timer {
        return Cow::Borrowed("seconds");
    }
    let s = unit.as_str();
    if is_plain(s) {
        Cow::Borrowed(s)
    } else {
        let mut out = String::new();
        sanitize(s, &mut out);
        Cow::Owned(out)
    }
}

/// Whether `key` is already its own exposition name (the common case: no work at render time).
fn is_plain(key: &str) -> bool {
    !key.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The names a family's samples use (so that no other family can take them).
fn suffixes(ty: Type) -> &'static [&'static str] {
    match ty {
        Type::Counter => &["_total"],
        Type::Gauge => &[],
        Type::Histogram => &["_bucket", "_count", "_sum"],
        Type::Summary => &["_count", "_sum"],
    }
}

/// The label keys a family of type `ty` cannot have (its samples' own).
pub(crate) fn reserved_keys(ty: Type) -> &'static [&'static str] {
    match ty {
        Type::Histogram => &["le", "quantile"],
        _ => &[],
    }
}

/// Every suffix some type adds to its samples.
const ALL_SUFFIXES: [&str; 4] = ["_total", "_bucket", "_count", "_sum"];

/// Checks a family's label keys (in exposition form): no two equal, none reserved. The
/// registry refuses such keys when a metric is registered; this is the defence for a snapshot
/// that did not come from one registry.
pub(crate) fn check_keys(keys: &[String], reserved: &[&str]) -> Result<(), String> {
    for (i, k) in keys.iter().enumerate() {
        if reserved.contains(&k.as_str()) {
            return Err(format!("label key {k:?} is reserved here"));
        }
        if k.starts_with("__") {
            return Err(format!("label key {k:?} is reserved"));
        }
        if !is_plain(k) {
            return Err(format!("label key {k:?} is not in exposition form"));
        }
        if keys[..i].contains(k) {
            return Err(format!("two label keys map to {k:?}"));
        }
    }
    Ok(())
}

/// Classic buckets at `bounds` from the exponential sketch: each sketch bucket is counted
/// under every bound at or above its geometric midpoint (the value the sketch reports for it),
/// so counts are exact at bounds that fall on bucket edges and within the sketch's resolution
/// (0.54 % at schema 6) otherwise. Timer sketches are in seconds, as the bounds are.
pub(crate) fn derived_buckets(h: &HistogramSnapshot, bounds: &[f64]) -> Vec<(f64, u64)> {
    let sketch = &h.sketch;
    let mut out = Vec::with_capacity(bounds.len() + 1);
    let mut acc = sketch.zero_count();
    let mut rest = sketch.buckets().iter().peekable();
    for &bound in bounds {
        while let Some(&&(index, count)) = rest.peek() {
            let (lower, upper) = sketch.bucket_edges(index);
            if (lower * upper).sqrt() > bound {
                break;
            }
            acc += count;
            rest.next();
        }
        out.push((bound, acc));
    }
    out.push((f64::INFINITY, sketch.count()));
    out
}

fn histogram_sample(h: &HistogramSnapshot, kind: MetricKind) -> Sample<'_> {
    let buckets = if h.buckets.is_empty() {
        let bounds = if kind == MetricKind::Timer {
            DEFAULT_SECONDS_BOUNDS
        } else {
            DEFAULT_BOUNDS
        };
        Cow::Owned(derived_buckets(h, bounds))
    } else {
        Cow::Borrowed(h.buckets.as_slice())
    };
    Sample::Histogram {
        buckets,
        sum: h.sum,
        histogram: h,
    }
}

fn quantiles(h: &HistogramSnapshot) -> [(f64, f64); 6] {
    let q = &h.quantiles;
    let values = [q.q50, q.q75, q.q95, q.q98, q.q99, q.q999];
    let mut out = [(0.0, 0.0); 6];
    for (slot, (level, v)) in out.iter_mut().zip(
        crate::metric::histogram::Quantiles::LEVELS
            .into_iter()
            .zip(values),
    ) {
        *slot = (level, v);
    }
    out
}

impl<'a> Builder<'a> {
    fn problem(&mut self, kind: ProblemKind, message: String) {
        self.problems.push(Problem { kind, message });
    }

    /// The family that already uses a sample name of a new family `base` of type `ty`, and
    /// that name: `base` itself, `base` plus one of `ty`'s suffixes, or `base` as a sample of
    /// an existing family (a gauge `x_total` beside a counter `x`).
    fn taken(&mut self, base: &str, ty: Type) -> Option<(String, &'a str)> {
        if let Some((_, owner)) = self.lookup(base) {
            return Some((base.to_owned(), owner));
        }
        for suffix in suffixes(ty) {
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            scratch.push_str(base);
            scratch.push_str(suffix);
            let found = self.lookup(&scratch).map(|(_, owner)| owner);
            self.scratch = scratch;
            if let Some(owner) = found {
                return Some((self.scratch.clone(), owner));
            }
        }
        for suffix in ALL_SUFFIXES {
            if let Some(stem) = base.strip_suffix(suffix)
                && let Some((other, owner)) = self.lookup(stem)
                && suffixes(other).contains(&suffix)
            {
                return Some((base.to_owned(), owner));
            }
        }
        None
    }

    /// Who took the sample name `name`, if anyone did: in this exposition, or before it.
    fn lookup(&self, name: &str) -> Option<(Type, &'a str)> {
        if let Some(&(ty, owner)) = self.claimed.get(name) {
            return Some((ty, owner));
        }
        let base: &'a Claims = self.base?;
        base.0.get(name).map(|(ty, owner)| (*ty, owner.as_str()))
    }

    /// Takes the exposition names of the families `names` (base name and type) for `owner`
    /// (a dotted name; `""` for metered's own), or says which family has one of them.
    fn claim(&mut self, names: &[(&str, Type)], owner: &'a str) -> Result<(), String> {
        for &(base, ty) in names {
            if let Some((name, other)) = self.taken(base, ty) {
                let other = if other.is_empty() {
                    "metered's own metrics".to_owned()
                } else {
                    format!("`{other}`")
                };
                return Err(format!(
                    "`{owner}` is left out: its exposition name clashes with {other} on {name:?}"
                ));
            }
        }
        for &(base, ty) in names {
            self.claimed.insert(base.to_owned(), (ty, owner));
        }
        Ok(())
    }

    /// Why `s` cannot be a series of the family `f`, if it cannot: the registry guarantees
    /// every series of a family the family's kind, unit and dotted name, and distinct labels;
    /// this is the defence for a snapshot that did not come from one registry.
    fn misfit(
        f: &FamilyHeader<'a>,
        s: &SnapshotSeries<'a>,
        prev: Option<&SnapshotSeries<'a>>,
    ) -> Option<Problem> {
        let m = s.metric;
        let dotted = m.type_label.map_or(m.name.as_str(), |t| t.family);
        let (kind, message) = if dotted != f.name {
            (
                ProblemKind::NameClash,
                format!(
                    "`{}` is left out: its exposition name clashes with `{}` on {:?}",
                    m.name, f.name, f.exposition_name
                ),
            )
        } else if m.kind != f.kind || m.unit != f.unit {
            (
                ProblemKind::MemberMismatch,
                format!(
                    "`{}` is left out: it is a {} in {:?} but its type-label family `{}` holds a {} in {:?}",
                    m.name,
                    m.kind,
                    m.unit.as_str(),
                    f.name,
                    f.kind,
                    f.unit.as_str()
                ),
            )
        } else if prev.is_some_and(|p| p.label_values().eq(s.label_values())) {
            (
                ProblemKind::DuplicateSeries,
                format!(
                    "`{}` is left out: another member of `{}` has the same labels",
                    m.name, f.name
                ),
            )
        } else {
            return None;
        };
        Some(Problem { kind, message })
    }

    /// Adds one family of the snapshot, with its companion (meter rates, quantile summaries)
    /// when the options ask for one.
    fn add_family(&mut self, f: &FamilySnapshot<'a>) {
        let h = f.header;
        // A family none of whose series can be read has no block (and takes no name).
        if f.series
            .iter()
            .all(|s| matches!(s.metric.value, Value::Error(_)))
        {
            for s in &f.series {
                if let Value::Error(e) = &s.metric.value {
                    self.failed(s.metric, e);
                }
            }
            return;
        }
        let ty = exposition_type(h.kind);
        let name: &'a str = h.exposition_name;
        let companion = match h.kind {
            MetricKind::Meter if self.opts.meter_rates => {
                Some((format!("{name}_rate"), Type::Gauge))
            }
            MetricKind::Histogram | MetricKind::Timer if self.opts.summaries => {
                Some((format!("{name}_quantiles"), Type::Summary))
            }
            _ => None,
        };
        let claimed = match &companion {
            Some((n, t)) => self.claim(&[(name, ty), (n, *t)], h.name),
            None => self.claim(&[(name, ty)], h.name),
        };
        if let Err(e) = claimed {
            self.problem(ProblemKind::NameClash, e);
            return;
        }
        let reserved = reserved_keys(ty);
        let family_keys = check_keys(h.label_keys, reserved);
        let help: Cow<'a, str> = if h.help.is_empty() {
            Cow::Owned(format!("{} ({})", h.name, h.kind))
        } else {
            Cow::Borrowed(h.help)
        };
        let primary = self.families.len();
        self.families.push(Family {
            name: Cow::Borrowed(name),
            ty,
            help: help.clone(),
            unit: unit_name(h.kind, h.unit),
            series: Vec::with_capacity(f.series.len()),
            live: None,
            header: None,
        });
        let companion = companion.map(|(name, ty)| {
            self.families.push(Family {
                name: Cow::Owned(name),
                ty,
                help: match ty {
                    Type::Summary => Cow::Owned(format!("{help} (windowed quantiles)")),
                    _ => Cow::Owned(format!("{help} (rate per second)")),
                },
                unit: Cow::Borrowed(""),
                series: Vec::new(),
                live: None,
                header: None,
            });
            self.families.len() - 1
        });
        let mut prev: Option<&SnapshotSeries<'a>> = None;
        for s in &f.series {
            let m = s.metric;
            if let Value::Error(e) = &m.value {
                self.failed(m, e);
                continue;
            }
            if let Some(p) = Self::misfit(&h, s, prev) {
                self.problems.push(p);
                continue;
            }
            prev = Some(s);
            let keys = s.keys();
            let checked = if std::ptr::eq(keys, h.label_keys) {
                family_keys.clone()
            } else {
                check_keys(keys, reserved)
            };
            if let Err(e) = checked {
                self.problem(
                    ProblemKind::LabelClash,
                    format!("`{}` is left out: {e}", m.name),
                );
                continue;
            }
            // The type label first, then the metric's own labels.
            let (pre, keys) = match (m.type_label, keys.split_last()) {
                (Some(t), Some((key, rest))) => {
                    (Some((key.as_str(), Cow::Borrowed(t.value))), rest)
                }
                _ => (None, keys),
            };
            self.push_value(m, pre.as_ref(), keys, primary, companion);
        }
    }

    /// A series whose value could not be read: a function gauge's, or a collector's failure.
    fn failed(&mut self, m: &MetricSnapshot, e: &str) {
        if m.name == FAILURE_FAMILY && m.kind != MetricKind::FnGauge {
            let collector = m.labels.first().map_or("", |(_, v)| v.as_str());
            self.problem(
                ProblemKind::CollectorFailed,
                format!("the collector {collector:?} failed: {e}"),
            );
        } else {
            self.problem(
                ProblemKind::FnGaugeFailed,
                format!("`{}` is left out: {e}", m.name),
            );
        }
    }

    fn push_value(
        &mut self,
        m: &'a MetricSnapshot,
        pre: Option<&(&'a str, Cow<'a, str>)>,
        keys: &'a [String],
        primary: usize,
        companion: Option<usize>,
    ) {
        let series = |sample, post| Series {
            pre: pre.cloned(),
            keys,
            labels: &m.labels,
            post,
            sample,
        };
        // No wildcard arm: a new kind of value fails to compile here until it is exported.
        match &m.value {
            Value::Counter(c) => self.families[primary]
                .series
                .push(series(Sample::Uint(*c), None)),
            Value::Gauge(g) | Value::UpDownCounter(g) => self.families[primary]
                .series
                .push(series(Sample::Int(*g), None)),
            Value::FloatGauge(g) | Value::FloatCounter(g) => {
                self.families[primary]
                    .series
                    .push(series(Sample::Float(*g), None));
            }
            Value::Meter(s) => {
                self.families[primary]
                    .series
                    .push(series(Sample::Uint(s.count), None));
                if let Some(c) = companion {
                    for (window, v) in [
                        ("1m", s.m1),
                        ("5m", s.m5),
                        ("15m", s.m15),
                        ("lifetime", s.mean_rate),
                    ] {
                        self.families[c]
                            .series
                            .push(series(Sample::Float(v), Some(("window", window))));
                    }
                }
            }
            Value::Histogram(h)
            | Value::Timer(crate::metric::timer::TimerSnapshot { histogram: h, .. }) => {
                self.families[primary]
                    .series
                    .push(series(histogram_sample(h, m.kind), None));
                if let Some(c) = companion {
                    self.families[c]
                        .series
                        .push(series(Sample::Summary(quantiles(h)), None));
                }
            }
            Value::Error(_) => {}
        }
    }
}

/// Sample names taken, by the dotted name that took them: what a registry's live families
/// claim, once per registered metric (see `live::Plan`).
#[derive(Debug, Default)]
pub(crate) struct Claims(HashMap<String, (Type, String), Fnv>);

/// Claims the names of `families` (exposition name, type, dotted name) in order, after the
/// toolkit's own, as an exposition of them alone would: what each claim gave, and the names
/// taken.
pub(crate) fn claim_all<'h>(
    families: impl Iterator<Item = (&'h str, Type, &'h str)>,
) -> (Vec<Result<(), String>>, Claims) {
    let mut b = Builder::new(Options::new(), 0, None);
    let results = families
        .map(|(name, ty, owner)| b.claim(&[(name, ty)], owner))
        .collect();
    let claims = b
        .claimed
        .into_iter()
        .map(|(name, (ty, owner))| (name, (ty, owner.to_owned())))
        .collect();
    (results, Claims(claims))
}

impl<'a> Builder<'a> {
    fn new(opts: Options, families: usize, base: Option<&'a Claims>) -> Self {
        let mut b = Builder {
            base,
            opts,
            families: Vec::with_capacity(families + 2),
            claimed: HashMap::with_capacity_and_hasher(families + 2, Fnv::default()),
            scratch: String::new(),
            problems: Vec::new(),
        };
        if base.is_none() {
            let own_names = [
                (PROBLEMS_NAME, Type::Gauge),
                (OVERFLOWED_NAME, Type::Counter),
            ];
            // Nothing is claimed yet, so this cannot clash.
            let _ = b.claim(&own_names, "");
        }
        b
    }

    /// Adds a family whose series are read where they live: the registry guarantees what
    /// [`add_family`](Self::add_family) checks series by series, and `live::Plan` sends
    /// whatever could fail (function gauges, refused label keys) through the snapshot.
    /// Called only with the options' defaults (no companion families).
    fn add_live(&mut self, h: &'a Header, texts: &'a Texts, samples: LiveSeries<'a>) {
        if samples.len() == 0 {
            return;
        }
        // Claimed when the plan was made, in this order: the registry guarantees that no
        // other family of the exposition takes these names.
        if let Err(e) = &h.claim {
            self.problem(ProblemKind::NameClash, e.clone());
            return;
        }
        let ty = exposition_type(h.kind);
        self.families.push(Family {
            name: Cow::Borrowed(&h.exposition),
            ty,
            help: Cow::Borrowed(&h.help),
            unit: h.unit_name.clone(),
            series: Vec::new(),
            live: Some(samples),
            header: Some((h, texts)),
        });
    }

    /// The model: the families added, then the toolkit's own (overflow counts when any
    /// labelled family exists, the problem gauge).
    fn finish(self, overflowed: &'a [(String, u64)]) -> Model<'a> {
        let mut families = self.families;
        if !overflowed.is_empty() {
            families.push(Family {
                name: Cow::Borrowed(OVERFLOWED_NAME),
                ty: Type::Counter,
                help: Cow::Borrowed(
                    "Label sets sent to a labelled family's overflow child because the family was full.",
                ),
                unit: Cow::Borrowed(""),
                series: overflowed
                    .iter()
                    .map(|(exposition, n)| Series {
                        pre: Some(("family", Cow::Borrowed(exposition.as_str()))),
                        keys: &[],
                        labels: &[],
                        post: None,
                        sample: Sample::Uint(*n),
                    })
                    .collect(),
                live: None,
                header: None,
            });
        }
        let counts = ProblemKind::ALL.map(|k| self.problems.iter().filter(|p| p.kind == k).count());
        families.push(Family {
            name: Cow::Borrowed(PROBLEMS_NAME),
            ty: Type::Gauge,
            help: Cow::Borrowed("Metrics left out of this exposition, by reason."),
            unit: Cow::Borrowed(""),
            series: ProblemKind::ALL
                .iter()
                .zip(counts)
                .map(|(k, n)| Series {
                    pre: Some(("reason", Cow::Borrowed(k.as_str()))),
                    keys: &[],
                    labels: &[],
                    post: None,
                    sample: Sample::Uint(n as u64),
                })
                .collect(),
            live: None,
            header: None,
        });
        Model {
            families,
            problems: self.problems,
        }
    }
}

/// Builds the families of `scrape` for the text encoders.
pub(crate) fn build(scrape: &Scrape, opts: Options) -> Model<'_> {
    build_parts(&scrape.snapshot, &scrape.overflowed, opts)
}

/// Builds the families of a snapshot and the overflow counts of its registry's families (what
/// a [`Scrape`] holds), for encoders that are handed a snapshot they do not own.
pub(crate) fn build_parts<'a>(
    snapshot: &'a Snapshot,
    overflowed: &'a [(String, u64)],
    opts: Options,
) -> Model<'a> {
    let snapshot_families = snapshot.families();
    let mut b = Builder::new(opts, snapshot_families.len(), None);
    for f in &snapshot_families {
        b.add_family(f);
    }
    b.finish(overflowed)
}

/// Builds the families of a registry read on the live path, `rest` being the families of
/// its snapshot part: both in exposition-name order, merged (no name is in both).
pub(crate) fn build_read<'a>(read: &'a Read, rest: &[FamilySnapshot<'a>]) -> Model<'a> {
    let mut b = Builder::new(
        Options::new(),
        rest.len() + read.plan_len(),
        Some(read.claims()),
    );
    let mut rest = rest.iter().peekable();
    for (h, texts, samples) in read.live() {
        while let Some(f) = rest.next_if(|f| f.header.exposition_name < &*h.exposition) {
            b.add_family(f);
        }
        b.add_live(h, texts, samples);
    }
    for f in rest {
        b.add_family(f);
    }
    b.finish(&read.overflowed)
}

impl Scrape {
    /// The metrics that an exposition of this scrape leaves out, and why (also counted in
    /// `metered_export_problems`).
    ///
    /// ```
    /// # extern crate metered_runtime_core as metered_runtime;
    /// use metered_runtime::{Registry, export::{Options, ProblemKind, Scrape}};
    /// let r = Registry::new();
    /// r.fn_gauge("app.broken", || f64::NAN).unwrap();
    /// let problems = Scrape::of(&r).problems(&Options::new());
    /// assert_eq!(problems.len(), 1);
    /// assert_eq!(problems[0].kind, ProblemKind::FnGaugeFailed);
    /// ```
    #[must_use]
    pub fn problems(&self, opts: &Options) -> Vec<Problem> {
        build(self, *opts).problems
    }
}

#[cfg(test)]
mod tests;
