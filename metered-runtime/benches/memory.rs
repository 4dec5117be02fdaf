//! Heap bytes per labelled series, ours beside prometheus-client's, counted by a global allocator.
//! A benchmark program, not a timed test: it prints a table and asserts nothing.
//!
//! `cargo bench -p metered-runtime --bench memory`
//!
//! Each case runs in a fresh child process (this program started again with `--case`), so that
//! no case finds arenas, chunks or map capacity left by another. A case builds one family of
//! `N` label sets (`id` = `0`, `1`, ...; `worker-00000000`, ... for `counter-long`), records each series once from the main thread and, with
//! two threads, once more from a second thread, and counts the heap bytes the process holds
//! after the recording threads exited, minus what it held before building. Bytes are the sizes
//! requested from the allocator (both libraries alike; malloc's own headers are not counted).
#![allow(missing_docs, reason = "a benchmark program")]
#![allow(unsafe_code, reason = "a counting global allocator is an unsafe impl")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only a counter is updated besides.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which `System.alloc` shares.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `dealloc`; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const KINDS: [&str; 7] = [
    "counter",
    "counter-long",
    "up-down",
    "gauge",
    "meter",
    "histogram",
    "timer",
];

/// The label value of series `i`: its number, or for `counter-long` a 15-byte name (too long for
/// the packed keys of short values).
fn label_value(kind: &str, i: usize) -> String {
    if kind == "counter-long" {
        format!("worker-{i:08}")
    } else {
        i.to_string()
    }
}

/// The labels prometheus-client's users write with its derive.
#[derive(Clone, Debug, Hash, PartialEq, Eq, prometheus_client::encoding::EncodeLabelSet)]
struct IdLabel {
    id: String,
}

/// Eight classic buckets, prometheus-client's usual histogram.
fn prom_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(
        prometheus_client::metrics::histogram::exponential_buckets(0.001, 4.0, 8),
    )
}

/// Records each of `n` series once on this thread and, if `threads` is 2, once on a second one.
fn record_from(threads: usize, n: usize, record: impl Fn(usize) + Sync) {
    (0..n).for_each(&record);
    if threads == 2 {
        std::thread::scope(|s| {
            s.spawn(|| (0..n).for_each(&record));
        });
    }
}

fn ours(kind: &str, n: usize, threads: usize) -> Box<dyn std::any::Any> {
    use metered_runtime::{Counter, Family, Gauge, Histogram, Meter, Timer, UpDownCounter};
    fn family<M: Default>(n: usize) -> Family<M> {
        Family::new("bench", &["id"]).unwrap().with_max_children(n)
    }
    let id = |i: usize| label_value(kind, i);
    match kind {
        "counter" | "counter-long" => {
            let f = family::<Counter>(n);
            record_from(threads, n, |i| f.get(&[&id(i)]).unwrap().inc());
            Box::new(f)
        }
        "up-down" => {
            let f = family::<UpDownCounter>(n);
            record_from(threads, n, |i| f.get(&[&id(i)]).unwrap().inc());
            Box::new(f)
        }
        "gauge" => {
            let f = family::<Gauge>(n);
            record_from(threads, n, |i| f.get(&[&id(i)]).unwrap().set(1));
            Box::new(f)
        }
        "meter" => {
            let f = family::<Meter>(n);
            record_from(threads, n, |i| f.get(&[&id(i)]).unwrap().mark());
            Box::new(f)
        }
        "histogram" => {
            let f = family::<Histogram>(n);
            record_from(threads, n, |i| {
                f.get(&[&id(i)]).unwrap().record(0.25).unwrap();
            });
            Box::new(f)
        }
        "timer" => {
            let f = family::<Timer>(n);
            record_from(threads, n, |i| {
                f.get(&[&id(i)]).unwrap().record(Duration::from_micros(250));
            });
            Box::new(f)
        }
        _ => unreachable!("unknown kind {kind}"),
    }
}

/// Builds and records one prometheus-client family.
fn prom<S, M, C>(
    family: prometheus_client::metrics::family::Family<S, M, C>,
    n: usize,
    threads: usize,
    label: impl Fn(usize) -> S + Sync,
    record: impl Fn(&M) + Sync,
) -> Box<dyn std::any::Any>
where
    S: Clone + std::hash::Hash + Eq + Send + Sync + 'static,
    M: Send + Sync + 'static,
    C: prometheus_client::metrics::family::MetricConstructor<M> + Send + Sync + 'static,
{
    record_from(threads, n, |i| record(&family.get_or_create(&label(i))));
    Box::new(family)
}

/// prometheus-client's families, labelled with `Vec<(String, String)>` (`derived` false) or with
/// a derived label struct. `None` for a kind it lacks (meter).
fn theirs(kind: &str, n: usize, threads: usize, derived: bool) -> Option<Box<dyn std::any::Any>> {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::Gauge;
    use prometheus_client::metrics::histogram::Histogram;
    type Hist<S> = Family<S, Histogram, fn() -> Histogram>;
    let vec = |i: usize| vec![("id".to_owned(), label_value(kind, i))];
    let derive = |i: usize| IdLabel {
        id: label_value(kind, i),
    };
    let inc = |c: &Counter| {
        c.inc();
    };
    let up = |g: &Gauge| {
        g.inc();
    };
    let set = |g: &Gauge| {
        g.set(1);
    };
    let observe = |h: &Histogram| h.observe(0.25);
    Some(match (kind, derived) {
        ("counter" | "counter-long", false) => prom(Family::default(), n, threads, vec, inc),
        ("counter" | "counter-long", true) => prom(Family::default(), n, threads, derive, inc),
        ("up-down", false) => prom(Family::default(), n, threads, vec, up),
        ("up-down", true) => prom(Family::default(), n, threads, derive, up),
        ("gauge", false) => prom(Family::default(), n, threads, vec, set),
        ("gauge", true) => prom(Family::default(), n, threads, derive, set),
        ("histogram" | "timer", false) => prom(
            Hist::new_with_constructor(prom_histogram),
            n,
            threads,
            vec,
            observe,
        ),
        ("histogram" | "timer", true) => prom(
            Hist::new_with_constructor(prom_histogram),
            n,
            threads,
            derive,
            observe,
        ),
        _ => return None,
    })
}

/// Runs one case in this process and prints its bytes per series (or `-`).
fn run_case(lib: &str, kind: &str, n: usize, threads: usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let built = match lib {
        "ours" => Some(ours(kind, n, threads)),
        "prom-vec" => theirs(kind, n, threads, false),
        "prom-derive" => theirs(kind, n, threads, true),
        _ => unreachable!("unknown library {lib}"),
    };
    let after = LIVE.load(Ordering::Relaxed);
    match built {
        #[allow(clippy::cast_precision_loss, reason = "byte counts far below 2^52")]
        Some(_) => println!("{:.0}", (after - before) as f64 / n as f64),
        None => println!("-"),
    }
    drop(built);
}

fn child(lib: &str, kind: &str, n: usize, threads: usize) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--case", lib, kind, &n.to_string(), &threads.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--case") {
        let a = &args[at + 1..];
        run_case(&a[0], &a[1], a[2].parse().unwrap(), a[3].parse().unwrap());
        return;
    }
    println!(
        "heap bytes per series; CPUs available: {}",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "| series kind | series | recording threads | metered | prometheus-client, `Vec<(String, String)>` labels | prometheus-client, derived label struct | metered / prometheus-client (Vec, derived) |"
    );
    println!("|---|---|---|---|---|---|---|");
    for kind in KINDS {
        for n in [10_000, 100_000] {
            for threads in [1, 2] {
                let ours = child("ours", kind, n, threads);
                let vec = child("prom-vec", kind, n, threads);
                let derived = child("prom-derive", kind, n, threads);
                let ratio = match (
                    ours.parse::<f64>(),
                    vec.parse::<f64>(),
                    derived.parse::<f64>(),
                ) {
                    (Ok(a), Ok(b), Ok(c)) => format!("{:.2}x, {:.2}x", a / b, a / c),
                    _ => "-".to_owned(),
                };
                println!("| {kind} | {n} | {threads} | {ours} | {vec} | {derived} | {ratio} |");
            }
        }
    }
}
