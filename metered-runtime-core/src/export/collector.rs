//! Metrics computed when scraped: collectors yield labelled gauge and histogram families from
//! the program's own state (rows by status, pool sizes, a histogram of users by days since
//! their last activity), each result cached for as long as its collector asks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The exposition type of a collected family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollectedKind {
    Counter,
    Gauge,
    Histogram,
}

/// What one series of a collected family holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CollectedValue {
    Gauge(f64),
    /// Cumulative `(upper bound, count)`, `+Inf` last; the sum of the values.
    Histogram(Vec<(f64, u64)>, f64),
}

/// A family a [`Collector`] yields: a gauge or a classic histogram, with its series.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::export::CollectedFamily;
/// let rows = CollectedFamily::gauge("work.requests", "Work requests by status.")
///     .set(&[("status", "pending")], 12.0)
///     .set(&[("status", "running")], 3.0);
/// let idle = CollectedFamily::histogram("users.idle.days", "Users by days since last activity.")
///     .buckets(&[], &[(1.0, 40), (7.0, 55), (30.0, 60)], 61, 410.0)
///     .unwrap();
/// # let _ = (rows, idle);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CollectedFamily {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) kind: CollectedKind,
    pub(crate) series: Vec<(Vec<(String, String)>, CollectedValue)>,
}

impl CollectedFamily {
    /// An empty gauge family named `name` (dotted, mapped like every other name).
    #[must_use]
    pub fn gauge(name: &str, help: &str) -> Self {
        CollectedFamily {
            name: name.to_owned(),
            help: help.to_owned(),
            kind: CollectedKind::Gauge,
            series: Vec::new(),
        }
    }

    /// An empty histogram family named `name`.
    #[must_use]
    pub fn histogram(name: &str, help: &str) -> Self {
        CollectedFamily {
            kind: CollectedKind::Histogram,
            ..CollectedFamily::gauge(name, help)
        }
    }

    /// An empty counter family named `name` (for totals the program keeps itself, such as CPU
    /// time; exported with `_total`). Add series with [`set`](Self::set).
    #[must_use]
    pub fn counter(name: &str, help: &str) -> Self {
        CollectedFamily {
            kind: CollectedKind::Counter,
            ..CollectedFamily::gauge(name, help)
        }
    }

    /// Adds a gauge series: `labels` (any subset of keys, as the data has them) and a value.
    #[must_use]
    pub fn set(mut self, labels: &[(&str, &str)], value: f64) -> Self {
        self.series
            .push((owned(labels), CollectedValue::Gauge(value)));
        self
    }

    /// Adds a histogram series from cumulative `(upper bound, count <= bound)` pairs at finite,
    /// increasing bounds, the total `count` (the `+Inf` bucket) and the values' `sum`.
    ///
    /// # Errors
    /// A message when the bounds are not finite and increasing, the counts decrease, or
    /// `count` is below the last bucket's.
    pub fn buckets(
        mut self,
        labels: &[(&str, &str)],
        buckets: &[(f64, u64)],
        count: u64,
        sum: f64,
    ) -> Result<Self, String> {
        let mut prev: Option<(f64, u64)> = None;
        for &(bound, n) in buckets {
            if !bound.is_finite() || prev.is_some_and(|(b, _)| bound <= b) {
                return Err(format!(
                    "`{}`: bounds must be finite and increasing",
                    self.name
                ));
            }
            if prev.is_some_and(|(_, c)| n < c) {
                return Err(format!("`{}`: bucket counts must be cumulative", self.name));
            }
            prev = Some((bound, n));
        }
        if prev.is_some_and(|(_, c)| count < c) {
            return Err(format!(
                "`{}`: the count is below the last bucket's",
                self.name
            ));
        }
        let mut all = buckets.to_vec();
        all.push((f64::INFINITY, count));
        self.series
            .push((owned(labels), CollectedValue::Histogram(all, sum)));
        Ok(self)
    }
}

fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
    labels
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Computes families when a scrape asks. Closures returning
/// `Result<Vec<CollectedFamily>, String>` are collectors.
pub trait Collector: Send + Sync {
    /// The families now, or why they cannot be computed.
    ///
    /// # Errors
    /// A message; the scrape goes on and counts it in `metered_collector_errors`.
    fn collect(&self) -> Result<Vec<CollectedFamily>, String>;
}

impl<F: Fn() -> Result<Vec<CollectedFamily>, String> + Send + Sync> Collector for F {
    fn collect(&self) -> Result<Vec<CollectedFamily>, String> {
        self()
    }
}

/// One collector's result at a scrape.
pub(crate) type Collected = (String, Result<Arc<Vec<CollectedFamily>>, String>);

struct Entry {
    name: String,
    ttl: Duration,
    collector: Box<dyn Collector>,
    cached: Option<(Instant, Arc<Vec<CollectedFamily>>)>,
}

/// Registered collectors, read by [`Scrape::with_collectors`](super::Scrape::with_collectors).
///
/// Each collector's successful result is kept for its `ttl` (an expensive database query
/// cached for 30 s); an error or a panic is reported as `metered_collector_errors{collector}`
/// = 1 for that scrape and retried at the next, and the rest of the scrape succeeds.
/// Collectors run one at a time, so concurrent scrapes never run a query twice at once.
///
/// ```
/// # extern crate metered_runtime_core as metered_runtime;
/// use metered_runtime::{Registry, export::{CollectedFamily, Collectors, Options, Scrape, openmetrics}};
/// use std::time::Duration;
/// let collectors = Collectors::new();
/// collectors.register("pools", Duration::ZERO, || {
///     Ok(vec![CollectedFamily::gauge("workers", "Workers by state.").set(&[("state", "idle")], 4.0)])
/// });
/// let text = openmetrics::to_string(&Scrape::of(&Registry::new()).with_collectors(&collectors), &Options::new());
/// assert!(text.contains("\nworkers{state=\"idle\"} 4.0\n"));
/// assert!(text.contains("\nmetered_collector_errors{collector=\"pools\"} 0\n"));
/// ```
#[derive(Default)]
pub struct Collectors {
    entries: Mutex<Vec<Entry>>,
}

impl std::fmt::Debug for Collectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_list()
            .entries(entries.iter().map(|e| &e.name))
            .finish()
    }
}

impl Collectors {
    /// No collectors.
    #[must_use]
    pub fn new() -> Self {
        Collectors::default()
    }

    /// Adds a collector named `name` (the value of its error series' `collector` label) whose
    /// results are reused for `ttl` (`Duration::ZERO`: computed at every scrape).
    pub fn register(&self, name: &str, ttl: Duration, collector: impl Collector + 'static) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Entry {
                name: name.to_owned(),
                ttl,
                collector: Box::new(collector),
                cached: None,
            });
    }

    /// Every collector's result now (cached ones reused).
    pub(crate) fn collect(&self) -> Vec<Collected> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        entries
            .iter_mut()
            .map(|e| {
                if let Some((at, families)) = &e.cached
                    && now.duration_since(*at) < e.ttl
                {
                    return (e.name.clone(), Ok(Arc::clone(families)));
                }
                let result = match catch_unwind(AssertUnwindSafe(|| e.collector.collect())) {
                    Ok(Ok(families)) => {
                        let families = Arc::new(families);
                        e.cached = Some((now, Arc::clone(&families)));
                        Ok(families)
                    }
                    Ok(Err(message)) => Err(message),
                    Err(_) => Err("the collector panicked".to_owned()),
                };
                (e.name.clone(), result)
            })
            .collect()
    }
}
