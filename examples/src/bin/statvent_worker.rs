//! A worker process reporting through its statvent pipe: `cat /tmp/stats-pipe/<pid>.stats`.
//!
//! ```text
//! cargo run -p examples --bin statvent_worker -- [--pipe-dir DIR] [--requests N]
//!     [--queue N] [--latency 0.1,0.2,...] [--window N]
//! ```
//!
//! It counts `--requests` requests (`worker.requests`), sets the gauge `worker.queue`, records
//! each `--latency` value in the histogram `worker.size` and through
//! [`statvent::record`](metered_runtime::statvent::record) under `worker.latency.{0}` (a window
//! of `--window` values, 100 by default), prints `ready <pid> <pipe path>`, and serves its pipe
//! until stdin closes.

use metered_runtime::push::statvent::{Config, Pipe};
use metered_runtime::{registry, statvent};
use std::io::{Read as _, Write as _};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::new();
    let (mut requests, mut queue, mut window) = (0u64, 0i64, statvent::DEFAULT_WINDOW);
    let mut latencies = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--pipe-dir" => config = config.dir(value()?),
            "--requests" => requests = value()?.parse()?,
            "--queue" => queue = value()?.parse()?,
            "--window" => window = value()?.parse()?,
            "--latency" => {
                for v in value()?.split(',') {
                    latencies.push(v.parse::<f64>()?);
                }
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --pipe-dir, --requests, --queue, \
                     --latency or --window"
                )
                .into());
            }
        }
    }
    let r = registry();
    r.counter("worker.requests")?.add(requests);
    r.gauge("worker.queue")?.set(queue);
    let size = r.histogram("worker.size")?;
    statvent::set_window("worker.latency.{0}", window)?;
    for v in latencies {
        size.record(v)?;
        statvent::record("worker.latency.{0}", v)?;
    }
    let pipe = Pipe::start(config)?;
    println!("ready {} {}", std::process::id(), pipe.path().display());
    std::io::stdout().flush()?;
    // Serve the pipe until the parent closes stdin.
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    pipe.stop();
    Ok(())
}
