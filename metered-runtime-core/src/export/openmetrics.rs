//! OpenMetrics 1.0 text format.
//!
//! ```
//! # extern crate metered_runtime_core as metered_runtime;
//! use metered_runtime::{Registry, export::{Options, Scrape, openmetrics}};
//! let r = Registry::new();
//! r.counter("shop.checkout.requests").unwrap().add(3);
//! let text = openmetrics::to_string(&Scrape::of(&r), &Options::new());
//! assert_eq!(text.lines().take(3).collect::<Vec<_>>(), [
//!     "# HELP shop_checkout_requests shop.checkout.requests (counter)",
//!     "# TYPE shop_checkout_requests counter",
//!     "shop_checkout_requests_total 3",
//! ]);
//! assert!(text.ends_with("# EOF\n"));
//! ```

use super::live;
use super::model::{self, Options, Scrape};
use super::text::{Format, LeCache, push_header, push_samples, read_live};
use crate::registry::Registry;

/// The `Content-Type` of this format.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Appends the OpenMetrics text of `scrape` to `out`: per family `# HELP` (`\`, newline and
/// `"` escaped), `# TYPE`, `# UNIT` where the family has a unit (always a suffix of its name),
/// then its samples; `# EOF` last. A counter's family name has no `_total`; its sample has.
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
            .expected_len(Format::OpenMetrics)
            .unwrap_or_else(|| m.estimated_len()),
    );
    let mut le = read.plan.le_cache();
    write(&m, out, &mut le);
    read.plan
        .written(Format::OpenMetrics, out.len() - start, &le);
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
            Some((h, texts)) => texts
                .get(h.texts[Format::OpenMetrics as usize])
                .push_to(out),
            None => push_header(out, Format::OpenMetrics, &f.name, f.ty, &f.help, &f.unit),
        }
        push_samples(out, f, le);
    }
    out.push_str("# EOF\n");
}

/// The OpenMetrics text of `scrape`.
#[must_use]
pub fn to_string(scrape: &Scrape, opts: &Options) -> String {
    let mut out = String::new();
    encode(scrape, opts, &mut out);
    out
}
