//! Histograms whose storage is a run of arena cells (the multi-process mode): the record path
//! into them, and the merge of their cells back into a [`HistogramSnapshot`].
//!
//! A sourced histogram owns `HEADER + bounds + POSITIONS` consecutive ids of the per-thread
//! arenas (see the crate's slot mechanism); each recording thread's arena holds its cells, in
//! chunks of 64 allocated when first touched, so a thread that records values within one power
//! of two touches the header chunk and one or two bucket chunks. Cell `base + j`:
//! - `0`: the zero bucket's count;
//! - `1`, `2`: the sum (`f64` bits in 1 for floats; the `u128` nanosecond sum as low, high);
//! - `3`, `4`: the sum of squares, likewise;
//! - `5`: the bitwise complement of the smallest value's bits (or nanoseconds), so that a
//!   fresh zeroed cell means "none" and the minimum is a maximum of complements;
//! - `6`: the largest value's bits (or nanoseconds);
//! - `7`: a timer's count of timed events (its rates' cell), unused for a histogram;
//!
//! The run starts at a multiple of 8 ids, so the header is in one chunk and the record path
//! finds its eight cells with one lookup.
//! - `HEADER + i`: classic bucket `i`'s count (values in `(bound[i-1], bound[i]]`);
//! - `HEADER + bounds + p`: the count of storage position `p` (bucket `p + MIN_INDEX`).

use super::config::HistogramConfig;
use super::layout::{POSITIONS, index_of};
use super::quantile::Quantiles;
use super::recorder::Histogram;
use super::sketch::Sketch;
use super::snapshot::HistogramSnapshot;
use crate::slot::ThreadCells;
use std::collections::BTreeMap;
use std::time::Duration;

/// Cells before the classic bucket counters.
pub(crate) const HEADER: u32 = 8;

#[allow(clippy::cast_possible_truncation, reason = "6,656 positions")]
const POSITIONS_U32: u32 = POSITIONS as u32;

/// Cells a histogram with `bounds` classic bounds takes.
pub(crate) fn cells_for(bounds: usize) -> u32 {
    HEADER + u32::try_from(bounds).unwrap_or(u32::MAX - POSITIONS_U32 - HEADER) + POSITIONS_U32
}

impl Histogram {
    /// The classic bounds the record path counts (empty when none or invalid).
    pub(crate) fn live_bounds_or_empty(&self) -> &'static [f64] {
        self.config().live_bounds().unwrap_or(&[])
    }
}

/// Records a float `v` at storage position `p` into the calling thread's cells from `base`.
#[inline]
pub(super) fn record_floats(base: u32, config: &HistogramConfig, v: f64, p: i64) {
    let t = ThreadCells::current();
    let w = t.writer();
    let bounds = config.live_bounds();
    let nb = bounds.map_or(0, <[f64]>::len);
    count_position(t, base, nb, p);
    let header = t.eight(base);
    w.add_f64(&header[1], v);
    w.add_f64(&header[3], v * v);
    w.max(&header[5], !v.to_bits());
    w.max(&header[6], v.to_bits());
    if let Some(bounds) = bounds {
        count_classic(
            t,
            base,
            bounds.len(),
            config.classic_index_of(bounds, p, || v),
        );
    }
}

/// Records `ns` nanoseconds at storage position `p` into the calling thread's
/// cells from `base`.
#[inline]
pub(super) fn record_nanos(base: u32, config: &HistogramConfig, ns: u64, p: i64) {
    let t = ThreadCells::current();
    let w = t.writer();
    let bounds = config.live_bounds();
    let nb = bounds.map_or(0, <[f64]>::len);
    count_position(t, base, nb, p);
    let header = t.eight(base);
    w.add_wide(&header[1], &header[2], u128::from(ns));
    w.add_wide(&header[3], &header[4], u128::from(ns) * u128::from(ns));
    w.max(&header[5], !ns);
    w.max(&header[6], ns);
    if let Some(bounds) = bounds {
        count_classic(
            t,
            base,
            bounds.len(),
            if ns < super::recorder::EXACT_NANOS {
                config.classic_index_of(bounds, p, || super::recorder::secs(ns))
            } else {
                HistogramConfig::classic_index(bounds, super::recorder::secs(ns))
            },
        );
    }
}

#[inline]
fn count_position(t: ThreadCells, base: u32, nb: usize, p: i64) {
    let cell = match u32::try_from(p) {
        #[allow(clippy::cast_possible_truncation, reason = "bounds are few")]
        Ok(p) => base + HEADER + nb as u32 + p.min(POSITIONS_U32 - 1),
        Err(_) => base,
    };
    t.writer().add(t.cell(cell), 1);
}

#[inline]
fn count_classic(t: ThreadCells, base: u32, nb: usize, i: usize) {
    if i < nb {
        #[allow(clippy::cast_possible_truncation, reason = "i < nb, bounds are few")]
        t.writer().add(t.cell(base + HEADER + i as u32), 1);
    }
}

/// The merged cells of one sourced histogram (over threads, processes or files).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Cells {
    pub(crate) zero: u64,
    /// Float sums (floats), or unused.
    pub(crate) fsum: f64,
    pub(crate) fsq: f64,
    /// Nanosecond sums (timers), or unused.
    pub(crate) nsum: u128,
    pub(crate) nsq: u128,
    /// Complement of the smallest value's bits (0: none).
    pub(crate) min_inv: u64,
    pub(crate) max: u64,
    /// Per classic bucket (not cumulative).
    pub(crate) classic: Vec<u64>,
    /// Storage position to count, non-zero counts only.
    pub(crate) positions: BTreeMap<u32, u64>,
}

impl Cells {
    /// Adds one thread's (or one file's) cells, read through `cell(offset)` for offsets into
    /// the run, `nanos` for a timer's, with `nb` classic bounds; `chunk_present(offset)` tells
    /// whether the chunk holding an offset was ever allocated (to skip absent bucket chunks).
    pub(crate) fn add(
        &mut self,
        nanos: bool,
        nb: usize,
        cell: impl Fn(u32) -> u64,
        mut positions: impl FnMut(&mut dyn FnMut(u32, u64)),
    ) {
        self.zero = self.zero.wrapping_add(cell(0));
        if nanos {
            let wide = |lo: u32| u128::from(cell(lo + 1)) << 64 | u128::from(cell(lo));
            self.nsum = self.nsum.wrapping_add(wide(1));
            self.nsq = self.nsq.wrapping_add(wide(3));
        } else {
            self.fsum += f64::from_bits(cell(1));
            self.fsq += f64::from_bits(cell(3));
        }
        self.min_inv = self.min_inv.max(cell(5));
        self.max = self.max.max(cell(6));
        if self.classic.len() < nb {
            self.classic.resize(nb, 0);
        }
        for (i, c) in self.classic.iter_mut().enumerate().take(nb) {
            #[allow(clippy::cast_possible_truncation, reason = "bounds are few")]
            let v = cell(HEADER + i as u32);
            *c = c.wrapping_add(v);
        }
        positions(&mut |p, n| {
            if n != 0 && p < POSITIONS_U32 {
                let e = self.positions.entry(p).or_insert(0);
                *e = e.wrapping_add(n);
            }
        });
    }

    /// Adds another merged set.
    pub(crate) fn merge(&mut self, o: &Cells) {
        self.zero = self.zero.wrapping_add(o.zero);
        self.fsum += o.fsum;
        self.fsq += o.fsq;
        self.nsum = self.nsum.wrapping_add(o.nsum);
        self.nsq = self.nsq.wrapping_add(o.nsq);
        self.min_inv = self.min_inv.max(o.min_inv);
        self.max = self.max.max(o.max);
        if self.classic.len() < o.classic.len() {
            self.classic.resize(o.classic.len(), 0);
        }
        for (a, b) in self.classic.iter_mut().zip(&o.classic) {
            *a = a.wrapping_add(*b);
        }
        for (&p, &n) in &o.positions {
            let e = self.positions.entry(p).or_insert(0);
            *e = e.wrapping_add(n);
        }
    }

    /// The snapshot of these cells: cumulative statistics, quantiles over everything (the
    /// window is everything since `since`), classic buckets at `bounds`.
    #[allow(
        clippy::cast_precision_loss,
        reason = "counts and u128 sums become the nearest f64"
    )]
    pub(crate) fn snapshot(
        &self,
        nanos: bool,
        bounds: &[f64],
        since: Duration,
    ) -> HistogramSnapshot {
        let mut sketch = Sketch::new();
        sketch.zero = self.zero;
        sketch.buckets = self
            .positions
            .iter()
            .map(|(&p, &n)| (index_of(p as usize), n))
            .collect();
        sketch.count = sketch
            .buckets
            .iter()
            .fold(sketch.zero, |n, &(_, c)| n.wrapping_add(c));
        let count = sketch.count;
        let (d, sum, sq) = if nanos {
            (1e9, self.nsum as f64, self.nsq as f64)
        } else {
            (1.0, self.fsum, self.fsq)
        };
        let value = |bits: u64| {
            if nanos {
                bits as f64 / d
            } else {
                f64::from_bits(bits)
            }
        };
        let (min, max, mean, stddev) = if count == 0 || self.min_inv == 0 {
            (0.0, 0.0, 0.0, 0.0)
        } else {
            let n = count as f64;
            let mean = sum / n;
            let var = (sq / n - mean * mean).max(0.0);
            (
                value(!self.min_inv),
                value(self.max),
                mean / d,
                var.sqrt() / d,
            )
        };
        let buckets = if bounds.is_empty() {
            Vec::new()
        } else {
            let mut cum = 0u64;
            let mut out: Vec<(f64, u64)> = bounds
                .iter()
                .zip(self.classic.iter().chain(std::iter::repeat(&0)))
                .map(|(&b, &c)| {
                    cum = cum.wrapping_add(c).min(count);
                    (b, cum)
                })
                .collect();
            out.push((f64::INFINITY, count));
            out
        };
        let mut snap = HistogramSnapshot {
            count,
            sum: sum / d,
            min,
            max,
            mean,
            stddev,
            quantiles: Quantiles::default(),
            buckets,
            window: since,
            window_count: count,
            window_sketch: sketch.clone(),
            sketch,
        };
        snap.quantiles = Quantiles::from_fn(|q| snap.quantile(q));
        snap
    }
}
