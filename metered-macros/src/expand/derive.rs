//! `#[derive(Metered)]`: the accessors, `metric_names()` and `HasMetrics`, over a hidden set
//! of the type's own or a set declared with `metric_set!`.

use super::krate_tokens;
use super::register::{Entry, Source};
use super::set::{self, Application};
use crate::ast::TypeModel;
use crate::model::{Derive, Metric, Metrics};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::{Ident, Visibility};

/// The generics, self type and where clause of the type's impls, `bound` added.
fn impl_header(ty: &TypeModel<'_>, bound: &TokenStream) -> (TokenStream, TokenStream, TokenStream) {
    let (impl_generics, ty_generics, where_clause) = ty.generics.split_for_impl();
    let ident = ty.ident;
    let preds = where_clause.map(|w| {
        let p = &w.predicates;
        quote!(#p,)
    });
    let where_tokens = if preds.is_some() || !bound.is_empty() {
        quote!(where #preds #bound)
    } else {
        TokenStream::new()
    };
    (
        quote!(#impl_generics),
        quote!(#ident #ty_generics),
        where_tokens,
    )
}

/// The derive's items, inside one `const _`: the hidden set (for metrics listed on the type),
/// registration, the accessors, `metric_names()`, and `HasMetrics` for a named set.
pub fn expand(d: &Derive<'_>) -> TokenStream {
    let ty = &d.ty;
    let krate = krate_tokens(d.krate.as_ref());
    let (set, set_def, app, metrics) = match &d.metrics {
        Metrics::Set(path) => {
            let set = quote!(#path);
            let app = set::application(&set, &Source::Set(&set), ty, d.per_instantiation, &krate);
            (set, None, app, &[][..])
        }
        Metrics::Inline(metrics) => {
            let set_ident = format_ident!("__MeteredMetrics");
            let set = quote!(#set_ident);
            // Per instantiation, the runtime renders the names from the set's `SetDef`.
            let set_def = if d.per_instantiation {
                set::set_definition(
                    &[syn::parse_quote!(#[allow(dead_code)])],
                    &Visibility::Inherited,
                    &set_ident,
                    metrics,
                    &krate,
                )
            } else {
                set::lean_set_definition(&set_ident, metrics, &krate)
            };
            let entries: Vec<Entry> = metrics
                .iter()
                .map(|m| Entry::of(m, &quote!(__METERED_SET), &krate))
                .collect();
            let source = Source::Entries(&entries);
            let app = set::application(&set, &source, ty, d.per_instantiation, &krate);
            (set, Some(set_def), app, metrics.as_slice())
        }
    };
    let (impl_generics, self_ty, where_tokens) = impl_header(ty, &app.bound);
    let Application {
        items,
        instance,
        names,
        ..
    } = app;
    let has_metrics = matches!(d.metrics, Metrics::Set(_)).then(|| {
        quote! {
            #[automatically_derived]
            impl #impl_generics #krate::__private::HasMetrics<#set> for #self_ty #where_tokens {
                fn metric_set() -> &'static #set {
                    #instance
                }
                fn metrics(&self) -> &'static #set {
                    #instance
                }
            }
        }
    });
    let accessors = metrics
        .iter()
        .map(|m| accessor(ty, m, &set, &instance, &krate));
    let vis = ty.vis;
    quote! {
        const _: () = {
            #set_def
            #items
            #has_metrics

            // No `#[allow(dead_code)]` here: an allowed inherent item would keep the user's
            // type alive for rustc. The accessors are spanned at the derive instead, and rustc
            // does not report unused items made entirely by a macro.
            #[automatically_derived]
            impl #impl_generics #self_ty #where_tokens {
                #(#accessors)*

                /// The names of this type's metrics, in declaration order.
                #[must_use]
                #vis fn metric_names() -> &'static [&'static str] {
                    #names
                }
            }
        };
    }
}

/// The accessor of metric `m` in the set `set`, whose instance is `instance`.
fn accessor(
    ty: &TypeModel<'_>,
    m: &Metric,
    set: &TokenStream,
    instance: &TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let f = &m.ident;
    let accessor = Ident::new(&f.to_string(), Span::call_site());
    let kind = m.kind.ident();
    let mut doc = format!(
        "The `{}` {} of `{}`, named from `{}`.",
        m.ident,
        m.kind.describe(),
        ty.ident,
        m.template.value()
    );
    if !m.help.is_empty() {
        doc = format!("{doc} {}", m.help);
    }
    let vis = ty.vis;
    quote! {
        #[doc = #doc]
        #[must_use]
        #[inline]
        #vis fn #accessor() -> &'static #krate::__private::#kind {
            let __metered_set: &'static #set = #instance;
            &__metered_set.#f
        }
    }
}
