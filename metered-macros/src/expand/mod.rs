//! The entry points, each phase in turn: parse (`ast`, `attr`), check (`check`, giving the
//! `model`), then generate code from the validated model only (`set`, `derive`, `metered`).

mod derive;
mod metered;
mod point;
mod register;
mod set;

use crate::diag::Diag;
use crate::{ast, attr, check, fallback};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{DeriveInput, ImplItem, Path};

/// The runtime's path: `crate = path`, else `::metered_runtime`.
fn krate_tokens(p: Option<&Path>) -> TokenStream {
    p.map_or_else(|| quote!(::metered_runtime), |p| quote!(#p))
}

/// `#[derive(Metered)]`. Beside any errors, everything that was understood is still generated
/// (accessors, `metric_names`, `HasMetrics`), so code using it shows only the real mistakes.
pub fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let mut diag = Diag::default();
    let ty = ast::from_derive(&input, &mut diag);
    let args = attr::parse_derive(&input.attrs, &mut diag);
    let out = check::check_derive(ty, args.as_ref(), &mut diag)
        .map(|d| derive::expand(&d))
        .unwrap_or_default();
    let errors = diag.into_compile_errors();
    quote!(#errors #out)
}

/// `#[derive(Point)]`. Beside any errors, `SERIES` and `to_point()` are still generated from
/// what was understood, so code using them shows only the real mistakes.
pub fn derive_point(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let mut diag = Diag::default();
    let item = ast::from_point_derive(&input, &mut diag);
    let out = point::expand(&check::check_point(&item, &mut diag));
    let errors = diag.into_compile_errors();
    quote!(#errors #out)
}

/// `metric_set!`. Beside any errors the set is still declared, with the fields whose kind is
/// known, so code using it shows only the real mistakes.
pub fn metric_set(input: TokenStream) -> TokenStream {
    let input: ast::SetInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let mut diag = Diag::default();
    let ident = input.ident.clone();
    let vis = input.vis.clone();
    let (args, attrs) = attr::parse_set(input, &mut diag);
    let set = check::check_set(&ident, &vis, &args, attrs, &mut diag);
    let out = set::expand(&set);
    let errors = diag.into_compile_errors();
    quote!(#errors #out)
}

/// `#[metered]`. On any error the item is emitted unchanged beside the errors.
pub fn metered(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut diag = Diag::default();
    let args = attr::parse_metered(args, &mut diag);
    let original = item.clone();
    match ast::parse_metered_item(item, &mut diag) {
        Some(ast::MeteredItem::Impl(mut imp)) => {
            // The methods' `#[metered(..)]` are taken off (they would otherwise expand on
            // their own), so on error the impl is re-emitted without them.
            let mut methods = Vec::new();
            let site = {
                let trait_ = imp.trait_.as_ref().map(|(_, p, _)| p);
                let mut rules = check::ImplRules::new(&args, &imp.self_ty, trait_, &mut diag);
                for (i, item) in imp.items.iter_mut().enumerate() {
                    let ImplItem::Fn(method) = item else { continue };
                    let m = attr::take_method_args(&mut method.attrs, &mut diag);
                    if let Some(plan) = rules.method(&m, method, &mut diag) {
                        methods.push((i, plan));
                    }
                }
                rules.into_site()
            };
            match diag.finish() {
                Ok(()) => metered::expand_impl(imp, &site, &methods),
                Err(e) => fallback::with_item(&quote!(#imp), e),
            }
        }
        Some(ast::MeteredItem::Fn(f)) => {
            let checked = check::check_fn(&args, &f.sig, &mut diag);
            match (diag.finish(), checked) {
                (Ok(()), Some((site, plan))) => metered::expand_fn(f, &site, &plan),
                (Err(e), _) => fallback::with_item(&original, e),
                (Ok(()), None) => original,
            }
        }
        None => match diag.finish() {
            Ok(()) => original,
            Err(e) => fallback::with_item(&original, e),
        },
    }
}
