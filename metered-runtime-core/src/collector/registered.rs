//! A collector as the registry keeps it: its name, how long a result is reused, the last
//! result, and how many runs failed.

use super::collection::Collection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// What a collector's run can fail with: any error (an I/O or database error, a
/// [`metered_runtime::Error`](crate::Error) from a [`Collection`] method), so `?` works.
pub type CollectError = Box<dyn std::error::Error + Send + Sync>;

/// Computes metrics when a snapshot is taken: gauges, counters and histograms from the
/// program's own state (rows of a database by status, a worker pool), written into a
/// [`Collection`]. Register one with [`Registry::register_collector`](crate::Registry::register_collector);
/// any `Fn(&mut Collection) -> Result<(), CollectError>` closure is one.
///
/// A run that returns `Err` or panics yields none of its families; the snapshot shows the
/// failure instead (see [the module docs](super)).
pub trait Collector: Send + Sync {
    /// Writes this run's families into `out`.
    ///
    /// # Errors
    /// Whatever kept the collector from computing its metrics.
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError>;
}

impl<F> Collector for F
where
    F: Fn(&mut Collection) -> Result<(), CollectError> + Send + Sync,
{
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
        self(out)
    }
}

std::thread_local! {
    /// The collectors this thread is running (by address): a collector that takes a snapshot
    /// of its own registry meets itself here instead of waiting for its own run forever.
    static RUNNING: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A run's result: the families, or the message of the error or panic.
pub(crate) type Outcome = Result<Collection, String>;

#[derive(Debug)]
struct Cached {
    at: u64,
    outcome: Arc<Outcome>,
}

/// A registered collector.
pub(crate) struct Registered {
    pub(crate) name: String,
    ttl_nanos: u64,
    collector: Box<dyn Collector>,
    cache: Mutex<Option<Cached>>,
    errors: AtomicU64,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collector")
            .field("name", &self.name)
            .field("ttl_nanos", &self.ttl_nanos)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

/// The text of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into())
}

impl Registered {
    pub(crate) fn new(name: &str, ttl: Duration, collector: Box<dyn Collector>) -> Self {
        Registered {
            name: name.to_owned(),
            ttl_nanos: u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX),
            collector,
            cache: Mutex::new(None),
            errors: AtomicU64::new(0),
        }
    }

    /// Runs failed so far (an `Err`, a panic, or a family refused when the run was fresh).
    pub(crate) fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Counts one more failed run.
    pub(crate) fn count_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }

    fn address(&self) -> usize {
        std::ptr::from_ref(self).addr()
    }

    fn run(&self) -> Outcome {
        RUNNING.with(|r| r.borrow_mut().push(self.address()));
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut out = Collection::default();
            self.collector.collect(&mut out).map(|()| out)
        }));
        RUNNING.with(|r| r.borrow_mut().pop());
        match result {
            Ok(Ok(out)) => Ok(out),
            Ok(Err(e)) => Err(e.to_string()),
            Err(payload) => Err(format!("panicked: {}", panic_message(&*payload))),
        }
    }

    /// The result for a snapshot taken at `now` (nanoseconds of the registry's clock): the
    /// cached one if younger than the time to live, else a new run's. Also whether it is new.
    /// Concurrent snapshots wait for one run instead of running the collector each.
    pub(crate) fn outcome(&self, now: u64) -> (Arc<Outcome>, bool) {
        if RUNNING.with(|r| r.borrow().contains(&self.address())) {
            let message = "the collector took a snapshot of its own registry while it ran";
            return (Arc::new(Err(message.into())), false);
        }
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(c) = &*cache
            && now.saturating_sub(c.at) < self.ttl_nanos
        {
            return (Arc::clone(&c.outcome), false);
        }
        let outcome = Arc::new(self.run());
        if outcome.is_err() {
            self.count_error();
        }
        *cache = Some(Cached {
            at: now,
            outcome: Arc::clone(&outcome),
        });
        (outcome, true)
    }
}
