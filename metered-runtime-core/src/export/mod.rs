//! Exposition in the Prometheus text formats: [`prometheus`] (text 0.0.4, feature `prometheus`)
//! and [`openmetrics`] (OpenMetrics 1.0 text, feature `openmetrics`). Both are pure functions
//! of a [`Scrape`] (a snapshot plus the families' overflow counts) that append to a `String`.
//! `native` (feature `native-histogram`) gives a histogram's sketch in Prometheus' native
//! histogram form for the formats that carry one.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! # #[cfg(feature = "openmetrics")] {
//! use metered_runtime::{Registry, export::{Options, Scrape, openmetrics}};
//! let r = Registry::new();
//! r.gauge("app.queue.depth").unwrap().set(7);
//! let text = openmetrics::to_string(&Scrape::of(&r), &Options::new());
//! assert_eq!(text.lines().take(3).collect::<Vec<_>>(), [
//!     "# HELP app_queue_depth app.queue.depth (gauge)",
//!     "# TYPE app_queue_depth gauge",
//!     "app_queue_depth 7",
//! ]);
//! # }
//! ```
//!
//! # Names
//! Exported identity is the registry's, computed once when a metric is registered and carried
//! by the snapshot ([`Snapshot::families`](crate::Snapshot::families)): the encoders group,
//! name and label nothing themselves. Each metric's exposition name is its dotted name through
//! [`exposition_name`](crate::exposition_name) (dots and other characters to `_`, camel case
//! to snake case, a leading digit prefixed with `_`), then:
//! - counters and meters lose a trailing `_total`, and their samples get exactly one;
//! - a unit is appended as a suffix (`_bytes`) unless the name already ends with it; timers
//!   always have the unit `seconds`;
//! - a metric declared with a [`TypeLabel`](crate::TypeLabel) is exported under its family's
//!   name with the type as a label (written first), every member in one family under one
//!   `# HELP`/`# TYPE`: `my.http.endpoints.{}.latency` gives
//!   `my_http_endpoints_latency_seconds_bucket{type="MyImplHandler",le="0.1"}`;
//! - label keys are mapped the same way ([`exposition_label_key`](crate::exposition_label_key)).
//!
//! The registry refuses a metric whose exposition name (or one of its sample names) meets
//! another's (`a.b_c` and `a_b.c`; a counter `x` and a gauge `x_total`), a type-label member
//! that disagrees with its family, and label keys that clash once mapped, so an exposition of
//! a registry never meets them. The encoders still check, as a defence for snapshots that did
//! not come from one registry: what fails is left out and counted (see below). Metrics without
//! help text get `<dotted name> (<kind>)` as help, so that lint-clean output never lacks one.
//! Families are written in the order of their exposition names.
//!
//! # Kinds
//! | metered kind | exposed as |
//! |---|---|
//! | [`Counter`](crate::Counter) | counter `<name>_total` |
//! | [`Gauge`](crate::Gauge), [`UpDownCounter`](crate::UpDownCounter) (in-flight counts) | gauge (integer) |
//! | [`FloatGauge`](crate::FloatGauge), [`FnGauge`](crate::FnGauge) | gauge |
//! | [`Meter`](crate::Meter) | counter `<name>_total` of its count (rates are `rate()`'s job); with [`Options::meter_rates`] also a gauge `<name>_rate{window="1m"\|"5m"\|"15m"\|"lifetime"}` |
//! | [`Histogram`](crate::Histogram) | classic histogram: cumulative `_bucket{le=...}` ending with `+Inf`, `_sum`, `_count` |
//! | [`Timer`](crate::Timer) | classic histogram `<name>_seconds` |
//! | [`Histogram`](crate::Histogram), [`Timer`](crate::Timer) in the protobuf exposition (feature `protobuf`, `export::protobuf`) | one `Histogram` message per series: a native histogram of the sketch (schema 6, zero bucket, spans and deltas, no negative buckets) plus classic buckets at configured bounds only; quantile summaries as gauges with a `quantile` label |
//! | family ([`Family`](crate::Family)) | one series per label set, the overflow child (every label `__overflow__`) included |
//!
//! Histograms and timers are exported at their configured bounds
//! ([`HistogramConfig::bounds`](crate::HistogramConfig::bounds)), exactly. Without configured
//! bounds they are exported at a fixed default ladder, [`DEFAULT_SECONDS_BOUNDS`] for timers
//! and [`DEFAULT_BOUNDS`] otherwise, with counts read from the histogram's log-linear sketch
//! (each sketch bucket counted under every bound at or above its midpoint, so within the
//! sketch's 1/64 relative resolution). Never a summary in their place: quantile summaries
//! (`<name>_quantiles`, windowed) are added only with [`Options::summaries`].
//!
//! # The toolkit's own metrics
//! - `metered_export_problems{reason=...}` (gauge): metrics left out of this exposition, by
//!   [`ProblemKind`]: a function gauge that panicked or returned NaN (its message is in the
//!   JSON view and in [`Scrape::problems`]), name clashes, type-label members that disagree
//!   with their family, label keys that clash once mapped, duplicate series, a collector that
//!   failed.
//! - `metered_family_overflowed_total{family=...}` (counter): for a [`Scrape`] of a registry,
//!   the label sets each labelled family sent to its overflow child because it was full.
//! - `metered_collector_errors_total{collector=...}` (counter): the failed runs of each
//!   collector; one whose output is missing from this exposition is also counted under
//!   `metered_export_problems{reason="collector_failed"}` (its message is in the JSON view).
//!
//! # Scraping a registry
//! [`render`](render()) of a [`Registry`](crate::Registry), [`prometheus::encode_registry`] and
//! [`openmetrics::encode_registry`] (what the built-in endpoint calls) write exactly what the
//! encoders write for [`Scrape::of`] the registry, without taking its snapshot: the registry
//! keeps, until a metric is registered, its metrics grouped and ordered by exposition name with
//! their headers and label sets rendered, and each labelled family keeps, until a label set is
//! added, its children in exposition order with their label sets rendered. A scrape then reads
//! each value where it lives and writes its line, with no allocation per series. What kept
//! costs: about the rendered label set plus 40 bytes per series of a labelled family, once the
//! registry has been scraped. Function gauges (whose producer can fail), collectors and the
//! non-default [`Options`] still go through a snapshot of just those metrics. A histogram read
//! for the text formats reads its classic buckets, sum and count only: its windowed quantiles
//! (JSON view, summaries) move their window on the snapshots that read them.
//!
//! # Metrics computed at scrape time
//! Collectors are registered on the registry
//! ([`Registry::register_collector`](crate::Registry::register_collector), see
//! [`collector`](crate::collector)) and run when its snapshot is taken, so a [`Scrape`] of the
//! registry exports their families like every other: no separate list to pass around.
#![allow(clippy::doc_markdown, reason = "OpenMetrics is a name, not code")]

#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
pub mod cache;
pub mod json;
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
mod live;
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
mod model;
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
mod scrape;
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
mod text;

#[cfg(feature = "native-histogram")]
pub mod native;

#[cfg(feature = "openmetrics")]
pub mod openmetrics;
#[cfg(feature = "prometheus")]
pub mod prometheus;
#[cfg(feature = "protobuf")]
pub mod protobuf;
#[cfg(feature = "remote-write")]
pub mod remote_write;
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
pub mod render;

#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
pub use model::{DEFAULT_BOUNDS, DEFAULT_SECONDS_BOUNDS, Options, Problem, ProblemKind, Scrape};
#[cfg(any(feature = "prometheus", feature = "openmetrics"))]
pub use render::{Format, Rendered, render};
