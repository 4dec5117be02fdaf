//! Event points in the LUNA tasks monitoring model: every request is a point in `requests`,
//! every failed one also in `errors`, every finished subtask in `subtask_final`.
//!
//! `cargo run -p examples --bin points` prints the line protocol of a few simulated requests and
//! subtasks. With `--influx URL --influx-db DB` (`InfluxDB` 1.x) it also sends them through a
//! [`PointWriter`], which batches them on a thread of its own, and prints what was delivered.

#![allow(
    clippy::struct_field_names,
    reason = "the member names are the LUNA series' keys (`requests` has `request_id`)"
)]

use metered_runtime::Point;
use metered_runtime::push::influx::InfluxSink;
use metered_runtime::push::points::PointWriter;
use std::time::{Duration, SystemTime};

/// One handled HTTP request.
#[derive(Point)]
#[point(series = "requests")]
struct Request<'a> {
    #[point(tag)]
    service: &'a str,
    #[point(tag)]
    route: &'a str,
    #[point(tag)]
    status_code: u16,
    request_id: String,
    /// Seconds, as a float field.
    execution_time: Duration,
}

/// A request that failed, with the application's error code.
#[derive(Point)]
#[point(series = "errors")]
struct RequestError<'a> {
    #[point(tag)]
    service: &'a str,
    #[point(tag)]
    route: &'a str,
    #[point(tag)]
    status_code: u16,
    error_code: i32,
    request_id: String,
}

/// A subtask that finished, successfully or not.
#[derive(Point)]
#[point(series = "subtask_final")]
struct SubtaskFinal {
    #[point(tag)]
    task_id: u64,
    #[point(tag)]
    task_type: &'static str,
    ok: bool,
    duration: Duration,
    /// Left out of the point while `None`.
    processed: Option<u64>,
    #[point(timestamp)]
    finished: SystemTime,
}

fn points() -> Vec<metered_runtime::push::points::Point> {
    let mut out = Vec::new();
    for i in 0..4u16 {
        let status_code = if i == 3 { 503 } else { 200 };
        let request = Request {
            service: "tasks",
            route: "/tasks/{id}",
            status_code,
            request_id: format!("r{i}"),
            execution_time: Duration::from_millis(u64::from(i) * 7 + 3),
        };
        out.push(request.to_point());
        if status_code != 200 {
            let error = RequestError {
                service: "tasks",
                route: "/tasks/{id}",
                status_code,
                error_code: -17,
                request_id: format!("r{i}"),
            };
            // Extra tags and fields per emit go on the runtime's builder.
            out.push(error.to_point().tag("host", "worker-1"));
        }
    }
    for (task_id, processed) in [(41, Some(120)), (42, None)] {
        let done = SubtaskFinal {
            task_id,
            task_type: "import",
            ok: processed.is_some(),
            duration: Duration::from_millis(840),
            processed,
            finished: SystemTime::now(),
        };
        out.push(done.to_point());
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let now = SystemTime::now();
    for p in points() {
        if let Some(line) = p.to_line(now) {
            println!("{line}");
        }
    }
    let (Some(url), Some(db)) = (value("--influx"), value("--influx-db")) else {
        return;
    };
    let sink = match InfluxSink::v1(&url, &db) {
        Ok(sink) => sink,
        Err(e) => {
            eprintln!("points: --influx {url}: {e}");
            std::process::exit(2);
        }
    };
    let writer = match PointWriter::builder(sink).start() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("points: {e}");
            std::process::exit(2);
        }
    };
    for p in points() {
        writer.emit(p);
    }
    // Stopping flushes what the queue holds.
    let stats = writer.stop();
    println!("{stats:?}");
}
