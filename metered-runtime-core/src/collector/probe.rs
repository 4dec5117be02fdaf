//! The scheduler latency probe: a thread (or, with the `tokio` feature, a tokio task) that
//! sleeps for a fixed interval and records how late it wakes.

use crate::error::{Error, Result};
use crate::metric::histogram::HistogramConfig;
use crate::metric::timer::Timer;
use crate::registry::{Handle, Registry};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A thread that wakes every `interval` and records in a timer how much later than asked it
/// woke: a measure of how loaded the machine's scheduler is (how long a ready thread waits for
/// a CPU), as a timer's histogram in seconds. Dropping the probe stops the thread.
///
/// A timer the probe creates is exported at [`LATENESS_BOUNDS`](Self::LATENESS_BOUNDS)
/// (10 µs to 1 s: lateness is mostly well under the default ladder's first bound of 1 ms); one
/// that exists already keeps its configuration.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, Timer, collector::LatencyProbe};
/// use std::time::Duration;
/// let r = Registry::new();
/// let probe = LatencyProbe::start(&r, "process.scheduler.latency", Duration::from_millis(5))?;
/// std::thread::sleep(Duration::from_millis(50));
/// drop(probe); // stops and joins the thread
/// let late = r.find::<Timer>("process.scheduler.latency")?.unwrap();
/// assert!(late.count() >= 1);
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[derive(Debug)]
pub struct LatencyProbe {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl LatencyProbe {
    /// The interval of [`start_default`](Self::start_default): 10 s.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);

    /// The bucket bounds, in seconds, of a timer the probe creates.
    pub const LATENESS_BOUNDS: &'static [f64] =
        &[1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 1.0];

    /// Starts the probe, recording into the timer `name` of `registry` (created if absent).
    ///
    /// # Errors
    /// As [`Registry::timer`]; [`Error::InvalidConfig`] for a zero interval; [`Error::Io`] if
    /// the thread cannot be spawned.
    pub fn start(registry: &Registry, name: &str, interval: Duration) -> Result<LatencyProbe> {
        let timer = probe_timer(registry, name, interval)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("metered-latency-probe".into())
            .spawn(move || {
                loop {
                    let asleep = Instant::now();
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {
                            timer.record(asleep.elapsed().saturating_sub(interval));
                        }
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .map_err(|e| Error::Io {
                context: "spawning the latency probe's thread".into(),
                message: e.to_string(),
            })?;
        Ok(LatencyProbe {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Starts the probe with the [default interval](Self::DEFAULT_INTERVAL) and the timer
    /// `process.scheduler.latency` (exported as `process_scheduler_latency_seconds`).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_default(registry: &Registry) -> Result<LatencyProbe> {
        Self::start(
            registry,
            "process.scheduler.latency",
            Self::DEFAULT_INTERVAL,
        )
    }
}

/// The timer a probe records into, after checking its interval.
fn probe_timer(registry: &Registry, name: &str, interval: Duration) -> Result<Handle<Timer>> {
    if interval.is_zero() {
        return Err(Error::InvalidConfig {
            reason: "a latency probe's interval must not be zero".into(),
        });
    }
    registry.get_or_create(name, || {
        Timer::with_config(HistogramConfig::new().bounds(LatencyProbe::LATENESS_BOUNDS))
    })
}

impl Drop for LatencyProbe {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The [`LatencyProbe`] as a task of the program's tokio runtime (feature `tokio`): it sleeps
/// with `tokio::time::sleep` and records how much later than asked the runtime woke it, which
/// measures how long a ready task waits for a worker (tasks that block their worker, a runtime
/// short of threads), where the thread version measures the operating system's scheduler.
/// Dropping the probe aborts the task. The timer is configured as the thread version's.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, Timer, collector::TokioLatencyProbe};
/// use std::time::Duration;
/// let r = Registry::new();
/// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// rt.block_on(async {
///     let probe = TokioLatencyProbe::spawn(&r, "process.runtime.latency", Duration::from_millis(5))?;
///     tokio::time::sleep(Duration::from_millis(50)).await;
///     drop(probe); // aborts the task
///     Ok::<(), metered_runtime::Error>(())
/// })?;
/// let late = r.find::<Timer>("process.runtime.latency")?.unwrap();
/// assert!(late.count() >= 1);
/// # Ok::<(), metered_runtime::Error>(())
/// ```
#[cfg(feature = "tokio")]
#[derive(Debug)]
pub struct TokioLatencyProbe {
    task: tokio::task::JoinHandle<()>,
}

#[cfg(feature = "tokio")]
impl TokioLatencyProbe {
    /// Spawns the probe on the current tokio runtime (its time driver enabled), recording into
    /// the timer `name` of `registry` (created if absent).
    ///
    /// # Errors
    /// As [`LatencyProbe::start`]; [`Error::InvalidConfig`] when called outside a tokio
    /// runtime.
    pub fn spawn(registry: &Registry, name: &str, interval: Duration) -> Result<TokioLatencyProbe> {
        let handle = tokio::runtime::Handle::try_current().map_err(|e| Error::InvalidConfig {
            reason: format!("a tokio latency probe needs a tokio runtime: {e}"),
        })?;
        Self::spawn_on(&handle, registry, name, interval)
    }

    /// Spawns the probe on the runtime of `handle` (its time driver enabled).
    ///
    /// # Errors
    /// As [`LatencyProbe::start`].
    pub fn spawn_on(
        handle: &tokio::runtime::Handle,
        registry: &Registry,
        name: &str,
        interval: Duration,
    ) -> Result<TokioLatencyProbe> {
        let timer = probe_timer(registry, name, interval)?;
        let task = handle.spawn(async move {
            loop {
                // The operating system's clock, not tokio's (which a test runtime can pause).
                let asleep = Instant::now();
                tokio::time::sleep(interval).await;
                timer.record(asleep.elapsed().saturating_sub(interval));
            }
        });
        Ok(TokioLatencyProbe { task })
    }

    /// Spawns the probe with the [default interval](LatencyProbe::DEFAULT_INTERVAL) and the
    /// timer `process.scheduler.latency`.
    ///
    /// # Errors
    /// As [`spawn`](Self::spawn).
    pub fn spawn_default(registry: &Registry) -> Result<TokioLatencyProbe> {
        Self::spawn(
            registry,
            "process.scheduler.latency",
            LatencyProbe::DEFAULT_INTERVAL,
        )
    }
}

#[cfg(feature = "tokio")]
impl Drop for TokioLatencyProbe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(all(test, feature = "tokio"))]
mod tests {
    use super::*;

    #[test]
    fn a_blocked_runtime_is_measured_as_late() {
        let r = Registry::new();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let timer = rt.block_on(async {
            let probe =
                TokioLatencyProbe::spawn(&r, "rt.latency", Duration::from_millis(5)).unwrap();
            // Let the probe start its first sleep, then block the only worker for 60 ms.
            tokio::time::sleep(Duration::from_millis(1)).await;
            std::thread::sleep(Duration::from_millis(60));
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(probe);
            r.find::<Timer>("rt.latency").unwrap().unwrap()
        });
        let s = timer.snapshot().histogram;
        assert!(s.count >= 1, "{s:?}");
        // At least the 60 ms block, less the 5 ms the probe meant to sleep anyway.
        assert!(s.max >= 0.05, "{}", s.max);
    }

    #[test]
    fn outside_a_runtime_or_with_no_interval_is_an_error() {
        let r = Registry::new();
        let e = TokioLatencyProbe::spawn(&r, "rt.latency", Duration::from_millis(5)).unwrap_err();
        assert!(e.to_string().contains("needs a tokio runtime"), "{e}");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let e =
            TokioLatencyProbe::spawn_on(rt.handle(), &r, "rt.zero", Duration::ZERO).unwrap_err();
        assert!(e.to_string().contains("must not be zero"), "{e}");
    }
}
