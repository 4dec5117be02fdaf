//! The text encoders' path for a [`Registry`]: what they derive once from the registered
//! metrics (families grouped and ordered by exposition name, every label set rendered) is kept
//! until a metric or a label set is added, so that a scrape reads each value where it lives
//! and writes its line, with no snapshot and no allocation per series.
//!
//! The output is the one [`Scrape::of`](super::Scrape::of) gives, byte for byte: what could
//! differ (function gauges, whose producers can fail, and collectors) is read through a
//! snapshot of those metrics alone and merged in by exposition name, and both kinds of family
//! go through the same checks of the adapter (`model`).

use super::model::{
    Claims, DEFAULT_BOUNDS, DEFAULT_SECONDS_BOUNDS, Series, check_keys, claim_all, derived_buckets,
    exposition_type, reserved_keys, unit_name,
};
use super::text::{
    Format, LeCache, PADDING, Piece, Span, Texts, label_block, push_f64, push_header, push_i64,
    push_over, push_u64,
};
use crate::metric::MetricKind;
use crate::metric::counter::Counter;
use crate::metric::family::Family;
use crate::metric::gauge::{FloatGauge, Gauge};
use crate::metric::histogram::Histogram;
use crate::metric::meter::Meter;
use crate::metric::timer::Timer;
use crate::metric::up_down::UpDownCounter;
use crate::registry::{Entry, FamilyRef, MetricRef, Registry};
use crate::snapshot::Snapshot;
use std::any::Any;
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError};

/// Every live value of an exposition, read in one pass before any line is written (so that
/// the reads of one series overlap the next one's cache misses instead of waiting behind a
/// series' worth of formatting), then taken in the same order as the lines are written.
#[derive(Debug, Default)]
pub(crate) struct Readings {
    unsigned: Vec<u64>,
    signed: Vec<i64>,
    floats: Vec<f64>,
    /// Histograms' cumulative buckets one after another; `lens` says how many each.
    buckets: Vec<(f64, u64)>,
    lens: Vec<usize>,
    /// A histogram's buckets as read.
    scratch: Vec<(f64, u64)>,
    at: [usize; 5],
}

impl Readings {
    /// How many values of each kind were read.
    fn sizes(&self) -> [usize; 5] {
        [
            self.unsigned.len(),
            self.signed.len(),
            self.floats.len(),
            self.buckets.len(),
            self.lens.len(),
        ]
    }

    /// Room for as many values of each kind as `sizes` says.
    fn reserve(&mut self, sizes: [usize; 5]) {
        self.unsigned.reserve(sizes[0]);
        self.signed.reserve(sizes[1]);
        self.floats.reserve(sizes[2]);
        self.buckets.reserve(sizes[3]);
        self.lens.reserve(sizes[4]);
    }

    /// Forgets what was read (keeping the buffers).
    pub(crate) fn clear(&mut self) {
        self.unsigned.clear();
        self.signed.clear();
        self.floats.clear();
        self.buckets.clear();
        self.lens.clear();
        self.at = [0; 5];
    }

    fn next_unsigned(&mut self) -> u64 {
        let v = self.unsigned.get(self.at[0]).copied().unwrap_or(0);
        self.at[0] += 1;
        v
    }

    fn next_signed(&mut self) -> i64 {
        let v = self.signed.get(self.at[1]).copied().unwrap_or(0);
        self.at[1] += 1;
        v
    }

    fn next_float(&mut self) -> f64 {
        let v = self.floats.get(self.at[2]).copied().unwrap_or(0.0);
        self.at[2] += 1;
        v
    }

    /// The next histogram's buckets: where they start in `buckets`, and how many.
    fn next_histogram(&mut self) -> (usize, usize) {
        let len = self.lens.get(self.at[4]).copied().unwrap_or(0);
        self.at[4] += 1;
        let start = self.at[3];
        self.at[3] += len;
        (start, len)
    }

    /// Reads a histogram: its buckets (classic, or from its sketch at `defaults` when it has
    /// no bounds configured, as a snapshot does) and its sum.
    fn read_histogram(&mut self, h: &Histogram, defaults: &[f64]) {
        let mut scratch = std::mem::take(&mut self.scratch);
        let sum = if let Some(sum) = h.classic(&mut scratch) {
            sum
        } else {
            let snapshot = h.snapshot();
            scratch = derived_buckets(&snapshot, defaults);
            snapshot.sum
        };
        self.buckets.extend_from_slice(&scratch);
        self.lens.push(scratch.len());
        self.floats.push(sum);
        self.scratch = scratch;
    }
}

/// What one family's lines are written with, and where.
pub(crate) struct Lines<'o> {
    pub out: &'o mut String,
    /// The family's exposition name.
    pub name: Piece<'o>,
    /// Whether scalar samples end in `_total` (counters; gauges have no suffix).
    pub total: bool,
    /// The `le` texts, the values read before writing, and buffers for the start of bucket
    /// lines, reused from series to series.
    pub le: &'o mut LeCache,
}

impl Lines<'_> {
    /// `name<suffix>{block} ` (no braces for an empty block).
    #[inline]
    fn start(&mut self, block: Piece<'_>) {
        let out = &mut *self.out;
        self.name.push_to(out);
        if self.total {
            out.push_str("_total");
        }
        if !block.is_empty() {
            out.push('{');
            block.push_to(out);
            out.push('}');
        }
        out.push(' ');
    }

    fn uint(&mut self, block: Piece<'_>) {
        let n = self.le.readings.next_unsigned();
        self.start(block);
        push_u64(self.out, n);
        self.out.push('\n');
    }

    fn int(&mut self, block: Piece<'_>) {
        let n = self.le.readings.next_signed();
        self.start(block);
        push_i64(self.out, n);
        self.out.push('\n');
    }

    fn float(&mut self, block: Piece<'_>) {
        let v = self.le.readings.next_float();
        self.start(block);
        push_f64(self.out, v);
        self.out.push('\n');
    }

    /// The lines of the next histogram read.
    fn histogram(&mut self, block: Piece<'_>) {
        let (at, len) = self.le.readings.next_histogram();
        let sum = self.le.readings.next_float();
        // `name_bucket{labels,le="` for the series' bucket lines, and `{labels} ` to end the
        // names of its `_sum` and `_count` lines, each padded for `push_over`.
        let mut head = std::mem::take(&mut self.le.head);
        let mut tail = std::mem::take(&mut self.le.tail);
        head.clear();
        tail.clear();
        self.name.push_to(&mut head);
        head.push_str("_bucket{");
        if !block.is_empty() {
            block.push_to(&mut head);
            head.push(',');
            tail.push('{');
            block.push_to(&mut tail);
            tail.push('}');
        }
        head.push_str("le=\"");
        tail.push(' ');
        let (head_len, tail_len) = (head.len(), tail.len());
        head.push_str(PADDING);
        tail.push_str(PADDING);
        let le = &mut *self.le;
        let buckets = le.readings.buckets.get(at..at + len).unwrap_or_default();
        let out = &mut *self.out;
        for (i, &(bound, count)) in buckets.iter().enumerate() {
            push_over(out, &head, head_len);
            le.texts.get_closed(i, bound).piece().push_to(out);
            push_u64(out, count);
            out.push('\n');
        }
        let total = buckets.last().map_or(0, |b| b.1);
        self.name.push_to(out);
        out.push_str("_sum");
        push_over(out, &tail, tail_len);
        push_f64(out, sum);
        out.push('\n');
        self.name.push_to(out);
        out.push_str("_count");
        push_over(out, &tail, tail_len);
        push_u64(out, total);
        out.push('\n');
        self.le.head = head;
        self.le.tail = tail;
    }
}

/// A metric whose lines can be written where it lives (every kind but the function gauge,
/// whose producer can fail and so goes through a snapshot).
pub(crate) trait Live: Send + Sync {
    /// Reads this series' values.
    fn read(&self, r: &mut Readings);
    /// Writes the lines of this series, labelled by `block`, from the values read.
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>);
}

impl Live for Counter {
    fn read(&self, r: &mut Readings) {
        r.unsigned.push(self.get());
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.uint(block);
    }
}

impl Live for Gauge {
    fn read(&self, r: &mut Readings) {
        r.signed.push(self.get());
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.int(block);
    }
}

impl Live for UpDownCounter {
    fn read(&self, r: &mut Readings) {
        r.signed.push(self.get());
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.int(block);
    }
}

impl Live for FloatGauge {
    fn read(&self, r: &mut Readings) {
        r.floats.push(self.get());
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.float(block);
    }
}

impl Live for Meter {
    fn read(&self, r: &mut Readings) {
        r.unsigned.push(self.snapshot().count);
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.uint(block);
    }
}

impl Live for Histogram {
    fn read(&self, r: &mut Readings) {
        r.read_histogram(self, DEFAULT_BOUNDS);
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.histogram(block);
    }
}

impl Live for Timer {
    fn read(&self, r: &mut Readings) {
        r.read_histogram(self.histogram(), DEFAULT_SECONDS_BOUNDS);
    }
    fn write(&self, w: &mut Lines<'_>, block: Piece<'_>) {
        w.histogram(block);
    }
}

/// The series of one family, ready to be written.
pub(crate) trait Samples: Send + Sync {
    /// How many series.
    fn len(&self) -> usize;
    /// Reads every series' values.
    fn read(&self, r: &mut Readings);
    /// Writes every series' lines, from the values read.
    fn write(&self, w: &mut Lines<'_>);
}

impl std::fmt::Debug for dyn Samples + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} live series", self.len())
    }
}

/// A labelled family's children in exposition order, each with its rendered label set: kept
/// in the family while no label set is added.
struct Children<M> {
    /// The family's label sets when this was built.
    label_sets: usize,
    /// The entry's exposition keys and constant labels it was rendered with.
    keys: Arc<[String]>,
    labels: Vec<(String, String)>,
    /// The rendered label sets, in the order of `rows`.
    texts: Texts,
    rows: Vec<(Span, Arc<M>)>,
}

impl<M: Live + 'static> Samples for Children<M> {
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn read(&self, r: &mut Readings) {
        for (_, m) in &self.rows {
            m.read(r);
        }
    }
    fn write(&self, w: &mut Lines<'_>) {
        for (block, m) in &self.rows {
            m.write(w, self.texts.get(*block));
        }
    }
}

/// The rendered label set of one series.
fn block_of(keys: &[String], labels: &[(String, String)]) -> String {
    label_block(&Series {
        pre: None,
        keys,
        labels,
        post: None,
        sample: super::model::Sample::Uint(0),
    })
}

/// The children of `family` (registered as `entry`), rendered now or as kept since.
fn children<M: Live + 'static>(family: &Family<M>, entry: &Entry) -> Arc<dyn Samples> {
    let label_sets = family.label_sets();
    let keys = entry.exported().1;
    let mut cache = family
        .export_cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = cache.clone()
        && let Ok(kept) = kept.downcast::<Children<M>>()
        && kept.label_sets == label_sets
        && Arc::ptr_eq(&kept.keys, &keys)
        && kept.labels == entry.labels()
    {
        return kept;
    }
    let mut children = family.children();
    // As a snapshot orders them: the overflow child among the others, by its values.
    children.sort_by(|a, b| a.0.cmp(&b.0));
    let mut labels: Vec<(String, String)> = entry.labels().to_vec();
    let constant = labels.len();
    let mut texts = Texts::default();
    let rows = children
        .into_iter()
        .map(|(values, child)| {
            labels.truncate(constant);
            labels.extend(family.keys().iter().cloned().zip(values));
            (texts.add(&block_of(&keys, &labels)), child)
        })
        .collect();
    texts.finish();
    let built = Arc::new(Children {
        label_sets,
        keys,
        labels: entry.labels().to_vec(),
        texts,
        rows,
    });
    *cache = Some(Arc::clone(&built) as Arc<dyn Any + Send + Sync>);
    built
}

/// Reads single metrics (one, or the members of a type-label family).
fn read_plain(rows: &[(Span, MetricRef)], r: &mut Readings) {
    for (_, m) in rows {
        match m {
            MetricRef::Counter(c) => c.read(r),
            MetricRef::Gauge(g) => g.read(r),
            MetricRef::UpDownCounter(c) => c.read(r),
            MetricRef::FloatGauge(g) => g.read(r),
            MetricRef::Meter(m) => m.read(r),
            MetricRef::Histogram(h) => h.read(r),
            MetricRef::Timer(t) => t.read(r),
            // A plan never holds these here (see `Plan::build`).
            MetricRef::FnGauge(_) | MetricRef::Family(_) => {}
        }
    }
}

/// Writes single metrics, each with its label set in `texts`.
fn write_plain(rows: &[(Span, MetricRef)], texts: &Texts, w: &mut Lines<'_>) {
    for (block, m) in rows {
        let block = texts.get(*block);
        match m {
            MetricRef::Counter(c) => c.write(w, block),
            MetricRef::Gauge(g) => g.write(w, block),
            MetricRef::UpDownCounter(c) => c.write(w, block),
            MetricRef::FloatGauge(g) => g.write(w, block),
            MetricRef::Meter(m) => m.write(w, block),
            MetricRef::Histogram(h) => h.write(w, block),
            MetricRef::Timer(t) => t.write(w, block),
            // A plan never holds these here (see `Plan::build`).
            MetricRef::FnGauge(_) | MetricRef::Family(_) => {}
        }
    }
}

/// No series: what a labelled family source without a family would give (never built).
struct NoSeries;

impl Samples for NoSeries {
    fn len(&self) -> usize {
        0
    }
    fn read(&self, _: &mut Readings) {}
    fn write(&self, _: &mut Lines<'_>) {}
}

/// The series of one family written live.
#[derive(Clone, Copy)]
pub(crate) enum LiveSeries<'a> {
    /// Single metrics with their label sets in `texts`.
    Plain {
        rows: &'a [(Span, MetricRef)],
        texts: &'a Texts,
    },
    /// A labelled family's children.
    Family(&'a dyn Samples),
}

impl LiveSeries<'_> {
    /// How many series.
    pub(crate) fn len(self) -> usize {
        match self {
            LiveSeries::Plain { rows, .. } => rows.len(),
            LiveSeries::Family(s) => s.len(),
        }
    }

    /// Reads every series' values.
    pub(crate) fn read(self, r: &mut Readings) {
        match self {
            LiveSeries::Plain { rows, .. } => read_plain(rows, r),
            LiveSeries::Family(s) => s.read(r),
        }
    }

    /// Writes every series' lines, from the values read.
    pub(crate) fn write(self, w: &mut Lines<'_>) {
        match self {
            LiveSeries::Plain { rows, texts } => write_plain(rows, texts, w),
            LiveSeries::Family(s) => s.write(w),
        }
    }
}

impl std::fmt::Debug for LiveSeries<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} live series", self.len())
    }
}

/// What a family block of the exposition shares, as the snapshot's first series gives it.
#[derive(Debug)]
pub(crate) struct Header {
    pub exposition: Arc<str>,
    /// The dotted name (the type-label family's for its members).
    pub name: String,
    pub kind: MetricKind,
    /// The help text, or `<dotted name> (<kind>)` for none.
    pub help: String,
    /// What claiming its names gave, claimed in exposition order after the toolkit's own.
    pub claim: Result<(), String>,
    /// The unit as the exposition writes it (`""` for none).
    pub unit_name: Cow<'static, str>,
    /// The exposition name in the plan's texts.
    pub padded: Span,
    /// The family's header lines in each [`Format`] in the plan's texts.
    pub texts: [Span; 2],
}

/// How one family of the registry is read.
enum Source {
    /// Every member as a single metric, sorted by label values: these rows of the plan.
    Plain(std::ops::Range<usize>),
    /// A labelled family: the next of the plan's `labelled`.
    Family,
}

/// A family written live.
pub(crate) struct LiveFamily {
    pub header: Header,
    source: Source,
}

/// What the encoders derive from the registered metrics, kept in the registry until a metric
/// is added.
pub(crate) struct Plan {
    /// The families written live, sorted by exposition name.
    live: Vec<LiveFamily>,
    /// The single metrics of the live families, in the same order, with their label sets.
    rows: Vec<(Span, MetricRef)>,
    /// The labelled families among the live ones, in the same order.
    labelled: Vec<Entry>,
    /// The names, header lines and label sets of the live families, one after another in the
    /// order they are written (so that a scrape reads them in order).
    pub texts: Texts,
    /// The sample names the live families take.
    claims: Claims,
    /// The metrics read through a snapshot, sorted by name.
    rest: Vec<Entry>,
    /// Every labelled family (sorted by name) with its exposition name, for overflow counts.
    families: Vec<(String, FamilyRef)>,
    /// The length of the last text written from this plan in each format (0: none yet), to
    /// reserve the next one at once (the two differ: 0.0.4 writes `_total` in a counter's
    /// header lines, OpenMetrics writes `# UNIT` lines and `# EOF`).
    last_len: [AtomicUsize; 2],
    /// How many values of each kind the last scrape read (see [`Readings`]), to reserve them
    /// at once.
    last_read: [AtomicUsize; 5],
}

/// The label values of a single metric in the order a snapshot sorts its series by.
fn sort_key(e: &Entry) -> impl Iterator<Item = &str> {
    e.labels()
        .iter()
        .map(|(_, v)| v.as_str())
        .chain(e.type_label().map(|t| t.value))
}

impl Plan {
    fn build(entries: &[Entry]) -> Plan {
        let families = entries
            .iter()
            .filter_map(|e| match e.metric() {
                MetricRef::Family(f) => Some((e.exposition_name().to_owned(), f.clone())),
                _ => None,
            })
            .collect();
        // Entries by exposition name, each run in name order (a stable sort).
        let mut by_exposition: Vec<&Entry> = entries.iter().collect();
        by_exposition.sort_by(|a, b| a.exposition_name().cmp(b.exposition_name()));
        let mut live = Vec::new();
        let mut rest = Vec::new();
        let mut rows = Vec::new();
        let mut labelled = Vec::new();
        let mut texts = Texts::default();
        for group in by_exposition.chunk_by(|a, b| a.exposition_name() == b.exposition_name()) {
            match Self::live(group, &mut rows, &mut labelled, &mut texts) {
                Some(f) => live.push(f),
                None => rest.extend(group.iter().map(|e| (*e).clone())),
            }
        }
        texts.finish();
        rest.sort_by(|a, b| a.name().cmp(b.name()));
        let (results, claims) = claim_all(live.iter().map(|f| {
            (
                &*f.header.exposition,
                exposition_type(f.header.kind),
                &*f.header.name,
            )
        }));
        for (f, claim) in live.iter_mut().zip(results) {
            f.header.claim = claim;
        }
        Plan {
            live,
            rows,
            labelled,
            texts,
            claims,
            rest,
            families,
            last_len: [AtomicUsize::new(0), AtomicUsize::new(0)],
            last_read: Default::default(),
        }
    }

    /// About how long the text of `format` will be: the
    /// last one's length and a little room for values that gained digits since, or `None`
    /// before the first.
    pub(crate) fn expected_len(&self, format: Format) -> Option<usize> {
        let last = self.last_len[format as usize].load(Ordering::Relaxed);
        (last != 0).then(|| last + last / 64 + 64)
    }

    /// What a scrape of this plan reads its values with: room for as many as the last one
    /// read.
    pub(crate) fn le_cache(&self) -> LeCache {
        let mut le = LeCache::default();
        le.readings
            .reserve(self.last_read.each_ref().map(|n| n.load(Ordering::Relaxed)));
        le
    }

    /// Notes the length of the text of `format` just written, and what was read for it.
    pub(crate) fn written(&self, format: Format, len: usize, le: &LeCache) {
        self.last_len[format as usize].store(len, Ordering::Relaxed);
        for (kept, n) in self.last_read.iter().zip(le.readings.sizes()) {
            kept.store(n, Ordering::Relaxed);
        }
    }

    /// The family of the entries `group` (one exposition name) written live, or `None` when it
    /// goes through a snapshot: function gauges (their producer can fail), a labelled family
    /// with a type label or beside other metrics, label keys the adapter refuses.
    fn live(
        group: &[&Entry],
        rows: &mut Vec<(Span, MetricRef)>,
        labelled: &mut Vec<Entry>,
        texts: &mut Texts,
    ) -> Option<LiveFamily> {
        let reserved = reserved_keys(exposition_type(group[0].kind()));
        if group.iter().any(|e| {
            e.kind() == MetricKind::FnGauge
                || check_keys(e.exposition_label_keys(), reserved).is_err()
        }) {
            return None;
        }
        let header = |e: &Entry, texts: &mut Texts| {
            let name = e.type_label().map_or(e.name(), |t| t.family).to_owned();
            let exposition = e.exported().0;
            let help = if e.help().is_empty() {
                format!("{name} ({})", e.kind())
            } else {
                e.help().to_owned()
            };
            let unit_name = unit_name(e.kind(), e.unit());
            let mut text = |format| {
                let mut out = String::new();
                let ty = exposition_type(e.kind());
                push_header(&mut out, format, &exposition, ty, &help, &unit_name);
                texts.add(&out)
            };
            let header_texts = [text(Format::Prometheus), text(Format::OpenMetrics)];
            Header {
                padded: texts.add(&exposition),
                texts: header_texts,
                exposition,
                help,
                name,
                kind: e.kind(),
                claim: Ok(()),
                unit_name,
            }
        };
        if let [e] = group
            && matches!(e.metric(), MetricRef::Family(_))
        {
            return e.type_label().is_none().then(|| LiveFamily {
                header: header(e, texts),
                source: {
                    labelled.push((*e).clone());
                    Source::Family
                },
            });
        }
        if group
            .iter()
            .any(|e| matches!(e.metric(), MetricRef::Family(_)))
        {
            return None;
        }
        let mut members = group.to_vec();
        members.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
        let header = header(members[0], texts);
        let start = rows.len();
        rows.extend(members.iter().map(|e| {
            // The type label first, then the constant labels (as the adapter writes them).
            let keys = e.exposition_label_keys();
            let (pre, keys) = match (e.type_label(), keys.split_last()) {
                (Some(t), Some((key, rest))) => (
                    Some((key.as_str(), std::borrow::Cow::Borrowed(t.value))),
                    rest,
                ),
                _ => (None, keys),
            };
            let block = label_block(&Series {
                pre,
                keys,
                labels: e.labels(),
                post: None,
                sample: super::model::Sample::Uint(0),
            });
            (texts.add(&block), e.metric().clone())
        }));
        Some(LiveFamily {
            header,
            source: Source::Plain(start..rows.len()),
        })
    }

    /// The plan of `registry`, as kept or derived now.
    fn of(registry: &Registry) -> Arc<Plan> {
        let generation = registry.generation();
        let mut cache = registry
            .export_cache()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((g, kept)) = cache.as_ref()
            && *g == generation
            && let Ok(plan) = Arc::clone(kept).downcast::<Plan>()
        {
            return plan;
        }
        let (generation, entries) = registry.metrics_at();
        let plan = Arc::new(Plan::build(&entries));
        *cache = Some((generation, Arc::clone(&plan) as Arc<dyn Any + Send + Sync>));
        plan
    }
}

/// One scrape of a registry on the live path: the plan, every live family's series, the
/// snapshot of the rest and the overflow counts.
pub(crate) struct Read {
    pub plan: Arc<Plan>,
    /// For each labelled family of `plan.live`, in order, its children.
    samples: Vec<Arc<dyn Samples>>,
    pub rest: Snapshot,
    pub overflowed: Vec<(String, u64)>,
}

impl Read {
    /// Reads `registry` now (the live families' label sets; their values are read as they are
    /// written).
    pub(crate) fn of(registry: &Registry) -> Read {
        let plan = Plan::of(registry);
        let samples = plan
            .labelled
            .iter()
            .map(|e| match e.metric() {
                MetricRef::Family(FamilyRef::Counter(f)) => children(f, e),
                MetricRef::Family(FamilyRef::Gauge(f)) => children(f, e),
                MetricRef::Family(FamilyRef::UpDownCounter(f)) => children(f, e),
                MetricRef::Family(FamilyRef::FloatGauge(f)) => children(f, e),
                MetricRef::Family(FamilyRef::Meter(f)) => children(f, e),
                MetricRef::Family(FamilyRef::Histogram(f)) => children(f, e),
                MetricRef::Family(FamilyRef::Timer(f)) => children(f, e),
                // `Plan::live` makes a family source of families only.
                _ => Arc::new(NoSeries),
            })
            .collect();
        let overflowed = plan
            .families
            .iter()
            .map(|(name, f)| (name.clone(), super::scrape::overflowed(f)))
            .collect();
        let rest = registry.snapshot_of(&plan.rest);
        Read {
            plan,
            samples,
            rest,
            overflowed,
        }
    }

    /// The sample names the live families take.
    pub(crate) fn claims(&self) -> &Claims {
        &self.plan.claims
    }

    /// How many families are written live.
    pub(crate) fn plan_len(&self) -> usize {
        self.plan.live.len()
    }

    /// The live families with their series, sorted by exposition name.
    pub(crate) fn live(&self) -> impl Iterator<Item = (&Header, &Texts, LiveSeries<'_>)> {
        let plan = &*self.plan;
        let mut families = self.samples.iter();
        plan.live.iter().map(move |f| {
            let series = match &f.source {
                Source::Plain(range) => LiveSeries::Plain {
                    rows: plan.rows.get(range.clone()).unwrap_or_default(),
                    texts: &plan.texts,
                },
                // One for each family source, in order (see `of`).
                Source::Family => {
                    LiveSeries::Family(families.next().map_or(&NoSeries as &dyn Samples, |s| &**s))
                }
            };
            (&f.header, &plan.texts, series)
        })
    }
}
