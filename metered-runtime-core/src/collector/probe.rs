//! The scheduler latency probe: a thread that sleeps for a fixed interval and records how late
//! it wakes.

use crate::error::{Error, Result};
use crate::metric::histogram::HistogramConfig;
use crate::metric::timer::Timer;
use crate::registry::Registry;
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
        if interval.is_zero() {
            return Err(Error::InvalidConfig {
                reason: "a latency probe's interval must not be zero".into(),
            });
        }
        let timer = registry.get_or_create(name, || {
            Timer::with_config(HistogramConfig::new().bounds(Self::LATENESS_BOUNDS))
        })?;
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

impl Drop for LatencyProbe {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
