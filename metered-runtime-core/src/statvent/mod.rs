//! statvent parity: the `name: value` text form, the sum of many processes' stats, and
//! [`record`] over sample windows (feature `statvent`).
//!
//! Python's statvent writes each process's stats to a named pipe, `/tmp/stats-pipe/<pid>.stats`,
//! one `name: value` line per stat, and `python -m statvent.web` reads every pipe on the host and
//! serves the sum as JSON. This module holds the pure parts, with no I/O:
//!
//! - [`text::encode`]: a [`Snapshot`](crate::Snapshot) in that text form;
//! - [`text::parse`]: the text form back into stats (ours and Python statvent's);
//! - [`combine()`]: the stats of many processes as one host view, by a documented [`Combine`]
//!   rule, and [`to_json`] in the shape of `statvent.web`;
//! - [`Recorder`] and [`record`]: statvent's `record(name, value)`, a window of the latest values
//!   reported as `median`, `95th`, `99th`, `100th` and `mean`.
//!
//! The pipes themselves and the host reader live in `metered_runtime::push::statvent`, the
//! JSON web service in `metered_runtime::http::statvent` (facade features `statvent` and
//! `statvent-web`).
//!
//! # The text form
//! One stat per line, `name: value\n`. A value is an integer (`42`, `-3`) or a float with six
//! decimals (`1.500000`), as statvent writes them; a non-finite float is left out (no reader can
//! sum it). Metrics are written in the snapshot's order (sorted by name), each as:
//!
//! | kind | lines (`N` is the name) | values |
//! | --- | --- | --- |
//! | counter | `N` | integer |
//! | float counter (collectors) | `N` | float |
//! | gauge, up-down counter | `N` | integer |
//! | float gauge, function gauge | `N` | float |
//! | meter | `N.count`, `N.mean_rate`, `N.m1_rate`, `N.m5_rate`, `N.m15_rate` | count integer, rates floats (per second) |
//! | histogram | `N.count`, `N.sum`, `N.min`, `N.max`, `N.mean`, `N.stddev`, `N.median`, `N.75th`, `N.95th`, `N.98th`, `N.99th`, `N.99_9th` | count integer, the rest floats |
//! | timer | as a histogram, in seconds, then the meter's four rates | as above |
//! | unreadable metric (a failing function gauge) | none | |
//!
//! An empty histogram or timer has only `N.count: 0` and `N.sum: 0.000000` (and a timer its
//! rates): statistics of no values would read as real zeros. Quantiles are those of the
//! histogram's snapshot (its window, see [`HistogramSnapshot`](crate::HistogramSnapshot)).
//!
//! A labelled family's children carry their labels after the statistic, in braces, each value
//! quoted with `\\`, `"` and newlines escaped: `http.latency.count{route="/a",code="200"}: 3`.
//! Names are written as they are (a name never holds whitespace or control characters), so a
//! line always splits at its last `:`.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, statvent::text};
//! let r = Registry::new();
//! r.counter("jobs.done").unwrap().add(42);
//! r.float_gauge("pool.load").unwrap().set(1.5);
//! r.counter_family("http.requests", &["route"]).unwrap().get(&["/a"]).unwrap().add(2);
//! assert_eq!(
//!     text::encode(&r.snapshot()),
//!     "http.requests{route=\"/a\"}: 2\njobs.done: 42\npool.load: 1.500000\n"
//! );
//! ```

pub mod combine;
pub mod text;
mod window;

pub use combine::{Combine, combine, to_json};
pub use text::Number;
pub use window::{DEFAULT_WINDOW, LABELS, Recorder, WindowStats, global, record, set_window};
