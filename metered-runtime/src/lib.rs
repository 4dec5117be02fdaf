//! Per-type named metrics with Dropwizard semantics: counters, gauges, meters, histograms and
//! timers; an `inventory`-backed registry that lists every declared metric before any of them
//! records; snapshots in tapes' nested shape.
//!
//! ```
//! use metered_runtime::{Counter, Descriptor, Registry, StaticMetric, Timer};
//!
//! // Metrics are plain statics: const-constructed, no lazy initialisation, no registry lookup
//! // on the record path. (The `Metered` derive and `#[metered]` generate these for you.)
//! static REQUESTS: Counter = Counter::new();
//! static REQUESTS_DESC: Descriptor =
//!     Descriptor::new("shop.checkout.requests", StaticMetric::Counter(&REQUESTS)).help("Checkouts.");
//!
//! REQUESTS.inc();
//! REQUESTS.add(2);
//!
//! // A registry of our own (the global `registry()` collects every static through inventory).
//! let registry = Registry::new();
//! registry.register(&REQUESTS_DESC).unwrap();
//! registry.gauge("shop.checkout.in_flight").unwrap().set(1);
//! assert_eq!(
//!     registry.snapshot().to_json(),
//!     r#"{"shop":{"checkout":{"in_flight":{"value":1},"requests":{"value":3}}}}"#
//! );
//! ```
//!
//! # Memory and the record path
//! Counters, meters, histograms and timers keep one cell or shard per recording thread (a thread
//! owns it and updates it with plain relaxed stores), allocated on the thread's first record, so
//! memory grows with the threads that record into a metric, never with the CPU count. See
//! [`metric::family`](crate::metric::family#memory) for the figures per series.
//!
//! # Features
//! - `serde`: [`Snapshot`] implements `serde::Serialize` (the nested view).
//! - `tsc`: timers read the CPU's time-stamp counter through `quanta` instead of
//!   [`std::time::Instant`], which roughly halves the cost of a timed call (see the README's
//!   Performance section for the measured figures).
//! - `prometheus`, `openmetrics`: the text exposition formats in `export`, with the table of
//!   how each kind is exported; `gzip`: compressed responses from `export::render()`.
//! - `native-histogram`: `export::native`, a histogram's sketch as a Prometheus native
//!   histogram (schema, zero bucket, spans and deltas), for the wire formats that carry one.
//! - `protobuf`: `export::protobuf`, the Prometheus protobuf exposition with native
//!   histograms, which `export::render()` and the `http` endpoint answer when a scraper asks for
//!   it first (Prometheus with `--enable-feature=native-histograms`).
//! - `http`: the built-in endpoint `http::Exporter` (`/metrics`, `/stats`) on hyper 1.
//! - `tokio`: `collector::TokioLatencyProbe`, the scheduler latency probe as a tokio task.
//! - `influx`: the Influx line-protocol sink and event points: `derive(Point)` and
//!   `push::points::PointWriter`.
//! - `statvent`: statvent parity: `statvent` (the `name: value` text form, `statvent::record`
//!   over resizable windows) and `push::statvent` (a per-process pipe in `/tmp/stats-pipe`, the
//!   host reader); `statvent-web`: `http::statvent::Web`, every process's pipe summed as JSON
//!   and on `/metrics`.
//! - `remote-write`: the Prometheus remote write 1.0 sink `push::remote_write` (series named as
//!   the text exposition names them, classic or native histograms).
//! - `otlp`: the OpenTelemetry OTLP/HTTP protobuf sink `push::otlp::OtlpSink` (to a collector's
//!   `/v1/metrics`).
//!
//! This crate is a facade: the runtime lives in `metered-runtime-core` (re-exported here in
//! full) and the macros in `metered-macros`, so that the runtime compiles in parallel with the
//! macros' `syn` instead of after it. Depend on this crate only.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

#[doc(inline)]
pub use metered_runtime_core::*;

#[doc(hidden)]
pub use metered_runtime_core::__private;

/// The built-in `/metrics` endpoint (feature `http`): see [`http::Exporter`].
#[cfg(feature = "http")]
pub use metered_exporter as http;
/// Push reporters: a scheduled reporter thread with per-sink delta state, and the sinks
/// (feature `push`; the `statsd` sink with feature `statsd`). See the [`metered_push`] crate docs.
#[cfg(feature = "push")]
pub use metered_push as push;

#[doc = include_str!("../docs/derive.md")]
pub use metered_macros::Metered;
#[cfg(feature = "influx")]
#[doc = include_str!("../docs/point.md")]
pub use metered_macros::Point;
#[doc = include_str!("../docs/metered.md")]
pub use metered_macros::metered;
#[doc = include_str!("../docs/metric_set.md")]
pub use metered_macros::metric_set;
