//! The writing side: this process's file, the chunk source carved from it, and naming the
//! registry's metrics in it.

use super::format::{
    CHUNK, CHUNK_DATA, CHUNK_RECORD, H_CAPACITY, H_INCARNATION, H_PID, H_START, H_USED, HEADER,
    Identity, MAGIC, PAD, SERIES, VERSION, store_bytes, tag,
};
use crate::error::{Error, Result};
use crate::metric::family::Family;
use crate::metric::histogram::sourced::cells_for;
use crate::registry::{Entry, FamilyRef, Handle, MetricRef};
use crate::slot::{self, Cells, ChunkSource};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The file suffix of per-process files.
pub(super) const SUFFIX: &str = "mp";

/// Default capacity of a per-process file: 16 MiB (a sparse file: blocks are used only as
/// records are written).
pub const DEFAULT_CAPACITY: u64 = 16 << 20;

/// This process's file, once [`enable`](super::enable)d.
#[derive(Debug)]
pub struct Process {
    path: PathBuf,
    pid: u32,
    incarnation: u64,
    cells: &'static [AtomicU64],
    /// Serializes appends (the record path never takes it: only first touches of a chunk and
    /// the naming of a metric do).
    append: Mutex<()>,
    /// Holds the exclusive lock that tells readers this process is alive; never closed.
    _lock: File,
    full: AtomicU64,
}

static PROCESS: OnceLock<&'static Process> = OnceLock::new();

/// Serializes adoptions (naming metrics), so that each metric is named once.
static ADOPT: Mutex<()> = Mutex::new(());

impl Process {
    /// The file this process records into.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The pid written in the file.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The random id of this process's file, which tells it from an earlier process that had the
    /// same pid.
    #[must_use]
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Chunks, series records or metrics that did not fit (in the file, or in the process's
    /// 16.7 million cell ids) and were kept in process memory instead: their counts are missing
    /// from the aggregated view.
    #[must_use]
    pub fn overflowed(&self) -> u64 {
        self.full.load(Ordering::Relaxed)
    }

    /// Appends a record of `kind` with `payload` cells after the tag (`align`: the cell at
    /// `CHUNK_DATA` from the start lands on a 16-cell boundary), and returns where it starts.
    /// `fill` writes the payload before the record is published.
    fn append(
        &self,
        kind: u64,
        len: usize,
        align: bool,
        fill: impl FnOnce(&[AtomicU64]),
    ) -> Option<usize> {
        let _g = self.append.lock().unwrap_or_else(PoisonError::into_inner);
        let cap = self.cells.len();
        let mut at = usize::try_from(self.cells[H_USED].load(Ordering::Relaxed)).ok()?;
        if align {
            let pad = (16 - (at + CHUNK_DATA) % 16) % 16;
            if pad > 0 {
                if at + pad > cap {
                    return None;
                }
                self.cells[at].store(tag(PAD, pad), Ordering::Release);
                at += pad;
            }
        }
        if at + len > cap {
            self.full.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        fill(&self.cells[at + 1..at + len]);
        self.cells[at].store(tag(kind, len), Ordering::Release);
        self.cells[H_USED].store((at + len) as u64, Ordering::Release);
        Some(at)
    }

    /// `n` fresh ids aligned to `align`, or `None` (counted in [`overflowed`](Self::overflowed)
    /// and logged once) when the id space is exhausted.
    fn ids(&self, n: u32, align: u32) -> Option<u32> {
        let ids = slot::take_range(n, align);
        if ids.is_none() && self.full.fetch_add(1, Ordering::Relaxed) == 0 {
            eprintln!(
                "metered: multiprocess: out of cell ids in {}; further metrics record in \
                 process only",
                self.path.display()
            );
        }
        ids
    }

    fn series(&self, identity: &Identity, first: u32, second: u32) -> bool {
        let bytes = identity.encode();
        let len = 4 + bytes.len().div_ceil(8);
        self.append(SERIES, len, false, |c| {
            c[0].store(u64::from(first), Ordering::Relaxed);
            c[1].store(u64::from(second), Ordering::Relaxed);
            c[2].store(bytes.len() as u64, Ordering::Relaxed);
            store_bytes(&c[3..], &bytes);
        })
        .is_some()
    }
}

impl ChunkSource for Process {
    fn chunk(&self, slot: u32, chunk: u32) -> Option<&'static Cells> {
        let at = self.append(CHUNK, CHUNK_RECORD, true, |c| {
            c[0].store(u64::from(slot) << 32 | u64::from(chunk), Ordering::Relaxed);
        })?;
        let cells: &'static [AtomicU64] = self.cells;
        <&Cells>::try_from(&cells[at + CHUNK_DATA..at + CHUNK_DATA + slot::CHUNK]).ok()
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Io {
        context,
        message: e.to_string(),
    }
}

/// A random 64-bit id: std's per-process random hash keys, mixed with the time and pid.
fn random_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now_nanos().into());
    h.write_u32(std::process::id());
    h.finish() | 1
}

pub(super) fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// See [`enable`](super::enable).
pub(super) fn enable(dir: &Path, capacity: u64) -> Result<&'static Process> {
    let adopting = ADOPT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(p) = PROCESS.get() {
        return Err(Error::InvalidConfig {
            reason: format!(
                "the multi-process mode is already on in this process (file {})",
                p.path.display()
            ),
        });
    }
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let pid = std::process::id();
    let incarnation = random_id();
    let path = dir.join(format!("{pid}-{incarnation:016x}.{SUFFIX}"));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io(format!("creating {}", path.display())))?;
    // Locked before anything is written: a reader that can lock it finds a dead or unborn file.
    file.lock()
        .map_err(io(format!("locking {}", path.display())))?;
    let capacity = capacity.max(4096).next_multiple_of(4096);
    file.set_len(capacity)
        .map_err(io(format!("sizing {}", path.display())))?;
    let cells = metered_shm::Mapping::new(&file, true)
        .map_err(io(format!("mapping {}", path.display())))?
        .leak();
    cells[H_PID].store(u64::from(pid), Ordering::Relaxed);
    cells[H_INCARNATION].store(incarnation, Ordering::Relaxed);
    cells[H_START].store(now_nanos(), Ordering::Relaxed);
    cells[H_CAPACITY].store(cells.len() as u64, Ordering::Relaxed);
    cells[H_USED].store(HEADER as u64, Ordering::Relaxed);
    cells[1].store(VERSION, Ordering::Relaxed);
    cells[0].store(MAGIC, Ordering::Release);
    let process: &'static Process = Box::leak(Box::new(Process {
        path,
        pid,
        incarnation,
        cells,
        append: Mutex::new(()),
        _lock: file,
        full: AtomicU64::new(0),
    }));
    let _ = PROCESS.set(process);
    start_clock();
    slot::install_source(process);
    drop(adopting);
    resolve();
    Ok(process)
}

/// Stamps a gauge's write time cell (for [`GaugeMode::Latest`](super::GaugeMode)).
#[inline]
pub(crate) fn stamp(at: &AtomicU64) {
    at.store(COARSE_NOW.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The time in nanoseconds since the Unix epoch, to within [`COARSE_TICK`]: what a gauge's
/// write stamps (a clock read per write would cost 40 times the write itself).
static COARSE_NOW: AtomicU64 = AtomicU64::new(0);

/// How often the thread `metered-mp-clock` advances the coarse clock that gauge writes are
/// stamped with: the resolution of
/// [`GaugeMode::Latest`](super::GaugeMode::Latest) across processes.
pub const COARSE_TICK: std::time::Duration = std::time::Duration::from_millis(10);

/// Starts the thread that advances [`COARSE_NOW`] (once; if it cannot start, writes are
/// stamped with the time the mode was enabled).
fn start_clock() {
    COARSE_NOW.store(now_nanos(), Ordering::Relaxed);
    let _ = std::thread::Builder::new()
        .name("metered-mp-clock".into())
        .spawn(|| {
            loop {
                std::thread::sleep(COARSE_TICK);
                COARSE_NOW.store(now_nanos(), Ordering::Relaxed);
            }
        });
}

/// This process's file, if the mode is on.
pub(super) fn process() -> Option<&'static Process> {
    PROCESS.get().copied()
}

/// Names a metric just registered in the global registry (called under the registry's lock).
pub(crate) fn registered(e: &Entry) {
    if process().is_some() {
        adopt_entry(e);
    }
}

/// Names every metric of the global registry not named yet, and installs the family hooks
/// that name new children as they are made. Takes no lock while it walks (only each naming
/// does), so that a family's lock is never taken under [`ADOPT`].
fn resolve() {
    for e in crate::registry().metrics() {
        adopt_entry(&e);
    }
}

/// The identity of `e` (or of its family's child with `values`).
fn identity(e: &Entry, kind: crate::MetricKind, child: Option<&[&str]>) -> Identity {
    let mut labels = e.labels().to_vec();
    if let Some(values) = child {
        labels.extend(
            e.label_keys()
                .iter()
                .cloned()
                .zip(values.iter().map(|v| (*v).to_owned())),
        );
    }
    Identity {
        kind,
        name: e.name().to_owned(),
        help: e.help().to_owned(),
        unit: e.unit().as_str().to_owned(),
        labels,
        from_family: child.is_some(),
        type_label: e
            .type_label()
            .map(|t| (t.family.to_owned(), t.key.to_owned(), t.value.to_owned())),
        exposition: e.exposition_name().to_owned(),
        keys: e.exposition_label_keys().to_vec(),
        bounds: Vec::new(),
    }
}

fn adopt_entry(e: &Entry) {
    match e.metric() {
        MetricRef::Family(f) => adopt_family(e, f),
        m => adopt(&identity(e, m.kind(), None), m),
    }
}

macro_rules! hook_family {
    ($e:expr, $f:expr, $variant:ident) => {{
        let f: &Arc<Family<_>> = $f;
        let entry = $e.clone();
        f.set_child_hook(Box::new(move |values: &[&str], child: &Arc<_>| {
            let m = MetricRef::$variant(Handle::Shared(Arc::clone(child)));
            adopt(&identity(&entry, m.kind(), Some(values)), &m);
        }));
    }};
}

fn adopt_family(e: &Entry, f: &FamilyRef) {
    // Hook first, then name the children made before: none is missed, some are seen twice
    // (naming is idempotent).
    match f {
        FamilyRef::Counter(f) => hook_family!(e, f, Counter),
        FamilyRef::Gauge(f) => hook_family!(e, f, Gauge),
        FamilyRef::UpDownCounter(f) => hook_family!(e, f, UpDownCounter),
        FamilyRef::FloatGauge(f) => hook_family!(e, f, FloatGauge),
        FamilyRef::Meter(f) => hook_family!(e, f, Meter),
        FamilyRef::Histogram(f) => hook_family!(e, f, Histogram),
        FamilyRef::Timer(f) => hook_family!(e, f, Timer),
    }
    for (values, child) in f.children() {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        adopt(&identity(e, child.kind(), Some(&values)), &child);
    }
}

/// Gives `m` its cells in the file and writes its series record first, if it has none yet.
fn adopt(identity: &Identity, metric: &MetricRef) {
    let Some(p) = process() else { return };
    let _g = ADOPT.lock().unwrap_or_else(PoisonError::into_inner);
    let one = || {
        let id = p.ids(1, 1)?;
        p.series(identity, id, 0).then_some(id)
    };
    match metric {
        MetricRef::Counter(c) => {
            c.adopt_sourced(one);
        }
        MetricRef::UpDownCounter(c) => {
            c.adopt_sourced(one);
        }
        MetricRef::Meter(c) => {
            c.rates().adopt_sourced(one);
        }
        MetricRef::Histogram(h) => {
            let bounds = h.live_bounds_or_empty();
            let identity = Identity {
                bounds: bounds.to_vec(),
                ..identity.clone()
            };
            h.adopt_sourced(|| {
                let id = p.ids(cells_for(bounds.len()), 8)?;
                p.series(&identity, id, 0).then_some(id)
            });
        }
        MetricRef::Timer(timer) => {
            let (h, rates) = timer.parts();
            let bounds = h.live_bounds_or_empty();
            let identity = Identity {
                bounds: bounds.to_vec(),
                ..identity.clone()
            };
            let mut count = None;
            h.adopt_sourced(|| {
                let id = p.ids(cells_for(bounds.len()), 8)?;
                // The header's spare cell holds the count: the same chunk as the sums.
                let c = id + 7;
                count = Some(c);
                p.series(&identity, id, c).then_some(id)
            });
            if let Some(c) = count {
                rates.adopt_sourced(|| Some(c));
            }
        }
        MetricRef::Gauge(g) => {
            g.adopt_sourced(|| {
                let id = p.ids(2, 2)?;
                p.series(identity, id, 0).then_some(id)
            });
        }
        MetricRef::FloatGauge(g) => {
            g.adopt_sourced(|| {
                let id = p.ids(2, 2)?;
                p.series(identity, id, 0).then_some(id)
            });
        }
        MetricRef::FnGauge(_) | MetricRef::Family(_) => {}
    }
}
