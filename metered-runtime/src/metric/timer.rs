//! Timers. PLACEHOLDER implementation over the placeholder histogram; the API is fixed.
#![allow(missing_docs, clippy::missing_errors_doc)]

use crate::clock::{Clock, ClockRef, raw_delta_nanos, raw_now};
use crate::error::{Error, Result};
use crate::metric::histogram::{Histogram, HistogramConfig, HistogramSnapshot};
use crate::metric::meter::{MeterSnapshot, Rates};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TimerSnapshot {
    pub rates: MeterSnapshot,
    /// Durations in seconds.
    pub histogram: HistogramSnapshot,
}

#[derive(Debug)]
pub struct Timer {
    histogram: Histogram,
    rates: Rates,
}

impl Timer {
    #[must_use]
    pub const fn new() -> Self {
        Timer {
            histogram: Histogram::new(),
            rates: Rates::new(),
        }
    }
    #[must_use]
    pub const fn with_config(config: HistogramConfig) -> Self {
        Timer {
            histogram: Histogram::with_config(config),
            rates: Rates::new(),
        }
    }
    #[must_use]
    pub fn with_clock(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Timer {
            histogram: Histogram::with_clock(config, clock.clone()),
            rates: Rates::with_clock(clock),
        }
    }
    #[must_use = "the duration is recorded when the guard is dropped"]
    pub fn time(&self) -> TimerGuard<'_> {
        let start = match self.rates.clock() {
            ClockRef::System => raw_now(),
            ClockRef::Custom(c) => c.now_nanos(),
        };
        TimerGuard { timer: self, start }
    }
    pub fn record(&self, d: Duration) {
        self.histogram
            .record_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
    pub fn record_secs(&self, secs: f64) -> Result<()> {
        if !secs.is_finite() || secs < 0.0 {
            return Err(Error::InvalidValue {
                what: "Timer::record_secs".into(),
                value: secs.to_string(),
            });
        }
        self.record(Duration::from_secs_f64(secs));
        Ok(())
    }
    pub fn time_fn<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.time();
        f()
    }
    #[must_use]
    pub fn count(&self) -> u64 {
        self.histogram.count()
    }
    #[must_use]
    pub fn snapshot(&self) -> TimerSnapshot {
        let h = self.histogram.snapshot();
        let rates = self.rates.read(h.count);
        let s = |x: f64| x / 1e9;
        let q = h.quantiles;
        TimerSnapshot {
            rates,
            histogram: HistogramSnapshot {
                sum: s(h.sum),
                min: s(h.min),
                max: s(h.max),
                mean: s(h.mean),
                stddev: s(h.stddev),
                quantiles: crate::metric::histogram::Quantiles {
                    q50: s(q.q50),
                    q75: s(q.q75),
                    q95: s(q.q95),
                    q98: s(q.q98),
                    q99: s(q.q99),
                    q999: s(q.q999),
                },
                buckets: h.buckets.iter().map(|&(b, c)| (b, c)).collect(),
                count: h.count,
            },
        }
    }
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.histogram.heap_bytes()
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug)]
pub struct TimerGuard<'a> {
    timer: &'a Timer,
    start: u64,
}

impl Drop for TimerGuard<'_> {
    fn drop(&mut self) {
        let ns = match self.timer.rates.clock() {
            ClockRef::System => raw_delta_nanos(self.start, raw_now()),
            ClockRef::Custom(c) => c.now_nanos().saturating_sub(self.start),
        };
        self.timer.histogram.record_nanos(ns);
    }
}
