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
use super::model::{self, Options, Scrape};
use super::text::{Format, LeCache, push_header, push_samples, read_live};
use crate::registry::Registry;

/// The `Content-Type` of this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Appends the 0.0.4 text of `scrape` to `out`: per family a `# HELP` line (`\` and newline
/// escaped), a `# TYPE` line, then its samples. A counter's family name carries its `_total`
/// suffix, as 0.0.4 tools expect.
pub fn encode(scrape: &Scrape, opts: &Options, out: &mut String) {
    let m = model::build(scrape, *opts);
    out.reserve(m.estimated_len());
    write(&m, out, &mut LeCache::default());
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
    let m = model::build_read(&read, &rest);
    let start = out.len();
    out.reserve(
        read.plan
            .expected_len(Format::Prometheus)
            .unwrap_or_else(|| m.estimated_len()),
    );
    let mut le = read.plan.le_cache();
    write(&m, out, &mut le);
    read.plan
        .written(Format::Prometheus, out.len() - start, &le);
}

/// The text of `registry` read now (see [`encode_registry`]).
#[must_use]
pub fn registry_to_string(registry: &Registry, opts: &Options) -> String {
    let mut out = String::new();
    encode_registry(registry, opts, &mut out);
    out
}

fn write(m: &model::Model<'_>, out: &mut String, le: &mut LeCache) {
    read_live(&m.families, le);
    for f in &m.families {
        match f.header {
            Some((h, texts)) => texts.get(h.texts[Format::Prometheus as usize]).push_to(out),
            None => push_header(out, Format::Prometheus, &f.name, f.ty, &f.help, &f.unit),
        }
        push_samples(out, f, le);
    }
}

/// The 0.0.4 text of `scrape`.
#[must_use]
pub fn to_string(scrape: &Scrape, opts: &Options) -> String {
    let mut out = String::new();
    encode(scrape, opts, &mut out);
    out
}
