//! Merging every process's file into one view, and compacting the files of dead processes.

use super::format::{
    self, CHUNK, CHUNK_DATA, CHUNK_RECORD, COMPACTED, H_CAPACITY, H_INCARNATION, H_PID, H_START,
    H_USED, HEADER, INCLUDED, Identity, MAGIC, SERIES, VERSION, tag,
};
use super::reader::{self, FileView, Reading};
use super::writer::{SUFFIX, now_nanos};
use crate::collector::{CollectError, Collection, Collector, collection::Collected};
use crate::error::{Error, Result};
use crate::metric::MetricKind;
use crate::metric::histogram::sourced::{Cells, HEADER as HIST_HEADER, cells_for};
use crate::metric::meter::MeterSnapshot;
use crate::metric::timer::TimerSnapshot;
use crate::registry::Registry;
use crate::slot::{CHUNK as CELLS, CHUNK_IDS};
use crate::snapshot::{Snapshot, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The file holding the counts of compacted dead processes.
pub const COMPACTED_FILE: &str = "compacted.mp";
/// Held shared by every read of the directory and exclusively by a compaction, so that a read
/// never sees a compaction half done.
const LOCK_FILE: &str = ".compact.lock";

/// A series' identity for compaction: name, labels, kind.
type SeriesKey = (String, Vec<(String, String)>, u8);

/// Which processes a gauge mode looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every process with a file in the directory, dead ones included (until compacted).
    All,
    /// Processes alive now.
    Live,
}

/// How the per-process values of a gauge become the aggregated series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GaugeMode {
    /// One series per process, with a `pid` label.
    PerProcess(Scope),
    /// The sum over the processes.
    Sum(Scope),
    /// The smallest value.
    Min(Scope),
    /// The largest value.
    Max(Scope),
    /// The value written last (by the time of the write).
    Latest(Scope),
}

impl GaugeMode {
    fn scope(self) -> Scope {
        match self {
            GaugeMode::PerProcess(s)
            | GaugeMode::Sum(s)
            | GaugeMode::Min(s)
            | GaugeMode::Max(s)
            | GaugeMode::Latest(s) => s,
        }
    }
}

/// What one aggregated read found in the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirStats {
    /// Files of live processes read.
    pub live: usize,
    /// Files of dead processes read (the compacted file included).
    pub dead: usize,
    /// Files skipped as unreadable, truncated or corrupt, with why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Reads every per-process file of a directory and merges them, on every read: counters,
/// meter and timer counts, up-down counters and histogram buckets are summed exactly; gauges are
/// merged by a per-metric [`GaugeMode`]. Serves through every exporter as a
/// [`Collector`](crate::collector::Collector): register it on a [`Registry`] (see
/// [`register`](Self::register)) that the endpoint, a push reporter or the JSON view reads.
///
/// A file that cannot be read (truncated, garbage, another format) is skipped with a line on
/// stderr (once per file and reason) and counted in the toolkit's own series
/// `metered.multiprocess.skipped_files`; the rest of the read is exact.
#[derive(Debug, Clone)]
pub struct Aggregator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    modes: Mutex<(HashMap<String, GaugeMode>, GaugeMode)>,
    skipped: AtomicU64,
    logged: Mutex<BTreeSet<(PathBuf, String)>>,
    rates: Mutex<HashMap<(String, Vec<String>), Ewma>>,
}

impl Aggregator {
    /// Reads the files in `dir`. Gauges default to [`GaugeMode::Sum`] over live processes.
    #[must_use]
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Aggregator {
            inner: Arc::new(Inner {
                dir: dir.as_ref().to_owned(),
                modes: Mutex::new((HashMap::new(), GaugeMode::Sum(Scope::Live))),
                skipped: AtomicU64::new(0),
                logged: Mutex::new(BTreeSet::new()),
                rates: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn modes(&self) -> std::sync::MutexGuard<'_, (HashMap<String, GaugeMode>, GaugeMode)> {
        self.inner
            .modes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges the gauge named `name` (its dotted name) by `mode`.
    #[must_use]
    pub fn gauge_mode(self, name: &str, mode: GaugeMode) -> Self {
        self.modes().0.insert(name.to_owned(), mode);
        self
    }

    /// Merges the gauges without a mode of their own by `mode`.
    #[must_use]
    pub fn default_gauge_mode(self, mode: GaugeMode) -> Self {
        self.modes().1 = mode;
        self
    }

    /// The directory read.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Registers this aggregator on `registry` as the collector `multiprocess`: every snapshot
    /// of `registry` (the endpoint's, a push reporter's, the JSON view) then holds the merged
    /// view.
    ///
    /// # Errors
    /// As [`Registry::register_collector`].
    pub fn register(&self, registry: &Registry) -> Result<()> {
        registry.register_collector("multiprocess", self.clone())
    }

    /// The merged view now, as a snapshot of its own (a registry holding only this aggregator).
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        let r = Registry::new();
        // A fresh registry has no collector of that name.
        let _ = self.register(&r);
        r.snapshot()
    }

    /// Reads the directory once and returns the files read and merged, for callers who want the
    /// counts (and for tests).
    ///
    /// # Errors
    /// The directory cannot be listed.
    pub fn stats(&self) -> Result<DirStats> {
        let (_, stats) = self.read_dir()?;
        Ok(stats)
    }

    /// Every usable file, read (the compacted file first), and what was found.
    fn read_dir(&self) -> Result<(Vec<FileView>, DirStats)> {
        let dir = &self.inner.dir;
        let _lock = dir_lock(dir, false)?;
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::Io {
                context: format!("listing {}", dir.display()),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == SUFFIX))
            .collect();
        paths.sort_by_key(|p| (p.file_name() != Some(COMPACTED_FILE.as_ref()), p.clone()));
        let mut stats = DirStats::default();
        let mut views = Vec::new();
        let mut included = BTreeSet::new();
        for path in paths {
            match reader::read(&path) {
                Ok(v) => {
                    if v.compacted {
                        included.clone_from(&v.included);
                    } else if !v.live && included.contains(&v.incarnation) {
                        // Compacted already; its deletion is pending.
                        continue;
                    }
                    if v.live {
                        stats.live += 1;
                    } else {
                        stats.dead += 1;
                    }
                    views.push(v);
                }
                Err(why) => {
                    self.report(&path, &why);
                    stats.skipped.push((path, why));
                }
            }
        }
        Ok((views, stats))
    }

    fn report(&self, path: &Path, why: &str) {
        self.inner.skipped.fetch_add(1, Ordering::Relaxed);
        let mut logged = self
            .inner
            .logged
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if logged.insert((path.to_owned(), why.to_owned())) {
            eprintln!("metered: multiprocess: skipping {}: {why}", path.display());
        }
    }

    #[allow(
        clippy::too_many_lines,
        reason = "one match over the kinds, each arm a few lines; the gauge modes are its bulk"
    )]
    fn collect_into(&self, out: &mut Collection) -> Result<()> {
        let (views, stats) = self.read_dir()?;
        let now = now_nanos();
        let since = views.iter().map(|v| v.start).min().unwrap_or(now);
        let elapsed = Duration::from_nanos(now.saturating_sub(since));
        let mut groups: BTreeMap<(String, MetricKind), Group> = BTreeMap::new();
        for v in &views {
            for (id, reading) in &v.series {
                let (name, labels) = exported_labels(id);
                let g = groups
                    .entry((name.clone(), id.kind))
                    .or_insert_with(|| Group::new(name, id));
                for (k, _) in &labels {
                    if !g.keys.contains(k) {
                        g.keys.push(k.clone());
                    }
                }
                let acc = g.series.entry(labels).or_default();
                acc.add(v, reading);
            }
        }
        for ((name, kind), g) in groups {
            let mode = {
                let m = self.modes();
                *m.0.get(&g.dotted).unwrap_or(&m.1)
            };
            let mut keys = g.keys.clone();
            if matches!(kind, MetricKind::Gauge | MetricKind::FloatGauge)
                && matches!(mode, GaugeMode::PerProcess(_))
            {
                keys.push("pid".into());
            }
            let mut series = BTreeMap::new();
            for (labels, acc) in g.series {
                let values = |extra: Option<String>| -> Vec<String> {
                    let mut v: Vec<String> = g
                        .keys
                        .iter()
                        .map(|k| {
                            labels
                                .iter()
                                .find(|(l, _)| l == k)
                                .map_or_else(String::new, |(_, v)| v.clone())
                        })
                        .collect();
                    v.extend(extra);
                    v
                };
                match acc {
                    Acc::Empty => {}
                    Acc::Count(n) => {
                        let value = match kind {
                            MetricKind::UpDownCounter =>
                            {
                                #[allow(
                                    clippy::cast_possible_wrap,
                                    reason = "wrapping sum of i64 deltas"
                                )]
                                Value::UpDownCounter(n as i64)
                            }
                            MetricKind::Meter => {
                                Value::Meter(self.rates(&name, values(None), n, elapsed, now))
                            }
                            _ => Value::Counter(n),
                        };
                        series.insert(values(None), value);
                    }
                    Acc::Histogram(cells) => {
                        let snap = cells.snapshot(false, &g.bounds, elapsed);
                        series.insert(values(None), Value::Histogram(snap));
                    }
                    Acc::Timer(cells, n) => {
                        let histogram = cells.snapshot(true, &g.bounds, elapsed);
                        let rates = self.rates(&name, values(None), n, elapsed, now);
                        series.insert(
                            values(None),
                            Value::Timer(TimerSnapshot { rates, histogram }),
                        );
                    }
                    Acc::Gauges(per) => {
                        let float = kind == MetricKind::FloatGauge;
                        let per: Vec<_> = per
                            .into_iter()
                            .filter(|p| mode.scope() == Scope::All || p.live)
                            .collect();
                        #[allow(
                            clippy::cast_precision_loss,
                            reason = "min, max and latest of integer gauges go through f64; exact below 2^53"
                        )]
                        let value_of = |bits: u64| {
                            #[allow(clippy::cast_possible_wrap, reason = "i64 stored as bits")]
                            let v = if float {
                                f64::from_bits(bits)
                            } else {
                                bits as i64 as f64
                            };
                            v
                        };
                        let make = |v: f64| {
                            #[allow(
                                clippy::cast_possible_truncation,
                                reason = "an i64 gauge's value"
                            )]
                            if float {
                                Value::FloatGauge(v)
                            } else {
                                Value::Gauge(v as i64)
                            }
                        };
                        match mode {
                            GaugeMode::PerProcess(_) => {
                                for p in &per {
                                    series.insert(
                                        values(Some(p.pid.to_string())),
                                        make(value_of(p.bits)),
                                    );
                                }
                            }
                            _ if per.is_empty() => {}
                            GaugeMode::Sum(_) if !float => {
                                #[allow(clippy::cast_possible_wrap, reason = "i64 stored as bits")]
                                let s = per.iter().fold(0i64, |s, p| s.wrapping_add(p.bits as i64));
                                series.insert(values(None), Value::Gauge(s));
                            }
                            GaugeMode::Sum(_) => {
                                let s = per.iter().map(|p| value_of(p.bits)).sum();
                                series.insert(values(None), make(s));
                            }
                            GaugeMode::Min(_) => {
                                let m = per
                                    .iter()
                                    .map(|p| value_of(p.bits))
                                    .fold(f64::INFINITY, f64::min);
                                series.insert(values(None), make(m));
                            }
                            GaugeMode::Max(_) => {
                                let m = per
                                    .iter()
                                    .map(|p| value_of(p.bits))
                                    .fold(f64::NEG_INFINITY, f64::max);
                                series.insert(values(None), make(m));
                            }
                            GaugeMode::Latest(_) => {
                                if let Some(p) = per.iter().max_by_key(|p| p.at) {
                                    series.insert(values(None), make(value_of(p.bits)));
                                }
                            }
                        }
                    }
                }
            }
            if series.is_empty() {
                continue;
            }
            out.families.push(Collected {
                name: name.clone(),
                kind,
                help: g.help,
                unit: format::unit_of(&g.unit),
                keys,
                series,
            });
        }
        let skipped = self.inner.skipped.load(Ordering::Relaxed);
        out.counter(
            "metered.multiprocess.skipped_files",
            "Per-process files skipped as unreadable, truncated or corrupt (each read counts).",
            &[],
        )?
        .set(&[], skipped)?;
        let mut files = out.gauge(
            "metered.multiprocess.files",
            "Per-process files merged by the last read, by state.",
            &["state"],
        )?;
        for (state, n) in [
            ("live", stats.live),
            ("dead", stats.dead),
            ("skipped", stats.skipped.len()),
        ] {
            files.set(&[("state", state)], i64::try_from(n).unwrap_or(i64::MAX))?;
        }
        Ok(())
    }

    /// The count and rates of a meter or timer from its merged count (the rates are kept per
    /// series by this aggregator, ticked every 5 s on its reads).
    fn rates(
        &self,
        name: &str,
        values: Vec<String>,
        count: u64,
        elapsed: Duration,
        now: u64,
    ) -> MeterSnapshot {
        let mut rates = self
            .inner
            .rates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let e = rates
            .entry((name.to_owned(), values))
            .or_insert_with(|| Ewma::new(now, count));
        e.update(now, count);
        let secs = elapsed.as_secs_f64();
        #[allow(clippy::cast_precision_loss, reason = "a rate")]
        let mean_rate = if secs > 0.0 { count as f64 / secs } else { 0.0 };
        MeterSnapshot {
            count,
            mean_rate,
            m1: e.rates[0],
            m5: e.rates[1],
            m15: e.rates[2],
        }
    }

    /// Compacts the files of dead processes into [`COMPACTED_FILE`], then deletes them.
    ///
    /// The rule, safe against pid reuse and crashes:
    /// - a file is dead when nobody holds its lock (the kernel releases a process's locks
    ///   however it ends; a new process with the same pid makes a new file, with another random
    ///   incarnation, and locks that one), so liveness never depends on pids;
    /// - the counts of the dead files and of the previous compacted file are written to a
    ///   temporary file that lists the incarnations it includes, which then replaces the
    ///   compacted file by a rename (atomic); only then are the dead files deleted. A crash
    ///   before the rename leaves everything as it was; after it, readers skip the dead files
    ///   whose incarnation the compacted file lists, so nothing counts twice;
    /// - compactions and reads exclude each other through a lock file (reads shared), so a
    ///   read sees the directory before or after a compaction, never between;
    /// - what is compacted: counters, meter and timer counts, up-down counters and histograms
    ///   (everything that adds up). Gauges of dead processes are dropped: `Scope::All` modes
    ///   see them until their files are compacted.
    ///
    /// Returns how many dead files were compacted (0 when a read or another compaction holds
    /// the lock: try again later).
    ///
    /// # Errors
    /// The directory cannot be listed or the compacted file cannot be written.
    pub fn compact(&self) -> Result<usize> {
        let dir = &self.inner.dir;
        let Some(_lock) = dir_lock(dir, true)? else {
            return Ok(0);
        };
        let io = |what: String| {
            move |e: std::io::Error| Error::Io {
                context: what,
                message: e.to_string(),
            }
        };
        let mut merged: BTreeMap<SeriesKey, (Identity, Reading)> = BTreeMap::new();
        let mut included = BTreeSet::new();
        let mut dead = Vec::new();
        let compacted_path = dir.join(COMPACTED_FILE);
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(format!("listing {}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == SUFFIX))
            .collect();
        paths.sort();
        let mut views = Vec::new();
        if compacted_path.exists() {
            match reader::read(&compacted_path) {
                Ok(v) => views.push(v),
                Err(why) => {
                    self.report(&compacted_path, &why);
                    return Err(Error::Io {
                        context: format!("reading {}", compacted_path.display()),
                        message: why,
                    });
                }
            }
        }
        let previous: BTreeSet<u64> = views
            .first()
            .map(|v| v.included.clone())
            .unwrap_or_default();
        for path in paths.iter().filter(|p| **p != compacted_path) {
            let Ok(v) = reader::read(path) else { continue };
            if v.live || v.compacted {
                continue;
            }
            dead.push(path.clone());
            if previous.contains(&v.incarnation) {
                included.insert(v.incarnation);
                continue;
            }
            included.insert(v.incarnation);
            views.push(v);
        }
        if dead.is_empty() {
            return Ok(0);
        }
        for v in views {
            for (id, reading) in v.series {
                if matches!(reading, Reading::Gauge { .. }) {
                    continue;
                }
                let key = (
                    id.name.clone(),
                    id.labels.clone(),
                    format::kind_code(id.kind),
                );
                match merged.get_mut(&key) {
                    Some((_, r)) => merge_reading(r, &reading),
                    None => {
                        merged.insert(key, (id, reading));
                    }
                }
            }
        }
        let cells = build_compacted(merged.into_values(), &included);
        let tmp = dir.join(".compacted.tmp");
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_ne_bytes()).collect();
        std::fs::write(&tmp, &bytes).map_err(io(format!("writing {}", tmp.display())))?;
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io(format!("syncing {}", tmp.display())))?;
        std::fs::rename(&tmp, &compacted_path)
            .map_err(io(format!("renaming {}", tmp.display())))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        let n = dead.len();
        for p in dead {
            let _ = std::fs::remove_file(p);
        }
        Ok(n)
    }
}

impl Collector for Aggregator {
    fn collect(&self, out: &mut Collection) -> std::result::Result<(), CollectError> {
        self.collect_into(out).map_err(CollectError::from)
    }
}

/// Shared (`exclusive` false, waits) or exclusive (`None` if busy) lock of the directory.
fn dir_lock(dir: &Path, exclusive: bool) -> Result<Option<File>> {
    let path = dir.join(LOCK_FILE);
    let f = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::Io {
            context: format!("opening {}", path.display()),
            message: e.to_string(),
        })?;
    if exclusive {
        Ok(f.try_lock().is_ok().then_some(f))
    } else {
        f.lock_shared().map_err(|e| Error::Io {
            context: format!("locking {}", path.display()),
            message: e.to_string(),
        })?;
        Ok(Some(f))
    }
}

/// The exported family name of a series and its labels (a type label first).
fn exported_labels(id: &Identity) -> (String, Vec<(String, String)>) {
    match &id.type_label {
        Some((family, key, value)) => {
            let mut labels = vec![(key.clone(), value.clone())];
            labels.extend(id.labels.iter().cloned());
            (family.clone(), labels)
        }
        None => (id.name.clone(), id.labels.clone()),
    }
}

struct Group {
    dotted: String,
    help: String,
    unit: String,
    keys: Vec<String>,
    bounds: Vec<f64>,
    series: BTreeMap<Vec<(String, String)>, Acc>,
}

impl Group {
    fn new(_name: String, id: &Identity) -> Group {
        Group {
            dotted: id.name.clone(),
            help: id.help.clone(),
            unit: id.unit.clone(),
            keys: Vec::new(),
            bounds: id.bounds.clone(),
            series: BTreeMap::new(),
        }
    }
}

struct PerProcess {
    pid: u32,
    live: bool,
    bits: u64,
    at: u64,
}

#[derive(Default)]
enum Acc {
    #[default]
    Empty,
    Count(u64),
    Histogram(Cells),
    Timer(Cells, u64),
    Gauges(Vec<PerProcess>),
}

impl Acc {
    fn add(&mut self, file: &FileView, reading: &Reading) {
        match (std::mem::take(self), reading) {
            (Acc::Empty, Reading::Count(n)) => *self = Acc::Count(*n),
            (Acc::Count(a), Reading::Count(n)) => *self = Acc::Count(a.wrapping_add(*n)),
            (Acc::Empty, Reading::Histogram(c)) => *self = Acc::Histogram(c.clone()),
            (Acc::Histogram(mut a), Reading::Histogram(c)) => {
                a.merge(c);
                *self = Acc::Histogram(a);
            }
            (Acc::Empty, Reading::Timer(c, n)) => *self = Acc::Timer(c.clone(), *n),
            (Acc::Timer(mut cells, count), Reading::Timer(more, n)) => {
                cells.merge(more);
                *self = Acc::Timer(cells, count.wrapping_add(*n));
            }
            (acc, Reading::Gauge { bits, at }) => {
                let mut per = match acc {
                    Acc::Gauges(p) => p,
                    _ => Vec::new(),
                };
                per.push(PerProcess {
                    pid: file.pid,
                    live: file.live,
                    bits: *bits,
                    at: *at,
                });
                *self = Acc::Gauges(per);
            }
            // A kind that changed between processes (the group key includes the kind, so only
            // after a program change): keep what was there.
            (acc, _) => *self = acc,
        }
    }
}

fn merge_reading(into: &mut Reading, more: &Reading) {
    match (into, more) {
        (Reading::Count(total), Reading::Count(n)) => *total = total.wrapping_add(*n),
        (Reading::Histogram(cells), Reading::Histogram(other)) => cells.merge(other),
        (Reading::Timer(cells, count), Reading::Timer(other, n)) => {
            cells.merge(other);
            *count = count.wrapping_add(*n);
        }
        _ => {}
    }
}

/// The cells of a compacted file holding `series` (their values in slot 0's arena) and the
/// list of `included` incarnations.
fn build_compacted(
    series: impl Iterator<Item = (Identity, Reading)>,
    included: &BTreeSet<u64>,
) -> Vec<u64> {
    let mut out = vec![0u64; HEADER];
    let mut chunks: BTreeMap<u32, [u64; CELLS]> = BTreeMap::new();
    let mut next: u32 = 1;
    let mut set = |id: u32, v: u64| {
        if v != 0 {
            chunks.entry(id / CHUNK_IDS).or_insert([0; CELLS])[id as usize % CELLS] = v;
        }
    };
    let mut records: Vec<Vec<u64>> = Vec::new();
    for (identity, reading) in series {
        let nb = identity.bounds.len();
        let (first, second) = match &reading {
            Reading::Count(n) => {
                let id = next;
                next += 1;
                set(id, *n);
                (id, 0)
            }
            Reading::Histogram(c) | Reading::Timer(c, _) => {
                let nanos = matches!(reading, Reading::Timer(..));
                let base = next;
                next += cells_for(nb);
                set(base, c.zero);
                if nanos {
                    #[allow(clippy::cast_possible_truncation, reason = "halves")]
                    {
                        set(base + 1, c.nsum as u64);
                        set(base + 2, (c.nsum >> 64) as u64);
                        set(base + 3, c.nsq as u64);
                        set(base + 4, (c.nsq >> 64) as u64);
                    }
                } else {
                    set(base + 1, c.fsum.to_bits());
                    set(base + 3, c.fsq.to_bits());
                }
                set(base + 5, c.min_inv);
                set(base + 6, c.max);
                for (i, &n) in c.classic.iter().enumerate().take(nb) {
                    #[allow(clippy::cast_possible_truncation, reason = "bounds are few")]
                    set(base + HIST_HEADER + i as u32, n);
                }
                #[allow(clippy::cast_possible_truncation, reason = "bounds are few")]
                let first = base + HIST_HEADER + nb as u32;
                for (&p, &n) in &c.positions {
                    set(first + p, n);
                }
                let second = if let Reading::Timer(_, n) = reading {
                    let id = next;
                    next += 1;
                    set(id, n);
                    id
                } else {
                    0
                };
                (base, second)
            }
            Reading::Gauge { .. } => continue,
        };
        let bytes = identity.encode();
        let mut rec = vec![0u64; 4 + bytes.len().div_ceil(8)];
        rec[0] = tag(SERIES, rec.len());
        rec[1] = u64::from(first);
        rec[2] = u64::from(second);
        rec[3] = bytes.len() as u64;
        for (cell, b) in rec[4..].iter_mut().zip(bytes.chunks(8)) {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            *cell = u64::from_ne_bytes(w);
        }
        records.push(rec);
    }
    for rec in records {
        out.extend(rec);
    }
    let mut inc = vec![tag(INCLUDED, 1 + included.len())];
    inc.extend(included.iter().copied());
    out.extend(inc);
    for (chunk, cells) in chunks {
        let mut rec = vec![0u64; CHUNK_RECORD];
        rec[0] = tag(CHUNK, CHUNK_RECORD);
        rec[1] = u64::from(chunk);
        rec[CHUNK_DATA..CHUNK_DATA + CELLS].copy_from_slice(&cells);
        out.extend(rec);
    }
    out[0] = MAGIC;
    out[1] = VERSION | COMPACTED;
    out[H_PID] = 0;
    out[H_INCARNATION] = 0;
    out[H_START] = now_nanos();
    out[H_USED] = out.len() as u64;
    out[H_CAPACITY] = out.len() as u64;
    out
}

/// Dropwizard's moving averages over a merged count, ticked on reads.
#[derive(Debug)]
struct Ewma {
    /// Start of the current tick (ns since the epoch).
    tick_start: u64,
    /// The count at the start of the current tick.
    base: u64,
    rates: [f64; 3],
    primed: bool,
}

const TICK: u64 = 5_000_000_000;

impl Ewma {
    fn new(now: u64, count: u64) -> Self {
        Ewma {
            tick_start: now,
            base: count,
            rates: [0.0; 3],
            primed: false,
        }
    }

    fn update(&mut self, now: u64, count: u64) {
        let due = now.saturating_sub(self.tick_start) / TICK;
        if due == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss, reason = "a rate")]
        let first = count.wrapping_sub(self.base) as f64 / 5.0;
        for t in 0..due.min(crate::metric::meter::max_ticks()) {
            let instant = if t == 0 { first } else { 0.0 };
            for (r, minutes) in self.rates.iter_mut().zip([1.0f64, 5.0, 15.0]) {
                let alpha = 1.0 - (-5.0 / 60.0 / minutes).exp();
                if self.primed {
                    *r += alpha * (instant - *r);
                } else {
                    *r = instant;
                }
            }
            self.primed = true;
        }
        self.tick_start += due * TICK;
        self.base = count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(kind: MetricKind, name: &str, bounds: Vec<f64>) -> Identity {
        Identity {
            kind,
            name: name.into(),
            help: "help".into(),
            unit: String::new(),
            labels: vec![("k".into(), "v".into())],
            from_family: true,
            type_label: None,
            exposition: name.replace('.', "_"),
            keys: vec!["k".into()],
            bounds,
        }
    }

    fn atomics(cells: &[u64]) -> Vec<AtomicU64> {
        cells.iter().map(|&c| AtomicU64::new(c)).collect()
    }

    fn sample() -> Vec<(Identity, Reading)> {
        let mut hist = Cells::default();
        hist.add(
            false,
            1,
            |o| match o {
                0 => 2,
                1 => 7.5f64.to_bits(),
                3 => 30.25f64.to_bits(),
                5 => !1.5f64.to_bits(),
                6 => 6.0f64.to_bits(),
                8 => 1,
                _ => 0,
            },
            |f| {
                f(3000, 1);
                f(3100, 2);
            },
        );
        let mut timer = Cells::default();
        timer.add(
            true,
            1,
            |o| match o {
                0 => 2,
                1 => 7_500,
                // 2: the high half of the sum (2^64 + 7,500 ns); 8: classic bucket 0.
                2 | 8 => 1,
                3 => 30_250,
                5 => !1_500,
                6 => 6_000,
                _ => 0,
            },
            |f| f(100, 3),
        );
        vec![
            (
                identity(MetricKind::Counter, "a.count", vec![]),
                Reading::Count(42),
            ),
            (
                identity(MetricKind::Histogram, "a.sizes", vec![2.0]),
                Reading::Histogram(hist.clone()),
            ),
            (
                identity(MetricKind::Timer, "a.time", vec![2.0]),
                Reading::Timer(timer, 5),
            ),
        ]
    }

    #[test]
    fn a_compacted_file_reads_back_as_written() {
        let cells = build_compacted(sample().into_iter(), &BTreeSet::from([7, 9]));
        let view = reader::parse(&atomics(&cells), false).unwrap();
        assert!(view.compacted && !view.live);
        assert_eq!(view.included, BTreeSet::from([7, 9]));
        assert_eq!(view.series, sample());
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let cells = build_compacted(sample().into_iter(), &BTreeSet::new());
        let read = |c: &[u64]| reader::parse(&atomics(c), false).map(|_| ());
        // Truncated anywhere: the records in use overrun the file.
        for len in [0, 3, HEADER, HEADER + 5, cells.len() - 1] {
            assert!(read(&cells[..len]).is_err(), "truncated to {len}");
        }
        // A garbage tag, a record longer than the file, an unknown type, a bad series payload.
        let mut bad = cells.clone();
        bad[HEADER] = 0xDEAD_BEEF;
        assert!(read(&bad).unwrap_err().contains("corrupt record"));
        let mut bad = cells.clone();
        bad[HEADER] = tag(SERIES, 1 << 20);
        assert!(read(&bad).unwrap_err().contains("overruns"));
        let mut bad = cells.clone();
        bad[HEADER] = tag(77, 4);
        assert!(read(&bad).is_err());
        let mut bad = cells.clone();
        bad[HEADER + 4] ^= 0xFF; // the kind byte of the first series
        assert!(read(&bad).unwrap_err().contains("series record"));
        let mut bad = cells;
        bad[1] = 99;
        assert!(read(&bad).unwrap_err().contains("version"));
    }

    #[test]
    fn moving_averages_tick_on_reads_as_dropwizard_does() {
        let mut e = Ewma::new(0, 0);
        e.update(TICK - 1, 50); // no tick due yet
        assert_eq!(e.rates, [0.0; 3]);
        e.update(TICK, 50); // first tick: the instant rate, 50 events / 5 s
        assert_eq!(e.rates, [10.0; 3]);
        e.update(3 * TICK, 50); // two idle ticks
        let alpha = 1.0 - (-5.0f64 / 60.0).exp();
        assert!((e.rates[0] - 10.0 * (1.0 - alpha).powi(2)).abs() < 1e-12);
    }
}
