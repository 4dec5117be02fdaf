//! Metrics computed when a snapshot is taken: collectors.
//!
//! A collector is a closure or a [`Collector`] registered on a [`Registry`](crate::Registry)
//! under a name. At every [`snapshot`](crate::Registry::snapshot) it writes gauge, counter and
//! histogram families (with help text, label keys and custom bucket bounds) into a
//! [`Collection`], and they appear in the snapshot as ordinary families: grouped and sorted
//! with the registered ones, in [`Snapshot::families`](crate::Snapshot::families), in
//! [`Snapshot::visit`](crate::Snapshot::visit) and in the JSON view, so every encoder renders
//! them as it renders registered metrics.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, collector::Collection, snapshot::Value};
//! let r = Registry::new();
//! r.register_collector("db", |out: &mut Collection| {
//!     // e.g. SELECT status, count(*) FROM work_request GROUP BY status
//!     let mut g = out.gauge("work_requests", "Work requests by status.", &["status", "scope"])?;
//!     g.set(&[("status", "pending"), ("scope", "debian")], 4)?;
//!     g.set(&[("status", "running")], 1)?; // no scope
//!     Ok(())
//! })?;
//! let s = r.snapshot();
//! let f = &s.families()[1]; // after metered_collector_errors
//! assert_eq!(f.header.exposition_name, "work_requests");
//! assert_eq!(f.series.len(), 2);
//! assert_eq!(f.series[1].labels().collect::<Vec<_>>(), [("status", "running"), ("scope", "")]);
//! assert_eq!(f.series[1].metric.value, Value::Gauge(1));
//! # Ok::<(), metered_runtime::Error>(())
//! ```
//!
//! # Label sets with only some keys
//! A family declares its label keys once; each label set names the keys it carries and the
//! others take the empty value, which Prometheus treats as the label being absent (see
//! [`Collection`]). Two label sets that differ only by empty values are the same series and
//! refused.
//!
//! # Caching
//! [`Registry::register_collector_cached`](crate::Registry::register_collector_cached) reuses a
//! collector's result (or its failure) for a time measured by the registry's clock
//! ([`Registry::with_clock`](crate::Registry::with_clock) takes a
//! [`ManualClock`](crate::ManualClock) in tests). Snapshots taken at once wait for one run.
//!
//! A collector runs with no lock of the registry held, so it may create or read registered
//! metrics. A snapshot of its own registry taken inside a run does not wait for that run (it
//! would wait forever): it shows the collector as failed instead.
//!
//! # Failures
//! A collector that returns `Err` or panics (the panic is caught; the panic hook still prints
//! its message to stderr, as for any panic) contributes none of its families; a family whose
//! name clashes with a registered metric's (or another collector family's) exposition name is
//! left out, never exported twice. The rest of the snapshot is whole, and two families of the
//! toolkit's own say what happened:
//! - `metered.collector.errors{collector}` (a counter, `metered_collector_errors_total`): for
//!   every collector, the runs that failed (an error, a panic, or a family refused);
//! - `metered.collector.failure{collector}`: for a collector whose output is missing from this
//!   snapshot in whole or in part, a [`Value::Error`](crate::snapshot::Value::Error) with the
//!   message, shown in the JSON view (encoders of text formats leave error series out).
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, collector::Collection};
//! let r = Registry::new();
//! r.register_collector("db", |_: &mut Collection| Err("connection refused".into()))?;
//! r.counter("app.requests")?.inc();
//! assert_eq!(
//!     r.snapshot().to_json(),
//!     concat!(
//!         r#"{"app":{"requests":{"value":1}},"metered":{"collector":{"#,
//!         r#""errors":{"collector=db":{"value":1}},"#,
//!         r#""failure":{"collector=db":{"error":"connection refused"}}}}}"#
//!     )
//! );
//! # Ok::<(), metered_runtime::Error>(())
//! ```
//!
//! # Histograms
//! A collected histogram has the counts at its bounds, the sum and the count (what Prometheus'
//! classic histograms carry). What a collector does not know is not made up: in its
//! [`HistogramSnapshot`](crate::HistogramSnapshot), `min`, `max`, `stddev` and the quantiles
//! are NaN (`null` in JSON) and the sketches are empty.
//!
//! # Ready-made collectors
//! [`ProcessCollector`] (the `process_*` metrics, from `/proc` on Linux) and [`LatencyProbe`]
//! (how late a sleeping thread wakes).

pub(crate) mod collection;
mod probe;
mod process;
mod registered;

pub use collection::{Collection, FamilyWriter, HistogramWriter, SampleValue};
pub use probe::LatencyProbe;
#[cfg(feature = "tokio")]
pub use probe::TokioLatencyProbe;
pub use process::{DEFAULT_CLK_TCK, ProcessCollector, ProcessStats};
pub(crate) use registered::Registered;
pub use registered::{CollectError, Collector};

/// The toolkit's own family counting each collector's failed runs.
pub const ERRORS_FAMILY: &str = "metered.collector.errors";
/// The toolkit's own family holding each failing collector's message.
pub const FAILURE_FAMILY: &str = "metered.collector.failure";
