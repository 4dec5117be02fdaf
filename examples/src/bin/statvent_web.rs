//! The statvent web service: every process's pipe in a directory, summed, as JSON on `/stats`
//! and in Prometheus text on `/metrics` (what `python -m statvent.web` does, plus `/metrics`).
//!
//! ```text
//! cargo run -p examples --bin statvent_web -- [--ip 127.0.0.1] [--port 7828] [--path /stats]
//!     [--pipe-dir /tmp/stats-pipe] [--sum] [--timeout-ms 1000]
//! curl localhost:7828/stats
//! ```
//!
//! `--sum` sums every stat, as statvent does, instead of combining quantiles by the largest and
//! means by counts. The first line printed is `listening on http://ADDRESS/PATH` (with the
//! actual port when `--port 0` asks for any). It serves until stdin closes or reads `quit`.

use metered_runtime::http::statvent::{Combine, Web, WebConfig};
use metered_runtime::push::statvent::ReadOptions;
use std::io::{BufRead as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ip: IpAddr = "127.0.0.1".parse()?;
    let mut port: u16 = 7828;
    let mut path = String::from("/stats");
    let mut config = WebConfig::new();
    let mut read = ReadOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--ip" => ip = value()?.parse()?,
            "--port" => port = value()?.parse()?,
            "--path" => path = value()?,
            "--pipe-dir" => config = config.dir(value()?),
            "--timeout-ms" => read.timeout = Duration::from_millis(value()?.parse()?),
            "--sum" => config = config.rule(Combine::Sum),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --ip, --port, --path, --pipe-dir, \
                     --timeout-ms or --sum"
                )
                .into());
            }
        }
    }
    let web = Web::start(
        config
            .address(SocketAddr::new(ip, port))
            .path(path.clone())
            .read_options(read),
    )?;
    println!("listening on http://{}{path}", web.local_addr());
    std::io::stdout().flush()?;
    for line in std::io::stdin().lock().lines() {
        if line?.trim() == "quit" {
            break;
        }
    }
    web.shutdown();
    Ok(())
}
