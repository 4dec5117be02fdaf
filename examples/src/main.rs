//! The main example: handlers with per-type metrics, declared three ways, a short simulated
//! workload with errors and a caught panic, then the generated names and a registry snapshot.
//!
//! Run with `cargo run -p examples --bin handlers`. With `--listen 127.0.0.1:PORT` it then
//! serves its metrics at `http://127.0.0.1:PORT/metrics` (and `/stats`) while the simulated
//! traffic goes on, until interrupted (Ctrl-C).

mod push_flags;

use metered_runtime::snapshot::Value;
use metered_runtime::{HasMetrics, Metered, metered, metric_set, registry};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

// 1. A metric set declared once and applied to several handlers (tapes' metaclass).
metric_set! {
    /// What every HTTP endpoint records.
    #[metrics(type_label)]
    pub HttpEndpoint {
        /// Time spent handling a request.
        latency: Timer = "my.http.endpoints.{}.latency",
        /// Requests that failed.
        error_rate: Meter = "my.http.endpoints.{}.error_rate",
    }
}

/// The base: its default method records into the implementing type's metrics.
trait Endpoint: HasMetrics<HttpEndpoint> {
    fn get(&self, id: u32) -> Result<String, String> {
        let _t = self.metrics().latency.time();
        self.get_impl(id)
            .inspect_err(|_| self.metrics().error_rate.mark())
    }
    fn get_impl(&self, id: u32) -> Result<String, String>;
}

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
struct MyImplHandler;

impl Endpoint for MyImplHandler {
    fn get_impl(&self, id: u32) -> Result<String, String> {
        Ok(format!("user {id}"))
    }
}

#[derive(Metered)]
#[metrics(set = HttpEndpoint)]
struct MyOtherImplHandler;

impl Endpoint for MyOtherImplHandler {
    fn get_impl(&self, id: u32) -> Result<String, String> {
        if id.is_multiple_of(4) {
            Err(format!("order {id} not found"))
        } else {
            Ok(format!("order {id}"))
        }
    }
}

// 2. Inline metrics with `#[derive(Metered)]`, on a generic handler (shared by its
// instantiations, named from the type's name).
#[derive(Metered)]
#[metrics(
    /// Cache look-ups.
    lookups: Counter = "my.cache.{type_snake}.lookups",
    /// Entries held.
    size: Gauge = "my.cache.{type_snake}.size",
)]
struct LruCache<V> {
    entries: Vec<(u32, V)>,
}

impl<V: Clone> LruCache<V> {
    fn get_or_insert(&mut self, key: u32, make: impl FnOnce() -> V) -> V {
        Self::lookups().inc();
        if let Some((_, v)) = self.entries.iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = make();
        self.entries.push((key, v.clone()));
        Self::size().set(i64::try_from(self.entries.len()).unwrap_or(i64::MAX));
        v
    }
}

// 3. `#[metered]` on an impl block: calls, latency, errors and in-flight per method.
struct Db {
    rows: Vec<u32>,
}

#[metered(name = "my.db.{fn}")]
impl Db {
    fn query(&self, i: usize) -> Result<u32, String> {
        let row = self.rows.get(i).ok_or_else(|| format!("no row {i}"))?;
        Ok(*row)
    }

    fn insert(&mut self, v: u32) {
        assert!(v != 13, "unlucky row");
        self.rows.push(v);
    }

    async fn load(&self, i: usize) -> Option<u32> {
        self.rows.get(i).copied()
    }
}

/// Drives a future to completion on this thread (the example's futures never wait).
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// The address after `--listen`, if given; `Err` with a message for anything else.
/// Every flag the example takes; each is followed by a value.
const FLAGS: [&str; 10] = [
    "--listen",
    "--statsd",
    "--graphite",
    "--influx",
    "--influx-db",
    "--influx-org",
    "--influx-bucket",
    "--influx-token",
    "--json-lines",
    "--push-interval",
];

const USAGE: &str = "usage: handlers [--listen 127.0.0.1:PORT] [--statsd ADDR] [--graphite ADDR] \
                     [--influx URL (--influx-db DB | --influx-org ORG --influx-bucket B \
                     --influx-token T)] [--json-lines PATH-TEMPLATE] [--push-interval SECONDS]";

/// Checks that `args` are flag-value pairs of known flags, and reads `--listen`.
fn listen_address(args: &[String]) -> Result<Option<std::net::SocketAddr>, String> {
    let mut listen = None;
    let mut pairs = args.chunks(2);
    for pair in &mut pairs {
        let [flag, value] = pair else {
            return Err(format!("{} needs a value\n{USAGE}", pair[0]));
        };
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown argument {flag:?}\n{USAGE}"));
        }
        if flag == "--listen" {
            listen = Some(value.parse().map_err(|e| {
                format!("--listen {value}: {e} (expected an address such as 127.0.0.1:9464)")
            })?);
        }
    }
    Ok(listen)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listen = match listen_address(&args) {
        Ok(listen) => listen,
        Err(e) => {
            eprintln!("handlers: {e}");
            std::process::exit(2);
        }
    };
    // `--statsd`, `--graphite`, `--influx`, `--json-lines`: one final report each when `main`
    // returns (and one every `--push-interval` seconds before).
    let _push = match push_flags::start(&args) {
        Ok(reporters) => reporters,
        Err(e) => {
            eprintln!("handlers: {e}");
            std::process::exit(2);
        }
    };
    // Every statically declared name is known before any handler runs.
    println!(
        "declared before the workload: {} metrics",
        registry().metrics().len()
    );

    let mut cache = LruCache {
        entries: Vec::new(),
    };
    let mut db = Db { rows: Vec::new() };
    for id in 1..=20 {
        let _ = MyImplHandler.get(id);
        let _ = MyOtherImplHandler.get(id);
        cache.get_or_insert(id % 5, || id.to_string());
        db.insert(id * 2);
        let i = usize::try_from(id).unwrap_or(0);
        let _ = db.query(if id.is_multiple_of(5) { i * 2 } else { i / 2 }); // every fifth one fails
        let _ = block_on(db.load(i - 1));
    }
    // A panicking call, caught by the caller: recorded as an error, in-flight back to 0.
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.insert(13)));
    std::panic::set_hook(prev);
    println!("caught panic: {}", caught.is_err());

    println!("\nnames per type:");
    for (ty, names) in [
        ("MyImplHandler", MyImplHandler::metric_names()),
        ("MyOtherImplHandler", MyOtherImplHandler::metric_names()),
        ("LruCache", LruCache::<String>::metric_names()),
    ] {
        println!("  {ty:<18} {}", names.join(", "));
    }

    println!("\nsnapshot:");
    for m in registry().snapshot().metrics() {
        let value = match &m.value {
            Value::Counter(n) => format!("count={n}"),
            Value::Gauge(n) | Value::UpDownCounter(n) => format!("value={n}"),
            Value::FloatGauge(x) => format!("value={x}"),
            Value::Meter(s) => format!("count={} mean_rate={:.1}/s", s.count, s.mean_rate),
            Value::Timer(t) => format!(
                "count={} p50={:.1}us p99={:.1}us",
                t.rates.count,
                t.histogram.quantiles.q50 * 1e6,
                t.histogram.quantiles.q99 * 1e6
            ),
            Value::Histogram(h) => format!("count={} p50={:.1}", h.count, h.quantiles.q50),
            Value::Error(e) => format!("error: {e}"),
            other => format!("{other:?}"),
        };
        let label = m
            .type_label
            .map(|t| format!("  [{}{{{}=\"{}\"}}]", t.family, t.key, t.value))
            .unwrap_or_default();
        println!("  {:<42} {value}{label}", m.name);
    }
    let problems = metered_runtime::self_check().problems;
    println!("\nself-check problems: {}", problems.len());

    if let Some(addr) = listen {
        serve(addr, &mut cache, &mut db);
    }
}

/// Serves the global registry at `addr` while simulated traffic goes on, until interrupted:
/// with the process's CPU time, memory, threads and file descriptors (a collector read at each
/// scrape) and how late a sleeping thread wakes (the latency probe).
fn serve(addr: std::net::SocketAddr, cache: &mut LruCache<String>, db: &mut Db) {
    use metered_runtime::collector::{LatencyProbe, ProcessCollector};
    let probe = metered_runtime::registry()
        .register_collector("process", ProcessCollector::new())
        .and_then(|()| LatencyProbe::start_default(metered_runtime::registry()));
    let _probe = match probe {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let exporter = match metered_runtime::http::Exporter::start(
        metered_runtime::http::Config::new().address(addr),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!(
        "\nserving http://{0}/metrics and http://{0}/stats; Ctrl-C to stop",
        exporter.local_addr()
    );
    for round in 0u32.. {
        let id = round % 1000 + 1;
        let _ = MyImplHandler.get(id);
        let _ = MyOtherImplHandler.get(id);
        cache.get_or_insert(id % 5, || id.to_string());
        let _ = db.query(usize::try_from(id).unwrap_or(0) % 50);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
