//! Per-thread storage: the mechanism behind every lock-free record path.
//!
//! Each thread that records gets a *slot* on its first record: an [`Arena`] of its own, unique
//! among the live threads of the process and handed to a new thread when its thread exits. A
//! thread is the only writer of what its slot holds, so it updates its cells with a plain relaxed
//! load and store: no locked read-modify-write instruction, no cache line shared with another
//! writer. A thread that records while its thread-locals are being torn down has no slot and
//! records into one shared arena with atomic read-modify-write operations.
//!
//! Two containers build on slots:
//! - [`ShardedSum`], the `u64` behind counters and up-down counters (the Linux per-CPU counter
//!   design, per thread): the metric holds a 4-byte id; every arena holds, at that id, the
//!   thread's 8-byte cell, in chunks of [`CHUNK`] cells allocated when the thread first records
//!   into one of their ids. A read sums the metric's cell over the arenas. One thread's cells are
//!   contiguous and never share a cache line with another thread's, so nothing needs padding.
//! - [`Shards<T>`], for metrics whose per-thread state is a struct (histograms, timers): a
//!   lock-free list of one node per recording thread, found by slot, appended on the thread's
//!   first record.
//!
//! Why these and not a table of shards per metric sized to the CPUs (what this module did
//! before): that table cost `4 x CPUs` pointers per recorded metric before any shard, and each
//! shard was padded to a cache line, so a counter series took 541 B on a 2-CPU machine (measured
//! by `benches/memory.rs`), its table alone 2 KiB on a 64-CPU one. A `ShardedSum` costs 8 B per
//! recording thread and nothing per CPU. The other design weighed, LongAdder-style striping (one
//! inline cell that spreads into a table when a compare-and-swap fails), records with the same
//! locked instruction as a bare atomic add on its uncontended path, where a plain store measures
//! about 0.25x of it, and still needs padded cells once it spreads. The figures are in the docs
//! of `metric::family`.

#![cfg_attr(
    not(feature = "multiprocess"),
    allow(
        dead_code,
        reason = "the storage hooks of the multi-process mode are used with its feature only"
    )
)]

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use once_cell::race::{OnceBox, OnceRef};

/// The slot index of the shared arena (threads without a slot of their own).
const NO_SLOT: usize = usize::MAX;

/// Cells per chunk of an arena: 512 bytes, four 128-byte lines.
pub(crate) const CHUNK: usize = 64;
/// [`CHUNK`] as a `u32`, for arithmetic on ids.
#[allow(clippy::cast_possible_truncation, reason = "64")]
pub(crate) const CHUNK_IDS: u32 = CHUNK as u32;
/// Chunks per second-level table of an arena.
const CHUNKS_PER_TABLE: usize = 1024;
/// Second-level tables per arena.
const TABLES: usize = 256;
/// Ids a [`ShardedSum`] can take (`TABLES * CHUNKS_PER_TABLE * CHUNK`, 16,777,216). Id 0 means
/// "none yet"; the last id is shared by every sum made while all others are live.
#[allow(clippy::cast_possible_truncation, reason = "2^24 fits in u32")]
const MAX_IDS: u32 = (TABLES * CHUNKS_PER_TABLE * CHUNK) as u32;
const OVERFLOW_ID: u32 = MAX_IDS - 1;

/// 64 cells on lines of their own (how an in-process chunk is allocated).
#[repr(align(128))]
struct Chunk([AtomicU64; CHUNK]);

/// The cells of one chunk, wherever they live: leaked from the heap (they are never freed:
/// arenas live as long as the process), or carved from a [`ChunkSource`].
pub(crate) type Cells = [AtomicU64; CHUNK];

struct Table([OnceRef<'static, Cells>; CHUNKS_PER_TABLE]);

/// Where the chunks of arenas come from when not from the heap: the multi-process mode hands
/// out chunks of a memory-mapped file, so the record path writes the file with the very same
/// code. Consulted only when a chunk is first needed (the cold path).
pub(crate) trait ChunkSource: Send + Sync {
    /// A zeroed chunk for chunk number `chunk` of the arena of slot `slot` (`u32::MAX` for the
    /// shared arena), or `None` to fall back to the heap (the file is full).
    fn chunk(&self, slot: u32, chunk: u32) -> Option<&'static Cells>;
}

/// The chunk source, once installed (never removed: its chunks stay in use).
static SOURCE: OnceLock<&'static dyn ChunkSource> = OnceLock::new();

/// Ids from this one on were taken after a [`ChunkSource`] was installed: their cells live in
/// its chunks, so they are never zeroed nor reused (another process may be reading them);
/// `u32::MAX` while no source is installed.
static SOURCED_FROM: AtomicU32 = AtomicU32::new(u32::MAX);

/// Installs `source` for every chunk allocated from now on, and starts ids afresh on a chunk
/// boundary, so that no id taken from now on shares a chunk allocated before. Returns `false`
/// (and changes nothing) if a source was installed already.
pub(crate) fn install_source(source: &'static dyn ChunkSource) -> bool {
    let mut ids = IDS.lock().unwrap_or_else(PoisonError::into_inner);
    if SOURCE.set(source).is_err() {
        return false;
    }
    ids.next = ids.next.next_multiple_of(CHUNK_IDS).min(OVERFLOW_ID);
    ids.free.clear();
    SOURCED_FROM.store(ids.next, Ordering::Release);
    true
}

/// Takes `n` consecutive fresh ids (never reused) starting at a multiple of `align` (a power of
/// two up to [`CHUNK`]: then the first `align` ids share one chunk), for storage that a
/// [`ChunkSource`]'s reader must find: a counter's one cell, a histogram's run of cells. `None`
/// when the id space is exhausted.
pub(crate) fn take_range(n: u32, align: u32) -> Option<u32> {
    let mut ids = IDS.lock().unwrap_or_else(PoisonError::into_inner);
    let start = ids.next.next_multiple_of(align.max(1));
    let end = start.checked_add(n).filter(|&e| e < OVERFLOW_ID)?;
    ids.next = end;
    Some(start)
}

/// The calling thread's arena, for storage laid out in runs of ids (sourced histograms, meter
/// counts): its cells by id and the writer that updates them.
#[derive(Clone, Copy)]
pub(crate) struct ThreadCells(&'static Arena);

impl ThreadCells {
    /// The calling thread's arena, assigning one on its first record.
    #[inline]
    pub(crate) fn current() -> Self {
        ThreadCells(current())
    }

    /// The cell of `id`, allocating its chunk on first use.
    #[inline]
    pub(crate) fn cell(self, id: u32) -> &'static AtomicU64 {
        self.0.cell(id)
    }

    /// The eight cells of ids `id & !7 ..= id | 7` (one chunk holds them), allocating their
    /// chunk on first use: one lookup for all eight.
    #[inline]
    pub(crate) fn eight(self, id: u32) -> &'static [AtomicU64; 8] {
        let chunk: &'static Cells = self.0.chunk(id);
        &chunk.as_chunks::<8>().0[(id as usize % CHUNK) / 8]
    }

    /// How this thread updates the arena's cells.
    #[inline]
    pub(crate) fn writer(self) -> Writer {
        self.0.writer()
    }
}

/// The cells `id & !1` and `id | 1` of the shared arena, updated with atomic
/// read-modify-write operations: one pair per process (a gauge's value and write time).
#[inline]
pub(crate) fn shared_pair(id: u32) -> &'static [AtomicU64; 2] {
    let chunk: &'static Cells = SHARED.chunk(id);
    &chunk.as_chunks::<2>().0[(id as usize % CHUNK) / 2]
}

/// Allocates the chunk for chunk number `chunk` of the arena of `slot`.
#[cold]
fn new_chunk(slot: usize, chunk: usize) -> &'static Cells {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "slots and chunk numbers are far below 2^32; the shared arena is u32::MAX"
    )]
    let from_source = SOURCE
        .get()
        .and_then(|s| s.chunk(slot as u32, chunk as u32));
    from_source.unwrap_or_else(|| &Box::leak(boxed::<Chunk>()).0)
}

/// One thread's storage (or the shared one): cells of every [`ShardedSum`] by id.
pub(crate) struct Arena {
    /// The slot number: unique among live threads, `NO_SLOT` for the shared arena.
    index: usize,
    tables: [OnceBox<Table>; TABLES],
    /// The next arena in the list of all arenas that readers walk.
    next: OnceLock<&'static Arena>,
}

impl Arena {
    const fn new(index: usize) -> Self {
        Arena {
            index,
            tables: [const { OnceBox::new() }; TABLES],
            next: OnceLock::new(),
        }
    }

    #[inline]
    fn writer(&self) -> Writer {
        Writer {
            exclusive: self.index != NO_SLOT,
        }
    }

    /// The cell of `id`, allocating its chunk (and table) on first use.
    #[inline]
    fn cell(&self, id: u32) -> &'static AtomicU64 {
        let (t, c, i) = split(id);
        let table = self.tables[t].get_or_init(boxed::<Table>);
        &table.0[c].get_or_init(|| new_chunk(self.index, id as usize / CHUNK))[i]
    }

    /// The chunk holding `id` (allocated on first use).
    #[inline]
    fn chunk(&self, id: u32) -> &'static Cells {
        let (t, c, _) = split(id);
        let table = self.tables[t].get_or_init(boxed::<Table>);
        table.0[c].get_or_init(|| new_chunk(self.index, id as usize / CHUNK))
    }

    /// The cell of `id` if its chunk exists.
    fn peek(&self, id: u32) -> Option<&AtomicU64> {
        let (t, c, i) = split(id);
        Some(&self.tables[t].get()?.0[c].get()?[i])
    }
}

/// Table, chunk and cell index of `id`; each in range by construction (`id < MAX_IDS`, and the
/// masks keep the indexing free of a panic path).
#[inline]
fn split(id: u32) -> (usize, usize, usize) {
    let id = id as usize;
    (
        (id / (CHUNK * CHUNKS_PER_TABLE)) % TABLES,
        (id / CHUNK) % CHUNKS_PER_TABLE,
        id % CHUNK,
    )
}

/// Allocates a `T::default()` on the heap, out of the record path: how a first record reaches a
/// new table, chunk or bucket group (here and in the histogram's shards).
#[cold]
#[allow(
    clippy::unnecessary_box_returns,
    reason = "`OnceBox::get_or_init` takes a `Box`"
)]
pub(crate) fn boxed<T: Default>() -> Box<T> {
    Box::new(T::default())
}

impl Default for Table {
    fn default() -> Self {
        Table([const { OnceRef::new() }; CHUNKS_PER_TABLE])
    }
}

impl Default for Chunk {
    fn default() -> Self {
        Chunk([const { AtomicU64::new(0) }; CHUNK])
    }
}

/// The arena of threads without a slot; also the head of the list of all arenas.
static SHARED: Arena = Arena::new(NO_SLOT);

/// Every arena, the shared one first.
fn arenas() -> impl Iterator<Item = &'static Arena> {
    std::iter::successors(Some(&SHARED), |a| a.next.get().copied())
}

thread_local! {
    /// The calling thread's arena; `None` until its first record.
    static ARENA: Cell<Option<&'static Arena>> = const { Cell::new(None) };
    /// Gives the arena back when the thread exits.
    static GUARD: SlotGuard = const { SlotGuard(Cell::new(None)) };
}

struct SlotGuard(Cell<Option<&'static Arena>>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(arena) = self.0.take() {
            // Stop writing the arena before another thread can be given it: anything this thread
            // records from now on goes to the shared arena.
            ARENA.set(Some(&SHARED));
            release(arena);
        }
    }
}

/// Slots not in use, lowest index first (so that long-lived threads keep the small ones), and how
/// many arenas exist.
struct Slots {
    free: BinaryHeap<Reverse<usize>>,
    made: Vec<&'static Arena>,
}

static SLOTS: Mutex<Slots> = Mutex::new(Slots {
    free: BinaryHeap::new(),
    made: Vec::new(),
});

fn acquire() -> &'static Arena {
    let mut s = SLOTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(Reverse(i)) = s.free.pop()
        && let Some(arena) = s.made.get(i)
    {
        return arena;
    }
    let arena: &'static Arena = Box::leak(Box::new(Arena::new(s.made.len())));
    let last = s.made.last().copied().unwrap_or(&SHARED);
    // Arenas are only made under this lock, so the last one's `next` is still empty.
    let _ = last.next.set(arena);
    s.made.push(arena);
    arena
}

/// Hands `arena` to the next thread that asks. The mutex orders the exiting thread's last plain
/// stores into the arena before the first load of the thread that gets it next.
fn release(arena: &'static Arena) {
    SLOTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .free
        .push(Reverse(arena.index));
}

#[cold]
fn assign() -> &'static Arena {
    // Register the guard first: a thread already tearing down its thread-locals gets no slot and
    // records into the shared arena.
    let arena = GUARD
        .try_with(|g| {
            let arena = acquire();
            g.0.set(Some(arena));
            arena
        })
        .unwrap_or(&SHARED);
    ARENA.set(Some(arena));
    arena
}

/// The calling thread's arena, assigning one on its first record.
#[inline]
fn current() -> &'static Arena {
    match ARENA.get() {
        Some(arena) => arena,
        None => assign(),
    }
}

/// Updates a cell of a slot: with plain stores when the calling thread owns the slot, with atomic
/// read-modify-write operations in the shared arena or shard.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Writer {
    exclusive: bool,
}

impl Writer {
    /// Adds `n` to `cell`, wrapping on overflow.
    ///
    /// The exclusive path is a relaxed load and a relaxed store, not an atomic add: that is
    /// correct only because no other thread writes the cell. The slot's owner is its one writer
    /// while it lives, and a slot passes from an exiting thread to a new one only through the
    /// `SLOTS` mutex (`release`, then `acquire`), which orders the old owner's last store before
    /// the new owner's first load. A [`ShardedSum`]'s id passes through a mutex in the same way
    /// when a sum is dropped and its id reused.
    #[inline]
    pub(crate) fn add(self, cell: &AtomicU64, n: u64) {
        if self.exclusive {
            cell.store(
                cell.load(Ordering::Relaxed).wrapping_add(n),
                Ordering::Relaxed,
            );
        } else {
            cell.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Adds `x` to the `f64` stored as bits in `cell`.
    #[inline]
    pub(crate) fn add_f64(self, cell: &AtomicU64, x: f64) {
        if self.exclusive {
            let v = f64::from_bits(cell.load(Ordering::Relaxed)) + x;
            cell.store(v.to_bits(), Ordering::Relaxed);
        } else {
            let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + x).to_bits())
            });
        }
    }

    /// Adds `n` to the `u128` stored as `(lo, hi)`, wrapping on overflow. With a shared shard,
    /// each half is added atomically (the carry goes into `hi`), so no update is lost, but a
    /// reader can see a carry half done.
    #[inline]
    #[allow(clippy::cast_possible_truncation, reason = "splitting into halves")]
    pub(crate) fn add_wide(self, lo: &AtomicU64, hi: &AtomicU64, n: u128) {
        let (n_lo, n_hi) = (n as u64, (n >> 64) as u64);
        let carry = if self.exclusive {
            let (v, carry) = lo.load(Ordering::Relaxed).overflowing_add(n_lo);
            lo.store(v, Ordering::Relaxed);
            carry
        } else {
            lo.fetch_add(n_lo, Ordering::Relaxed)
                .overflowing_add(n_lo)
                .1
        };
        // Rarely taken: values of 2^32 or more, or a carry.
        if n_hi != 0 || carry {
            self.add(hi, n_hi.wrapping_add(u64::from(carry)));
        }
    }

    /// Lowers `cell` to `v` if `v` is smaller (unsigned comparison).
    #[inline]
    pub(crate) fn min(self, cell: &AtomicU64, v: u64) {
        if v < cell.load(Ordering::Relaxed) {
            if self.exclusive {
                cell.store(v, Ordering::Relaxed);
            } else {
                cell.fetch_min(v, Ordering::Relaxed);
            }
        }
    }

    /// Raises `cell` to `v` if `v` is larger (unsigned comparison).
    #[inline]
    pub(crate) fn max(self, cell: &AtomicU64, v: u64) {
        if v > cell.load(Ordering::Relaxed) {
            if self.exclusive {
                cell.store(v, Ordering::Relaxed);
            } else {
                cell.fetch_max(v, Ordering::Relaxed);
            }
        }
    }
}

/// Ids of live [`ShardedSum`]s: the lowest free one first, so that ids stay dense and few chunks
/// are needed.
struct Ids {
    next: u32,
    free: BinaryHeap<Reverse<u32>>,
}

static IDS: Mutex<Ids> = Mutex::new(Ids {
    next: 1,
    free: BinaryHeap::new(),
});

/// A wrapping `u64` sum with one cell per recording thread: the storage of
/// [`Counter`](crate::Counter) and [`UpDownCounter`](crate::UpDownCounter).
///
/// Holds a 4-byte id, taken on the first add; each recording thread's arena holds the cell at
/// that id. Dropping the sum zeroes its cells and frees the id for the next sum.
#[derive(Debug)]
pub(crate) struct ShardedSum {
    /// 0 until the first add.
    id: AtomicU32,
}

impl ShardedSum {
    /// A sum at zero; no id, no allocation.
    pub(crate) const fn new() -> Self {
        ShardedSum {
            id: AtomicU32::new(0),
        }
    }

    #[cold]
    fn take_id(&self) -> u32 {
        let mut ids = IDS.lock().unwrap_or_else(PoisonError::into_inner);
        let id = match ids.free.pop() {
            Some(Reverse(id)) => id,
            None if ids.next < OVERFLOW_ID => {
                ids.next += 1;
                ids.next - 1
            }
            // Every id is live (16.7 million sums): the rest share the last one.
            None => OVERFLOW_ID,
        };
        // Release: a thread that reads the id with `Acquire` sees the zeroed cells of the sum that
        // had it before (dropping a sum zeroes its cells before its id reaches `IDS`).
        match self
            .id
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => id,
            Err(theirs) => {
                if id != OVERFLOW_ID {
                    ids.free.push(Reverse(id));
                }
                theirs
            }
        }
    }

    /// Gives the sum the fresh id `make` returns (from [`take_range`], after `make` published
    /// where it lives) if it has none yet, or one taken before a [`ChunkSource`] was installed;
    /// `false` if it already has a sourced one or `make` gives none. Callers serialize adoptions.
    pub(crate) fn adopt(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        let old = self.id.load(Ordering::Acquire);
        if old != 0 && old >= SOURCED_FROM.load(Ordering::Acquire) {
            return false;
        }
        let Some(id) = make() else { return false };
        self.id.store(id, Ordering::Release);
        true
    }

    /// Adds `n` (wrapping) to the calling thread's cell.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        let id = match self.id.load(Ordering::Acquire) {
            0 => self.take_id(),
            id => id,
        };
        let arena = current();
        arena.writer().add(arena.cell(id), n);
    }

    /// The sum of every thread's cell (wrapping).
    pub(crate) fn sum(&self) -> u64 {
        let id = self.id.load(Ordering::Acquire);
        if id == 0 {
            return 0;
        }
        arenas().filter_map(|a| a.peek(id)).fold(0u64, |total, c| {
            total.wrapping_add(c.load(Ordering::Relaxed))
        })
    }

    /// Bytes of cells this sum holds: 8 per arena whose chunk holds a cell for it (a chunk
    /// exists once its thread recorded into any of its 64 ids).
    pub(crate) fn heap_bytes(&self) -> usize {
        let id = self.id.load(Ordering::Acquire);
        if id == 0 {
            return 0;
        }
        arenas().filter(|a| a.peek(id).is_some()).count() * std::mem::size_of::<AtomicU64>()
    }
}

impl Drop for ShardedSum {
    fn drop(&mut self) {
        let id = *self.id.get_mut();
        if id == 0 || id == OVERFLOW_ID || id >= SOURCED_FROM.load(Ordering::Acquire) {
            return;
        }
        for cell in arenas().filter_map(|a| a.peek(id)) {
            cell.store(0, Ordering::Relaxed);
        }
        IDS.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .free
            .push(Reverse(id));
    }
}

/// One thread's shard and the list's links, from the start of a cache line of their own, so that
/// no other allocation shares the node's lines and shard types need no padding of their own.
///
/// A thread walking past this node to its own reads `slot` and `next`, which nobody writes after
/// the node is appended. The shard's first 48 bytes share that line, so a shard type puts there
/// what its owner rarely writes (a directory of lazily allocated buckets, say), or is aligned to
/// 64 bytes itself, which starts it on the next line.
#[repr(C, align(64))]
struct Node<T> {
    /// The slot (arena index) of the thread that owns this shard.
    slot: usize,
    next: OnceBox<Node<T>>,
    value: T,
}

/// A lazily allocated set of per-thread shards of `T`: a list of one node per recording thread.
///
/// A record walks the list to the calling thread's node (the first recording thread's is first),
/// so its cost grows with the number of threads that recorded into this metric before it, and
/// not with the number of CPUs. Memory: one pointer, plus one node per recording thread of
/// `16 + size_of::<T>()` bytes rounded up to a multiple of 64 (for a `T` aligned to 64 bytes,
/// `64 + size_of::<T>()`).
pub(crate) struct Shards<T> {
    head: OnceBox<Node<T>>,
    /// The first of the ids the multi-process mode gave this metric's storage in arenas (see
    /// [`Shards::sourced`]); 0 for none.
    #[cfg(feature = "multiprocess")]
    sourced: AtomicU32,
}

impl<T: Default> Shards<T> {
    /// An empty set: one null pointer, no allocation.
    pub(crate) const fn new() -> Self {
        Shards {
            head: OnceBox::new(),
            #[cfg(feature = "multiprocess")]
            sourced: AtomicU32::new(0),
        }
    }

    /// The first id of the run of arena cells the multi-process mode gave this metric, which
    /// then records there instead of into its shards; `None` in process (one load and a
    /// branch).
    #[cfg(feature = "multiprocess")]
    #[inline]
    pub(crate) fn sourced(&self) -> Option<u32> {
        match self.sourced.load(Ordering::Acquire) {
            0 => None,
            id => Some(id),
        }
    }

    /// Gives the metric the run of cells starting at the id `make` returns (from
    /// [`take_range`], after `make` published where it lives); `false` if it has one already
    /// or `make` gives none. Callers serialize adoptions.
    #[cfg(feature = "multiprocess")]
    pub(crate) fn adopt(&self, make: impl FnOnce() -> Option<u32>) -> bool {
        if self.sourced.load(Ordering::Acquire) != 0 {
            return false;
        }
        let Some(id) = make() else { return false };
        self.sourced.store(id, Ordering::Release);
        true
    }

    /// Runs `f` on the calling thread's shard, adding one for the thread on its first record.
    ///
    /// `f` is called in one place, after the shard is found: the cold path that appends a node
    /// returns the node instead of calling `f` itself, so the caller builds no closure
    /// environment in memory for it and `f` is inlined once.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T, Writer) -> R) -> R {
        let arena = current();
        let mut link = &self.head;
        let node = loop {
            match link.get() {
                Some(node) if node.slot == arena.index => break node,
                Some(node) => link = &node.next,
                None => break Self::append(link, arena.index),
            }
        };
        f(&node.value, arena.writer())
    }

    /// Appends a node for `slot` at the end of the list (from `link`, its last link seen) and
    /// returns it, or the node for `slot` found on the way.
    #[cold]
    #[inline(never)]
    fn append(mut link: &OnceBox<Node<T>>, slot: usize) -> &Node<T> {
        let mut spare = Some(Box::new(Node {
            slot,
            next: OnceBox::new(),
            value: T::default(),
        }));
        loop {
            match link.get() {
                // Ours (just set), or another thread's appended first: then keep walking. Only
                // this thread adds a node for its slot (the shared slot's is added by any thread
                // without a slot, which is why the shared node is written atomically).
                Some(node) if node.slot == slot => return node,
                Some(node) => link = &node.next,
                None => {
                    if let Some(node) = spare.take()
                        && let Err(back) = link.set(node)
                    {
                        spare = Some(back);
                    }
                }
            }
        }
    }

    /// Visits every allocated shard.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&T)) {
        let mut link = &self.head;
        while let Some(node) = link.get() {
            f(&node.value);
            link = &node.next;
        }
    }

    /// Bytes of heap memory held: every shard's node (16 bytes of links and the shard, in whole
    /// cache lines) plus what `extra` reports for it.
    pub(crate) fn heap_bytes(&self, extra: impl Fn(&T) -> usize) -> usize {
        let mut bytes = 0;
        let mut link = &self.head;
        while let Some(node) = link.get() {
            bytes += std::mem::size_of::<Node<T>>() + extra(&node.value);
            link = &node.next;
        }
        bytes
    }
}

impl<T> std::fmt::Debug for Shards<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Shards");
        d.field("allocated", &self.head.get().is_some());
        #[cfg(feature = "multiprocess")]
        d.field("sourced", &self.sourced);
        d.finish()
    }
}

#[cfg(test)]
mod tests;
