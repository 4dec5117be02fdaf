//! Pure encoders for push reporters (StatsD, ...), and the per-sink delta state they share.
//!
//! A push reporter (in the `metered-push` crate, `metered_runtime::push` in the facade) reads a
//! [`Snapshot`](crate::Snapshot) every interval and hands it to a [`delta::DeltaState`] of its
//! own, which turns the cumulative values into a [`delta::Report`]: counter and meter counts as
//! increments since that state's previous report, histograms and timers as the distribution
//! recorded since then. Each format's encoder here turns a report into bytes, with no I/O.
//!
//! [`delta`] is the only module that reads snapshots, so a change of the snapshot touches it
//! alone.

#![allow(
    clippy::doc_markdown,
    reason = "product names such as StatsD and DogStatsD are prose here, not code"
)]
pub mod delta;
#[cfg(feature = "graphite")]
pub mod graphite;
#[cfg(feature = "influx")]
pub mod influx;
#[cfg(feature = "statsd")]
pub mod statsd;
