//! Procedural macros of `metered-runtime`. Depend on `metered-runtime`, which re-exports them
//! and documents every argument with examples: `#[derive(Metered)]`, `metric_set!`, `#[metered]`
//! and `#[derive(Point)]`.
//!
//! The crate is organised by phase, as `serde_derive` is: `ast` (the annotated item as written)
//! and `attr` (the attribute grammar) parse; `check` holds the rules that turn them into the
//! validated `model`; `expand` generates code from that model only. Beside them: `template`
//! (metric name templates), `fallback` (the item re-emitted beside errors), `kw` (keys) and
//! `diag` (error collection).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(
    missing_docs,
    reason = "the macros are documented where users see them, on metered-runtime's re-exports"
)]

mod ast;
mod attr;
mod check;
mod diag;
mod expand;
mod fallback;
mod kw;
mod model;
mod template;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Per-type metrics; see `metered_runtime::Metered`.
#[proc_macro_derive(Metered, attributes(metrics))]
pub fn derive_metered(input: TokenStream) -> TokenStream {
    expand::derive(input.into()).into()
}

/// Event points for Influx; see `metered_runtime::Point`.
#[proc_macro_derive(Point, attributes(point))]
pub fn derive_point(input: TokenStream) -> TokenStream {
    expand::derive_point(input.into()).into()
}

/// A metric set declared once and applied to many types; see `metered_runtime::metric_set`.
#[proc_macro]
pub fn metric_set(input: TokenStream) -> TokenStream {
    expand::metric_set(input.into()).into()
}

/// Instruments every method of an `impl` block, or a fn; see `metered_runtime::metered`.
#[proc_macro_attribute]
pub fn metered(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::metered(args.into(), item.into()).into()
}
