//! Unit tests driving the expanders with `syn::parse_quote!`, without rustc.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::expand;
use proc_macro2::TokenStream;
use quote::quote;

fn derive(item: TokenStream) -> String {
    expand::derive(item).to_string()
}

fn metered(args: TokenStream, item: TokenStream) -> String {
    expand::metered(args, item).to_string()
}

#[test]
fn dump() {
    if std::env::var_os("METERED_DUMP").is_some() {
        println!("{}", metered(quote!(), quote!(fn unused_free_fn() {})));
    }
}
