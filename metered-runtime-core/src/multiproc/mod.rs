//! Many processes, one view: per-process storage that survives the process, and an exact
//! aggregator (feature `multiprocess`).
//!
//! Pre-fork servers and worker pools run several processes of one program. In this mode each
//! process records into a memory-mapped file of its own in a shared directory, and any process
//! (one of them, or a separate one) merges the files on every read:
//!
//! ```no_run
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::multiproc::{self, Aggregator};
//! // In each worker, first thing (before it records anything):
//! multiproc::enable("/run/myapp/metrics")?;
//! metered_runtime::registry().counter("app.requests")?.inc();
//! // In the process serving the endpoint (a worker, the parent, or another program):
//! let view = Aggregator::new("/run/myapp/metrics");
//! let registry = metered_runtime::Registry::new();
//! view.register(&registry)?; // serve `registry`: the endpoint, push reporters, JSON
//! # Ok::<(), metered_runtime::Error>(())
//! ```
//!
//! # Why this design
//!
//! - **The record path writes the file itself.** The core keeps every counter's cells in
//!   per-thread arenas of 64-cell chunks (see the slot mechanism of the crate). In this mode
//!   those chunks are carved from the process's file, mapped `MAP_SHARED`, instead of from the
//!   heap: a counter's `inc` is the same relaxed load and store as in process, into a page of
//!   the file. An increment that returned is in the page cache, which the kernel owns: it
//!   outlives a `SIGKILL` an instant later, with no flush, no `msync`, no background thread.
//!   Histograms, timers and meters get a run of cells in the same arenas (buckets allocated a
//!   chunk of 64 at a time, on first touch, as in process). Gauges get a cell of the shared
//!   arena (one per process, written with atomic operations) and the time of their last write,
//!   to within [`COARSE_TICK`] (a thread of the mode, `metered-mp-clock`, keeps a coarse clock:
//!   reading the clock on every write would cost forty times the write).
//! - **Why not one pipe or socket per process** (statvent, tapes' PUB/SUB): whatever was
//!   written after the last message is lost when the process dies, and a slow reader blocks or
//!   loses messages. Why not `prometheus_client`'s files of one value per key, looked up by a
//!   dictionary on each write: the write path there is a dictionary lookup and a lock; here it
//!   stays the in-process one (see the figures below).
//! - **The file names what it holds.** Before a metric's cells can be written, its *series
//!   record* (name, labels, kind, exposition name and label keys, bounds, and the id of its
//!   first cell) is appended to the file; each chunk is appended with the arena (thread slot)
//!   and chunk number it serves. A metric is named when the mode is enabled (every metric of
//!   the global registry), when it is registered later, or, for a family's child, when the child
//!   is made, always before anyone can record into it. Records are published with release
//!   ordering after their payload, so a reader never sees half of one. See `format.rs` for the
//!   layout.
//! - **Liveness is a lock, not a pid.** Each process holds an exclusive `flock` on its file for
//!   its whole life; the kernel drops it when the process ends, however it ends. A reader that
//!   can take a shared lock knows the file is dead. Files are named `<pid>-<incarnation>.mp`
//!   with a random 64-bit incarnation, so a reused pid makes a new file and blocks nothing.
//!
//! # What the aggregator does
//!
//! [`Aggregator`] sums counters, up-down counters, meter and timer counts, and histogram
//! buckets (the exponential layout is the same in every process, so bucket-wise sums are exact
//! and the merged quantiles are those of one histogram that saw every value); rates are
//! computed from the merged counts (mean rate since the earliest file; 1/5/15-minute rates
//! ticked every 5 s by the aggregator's reads). Gauges merge by a per-metric [`GaugeMode`]:
//! one series per process with a `pid` label, or the sum, minimum, maximum or latest write, over
//! every process or the live ones ([`Scope`]). Counts of exited or killed processes stay in the
//! view, so counters are monotonic across worker restarts. Quantiles of merged histograms cover
//! everything recorded (the window is the time since the earliest file).
//!
//! [`Aggregator::compact`] folds the files of dead processes into one (the rule is in its
//! docs), so a directory does not grow with restarts, and reading 1,000 dead processes costs
//! what reading one file does. A truncated or corrupt file is skipped and reported (a line on
//! stderr and the toolkit's own `metered.multiprocess.skipped_files`); the read goes on.
//!
//! # Measured
//!
//! `cargo bench -p metered-runtime --features multiprocess --bench multiproc -- --warm-up-time 1
//! --measurement-time 3` on the shared 2-CPU development machine (medians; the in-process and
//! multi-process rows of one metric in the same run, with a bare `AtomicU64::fetch_add` of
//! 15.5 ns as the baseline in that run, inflated by the machine's load):
//!
//! | record | in process | multi-process | ratio |
//! |--------|-----------:|--------------:|------:|
//! | `Counter::inc` | 3.55 ns | 3.80 ns | 1.07 |
//! | `Histogram::record` | 16.3 ns | 16.6 ns | 1.02 |
//! | `Timer::record` | 11.1 ns | 13.0 ns | 1.17 |
//! | `Gauge::set` | 0.49 ns | 0.50 ns | 1.01 |
//!
//! An aggregated read ([`Aggregator::snapshot`]) of the files of 8 processes with 10,000 series
//! each (8,000 counters, 1,000 histograms, 1,000 gauges, the same names in every process):
//! 86.6 ms. With the files of 1,000 more (exited) processes of 10 series each: 128 ms; after
//! [`Aggregator::compact`] folded all 1,008 dead files into one: 6.5 ms.
//!
//! # Limits
//!
//! - Enable the mode before the process records anything: counts recorded earlier stay in
//!   process memory only. A process that forks after enabling must not record in the child
//!   without exec (the child would write its parent's file); start workers with exec (as
//!   `std::process::Command` does) and enable in each.
//! - Only metrics of the global registry are named. Function gauges are not shared.
//! - A file has a fixed capacity ([`Options::capacity`], 16 MiB by default, sparse); chunks
//!   that do not fit are kept in process memory and counted in [`Process::overflowed`].
//! - Ids are never reused while the mode is on: dropping a family child does not free its
//!   cells (they stay in the view as the counts of the dead do).
//! - A process has 16.7 million cell ids: a counter, meter or up-down counter takes one, a
//!   gauge two, a histogram or timer 6,664 plus one per classic bound (its bucket range; only
//!   the chunks of 64 it touches take memory). So about 2,500 histograms and timers per
//!   process; beyond the ids, metrics record in process only, counted in
//!   [`Process::overflowed`] and logged once.
//! - A file that cannot be read is reported and skipped on every read, and left in place for
//!   an operator: compaction never deletes what it cannot read.

mod aggregate;
mod format;
mod reader;
mod writer;

pub use aggregate::{Aggregator, COMPACTED_FILE, DirStats, GaugeMode, Scope};
pub use writer::{COARSE_TICK, DEFAULT_CAPACITY, Process};
pub(crate) use writer::{registered, stamp};

use crate::error::Result;
use std::path::Path;

/// Options of [`enable_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    capacity: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            capacity: DEFAULT_CAPACITY,
        }
    }
}

impl Options {
    /// The default options.
    #[must_use]
    pub fn new() -> Self {
        Options::default()
    }

    /// The size of the process's file in bytes (rounded up to 4 KiB, at least 4 KiB).
    #[must_use]
    pub fn capacity(mut self, bytes: u64) -> Self {
        self.capacity = bytes;
        self
    }
}

/// Turns the multi-process mode on for this process: creates and locks its file in `dir`
/// (created if missing), and names every metric of the global registry in it. From then on,
/// everything the global registry's metrics record lands in the file.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) if the file cannot be made or mapped;
/// [`Error::InvalidConfig`](crate::Error::InvalidConfig) if the mode is on already.
pub fn enable(dir: impl AsRef<Path>) -> Result<&'static Process> {
    enable_with(dir, Options::default())
}

/// [`enable`] with options.
///
/// # Errors
/// As [`enable`].
pub fn enable_with(dir: impl AsRef<Path>, options: Options) -> Result<&'static Process> {
    writer::enable(dir.as_ref(), options.capacity)
}

/// This process's file, if the mode is on.
#[must_use]
pub fn process() -> Option<&'static Process> {
    writer::process()
}
