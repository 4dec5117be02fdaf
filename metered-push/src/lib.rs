//! Push reporters for [metered-runtime](https://docs.rs/metered-runtime): a scheduled
//! [`Reporter`] on a thread of its own that reads a registry every interval and sends what
//! changed to a [`Sink`] (StatsD over UDP with the `statsd` feature, or one of your own).
//!
//! Users reach this crate as `metered_runtime::push` (facade feature `statsd`).
//!
//! For a fleet of processes pushing to Mimir, Thanos Receive, a VictoriaMetrics cluster or an
//! OpenTelemetry collector (OTLP: feature `otlp`, `otlp::OtlpSink`), with receiver
//! configurations and the measured cost per series, see the `fleet` page (`docs/fleet.md`,
//! rendered as the module `fleet` with the `otlp` feature).
//!
//! # The reporter
//! - [`Reporter::builder`] then [`ReporterBuilder::start`] spawns the reporter thread. Every
//!   [`interval`](ReporterBuilder::interval) it takes a snapshot, turns it into a
//!   [`Report`](delta::Report) with a [`DeltaState`](delta::DeltaState) of its own (counter and
//!   meter counts as increments since this reporter's previous report, histograms and timers as
//!   the distribution recorded since then), encodes it and sends it. Two reporters, at any two
//!   intervals, never disturb each other.
//! - [`Reporter::stop`] (or dropping the [`Reporter`], which is the guard) makes a final report,
//!   tries once to send what is buffered, and joins the thread. Keep the reporter alive in
//!   `main` so that the last interval is sent on a normal shutdown.
//! - The instrumented threads never wait for the reporter: recording never touches a registry,
//!   and snapshots, encoding and I/O all happen on the reporter thread.
//!
//! # Failures
//! A failed send (daemon down, connection refused, a rejected write) or a sink that panics:
//! - is counted in the reporter's own counters ([`Stats`], and the registry metrics
//!   `metered.push.<sink>.failures`, `.dropped`, `.sent`, `.reports` when
//!   [`self_metrics`](ReporterBuilder::self_metrics) names a registry);
//! - is logged once per failure episode (the first failure after a success), and the recovery
//!   once, through the [`log`](ReporterBuilder::log) hook (stderr by default);
//! - is retried with exponential backoff ([`backoff`](ReporterBuilder::backoff)) while new
//!   reports keep being encoded into a bounded buffer ([`buffer`](ReporterBuilder::buffer)
//!   payloads); when it is full the oldest payload is dropped and counted.
//!
//! Nothing here panics or blocks the program; a sink's I/O should carry its own timeouts (the
//! provided ones do).
//!
//! ```
//! use metered_push::{Reporter, Sink, SendError};
//! use metered_push::delta::Report;
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! /// A sink that keeps the counter increments it was sent.
//! struct Keep(Arc<Mutex<Vec<String>>>);
//! impl Sink for Keep {
//!     fn name(&self) -> &str { "keep" }
//!     fn encode(&mut self, r: &Report) -> metered_push::Encoded {
//!         let text = format!("{:?}", r.get("app.requests").map(|m| &m.value));
//!         metered_push::Encoded { payloads: vec![text.into_bytes()], dropped: 0 }
//!     }
//!     fn send(&mut self, payload: &[u8]) -> Result<(), SendError> {
//!         self.0.lock().unwrap().push(String::from_utf8_lossy(payload).into_owned());
//!         Ok(())
//!     }
//! }
//!
//! let registry = Arc::new(metered_runtime_core::Registry::new());
//! let requests = registry.counter("app.requests").unwrap();
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let reporter = Reporter::builder(registry.clone(), Keep(seen.clone()))
//!     .interval(Duration::from_secs(3600))
//!     .start()
//!     .unwrap();
//! requests.add(2);
//! reporter.report_now();
//! requests.add(5);
//! let stats = reporter.stop(); // the final report
//! assert_eq!(*seen.lock().unwrap(), ["Some(Counter(2))", "Some(Counter(5))"]);
//! assert_eq!((stats.reports, stats.sent, stats.failures), (2, 2, 0));
//! ```
#![allow(
    clippy::doc_markdown,
    reason = "product names such as StatsD and DogStatsD are prose here, not code"
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "graphite")]
pub mod graphite;
#[cfg(any(feature = "influx", feature = "remote-write", feature = "otlp"))]
mod http;
#[cfg(feature = "influx")]
pub mod influx;
#[cfg(feature = "otlp")]
#[doc = include_str!("../docs/fleet.md")]
pub mod fleet {}
#[cfg(feature = "otlp")]
pub mod otlp;
#[cfg(feature = "influx")]
pub mod points;
#[cfg(feature = "remote-write")]
pub mod remote_write;
mod reporter;
#[cfg(feature = "statsd")]
pub mod statsd;
#[cfg(feature = "statvent")]
pub mod statvent;
#[cfg(feature = "stream")]
pub mod stream;

pub use metered_runtime_core::push::delta;
pub use reporter::{Encoded, LogHook, Reporter, ReporterBuilder, SendError, Sink, Source, Stats};
