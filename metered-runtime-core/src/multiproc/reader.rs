//! The reading side: one file, checked and turned into the values of its series.

use super::format::{
    CHUNK, CHUNK_DATA, COMPACTED, H_INCARNATION, H_PID, H_START, H_USED, HEADER, INCLUDED,
    Identity, MAGIC, PAD, SERIES, VERSION, load_bytes, untag,
};
use crate::metric::MetricKind;
use crate::metric::histogram::sourced::{Cells, HEADER as HIST_HEADER, cells_for};
use crate::slot::{CHUNK as CELLS, CHUNK_IDS};
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The slot number of the shared arena in chunk records.
pub(super) const SHARED_SLOT: u32 = u32::MAX;

/// A series' values in one file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reading {
    /// A counter's or meter's count; an up-down counter's wrapping sum.
    Count(u64),
    /// A gauge: its value's bits (an `i64`, or an `f64` for a float gauge) and when it was last
    /// set (ns since the Unix epoch).
    Gauge { bits: u64, at: u64 },
    /// A histogram's cells.
    Histogram(Cells),
    /// A timer's histogram cells and its count of timed events.
    Timer(Cells, u64),
}

/// One file, read.
#[derive(Debug)]
pub(crate) struct FileView {
    pub(crate) pid: u32,
    pub(crate) incarnation: u64,
    /// When the file was made (ns since the Unix epoch).
    pub(crate) start: u64,
    /// Whether a live process holds it (its lock).
    pub(crate) live: bool,
    pub(crate) compacted: bool,
    /// Incarnations whose counts a compacted file holds.
    pub(crate) included: BTreeSet<u64>,
    pub(crate) series: Vec<(Identity, Reading)>,
}

/// Whether a process holds `file`'s lock (a file nobody holds is dead: the kernel releases the
/// lock of a process however it ends, so neither a crash nor a reused pid can fool this).
pub(super) fn is_live(file: &File) -> bool {
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

/// Reads the file at `path`; `Err` says why it is unusable (it is then skipped).
pub(crate) fn read(path: &Path) -> Result<FileView, String> {
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let live = is_live(&file);
    let map = match metered_shm::Mapping::new(&file, false) {
        Ok(map) => map,
        // A live process between creating its file and sizing it.
        Err(_) if live => return Ok(FileView::starting()),
        Err(e) => return Err(format!("cannot map: {e}")),
    };
    if live && map.cells()[0].load(Ordering::Acquire) == 0 {
        // Its header is not written yet (the magic number is written last).
        return Ok(FileView::starting());
    }
    parse(map.cells(), live)
}

impl FileView {
    /// The file of a live process that has not written its header yet: no series.
    fn starting() -> FileView {
        FileView {
            pid: 0,
            incarnation: 0,
            start: u64::MAX,
            live: true,
            compacted: false,
            included: BTreeSet::new(),
            series: Vec::new(),
        }
    }
}

/// Reads a file's cells.
#[allow(
    clippy::too_many_lines,
    reason = "one pass over the records, then one over the series, sharing the chunk index"
)]
pub(crate) fn parse(cells: &[AtomicU64], live: bool) -> Result<FileView, String> {
    let get = |i: usize| cells.get(i).map(|c| c.load(Ordering::Acquire));
    if cells.len() < HEADER || get(0) != Some(MAGIC) {
        return Err("not a metered multi-process file (bad magic)".into());
    }
    let version = get(1).unwrap_or(0);
    if version & 0xFFFF_FFFF != VERSION {
        return Err(format!("unknown layout version {}", version & 0xFFFF_FFFF));
    }
    let used = usize::try_from(get(H_USED).unwrap_or(0)).unwrap_or(usize::MAX);
    if used < HEADER || used > cells.len() {
        return Err(format!(
            "truncated or corrupt: {used} cells in use, {} in the file",
            cells.len()
        ));
    }
    let mut chunks: HashMap<(u32, u32), usize> = HashMap::new();
    let mut slots: BTreeSet<u32> = BTreeSet::new();
    let mut defs: Vec<(Identity, u32, u32)> = Vec::new();
    let mut included = BTreeSet::new();
    let mut at = HEADER;
    while at < used {
        let (kind, len) = get(at)
            .and_then(untag)
            .ok_or_else(|| format!("corrupt record at cell {at}"))?;
        if len == 0 || at + len > used {
            return Err(format!("record at cell {at} overruns the file"));
        }
        let rec = &cells[at..at + len];
        match kind {
            CHUNK if len >= CHUNK_DATA + CELLS => {
                let a = rec[1].load(Ordering::Relaxed);
                #[allow(clippy::cast_possible_truncation, reason = "two halves")]
                let (slot, chunk) = ((a >> 32) as u32, a as u32);
                chunks.insert((slot, chunk), at + CHUNK_DATA);
                slots.insert(slot);
            }
            SERIES if len >= 4 => {
                #[allow(clippy::cast_possible_truncation, reason = "ids are u32")]
                let (first, second) = (
                    rec[1].load(Ordering::Relaxed) as u32,
                    rec[2].load(Ordering::Relaxed) as u32,
                );
                let n = usize::try_from(rec[3].load(Ordering::Relaxed)).unwrap_or(usize::MAX);
                if n > (len - 4) * 8 {
                    return Err(format!("series record at cell {at} overruns itself"));
                }
                let identity = Identity::decode(&load_bytes(&rec[4..], n))
                    .map_err(|e| format!("series record at cell {at}: {e}"))?;
                defs.push((identity, first, second));
            }
            INCLUDED => {
                included.extend(rec[1..].iter().map(|c| c.load(Ordering::Relaxed)));
            }
            PAD => {}
            _ => return Err(format!("unknown record type {kind} at cell {at}")),
        }
        at += len;
    }
    let cell = |slot: u32, id: u32| -> u64 {
        chunks.get(&(slot, id / CHUNK_IDS)).map_or(0, |&off| {
            cells[off + (id as usize % CELLS)].load(Ordering::Relaxed)
        })
    };
    let sum = |id: u32| slots.iter().fold(0u64, |t, &s| t.wrapping_add(cell(s, id)));
    let hist = |base: u32, nanos: bool, nb: usize| {
        let mut acc = Cells::default();
        #[allow(clippy::cast_possible_truncation, reason = "bounds are few")]
        let first = base + HIST_HEADER + nb as u32;
        let end = base + cells_for(nb);
        for &s in &slots {
            if !(base / CHUNK_IDS..=end / CHUNK_IDS).any(|c| chunks.contains_key(&(s, c))) {
                continue;
            }
            acc.add(
                nanos,
                nb,
                |o| cell(s, base + o),
                |f| {
                    let mut c = first / CHUNK_IDS;
                    while c * (CHUNK_IDS) < end {
                        if let Some(&off) = chunks.get(&(s, c)) {
                            for j in 0..CHUNK_IDS {
                                let id = c * CHUNK_IDS + j;
                                if id >= first && id < end {
                                    f(id - first, cells[off + j as usize].load(Ordering::Relaxed));
                                }
                            }
                        }
                        c += 1;
                    }
                },
            );
        }
        acc
    };
    let series = defs
        .into_iter()
        .map(|(identity, first, second)| {
            let reading = match identity.kind {
                MetricKind::Counter | MetricKind::UpDownCounter | MetricKind::Meter => {
                    Reading::Count(sum(first))
                }
                MetricKind::Gauge | MetricKind::FloatGauge | MetricKind::FnGauge => {
                    Reading::Gauge {
                        bits: cell(SHARED_SLOT, first),
                        at: cell(SHARED_SLOT, first + 1),
                    }
                }
                MetricKind::Histogram => {
                    Reading::Histogram(hist(first, false, identity.bounds.len()))
                }
                MetricKind::Timer => {
                    Reading::Timer(hist(first, true, identity.bounds.len()), sum(second))
                }
            };
            (identity, reading)
        })
        .collect();
    #[allow(clippy::cast_possible_truncation, reason = "pids are 32-bit")]
    Ok(FileView {
        pid: get(H_PID).unwrap_or(0) as u32,
        incarnation: get(H_INCARNATION).unwrap_or(0),
        start: get(H_START).unwrap_or(0),
        live,
        compacted: version & COMPACTED != 0,
        included,
        series,
    })
}
