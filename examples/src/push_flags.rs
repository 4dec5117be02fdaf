//! The main example's push flags: `--statsd ADDR`, `--graphite ADDR`, `--influx URL` (with
//! `--influx-db DB` for the 1.x API, or `--influx-org ORG --influx-bucket BUCKET
//! --influx-token TOKEN` for the 2.x API), `--json-lines PATH-TEMPLATE` and
//! `--push-interval SECONDS` (default 10). Other arguments are left to the rest of `main`.

use metered_runtime::push::graphite::GraphiteSink;
use metered_runtime::push::influx::InfluxSink;
use metered_runtime::push::statsd::StatsdSink;
use metered_runtime::push::stream::JsonSink;
use metered_runtime::push::{Reporter, Sink};
use std::time::Duration;

/// The value after each push flag, by flag.
fn value<'a>(args: &'a [String], flag: &str) -> Result<Option<&'a str>, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) => args
            .get(i + 1)
            .map(|v| Some(v.as_str()))
            .ok_or_else(|| format!("{flag} needs a value")),
    }
}

fn err(flag: &'static str) -> impl Fn(std::io::Error) -> String {
    move |e| format!("{flag}: {e}")
}

/// Starts one reporter per push flag in `args`; dropping them sends their final reports.
pub fn start(args: &[String]) -> Result<Vec<Reporter>, String> {
    let secs: f64 = value(args, "--push-interval")?
        .map_or(Ok(10.0), str::parse)
        .map_err(|e| format!("--push-interval: {e}"))?;
    let interval =
        Duration::try_from_secs_f64(secs).map_err(|e| format!("--push-interval: {e}"))?;
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if let Some(addr) = value(args, "--statsd")? {
        sinks.push(Box::new(
            StatsdSink::new(addr, metered_runtime::push::statsd::Config::default())
                .map_err(err("--statsd"))?,
        ));
    }
    if let Some(addr) = value(args, "--graphite")? {
        sinks.push(Box::new(
            GraphiteSink::new(addr, metered_runtime::push::graphite::Config::default())
                .map_err(err("--graphite"))?,
        ));
    }
    if let Some(url) = value(args, "--influx")? {
        let sink = match (
            value(args, "--influx-db")?,
            value(args, "--influx-org")?,
            value(args, "--influx-bucket")?,
            value(args, "--influx-token")?,
        ) {
            (Some(db), None, None, None) => InfluxSink::v1(url, db),
            (None, Some(org), Some(bucket), Some(token)) => InfluxSink::v2(url, org, bucket, token),
            _ => {
                return Err("--influx needs --influx-db DB, or --influx-org, \
                            --influx-bucket and --influx-token"
                    .into());
            }
        };
        sinks.push(Box::new(sink.map_err(err("--influx"))?));
    }
    if let Some(template) = value(args, "--json-lines")? {
        sinks.push(Box::new(
            JsonSink::file(template).map_err(err("--json-lines"))?,
        ));
    }
    sinks
        .into_iter()
        .map(|sink| {
            Reporter::builder(metered_runtime::registry(), sink)
                .interval(interval)
                .start()
                .map_err(|e| e.to_string())
        })
        .collect()
}
