//! Prometheus text exposition format 0.0.4.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, export::{Options, Scrape, prometheus}};
//! let r = Registry::new();
//! r.counter("shop.checkout.requests").unwrap().add(3);
//! let text = prometheus::to_string(&Scrape::of(&r), &Options::new());
//! assert_eq!(text.lines().take(3).collect::<Vec<_>>(), [
//!     "# HELP shop_checkout_requests_total shop.checkout.requests (counter)",
//!     "# TYPE shop_checkout_requests_total counter",
//!     "shop_checkout_requests_total 3",
//! ]);
//! ```

use super::live;
use super::model::{self, Options, Scrape, Type};
use super::text::{LeCache, push_help, push_samples, read_live, type_word};
use crate::registry::Registry;
use std::sync::atomic::Ordering;

/// The `Content-Type` of this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Appends the 0.0.4 text of `scrape` to `out`: per family a `# HELP` line (`\` and newline
/// escaped), a `# TYPE` line, then its samples. A counter's family name carries its `_total`
/// suffix, as 0.0.4 tools expect.
pub fn encode(scrape: &Scrape, opts: &Options, out: &mut String) {
    write(&model::build(scrape, *opts), out);
}

/// Appends the text of `registry` read now to `out`: what [`encode`] writes for
/// [`Scrape::of`]`(registry)`, byte for byte, without taking a snapshot of it first (see
/// [the module docs](super#scraping-a-registry) for what the registry keeps for it between
/// scrapes).
pub fn encode_registry(registry: &Registry, opts: &Options, out: &mut String) {
    if *opts != Options::new() {
        encode(&Scrape::of(registry), opts, out);
        return;
    }
    let read = live::Read::of(registry);
    let rest = read.rest.families();
    let start = out.len();
    out.reserve(read.plan.last_len.load(Ordering::Relaxed));
    write(&model::build_read(&read, &rest), out);
    read.plan
        .last_len
        .store(out.len() - start, Ordering::Relaxed);
}

/// The text of `registry` read now (see [`encode_registry`]).
#[must_use]
pub fn registry_to_string(registry: &Registry, opts: &Options) -> String {
    let mut out = String::new();
    encode_registry(registry, opts, &mut out);
    out
}

fn write(m: &model::Model<'_>, out: &mut String) {
    let mut le = LeCache::default();
    read_live(&m.families, &mut le);
    out.reserve(m.estimated_len());
    for f in &m.families {
        let total = if f.ty == Type::Counter { "_total" } else { "" };
        out.push_str("# HELP ");
        out.push_str(&f.name);
        out.push_str(total);
        out.push(' ');
        push_help(out, &f.help, false);
        out.push_str("\n# TYPE ");
        out.push_str(&f.name);
        out.push_str(total);
        out.push(' ');
        out.push_str(type_word(f.ty));
        out.push('\n');
        push_samples(out, f, &mut le);
    }
}

/// The 0.0.4 text of `scrape`.
#[must_use]
pub fn to_string(scrape: &Scrape, opts: &Options) -> String {
    let mut out = String::new();
    encode(scrape, opts, &mut out);
    out
}
