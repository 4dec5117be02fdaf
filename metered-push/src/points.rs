//! Event points: [`Point`]s emitted from any thread into a bounded queue, written to InfluxDB
//! (either API) by a writer thread in batches, every [`flush_every`](PointWriterBuilder::flush_every)
//! and whenever a batch fills, with the failure handling of reporters (counted failures, one
//! log line per episode, backoff, a bounded buffer of batches, counted drops).
//!
//! [`PointWriter::emit`] does no I/O: it timestamps the point (unless it carries its own time)
//! and hands it to the queue without waiting; a full queue drops the point and counts it.
//! [`PointWriter::stop`], or dropping the writer, flushes what is queued.
//!
//! A struct can describe its points once: `#[derive(Point)]` (`metered_runtime::Point`, facade
//! feature `influx`) gives it `to_point()`, building a [`Point`] from its members through
//! [`TagValue`], [`PointField`] and [`PointTime`].
//!
//! ```no_run
//! use metered_push::influx::InfluxSink;
//! use metered_push::points::{Point, PointWriter};
//! let writer = PointWriter::builder(InfluxSink::v1("http://127.0.0.1:8086", "tasks")?).start()?;
//! writer.emit(
//!     Point::new("requests")
//!         .tag("service", "api")
//!         .tag("route", "/users")
//!         .tag("status_code", "200")
//!         .field("request_id", "3f2a")
//!         .field("execution_time", 0.012),
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::influx::InfluxSink;
use crate::reporter::{Counters, Outbox};
use crate::{LogHook, Source, Stats};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

pub use metered_runtime_core::push::influx::{FieldValue, Point, PointField, PointTime, TagValue};

/// Settings of a [`PointWriter`]; made by [`PointWriter::builder`].
pub struct PointWriterBuilder {
    sink: InfluxSink,
    flush_every: Duration,
    batch: usize,
    queue: usize,
    buffer: usize,
    backoff: (Duration, Duration),
    log: LogHook,
    self_metrics: Option<Source>,
}

impl std::fmt::Debug for PointWriterBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointWriterBuilder")
            .field("flush_every", &self.flush_every)
            .field("batch", &self.batch)
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

impl PointWriterBuilder {
    /// Flush at least this often (default 5 s).
    #[must_use]
    pub fn flush_every(mut self, d: Duration) -> Self {
        self.flush_every = d.max(Duration::from_millis(1));
        self
    }

    /// Points per request, and the count that triggers a flush (default 5,000).
    #[must_use]
    pub fn batch(mut self, points: usize) -> Self {
        self.batch = points.max(1);
        self
    }

    /// Points the queue between emitters and the writer holds (default 100,000); beyond it
    /// `emit` drops and counts.
    #[must_use]
    pub fn queue(mut self, points: usize) -> Self {
        self.queue = points.max(1);
        self
    }

    /// Batches kept while InfluxDB fails (default 64).
    #[must_use]
    pub fn buffer(mut self, batches: usize) -> Self {
        self.buffer = batches.max(1);
        self
    }

    /// Retry delays, as for a reporter (default 100 ms to 30 s).
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = (first, max.max(first));
        self
    }

    /// Where log lines go (default: stderr).
    #[must_use]
    pub fn log(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.log = Arc::new(hook);
        self
    }

    /// Registers the counters `metered.push.points.{reports,sent,failures,dropped}` in
    /// `registry` (`reports` counts batches; `dropped` counts points dropped at a full queue
    /// and batches dropped from a full buffer).
    #[must_use]
    pub fn self_metrics(mut self, registry: impl Into<Source>) -> Self {
        self.self_metrics = Some(registry.into());
        self
    }

    /// Spawns the writer thread.
    ///
    /// # Errors
    /// If a self-metric name is taken, or the thread cannot be spawned.
    pub fn start(self) -> metered_runtime_core::Result<PointWriter> {
        let counters = Counters::new("points", self.self_metrics)?;
        let (tx, rx) = sync_channel(self.queue);
        let out = Outbox::new(
            self.sink,
            self.buffer,
            self.backoff,
            self.log,
            counters.clone(),
        );
        let (flush_every, batch) = (self.flush_every, self.batch);
        let thread = std::thread::Builder::new()
            .name("metered-push-points".into())
            .spawn(move || run(out, &rx, flush_every, batch))
            .map_err(|e| metered_runtime_core::Error::InvalidConfig {
                reason: format!("cannot spawn the point writer thread: {e}"),
            })?;
        Ok(PointWriter {
            tx: Some(tx),
            thread: Mutex::new(Some(thread)),
            counters,
        })
    }
}

enum Msg {
    Point(Point),
    Flush(std::sync::mpsc::Sender<()>),
}

/// Emits points from any thread without I/O; see the [module docs](self).
pub struct PointWriter {
    tx: Option<SyncSender<Msg>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    counters: Counters,
}

impl std::fmt::Debug for PointWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointWriter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl PointWriter {
    /// A builder writing through `sink`.
    #[must_use]
    pub fn builder(sink: InfluxSink) -> PointWriterBuilder {
        PointWriterBuilder {
            sink,
            flush_every: Duration::from_secs(5),
            batch: 5000,
            queue: 100_000,
            buffer: 64,
            backoff: (Duration::from_millis(100), Duration::from_secs(30)),
            log: Arc::new(|line| eprintln!("metered-push: {line}")),
            self_metrics: None,
        }
    }

    /// Queues `point`, stamped now unless it has its own time. Never blocks; returns `false`
    /// (and counts a drop) when the queue is full or the writer stopped.
    pub fn emit(&self, point: Point) -> bool {
        let point = if point.has_time() {
            point
        } else {
            point.at(SystemTime::now())
        };
        let sent = match &self.tx {
            Some(tx) => match tx.try_send(Msg::Point(point)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !sent {
            self.counters.dropped.inc();
        }
        sent
    }

    /// Writes what is queued now (one attempt, even during a backoff) and returns when done.
    /// Waits for the writer: not for hot paths.
    pub fn flush(&self) {
        let (ack, done) = std::sync::mpsc::channel();
        if let Some(tx) = &self.tx
            && tx.send(Msg::Flush(ack)).is_ok()
        {
            let _ = done.recv();
        }
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.counters.stats()
    }

    /// Flushes what is queued, stops the writer thread, and returns the final counts.
    #[must_use = "the final counts tell whether everything was written"]
    pub fn stop(mut self) -> Stats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        self.tx = None; // the writer sees the end of the queue after the last point
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for PointWriter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(mut out: Outbox<InfluxSink>, rx: &Receiver<Msg>, every: Duration, batch: usize) {
    let mut lines: Vec<String> = Vec::new();
    let mut next = Instant::now() + every;
    let seal = |out: &mut Outbox<InfluxSink>, lines: &mut Vec<String>| {
        if !lines.is_empty() {
            out.counters.reports.inc();
            let payload = out.sink.encode_lines(lines);
            out.push(payload);
            lines.clear();
        }
    };
    loop {
        let wake = out.wake(next);
        match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(Msg::Point(p)) => {
                if let Some(l) = p.to_line(SystemTime::now()) {
                    lines.push(l);
                }
                if lines.len() >= batch {
                    seal(&mut out, &mut lines);
                    out.flush(false);
                }
            }
            Ok(Msg::Flush(ack)) => {
                seal(&mut out, &mut lines);
                out.flush(true);
                let _ = ack.send(());
            }
            Err(RecvTimeoutError::Disconnected) => {
                seal(&mut out, &mut lines);
                out.flush(true);
                out.abandon();
                return;
            }
            Err(RecvTimeoutError::Timeout) => {
                if Instant::now() >= next {
                    seal(&mut out, &mut lines);
                    next = Instant::now() + every;
                }
                out.flush(false);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_full_queue_drops_and_counts_without_blocking() {
        // A server that accepts connections and never answers: the writer hangs in its request
        // until the timeout, and the queue behind it fills.
        let silent = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", silent.local_addr().unwrap());
        let sink = InfluxSink::v1(&url, "db")
            .unwrap()
            .timeout(Duration::from_millis(1500));
        let w = PointWriter::builder(sink)
            .batch(1)
            .queue(2)
            .log(|_| {})
            .start()
            .unwrap();
        assert!(w.emit(Point::new("m").field("v", 1)));
        std::thread::sleep(Duration::from_millis(300));
        let started = Instant::now();
        let accepted: Vec<bool> = (2..6)
            .map(|i| w.emit(Point::new("m").field("v", i)))
            .collect();
        assert!(started.elapsed() < Duration::from_millis(100));
        assert_eq!(accepted, [true, true, false, false]);
        assert_eq!(w.stats().dropped, 2);
        drop(silent);
        let s = w.stop();
        assert_eq!(s.sent, 0);
        assert!(s.failures >= 1, "{s:?}");
    }
}
