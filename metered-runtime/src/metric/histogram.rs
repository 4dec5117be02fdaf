//! Histograms. PLACEHOLDER: the API is fixed, the implementation is being replaced by the
//! lock-free log-linear one (see the runtime core issue).
#![allow(missing_docs, clippy::missing_errors_doc, clippy::missing_panics_doc)]

use crate::clock::{Clock, ClockRef};
use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramConfig {
    pub(crate) bounds: Option<&'static [f64]>,
    pub(crate) window: Duration,
}

impl HistogramConfig {
    #[must_use]
    pub const fn new() -> Self {
        HistogramConfig {
            bounds: None,
            window: Duration::from_mins(1),
        }
    }
    #[must_use]
    pub const fn bounds(mut self, bounds: &'static [f64]) -> Self {
        self.bounds = Some(bounds);
        self
    }
    #[must_use]
    pub const fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quantiles {
    pub q50: f64,
    pub q75: f64,
    pub q95: f64,
    pub q98: f64,
    pub q99: f64,
    pub q999: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramSnapshot {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub stddev: f64,
    pub quantiles: Quantiles,
    /// Cumulative counts at the configured bounds: `(upper bound, count <= bound)`, `+Inf` last.
    pub buckets: Vec<(f64, u64)>,
}

#[derive(Debug)]
pub struct Histogram {
    config: HistogramConfig,
    clock: ClockRef,
    values: Mutex<Vec<f64>>,
}

impl Histogram {
    #[must_use]
    pub const fn new() -> Self {
        Self::with_config(HistogramConfig::new())
    }
    #[must_use]
    pub const fn with_config(config: HistogramConfig) -> Self {
        Histogram {
            config,
            clock: ClockRef::System,
            values: Mutex::new(Vec::new()),
        }
    }
    #[must_use]
    pub fn with_clock(config: HistogramConfig, clock: Arc<dyn Clock>) -> Self {
        Histogram {
            config,
            clock: ClockRef::Custom(clock),
            values: Mutex::new(Vec::new()),
        }
    }
    pub fn record(&self, v: f64) -> Result<()> {
        if !v.is_finite() || v < 0.0 {
            return Err(Error::InvalidValue {
                what: "Histogram::record".into(),
                value: v.to_string(),
            });
        }
        self.values.lock().unwrap().push(v);
        Ok(())
    }
    #[allow(clippy::cast_precision_loss)]
    pub(crate) fn record_nanos(&self, ns: u64) {
        let _ = self.clock.now_nanos();
        self.values.lock().unwrap().push(ns as f64);
    }
    #[must_use]
    pub fn count(&self) -> u64 {
        self.values.lock().unwrap().len() as u64
    }
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut v = self.values.lock().unwrap().clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n == 0 {
            return HistogramSnapshot::default();
        }
        let sum: f64 = v.iter().sum();
        let mean = sum / n as f64;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        let q = |q: f64| v[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
        HistogramSnapshot {
            count: n as u64,
            sum,
            min: v[0],
            max: v[n - 1],
            mean,
            stddev: var.sqrt(),
            quantiles: Quantiles {
                q50: q(0.5),
                q75: q(0.75),
                q95: q(0.95),
                q98: q(0.98),
                q99: q(0.99),
                q999: q(0.999),
            },
            buckets: self
                .config
                .bounds
                .map(|b| {
                    b.iter()
                        .map(|&ub| (ub, v.iter().filter(|&&x| x <= ub).count() as u64))
                        .chain([(f64::INFINITY, n as u64)])
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.values.lock().unwrap().capacity() * 8
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}
