//! The reporter thread, its builder and its failure handling.

use crate::delta::{DeltaState, Report};
use metered_runtime_core::{Counter, Handle, Registry, Snapshot};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Why a send failed: a message for the log, and whether a retry can succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// What went wrong.
    pub message: String,
    /// `false` for a payload the receiver will never accept (e.g. an HTTP 400): the reporter
    /// then drops it (counted) instead of retrying it.
    pub retry: bool,
    /// How long the receiver asked to be left alone (an HTTP `Retry-After`): the next retry
    /// waits at least this long, even when the backoff is shorter.
    pub retry_after: Option<Duration>,
}

impl SendError {
    /// A failure worth retrying (the receiver is down, busy or unreachable).
    pub fn retry(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retry: true,
            retry_after: None,
        }
    }

    /// The same failure, with the wait the receiver asked for (see
    /// [`retry_after`](Self::retry_after)).
    ///
    /// ```
    /// use metered_push::SendError;
    /// use std::time::Duration;
    /// let e = SendError::retry("HTTP 503").with_retry_after(Duration::from_secs(30));
    /// assert_eq!(e.retry_after, Some(Duration::from_secs(30)));
    /// ```
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// A payload the receiver rejects for good.
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            retry: false,
            retry_after: None,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendError {}

impl From<std::io::Error> for SendError {
    fn from(e: std::io::Error) -> Self {
        SendError::retry(e.to_string())
    }
}

/// The payloads of one report, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Encoded {
    /// Each is sent by one [`Sink::send`] call, in order.
    pub payloads: Vec<Vec<u8>>,
    /// Items the encoder had to leave out (e.g. a StatsD line longer than a datagram); counted
    /// as dropped.
    pub dropped: u64,
}

/// Where a reporter sends reports: an encoder and a transport. Both run on the reporter thread.
pub trait Sink: Send + 'static {
    /// A short name for logs and self-metric names (`metered.push.<name>.failures`).
    fn name(&self) -> &str;
    /// Encodes one report (pure: no I/O).
    fn encode(&mut self, report: &Report) -> Encoded;
    /// Encodes one report, given the cumulative snapshot it was made from too. The reporter
    /// calls this; the default calls [`encode`](Sink::encode). Sinks that export cumulative
    /// values (the JSON stream) override it.
    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        let _ = snapshot;
        self.encode(report)
    }
    /// Sends one payload. Should not block for long: use timeouts.
    ///
    /// # Errors
    /// Any failure; the reporter counts it, keeps the payload and retries later.
    fn send(&mut self, payload: &[u8]) -> Result<(), SendError>;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn encode(&mut self, report: &Report) -> Encoded {
        (**self).encode(report)
    }
    fn encode_with_snapshot(&mut self, report: &Report, snapshot: &Snapshot) -> Encoded {
        (**self).encode_with_snapshot(report, snapshot)
    }
    fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
        (**self).send(payload)
    }
}

/// A registry a reporter reads: the global one (`&'static`) or a shared one.
#[derive(Debug, Clone)]
pub enum Source {
    /// E.g. [`metered_runtime_core::registry()`].
    Static(&'static Registry),
    /// A registry of your own.
    Shared(Arc<Registry>),
}

impl Source {
    fn get(&self) -> &Registry {
        match self {
            Source::Static(r) => r,
            Source::Shared(r) => r,
        }
    }
}

impl From<&'static Registry> for Source {
    fn from(r: &'static Registry) -> Self {
        Source::Static(r)
    }
}

impl From<Arc<Registry>> for Source {
    fn from(r: Arc<Registry>) -> Self {
        Source::Shared(r)
    }
}

/// Receives the reporter's log lines (one per failure episode and one per recovery).
pub type LogHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The reporter's own counts so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Reports taken (each a snapshot encoded into the buffer).
    pub reports: u64,
    /// Payloads sent.
    pub sent: u64,
    /// Failed send attempts (and sink panics).
    pub failures: u64,
    /// Payloads dropped from a full buffer or rejected for good, items the encoder left out,
    /// and payloads still unsent when the reporter stopped.
    pub dropped: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Counters {
    pub(crate) reports: Handle<Counter>,
    pub(crate) sent: Handle<Counter>,
    pub(crate) failures: Handle<Counter>,
    pub(crate) dropped: Handle<Counter>,
    // Keeps a private registry alive when no other was named.
    _registry: Source,
}

impl Counters {
    /// The counters `metered.push.<name>.*` in `registry`, or in a private one.
    pub(crate) fn new(name: &str, registry: Option<Source>) -> metered_runtime_core::Result<Self> {
        let registry = registry.unwrap_or_else(|| Source::Shared(Arc::new(Registry::new())));
        let counter = |what: &str| {
            registry
                .get()
                .counter(&format!("metered.push.{name}.{what}"))
        };
        Ok(Counters {
            reports: counter("reports")?,
            sent: counter("sent")?,
            failures: counter("failures")?,
            dropped: counter("dropped")?,
            _registry: registry.clone(),
        })
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats {
            reports: self.reports.get(),
            sent: self.sent.get(),
            failures: self.failures.get(),
            dropped: self.dropped.get(),
        }
    }
}

/// Settings of a [`Reporter`]; made by [`Reporter::builder`].
pub struct ReporterBuilder<S> {
    source: Source,
    sink: S,
    interval: Duration,
    buffer: usize,
    backoff: (Duration, Duration),
    log: LogHook,
    self_metrics: Option<Source>,
}

impl<S> fmt::Debug for ReporterBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReporterBuilder")
            .field("interval", &self.interval)
            .field("buffer", &self.buffer)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl<S: Sink> ReporterBuilder<S> {
    /// How often to report (default 10 s; at least 1 ms).
    #[must_use]
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(1));
        self
    }

    /// How many payloads to keep while the sink fails (default 1024; at least 1).
    #[must_use]
    pub fn buffer(mut self, payloads: usize) -> Self {
        self.buffer = payloads.max(1);
        self
    }

    /// The first retry delay after a failure, doubled after each further failure up to `max`
    /// (default 100 ms to 30 s). A sink's [`SendError::retry_after`] (an HTTP `Retry-After`)
    /// lengthens the wait before the next retry to what the receiver asked.
    #[must_use]
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = (first, max.max(first));
        self
    }

    /// Where log lines go (default: stderr, prefixed `metered-push:`).
    #[must_use]
    pub fn log(mut self, hook: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.log = Arc::new(hook);
        self
    }

    /// Registers the reporter's counters as `metered.push.<sink>.{reports,sent,failures,dropped}`
    /// in `registry` (which may be the reported one: they are then pushed too). Without it they
    /// live in a private registry, read through [`Reporter::stats`].
    #[must_use]
    pub fn self_metrics(mut self, registry: impl Into<Source>) -> Self {
        self.self_metrics = Some(registry.into());
        self
    }

    /// Spawns the reporter thread.
    ///
    /// # Errors
    /// If a self-metric name is taken in the [`self_metrics`](Self::self_metrics) registry, or
    /// the thread cannot be spawned.
    pub fn start(self) -> metered_runtime_core::Result<Reporter> {
        let name = self.sink.name().to_owned();
        let counters = Counters::new(&name, self.self_metrics)?;
        let (tx, rx) = mpsc::channel();
        let worker = Worker {
            source: self.source,
            interval: self.interval,
            state: DeltaState::new(),
            out: Outbox::new(
                self.sink,
                self.buffer,
                self.backoff,
                self.log,
                counters.clone(),
            ),
        };
        let thread = std::thread::Builder::new()
            .name(format!("metered-push-{name}"))
            .spawn(move || worker.run(&rx))
            .map_err(|e| metered_runtime_core::Error::InvalidConfig {
                reason: format!("cannot spawn the reporter thread: {e}"),
            })?;
        Ok(Reporter {
            tx,
            thread: Some(thread),
            counters,
        })
    }
}

enum Command {
    ReportNow(Sender<()>),
    Stop,
}

/// A running reporter, and the guard that stops it: dropping it (or [`stop`](Self::stop))
/// makes a final report, tries once to send everything buffered, and joins the thread.
pub struct Reporter {
    tx: Sender<Command>,
    thread: Option<JoinHandle<()>>,
    counters: Counters,
}

impl fmt::Debug for Reporter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reporter")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl Reporter {
    /// A builder reporting `source` (`metered_runtime::registry()` or an `Arc<Registry>`) to
    /// `sink`.
    pub fn builder<S: Sink>(source: impl Into<Source>, sink: S) -> ReporterBuilder<S> {
        ReporterBuilder {
            source: source.into(),
            sink,
            interval: Duration::from_secs(10),
            buffer: 1024,
            backoff: (Duration::from_millis(100), Duration::from_secs(30)),
            log: Arc::new(|line| eprintln!("metered-push: {line}")),
            self_metrics: None,
        }
    }

    /// Reports now, out of schedule, and tries to send the buffer even during a backoff; returns
    /// when that is done. The schedule is unchanged. Meant for tests and for "flush before a
    /// risky step"; never call it from a hot path.
    pub fn report_now(&self) {
        let (ack, done) = mpsc::channel();
        if self.tx.send(Command::ReportNow(ack)).is_ok() {
            let _ = done.recv();
        }
    }

    /// The counts so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.counters.stats()
    }

    /// Stops: a final report, one attempt to send the buffer, then the thread is joined.
    /// Returns the final counts.
    #[must_use = "the final counts tell whether everything was sent"]
    pub fn stop(mut self) -> Stats {
        self.shutdown();
        self.stats()
    }

    fn shutdown(&mut self) {
        if let Some(t) = self.thread.take() {
            let _ = self.tx.send(Command::Stop);
            let _ = t.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Worker<S> {
    source: Source,
    interval: Duration,
    state: DeltaState,
    out: Outbox<S>,
}

impl<S: Sink> Worker<S> {
    fn run(mut self, rx: &Receiver<Command>) {
        let mut next = Instant::now() + self.interval;
        loop {
            let wake = self.out.wake(next);
            match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
                Ok(Command::ReportNow(ack)) => {
                    self.report();
                    self.out.flush(true);
                    let _ = ack.send(());
                }
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.report();
                    self.out.flush(true);
                    self.out.abandon();
                    return;
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    if now >= next {
                        self.report();
                        // Skip the ticks missed (a suspended machine), keeping the phase.
                        while next <= now {
                            next += self.interval;
                        }
                    }
                    self.out.flush(false);
                }
            }
        }
    }

    fn report(&mut self) {
        let snapshot = self.source.get().snapshot();
        let report = self.state.report(&snapshot, SystemTime::now());
        self.out.counters.reports.inc();
        let sink = &mut self.out.sink;
        match catch_unwind(AssertUnwindSafe(|| {
            sink.encode_with_snapshot(&report, &snapshot)
        })) {
            Ok(encoded) => self.out.push(encoded),
            Err(_) => self.out.failed("the encoder panicked"),
        }
    }
}

/// A sink with its bounded buffer of payloads, backoff and failure accounting: what a
/// [`Reporter`] and a point writer share.
pub(crate) struct Outbox<S> {
    pub(crate) sink: S,
    name: String,
    capacity: usize,
    backoff_range: (Duration, Duration),
    backoff: Duration,
    retry_at: Option<Instant>,
    failing: bool,
    log: LogHook,
    pub(crate) counters: Counters,
    buffer: VecDeque<Vec<u8>>,
}

impl<S: Sink> Outbox<S> {
    pub(crate) fn new(
        sink: S,
        capacity: usize,
        backoff: (Duration, Duration),
        log: LogHook,
        counters: Counters,
    ) -> Self {
        Outbox {
            name: sink.name().to_owned(),
            sink,
            capacity,
            backoff_range: backoff,
            backoff: backoff.0,
            retry_at: None,
            failing: false,
            log,
            counters,
            buffer: VecDeque::new(),
        }
    }

    /// When to wake up: `next`, or earlier for a retry that is due.
    pub(crate) fn wake(&self, next: Instant) -> Instant {
        match self.retry_at {
            Some(r) if !self.buffer.is_empty() => r.min(next),
            _ => next,
        }
    }

    /// Buffers the payloads, dropping the oldest (counted) when full.
    pub(crate) fn push(&mut self, encoded: Encoded) {
        self.counters.dropped.add(encoded.dropped);
        for p in encoded.payloads {
            if self.buffer.len() >= self.capacity {
                self.buffer.pop_front();
                self.counters.dropped.inc();
            }
            self.buffer.push_back(p);
        }
    }

    /// Sends from the front of the buffer until it is empty or a send fails. Outside a forced
    /// flush, waits for the backoff to pass.
    pub(crate) fn flush(&mut self, force: bool) {
        if !force && self.retry_at.is_some_and(|r| Instant::now() < r) {
            return;
        }
        while let Some(p) = self.buffer.front() {
            let sink = &mut self.sink;
            let result = catch_unwind(AssertUnwindSafe(|| sink.send(p)))
                .unwrap_or_else(|_| Err(SendError::retry("the sink panicked")));
            match result {
                Ok(()) => {
                    self.buffer.pop_front();
                    self.counters.sent.inc();
                    if self.failing {
                        self.failing = false;
                        (self.log)(&format!("{}: sending again", self.name));
                    }
                    self.backoff = self.backoff_range.0;
                    self.retry_at = None;
                }
                Err(e) if e.retry => {
                    self.failed(&e.message);
                    if let Some(wait) = e.retry_after {
                        let asked = Instant::now() + wait;
                        self.retry_at = self.retry_at.max(Some(asked));
                    }
                    return;
                }
                Err(e) => {
                    // Retrying cannot help: drop it, count it, and go on with the next one.
                    self.buffer.pop_front();
                    self.counters.dropped.inc();
                    self.failed(&e.message);
                    self.retry_at = None;
                }
            }
        }
    }

    /// At the end: what is still buffered will never be sent, so it counts as dropped.
    pub(crate) fn abandon(&mut self) {
        let left = self.buffer.len();
        if left > 0 {
            self.counters
                .dropped
                .add(u64::try_from(left).unwrap_or(u64::MAX));
            self.buffer.clear();
            (self.log)(&format!(
                "{}: stopped with {left} payloads unsent (counted as dropped)",
                self.name
            ));
        }
    }

    pub(crate) fn failed(&mut self, why: &str) {
        self.counters.failures.inc();
        if !self.failing {
            self.failing = true;
            (self.log)(&format!(
                "{}: send failed: {why}; retrying with backoff, {} payloads buffered",
                self.name,
                self.buffer.len()
            ));
        }
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(self.backoff_range.1);
    }
}

#[cfg(test)]
mod tests;
