//! A pre-fork server in miniature: a parent starts worker processes that each serve
//! (simulated) requests through instrumented handlers, and one endpoint reports them all.
//!
//! Every worker enables the multi-process mode first thing, so its metrics record into a file
//! of its own in a shared directory; the parent serves `/metrics` from an
//! [`Aggregator`] over that directory, restarts workers that exit, and compacts the files of
//! the dead ones. Counts of dead workers stay in the view.
//!
//! ```text
//! cargo run -p examples --bin prefork -- --workers 4 --listen 127.0.0.1:9100
//! curl http://127.0.0.1:9100/metrics
//! ```
//!
//! `--once` runs each worker for `--requests N` requests, waits for them, fetches `/metrics`
//! once and prints it (what the example's test checks).

use metered_runtime::multiproc::{self, Aggregator, GaugeMode, Scope};
use metered_runtime::{HasMetrics, Metered, Registry, metered, metric_set};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

metric_set! {
    /// What every page handler records; exported as one family with the handler's type as a
    /// label, merged across the workers like any other.
    #[metrics(type_label)]
    pub Page {
        /// Time spent rendering a page.
        render: Timer = "prefork.pages.{}.render",
    }
}

trait Render: HasMetrics<Page> {
    fn render(&self) -> usize {
        let _t = self.metrics().render.time();
        self.body().len()
    }
    fn body(&self) -> String;
}

#[derive(Metered)]
#[metrics(set = Page)]
struct Home;

impl Render for Home {
    fn body(&self) -> String {
        "home".into()
    }
}

#[derive(Metered)]
#[metrics(set = Page)]
struct Cart;

impl Render for Cart {
    fn body(&self) -> String {
        "cart".into()
    }
}

#[derive(Metered)]
#[metrics(
    /// Checkout requests served.
    requests: Counter = "prefork.{type_snake}.requests",
    /// Time spent serving a checkout.
    latency: Timer = "prefork.{type_snake}.latency",
    /// Requests being served now.
    in_flight: Gauge = "prefork.{type_snake}.in_flight",
)]
struct Checkout;

struct Inventory {
    stock: Vec<u32>,
}

#[metered(name = "prefork.inventory.{fn}")]
impl Inventory {
    fn reserve(&self, item: usize) -> Result<u32, String> {
        self.stock
            .get(item)
            .copied()
            .ok_or_else(|| format!("no item {item}"))
    }
}

impl Checkout {
    fn serve(inventory: &Inventory, request: usize) -> Result<u32, String> {
        Self::requests().inc();
        let _in_flight = Self::in_flight().track();
        let _t = Self::latency().time();
        inventory.reserve(request % 12)
    }
}

/// A worker: serves `requests` requests (forever with 0), then exits.
fn worker(dir: &Path, requests: usize) {
    if let Err(e) = multiproc::enable(dir) {
        eprintln!("worker {}: {e}", std::process::id());
        std::process::exit(1);
    }
    let inventory = Inventory {
        stock: (0..10).collect(),
    };
    let mut served = 0usize;
    while requests == 0 || served < requests {
        let _ = Checkout::serve(&inventory, served);
        let _ = if served.is_multiple_of(2) {
            Home.render()
        } else {
            Cart.render()
        };
        served += 1;
        if requests == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

struct Args {
    workers: usize,
    requests: usize,
    listen: SocketAddr,
    dir: PathBuf,
    once: bool,
    worker: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        workers: 4,
        requests: 0,
        listen: SocketAddr::from(([127, 0, 0, 1], 9100)),
        dir: std::env::temp_dir().join(format!("metered-prefork-{}", std::process::id())),
        once: false,
        worker: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--workers" => a.workers = value()?.parse().map_err(|e| format!("--workers: {e}"))?,
            "--requests" => {
                a.requests = value()?.parse().map_err(|e| format!("--requests: {e}"))?;
            }
            "--listen" => a.listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--dir" => a.dir = value()?.into(),
            "--once" => a.once = true,
            "--worker" => a.worker = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if a.once && a.requests == 0 {
        a.requests = 1000;
    }
    Ok(a)
}

fn spawn(a: &Args) -> std::io::Result<Child> {
    Command::new(std::env::current_exe()?)
        .args(["--worker", "--requests", &a.requests.to_string(), "--dir"])
        .arg(&a.dir)
        .spawn()
}

/// `GET /metrics` from the endpoint, body only.
fn fetch(addr: SocketAddr) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    Ok(text
        .split_once("\r\n\r\n")
        .map_or(text.clone(), |(_, body)| body.to_owned()))
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("prefork: {e}");
            std::process::exit(2);
        }
    };
    if a.worker {
        worker(&a.dir, a.requests);
        return;
    }
    let _ = std::fs::remove_dir_all(&a.dir);
    let view = Aggregator::new(&a.dir)
        .gauge_mode("prefork.checkout.in_flight", GaugeMode::Sum(Scope::Live));
    let registry: &'static Registry = Box::leak(Box::new(Registry::new()));
    view.register(registry).expect("a fresh registry");
    let listen = if a.once {
        SocketAddr::from(([127, 0, 0, 1], 0))
    } else {
        a.listen
    };
    let exporter = match metered_runtime::http::Exporter::start(
        metered_runtime::http::Config::new()
            .address(listen)
            .registry(registry),
    ) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("prefork: {e}");
            std::process::exit(1);
        }
    };
    let mut workers: Vec<Child> = (0..a.workers)
        .map(|_| spawn(&a).expect("starting a worker"))
        .collect();
    if a.once {
        for w in &mut workers {
            let _ = w.wait();
        }
        match fetch(exporter.local_addr()) {
            Ok(body) => print!("{body}"),
            Err(e) => {
                eprintln!("prefork: fetching /metrics: {e}");
                std::process::exit(1);
            }
        }
        exporter.shutdown();
        let _ = std::fs::remove_dir_all(&a.dir);
        return;
    }
    println!(
        "prefork: {} workers, metrics of all at http://{}/metrics (files in {})",
        a.workers,
        exporter.local_addr(),
        a.dir.display()
    );
    loop {
        std::thread::sleep(Duration::from_secs(1));
        for w in &mut workers {
            if let Ok(Some(status)) = w.try_wait() {
                eprintln!("prefork: worker {} exited ({status}); restarting", w.id());
                match spawn(&a) {
                    Ok(c) => *w = c,
                    Err(e) => eprintln!("prefork: restarting a worker: {e}"),
                }
            }
        }
        if let Err(e) = view.compact() {
            eprintln!("prefork: compaction: {e}");
        }
    }
}
